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

/// Replaces the message's document with its header tokens plus `body`. A message not in
/// the cache has no document and is left alone.
pub(crate) fn index_body(
    tx: &Transaction<'_>,
    folder: FolderId,
    uidvalidity: u32,
    uid: u32,
    body: &str,
) -> Result<()> {
    let doc = tx
        .prepare_cached(
            "SELECT d.docid, m.subject, concat_ws(' ', m.from_name, m.from_addr), m.to_addrs,
                    m.cc_addrs
             FROM search_docs d JOIN messages m ON m.folder_id = d.folder_id
                 AND m.uidvalidity = d.uidvalidity AND m.uid = d.uid
             WHERE d.folder_id = ?1 AND d.uidvalidity = ?2 AND d.uid = ?3",
        )?
        .query_row(params![folder, uidvalidity, uid], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?;
    let Some((docid, subject, sender, recipients, cc)) = doc else {
        return Ok(());
    };
    tx.prepare_cached("DELETE FROM search_text WHERE rowid = ?1")?
        .execute([docid])?;
    tx.prepare_cached(
        "INSERT INTO search_text (rowid, subject, sender, recipients, cc, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![docid, subject, sender, recipients, cc, body])?;
    Ok(())
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
