//! One pass over an account: the folder list, the chosen folders synced, the rest counted
//! with STATUS.

use super::error::Result;
use super::folder::{FolderReport, FolderSync};
use crate::bus::{ConnState, EngineEvent, EventSender};
use crate::imap::{ImapClient, ListEntry, discard};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Folders {
    /// Only this folder is synced; the others get STATUS counts.
    One(String),
    All,
    /// Only this folder, no LIST or STATUS: a second connection that just watches it.
    Only(String),
}

/// Mirrors the server's folder list into the cache: new folders added, gone ones dropped
/// (with their messages), roles, delimiters and selectability refreshed.
pub async fn sync_folder_list(client: &mut ImapClient, store: &Store) -> Result<Vec<ListEntry>> {
    let entries = client.list(&mut discard()).await?;
    let subscribed = client.subscriptions().await?;
    let listed = entries.clone();
    store
        .write_async(move |tx| {
            let roles = crate::imap::FolderRoles::new(&listed);
            for entry in &listed {
                let role = roles.role(&entry.name).map(|r| r.as_str());
                let id = tx.upsert_folder(&entry.name, role, entry.delimiter)?;
                tx.set_folder_selectable(id, entry.selectable())?;
                let shown = subscribed.as_ref().is_none_or(|s| s.contains(&entry.name));
                tx.set_folder_subscribed(id, shown)?;
                if !entry.selectable() {
                    // A parent has nothing to fail on.
                    tx.set_folder_error(&entry.name, None)?;
                }
            }
            for cached in tx.folders()? {
                if !listed.iter().any(|e| e.name == cached.name) {
                    tx.delete_folder(&cached.name)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(entries)
}

/// Counts for folders that are not synced, so the sidebar stays right.
pub async fn refresh_status(client: &mut ImapClient, store: &Store, name: &str) -> Result<()> {
    let status = client.status(name, &mut discard()).await?;
    let owned = name.to_string();
    store
        .write_async(move |tx| {
            if let Some(folder) = tx.folder(&owned)? {
                tx.set_status_counts(
                    folder.id,
                    status.messages.unwrap_or(0),
                    status.unseen.unwrap_or(0),
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

/// What one folder's STATUS or SELECT came to. A folder's own failure (the server refused
/// it, e.g. deleted by another client since LIST) is recorded on the folder and reported
/// once, and the pass goes on; anything else (the connection, the cache) is returned.
pub async fn folder_outcome<T>(
    store: &Store,
    events: &EventSender,
    name: &str,
    result: Result<T>,
) -> Result<Option<T>> {
    let (value, error) = match result {
        Ok(value) => (Some(value), None),
        Err(err) if err.is_folder_error() => (None, Some(err.to_string())),
        Err(err) => return Err(err),
    };
    let owned = name.to_string();
    let recorded = error.clone();
    let changed = store
        .write_async(move |tx| tx.set_folder_error(&owned, recorded.as_deref()))
        .await?;
    if changed {
        if let Some(error) = &error {
            tracing::info!("folder {name}: {error}");
            let _ = events.send(EngineEvent::Error(format!("{name}: {error}")));
        }
        let _ = events.send(EngineEvent::FoldersChanged);
    }
    Ok(value)
}

/// Syncs the chosen folders and counts the others; `\Noselect` parents are skipped. A
/// folder the server refuses gets its own error (see `folder_outcome`) and the pass goes
/// on. The last synced folder stays selected.
pub async fn sync_account(
    client: &mut ImapClient,
    store: &Store,
    folders: &Folders,
    events: &EventSender,
) -> Result<Vec<FolderReport>> {
    let mut reports = Vec::new();
    if let Folders::Only(name) = folders {
        reports.push(sync_one(client, store, name, events).await?);
        let _ = events.send(EngineEvent::Conn(ConnState::Online));
        return Ok(reports);
    }
    // The folder the user waits for goes first, before LIST and STATUS: it is on screen
    // sooner, and Dovecot answers a SELECT after those far slower at 100k messages.
    if let Folders::One(name) = folders {
        match sync_one(client, store, name, events).await {
            Ok(report) => reports.push(report),
            Err(err) if !err.is_transient() => {
                // Most likely the folder is gone; the list below tells, and drops it.
                let entries = sync_folder_list(client, store).await?;
                let _ = events.send(EngineEvent::FoldersChanged);
                if !entries.iter().any(|e| e.name == *name && e.selectable()) {
                    return Err(crate::imap::ImapError::new(
                        crate::imap::ErrorKind::Command,
                        format!("no folder named {name:?} on the server"),
                    )
                    .into());
                }
                return Err(err);
            }
            Err(err) => return Err(err),
        }
    }
    let entries = sync_folder_list(client, store).await?;
    let _ = events.send(EngineEvent::FoldersChanged);
    let mut selectable: Vec<&ListEntry> = entries.iter().filter(|e| e.selectable()).collect();
    // INBOX first: it is what people look at.
    selectable.sort_by_key(|e| !e.name.eq_ignore_ascii_case("INBOX"));
    for entry in selectable {
        match folders {
            Folders::All => {
                let result = sync_one(client, store, &entry.name, events).await;
                if let Some(report) = folder_outcome(store, events, &entry.name, result).await? {
                    reports.push(report);
                }
            }
            Folders::One(name) if *name != entry.name => {
                let result = refresh_status(client, store, &entry.name).await;
                folder_outcome(store, events, &entry.name, result).await?;
            }
            Folders::One(name) | Folders::Only(name) => {
                folder_outcome(store, events, name, Ok(())).await?;
            }
        }
    }
    let _ = events.send(EngineEvent::Conn(ConnState::Online));
    Ok(reports)
}

/// One folder, with progress reported as events.
async fn sync_one(
    client: &mut ImapClient,
    store: &Store,
    name: &str,
    events: &EventSender,
) -> Result<FolderReport> {
    let progress_events = events.clone();
    let progress_name = name.to_string();
    let progress = move |done: usize, total: usize| {
        let _ = progress_events.send(EngineEvent::Conn(ConnState::Syncing {
            folder: progress_name.clone(),
            done: u32::try_from(done).unwrap_or(u32::MAX),
            total: u32::try_from(total).unwrap_or(u32::MAX),
        }));
        let _ = progress_events.send(EngineEvent::FolderChanged {
            folder: progress_name.clone(),
        });
    };
    let unparsed_before = client.response_problems().unparsed;
    let mut sync = FolderSync {
        client,
        store,
        progress: &progress,
    };
    let (report, _info) = sync.run(name).await?;
    let unparsed = client
        .response_problems()
        .unparsed
        .saturating_sub(unparsed_before);
    // Said, never skipped; the unreadable rows last, as the status line shows the last.
    if unparsed > 0 {
        let _ = events.send(EngineEvent::Error(format!(
            "{name}: {unparsed} server response(s) could not be parsed and were skipped"
        )));
    }
    if report.unreadable > 0 {
        let _ = events.send(EngineEvent::Error(format!(
            "{name}: {} message(s) could not be read and are listed as {}",
            report.unreadable,
            super::apply::UNREADABLE_SUBJECT
        )));
    }
    // A folder recreated on the server failed its queued actions: said now, not at the
    // next replay.
    super::journal::report_failures(store, events).await?;
    let _ = events.send(EngineEvent::FolderChanged {
        folder: name.to_string(),
    });
    Ok(report)
}
