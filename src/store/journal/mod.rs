//! The journal of user actions: written in the same transaction as their local effect,
//! replayed to the server in order, cleared on OK. Sync never overwrites what waits here.

pub(crate) mod legacy;
mod states;
mod table;

use rusqlite::{OptionalExtension, params};

use super::error::{Result, StoreError};
use super::read::Reader;
use super::write::{WriteTx, unix_now};
use super::{FolderId, rows};
use table::NewRow;

use crate::domain::message::{Flags, HeaderFields, MessageRow, NewMessage};
use crate::domain::uidset::UidSet;
pub use states::recreated_reason;

/// UIDs from here up name placeholder rows: a moved or copied message shown in its target
/// folder before the server has told us its real UID. Real UIDs this large do not occur.
pub const PLACEHOLDER_BASE: u32 = 0xF000_0000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalOp {
    /// `+FLAGS` / `-FLAGS` deltas, so a concurrent change by another client to other
    /// flags of the same message survives.
    Flags {
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// Move (or copy) to `to`; `placeholders` pairs each source UID with the placeholder
    /// UID shown in the target until COPYUID names the real one.
    Move {
        to: String,
        copy: bool,
        placeholders: Vec<(u32, u32)>,
        /// Once done: the UIDVALIDITY of `to` that came with COPYUID, and `placeholders`
        /// then pair each source UID with its real UID there (what an undo moves back).
        landed_in: Option<u32>,
        /// UIDNEXT of `to` just before a COPY was first sent: if its OK never came, what
        /// arrived from there on may already be our copies (checked before copying again).
        sent_uidnext: Option<u32>,
        /// As for `Expunge`, when a move is COPY + EXPUNGE (no MOVE, no UIDPLUS).
        spare: UidSet,
    },
    /// `\Deleted` and UID EXPUNGE of exactly these messages.
    Expunge {
        /// Other messages marked `\Deleted` that a plain EXPUNGE (no UIDPLUS) must spare:
        /// written down before they are unmarked, so a crash cannot lose their mark.
        spare: UidSet,
    },
}

/// One flag an action really added to (or removed from) these messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagChange {
    pub flag: String,
    pub added: bool,
    pub uids: UidSet,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub id: i64,
    pub folder_id: FolderId,
    pub folder: String,
    pub uidvalidity: u32,
    pub uids: UidSet,
    pub op: JournalOp,
    pub created_at: i64,
}

pub(super) fn parse_uids(text: &str) -> Option<UidSet> {
    let mut set = UidSet::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once(':') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => {
                let n = part.parse().ok()?;
                (n, n)
            }
        };
        set.insert_range(lo, hi);
    }
    Some(set)
}

