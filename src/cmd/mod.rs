//! Subcommands of the CLI. Each prints results on stdout and progress or errors on stderr.

pub mod act;
pub mod flag;
pub mod folders;
pub mod list;
pub mod read;
pub mod sync;

use std::path::{Path, PathBuf};

use crate::config::{self, AccountConfig};
use crate::store::{self, Store};

/// The account's cache file, under `--cache-dir` or the XDG data dir.
pub fn cache_path(cache_dir: Option<&Path>, account: &AccountConfig) -> anyhow::Result<PathBuf> {
    let dir = config::data_dir(cache_dir)?;
    Ok(store::cache_path(&dir, &account.name))
}

pub fn open_store(cache_dir: Option<&Path>, account: &AccountConfig) -> anyhow::Result<Store> {
    let path = cache_path(cache_dir, account)?;
    Ok(Store::open(&path)?)
}
