//! Message bodies: fetched with BODY.PEEK (never setting \Seen), kept in the cache, and
//! served from it afterwards.

use super::error::Result;
use crate::config::Prefetch;
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
    {
        let reader = store.reader()?;
        if let Some(state) = reader.folder(folder)?
            && let Some(validity) = state.uidvalidity
            && let Some(body) = reader.body(state.id, validity, uid)?
        {
            return Ok(body);
        }
    }
    let (id, uidvalidity) = super::parts::select_cached(client, store, folder).await?;
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
    store
        .write_async(move |tx| tx.put_body(id, uidvalidity, uid, &stored))
        .await?;
    Ok(body)
}

/// Bodies fetched per round: a command from the UI waits for one round at most.
pub const PREFETCH_BATCH: usize = 25;

/// One prefetch round: how many bodies came in, how many wanted ones are still missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prefetched {
    pub fetched: usize,
    pub missing: usize,
}

/// For offline reading: one round (at most `batch`) of the bodies `prefetch` asks for in
/// `folder` that are not cached yet, newest first. The folder must be selected.
pub async fn prefetch_bodies(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    prefetch: Prefetch,
    batch: usize,
) -> Result<Prefetched> {
    if prefetch.messages == 0 {
        return Ok(Prefetched::default());
    }
    let reader = store.reader()?;
    let Some(state) = reader.folder(folder)? else {
        return Ok(Prefetched::default());
    };
    let Some(uidvalidity) = state.uidvalidity else {
        return Ok(Prefetched::default());
    };
    let rows = reader.window(
        state.id,
        crate::store::SortOrder::DateDesc,
        crate::store::Window::Offset(0),
        prefetch.messages,
    )?;
    let since = (prefetch.days > 0).then(|| now() - i64::from(prefetch.days) * 86_400);
    let mut wanted = Vec::new();
    for row in rows {
        if since.is_some_and(|since| row.date < since) {
            break;
        }
        if !reader.shown_ready(state.id, uidvalidity, row.uid)? {
            wanted.push(row.uid);
        }
    }
    let missing = wanted.len();
    wanted.truncate(batch);
    if wanted.is_empty() {
        return Ok(Prefetched::default());
    }
    // Only what opening them would fetch: structures in one command, then each
    // message's header and text part.
    let unknown: crate::domain::uidset::UidSet = wanted
        .iter()
        .copied()
        .filter(|&uid| matches!(reader.structure(state.id, uidvalidity, uid), Ok(None)))
        .collect();
    drop(reader);
    if !unknown.is_empty() {
        let mut structures = Vec::new();
        client
            .uid_fetch(
                &unknown.to_string(),
                &[FetchItem::Uid, FetchItem::BodyStructure],
                None,
                &mut |u| {
                    if let Update::Fetch(fetch) = u
                        && let (Some(uid), Some(structure)) = (fetch.uid, fetch.structure)
                    {
                        structures.push((uid, structure));
                    }
                },
            )
            .await?;
        let id = state.id;
        store
            .write_async(move |tx| {
                for (uid, structure) in &structures {
                    tx.put_structure(id, uidvalidity, *uid, structure)?;
                }
                Ok(())
            })
            .await?;
    }
    let mut fetched = 0;
    for uid in wanted {
        match super::parts::fetch_display(client, store, folder, uid).await {
            Ok(()) => fetched += 1,
            Err(err) if err.is_transient() => return Err(err),
            Err(err) => tracing::debug!(uid, "not fetched ahead: {err}"),
        }
    }
    Ok(Prefetched {
        fetched,
        missing: missing - fetched.min(missing),
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
