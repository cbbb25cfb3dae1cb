//! Taking back a journal entry the server has not seen yet (undo before sending).

use rusqlite::params;

use super::error::{Result, StoreError};
use super::journal::{JournalEntry, JournalOp, placeholder_message};
use super::write::WriteTx;
use crate::domain::uidset::UidSet;

impl WriteTx<'_> {
    /// Reverses the local effect of a pending move, copy or expunge and drops the entry.
    /// Returns false when some rows could not be rebuilt from the cache: the source folder
    /// is then marked incomplete, so the next sync fetches them back.
    pub fn journal_cancel(&mut self, entry: &JournalEntry) -> Result<bool> {
        // First, and only if nobody has claimed it for sending: a sent action is reversed
        // by a new one, never by rewriting the cache (the error rolls everything back).
        let dropped = self
            .sql()
            .prepare_cached("DELETE FROM journal WHERE id = ?1 AND state = 'pending'")?
            .execute(params![entry.id])?;
        if dropped == 0 {
            return Err(StoreError::Invalid(
                "the action is already on its way to the server".into(),
            ));
        }
        let mut restored_all = true;
        match &entry.op {
            JournalOp::Flags { .. } => {
                return Err(StoreError::Invalid(
                    "a flag change is undone by its inverse, not cancelled".into(),
                ));
            }
            JournalOp::Move {
                to,
                copy,
                placeholders,
                ..
            } => {
                let mut back = Vec::new();
                if let Some(target) = self.folder(to)?
                    && let Some(validity) = target.uidvalidity
                {
                    for &(source, placeholder) in placeholders {
                        if let Some(row) = self.message_row(target.id, validity, placeholder)? {
                            back.push(placeholder_message(&row, source));
                        }
                        let one = UidSet::from_ranges([(placeholder, placeholder)]);
                        self.remove_uids(target.id, validity, &one)?;
                    }
                    self.refresh_counts(target.id)?;
                }
                if !copy {
                    let same_folder = self
                        .folder(&entry.folder)?
                        .is_some_and(|f| f.uidvalidity == Some(entry.uidvalidity));
                    restored_all = same_folder && back.len() as u64 == entry.uids.len();
                    if same_folder {
                        self.upsert_messages(entry.folder_id, entry.uidvalidity, &back)?;
                    }
                }
            }
            JournalOp::Expunge { .. } => restored_all = false,
        }
        if !restored_all {
            self.sql()
                .prepare_cached("UPDATE folders SET complete = 0 WHERE id = ?1")?
                .execute([entry.folder_id])?;
        }
        self.refresh_counts(entry.folder_id)?;
        Ok(restored_all)
    }
}
