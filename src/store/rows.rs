//! Row <-> type mapping shared by the reader and the writer.

use rusqlite::Row;

use super::FolderState;
use crate::domain::message::{Flags, MessageRow};

pub(crate) const FOLDER_COLUMNS: &str = "id, name, role, delimiter, uidvalidity, uidnext, \
     highestmodseq, messages, unseen, synced_at, complete, oldest_uid, selectable, last_error, subscribed";

pub(crate) fn folder(r: &Row<'_>) -> rusqlite::Result<FolderState> {
    let delimiter: Option<String> = r.get(3)?;
    Ok(FolderState {
        id: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        delimiter: delimiter.and_then(|d| d.chars().next()),
        uidvalidity: r.get(4)?,
        uidnext: r.get(5)?,
        highestmodseq: r.get::<_, Option<i64>>(6)?.map(modseq_from_sql),
        messages: r.get(7)?,
        unseen: r.get(8)?,
        synced_at: r.get(9)?,
        complete: r.get(10)?,
        oldest_uid: r.get(11)?,
        selectable: r.get(12)?,
        last_error: r.get(13)?,
        subscribed: r.get(14)?,
    })
}

/// Columns of `messages` in the order `message` reads them; prefix with `m.` via `MESSAGE_COLUMNS_M`.
pub(crate) const MESSAGE_COLUMNS: &str = "uid, uidvalidity, date, from_name, from_addr, to_addrs, \
     cc_addrs, subject, message_id, in_reply_to, refs, sys_flags, keywords, size, modseq, \
     has_attachment, thread_id, depth";

pub(crate) const MESSAGE_COLUMNS_M: &str = "m.uid, m.uidvalidity, m.date, m.from_name, \
     m.from_addr, m.to_addrs, m.cc_addrs, m.subject, m.message_id, m.in_reply_to, m.refs, \
     m.sys_flags, m.keywords, m.size, m.modseq, m.has_attachment, m.thread_id, m.depth";

pub(crate) fn message(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    message_from(r, 0)
}

/// `message` for a row whose message columns start at column `at`.
pub(crate) fn message_from(r: &Row<'_>, at: usize) -> rusqlite::Result<MessageRow> {
    let refs: String = r.get(at + 10)?;
    let references: Vec<String> = refs.split_whitespace().map(str::to_string).collect();
    let keywords: String = r.get(at + 12)?;
    Ok(MessageRow {
        uid: r.get(at)?,
        uidvalidity: r.get(at + 1)?,
        date: r.get(at + 2)?,
        from_name: r.get(at + 3)?,
        from_addr: r.get(at + 4)?,
        to: r.get(at + 5)?,
        cc: r.get(at + 6)?,
        subject: r.get(at + 7)?,
        message_id: r.get(at + 8)?,
        in_reply_to: in_reply_to_from_sql(r.get(at + 9)?, &references),
        references,
        flags: Flags::from_parts(r.get(at + 11)?, &keywords),
        size: r.get(at + 13)?,
        modseq: r.get::<_, Option<i64>>(at + 14)?.map(modseq_from_sql),
        has_attachment: r.get(at + 15)?,
        thread_id: r.get(at + 16)?,
        depth: r.get(at + 17)?,
    })
}

/// In-Reply-To as stored: '' when it is the last References id, as in most replies,
/// which `refs` already holds (schema 8 on; older rows spell it out, and both read back
/// the same). An empty id is no id.
pub(crate) fn in_reply_to_to_sql<'a>(
    in_reply_to: Option<&'a str>,
    references: &[String],
) -> Option<&'a str> {
    match in_reply_to {
        Some("") => None,
        Some(id) if references.last().is_some_and(|last| last == id) => Some(""),
        other => other,
    }
}

/// The stored In-Reply-To read back (see `in_reply_to_to_sql`).
pub(crate) fn in_reply_to_from_sql(
    stored: Option<String>,
    references: &[String],
) -> Option<String> {
    match stored.as_deref() {
        Some("") => references.last().cloned(),
        _ => stored,
    }
}

/// MODSEQ is at most 2^63-1 (RFC 7162), so it fits SQLite's i64.
pub(crate) fn modseq_to_sql(m: u64) -> super::Result<i64> {
    i64::try_from(m).map_err(|_| super::StoreError::Invalid(format!("MODSEQ {m} above 2^63-1")))
}

fn modseq_from_sql(m: i64) -> u64 {
    u64::try_from(m).unwrap_or(0)
}
