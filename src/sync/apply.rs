//! Turns server updates into cache changes. Runs inside one store transaction.

use crate::domain::headers::parse_header_fields;
use crate::domain::message::{Flags, NewMessage};
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
}

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
        })
    }

    pub fn parse(self) -> NewMessage {
        NewMessage {
            uid: self.uid,
            flags: Flags::from_imap(&self.flags),
            modseq: self.modseq,
            internal_date: self.internal_date,
            size: self.size,
            headers: parse_header_fields(&self.header),
        }
    }
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
