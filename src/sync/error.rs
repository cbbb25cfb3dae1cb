//! Errors of a sync step: the IMAP side (retry later if transient) or the cache (report).

use crate::imap::ImapError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Imap(#[from] ImapError),
    #[error("cache: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Connect(#[from] crate::connect::ConnectError),
    /// An undo that cannot be done, and why.
    #[error("cannot undo: {0}")]
    Undo(String),
    /// Delete asked for, but no Trash is known (configured, special-use or by name).
    #[error(
        "no Trash folder is known; nothing was deleted: set trash = \"FOLDER\" in the account, \
         or delete = \"expunge\" to delete for good"
    )]
    NoTrash,
}

impl SyncError {
    /// Whether reconnecting after a pause may help.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Imap(e) => e.kind.is_transient(),
            Self::Connect(e) => e.is_transient(),
            Self::Store(_) | Self::Undo(_) | Self::NoTrash => false,
        }
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;
