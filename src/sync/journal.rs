//! User actions: recorded locally (cache + journal, one transaction) so they show at once
//! and survive being offline or killed, then replayed to the server in order.

use super::error::Result;
use super::undo::Undo;
use crate::bus::{EngineEvent, EventSender};
use crate::config::Filing;
use crate::domain::uidset::UidSet;
use crate::imap::ImapClient;
use crate::store::{JournalOp, PLACEHOLDER_BASE, Store, StoreError};

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
    /// To the Trash; in the Trash (or with `delete = "expunge"`), removed for good.
    Delete,
    /// Removed for good, as the user confirmed (no Trash, or asked inside it).
    Expunge,
    /// To the Archive folder.
    Archive,
}

/// What recording an action gives back: how many actions wait, and how to take it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub pending: u32,
    pub undo: Option<Undo>,
}

/// Records `act` on cached messages of `folder`: local change and journal entry in one
/// transaction.
pub async fn record(
    store: &Store,
    folder: &str,
    uids: UidSet,
    act: Act,
    filing: &Filing,
) -> Result<Recorded> {
    let special =
        |configured: &Option<String>, role: crate::imap::Role| -> Result<Option<String>> {
            if let Some(name) = configured {
                return Ok(Some(name.clone()));
            }
            Ok(store
                .reader()?
                .folders()?
                .into_iter()
                .find(|f| f.role.as_deref() == Some(role.as_str()))
                .map(|f| f.name))
        };
    // A placeholder has no UID on the server yet: nothing can be sent for it.
    let uids: UidSet = uids.iter().filter(|&uid| uid < PLACEHOLDER_BASE).collect();
    if uids.is_empty() {
        return Err(StoreError::Invalid(
            "the message is still being moved; wait until the server confirms it".into(),
        )
        .into());
    }
    let undo = match act {
        Act::Flags { add, remove } => record_flags(store, folder, uids, add, remove).await?,
        Act::Move { to } => record_move(store, folder, uids, &to, false).await?,
        Act::Copy { to } => record_move(store, folder, uids, &to, true).await?,
        Act::Delete => match special(&filing.trash, crate::imap::Role::Trash)? {
            Some(trash) if trash != folder && !filing.delete_expunges => {
                record_move(store, folder, uids, &trash, false).await?
            }
            // Without a Trash, "delete" must not quietly become "destroy".
            None if !filing.delete_expunges => return Err(super::SyncError::NoTrash),
            _ => record_expunge(store, folder, uids).await?,
        },
        Act::Expunge => record_expunge(store, folder, uids).await?,
        Act::Archive => match special(&filing.archive, crate::imap::Role::Archive)? {
            Some(archive) if archive != folder => {
                record_move(store, folder, uids, &archive, false).await?
            }
            Some(_) => None,
            None => {
                return Err(StoreError::NotFound(
                    "an archive folder (\\Archive role, or `archive = \"...\"` in the account)"
                        .into(),
                )
                .into());
            }
        },
    };
    Ok(Recorded {
        pending: store.reader()?.journal_count()?,
        undo,
    })
}

/// Records a flag change for cached messages of `folder`; the undo flips back exactly
/// what changed.
pub async fn record_flags(
    store: &Store,
    folder: &str,
    uids: UidSet,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Option<Undo>> {
    let name = folder.to_string();
    let changes = store
        .write_async(move |tx| {
            let (id, uidvalidity) = synced(tx, &name)?;
            Ok(tx.journal_flags(id, uidvalidity, &uids, &add, &remove)?.1)
        })
        .await?;
    Ok((!changes.is_empty()).then(|| Undo::Flags {
        folder: folder.to_string(),
        changes,
    }))
}

/// Records a move (or copy) of cached messages from `folder` to `to`.
pub async fn record_move(
    store: &Store,
    folder: &str,
    uids: UidSet,
    to: &str,
    copy: bool,
) -> Result<Option<Undo>> {
    let (name, to) = (folder.to_string(), to.to_string());
    let id = store
        .write_async(move |tx| {
            let (id, uidvalidity) = synced(tx, &name)?;
            tx.journal_move(id, uidvalidity, &uids, &to, copy)
        })
        .await?;
    Ok(Some(Undo::Entry { id }))
}

/// Records a permanent removal (`\Deleted` + UID EXPUNGE of exactly these messages).
pub async fn record_expunge(store: &Store, folder: &str, uids: UidSet) -> Result<Option<Undo>> {
    let name = folder.to_string();
    let id = store
        .write_async(move |tx| {
            let (id, uidvalidity) = synced(tx, &name)?;
            tx.journal_expunge(id, uidvalidity, &uids)
        })
        .await?;
    Ok(Some(Undo::Entry { id }))
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

/// Sends every pending action, oldest first. OK clears an entry; NO or BAD drops it, asks
/// the next sync to read the truth back, and tells the user; a network error stops the
/// replay with the rest kept for later. Returns how many entries were sent.
pub async fn replay(client: &mut ImapClient, store: &Store, events: &EventSender) -> Result<usize> {
    let pending = store.write_async(|tx| tx.journal_pending()).await?;
    let mut sent = 0;
    for entry in pending {
        let id = entry.id;
        // From here on an undo reverses the action instead of cancelling it.
        store.write_async(move |tx| tx.journal_sending(id)).await?;
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
