//! Staying in step while running: IDLE on the watched folder, pushes applied as they come,
//! other folders counted with STATUS on an interval, and reconnects with backoff after any
//! network error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};

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
    /// Send the journal; only one connection of an account may (the INBOX watch does not).
    pub replay_journal: bool,
}

/// What the UI (or the CLI) asks of a running engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCommand {
    /// Make this the folder the command connection syncs and IDLEs on.
    SelectFolder(String),
    /// Fetch a body into the cache (latest wins: older queued requests are dropped).
    FetchBody { folder: String, uid: u32 },
    /// Sync the selected folder and count the others now.
    SyncNow,
    /// New actions are in the journal: send them.
    Replay,
}

/// Runs until `shutdown` turns true. Transient failures reconnect after a jittered backoff;
/// an authentication or cache failure ends the watch with that error.
pub async fn run(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    shutdown: watch::Receiver<bool>,
) -> Result<()> {
    // The CLI sends no commands; keep the sender alive so the channel never closes.
    let (_commands_tx, commands) = mpsc::unbounded_channel();
    run_engine(account, store, options, events, shutdown, commands).await
}

/// The engine: `run` plus commands from the UI.
pub async fn run_engine(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    mut shutdown: watch::Receiver<bool>,
    mut commands: mpsc::UnboundedReceiver<EngineCommand>,
) -> Result<()> {
    let mut backoff = Backoff::default();
    let mut selected = options.folder.clone();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let _ = events.send(EngineEvent::Conn(ConnState::Connecting));
        let outcome = session(
            account,
            store,
            options,
            events,
            &mut shutdown,
            &mut commands,
            &mut selected,
            &mut backoff,
        )
        .await;
        match outcome {
            Ok(()) => return Ok(()),
            Err(err) if err.is_transient() => {
                let delay = backoff.next_delay();
                let _ = events.send(EngineEvent::Conn(ConnState::Reconnecting {
                    in_secs: delay.as_secs().max(1),
                    reason: err.to_string(),
                }));
                let sleep = tokio::time::sleep(delay);
                tokio::pin!(sleep);
                // Offline, the latest folder choice still counts once we are back.
                loop {
                    tokio::select! {
                        () = &mut sleep => break,
                        _ = shutdown.changed() => return Ok(()),
                        command = commands.recv() => match command {
                            Some(EngineCommand::SelectFolder(name)) => selected = name,
                            Some(EngineCommand::SyncNow) => break,
                            Some(EngineCommand::FetchBody { .. } | EngineCommand::Replay) => {}
                            None => return Ok(()),
                        },
                    }
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

#[allow(clippy::too_many_arguments)]
async fn session(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    shutdown: &mut watch::Receiver<bool>,
    commands: &mut mpsc::UnboundedReceiver<EngineCommand>,
    selected: &mut String,
    backoff: &mut Backoff,
) -> Result<()> {
    let mut client = connect::connect(account).await?;
    backoff.reset();
    // What was done offline reaches the server before the sync reads the server's state.
    if options.replay_journal {
        super::journal::replay(&mut client, store, events).await?;
    }
    sync_account(&mut client, store, &options.folders, events).await?;
    resync(&mut client, store, selected, events).await?;
    super::body::prefetch_bodies(&mut client, store, selected, options.prefetch_bodies).await?;
    let mut inbox_watch = InboxWatch::start(account, store, options, events, selected);
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
        let mut queued: Vec<EngineCommand> = Vec::new();
        while let Ok(command) = commands.try_recv() {
            queued.push(command);
        }
        if queued.is_empty() {
            let mut shutdown_signal = shutdown.clone();
            let received = &mut queued;
            let commands = &mut *commands;
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
                    command = commands.recv() => received.extend(command),
                }
            };
            client.idle(&mut sink, stop, options.idle_refresh).await?;
        }
        if *shutdown.borrow() {
            inbox_watch.stop().await;
            let _ = client.logout().await;
            return Ok(());
        }
        let updates = std::mem::take(
            &mut *pushed
                .lock()
                .map_err(|_| crate::imap::ImapError::bug("push buffer poisoned"))?,
        );
        if !updates.is_empty() {
            apply_pushes(&mut client, store, selected, updates, events).await?;
        }
        handle_commands(
            &mut client,
            store,
            events,
            queued,
            selected,
            options.replay_journal,
        )
        .await?;
        if inbox_watch.folder_changed(selected) {
            inbox_watch.stop().await;
            inbox_watch = InboxWatch::start(account, store, options, events, selected);
        }
        if let Some(at) = next_status
            && tokio::time::Instant::now() >= at
        {
            poll_status(&mut client, store, selected, events).await?;
            let _ = events.send(EngineEvent::FoldersChanged);
            next_status = options
                .status_interval
                .map(|i| tokio::time::Instant::now() + i);
        }
    }
}

async fn handle_commands(
    client: &mut ImapClient,
    store: &Store,
    events: &EventSender,
    queued: Vec<EngineCommand>,
    selected: &mut String,
    replay_journal: bool,
) -> Result<()> {
    // Latest wins: scrolling past fifty messages asks for one body, not fifty.
    let latest_body = queued.iter().rev().find_map(|c| match c {
        EngineCommand::FetchBody { folder, uid } => Some((folder.clone(), *uid)),
        _ => None,
    });
    let mut sync_now = false;
    if replay_journal && queued.contains(&EngineCommand::Replay) {
        super::journal::replay(client, store, events).await?;
    }
    for command in queued {
        match command {
            EngineCommand::SelectFolder(name) if name != *selected => {
                *selected = name;
                sync_now = true;
            }
            EngineCommand::SyncNow => sync_now = true,
            _ => {}
        }
    }
    if let Some((folder, uid)) = latest_body {
        match super::body::fetch_body(client, store, &folder, uid).await {
            Ok(_) => {
                let _ = events.send(EngineEvent::BodyReady { folder, uid });
            }
            Err(err) if err.is_transient() => return Err(err),
            Err(err) => {
                let _ = events.send(EngineEvent::Error(err.to_string()));
            }
        }
    }
    let selected_now = client
        .selected()
        .map(|(name, read_only)| (name.to_string(), read_only));
    if sync_now || selected_now != Some((selected.clone(), false)) {
        resync(client, store, selected, events).await?;
    }
    Ok(())
}

/// A second connection that IDLEs on INBOX while another folder is selected, so new mail
/// is never missed. If the server refuses a second connection, tern works with one.
struct InboxWatch {
    folder: String,
    task: Option<(watch::Sender<bool>, tokio::task::JoinHandle<()>)>,
}

impl InboxWatch {
    fn start(
        account: &AccountConfig,
        store: &Store,
        options: &WatchOptions,
        events_outer: &EventSender,
        selected: &str,
    ) -> Self {
        let folder = selected.to_string();
        if selected.eq_ignore_ascii_case("INBOX") {
            return Self { folder, task: None };
        }
        let (stop, stopped) = watch::channel(false);
        let account = account.clone();
        let store = store.clone();
        // Its connection state is not the one the status bar shows; pass on the rest.
        let (events, mut inner) = mpsc::unbounded_channel();
        let outer = events_outer.clone();
        tokio::spawn(async move {
            while let Some(event) = inner.recv().await {
                if !matches!(event, EngineEvent::Conn(_)) && outer.send(event).is_err() {
                    break;
                }
            }
        });
        let options = WatchOptions {
            folder: "INBOX".to_string(),
            folders: Folders::One("INBOX".to_string()),
            status_interval: None,
            prefetch_bodies: 0,
            replay_journal: false,
            ..options.clone()
        };
        let task = tokio::spawn(async move {
            let (_keep, commands) = mpsc::unbounded_channel();
            // Its failures (e.g. a connection limit) leave the main connection working.
            if let Err(err) =
                run_engine(&account, &store, &options, &events, stopped, commands).await
            {
                tracing::info!("INBOX watch connection ended: {err}");
            }
        });
        Self {
            folder,
            task: Some((stop, task)),
        }
    }

    fn folder_changed(&self, selected: &str) -> bool {
        self.folder != selected
    }

    async fn stop(&mut self) {
        if let Some((stop, task)) = self.task.take() {
            let _ = stop.send(true);
            let _ = task.await;
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
