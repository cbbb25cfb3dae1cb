//! What the IMAP layer hands to its callers: owned, typed, free of imap-types lifetimes.
//! Sequence numbers appear only where the protocol gives nothing else (EXISTS, EXPUNGE).

use crate::domain::uidset::UidSet;

/// One untagged response, delivered in the order the server sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Exists(u32),
    Recent(u32),
    /// `uid` is known when the session has a complete sequence map for the mailbox.
    Expunge {
        seq: u32,
        uid: Option<u32>,
    },
    Vanished {
        earlier: bool,
        uids: UidSet,
    },
    Fetch(Box<FetchData>),
    Flags(Vec<String>),
    List(ListEntry),
    Status(StatusEntry),
    Search {
        ids: Vec<u32>,
        modseq: Option<u64>,
    },
    Capabilities(Vec<String>),
    Enabled(Vec<String>),
    /// An untagged OK/NO/BAD, usually carrying a response code.
    Info(StatusInfo),
    Bye(String),
    /// A response the codec could not parse; its first bytes, for the log.
    Unparsed(String),
    /// A FETCH of Gmail's X-GM-MSGID (`imap::gmail`), which the codec does not know.
    GmailId(super::gmail::GmailId),
    Id(Vec<(String, Option<String>)>),
}

/// The message an unparsed response was about, when its first bytes say so
/// (`* 5 FETCH (UID 17 ...`), so that it can be named instead of vanishing.
pub fn unparsed_fetch_uid(preview: &str) -> Option<u32> {
    let mut words = preview.split_whitespace();
    let is_fetch = words.next() == Some("*")
        && words.next().is_some_and(|w| w.parse::<u32>().is_ok())
        && words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("FETCH"));
    if !is_fetch {
        return None;
    }
    let mut words = words.map(|w| w.trim_start_matches('('));
    while let Some(word) = words.next() {
        if word.eq_ignore_ascii_case("UID") {
            return words.next()?.trim_end_matches(')').parse().ok();
        }
    }
    None
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FetchData {
    pub seq: u32,
    pub uid: Option<u32>,
    pub flags: Option<Vec<String>>,
    pub modseq: Option<u64>,
    /// Unix seconds.
    pub internal_date: Option<i64>,
    pub size: Option<u32>,
    pub envelope: Option<Envelope>,
    /// `BODY[HEADER...]` sections.
    pub header: Option<Vec<u8>>,
    /// `BODY[]` or `BODY[TEXT]`.
    pub body: Option<Vec<u8>>,
    /// BODYSTRUCTURE, bounded.
    pub structure: Option<crate::domain::parts::Structure>,
    /// `BODY[1.2]`, `BODY[1.2.MIME]`, `BODY[HEADER]`, `BINARY[1.2]`: by section.
    pub sections: Vec<FetchedSection>,
}

/// One section of a message as the server sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchedSection {
    /// "1.2", "1.2.MIME", "HEADER".
    pub section: String,
    /// The first octet, for a partial fetch.
    pub origin: Option<u32>,
    /// BINARY: the server already undid the transfer encoding.
    pub binary: bool,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    pub date: Option<String>,
    pub subject: Option<String>,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub in_reply_to: Option<String>,
    pub message_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

pub use crate::domain::folder::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// Decoded from modified UTF-7.
    pub name: String,
    /// The name as the server spells it, for commands.
    pub wire_name: Vec<u8>,
    pub delimiter: Option<char>,
    pub attributes: Vec<String>,
}

impl ListEntry {
    pub fn role(&self) -> Option<Role> {
        if self.name.eq_ignore_ascii_case("INBOX") {
            return Some(Role::Inbox);
        }
        self.attributes
            .iter()
            .find_map(|attribute| Role::from_attribute(attribute))
    }

    pub fn selectable(&self) -> bool {
        !self.attributes.iter().any(|a| {
            a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent")
        })
    }
}

