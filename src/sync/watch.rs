//! Staying in step while running: IDLE on the watched folder, pushes applied as they come,
//! other folders counted with STATUS on an interval, and reconnects with backoff after any
//! network error.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, mpsc, watch};

use super::account::{Folders, folder_outcome, refresh_status, sync_account};
use super::apply::apply_updates;
use super::backoff::Backoff;
use super::error::{Result, SyncError};
use super::folder::FolderSync;
use super::suspend::ClockJump;
use crate::bus::{ConnState, EngineEvent, EventSender};
use crate::config::{AccountConfig, Prefetch};
use crate::connect;
use crate::imap::{ErrorKind, ImapClient, Update};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The folder the command connection IDLEs on.
    pub folder: String,
    pub folders: Folders,
    pub idle_refresh: Duration,
    /// STATUS poll of the other folders; None = never.
    pub status_interval: Option<Duration>,
    /// INBOX bodies fetched ahead for offline reading (by whichever connection IDLEs on it).
    pub prefetch_bodies: Prefetch,
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

/// Runs until `shutdown` turns true. Every failure becomes a reconnect after a jittered
/// backoff, except one only the user can fix (a wrong password, a refused certificate):
/// with no one to press `Ctrl-r`, that ends the watch with the error.
pub async fn run(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    shutdown: watch::Receiver<bool>,
) -> Result<()> {
    // The CLI sends no commands; keep the sender alive so the channel never closes.
    let (_commands_tx, commands) = mpsc::unbounded_channel();
    engine(account, store, options, events, shutdown, commands, false).await
}

/// The engine: `run` plus commands from the UI. It never gives up while the UI runs: a
/// failure only the user can fix stops the account with a message that says what to fix,
/// and `SyncNow` (Ctrl-r) retries at once, from a backoff or from such a stop. Returns
/// when `shutdown` turns true or the command channel closes.
pub async fn run_engine(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    shutdown: watch::Receiver<bool>,
    commands: mpsc::UnboundedReceiver<EngineCommand>,
) -> Result<()> {
    engine(account, store, options, events, shutdown, commands, true).await
}

/// What a pause between sessions ended with.
enum Resume {
    Retry,
    Stop,
}

async fn engine(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    mut shutdown: watch::Receiver<bool>,
    mut commands: mpsc::UnboundedReceiver<EngineCommand>,
    interactive: bool,
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
        let err = match outcome {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let resume = if err.needs_user() {
            let reason = what_to_fix(account, &err);
            tracing::warn!("{}: stopped: {reason}", account.name);
            let _ = events.send(EngineEvent::Conn(ConnState::Offline { reason }));
            if !interactive {
                return Err(err);
            }
            wait_for_retry(None, &mut shutdown, &mut commands, &mut selected).await
        } else {
            if matches!(err, SyncError::Store(_)) {
                // The cache is the user's to look at (disk full, permissions): say so.
                let _ = events.send(EngineEvent::Error(err.to_string()));
            }
            let delay = backoff.next_delay();
            tracing::info!("{}: {err}; reconnecting in {delay:?}", account.name);
            let countdown = Countdown {
                deadline: tokio::time::Instant::now() + delay,
                reason: err.to_string(),
                events,
            };
            wait_for_retry(Some(countdown), &mut shutdown, &mut commands, &mut selected).await
        };
        match resume {
            Resume::Retry => {}
            Resume::Stop => return Ok(()),
        }
    }
}

/// A backoff pause, shown as a countdown that is sent again each time its second changes.
struct Countdown<'a> {
    deadline: tokio::time::Instant,
    reason: String,
    events: &'a EventSender,
}

impl Countdown<'_> {
    /// Sends the seconds left; returns when to send again, None once the pause is over.
    fn tick(&self) -> Option<tokio::time::Instant> {
        let left = self
            .deadline
            .saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return None;
        }
        let secs = u64::try_from(left.as_millis().div_ceil(1000)).unwrap_or(u64::MAX);
        let _ = self.events.send(EngineEvent::Conn(ConnState::Reconnecting {
            in_secs: secs,
            reason: self.reason.clone(),
        }));
        Some(self.deadline - Duration::from_secs(secs - 1).min(left))
    }
}

