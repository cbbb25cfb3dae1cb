//! TOML text -> `Config`. Parses with spans (toml's `DeTable`) and walks the tree by hand, so
//! every problem, syntactic or semantic, is reported with its line and key path, all at once.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::account::read_account;
use super::error::ConfigError;
use super::paths::{home_dir, resolve_user_path};
use super::reader::{Field, Lines, Problems, TableReader};
use super::sections::{CACHE_KEYS, SYNC_KEYS, UI_KEYS, read_cache, read_sync, read_ui};
use super::{AccountConfig, Config, SyncConfig, UiConfig};

const ROOT_KEYS: &[&str] = &["accounts", "ui", "sync", "open", "views", "cache"];

/// What relative paths in the file are resolved against.
pub(super) struct Context<'a> {
    pub(super) config_dir: &'a Path,
    pub(super) home: Option<&'a Path>,
}

impl Context<'_> {
    /// Resolves a path value and checks it exists, so `check-config` catches a moved file.
    pub(super) fn existing_file(
        &self,
        field: &Field<&str>,
        key: &str,
        problems: &mut Problems,
    ) -> Option<PathBuf> {
        match resolve_user_path(field.value, self.config_dir, self.home) {
            Ok(path) if path.is_file() => Some(path),
            Ok(path) => {
                problems.at(
                    &field.span,
                    key,
                    format!("no such file: {}", path.display()),
                );
                None
            }
            Err(message) => {
                problems.at(&field.span, key, message);
                None
            }
        }
    }
}

pub(super) fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, home_dir().as_deref())
}

pub(super) fn parse(text: &str, path: &Path, home: Option<&Path>) -> Result<Config, ConfigError> {
    let lines = Lines::new(text);
    let mut problems = Problems::new(&lines);
    let invalid = |problems: Problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems: problems.into_sorted(),
    };

    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        // Only toml's own message: it names what was expected, never echoes the value.
        for error in syntax_errors {
            let message = format!("invalid TOML: {}", error.message());
            match error.span() {
                Some(span) => problems.at(&span, duplicate_key_name(text, &error, &span), message),
                None => problems.nowhere("", message),
            }
        }
        return Err(invalid(problems));
    }

    let ctx = Context {
        config_dir: path.parent().unwrap_or(Path::new("")),
        home,
    };
    let mut r = TableReader::new(root.get_ref(), "", root.span(), ROOT_KEYS);
    let accounts = read_accounts(&mut r, &ctx, &mut problems);
    let ui = match r.table("ui", UI_KEYS, &mut problems) {
        Some(mut ui) => {
            let config = read_ui(&mut ui, &ctx, &mut problems);
            ui.finish(&mut problems);
            config
        }
        None => UiConfig::default(),
    };
    let sync = match r.table("sync", SYNC_KEYS, &mut problems) {
        Some(mut sync) => {
            let config = read_sync(&mut sync, &mut problems);
            sync.finish(&mut problems);
            config
        }
        None => SyncConfig::default(),
    };
    let open = r
        .value("open")
        .map(|f| super::open::read_open(f.value, &f.span, &mut problems))
        .unwrap_or_default();
    let views = super::views::read_views(&mut r, &mut problems);
    let cache = match r.table("cache", CACHE_KEYS, &mut problems) {
        Some(mut cache) => {
            let config = read_cache(&mut cache, &mut problems);
            cache.finish(&mut problems);
            config
        }
        None => super::CacheConfig::default(),
    };
    r.finish(&mut problems);

    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let views = super::views::with_defaults(views, accounts.len());
    Ok(Config {
        path: path.to_path_buf(),
        accounts,
        ui,
        sync,
        open,
        views,
        cache,
    })
}

/// For "duplicate key" the span is the key itself, which is safe and useful to show.
fn duplicate_key_name<'t>(text: &'t str, error: &toml::de::Error, span: &Range<usize>) -> &'t str {
    let key = text.get(span.clone()).unwrap_or_default().trim();
    let is_plain_key = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if error.message().starts_with("duplicate key") && is_plain_key {
        key
    } else {
        ""
    }
}

fn read_accounts(
    root: &mut TableReader<'_, '_>,
    ctx: &Context<'_>,
    problems: &mut Problems,
) -> Vec<AccountConfig> {
    let Some(field) = root.value("accounts") else {
        problems.nowhere(
            "accounts",
            "no accounts: add an [[accounts]] table (see the example config)",
        );
        return Vec::new();
    };
    let DeValue::Array(items) = field.value.get_ref() else {
        let found = field.value.get_ref().type_str();
        problems.at(
            &field.span,
            "accounts",
            format!("expected [[accounts]] tables, found {found}"),
        );
        return Vec::new();
    };
    if items.is_empty() {
        problems.at(
            &field.span,
            "accounts",
            "no accounts: add an [[accounts]] table",
        );
    }
    report_duplicate_names(items, problems);
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| read_account(item, index, ctx, problems))
        .collect()
}

fn report_duplicate_names(items: &[toml::Spanned<DeValue<'_>>], problems: &mut Problems) {
    let mut seen: Vec<&str> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some((key, value)) = item
            .get_ref()
            .as_table()
            .and_then(|t| t.get_key_value("name"))
        else {
            continue;
        };
        let Some(name) = value.get_ref().as_str() else {
            continue;
        };
        if seen.contains(&name) {
            let message = format!(
                "duplicate account name \"{}\"; names must be unique",
                name.escape_debug()
            );
            problems.at(&key.span(), &format!("accounts[{index}].name"), message);
        } else {
            seen.push(name);
        }
    }
}

#[cfg(test)]
mod tests;
