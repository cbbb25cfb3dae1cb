//! The `[ui]` and `[sync]` tables; every key is optional and falls back to the defaults.

use std::time::Duration;

use super::load::Context;
use super::reader::{Field, Problems, TableReader};
use super::{BUILTIN_KEYMAPS, BUILTIN_THEMES, BuiltinOrFile, SyncConfig, UiConfig};

pub(super) const UI_KEYS: &[&str] = &[
    "keymap",
    "theme",
    "mark_read_after_ms",
    "threads",
    "new_mail_bell",
    "new_mail_title",
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
    }
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
