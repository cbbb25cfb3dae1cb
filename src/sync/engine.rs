//! The engine of one account: sessions one after another, each connecting, syncing and then
//! watching (src/sync/watch.rs), with what ends a session decided by its error's kind:
//! a stale UIDVALIDITY resyncs at once, auth stops until the user retries, anything else
//! backs off and reconnects.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, mpsc, watch};

use super::account::sync_account;
use super::backoff::Backoff;
use super::error::{Result, SyncError};
use super::follow::{Follow, apply_notified};
use super::kind::error_kind;
use super::suspend::ClockJump;
use super::watch::{
    InboxWatch, Prefetcher, SeenExists, WatchOptions, apply_pushes, catch_up_selected,
    handle_commands, poll_status, resync_selected,
};
use crate::bus::{ConnState, EngineCommand, EngineEvent, ErrorKind, EventSender};
use crate::config::AccountConfig;
use crate::connect;
use crate::imap::Update;
use crate::store::Store;

/// One account's engine: its config, its cache, what to watch, and where it reports.
pub struct Engine {
    pub account: AccountConfig,
    pub store: Store,
    pub options: WatchOptions,
    pub events: EventSender,
}

/// What a pause between sessions ended with.
enum Resume {
    Retry,
    Stop,
}

impl Engine {
    /// For the UI: it never gives up. A failure only the user can fix stops the account with
    /// a message that says what to fix, and `SyncNow` (Ctrl-r) retries at once, from a
    /// backoff or from such a stop. Returns when `shutdown` turns true or the command
    /// channel closes.
    pub async fn run(
        self,
        shutdown: watch::Receiver<bool>,
        commands: mpsc::UnboundedReceiver<EngineCommand>,
    ) -> Result<()> {
        self.drive(shutdown, commands, true).await
    }

    /// For the CLI: as `run`, but with no one to press `Ctrl-r`, a failure only the user
    /// can fix (a wrong password, a refused certificate) ends it with the error.
    pub async fn run_unattended(
        self,
        shutdown: watch::Receiver<bool>,
        commands: mpsc::UnboundedReceiver<EngineCommand>,
    ) -> Result<()> {
        self.drive(shutdown, commands, false).await
    }

