//! The only types the UI and the engine share: commands in, events out.

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
    /// Something failed that the user should hear about; the engine goes on.
    Error(String),
}

/// Where the engine reports. Unbounded on purpose: the engine must never block on a slow
/// reader, and events are small and coalesced by the UI.
pub type EventSender = tokio::sync::mpsc::UnboundedSender<EngineEvent>;
