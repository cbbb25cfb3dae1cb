//! User actions: recorded locally (cache + journal, one transaction) so they show at once
//! and survive being offline or killed, then replayed to the server in order.

use super::apply::apply_updates;
use super::error::Result;
use crate::bus::{EngineEvent, EventSender};
use crate::domain::uidset::UidSet;
use crate::imap::{ErrorKind, ImapClient, ImapError, StoreMode};
use crate::store::{JournalEntry, JournalOp, Store, StoreError};

/// A user action on messages, as the CLI and the UI ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    Flags {
        add: Vec<String>,
        remove: Vec<String>,
    },
    Move {
        to: String,
    },
    Copy {
        to: String,
    },
    /// To the Trash; in the Trash (or with none), removed for good.
    Delete,
    /// To the Archive folder.
    Archive,
}

/// Records `act` on cached messages of `folder`: local change and journal entry in one
/// transaction. Returns how many actions now wait for the server.
pub async fn record(store: &Store, folder: &str, uids: UidSet, act: Act) -> Result<u32> {
    let role_folder = |role: crate::imap::Role| -> Result<Option<String>> {
        Ok(store
            .reader()?
            .folders()?
            .into_iter()
            .find(|f| f.role.as_deref() == Some(role.as_str()))
            .map(|f| f.name))
    };
    match act {
        Act::Flags { add, remove } => record_flags(store, folder, uids, add, remove).await,
        Act::Move { to } => record_move(store, folder, uids, &to, false).await,
        Act::Copy { to } => record_move(store, folder, uids, &to, true).await,
        Act::Delete => match role_folder(crate::imap::Role::Trash)? {
            Some(trash) if trash != folder => record_move(store, folder, uids, &trash, false).await,
            _ => record_expunge(store, folder, uids).await,
        },
        Act::Archive => match role_folder(crate::imap::Role::Archive)? {
            Some(archive) if archive != folder => {
                record_move(store, folder, uids, &archive, false).await
            }
            Some(_) => Ok(store.reader()?.journal_count()?),
            None => Err(StoreError::NotFound("a folder with the \\Archive role".into()).into()),
        },
    }
}

