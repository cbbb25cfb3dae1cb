//! Staying in step while running: IDLE on the watched folder, pushes applied as they come,
//! other folders counted with STATUS on an interval, and reconnects with backoff after any
//! network error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::account::{Folders, refresh_status, sync_account};
use super::apply::apply_updates;
use super::backoff::Backoff;
use super::error::Result;
use super::folder::FolderSync;
use crate::bus::{ConnState, EngineEvent, EventSender};
use crate::config::AccountConfig;
use crate::connect;
use crate::imap::{ImapClient, Update};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The folder the command connection IDLEs on.
    pub folder: String,
    pub folders: Folders,
    pub idle_refresh: Duration,
    /// STATUS poll of the other folders; None = never.
    pub status_interval: Option<Duration>,
    /// Bodies of the newest N messages per synced folder, for offline reading.
    pub prefetch_bodies: u32,
}

/// Runs until `shutdown` turns true. Transient failures reconnect after a jittered backoff;
/// an authentication or cache failure ends the watch with that error.
pub async fn run(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let mut backoff = Backoff::default();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let _ = events.send(EngineEvent::Conn(ConnState::Connecting));
        let outcome = session(account, store, options, events, &mut shutdown, &mut backoff).await;
        match outcome {
            Ok(()) => return Ok(()),
            Err(err) if err.is_transient() => {
                let delay = backoff.next_delay();
                let _ = events.send(EngineEvent::Conn(ConnState::Reconnecting {
                    in_secs: delay.as_secs().max(1),
                    reason: err.to_string(),
                }));
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => return Ok(()),
                }
            }
            Err(err) => {
                let _ = events.send(EngineEvent::Conn(ConnState::Offline {
                    reason: err.to_string(),
                }));
                return Err(err);
            }
        }
    }
}

async fn session(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    shutdown: &mut watch::Receiver<bool>,
    backoff: &mut Backoff,
) -> Result<()> {
    let mut client = connect::connect(account).await?;
    backoff.reset();
    sync_account(&mut client, store, &options.folders, events).await?;
    resync(&mut client, store, &options.folder, events).await?;
    super::body::prefetch_bodies(&mut client, store, &options.folder, options.prefetch_bodies)
        .await?;
    let mut next_status = options
        .status_interval
        .map(|i| tokio::time::Instant::now() + i);
    loop {
        let woken = Arc::new(Notify::new());
        let pushed: Arc<Mutex<Vec<Update>>> = Arc::new(Mutex::new(Vec::new()));
        let mut sink = {
            let woken = woken.clone();
            let pushed = pushed.clone();
            move |update: Update| {
                if let Ok(mut list) = pushed.lock() {
                    list.push(update);
                }
                woken.notify_one();
            }
        };
        let mut shutdown_signal = shutdown.clone();
        let stop = async {
            let status_due = async {
                match next_status {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = woken.notified() => {}
                () = status_due => {}
                _ = shutdown_signal.changed() => {}
            }
        };
        client.idle(&mut sink, stop, options.idle_refresh).await?;
        if *shutdown.borrow() {
            let _ = client.logout().await;
            return Ok(());
        }
        let updates = std::mem::take(
            &mut *pushed
                .lock()
                .map_err(|_| crate::imap::ImapError::bug("push buffer poisoned"))?,
        );
        if !updates.is_empty() {
            apply_pushes(&mut client, store, &options.folder, updates, events).await?;
        }
        if let Some(at) = next_status
            && tokio::time::Instant::now() >= at
        {
            poll_status(&mut client, store, &options.folder, events).await?;
            let _ = events.send(EngineEvent::FoldersChanged);
            next_status = options
                .status_interval
                .map(|i| tokio::time::Instant::now() + i);
        }
    }
}

/// Applies pushes at once; new mail (EXISTS) or an unmapped EXPUNGE asks for a resync of
/// the folder, which fetches just what changed.
async fn apply_pushes(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    updates: Vec<Update>,
    events: &EventSender,
) -> Result<()> {
    let name = folder.to_string();
    let applied = store
        .write_async(move |tx| {
            let Some(state) = tx.folder(&name)? else {
                return Ok(None);
            };
            let Some(uidvalidity) = state.uidvalidity else {
                return Ok(None);
            };
            let applied = apply_updates(tx, state.id, uidvalidity, &updates)?;
            tx.refresh_counts(state.id)?;
            Ok(Some(applied))
        })
        .await?;
    let needs_resync = applied
        .as_ref()
        .is_none_or(|a| a.saw_exists || a.unmapped_expunge);
    if needs_resync {
        resync(client, store, folder, events).await?;
    } else {
        let _ = events.send(EngineEvent::FolderChanged {
            folder: folder.to_string(),
        });
    }
    Ok(())
}

async fn resync(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    events: &EventSender,
) -> Result<()> {
    let quiet = |_: usize, _: usize| {};
    let mut sync = FolderSync {
        client,
        store,
        progress: &quiet,
    };
    sync.run(folder).await?;
    if !sync.client.is_enabled("QRESYNC") {
        // Without QRESYNC, EXPUNGE pushes need the sequence map to name their UIDs.
        sync.client.map_sequence_numbers(&mut |_| {}).await?;
    }
    let _ = events.send(EngineEvent::FolderChanged {
        folder: folder.to_string(),
    });
    Ok(())
}

/// STATUS for every other folder: unsynced ones get fresh counts, synced ones that changed
/// are brought in step (then the watched folder is selected again for IDLE).
async fn poll_status(
    client: &mut ImapClient,
    store: &Store,
    watched: &str,
    events: &EventSender,
) -> Result<()> {
    let folders = store.reader()?.folders()?;
    let mut changed = Vec::new();
    for folder in folders.iter().filter(|f| f.name != watched) {
        if !folder.complete {
            refresh_status(client, store, &folder.name).await?;
            continue;
        }
        let status = client.status(&folder.name, &mut |_| {}).await?;
        let moved = status.uid_next != folder.uidnext
            || status.uid_validity != folder.uidvalidity
            || (status.highest_modseq.is_some() && status.highest_modseq != folder.highestmodseq)
            || status.messages != Some(folder.messages);
        if moved {
            changed.push(folder.name.clone());
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let quiet = |_: usize, _: usize| {};
    for name in &changed {
        let mut sync = FolderSync {
            client: &mut *client,
            store,
            progress: &quiet,
        };
        sync.run(name).await?;
        let _ = events.send(EngineEvent::FolderChanged {
            folder: name.clone(),
        });
    }
    resync(client, store, watched, events).await
}
