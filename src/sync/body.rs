//! Message bodies: fetched with BODY.PEEK (never setting \Seen), kept in the cache, and
//! served from it afterwards.

use super::error::Result;
use crate::imap::{FetchItem, ImapClient, ImapError, Update};
use crate::store::Store;

/// The raw message from the cache, or fetched (folder must exist in the cache) and stored.
/// Examines the folder (read-only) when it is not the selected one.
pub async fn fetch_body(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    uid: u32,
) -> Result<Vec<u8>> {
    let reader = store.reader()?;
    let state = reader.folder(folder)?.ok_or_else(|| {
        ImapError::protocol(format!("{folder} is not in the cache; sync it first"))
    })?;
    let uidvalidity = state
        .uidvalidity
        .ok_or_else(|| ImapError::protocol(format!("{folder} has not been synced yet")))?;
    if let Some(body) = reader.body(state.id, uidvalidity, uid)? {
        return Ok(body);
    }
    if client.selected().map(|(name, _)| name) != Some(folder) {
        let info = client.select(folder, true, None, &mut |_| {}).await?;
        if info.uid_validity != Some(uidvalidity) {
            return Err(ImapError::protocol(format!(
                "{folder} changed on the server (UIDVALIDITY); sync it again"
            ))
            .into());
        }
    }
    let mut body = None;
    let mut unparsed = None;
    client
        .uid_fetch(
            &uid.to_string(),
            &[FetchItem::Uid, FetchItem::FullBody],
            None,
            &mut |u| match u {
                Update::Fetch(fetch) if fetch.uid == Some(uid) && fetch.body.is_some() => {
                    body = fetch.body;
                }
                Update::Unparsed(preview) => {
                    unparsed.get_or_insert(preview);
                }
                _ => {}
            },
        )
        .await?;
    let body = body.ok_or_else(|| match unparsed {
        // The server did answer, in a form we cannot read: not the same as "gone".
        Some(preview) => ImapError::protocol(format!(
            "the server's answer for message {uid} in {folder} cannot be parsed: {preview}"
        )),
        None => ImapError::new(
            crate::imap::ErrorKind::Command,
            format!("message {uid} is no longer in {folder}"),
        ),
    })?;
    let stored = body.clone();
    let id = state.id;
    store
        .write_async(move |tx| tx.put_body(id, uidvalidity, uid, &stored))
        .await?;
    Ok(body)
}

/// Bodies of the newest `count` messages of `folder` that are not cached yet, for offline
/// reading. The folder must be selected.
pub async fn prefetch_bodies(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    count: u32,
) -> Result<usize> {
    if count == 0 {
        return Ok(0);
    }
    let reader = store.reader()?;
    let Some(state) = reader.folder(folder)? else {
        return Ok(0);
    };
    let Some(uidvalidity) = state.uidvalidity else {
        return Ok(0);
    };
    let rows = reader.window(
        state.id,
        crate::store::SortOrder::DateDesc,
        crate::store::Window::Offset(0),
        count,
    )?;
    let mut wanted = Vec::new();
    for row in rows {
        if !reader.has_body(state.id, uidvalidity, row.uid)? {
            wanted.push(row.uid);
        }
    }
    if wanted.is_empty() {
        return Ok(0);
    }
    let set: crate::domain::uidset::UidSet = wanted.into_iter().collect();
    let mut bodies = Vec::new();
    client
        .uid_fetch(
            &set.to_string(),
            &[FetchItem::Uid, FetchItem::FullBody],
            None,
            &mut |u| {
                if let Update::Fetch(fetch) = u
                    && let (Some(uid), Some(body)) = (fetch.uid, fetch.body)
                {
                    bodies.push((uid, body));
                }
            },
        )
        .await?;
    let fetched = bodies.len();
    let id = state.id;
    store
        .write_async(move |tx| {
            for (uid, body) in &bodies {
                tx.put_body(id, uidvalidity, *uid, body)?;
            }
            Ok(())
        })
        .await?;
    Ok(fetched)
}
