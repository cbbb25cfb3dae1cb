//! Keeping the full-text index in step with cached bodies. Header tokens are the triggers'
//! job (`search_text`, migration 0008); body text needs the MIME renderer, so it is indexed
//! here (`search_bodies`), by the writer, in the transaction that stores the body.

use rusqlite::{OptionalExtension, Transaction, params};

use super::FolderId;
use super::error::Result;

/// Wide enough that wrapping never splits a word.
const INDEX_WIDTH: usize = 1000;

/// The words of a message worth finding: its body text and its attachments' names.
pub(crate) fn body_text(raw: &[u8]) -> String {
    let rendered = crate::domain::mime::render(raw, INDEX_WIDTH);
    let mut text = String::new();
    for line in &rendered.body {
        text.push_str(&line.text);
        text.push('\n');
    }
    for attachment in &rendered.attachments {
        text.push_str(&attachment.filename);
        text.push('\n');
    }
    text
}

/// The document id of a message (see migration 0006).
pub(crate) fn docid(folder: FolderId, uid: u32) -> i64 {
    (folder << 32) | i64::from(uid)
}

/// Indexes the headers of a row just inserted. Done here, not by a trigger, so that the
/// row's INSERT needs no statement savepoint (see `write::INSERT_ROW`). The sender is
/// built as migration 0008's triggers build it: their 'delete' must give the same tokens.
pub(crate) fn index_new_row(
    tx: &Transaction<'_>,
    folder: FolderId,
    row: &super::thread::NewRow<'_>,
) -> Result<()> {
    let h = &row.msg.headers;
    tx.prepare_cached(
        "INSERT INTO search_text (rowid, subject, sender, recipients, cc)
         VALUES (?1, ?2, concat_ws(' ', ?3, ?4), ?5, ?6)",
    )?
    .execute(params![
        docid(folder, row.msg.uid),
        h.subject,
        h.from_name,
        h.from_addr,
        h.to,
        h.cc
    ])?;
    Ok(())
}

/// Replaces the message's body document with `body`. A message not in the cache gets no
/// document: nothing would delete it.
pub(crate) fn index_body(
    tx: &Transaction<'_>,
    folder: FolderId,
    uidvalidity: u32,
    uid: u32,
    body: &str,
) -> Result<()> {
    let cached = tx
        .prepare_cached(
            "SELECT 1 FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
        )?
        .query_row(params![folder, uidvalidity, uid], |_| Ok(()))
        .optional()?;
    if cached.is_none() {
        return Ok(());
    }
    tx.prepare_cached("REPLACE INTO search_bodies (rowid, body) VALUES (?1, ?2)")?
        .execute(params![docid(folder, uid), body])?;
    Ok(())
}

/// A text part stored on its own (the reader fetches only what it shows): its text is the
/// message's body text, plus the names of the message's attachments. Other sections
/// (the header, attachments) leave the document as it is.
pub(crate) fn index_text_section(
    tx: &Transaction<'_>,
    folder: FolderId,
    uidvalidity: u32,
    uid: u32,
    new: &super::parts::NewSection<'_>,
) -> Result<()> {
    let Some(structure) = super::parts::stored_structure(tx, folder, uidvalidity, uid)? else {
        return Ok(());
    };
    let parts = structure.parts;
    let Some(part) = parts
        .iter()
        .find(|p| p.section == new.section && p.mime_type == "text")
    else {
        return Ok(());
    };
    let as_sent = part.as_cached(new.decoded);
    let raw = crate::domain::parts::one_part_message(b"", &as_sent, new.data, new.partial);
    let mut text = body_text(&raw);
    for name in parts
        .iter()
        .filter_map(|p| p.filename.as_ref().or(p.name.as_ref()))
    {
        text.push_str(name);
        text.push('\n');
    }
    index_body(tx, folder, uidvalidity, uid, &text)
}

/// Migration 8's Rust step: the body index starts empty, so the text of every cached
/// whole body and text part is indexed again (the header index is filled by its SQL).
/// One body in memory at a time: the body cache may be large.
pub(crate) fn index_cached_text(tx: &Transaction<'_>) -> Result<()> {
    let keys: Vec<(FolderId, u32, u32)> = tx
        .prepare("SELECT folder_id, uidvalidity, uid FROM bodies")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (folder, uidvalidity, uid) in keys {
        let raw: Vec<u8> = tx
            .prepare_cached(
                "SELECT raw FROM bodies WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .query_row(params![folder, uidvalidity, uid], |r| r.get(0))?;
        index_body(tx, folder, uidvalidity, uid, &body_text(&raw))?;
    }
    let sections: Vec<(FolderId, u32, u32, String)> = tx
        .prepare("SELECT folder_id, uidvalidity, uid, section FROM part_bodies ORDER BY last_used")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (folder, uidvalidity, uid, section) in sections {
        let (partial, decoded, data): (bool, bool, Vec<u8>) = tx
            .prepare_cached(
                "SELECT partial, decoded, data FROM part_bodies
                 WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3 AND section = ?4",
            )?
            .query_row(params![folder, uidvalidity, uid, section], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        let new = super::parts::NewSection {
            section: &section,
            data: &data,
            partial,
            decoded,
        };
        index_text_section(tx, folder, uidvalidity, uid, &new)?;
    }
    Ok(())
}
