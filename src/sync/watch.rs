//! Staying in step while running: IDLE on the watched folder, pushes applied as they come,
//! other folders counted with STATUS on an interval, body fetches and replays as asked. The
//! session loop and reconnects are the `Engine`'s (src/sync/engine.rs).

use tokio::sync::{mpsc, watch};

use super::account::{Folders, folder_outcome, refresh_status};
use super::apply::apply_updates;
use super::engine::Engine;
use super::error::Result;
use super::folder::FolderSync;
use super::kind::error_kind;
use crate::bus::{EngineEvent, ErrorKind, EventSender, OpId};
use crate::config::{AccountConfig, Prefetch};
use crate::domain::folder::FolderState;
use crate::domain::ids::MsgKey;
use crate::imap::{ImapClient, StatusEntry, Update};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The folder the command connection IDLEs on.
    pub folder: String,
    pub folders: Folders,
    pub idle_refresh: std::time::Duration,
    /// STATUS poll of the other folders; None = never.
    pub status_interval: Option<std::time::Duration>,
    /// INBOX bodies fetched ahead for offline reading (by whichever connection IDLEs on it).
    pub prefetch_bodies: Prefetch,
    /// Send the journal; only one connection of an account may (the INBOX watch does not).
    pub replay_journal: bool,
}

pub use crate::bus::EngineCommand;

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
    engine(account, store, options, events)
        .run_unattended(shutdown, commands)
        .await
}

/// The engine for the UI: see `Engine::run`.
pub async fn run_engine(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
    shutdown: watch::Receiver<bool>,
    commands: mpsc::UnboundedReceiver<EngineCommand>,
) -> Result<()> {
    engine(account, store, options, events)
        .run(shutdown, commands)
        .await
}

fn engine(
    account: &AccountConfig,
    store: &Store,
    options: &WatchOptions,
    events: &EventSender,
) -> Engine {
    Engine {
        account: account.clone(),
        store: store.clone(),
        options: options.clone(),
        events: events.clone(),
    }
}

/// Offline reading: INBOX bodies fetched ahead in small rounds between other work, again
/// after new mail. Its own failures (a message gone meanwhile) only pause it.
pub(super) struct Prefetcher {
    prefetch: Prefetch,
    pending: bool,
}

impl Prefetcher {
    pub(super) fn new(prefetch: Prefetch) -> Self {
        Self {
            prefetch,
            pending: prefetch.messages > 0,
        }
    }

    pub(super) fn due(&self, selected: &str) -> bool {
        self.pending && selected.eq_ignore_ascii_case("INBOX")
    }

    pub(super) fn new_mail(&mut self) {
        self.pending = self.prefetch.messages > 0;
    }

