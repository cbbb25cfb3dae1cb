//! Errors of a sync step: the IMAP side (retry later if transient) or the cache (report).

use crate::domain::text::sanitize;
use crate::imap::{ErrorKind, ImapError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    // transparent: "{0}" plus #[from] made `{:#}` print the message twice ("X: X").
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("cache: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
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
    /// The folder's UIDVALIDITY is not the one its waiting actions were made under: their
    /// UIDs name other messages now, so they were dropped (failed), never sent.
    #[error("{}", crate::store::recreated_reason(folder, *dropped))]
    FolderRecreated { folder: String, dropped: usize },
    /// An action on a folder view older than the cache: the UIDs the user picked may name
    /// other messages now.
    #[error(
        "{} changed on the server since it was shown; nothing done",
        sanitize(folder)
    )]
    FolderChanged { folder: String },
}

impl SyncError {
    /// Whether reconnecting after a pause may help.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Imap(e) => e.kind.is_transient(),
            Self::Connect(e) => e.is_transient(),
            Self::Store(_)
            | Self::Undo(_)
            | Self::NoTrash
            | Self::FolderRecreated { .. }
            | Self::FolderChanged { .. } => false,
        }
    }

    /// The server refused something about one folder (NO/BAD to its STATUS or SELECT, or an
    /// answer we could not use) while the connection stays fine: that folder's error.
    pub fn is_folder_error(&self) -> bool {
        matches!(self, Self::Imap(e) if matches!(e.kind, ErrorKind::Command | ErrorKind::Protocol))
    }

    /// Only the user can fix it (a wrong password, a refused certificate): retrying on a
    /// timer would only lock the account or hammer the server.
    pub fn needs_user(&self) -> bool {
        let kind = match self {
            Self::Imap(e) => e.kind,
            Self::Connect(e) => e.kind(),
            Self::Store(_)
            | Self::Undo(_)
            | Self::NoTrash
            | Self::FolderRecreated { .. }
            | Self::FolderChanged { .. } => return false,
        };
        matches!(kind, ErrorKind::Auth | ErrorKind::Tls)
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_imap_error_is_said_once() {
        let err = anyhow::Error::from(SyncError::from(ImapError::protocol("boom")));
        assert_eq!(format!("{err:#}"), "boom");
    }
}