/// The subscribed names of an LSUB answer; None when it says nothing beyond INBOX (many
/// servers subscribe only INBOX for the user): then every folder counts as subscribed, so
/// an account whose folders were never subscribed hides nothing.
pub fn subscribed_names(lsub: Vec<ListEntry>) -> Option<std::collections::HashSet<String>> {
    let reported = lsub.iter().any(|e| !e.name.eq_ignore_ascii_case("INBOX"));
    reported.then(|| lsub.into_iter().map(|e| e.name).collect())
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusEntry {
    pub name: String,
    pub messages: Option<u32>,
    pub unseen: Option<u32>,
    pub uid_next: Option<u32>,
    pub uid_validity: Option<u32>,
    pub highest_modseq: Option<u64>,
    pub recent: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusKind {
    Ok,
    No,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusInfo {
    pub kind: StatusKind,
    pub code: Option<Code>,
    pub text: String,
}

/// The response codes tern acts on; the rest are kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    Alert,
    UidValidity(u32),
    UidNext(u32),
    Unseen(u32),
    HighestModSeq(u64),
    NoModSeq,
    Closed,
    ReadOnly,
    ReadWrite,
    PermanentFlags(Vec<String>),
    Capability(Vec<String>),
    AppendUid {
        uid_validity: u32,
        uid: u32,
    },
    CopyUid {
        uid_validity: u32,
        source: UidSet,
        destination: UidSet,
    },
    Modified(UidSet),
    TryCreate,
    CompressionActive,
    Other(String),
}

/// The mailbox state a SELECT/EXAMINE reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectInfo {
    pub exists: u32,
    pub uid_validity: Option<u32>,
    pub uid_next: Option<u32>,
    pub highest_modseq: Option<u64>,
    /// The server said NOMODSEQ: no CONDSTORE for this mailbox.
    pub no_modseq: bool,
    pub flags: Vec<String>,
    pub permanent_flags: Vec<String>,
    pub read_only: bool,
}

/// QRESYNC parameters for SELECT (RFC 7162 §3.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QresyncParams {
    pub uid_validity: u32,
    pub modseq: u64,
    pub known_uids: Option<UidSet>,
}

/// What a COPY or MOVE reported, when the server supports UIDPLUS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyResult {
    pub uid_validity: u32,
    pub source: UidSet,
    pub destination: UidSet,
}

impl CopyResult {
    /// Pairs of (source UID, destination UID), in the server's order.
    pub fn pairs(&self) -> Vec<(u32, u32)> {
        self.source.iter().zip(self.destination.iter()).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    Add,
    Remove,
    Replace,
}

/// What to fetch. Kept small on purpose: the sync engine asks for exactly what it stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchItem {
    Uid,
    Flags,
    ModSeq,
    InternalDate,
    Size,
    Envelope,
    /// `BODY.PEEK[HEADER.FIELDS (...)]`
    HeaderFields(Vec<String>),
    /// `BODY.PEEK[]`: the whole message, never setting \Seen.
    FullBody,
    BodyStructure,
    /// `BODY.PEEK[HEADER]`: the top header.
    Header,
    /// `BODY.PEEK[1.2]<start.count>` (section as "1.2").
    Part {
        section: String,
        partial: Option<(u32, u32)>,
    },
    /// `BODY.PEEK[1.2.MIME]`.
    PartMime(String),
    /// `BINARY.PEEK[1.2]<start.count>` (RFC 3516): decoded by the server.
    Binary {
        section: String,
        partial: Option<(u32, u32)>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unparsed_fetch_names_its_uid() {
        assert_eq!(unparsed_fetch_uid("* 5 FETCH (UID 17 BODY[] {3}"), Some(17));
        assert_eq!(unparsed_fetch_uid("* 5 FETCH (FLAGS () UID 9)"), Some(9));
        assert_eq!(unparsed_fetch_uid("* 5 FETCH (FLAGS (((garbage"), None);
        assert_eq!(unparsed_fetch_uid("* FOO UID 3"), None);
        assert_eq!(unparsed_fetch_uid(""), None);
    }

    #[test]
    fn subscriptions_count_once_something_beyond_inbox_is_subscribed() {
        let entry = |name: &str| ListEntry {
            name: name.into(),
            wire_name: name.as_bytes().to_vec(),
            delimiter: Some('/'),
            attributes: Vec::new(),
        };
        assert_eq!(subscribed_names(Vec::new()), None);
        assert_eq!(subscribed_names(vec![entry("INBOX")]), None);
        let names = subscribed_names(vec![entry("INBOX"), entry("Work")]).unwrap();
        assert!(names.contains("Work") && names.contains("INBOX"));
        assert!(!names.contains("Old"));
    }
}
