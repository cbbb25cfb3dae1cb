//! The only types the UI and the engine share: commands in, events out. A request with an
//! outcome (an action, an undo, a body fetch) carries an `OpId`; its answer names it.
//! Adding an action is one `Act` variant here, one `Action`, one key, one handle branch.

use crate::domain::ids::MsgKey;
use crate::domain::message::MessageRow;

/// Connection state as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Online,
    Syncing {
        folder: String,
        done: u32,
        total: u32,
    },
    Offline {
        reason: String,
    },
    Reconnecting {
        in_secs: u64,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    Conn(ConnState),
    /// Cached rows of this folder changed (new, removed or re-flagged messages).
    FolderChanged {
        folder: String,
    },
    /// The folder list or counts changed.
    FoldersChanged,
    /// A body is now in the cache.
    BodyReady {
        folder: String,
        uid: u32,
    },
    /// A message's structure is in the cache, its text not yet: the part list can show.
    StructureReady {
        folder: String,
        uid: u32,
    },
    /// A part asked for by `FetchPart` `op` is now in the cache (whole, not cut).
    PartReady {
        op: OpId,
        folder: String,
        uid: u32,
        section: String,
    },
    /// Something failed that the user should hear about; the engine goes on.
    Error(String),
    /// Request `op` is done; `summary` is for the status line (empty: nothing to add to what
    /// the app said when it asked), `folders` are the folders whose rows changed.
    OpDone {
        op: OpId,
        summary: String,
        folders: Vec<String>,
    },
    /// The server's answer to `EngineCommand::Search` `op`: hits in folders the cache does
    /// not fully hold (none when it holds everything); `skipped` names folders not searched.
    SearchFound {
        op: OpId,
        hits: Vec<ServerFound>,
        skipped: Vec<String>,
    },
    /// Request `op` failed; nothing was changed by it. `message` is for the status line.
    OpFailed {
        op: OpId,
        kind: ErrorKind,
        message: String,
    },
}

/// Names one request that has an outcome; the app hands them out, unique per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OpId(pub u64);

/// What kind of failure an `OpFailed` (or a stopped engine) is: what the user can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The folder was renumbered (new UIDVALIDITY) since the user saw it: the UIDs are void.
    StaleUidValidity,
    /// Wrong credentials or a refused certificate: only the user can fix it.
    Auth,
    /// The link failed; retrying later may work.
    Network,
    /// The server (or the undo rules) said no; nothing changed.
    Refused,
    /// Delete asked for with no Trash known.
    NoTrash,
    /// The local cache failed (disk full, permissions).
    Store,
    /// A bug of tern or a server answer it cannot use.
    Bug,
}

/// What the UI (or the CLI) asks of a running engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCommand {
    /// Make this the folder the command connection syncs and IDLEs on.
    SelectFolder(String),
    /// Fetch a body into the cache (latest wins: older queued requests are dropped).
    /// Answered by `BodyReady`, or `OpFailed` when the server cannot give it.
    FetchBody { op: OpId, key: MsgKey },
    /// Fetch one whole part ("1.2") of a message into the cache; the empty section is the
    /// whole message (the raw source). Answered by `PartReady` or `OpFailed`; never dropped
    /// for a later one.
    FetchPart {
        op: OpId,
        key: MsgKey,
        section: String,
    },
    /// Sync the selected folder and count the others now.
    SyncNow,
    /// New actions are in the journal: send them.
    Replay,
    /// Change the folder list on the server (never queued: refused when offline). Answered
    /// by `OpDone` with a summary, then `FoldersChanged`; or `OpFailed` with the reason.
    Folder { op: OpId, action: FolderAction },
    /// Run the search language `query` on the server in the folders the cache does not fully
    /// hold; `account` is this account's name (for `account:` terms). Answered by
    /// `SearchFound`, or `OpFailed` (offline, a query the server cannot run).
    Search {
        op: OpId,
        account: String,
        query: String,
    },
}

/// A change to an account's folder list. Names are as `tern folders` shows them (UTF-8, the
/// server's delimiter); the engine encodes them for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderAction {
    Create {
        name: String,
    },
    /// Children follow their parent.
    Rename {
        from: String,
        to: String,
    },
    /// The user has confirmed (messages included); `force` also allows a role folder.
    Delete {
        name: String,
        force: bool,
    },
    Subscribe {
        name: String,
    },
    Unsubscribe {
        name: String,
    },
}

/// A message the server found for `Search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFound {
    pub folder: String,
    pub row: MessageRow,
    /// The row is the cache's; otherwise its headers were fetched for the result list only.
    pub cached: bool,
    /// Gmail's X-GM-MSGID: the same mail in several labels is listed once.
    pub gmail_id: Option<u64>,
}

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
    /// To the Junk folder (the `\Junk` role or the configured one).
    Junk,
}

/// Where the engine reports. Unbounded on purpose: the engine must never block on a slow
/// reader, and events are small and coalesced by the UI.
pub type EventSender = tokio::sync::mpsc::UnboundedSender<EngineEvent>;
