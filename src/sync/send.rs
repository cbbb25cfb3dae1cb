//! Sending one journal entry so that it takes effect exactly once, even when an earlier
//! attempt's reply was lost (killed, or the connection dropped before the OK):
//! - flags are deltas and UID MOVE of messages already gone does nothing, so both are
//!   simply sent again;
//! - a COPY (also the first half of a move without MOVE) notes the target's UIDNEXT before
//!   it is sent; sent again, it first looks there for copies that already arrived (same
//!   Message-ID) and copies only the rest;
//! - a plain EXPUNGE (no UIDPLUS) writes down the other `\Deleted` messages it unmarks
//!   before unmarking them, so a crash cannot make them lose that mark for good.
//!
//! And never to the wrong messages: before anything is sent, the UIDVALIDITY of the
//! selected folder (whoever selected it) must be the one the entry was made under.

use super::apply::apply_updates;
use super::error::{Result, SyncError};
use crate::domain::uidset::UidSet;
use crate::imap::{ErrorKind, FetchItem, ImapClient, ImapError, StoreMode, Update};
use crate::store::{JournalEntry, JournalOp, Store};

/// Where a move or copy put the messages: UIDVALIDITY of the target, (source, target) UIDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    pub uid_validity: u32,
    pub pairs: Vec<(u32, u32)>,
}

/// Sends one entry; for a move or copy, returns where the messages landed when the server
/// said so.
pub(super) async fn send(
    client: &mut ImapClient,
    store: &Store,
    entry: &JournalEntry,
) -> Result<Option<Landed>> {
    if client.selected() == Some((entry.folder.as_str(), false)) {
        // Selected by someone else (a sync): its UIDVALIDITY is checked all the same.
        same_folder(client, store, entry).await?;
    } else {
        select_source(client, store, entry).await?;
    }
    // Notes taken while sending accumulate here as they are written to the journal.
    let entry = &mut entry.clone();
    let uids = entry.uids.to_string();
    // Pushes during the commands are applied too; the journal still shields our own UIDs.
    let mut updates = Vec::new();
    let mut landed = None;
    match entry.op.clone() {
        JournalOp::Flags { add, remove } => {
            if !add.is_empty() {
                client
                    .uid_store(&uids, StoreMode::Add, &add, None, &mut |u| updates.push(u))
                    .await?;
            }
            if !remove.is_empty() {
                client
                    .uid_store(&uids, StoreMode::Remove, &remove, None, &mut |u| {
                        updates.push(u)
                    })
                    .await?;
            }
        }
        JournalOp::Move { to, copy, .. } if !copy && client.has_capability("MOVE") => {
            landed = client
                .uid_move(&uids, &to, &mut |u| updates.push(u))
                .await?
                .map(|r| Landed {
                    uid_validity: r.uid_validity,
                    pairs: r.pairs(),
                });
        }
        JournalOp::Move { copy, .. } => {
            landed = copy_once(client, store, entry, &mut updates).await?;
            if !copy {
                delete_exactly(client, store, entry, &mut updates).await?;
            }
        }
        JournalOp::Expunge { .. } => delete_exactly(client, store, entry, &mut updates).await?,
    }
    let (folder, uidvalidity) = (entry.folder_id, entry.uidvalidity);
    store
        .write_async(move |tx| apply_updates(tx, folder, uidvalidity, &updates).map(drop))
        .await?;
    Ok(landed)
}

/// Refuses unless the selected folder still has the entry's UIDVALIDITY. When it changed,
/// every waiting entry of that folder is failed (their UIDs name other messages now).
async fn same_folder(client: &ImapClient, store: &Store, entry: &JournalEntry) -> Result<()> {
    match client.selected_uid_validity() {
        Some(now) if now == entry.uidvalidity => Ok(()),
        Some(now) => {
            let folder_id = entry.folder_id;
            let dropped = store
                .write_async(move |tx| tx.journal_drop_stale(folder_id, now))
                .await?;
            Err(SyncError::FolderRecreated {
                folder: entry.folder.clone(),
                dropped,
            })
        }
        None => Err(ImapError::new(
            ErrorKind::Command,
            format!("the server gave no UIDVALIDITY for {}", entry.folder),
        )
        .into()),
    }
}

/// SELECTs the entry's folder, refusing when it is no longer the same folder.
async fn select_source(client: &mut ImapClient, store: &Store, entry: &JournalEntry) -> Result<()> {
    let mut updates = Vec::new();
    client
        .select(&entry.folder, false, None, &mut |u| updates.push(u))
        .await?;
    // The UIDs name other messages after a change: never apply the action to them.
    same_folder(client, store, entry).await?;
    let (folder, uidvalidity) = (entry.folder_id, entry.uidvalidity);
    store
        .write_async(move |tx| apply_updates(tx, folder, uidvalidity, &updates).map(drop))
        .await?;
    Ok(())
}

