//! The `[ui]` and `[sync]` tables; every key is optional and falls back to the defaults.

use std::time::Duration;

use super::load::Context;
use super::reader::{Field, Problems, TableReader};
use super::{BUILTIN_KEYMAPS, BUILTIN_THEMES, BuiltinOrFile, SyncConfig, TerminalNotify, UiConfig};

pub(super) const UI_KEYS: &[&str] = &[
    "keymap",
    "theme",
    "mark_read_after_ms",
    "threads",
    "new_mail_bell",
    "new_mail_title",
    "new_mail_command",
    "new_mail_notify",
    "new_mail_folders",
    "tag_advances",
    "download_dir",
    "prefer_html",
    "open_command",
    "hyperlinks",
];
pub(super) const SYNC_KEYS: &[&str] = &["status_interval_secs", "prefetch_bodies", "prefetch_days"];

pub(super) fn read_ui(
    r: &mut TableReader<'_, '_>,
    ctx: &Context<'_>,
    problems: &mut Problems,
) -> UiConfig {
    let defaults = UiConfig::default();
    let keymap = r
        .text("keymap", problems)
        .and_then(|f| builtin_or_file(r, "keymap", &f, BUILTIN_KEYMAPS, ctx, problems));
    let theme = r
        .text("theme", problems)
        .and_then(|f| builtin_or_file(r, "theme", &f, BUILTIN_THEMES, ctx, problems));
    let hint = "must be -1 (never) or a number of milliseconds (0 marks on open)";
    let mark_read_after = r
        .integer_in("mark_read_after_ms", -1..=i64::MAX, hint, problems)
        .map(|f| u64::try_from(f.value).ok().map(Duration::from_millis));
    UiConfig {
        keymap: keymap.unwrap_or(defaults.keymap),
        theme: theme.unwrap_or(defaults.theme),
        mark_read_after: mark_read_after.unwrap_or(defaults.mark_read_after),
        threads: r
            .boolean("threads", problems)
            .map_or(defaults.threads, |f| f.value),
        new_mail_bell: r
            .boolean("new_mail_bell", problems)
            .map_or(defaults.new_mail_bell, |f| f.value),
        new_mail_title: r
            .boolean("new_mail_title", problems)
            .map_or(defaults.new_mail_title, |f| f.value),
        new_mail_command: string_list(r, "new_mail_command", problems)
            .unwrap_or(defaults.new_mail_command),
        new_mail_notify: r
            .choice(
                "new_mail_notify",
                &[
                    ("off", TerminalNotify::Off),
                    ("osc9", TerminalNotify::Osc9),
                    ("osc777", TerminalNotify::Osc777),
                ],
                problems,
            )
            .map_or(defaults.new_mail_notify, |f| f.value),
        new_mail_folders: string_list(r, "new_mail_folders", problems)
            .unwrap_or(defaults.new_mail_folders),
        tag_advances: r
            .boolean("tag_advances", problems)
            .map_or(defaults.tag_advances, |f| f.value),
        download_dir: r.text("download_dir", problems).and_then(|f| {
            match super::paths::resolve_user_path(f.value, ctx.config_dir, ctx.home) {
                Ok(path) if path.is_dir() => Some(path),
                Ok(path) => {
                    let message = format!("no such directory: {}", path.display());
                    problems.at(&f.span, &r.key_path("download_dir"), message);
                    None
                }
                Err(message) => {
                    problems.at(&f.span, &r.key_path("download_dir"), message);
                    None
                }
            }
        }),
        prefer_html: r
            .boolean("prefer_html", problems)
            .map_or(defaults.prefer_html, |f| f.value),
        open_command: r
            .string("open_command", problems)
            .and_then(|f| match super::OpenCommand::parse(f.value) {
                Ok(command) => Some(command),
                Err(message) => {
                    problems.at(&f.span, &r.key_path("open_command"), message);
                    None
                }
            })
            .unwrap_or(defaults.open_command),
        hyperlinks: r
            .boolean("hyperlinks", problems)
            .map_or(defaults.hyperlinks, |f| f.value),
    }
}