    async fn drive(
        self,
        mut shutdown: watch::Receiver<bool>,
        mut commands: mpsc::UnboundedReceiver<EngineCommand>,
        interactive: bool,
    ) -> Result<()> {
        let mut backoff = Backoff::default();
        let mut selected = self.options.folder.clone();
        // One immediate resync per stale UIDVALIDITY; a second in a row backs off.
        let mut resynced = false;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            self.say(EngineEvent::Conn(ConnState::Connecting));
            let mut session = Session {
                shutdown: &mut shutdown,
                commands: &mut commands,
                selected: &mut selected,
                backoff: &mut backoff,
            };
            let err = match self.session(&mut session).await {
                Ok(()) => return Ok(()),
                Err(err) => err,
            };
            let kind = error_kind(&err);
            let resume = match kind {
                ErrorKind::Auth => {
                    let reason = self.what_to_fix(&err);
                    tracing::warn!("{}: stopped: {reason}", self.account.name);
                    self.say(EngineEvent::Conn(ConnState::Offline { reason }));
                    if !interactive {
                        return Err(err);
                    }
                    self.wait_for_retry(None, &mut shutdown, &mut commands, &mut selected)
                        .await
                }
                ErrorKind::StaleUidValidity if !resynced => {
                    resynced = true;
                    tracing::info!("{}: {err}; resyncing", self.account.name);
                    Resume::Retry
                }
                _ => {
                    resynced = false;
                    if kind == ErrorKind::Store {
                        // The cache is the user's to look at (disk full, permissions): say so.
                        self.say(EngineEvent::Error(err.to_string()));
                    }
                    let delay = backoff.next_delay();
                    tracing::info!("{}: {err}; reconnecting in {delay:?}", self.account.name);
                    let countdown = Countdown {
                        deadline: tokio::time::Instant::now() + delay,
                        reason: err.to_string(),
                        events: &self.events,
                    };
                    self.wait_for_retry(
                        Some(countdown),
                        &mut shutdown,
                        &mut commands,
                        &mut selected,
                    )
                    .await
                }
            };
            match resume {
                Resume::Retry => {}
                Resume::Stop => return Ok(()),
            }
        }
    }

    fn say(&self, event: EngineEvent) {
        let _ = self.events.send(event);
    }

    /// Waits out `countdown` (None: until the user asks), keeping the latest folder choice
    /// for when we are back. `SyncNow` cuts it short.
    async fn wait_for_retry(
        &self,
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
                    Some(
                        EngineCommand::FetchBody { .. }
                        | EngineCommand::FetchPart { .. }
                        | EngineCommand::Replay,
                    ) => {}
                    Some(EngineCommand::Folder { op, .. }) => self.say(EngineEvent::OpFailed {
                        op,
                        kind: ErrorKind::Network,
                        message: "offline: folder changes need the server; nothing was changed".into(),
                    }),
                    Some(EngineCommand::Search { op, .. }) => self.say(EngineEvent::OpFailed {
                        op,
                        kind: crate::bus::ErrorKind::Network,
                        message: "offline: searched the cache only".into(),
                    }),
                    None => return Resume::Stop,
                },
            }
        }
    }

    /// The stop message: what failed and what the user can do about it.
    fn what_to_fix(&self, err: &SyncError) -> String {
        match err {
            SyncError::Imap(e) | SyncError::Connect(crate::connect::ConnectError::Imap(e))
                if e.kind == crate::imap::ErrorKind::Auth =>
            {
                format!(
                    "{e}; check the username and password of account \"{}\" in the config",
                    self.account.name
                )
            }
            _ => err.to_string(),
        }
    }

    /// One connection from login to the first error (or shutdown).
    async fn session(&self, s: &mut Session<'_>) -> Result<()> {
        let (account, store, options, events) =
            (&self.account, &self.store, &self.options, &self.events);
        let selected = &mut *s.selected;
        let commands = &mut *s.commands;
        let shutdown = &mut *s.shutdown;
        let mut client = connect::connect(account).await?;
        // What was done offline reaches the server before the sync reads the server's state.
        if options.replay_journal {
            super::journal::replay(&mut client, store, events).await?;
        }
        sync_account(&mut client, store, &options.folders, events).await?;
        resync_selected(&mut client, store, selected, events).await?;
        // Mail announced in the answers below (NOTIFY SET, STATUS) is caught by the count.
        let mut seen = SeenExists::of(&client);
        // Only after the first sync: under NOTIFY, Dovecot rescans a maildir folder on every
        // SELECT (2 s at a million messages), which must not delay the first screen.
        let mut follow =
            Follow::start(&mut client, &options.folders, account.poll_interval).await?;
        if client.is_notifying() {
            // What changed elsewhere during the sync, before the pushes began.
            poll_status(&mut client, store, selected, events, true, None).await?;
        }
        // Only a session that got this far resets the backoff: a server that accepts the
        // login and then fails every time must not be retried every second.
        s.backoff.reset();
        let mut prefetch = Prefetcher::new(options.prefetch_bodies);
        let mut inbox_watch = InboxWatch::start(account, store, options, events, selected);
        let mut next_status = options
            .status_interval
            .map(|i| tokio::time::Instant::now() + i);
        loop {
            // Mail announced in the reply to some other command (a body fetch, a prefetch
            // round, a replay) comes with no IDLE push: the count tells.
            if seen.missed(&client, selected) {
                catch_up_selected(&mut client, store, selected, events).await?;
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
                    let poll_due = async {
                        match follow.due_at() {
                            Some(at) => tokio::time::sleep_until(at).await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        () = woken.notified() => {}
                        () = status_due => {}
                        () = poll_due => {}
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
            let mut updates = std::mem::take(
                &mut *pushed
                    .lock()
                    .map_err(|_| crate::imap::ImapError::bug("push buffer poisoned"))?,
            );
            // NOTIFY's STATUS and LIST pushes are about other folders: the client keeps them.
            updates.retain(|u| !matches!(u, Update::Status(_) | Update::List(_)));
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
            let notified = client.take_notified();
            if !notified.is_empty() {
                let inbox = inbox_watch.watching();
                apply_notified(&mut client, store, selected, events, notified, inbox).await?;
            }
            if follow.is_due() {
                // No NOTIFY: the folder list and the other folders' STATUS, every round.
                let started = tokio::time::Instant::now();
                let inbox = inbox_watch.watching();
                poll_status(&mut client, store, selected, events, true, inbox).await?;
                let _ = events.send(EngineEvent::FoldersChanged);
                follow.polled(started.elapsed());
                // That was the STATUS poll too.
                next_status = options
                    .status_interval
                    .map(|i| tokio::time::Instant::now() + i);
            }
            if let Some(at) = next_status
                && tokio::time::Instant::now() >= at
            {
                // Under NOTIFY also the safety net for a push never sent: the folder list
                // too. Without it (and no poll) the list is read again on Ctrl-r only.
                let relist = relist || client.is_notifying();
                poll_status(&mut client, store, selected, events, relist, None).await?;
                let _ = events.send(EngineEvent::FoldersChanged);
                next_status = options
                    .status_interval
                    .map(|i| tokio::time::Instant::now() + i);
            }
        }
    }
}

/// What a session borrows from the engine's loop and hands back changed.
struct Session<'a> {
    shutdown: &'a mut watch::Receiver<bool>,
    commands: &'a mut mpsc::UnboundedReceiver<EngineCommand>,
    /// The folder the user looks at; kept across sessions.
    selected: &'a mut String,
    backoff: &'a mut Backoff,
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
