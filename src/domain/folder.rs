//! Folders as the UI and the engine both see them: cached state, role, list order.

/// Row id of a folder in the cache (not an IMAP concept).
pub type FolderId = i64;

/// A folder and its sync state as cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderState {
    pub id: FolderId,
    pub name: String,
    pub role: Option<String>,
    pub delimiter: Option<char>,
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    /// From cached rows once synced (`refresh_counts`), else from STATUS.
    pub messages: u32,
    pub unseen: u32,
    /// Unix seconds of the last completed sync step.
    pub synced_at: Option<i64>,
    /// The first full sync finished.
    pub complete: bool,
    /// Newest-first first sync: lowest UID fetched so far (the resume point).
    pub oldest_uid: Option<u32>,
    /// False for a `\Noselect` parent: listed, never STATUSed or selected.
    pub selectable: bool,
    /// Why the last STATUS/SELECT of this folder failed; None once it works again.
    pub last_error: Option<String>,
    /// Subscribed on the server (LSUB); the sidebar hides the others unless asked.
    pub subscribed: bool,
}

/// Whether `name` is `folder` or one of its children (by the server's `delimiter`).
pub fn within(name: &str, folder: &str, delimiter: Option<char>) -> bool {
    name == folder
        || delimiter.is_some_and(|d| {
            name.strip_prefix(folder)
                .is_some_and(|rest| rest.starts_with(d))
        })
}

/// `name` after folder `from` became `to`, if it was `from` or a child of it (by the
/// server's `delimiter`).
pub fn renamed(name: &str, from: &str, to: &str, delimiter: Option<char>) -> Option<String> {
    if name == from {
        return Some(to.to_string());
    }
    let d = delimiter?;
    let rest = name.strip_prefix(from)?.strip_prefix(d)?;
    Some(format!("{to}{d}{rest}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Newest first (Date header, else INTERNALDATE), ties by UID.
    DateDesc,
    /// Threads by latest activity, newest first; messages of a thread in tree (DFS) order.
    Threaded,
}

/// Special-use role of a mailbox (RFC 6154), plus INBOX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Inbox,
    Drafts,
    Sent,
    Archive,
    Junk,
    Trash,
    All,
    Flagged,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbox => "inbox",
            Self::Drafts => "drafts",
            Self::Sent => "sent",
            Self::Archive => "archive",
            Self::Junk => "junk",
            Self::Trash => "trash",
            Self::All => "all",
            Self::Flagged => "flagged",
        }
    }

    /// The special-use attribute that names this role (`\Junk`); the inbox has none.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Self::Inbox => None,
            Self::Drafts => Some("\\Drafts"),
            Self::Sent => Some("\\Sent"),
            Self::Archive => Some("\\Archive"),
            Self::Junk => Some("\\Junk"),
            Self::Trash => Some("\\Trash"),
            Self::All => Some("\\All"),
            Self::Flagged => Some("\\Flagged"),
        }
    }

    pub fn from_attribute(attribute: &str) -> Option<Self> {
        match attribute.to_ascii_lowercase().as_str() {
            "\\drafts" => Some(Self::Drafts),
            "\\sent" => Some(Self::Sent),
            "\\archive" => Some(Self::Archive),
            "\\junk" => Some(Self::Junk),
            "\\trash" => Some(Self::Trash),
            "\\all" => Some(Self::All),
            "\\flagged" => Some(Self::Flagged),
            _ => None,
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Inbox,
            Self::Drafts,
            Self::Sent,
            Self::Archive,
            Self::Junk,
            Self::Trash,
            Self::All,
            Self::Flagged,
        ]
        .into_iter()
        .find(|role| role.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_attribute_reads_back_as_its_role() {
        for name in [
            "drafts", "sent", "archive", "junk", "trash", "all", "flagged",
        ] {
            let role = Role::parse(name).unwrap();
            let attribute = role.attribute().unwrap();
            assert_eq!(Role::from_attribute(attribute), Some(role), "{attribute}");
        }
        assert_eq!(Role::Junk.attribute(), Some("\\Junk"));
        assert_eq!(Role::Inbox.attribute(), None);
    }

    #[test]
    fn a_folder_contains_its_children_by_delimiter_only() {
        assert!(within("INBOX.Projekte.Ärger", "INBOX.Projekte", Some('.')));
        assert!(within("INBOX.Projekte", "INBOX.Projekte", Some('.')));
        assert!(!within("INBOX.Projekte2", "INBOX.Projekte", Some('.')));
        assert!(!within("Work/a", "Work", None));
        assert_eq!(
            renamed("Work/a/b", "Work", "Jobs", Some('/')).as_deref(),
            Some("Jobs/a/b")
        );
    }
}
