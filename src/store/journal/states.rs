//! An entry's way through pending -> sending -> done | failed. Each step is one
//! conditional UPDATE, so two senders (or a sender and an undo) can never both win.

use rusqlite::{OptionalExtension, params};

use super::table;
use super::{JournalEntry, JournalOp};
use crate::store::FolderId;
use crate::store::error::Result;
use crate::store::write::WriteTx;

/// Done entries kept for undo (older ones are pruned).
const KEEP_DONE: i64 = 100;

/// Why a folder's older actions were dropped, as the user reads it.
pub fn recreated_reason(folder: &str, dropped: usize) -> String {
    let folder = crate::domain::text::sanitize(folder);
    format!("{folder} was recreated on the server; {dropped} action(s) dropped")
}

impl WriteTx<'_> {
    /// Takes the entry for sending: pending -> sending in one statement, then reads it.
    /// None when it is no longer pending (undone, done, failed, or another sender's).
    /// `holding_send_lock`: the caller holds the account's send lock, so a 'sending' entry
    /// is a leftover of a sender that died and may be taken over (sent again exactly once).
    pub fn journal_claim(
        &mut self,
        id: i64,
        holding_send_lock: bool,
    ) -> Result<Option<JournalEntry>> {
        let claimed = self
            .sql()
            .prepare_cached(
                "UPDATE journal SET state = 'sending'
                 WHERE id = ?1 AND (state = 'pending' OR (?2 AND state = 'sending'))",
            )?
            .execute(params![id, holding_send_lock])?;
        if claimed == 0 {
            return Ok(None);
        }
        Ok(table::entries(self.sql(), Some(id))?
            .pop()
            .map(|(entry, _)| entry))
    }

    /// The server said OK: the entry is done. The last few done entries are kept so an
    /// undo can find where a move went; failures are kept until they were reported.
    pub fn journal_done(&mut self, id: i64) -> Result<()> {
        self.set_state(id, "done")?;
        self.sql()
            .prepare_cached(
                "DELETE FROM journal
                 WHERE (state = 'done' OR (state = 'failed' AND reported))
                   AND id <= (SELECT max(id) FROM journal) - ?1",
            )?
            .execute([KEEP_DONE])?;
        Ok(())
    }

    /// The entry will not be sent (refused, or its folder changed): it is marked failed
    /// with `reason` for the user, its placeholders go, and the folder's MODSEQ is
    /// forgotten so the next sync reads every flag back (the local change is reverted).
    pub fn journal_failed(&mut self, id: i64, reason: &str) -> Result<()> {
        let Some((entry, state)) = table::entries(self.sql(), Some(id))?.pop() else {
            return Ok(());
        };
        if state == "done" || state == "failed" {
            return Ok(());
        }
        if let JournalOp::Move { .. } = entry.op {
            // Placeholders go; the source rows come back with the next sync's UID check.
            self.journal_moved(&entry, &[], None)?;
        }
        self.sql()
            .prepare_cached(
                "UPDATE journal SET state = 'failed', failure = ?2, reported = 0 WHERE id = ?1",
            )?
            .execute(params![id, reason])?;
        self.forget_modseq(entry.folder_id)
    }

    /// The folder now has UIDVALIDITY `current`: every waiting entry of it made under
    /// another one would name other messages, so each is failed. Returns how many.
    pub fn journal_drop_stale(&mut self, folder: FolderId, current: u32) -> Result<usize> {
        // Counted first with columns every schema has: old caches in tests reset folders too.
        let stale: Vec<i64> = self
            .sql()
            .prepare_cached(
                "SELECT id FROM journal WHERE folder_id = ?1 AND uidvalidity <> ?2
                 AND state IN ('pending', 'sending') ORDER BY id",
            )?
            .query_map(params![folder, current], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if stale.is_empty() {
            return Ok(0);
        }
        let name: String = self
            .sql()
            .prepare_cached("SELECT name FROM folders WHERE id = ?1")?
            .query_row([folder], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
        let reason = recreated_reason(&name, stale.len());
        for &id in &stale {
            self.journal_failed(id, &reason)?;
        }
        Ok(stale.len())
    }

    /// Failures not shown to the user yet, each reason once, now marked shown.
    pub fn journal_take_failures(&mut self) -> Result<Vec<String>> {
        let reasons: Vec<String> = self
            .sql()
            .prepare_cached(
                "SELECT failure FROM journal WHERE state = 'failed' AND NOT reported
                 GROUP BY failure ORDER BY min(id)",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        self.sql()
            .prepare_cached("UPDATE journal SET reported = 1 WHERE state = 'failed'")?
            .execute([])?;
        Ok(reasons)
    }

    pub(in crate::store) fn set_state(&mut self, id: i64, state: &str) -> Result<()> {
        self.sql()
            .prepare_cached("UPDATE journal SET state = ?2 WHERE id = ?1")?
            .execute(params![id, state])?;
        Ok(())
    }

    pub(in crate::store) fn forget_modseq(&mut self, folder: FolderId) -> Result<()> {
        self.sql()
            .prepare_cached("UPDATE folders SET highestmodseq = NULL WHERE id = ?1")?
            .execute([folder])?;
        Ok(())
    }
}