impl WriteTx<'_> {
    /// Applies a flag change to the cached rows and records it for the server, atomically.
    /// Returns the entry's id and what really changed (what an undo must flip back).
    pub fn journal_flags(
        &mut self,
        folder: FolderId,
        uidvalidity: u32,
        uids: &UidSet,
        add: &[String],
        remove: &[String],
    ) -> Result<(i64, Vec<FlagChange>)> {
        let mut changes: Vec<FlagChange> = add
            .iter()
            .map(|f| (f, true))
            .chain(remove.iter().map(|f| (f, false)))
            .map(|(flag, added)| FlagChange {
                flag: flag.clone(),
                added,
                uids: UidSet::new(),
            })
            .collect();
        for uid in uids.iter() {
            let Some(flags) = self.flags(folder, uidvalidity, uid)? else {
                continue;
            };
            let mut names = flags.to_imap();
            for change in &mut changes {
                let had = names.iter().any(|f| f.eq_ignore_ascii_case(&change.flag));
                if had != change.added {
                    change.uids.insert_range(uid, uid);
                }
            }
            names.retain(|f| !remove.iter().any(|r| r.eq_ignore_ascii_case(f)));
            names.extend(add.iter().cloned());
            self.set_flags(folder, uidvalidity, uid, &Flags::from_imap(&names), None)?;
        }
        // The count moves by what changed: recounting a 100k folder's unread rows would
        // cost more than the whole action.
        let unseen_delta: i64 = changes
            .iter()
            .filter(|c| c.flag.eq_ignore_ascii_case("\\Seen"))
            .map(|c| {
                let n = i64::try_from(c.uids.len()).unwrap_or(i64::MAX);
                if c.added { -n } else { n }
            })
            .sum();
        if unseen_delta != 0 {
            self.sql()
                .prepare_cached("UPDATE folders SET unseen = max(0, unseen + ?2) WHERE id = ?1")?
                .execute(params![folder, unseen_delta])?;
        }
        let id = self.insert_entry(
            folder,
            uidvalidity,
            uids,
            &JournalOp::Flags {
                add: add.to_vec(),
                remove: remove.to_vec(),
            },
        )?;
        changes.retain(|c| !c.uids.is_empty());
        Ok((id, changes))
    }

    /// Moves (or copies) cached messages to `to` at once: they leave the source (for a
    /// move) and appear in the target under placeholder UIDs until the server confirms.
    pub fn journal_move(
        &mut self,
        folder: FolderId,
        uidvalidity: u32,
        uids: &UidSet,
        to: &str,
        copy: bool,
    ) -> Result<i64> {
        if to.contains('\n') {
            return Err(StoreError::Invalid(format!("folder name {to:?}")));
        }
        let target = self
            .folder(to)?
            .ok_or_else(|| StoreError::NotFound(format!("folder {to}")))?;
        let mut placeholders = Vec::new();
        if let Some(target_validity) = target.uidvalidity {
            let mut next: u32 = self
                .sql()
                .prepare_cached(
                    "SELECT coalesce(max(uid) + 1, ?3) FROM messages
                     WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid >= ?3",
                )?
                .query_row(params![target.id, target_validity, PLACEHOLDER_BASE], |r| {
                    r.get(0)
                })?;
            let mut shown = Vec::new();
            for uid in uids.iter() {
                let Some(row) = self.message_row(folder, uidvalidity, uid)? else {
                    continue;
                };
                shown.push(placeholder_message(&row, next));
                placeholders.push((uid, next));
                next = next.saturating_add(1);
            }
            self.upsert_messages(target.id, target_validity, &shown)?;
            self.refresh_counts(target.id)?;
        }
        if !copy {
            self.remove_uids(folder, uidvalidity, uids)?;
            self.refresh_counts(folder)?;
        }
        self.insert_entry(
            folder,
            uidvalidity,
            uids,
            &JournalOp::Move {
                to: to.to_string(),
                copy,
                placeholders,
                landed_in: None,
                sent_uidnext: None,
                spare: UidSet::new(),
            },
        )
    }

    /// Removes messages from the cache at once; the server gets `\Deleted` + UID EXPUNGE.
    pub fn journal_expunge(
        &mut self,
        folder: FolderId,
        uidvalidity: u32,
        uids: &UidSet,
    ) -> Result<i64> {
        self.remove_uids(folder, uidvalidity, uids)?;
        self.refresh_counts(folder)?;
        self.insert_entry(
            folder,
            uidvalidity,
            uids,
            &JournalOp::Expunge {
                spare: UidSet::new(),
            },
        )
    }

    /// The server confirmed a move or copy: placeholders take the real UIDs (COPYUID
    /// pairs, source -> destination, in `landed_in`); without them the placeholders go and
    /// the next sync of the target brings the messages.
    pub fn journal_moved(
        &mut self,
        entry: &JournalEntry,
        copied: &[(u32, u32)],
        landed_in: Option<u32>,
    ) -> Result<()> {
        if let JournalOp::Move {
            to, placeholders, ..
        } = &entry.op
            && let Some(target) = self.folder(to)?
            && let Some(validity) = target.uidvalidity
        {
            // UIDs from another UIDVALIDITY than the cached one name nothing here.
            let copied = if landed_in == Some(validity) {
                copied
            } else {
                &[]
            };
            for &(source, placeholder) in placeholders {
                let real = copied.iter().find(|(s, _)| *s == source).map(|(_, d)| *d);
                let taken = match real {
                    Some(uid) => self.message_row(target.id, validity, uid)?.is_some(),
                    None => true,
                };
                if taken {
                    self.remove_uids(
                        target.id,
                        validity,
                        &UidSet::from_ranges([(placeholder, placeholder)]),
                    )?;
                } else if let Some(uid) = real {
                    self.sql()
                        .prepare_cached(
                            "UPDATE messages SET uid = ?4
                             WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
                        )?
                        .execute(params![target.id, validity, placeholder, uid])?;
                }
            }
            self.refresh_counts(target.id)?;
        }
        if let JournalOp::Move { to, copy, .. } = &entry.op {
            // Remember where each message went (for undo).
            let landed = JournalOp::Move {
                to: to.clone(),
                copy: *copy,
                placeholders: copied.to_vec(),
                landed_in,
                sent_uidnext: None,
                spare: UidSet::new(),
            };
            self.journal_note(entry.id, &landed)?;
        }
        self.journal_done(entry.id)
    }

    /// UIDs with any action still waiting: a sync must not fetch back what was moved away.
    pub fn pending_uids(&mut self, folder: FolderId, uidvalidity: u32) -> Result<UidSet> {
        table::waiting_uids(self.sql(), folder, uidvalidity, false)
    }

    pub(super) fn message_row(
        &mut self,
        folder: FolderId,
        uidvalidity: u32,
        uid: u32,
    ) -> Result<Option<MessageRow>> {
        let sql = format!(
            "SELECT {} FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            rows::MESSAGE_COLUMNS
        );
        Ok(self
            .sql()
            .prepare_cached(&sql)?
            .query_row(params![folder, uidvalidity, uid], rows::message)
            .optional()?)
    }

    fn insert_entry(
        &mut self,
        folder: FolderId,
        uidvalidity: u32,
        uids: &UidSet,
        op: &JournalOp,
    ) -> Result<i64> {
        let row = NewRow {
            id: None,
            folder_id: folder,
            uidvalidity,
            uids: &uids.to_string(),
            state: "pending",
            failure: None,
            reported: false,
            created_at: unix_now(),
        };
        table::insert(self.sql(), &row, Some(op))
    }

    /// Pending entries, oldest first. Entries this build cannot read are reported, not
    /// silently dropped.
    pub fn journal_pending(&mut self) -> Result<Vec<JournalEntry>> {
        Ok(table::entries(self.sql(), None)?
            .into_iter()
            .map(|(entry, _)| entry)
            .collect())
    }

    /// One entry, in any state ("pending", "sending", "done", "failed").
    pub fn journal_entry(&mut self, id: i64) -> Result<Option<(JournalEntry, String)>> {
        Ok(table::entries(self.sql(), Some(id))?.pop())
    }

    /// Rewrites what the entry remembers (its kind stays): notes taken while sending it.
    pub fn journal_note(&mut self, id: i64, op: &JournalOp) -> Result<()> {
        table::update_notes(self.sql(), id, op)
    }

    /// UIDs with a flag change still waiting for the server: sync must not overwrite them.
    pub fn pending_flag_uids(&mut self, folder: FolderId, uidvalidity: u32) -> Result<UidSet> {
        table::waiting_uids(self.sql(), folder, uidvalidity, true)
    }
}

