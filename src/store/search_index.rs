//! Keeping the full-text index in step with cached bodies. Header tokens are the triggers'
//! job (migration 0006); body text needs the MIME renderer, so it is indexed here, by the
//! writer, in the transaction that stores the body.

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

/// Replaces the message's document with its header tokens plus `body`. A message not in
/// the cache has no document and is left alone.
pub(crate) fn index_body(
    tx: &Transaction<'_>,
    folder: FolderId,
    uidvalidity: u32,
    uid: u32,
    body: &str,
) -> Result<()> {
    let headers = tx
        .prepare_cached(
            "SELECT subject, concat_ws(' ', from_name, from_addr), to_addrs, cc_addrs
             FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
        )?
        .query_row(params![folder, uidvalidity, uid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    let Some((subject, sender, recipients, cc)) = headers else {
        return Ok(());
    };
    tx.prepare_cached(
        "REPLACE INTO search_text (rowid, subject, sender, recipients, cc, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        docid(folder, uid),
        subject,
        sender,
        recipients,
        cc,
        body
    ])?;
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

/// Migration 6's Rust step: bodies cached by an older tern get their text indexed.
pub(crate) fn index_cached_bodies(tx: &Transaction<'_>) -> Result<()> {
    let bodies: Vec<(FolderId, u32, u32, Vec<u8>)> = tx
        .prepare("SELECT folder_id, uidvalidity, uid, raw FROM bodies")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (folder, uidvalidity, uid, raw) in bodies {
        index_body(tx, folder, uidvalidity, uid, &body_text(&raw))?;
    }
    Ok(())
}
