//! User actions: recorded locally (cache + journal, one transaction) so they show at once
//! and survive being offline or killed, then replayed to the server in order.

use super::error::{Result, SyncError};
use super::lock::{SendLock, WAIT_FOR_OTHER_SENDER};
use super::undo::Undo;
use crate::bus::{EngineEvent, EventSender};
use crate::config::Filing;
use crate::domain::folder::Role;
use crate::domain::uidset::UidSet;
use crate::imap::ImapClient;
use crate::store::{JournalOp, PLACEHOLDER_BASE, Store, StoreError};

pub use crate::bus::Act;

/// What recording an action gives back: how many actions wait, and how to take it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub pending: u32,
    pub undo: Option<Undo>,
}

/// Records `act` on cached messages of `folder`: local change and journal entry in one
/// transaction. `uidvalidity` is the folder's as the user saw it when picking `uids`: when
/// the cache has moved on (the folder was recreated), nothing is done.
pub async fn record(
    store: &Store,
    folder: &str,
    uidvalidity: u32,
    uids: UidSet,
    act: Act,
    filing: &Filing,
) -> Result<Recorded> {
    // A placeholder has no UID on the server yet: nothing can be sent for it.
    let uids: UidSet = uids.iter().filter(|&uid| uid < PLACEHOLDER_BASE).collect();
    if uids.is_empty() {
        return Err(StoreError::Invalid(
            "the message is still being moved; wait until the server confirms it".into(),
        )
        .into());
    }
    let undo = match act {
        Act::Flags { add, remove } => {
            record_flags(store, folder, uidvalidity, uids, add, remove).await?
        }
        Act::Move { to } => record_move(store, folder, uidvalidity, uids, &to, false).await?,
        Act::Copy { to } => record_move(store, folder, uidvalidity, uids, &to, true).await?,
        Act::Delete => match role_folder(store, &filing.trash, Role::Trash)? {
            Some(trash) if trash != folder && !filing.delete_expunges => {
                record_move(store, folder, uidvalidity, uids, &trash, false).await?
            }
            // Without a Trash, "delete" must not quietly become "destroy".
            None if !filing.delete_expunges => return Err(super::SyncError::NoTrash),
            _ => record_expunge(store, folder, uidvalidity, uids).await?,
        },
        Act::Expunge => record_expunge(store, folder, uidvalidity, uids).await?,
        Act::Archive => {
            file_into(
                store,
                (folder, uidvalidity),
                uids,
                &filing.archive,
                Role::Archive,
            )
            .await?
        }
        Act::Junk => {
            file_into(store, (folder, uidvalidity), uids, &filing.junk, Role::Junk).await?
        }
    };
    Ok(Recorded {
        pending: store.reader()?.journal_count()?,
        undo,
    })
}

/// The configured folder for `role`, else the cached folder with that role.
fn role_folder(store: &Store, configured: &Option<String>, role: Role) -> Result<Option<String>> {
    if let Some(name) = configured {
        return Ok(Some(name.clone()));
    }
    Ok(store
        .reader()?
        .folders()?
        .into_iter()
        .find(|f| f.role.as_deref() == Some(role.as_str()))
        .map(|f| f.name))
}

/// Moves to the folder of a role (archive, junk); in that folder already, nothing to do.
async fn file_into(
    store: &Store,
    (folder, uidvalidity): (&str, u32),
    uids: UidSet,
    configured: &Option<String>,
    role: Role,
) -> Result<Option<Undo>> {
    match role_folder(store, configured, role)? {
        Some(target) if target != folder => {
            record_move(store, folder, uidvalidity, uids, &target, false).await
        }
        Some(_) => Ok(None),
        None => {
            let name = role.as_str();
            Err(StoreError::NotFound(format!(
                "a {name} folder (the {} role, a folder named like it, or `{name} = \"...\"` in the account)",
                role.attribute().unwrap_or_default()
            ))
            .into())
        }
    }
}

