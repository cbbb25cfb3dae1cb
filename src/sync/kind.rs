//! The one place a sync error becomes the kind the UI and the engine act on.

use super::error::SyncError;
use crate::bus::ErrorKind;
use crate::imap::ErrorKind as ImapKind;

pub fn error_kind(err: &SyncError) -> ErrorKind {
    if err.needs_user() {
        return ErrorKind::Auth;
    }
    if err.is_transient() {
        return ErrorKind::Network;
    }
    match err {
        SyncError::Store(_) => ErrorKind::Store,
        SyncError::NoTrash => ErrorKind::NoTrash,
        SyncError::Undo(_) => ErrorKind::Refused,
        SyncError::Imap(e) if e.kind == ImapKind::Command => ErrorKind::Refused,
        SyncError::FolderRecreated { .. } | SyncError::FolderChanged { .. } => {
            ErrorKind::StaleUidValidity
        }
        _ => ErrorKind::Bug,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::ImapError;

    #[test]
    fn each_error_gets_the_kind_the_user_can_act_on() {
        assert_eq!(error_kind(&SyncError::NoTrash), ErrorKind::NoTrash);
        assert_eq!(
            error_kind(&SyncError::Undo("no".into())),
            ErrorKind::Refused
        );
        let imap = |kind| SyncError::Imap(ImapError::new(kind, "x"));
        assert_eq!(error_kind(&imap(ImapKind::Auth)), ErrorKind::Auth);
        assert_eq!(error_kind(&imap(ImapKind::Tls)), ErrorKind::Auth);
        assert_eq!(error_kind(&imap(ImapKind::Timeout)), ErrorKind::Network);
        assert_eq!(error_kind(&imap(ImapKind::Command)), ErrorKind::Refused);
        assert_eq!(error_kind(&imap(ImapKind::Bug)), ErrorKind::Bug);
    }
}
