//! Turns server updates into cache changes. Runs inside one store transaction.

use crate::domain::contain::contained;
use crate::domain::headers::parse_header_fields;
use crate::domain::message::{Flags, HeaderFields, NewMessage};
use crate::domain::uidset::UidSet;
use crate::imap::{FetchData, Update};
use crate::store::{FolderId, Result, WriteTx};

/// A fetched message before its headers are parsed: parsing happens on the writer thread,
/// so the network task only decodes IMAP.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub uid: u32,
    pub flags: Vec<String>,
    pub modseq: Option<u64>,
    pub internal_date: Option<i64>,
    pub size: Option<u32>,
    pub header: Vec<u8>,
    /// The server's answer for this UID could not be parsed: only the UID is known.
    pub unreadable: bool,
}

/// The subject of a message whose headers could not be read: it stays listed, not lost.
pub const UNREADABLE_SUBJECT: &str = "(unreadable message)";

impl RawMessage {
    /// A FETCH carrying a header section is a new message; anything else is not.
    pub fn from_fetch(fetch: FetchData) -> Option<Self> {
        let uid = fetch.uid?;
        let header = fetch.header?;
        Some(Self {
            uid,
            flags: fetch.flags.unwrap_or_default(),
            modseq: fetch.modseq,
            internal_date: fetch.internal_date,
            size: fetch.size,
            header,
            unreadable: false,
        })
    }

    /// A message whose FETCH tern could not parse, from what could be salvaged of it
    /// (see `imap::convert::salvage_fetch`).
    pub fn unreadable(salvaged: FetchData) -> Option<Self> {
        Some(Self {
            uid: salvaged.uid?,
            flags: salvaged.flags.unwrap_or_default(),
            modseq: None,
            internal_date: salvaged.internal_date,
            size: None,
            header: Vec::new(),
            unreadable: true,
        })
    }

    pub fn parse(self) -> NewMessage {
        self.parse_checked().0
    }

    /// The message, and whether it had to become a placeholder row.
    pub fn parse_checked(self) -> (NewMessage, bool) {
        self.parse_with(parse_header_fields)
    }

    /// mail-parser is fed hostile bytes: a panic on one header makes that message a
    /// placeholder row instead of failing the whole folder's sync.
    fn parse_with(self, parser: fn(&[u8]) -> HeaderFields) -> (NewMessage, bool) {
        let headers = if self.unreadable {
            None
        } else {
            contained(|| parser(&self.header))
                .map_err(|panic| {
                    tracing::warn!("UID {}: header parser panicked: {panic}", self.uid)
                })
                .ok()
        };
        let placeholder = headers.is_none();
        let headers = headers.unwrap_or_else(|| HeaderFields {
            subject: UNREADABLE_SUBJECT.to_string(),
            ..HeaderFields::default()
        });
        let message = NewMessage {
            uid: self.uid,
            flags: Flags::from_imap(&self.flags),
            modseq: self.modseq,
            internal_date: self.internal_date,
            size: self.size,
            headers,
        };
        (message, placeholder)
    }
}

/// Parses a batch; also says how many became placeholder rows. A broken answer for a UID
/// that also came readable (a broken flag push, say) is dropped, whatever the order.
pub fn parse_all(raw: Vec<RawMessage>) -> (Vec<NewMessage>, usize) {
    let readable: UidSet = raw
        .iter()
        .filter(|m| !m.unreadable)
        .map(|m| m.uid)
        .collect();
    let mut unreadable = 0;
    let messages = raw
        .into_iter()
        .filter(|m| !(m.unreadable && readable.contains(m.uid)))
        .map(|m| {
            let (message, placeholder) = m.parse_checked();
            unreadable += usize::from(placeholder);
            message
        })
        .collect();
    (messages, unreadable)
}

/// What a batch of updates did to the folder.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub flags_changed: usize,
    pub removed: usize,
    /// An EXPUNGE arrived whose UID we could not name: the folder needs a UID-list check.
    pub unmapped_expunge: bool,
    /// The largest MODSEQ seen.
    pub max_modseq: Option<u64>,
    /// New messages exist beyond what we hold (EXISTS grew).
    pub saw_exists: bool,
}