/// Waits out `countdown` (None: until the user asks), keeping the latest folder choice
/// for when we are back. `SyncNow` cuts it short.
async fn wait_for_retry(
    countdown: Option<Countdown<'_>>,
    shutdown: &mut watch::Receiver<bool>,
    commands: &mut mpsc::UnboundedReceiver<EngineCommand>,
    selected: &mut String,
) -> Resume {
    let mut clocks = ClockJump::now();
    loop {
        // The countdown ticks every second: a long backoff slept through ends at the
        // first tick after waking, as the network is likely back.
        if countdown.is_some() && clocks.jumped(SystemTime::now(), std::time::Instant::now()) {
            return Resume::Retry;
        }
        let next = match &countdown {
            Some(countdown) => match countdown.tick() {
                Some(at) => Some(at),
                None => return Resume::Retry,
            },
            None => None,
        };
        let pause = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = pause => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return Resume::Stop;
                }
            }
            command = commands.recv() => match command {
                Some(EngineCommand::SelectFolder(name)) => *selected = name,
                Some(EngineCommand::SyncNow) => return Resume::Retry,
                Some(EngineCommand::FetchBody { .. } | EngineCommand::Replay) => {}
                None => return Resume::Stop,
            },
        }
    }
}

/// The stop message: what failed and what the user can do about it.
fn what_to_fix(account: &AccountConfig, err: &SyncError) -> String {
    match err {
        SyncError::Imap(e) | SyncError::Connect(crate::connect::ConnectError::Imap(e))
            if e.kind == ErrorKind::Auth =>
        {
            format!(
                "{e}; check the username and password of account \"{}\" in the config",
                account.name
            )
        }
        _ => err.to_string(),
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
    // What was done offline reaches the server before the sync reads the server's state.
    if options.replay_journal {
        super::journal::replay(&mut client, store, events).await?;
    }
    sync_account(&mut client, store, &options.folders, events).await?;
    resync_selected(&mut client, store, selected, events).await?;
    // Only a session that got this far resets the backoff: a server that accepts the
    // login and then fails every time must not be retried every second.
    backoff.reset();
    let mut prefetch = Prefetcher::new(options.prefetch_bodies);
    let mut inbox_watch = InboxWatch::start(account, store, options, events, selected);
    let mut next_status = options
        .status_interval
        .map(|i| tokio::time::Instant::now() + i);
    let mut seen = SeenExists::of(&client);
    loop {
        // Mail announced in the reply to some other command (a body fetch, a prefetch
        // round, a replay) comes with no IDLE push: the count tells.
        if seen.missed(&client, selected) {
            resync_selected(&mut client, store, selected, events).await?;
        }
        seen = SeenExists::of(&client);
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
        let prefetching = queued.is_empty() && prefetch.due(selected);
        if prefetching {
            // One round, then back to the top: commands and pushes come first.
            prefetch.round(&mut client, store, selected, events).await?;
        } else if queued.is_empty() {
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
                    // Ending IDLE waits for the server's answer within a short bound: a
                    // link that died while the machine slept is replaced now.
                    () = super::suspend::woke_from_suspend() => {
                        tracing::info!("{}: woke from a suspend; checking the connection", account.name);
                    }
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
            // Pushed changes are in the cache now: nothing missed so far.
            seen = SeenExists::of(&client);
            prefetch.new_mail();
        }
        let relist = queued.contains(&EngineCommand::SyncNow);
        if relist {
            // Ctrl-r: the other folders are listed and counted now too.
            next_status = Some(tokio::time::Instant::now());
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
            prefetch.new_mail();
        }
        if let Some(at) = next_status
            && tokio::time::Instant::now() >= at
        {
            poll_status(&mut client, store, selected, events, relist).await?;
            let _ = events.send(EngineEvent::FoldersChanged);
            next_status = options
                .status_interval
                .map(|i| tokio::time::Instant::now() + i);
        }
    }
}

/// Offline reading: INBOX bodies fetched ahead in small rounds between other work, again
/// after new mail. Its own failures (a message gone meanwhile) only pause it.
struct Prefetcher {
    prefetch: Prefetch,
    pending: bool,
}

impl Prefetcher {
    fn new(prefetch: Prefetch) -> Self {
        Self {
            prefetch,
            pending: prefetch.messages > 0,
        }
    }

    fn due(&self, selected: &str) -> bool {
        self.pending && selected.eq_ignore_ascii_case("INBOX")
    }

    fn new_mail(&mut self) {
        self.pending = self.prefetch.messages > 0;
    }

    async fn round(
        &mut self,
        client: &mut ImapClient,
        store: &Store,
        folder: &str,
        events: &EventSender,
    ) -> Result<()> {
        let result = super::body::prefetch_bodies(
            client,
            store,
            folder,
            self.prefetch,
            super::body::PREFETCH_BATCH,
        )
        .await;
        match result {
            Ok(round) => self.pending = round.missing > 0 && round.fetched > 0,
            Err(err) if err.is_folder_error() => {
                self.pending = false;
                let _ = events.send(EngineEvent::Error(format!(
                    "fetching bodies ahead stopped: {err}"
                )));
            }
            Err(err) => return Err(err),
        }
        Ok(())
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
        resync_selected(client, store, selected, events).await?;
    }
    Ok(())
}

/// The selected folder's EXISTS when the engine last looked.
struct SeenExists(Option<(String, u32)>);

impl SeenExists {
    fn of(client: &ImapClient) -> Self {
        let selected = client.selected().map(|(name, _)| name.to_string());
        Self(selected.zip(client.exists()))
    }

    /// The watched folder is still selected and its count moved since.
    fn missed(&self, client: &ImapClient, watched: &str) -> bool {
        match (&self.0, client.selected(), client.exists()) {
            (Some((name, before)), Some((now, false)), Some(exists)) => {
                name == watched && now == watched && exists != *before
            }
            _ => false,
        }
    }
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
            // The main connection keeps the folder list and counts.
            folders: Folders::Only("INBOX".to_string()),
            status_interval: None,
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

impl Drop for InboxWatch {
    /// A session that ends in an error leaves no watch connection running behind it.
    fn drop(&mut self) {
        if let Some((stop, _)) = &self.task {
            let _ = stop.send(true);
        }
    }
}

/// Applies pushes at once; new mail (EXISTS) or an unmapped EXPUNGE asks for a resync of
/// the folder, which fetches just what changed.
async fn apply_pushes(
    client: &mut ImapClient,
    store: &Store,
    folder: &mut String,
    updates: Vec<Update>,
    events: &EventSender,
) -> Result<()> {
    let name = folder.clone();
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
        resync_selected(client, store, folder, events).await?;
    } else {
        let _ = events.send(EngineEvent::FolderChanged {
            folder: folder.clone(),
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

/// Syncs the folder the user looks at, leaving it selected for IDLE. If the server
/// refuses it (deleted by another client, say), that is the folder's error and the
/// connection IDLEs on INBOX instead; choosing the folder again tries it again.
async fn resync_selected(
    client: &mut ImapClient,
    store: &Store,
    selected: &mut String,
    events: &EventSender,
) -> Result<()> {
    let result = resync(client, store, selected, events).await;
    if result.is_ok() {
        // It works again: its old error goes.
        folder_outcome(store, events, selected, Ok(())).await?;
        return Ok(());
    }
    let refused = matches!(&result, Err(err) if err.is_folder_error());
    if !refused || selected.eq_ignore_ascii_case("INBOX") {
        // INBOX refused is no folder's problem: the session retries.
        return result;
    }
    folder_outcome(store, events, selected, result).await?;
    *selected = "INBOX".to_string();
    resync(client, store, selected, events).await
}

/// STATUS for every other selectable folder: unsynced ones get fresh counts, synced ones
/// that changed are brought in step (then the watched folder is selected again for IDLE).
/// A folder the server refuses gets its own error; the poll goes on.
async fn poll_status(
    client: &mut ImapClient,
    store: &Store,
    watched: &mut String,
    events: &EventSender,
    relist: bool,
) -> Result<()> {
    if relist {
        // Ctrl-r: folders another client made, renamed or deleted show up too.
        super::account::sync_folder_list(client, store).await?;
    }
    let folders = store.reader()?.folders()?;
    let mut changed = Vec::new();
    for folder in folders
        .iter()
        .filter(|f| f.selectable && f.name != *watched)
    {
        if !folder.complete {
            let result = refresh_status(client, store, &folder.name).await;
            folder_outcome(store, events, &folder.name, result).await?;
            continue;
        }
        let result = client.status(&folder.name, &mut |_| {}).await;
        let Some(status) =
            folder_outcome(store, events, &folder.name, result.map_err(Into::into)).await?
        else {
            continue;
        };
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
        let result = sync.run(name).await;
        if folder_outcome(store, events, name, result).await?.is_some() {
            let _ = events.send(EngineEvent::FolderChanged {
                folder: name.clone(),
            });
        }
    }
    resync_selected(client, store, watched, events).await
}
