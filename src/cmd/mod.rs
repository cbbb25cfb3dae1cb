//! Subcommands of the CLI. Each prints results on stdout and progress or errors on stderr.

pub mod act;
pub(crate) mod flag;
pub mod folder;
pub mod folders;
pub mod list;
pub mod read;
pub mod save;
pub mod search;
pub mod sync;

use std::path::{Path, PathBuf};

use crate::config::{self, AccountConfig};
use crate::store::{self, Store};

/// The account's cache file, under `--cache-dir` or the XDG data dir.
pub fn cache_path(cache_dir: Option<&Path>, account: &AccountConfig) -> anyhow::Result<PathBuf> {
    let dir = config::data_dir(cache_dir)?;
    Ok(store::cache_path(&dir, &account.name))
}

/// One message on stderr. Everything tern says there may carry server or mail text (NO and
/// BYE text, folder names, error chains), so it is sanitized here, the one way out.
pub fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{}",
        crate::domain::text::sanitize_lines(message)
    );
}

/// A command's result on stdout, sanitized line by line (JSON is already inert: `json_safe`).
pub fn print_result(out: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(crate::domain::text::sanitize_lines(out).as_bytes());
}

pub fn open_store(cache_dir: Option<&Path>, account: &AccountConfig) -> anyhow::Result<Store> {
    let path = cache_path(cache_dir, account)?;
    Ok(Store::open(&path)?)
}

/// The cache for commands that fetch mail into it: bodies and parts kept within the
/// configured `[cache] body_limit`.
pub fn open_cache(
    cache_dir: Option<&Path>,
    account: &AccountConfig,
    cache: &config::CacheConfig,
) -> anyhow::Result<Store> {
    let path = cache_path(cache_dir, account)?;
    let limits = store::BodyLimits {
        max_total: cache.body_limit,
        ..store::BodyLimits::default()
    };
    Ok(Store::open_with(&path, limits)?)
}