impl Applied {
    pub fn changed(&self) -> bool {
        self.flags_changed > 0 || self.removed > 0
    }
}

/// Applies flag changes, expunges and vanished UIDs. FETCHes that carry headers are new
/// messages and are left to the caller.
pub fn apply_updates(
    tx: &mut WriteTx<'_>,
    folder: FolderId,
    uidvalidity: u32,
    updates: &[Update],
) -> Result<Applied> {
    let mut applied = Applied::default();
    let mut gone = UidSet::new();
    // A change still in the journal wins over what the server says until it is replayed.
    let pending = tx.pending_flag_uids(folder, uidvalidity)?;
    for update in updates {
        match update {
            Update::Fetch(fetch) => {
                applied.max_modseq = applied.max_modseq.max(fetch.modseq);
                if let (Some(uid), Some(flags)) = (fetch.uid, &fetch.flags)
                    && fetch.header.is_none()
                    && !pending.contains(uid)
                {
                    applied.flags_changed += tx.set_flags(
                        folder,
                        uidvalidity,
                        uid,
                        &Flags::from_imap(flags),
                        fetch.modseq,
                    )?;
                }
            }
            Update::Vanished { uids, .. } => {
                for &(lo, hi) in uids.ranges() {
                    gone.insert_range(lo, hi);
                }
            }
            Update::Expunge { uid: Some(uid), .. } => gone.insert(*uid),
            Update::Expunge { uid: None, .. } => applied.unmapped_expunge = true,
            Update::Exists(_) => applied.saw_exists = true,
            _ => {}
        }
    }
    if !gone.is_empty() {
        applied.removed = tx.remove_uids(folder, uidvalidity, &gone)?;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(uid: u32, header: &[u8]) -> RawMessage {
        RawMessage {
            uid,
            flags: vec!["\\Seen".into()],
            modseq: None,
            internal_date: Some(1_700_000_000),
            size: Some(42),
            header: header.to_vec(),
            unreadable: false,
        }
    }

    fn panicking_parser(_: &[u8]) -> HeaderFields {
        panic!("a header parser bug")
    }

    #[test]
    fn a_panicking_header_parser_gives_a_placeholder_row_not_a_failed_sync() {
        let (message, placeholder) = raw(7, b"Subject: x\r\n").parse_with(panicking_parser);
        assert!(placeholder);
        assert_eq!(message.uid, 7);
        assert_eq!(message.headers.subject, UNREADABLE_SUBJECT);
        assert_eq!(message.internal_date, Some(1_700_000_000));
        assert!(
            message
                .flags
                .system
                .has(crate::domain::message::SystemFlags::SEEN),
            "what the server said is kept"
        );
    }

    #[test]
    fn an_unparsed_fetch_becomes_a_placeholder_and_is_counted() {
        let (messages, unreadable) = parse_all(vec![
            raw(1, b"Subject: fine\r\n"),
            RawMessage::unreadable(FetchData {
                uid: Some(2),
                ..FetchData::default()
            })
            .unwrap(),
        ]);
        assert_eq!(unreadable, 1);
        assert_eq!(messages[0].headers.subject, "fine");
        assert_eq!(messages[1].uid, 2);
        assert_eq!(messages[1].headers.subject, UNREADABLE_SUBJECT);
        assert_eq!(messages[1].internal_date, None);
    }

    #[test]
    fn a_broken_answer_never_replaces_a_readable_one() {
        let broken = || {
            RawMessage::unreadable(FetchData {
                uid: Some(5),
                ..FetchData::default()
            })
            .unwrap()
        };
        for batch in [
            vec![broken(), raw(5, b"Subject: real\r\n")],
            vec![raw(5, b"Subject: real\r\n"), broken()],
        ] {
            let (messages, unreadable) = parse_all(batch);
            assert_eq!(unreadable, 0);
            assert_eq!(messages.len(), 1);
            assert_eq!(messages[0].headers.subject, "real");
        }
    }
}