/// An array of strings, such as an argv (`["notify-send", "tern"]`).
fn string_list(
    r: &mut TableReader<'_, '_>,
    key: &str,
    problems: &mut Problems,
) -> Option<Vec<String>> {
    let field = r.value(key)?;
    let items = match field.value.get_ref() {
        toml::de::DeValue::Array(items) => items,
        other => {
            let message = format!("expected a list of strings, found {}", other.type_str());
            problems.at(&field.span, &r.key_path(key), message);
            return None;
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item.get_ref().as_str() {
            Some(text) => out.push(text.to_string()),
            None => {
                problems.at(&field.span, &r.key_path(key), "expected a list of strings");
                return None;
            }
        }
    }
    Some(out)
}

pub(super) fn read_sync(r: &mut TableReader<'_, '_>, problems: &mut Problems) -> SyncConfig {
    let defaults = SyncConfig::default();
    let status_interval = r
        .integer_in(
            "status_interval_secs",
            0..=i64::MAX,
            "must be 0 (never) or a number of seconds",
            problems,
        )
        .map(|f| {
            u64::try_from(f.value)
                .ok()
                .filter(|&secs| secs > 0)
                .map(Duration::from_secs)
        });
    let prefetch_bodies = r
        .integer_in(
            "prefetch_bodies",
            0..=i64::from(u32::MAX),
            "must be 0 or a number of messages",
            problems,
        )
        .and_then(|f| u32::try_from(f.value).ok());
    let prefetch_days = r
        .integer_in(
            "prefetch_days",
            0..=i64::from(u32::MAX),
            "must be 0 (any age) or a number of days",
            problems,
        )
        .and_then(|f| u32::try_from(f.value).ok());
    SyncConfig {
        status_interval: status_interval.unwrap_or(defaults.status_interval),
        prefetch_bodies: super::Prefetch {
            messages: prefetch_bodies.unwrap_or(defaults.prefetch_bodies.messages),
            days: prefetch_days.unwrap_or(defaults.prefetch_bodies.days),
        },
    }
}

pub(super) const CACHE_KEYS: &[&str] = &["body_limit"];

pub(super) fn read_cache(
    r: &mut TableReader<'_, '_>,
    problems: &mut Problems,
) -> super::CacheConfig {
    let defaults = super::CacheConfig::default();
    let body_limit = r.text("body_limit", problems).and_then(|f| {
        let size = super::parse_size(f.value);
        if size.is_none() {
            let message = "must be a size such as \"500MB\" or \"2GB\"";
            problems.at(&f.span, &r.key_path("body_limit"), message);
        }
        size
    });
    super::CacheConfig {
        body_limit: body_limit.unwrap_or(defaults.body_limit),
    }
}

/// Anything that looks like a path is a file; otherwise it must be a built-in name.
fn builtin_or_file(
    r: &TableReader<'_, '_>,
    key: &str,
    field: &Field<&str>,
    builtins: &[&str],
    ctx: &Context<'_>,
    problems: &mut Problems,
) -> Option<BuiltinOrFile> {
    let value = field.value;
    let looks_like_path =
        value.contains('/') || value.starts_with(['~', '.']) || value.ends_with(".toml");
    if looks_like_path {
        let path = ctx.existing_file(field, &r.key_path(key), problems)?;
        return Some(BuiltinOrFile::File(path));
    }
    if builtins.contains(&value) {
        return Some(BuiltinOrFile::Builtin(value.to_string()));
    }
    let message = format!(
        "unknown {key} \"{}\", expected one of {} or a path to a file",
        value.escape_debug(),
        super::error::quote_list(builtins)
    );
    problems.at(&field.span, &r.key_path(key), message);
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::error::ConfigError;
    use super::super::load::parse;
    use super::*;

    const ACCOUNT: &str = "[[accounts]]\nname = \"w\"\nhost = \"h\"\nusername = \"u\"\n\
                           password_command = \"p\"\n";

    fn ui(lines: &str) -> Result<UiConfig, Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        let text = format!("{ACCOUNT}[ui]\n{lines}\n");
        match parse(&text, &file, Some(dir.path())) {
            Ok(config) => Ok(config.ui),
            Err(ConfigError::Invalid { problems, .. }) => {
                Err(problems.iter().map(|p| p.render(Path::new("c"))).collect())
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn new_mail_hook_notification_tagging_and_downloads_are_read() {
        let d = ui("").unwrap();
        assert!(d.new_mail_command.is_empty());
        assert_eq!(d.new_mail_notify, TerminalNotify::Off);
        assert_eq!(d.new_mail_folders, ["INBOX"]);
        assert!(d.tag_advances);
        assert_eq!(d.download_dir, None);
        let c = ui("new_mail_command = [\"notify-send\", \"{subject}\"]\n\
                    new_mail_notify = \"osc777\"\nnew_mail_folders = [\"INBOX\", \"Lists/dev\"]\n\
                    tag_advances = false\ndownload_dir = \"~\"")
        .unwrap();
        assert_eq!(c.new_mail_command, ["notify-send", "{subject}"]);
        assert_eq!(c.new_mail_notify, TerminalNotify::Osc777);
        assert_eq!(c.new_mail_folders, ["INBOX", "Lists/dev"]);
        assert!(!c.tag_advances);
        assert!(c.download_dir.is_some(), "~ is a directory");
    }

    #[test]
    fn wrong_shapes_are_reported_with_the_key() {
        let problems = ui(
            "new_mail_command = \"notify-send tern\"\nnew_mail_notify = \"yes\"\n\
                           new_mail_folders = [1]\ndownload_dir = \"~/no/such/dir\"",
        )
        .unwrap_err()
        .join("\n");
        assert!(
            problems.contains("ui.new_mail_command: expected a list of strings, found string"),
            "{problems}"
        );
        assert!(
            problems.contains("ui.new_mail_notify: unknown value \"yes\""),
            "{problems}"
        );
        assert!(
            problems.contains("ui.new_mail_folders: expected a list of strings"),
            "{problems}"
        );
        assert!(
            problems.contains("ui.download_dir: no such directory"),
            "{problems}"
        );
    }
}