/// Records a flag change for cached messages of `folder`; the undo flips back exactly
/// what changed.
pub async fn record_flags(
    store: &Store,
    folder: &str,
    uidvalidity: u32,
    uids: UidSet,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Option<Undo>> {
    let name = folder.to_string();
    let changes = store
        .write_async(move |tx| {
            let Some(id) = shown(tx, &name, uidvalidity)? else {
                return Ok(None);
            };
            Ok(Some(
                tx.journal_flags(id, uidvalidity, &uids, &add, &remove)?.1,
            ))
        })
        .await?
        .ok_or_else(|| changed(folder))?;
    Ok((!changes.is_empty()).then(|| Undo::Flags {
        folder: folder.to_string(),
        uidvalidity,
        changes,
    }))
}

/// Records a move (or copy) of cached messages from `folder` to `to`.
pub async fn record_move(
    store: &Store,
    folder: &str,
    uidvalidity: u32,
    uids: UidSet,
    to: &str,
    copy: bool,
) -> Result<Option<Undo>> {
    let (name, to) = (folder.to_string(), to.to_string());
    let id = store
        .write_async(move |tx| {
            let Some(id) = shown(tx, &name, uidvalidity)? else {
                return Ok(None);
            };
            tx.journal_move(id, uidvalidity, &uids, &to, copy).map(Some)
        })
        .await?
        .ok_or_else(|| changed(folder))?;
    Ok(Some(Undo::Entry { id }))
}

/// Records a permanent removal (`\Deleted` + UID EXPUNGE of exactly these messages).
pub async fn record_expunge(
    store: &Store,
    folder: &str,
    uidvalidity: u32,
    uids: UidSet,
) -> Result<Option<Undo>> {
    let name = folder.to_string();
    let id = store
        .write_async(move |tx| {
            let Some(id) = shown(tx, &name, uidvalidity)? else {
                return Ok(None);
            };
            tx.journal_expunge(id, uidvalidity, &uids).map(Some)
        })
        .await?
        .ok_or_else(|| changed(folder))?;
    Ok(Some(Undo::Entry { id }))
}

/// The folder's id when its cached UIDVALIDITY is still `shown` (None: it changed).
pub(super) fn shown(
    tx: &mut crate::store::WriteTx<'_>,
    name: &str,
    shown: u32,
) -> Result<Option<i64>, StoreError> {
    let (id, cached) = synced(tx, name)?;
    Ok((cached == shown).then_some(id))
}

pub(super) fn changed(folder: &str) -> SyncError {
    SyncError::FolderChanged {
        folder: folder.to_string(),
    }
}

pub(super) fn synced(
    tx: &mut crate::store::WriteTx<'_>,
    name: &str,
) -> Result<(i64, u32), StoreError> {
    let state = tx
        .folder(name)?
        .ok_or_else(|| StoreError::NotFound(format!("folder {name}")))?;
    let uidvalidity = state
        .uidvalidity
        .ok_or_else(|| StoreError::NotFound(format!("{name} has not been synced")))?;
    Ok((state.id, uidvalidity))
}

/// Sends every pending action, oldest first. OK clears an entry; NO or BAD fails it, asks
/// the next sync to read the truth back, and tells the user; a network error stops the
/// replay with the rest kept for later. Returns how many entries were sent.
///
/// Only one replay per account runs at a time, across processes (the send lock): another
/// one is waited for (bounded), then what is still pending is sent. Each entry is claimed
/// just before it is sent, so one undone or sent meanwhile is skipped.
pub async fn replay(client: &mut ImapClient, store: &Store, events: &EventSender) -> Result<usize> {
    let Some(_lock) = SendLock::acquire(store.path(), WAIT_FOR_OTHER_SENDER).await? else {
        tracing::info!("another tern is sending this account's actions; left to it");
        return Ok(0);
    };
    let result = send_pending(client, store, events).await;
    report_failures(store, events).await?;
    result
}

/// Says each failed action not said yet (refused by the server, or dropped by a folder
/// reset), once.
pub async fn report_failures(store: &Store, events: &EventSender) -> Result<()> {
    for failure in store.write_async(|tx| tx.journal_take_failures()).await? {
        let _ = events.send(EngineEvent::Error(failure));
    }
    Ok(())
}

async fn send_pending(
    client: &mut ImapClient,
    store: &Store,
    events: &EventSender,
) -> Result<usize> {
    let pending = store.write_async(|tx| tx.journal_pending()).await?;
    let mut sent = 0;
    for snapshot in pending {
        let id = snapshot.id;
        // From here on an undo reverses the action instead of cancelling it. The send
        // lock is held, so a 'sending' leftover is a dead sender's: sent again.
        let Some(entry) = store
            .write_async(move |tx| tx.journal_claim(id, true))
            .await?
        else {
            continue;
        };
        match super::send::send(client, store, &entry).await {
            Ok(landed) => {
                let done = entry.clone();
                store
                    .write_async(move |tx| match landed {
                        Some(l) => tx.journal_moved(&done, &l.pairs, Some(l.uid_validity)),
                        None => tx.journal_moved(&done, &[], None),
                    })
                    .await?;
                sent += 1;
            }
            Err(err) if err.is_transient() => return Err(err),
            // Failed with the folder's other entries, the reason already written.
            Err(SyncError::FolderRecreated { .. }) => {}
            Err(err) => {
                let reason = format!(
                    "{}: action on {} not applied: {err}",
                    crate::domain::text::sanitize(&entry.folder),
                    entry.uids
                );
                store
                    .write_async(move |tx| tx.journal_failed(id, &reason))
                    .await?;
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