    pub(super) async fn round(
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

pub(super) async fn handle_commands(
    client: &mut ImapClient,
    store: &Store,
    events: &EventSender,
    queued: Vec<EngineCommand>,
    selected: &mut String,
    replay_journal: bool,
) -> Result<()> {
    // Latest wins: scrolling past fifty messages asks for one body, not fifty.
    let latest_body = queued.iter().rev().find_map(|c| match c {
        EngineCommand::FetchBody { op, key } => Some((*op, key.clone())),
        _ => None,
    });
    let queued_parts: Vec<EngineCommand> = queued
        .iter()
        .filter(|c| matches!(c, EngineCommand::FetchPart { .. }))
        .cloned()
        .collect();
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
            EngineCommand::Folder { op, action } => {
                super::folder_ops::answer(client, store, events, op, &action, selected).await?;
            }
            EngineCommand::Search { op, account, query } => {
                super::search::answer(client, store, events, op, &account, &query).await?;
            }
            _ => {}
        }
    }
    if let Some((op, key)) = latest_body {
        fetch_asked_body(client, store, events, op, key).await?;
    }
    for command in &queued_parts {
        if let EngineCommand::FetchPart { op, key, section } = command {
            fetch_asked_part(client, store, events, *op, key, section).await?;
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

/// Fetches the body the user waits for; a failure only the connection's is the session's,
/// any other answers `op`.
async fn fetch_asked_body(
    client: &mut ImapClient,
    store: &Store,
    events: &EventSender,
    op: OpId,
    key: MsgKey,
) -> Result<()> {
    if let Some(message) = renumbered(store, &key)? {
        let kind = ErrorKind::StaleUidValidity;
        let _ = events.send(EngineEvent::OpFailed { op, kind, message });
        return Ok(());
    }
    let (folder, uid) = (key.folder, key.uid.0);
    let mut structure_stored = || {
        let folder = folder.clone();
        let _ = events.send(EngineEvent::StructureReady { folder, uid });
    };
    let fetched =
        super::parts::fetch_display_then(client, store, &folder, uid, &mut structure_stored).await;
    match fetched {
        Ok(()) => {
            let _ = events.send(EngineEvent::BodyReady { folder, uid });
        }
        Err(err) if err.is_transient() => return Err(err),
        Err(err) => {
            let _ = events.send(EngineEvent::OpFailed {
                op,
                kind: error_kind(&err),
                message: err.to_string(),
            });
        }
    }
    Ok(())
}

/// Fetches a part asked for (to save, pipe or open it); answered like a body.
async fn fetch_asked_part(
    client: &mut ImapClient,
    store: &Store,
    events: &EventSender,
    op: OpId,
    key: &MsgKey,
    section: &str,
) -> Result<()> {
    if let Some(message) = renumbered(store, key)? {
        let kind = ErrorKind::StaleUidValidity;
        let _ = events.send(EngineEvent::OpFailed { op, kind, message });
        return Ok(());
    }
    let (folder, uid) = (key.folder.clone(), key.uid.0);
    match super::parts::fetch_part(client, store, &folder, uid, section).await {
        Ok(_) => {
            let section = section.to_string();
            let _ = events.send(EngineEvent::PartReady {
                op,
                folder,
                uid,
                section,
            });
        }
        Err(err) if err.is_transient() => return Err(err),
        Err(err) => {
            let _ = events.send(EngineEvent::OpFailed {
                op,
                kind: error_kind(&err),
                message: err.to_string(),
            });
        }
    }
    Ok(())
}

/// Why `key`'s UID no longer names the message the user saw (its folder was renumbered
/// since), if it does not.
fn renumbered(store: &Store, key: &MsgKey) -> Result<Option<String>> {
    let now = store
        .reader()?
        .folder(&key.folder)?
        .and_then(|f| f.uidvalidity);
    Ok(match now {
        Some(now) if now != key.uidvalidity.0 => Some(format!(
            "{} was renumbered on the server since it was shown; open the message again",
            key.folder
        )),
        _ => None,
    })
}

/// The selected folder's EXISTS when the engine last looked.
pub(super) struct SeenExists(Option<(String, u32)>);

impl SeenExists {
    pub(super) fn of(client: &ImapClient) -> Self {
        let selected = client.selected().map(|(name, _)| name.to_string());
        Self(selected.zip(client.exists()))
    }

    /// The watched folder is still selected and its count moved since.
    pub(super) fn missed(&self, client: &ImapClient, watched: &str) -> bool {
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
pub(super) struct InboxWatch {
    folder: String,
    task: Option<(watch::Sender<bool>, tokio::task::JoinHandle<()>)>,
}

impl InboxWatch {
    pub(super) fn start(
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

    /// INBOX has its own connection IDLEing on it now.
    pub(super) fn watching(&self) -> Option<&str> {
        match &self.task {
            Some((_, task)) if !task.is_finished() => Some("INBOX"),
            _ => None,
        }
    }

    pub(super) fn folder_changed(&self, selected: &str) -> bool {
        self.folder != selected
    }

    pub(super) async fn stop(&mut self) {
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

/// Applies pushes at once; new mail (EXISTS) is fetched where it is when that is enough
/// (`catch_up_selected`), an unmapped EXPUNGE asks for a resync of the folder.
pub(super) async fn apply_pushes(
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
    match &applied {
        None => resync_selected(client, store, folder, events).await?,
        Some(a) if a.unmapped_expunge => resync_selected(client, store, folder, events).await?,
        Some(a) if a.saw_exists => catch_up_selected(client, store, folder, events).await?,
        Some(_) => {
            let _ = events.send(EngineEvent::FolderChanged {
                folder: folder.clone(),
            });
        }
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

/// Mail announced for the selected folder (a count that grew): its headers where that is
/// enough, else a resync.
pub(super) async fn catch_up_selected(
    client: &mut ImapClient,
    store: &Store,
    selected: &mut String,
    events: &EventSender,
) -> Result<()> {
    if super::folder::fetch_pushed_new(client, store, selected).await? {
        let _ = events.send(EngineEvent::FolderChanged {
            folder: selected.clone(),
        });
        return Ok(());
    }
    resync_selected(client, store, selected, events).await
}

/// Syncs the folder the user looks at, leaving it selected for IDLE. If the server
/// refuses it (deleted by another client, say), that is the folder's error and the
/// connection IDLEs on INBOX instead; choosing the folder again tries it again.
pub(super) async fn resync_selected(
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

/// STATUS for every other selectable folder (not `watched`, nor `also_watched`, INBOX on
/// its own connection): unsynced ones get fresh counts, synced ones that changed are
/// brought in step (then the watched folder is selected again for IDLE). A folder the
/// server refuses gets its own error; the poll goes on.
pub(super) async fn poll_status(
    client: &mut ImapClient,
    store: &Store,
    watched: &mut String,
    events: &EventSender,
    relist: bool,
    also_watched: Option<&str>,
) -> Result<()> {
    if relist {
        // Ctrl-r: folders another client made, renamed or deleted show up too.
        super::account::sync_folder_list(client, store).await?;
    }
    let folders = store.reader()?.folders()?;
    let mut changed = Vec::new();
    for folder in folders
        .iter()
        .filter(|f| f.selectable && f.name != *watched && Some(f.name.as_str()) != also_watched)
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
        if moved(&status, folder) {
            changed.push(folder.name.clone());
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    bring_in_step(client, store, watched, events, &changed).await
}

/// Whether a STATUS (asked for or pushed, so any item may be missing) differs from what
/// the cache has: new or expunged mail, a renumbering, changed flags (HIGHESTMODSEQ, or
/// at least the unseen count without CONDSTORE).
pub(super) fn moved(status: &StatusEntry, folder: &FolderState) -> bool {
    let differs = |pushed: Option<u64>, cached: Option<u64>| pushed.is_some() && pushed != cached;
    differs(
        status.uid_next.map(u64::from),
        folder.uidnext.map(u64::from),
    ) || differs(
        status.uid_validity.map(u64::from),
        folder.uidvalidity.map(u64::from),
    ) || differs(status.highest_modseq, folder.highestmodseq)
        || differs(
            status.messages.map(u64::from),
            Some(u64::from(folder.messages)),
        )
        || differs(status.unseen.map(u64::from), Some(u64::from(folder.unseen)))
}

/// Syncs the folders that changed, then selects the watched one again for IDLE.
pub(super) async fn bring_in_step(
    client: &mut ImapClient,
    store: &Store,
    watched: &mut String,
    events: &EventSender,
    changed: &[String],
) -> Result<()> {
    let quiet = |_: usize, _: usize| {};
    for name in changed {
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