/// A cached row shown again in another folder under a placeholder UID.
pub(super) fn placeholder_message(row: &MessageRow, uid: u32) -> NewMessage {
    NewMessage {
        uid,
        flags: row.flags.clone(),
        modseq: None,
        internal_date: Some(row.date),
        size: Some(row.size),
        headers: HeaderFields {
            date: Some(row.date),
            from_name: row.from_name.clone(),
            from_addr: row.from_addr.clone(),
            to: row.to.clone(),
            cc: row.cc.clone(),
            subject: row.subject.clone(),
            message_id: row.message_id.clone(),
            in_reply_to: row.in_reply_to.clone(),
            references: row.references.clone(),
            has_attachment: row.has_attachment,
        },
    }
}

impl Reader {
    /// Actions waiting for the server (the status line's "N pending").
    pub fn journal_count(&self) -> Result<u32> {
        Ok(self
            .conn()
            .prepare_cached("SELECT count(*) FROM journal WHERE state IN ('pending', 'sending')")?
            .query_row([], |r| r.get(0))?)
    }

    /// Why the entry `id` failed, as the user was told; None if it has not failed.
    pub fn journal_failure(&self, id: i64) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT failure FROM journal WHERE id = ?1 AND state = 'failed'")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{HeaderFields, NewMessage};
    use crate::store::Store;