/// UID COPY of the entry's messages that are not in the target yet.
async fn copy_once(
    client: &mut ImapClient,
    store: &Store,
    entry: &mut JournalEntry,
    updates: &mut Vec<Update>,
) -> Result<Option<Landed>> {
    let JournalOp::Move {
        to, sent_uidnext, ..
    } = entry.op.clone()
    else {
        return Ok(None);
    };
    let mut todo = entry.uids.clone();
    let mut earlier: Option<Landed> = None;
    match sent_uidnext {
        Some(since) => {
            let found = copies_since(client, store, entry, &to, since).await?;
            todo = todo
                .iter()
                .filter(|uid| !found.pairs.iter().any(|(s, _)| s == uid))
                .collect();
            earlier = Some(found);
        }
        None => {
            let uidnext = client.status(&to, &mut |u| updates.push(u)).await?.uid_next;
            note(store, entry, |op| {
                if let JournalOp::Move { sent_uidnext, .. } = op {
                    *sent_uidnext = uidnext;
                }
            })
            .await?;
        }
    }
    let copied = if todo.is_empty() {
        None
    } else {
        client
            .uid_copy(&todo.to_string(), &to, &mut |u| updates.push(u))
            .await?
    };
    Ok(match (copied, earlier) {
        (Some(now), Some(mut before)) if now.uid_validity == before.uid_validity => {
            before.pairs.extend(now.pairs());
            Some(before)
        }
        (Some(now), _) => Some(Landed {
            uid_validity: now.uid_validity,
            pairs: now.pairs(),
        }),
        (None, before) => before,
    })
}

/// Our copies that an earlier attempt left in `to`: messages from UID `since` on whose
/// Message-ID is one of ours. Messages without a Message-ID cannot be recognised.
async fn copies_since(
    client: &mut ImapClient,
    store: &Store,
    entry: &JournalEntry,
    to: &str,
    since: u32,
) -> Result<Landed> {
    let ours = message_ids(client, &entry.uids.to_string()).await?;
    let mut ignored = Vec::new();
    let target = client
        .select(to, true, None, &mut |u| ignored.push(u))
        .await?;
    let arrived = message_ids(client, &format!("{since}:*")).await?;
    select_source(client, store, entry).await?;
    let mut pairs = Vec::new();
    let mut taken = UidSet::new();
    for (source, id) in &ours {
        let copy = arrived
            .iter()
            .find(|(uid, other)| *uid >= since && other == id && !taken.contains(*uid));
        if let Some(&(uid, _)) = copy {
            taken.insert(uid);
            pairs.push((*source, uid));
        }
    }
    Ok(Landed {
        uid_validity: target.uid_validity.unwrap_or(0),
        pairs,
    })
}

/// (UID, Message-ID) of the messages of the selected folder in `uids`.
async fn message_ids(client: &mut ImapClient, uids: &str) -> Result<Vec<(u32, String)>> {
    let mut found = Vec::new();
    client
        .uid_fetch(
            uids,
            &[FetchItem::Uid, FetchItem::Envelope],
            None,
            &mut |u| {
                if let Update::Fetch(data) = u
                    && let Some(uid) = data.uid
                    && let Some(id) = data.envelope.and_then(|e| e.message_id)
                    && !id.trim().is_empty()
                {
                    found.push((uid, id.trim().to_string()));
                }
            },
        )
        .await?;
    Ok(found)
}

/// `\Deleted` and an expunge of exactly the entry's messages.
async fn delete_exactly(
    client: &mut ImapClient,
    store: &Store,
    entry: &mut JournalEntry,
    updates: &mut Vec<Update>,
) -> Result<()> {
    let uids = entry.uids.to_string();
    let deleted = ["\\Deleted".to_string()];
    client
        .uid_store(&uids, StoreMode::Add, &deleted, None, &mut |u| {
            updates.push(u)
        })
        .await?;
    if client.has_capability("UIDPLUS") {
        return Ok(client.uid_expunge(&uids, &mut |u| updates.push(u)).await?);
    }
    let mut spare = client
        .deleted_bystanders(&uids, &mut |u| updates.push(u))
        .await?;
    // Those an earlier attempt unmarked and could not mark again.
    let noted = match &entry.op {
        JournalOp::Move { spare, .. } | JournalOp::Expunge { spare } => spare.clone(),
        JournalOp::Flags { .. } => UidSet::new(),
    };
    for &(lo, hi) in noted.ranges() {
        spare.insert_range(lo, hi);
    }
    let all = spare.clone();
    note(store, entry, move |op| match op {
        JournalOp::Move { spare, .. } | JournalOp::Expunge { spare } => *spare = all,
        JournalOp::Flags { .. } => {}
    })
    .await?;
    Ok(client
        .expunge_sparing(&spare, &mut |u| updates.push(u))
        .await?)
}

/// Writes a note into the entry (and the journal) before the step it protects is sent.
async fn note(
    store: &Store,
    entry: &mut JournalEntry,
    change: impl FnOnce(&mut JournalOp),
) -> Result<()> {
    change(&mut entry.op);
    let (id, op) = (entry.id, entry.op.clone());
    store
        .write_async(move |tx| tx.journal_note(id, &op))
        .await?;
    Ok(())
}
