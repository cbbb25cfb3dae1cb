//! The journal's rows: an entry's explicit columns and its (source, target) UID pairs,
//! written and read back as a `JournalOp`. Shared by the writer and the migration.

use rusqlite::{Connection, params};

use super::{JournalEntry, JournalOp, parse_uids};
use crate::domain::uidset::UidSet;
use crate::store::FolderId;
use crate::store::error::{Result, StoreError};

use super::PLACEHOLDER_BASE;

/// What a new row holds besides its action.
pub(super) struct NewRow<'a> {
    pub id: Option<i64>,
    pub folder_id: FolderId,
    pub uidvalidity: u32,
    pub uids: &'a str,
    pub state: &'a str,
    pub failure: Option<&'a str>,
    pub reported: bool,
    pub created_at: i64,
}

/// The columns that carry an action.
#[derive(Default)]
struct Columns {
    kind: Option<&'static str>,
    flags_add: String,
    flags_remove: String,
    target: Option<String>,
    target_uidvalidity: Option<u32>,
    sent_uidnext: Option<u32>,
    spare: String,
    pairs: Vec<(u32, u32)>,
}

fn columns(op: Option<&JournalOp>) -> Columns {
    match op {
        None => Columns::default(),
        Some(JournalOp::Flags { add, remove }) => Columns {
            kind: Some("flags"),
            flags_add: add.join(" "),
            flags_remove: remove.join(" "),
            ..Columns::default()
        },
        Some(JournalOp::Move {
            to,
            copy,
            placeholders,
            landed_in,
            sent_uidnext,
            spare,
        }) => Columns {
            kind: Some(if *copy { "copy" } else { "move" }),
            target: Some(to.clone()),
            target_uidvalidity: *landed_in,
            sent_uidnext: *sent_uidnext,
            spare: spare.to_string(),
            pairs: placeholders.clone(),
            ..Columns::default()
        },
        Some(JournalOp::Expunge { spare }) => Columns {
            kind: Some("expunge"),
            spare: spare.to_string(),
            ..Columns::default()
        },
    }
}

/// Inserts an entry (`op` None: an old entry that could not be read, stored failed).
pub(super) fn insert(conn: &Connection, row: &NewRow<'_>, op: Option<&JournalOp>) -> Result<i64> {
    let c = columns(op);
    conn.prepare_cached(
        "INSERT INTO journal (id, folder_id, uidvalidity, uids, kind, flags_add, flags_remove,
             target, target_uidvalidity, sent_uidnext, spare, state, failure, reported, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        row.id,
        row.folder_id,
        row.uidvalidity,
        row.uids,
        c.kind,
        c.flags_add,
        c.flags_remove,
        c.target,
        c.target_uidvalidity,
        c.sent_uidnext,
        c.spare,
        row.state,
        row.failure,
        row.reported,
        row.created_at,
    ])?;
    let id = conn.last_insert_rowid();
    write_pairs(conn, id, &c.pairs)?;
    Ok(id)
}

/// Rewrites what a move or copy remembers (notes taken while sending it); the kind stays.
pub(super) fn update_notes(conn: &Connection, id: i64, op: &JournalOp) -> Result<()> {
    let c = columns(Some(op));
    conn.prepare_cached(
        "UPDATE journal SET target_uidvalidity = ?2, sent_uidnext = ?3, spare = ?4 WHERE id = ?1",
    )?
    .execute(params![id, c.target_uidvalidity, c.sent_uidnext, c.spare])?;
    conn.prepare_cached("DELETE FROM journal_pairs WHERE entry_id = ?1")?
        .execute([id])?;
    write_pairs(conn, id, &c.pairs)
}

fn write_pairs(conn: &Connection, id: i64, pairs: &[(u32, u32)]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO journal_pairs (entry_id, source_uid, target_uid, placeholder)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for &(source, target) in pairs {
        stmt.execute(params![id, source, target, target >= PLACEHOLDER_BASE])?;
    }
    Ok(())
}

/// Entries with their state, oldest first: the entry `id`, or (None) every entry still
/// waiting for the server. An entry this build cannot read is an error, never skipped.
pub(super) fn entries(conn: &Connection, id: Option<i64>) -> Result<Vec<(JournalEntry, String)>> {
    type Raw = (
        (i64, i64, String, u32, String, Option<String>),
        (
            String,
            String,
            Option<String>,
            Option<u32>,
            Option<u32>,
            String,
        ),
        (i64, String),
    );
    let mut stmt = conn.prepare_cached(
        "SELECT j.id, j.folder_id, f.name, j.uidvalidity, j.uids, j.kind,
                j.flags_add, j.flags_remove, j.target, j.target_uidvalidity, j.sent_uidnext,
                j.spare, j.created_at, j.state
         FROM journal AS j JOIN folders AS f ON f.id = j.folder_id
         WHERE (?1 IS NULL AND j.state IN ('pending', 'sending')) OR j.id = ?1
         ORDER BY j.id",
    )?;
    let rows: Vec<Raw> = stmt
        .query_map([id], |r| {
            Ok((
                (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ),
                (
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ),
                (r.get(12)?, r.get(13)?),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (
        (id, folder_id, folder, uidvalidity, uids, kind),
        (add, remove, target, landed_in, sent_uidnext, spare),
        (created_at, state),
    ) in rows
    {
        let unreadable = |what: &str| StoreError::Corrupt {
            path: std::path::PathBuf::from("journal"),
            reason: format!("unreadable journal entry {id}: {what}"),
        };
        let uids = parse_uids(&uids).ok_or_else(|| unreadable("its UIDs"))?;
        let spare = parse_uids(&spare).ok_or_else(|| unreadable("its spared UIDs"))?;
        let words = |text: &str| text.split_whitespace().map(str::to_string).collect();
        let op = match (kind.as_deref(), target) {
            (Some("flags"), _) => JournalOp::Flags {
                add: words(&add),
                remove: words(&remove),
            },
            (Some(kind @ ("move" | "copy")), Some(to)) => JournalOp::Move {
                to,
                copy: kind == "copy",
                placeholders: pairs(conn, id)?,
                landed_in,
                sent_uidnext,
                spare,
            },
            (Some("expunge"), _) => JournalOp::Expunge { spare },
            _ => return Err(unreadable("its kind")),
        };
        let entry = JournalEntry {
            id,
            folder_id,
            folder,
            uidvalidity,
            uids,
            op,
            created_at,
        };
        out.push((entry, state));
    }
    Ok(out)
}

fn pairs(conn: &Connection, id: i64) -> Result<Vec<(u32, u32)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT source_uid, target_uid FROM journal_pairs WHERE entry_id = ?1 ORDER BY rowid",
    )?;
    let pairs = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(pairs)
}

/// UIDs of entries still waiting in a folder (`flags_only`: flag changes only).
pub(super) fn waiting_uids(
    conn: &Connection,
    folder: FolderId,
    uidvalidity: u32,
    flags_only: bool,
) -> Result<UidSet> {
    let mut stmt = conn.prepare_cached(
        "SELECT uids FROM journal
         WHERE folder_id = ?1 AND uidvalidity = ?2 AND state IN ('pending', 'sending')
           AND (NOT ?3 OR kind = 'flags')",
    )?;
    let texts: Vec<String> = stmt
        .query_map(params![folder, uidvalidity, flags_only], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut set = UidSet::new();
    for text in texts {
        for &(lo, hi) in parse_uids(&text).unwrap_or_default().ranges() {
            set.insert_range(lo, hi);
        }
    }
    Ok(set)
}