    fn store() -> (tempfile::TempDir, Store, FolderId) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
        let folder = store
            .write(|tx| {
                let id = tx.upsert_folder("INBOX", Some("inbox"), Some('/'))?;
                tx.reset_folder(id, 7)?;
                let messages: Vec<NewMessage> = (1..=3)
                    .map(|uid| NewMessage {
                        uid,
                        flags: Flags::from_imap(&["\\Seen"]),
                        headers: HeaderFields {
                            subject: format!("m{uid}"),
                            ..HeaderFields::default()
                        },
                        ..NewMessage::default()
                    })
                    .collect();
                tx.upsert_messages(id, 7, &messages)?;
                Ok(id)
            })
            .unwrap();
        (dir, store, folder)
    }

    #[test]
    fn a_flag_change_is_local_and_journaled_in_one_step() {
        let (_dir, store, folder) = store();
        let uids: UidSet = [1, 3].into_iter().collect();
        store
            .write(move |tx| {
                tx.journal_flags(folder, 7, &uids, &["\\Flagged".into()], &["\\Seen".into()])
            })
            .unwrap();
        let reader = store.reader().unwrap();
        let flags = reader.all_flags(folder).unwrap();
        assert!(flags[0].1.flagged() && !flags[0].1.seen());
        assert!(flags[1].1.seen() && !flags[1].1.flagged());
        assert_eq!(reader.journal_count().unwrap(), 1);
        assert_eq!(reader.folder("INBOX").unwrap().unwrap().unseen, 2);
        let pending = store.write(|tx| tx.journal_pending()).unwrap();
        assert_eq!(pending[0].folder, "INBOX");
        assert_eq!(pending[0].uids.to_string(), "1,3");
        assert_eq!(
            pending[0].op,
            JournalOp::Flags {
                add: vec!["\\Flagged".into()],
                remove: vec!["\\Seen".into()]
            }
        );
        let protected = store
            .write(move |tx| tx.pending_flag_uids(folder, 7))
            .unwrap();
        assert!(protected.contains(3) && !protected.contains(2));
        let id = pending[0].id;
        store.write(move |tx| tx.journal_done(id)).unwrap();
        assert_eq!(store.reader().unwrap().journal_count().unwrap(), 0);
    }

    #[test]
    fn journal_arguments_round_trip_with_their_notes() {
        let spared: UidSet = [2, 3, 8].into_iter().collect();
        for (landed_in, sent_uidnext, spare) in [
            (None, None, UidSet::new()),
            (Some(1_700_000_000), None, UidSet::new()),
            (None, Some(7), spared.clone()),
        ] {
            let op = JournalOp::Move {
                to: "Lists/a b".into(),
                copy: false,
                placeholders: vec![(4, 0xF000_0001), (9, 0xF000_0002)],
                landed_in,
                sent_uidnext,
                spare,
            };
            let (action, argument) = legacy::encode(&op);
            assert_eq!(legacy::decode(action, &argument), Some(op));
        }
        for spare in [UidSet::new(), spared] {
            let op = JournalOp::Expunge { spare };
            let (action, argument) = legacy::encode(&op);
            assert_eq!(legacy::decode(action, &argument), Some(op));
        }
        assert!(matches!(
            legacy::decode("move", "Archive\n4=9"),
            Some(JournalOp::Move {
                landed_in: None,
                sent_uidnext: None,
                ..
            })
        ));
        // Anything this build does not know is refused, not guessed.
        assert_eq!(legacy::decode("move", "Archive\n4=9\nlanded=x"), None);
        assert_eq!(legacy::decode("move", "Archive\n4=9\nwhat=1"), None);
        assert_eq!(legacy::decode("expunge", "junk"), None);
    }

    #[test]
    fn a_refused_change_forgets_the_modseq_so_sync_reverts_it() {
        let (_dir, store, folder) = store();
        store
            .write(move |tx| tx.set_sync_state(folder, Some(4), Some(99)))
            .unwrap();
        let uids: UidSet = [2].into_iter().collect();
        let id = store
            .write(move |tx| {
                tx.journal_flags(folder, 7, &uids, &["Work".into()], &[])
                    .map(|(id, _)| id)
            })
            .unwrap();
        store
            .write(move |tx| tx.journal_failed(id, "refused"))
            .unwrap();
        let reader = store.reader().unwrap();
        assert_eq!(reader.journal_count().unwrap(), 0);
        assert_eq!(reader.folder("INBOX").unwrap().unwrap().highestmodseq, None);
    }
}
