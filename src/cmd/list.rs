//! `tern list`: messages from the cache only, newest first, so it works offline.

use serde::Serialize;

use crate::domain::message::MessageRow;
use crate::domain::text::{display_width, sanitize};
use crate::store::{Reader, SortOrder, Window};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ListedMessage {
    pub uid: u32,
    /// RFC 3339, UTC.
    pub date: String,
    pub from: String,
    pub subject: String,
    pub flags: Vec<String>,
    pub size: u32,
    pub thread: i64,
}

pub fn rows(
    reader: &Reader,
    folder: &str,
    limit: u32,
    threads: bool,
) -> anyhow::Result<Vec<MessageRow>> {
    let state = reader.folder(folder)?.ok_or_else(|| {
        anyhow::anyhow!("{folder} is not in the cache; run `tern sync --folder {folder}`")
    })?;
    let sort = if threads {
        SortOrder::Threaded
    } else {
        SortOrder::DateDesc
    };
    Ok(reader.window(state.id, sort, Window::Offset(0), limit)?)
}

pub fn to_listed(row: &MessageRow) -> ListedMessage {
    ListedMessage {
        uid: row.uid,
        date: rfc3339(row.date),
        from: sanitize(row.sender()),
        subject: sanitize(&row.subject),
        flags: row.flags.to_imap(),
        size: row.size,
        thread: row.thread_id,
    }
}

pub fn to_json(rows: &[MessageRow]) -> String {
    let listed: Vec<ListedMessage> = rows.iter().map(to_listed).collect();
    crate::domain::text::json_safe(
        &serde_json::to_string_pretty(&listed).unwrap_or_else(|_| "[]".to_string()),
    )
}

pub fn to_text(rows: &[MessageRow], threads: bool) -> String {
    let mut out = String::new();
    for row in rows {
        let listed = to_listed(row);
        let marks = format!(
            "{}{}",
            if row.flags.seen() { ' ' } else { 'N' },
            if row.flags.flagged() { '*' } else { ' ' }
        );
        let indent = if threads && row.depth > 0 {
            format!(
                "{}└─ ",
                "  ".repeat(row.depth.saturating_sub(1).min(8) as usize)
            )
        } else {
            String::new()
        };
        let from = truncate(&listed.from, 22);
        let pad = 22usize.saturating_sub(display_width(&from));
        out.push_str(&format!(
            "{:>7} {marks} {} {from}{:pad$}  {indent}{}\n",
            row.uid,
            &listed.date[..16.min(listed.date.len())].replace('T', " "),
            "",
            listed.subject
        ));
    }
    out
}

fn truncate(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// Unix seconds to `YYYY-MM-DDTHH:MM:SSZ` without a date crate.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