/// Records a flag change for cached messages of `folder`. Returns how many actions now
/// wait for the server.
pub async fn record_flags(
    store: &Store,
    folder: &str,
    uids: UidSet,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<u32> {
    let name = folder.to_string();
    store
        .write_async(move |tx| {
            let (id, uidvalidity) = synced(tx, &name)?;
            tx.journal_flags(id, uidvalidity, &uids, &add, &remove)?;
            Ok(())
        })
        .await?;
    Ok(store.reader()?.journal_count()?)
}

/// Records a move (or copy) of cached messages from `folder` to `to`.
pub async fn record_move(
    store: &Store,
    folder: &str,
    uids: UidSet,
    to: &str,
    copy: bool,
) -> Result<u32> {
    let (name, to) = (folder.to_string(), to.to_string());
    store
        .write_async(move |tx| {
            let (id, uidvalidity) = synced(tx, &name)?;
            tx.journal_move(id, uidvalidity, &uids, &to, copy).map(drop)
        })
        .await?;
    Ok(store.reader()?.journal_count()?)
}

/// Records a permanent removal (`\Deleted` + UID EXPUNGE of exactly these messages).
pub async fn record_expunge(store: &Store, folder: &str, uids: UidSet) -> Result<u32> {
    let name = folder.to_string();
    store
        .write_async(move |tx| {
            let (id, uidvalidity) = synced(tx, &name)?;
            tx.journal_expunge(id, uidvalidity, &uids).map(drop)
        })
        .await?;
    Ok(store.reader()?.journal_count()?)
}

fn synced(tx: &mut crate::store::WriteTx<'_>, name: &str) -> Result<(i64, u32), StoreError> {
    let state = tx
        .folder(name)?
        .ok_or_else(|| StoreError::NotFound(format!("folder {name}")))?;
    let uidvalidity = state
        .uidvalidity
        .ok_or_else(|| StoreError::NotFound(format!("{name} has not been synced")))?;
    Ok((state.id, uidvalidity))
}

/// Sends every pending action, oldest first. OK clears an entry; NO or BAD drops it, asks
/// the next sync to read the truth back, and tells the user; a network error stops the
/// replay with the rest kept for later. Returns how many entries were sent.
pub async fn replay(client: &mut ImapClient, store: &Store, events: &EventSender) -> Result<usize> {
    let pending = store.write_async(|tx| tx.journal_pending()).await?;
    let mut sent = 0;
    for entry in pending {
        match send(client, store, &entry).await {
            Ok(copied) => {
                let done = entry.clone();
                store
                    .write_async(move |tx| tx.journal_moved(&done, &copied))
                    .await?;
                sent += 1;
            }
            Err(err) if err.is_transient() => return Err(err),
            Err(err) => {
                let id = entry.id;
                store.write_async(move |tx| tx.journal_failed(id)).await?;
                let _ = events.send(EngineEvent::Error(format!(
                    "{}: action on {} not applied: {err}",
                    entry.folder, entry.uids
                )));
            }
        }
        let _ = events.send(EngineEvent::FolderChanged {
            folder: entry.folder.clone(),
        });
        if let JournalOp::Move { to, .. } = &entry.op {
            let _ = events.send(EngineEvent::FolderChanged { folder: to.clone() });
        }
    }
    Ok(sent)
}

/// Sends one entry; for a move or copy, returns the COPYUID pairs (source, destination).
async fn send(
    client: &mut ImapClient,
    store: &Store,
    entry: &JournalEntry,
) -> Result<Vec<(u32, u32)>> {
    if client.selected() != Some((entry.folder.as_str(), false)) {
        let mut updates = Vec::new();
        let info = client
            .select(&entry.folder, false, None, &mut |u| updates.push(u))
            .await?;
        if info.uid_validity != Some(entry.uidvalidity) {
            // The UIDs name other messages now: never apply the action to them.
            return Err(ImapError::new(
                ErrorKind::Command,
                "the folder was recreated on the server (UIDVALIDITY changed)",
            )
            .into());
        }
        let (folder, uidvalidity) = (entry.folder_id, entry.uidvalidity);
        store
            .write_async(move |tx| apply_updates(tx, folder, uidvalidity, &updates).map(drop))
            .await?;
    }
    let uids = entry.uids.to_string();
    // Pushes during the STORE are applied too; the journal still shields our own UIDs.
    let mut updates = Vec::new();
    let mut copied = Vec::new();
    match &entry.op {
        JournalOp::Flags { add, remove } => {
            if !add.is_empty() {
                client
                    .uid_store(&uids, StoreMode::Add, add, None, &mut |u| updates.push(u))
                    .await?;
            }
            if !remove.is_empty() {
                client
                    .uid_store(&uids, StoreMode::Remove, remove, None, &mut |u| {
                        updates.push(u)
                    })
                    .await?;
            }
        }
        JournalOp::Move { to, copy, .. } => {
            let result = if *copy {
                client.uid_copy(&uids, to, &mut |u| updates.push(u)).await?
            } else {
                client.uid_move(&uids, to, &mut |u| updates.push(u)).await?
            };
            copied = result.map(|r| r.pairs()).unwrap_or_default();
        }
        JournalOp::Expunge => {
            let deleted = ["\\Deleted".to_string()];
            client
                .uid_store(&uids, StoreMode::Add, &deleted, None, &mut |u| {
                    updates.push(u)
                })
                .await?;
            client.uid_expunge(&uids, &mut |u| updates.push(u)).await?;
        }
    }
    let (folder, uidvalidity) = (entry.folder_id, entry.uidvalidity);
    store
        .write_async(move |tx| apply_updates(tx, folder, uidvalidity, &updates).map(drop))
        .await?;
    Ok(copied)
}
