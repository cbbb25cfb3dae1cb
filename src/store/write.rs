//! `WriteTx`: every mutation of the cache, inside the writer thread's one transaction.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, Statement, Transaction, params};

use super::error::{Result, StoreError};
use super::thread::{Batch, NewRow, Place, Threads};
use super::{BodyLimits, FolderId, FolderState, JournalOp, rows};
use crate::domain::message::{Flags, NewMessage};
use crate::domain::uidset::UidSet;

/// One write transaction. Committed by the writer when the closure returns Ok.
pub struct WriteTx<'a> {
    tx: Transaction<'a>,
    limits: BodyLimits,
    /// Threads whose layout is stale; laid out once per batch and before commit.
    threads: Threads,
}

impl<'a> WriteTx<'a> {
    /// For the sibling modules that add statements (journal.rs).
    pub(super) fn sql(&self) -> &Transaction<'a> {
        &self.tx
    }

    pub(super) fn limits(&self) -> BodyLimits {
        self.limits
    }

    pub(crate) fn new(tx: Transaction<'a>, limits: BodyLimits) -> Self {
        Self {
            tx,
            limits,
            threads: Threads::default(),
        }
    }

    /// Lays out touched threads and commits.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.flush_threads()?;
        self.tx.commit()?;
        Ok(())
    }

    fn flush_threads(&mut self) -> Result<()> {
        if self.threads.is_idle() {
            return Ok(());
        }
        self.threads.flush(&self.tx, &mut Batch::default())
    }

    fn forget_threads_of(&mut self, folder: FolderId) {
        self.threads.forget_folder(folder);
    }

    /// Creates the folder or updates its role/delimiter; sync state is kept.
    pub fn upsert_folder(
        &mut self,
        name: &str,
        role: Option<&str>,
        delimiter: Option<char>,
    ) -> Result<FolderId> {
        let id = self
            .tx
            .prepare_cached(
                "INSERT INTO folders (name, role, delimiter) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET role = excluded.role, delimiter = excluded.delimiter
                 RETURNING id",
            )?
            .query_row(params![name, role, delimiter.map(String::from)], |r| r.get(0))?;
        Ok(id)
    }

    /// Whether the server lets the folder be selected (false for `\Noselect` parents).
    pub fn set_folder_selectable(&mut self, id: FolderId, selectable: bool) -> Result<()> {
        let n = self
            .tx
            .prepare_cached("UPDATE folders SET selectable = ?2 WHERE id = ?1")?
            .execute(params![id, selectable])?;
        found(n, id)
    }

    pub fn set_folder_subscribed(&mut self, id: FolderId, subscribed: bool) -> Result<()> {
        let n = self
            .tx
            .prepare_cached("UPDATE folders SET subscribed = ?2 WHERE id = ?1")?
            .execute(params![id, subscribed])?;
        found(n, id)
    }

    /// Records (or with None clears) the folder's own error. Returns whether the folder
    /// went from working to failing or back, so the caller tells the user once, not at
    /// every poll (servers word the same refusal differently from one time to the next).
    pub fn set_folder_error(&mut self, name: &str, error: Option<&str>) -> Result<bool> {
        let before: Option<Option<String>> = self
            .tx
            .prepare_cached("SELECT last_error FROM folders WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        let Some(before) = before else {
            return Ok(false);
        };
        if before.as_deref() != error {
            self.tx
                .prepare_cached("UPDATE folders SET last_error = ?2 WHERE name = ?1")?
                .execute(params![name, error])?;
        }
        Ok(before.is_some() != error.is_some())
    }

    /// Deletes the folder with all its messages, bodies, thread ids and journal entries.
    pub fn delete_folder(&mut self, name: &str) -> Result<()> {
        if let Some(id) = self.folder_id(name)? {
            self.forget_threads_of(id);
            self.tx
                .prepare_cached("DELETE FROM folders WHERE id = ?1")?
                .execute([id])?;
        }
        Ok(())
    }

    /// Drops the actions still waiting on the folder (from it, or moving/copying into
    /// it) and returns how many; the folder is about to be deleted on the server. A move's
    /// placeholders go, and its source folder is rechecked by the next sync so that the
    /// messages it hid come back.
    pub fn drop_folder_actions(&mut self, name: &str) -> Result<usize> {
        let folder = self.folder_id(name)?;
        let waiting: Vec<_> = self
            .journal_pending()?
            .into_iter()
            .filter(|e| {
                Some(e.folder_id) == folder
                    || matches!(&e.op, JournalOp::Move { to, .. } if to == name)
            })
            .collect();
        for entry in &waiting {
            if matches!(entry.op, JournalOp::Move { .. }) {
                self.journal_moved(entry, &[], None)?;
            }
            if Some(entry.folder_id) != folder {
                self.forget_modseq(entry.folder_id)?;
            }
            self.tx
                .prepare_cached("DELETE FROM journal WHERE id = ?1")?
                .execute([entry.id])?;
        }
        Ok(waiting.len())
    }

    /// Renames the folder and its children (`old` + delimiter + ...) and the waiting
    /// actions that target them. Messages stay: the same folder under a new name.
    /// Returns how many folder rows were renamed.
    pub fn rename_folder(
        &mut self,
        old: &str,
        new: &str,
        delimiter: Option<char>,
    ) -> Result<usize> {
        let mut renames = vec![(old.to_string(), new.to_string())];
        if let Some(delimiter) = delimiter {
            let prefix = format!("{old}{delimiter}");
            for folder in self.folders()? {
                if let Some(rest) = folder.name.strip_prefix(&prefix) {
                    renames.push((folder.name.clone(), format!("{new}{delimiter}{rest}")));
                }
            }
        }
        let mut renamed = 0;
        for (from, to) in renames {
            // A stale row under the new name (the cache lagging the server) gives way.
            if self.folder_id(&to)?.is_some() {
                self.delete_folder(&to)?;
            }
            renamed += self
                .tx
                .prepare_cached("UPDATE folders SET name = ?2 WHERE name = ?1")?
                .execute([&from, &to])?;
            self.tx
                .prepare_cached("UPDATE journal SET target = ?2 WHERE target = ?1")?
                .execute([&from, &to])?;
        }
        Ok(renamed)
    }

    fn folder_id(&mut self, name: &str) -> Result<Option<FolderId>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id FROM folders WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    pub fn folder(&mut self, name: &str) -> Result<Option<FolderState>> {
        let sql = format!(
            "SELECT {} FROM folders WHERE name = ?1",
            rows::FOLDER_COLUMNS
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row([name], rows::folder)
            .optional()?)
    }

    pub fn folder_by_id(&mut self, id: FolderId) -> Result<Option<FolderState>> {
        let sql = format!("SELECT {} FROM folders WHERE id = ?1", rows::FOLDER_COLUMNS);
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row([id], rows::folder)
            .optional()?)
    }

    pub fn folders(&mut self) -> Result<Vec<FolderState>> {
        let sql = format!("SELECT {} FROM folders ORDER BY name", rows::FOLDER_COLUMNS);
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let folders = stmt
            .query_map([], rows::folder)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(folders)
    }

    /// UIDVALIDITY changed (or first seen): drops every message and body of the folder,
    /// records the new value and forgets the sync position. Actions still waiting that
    /// were made under the old UIDVALIDITY are failed with the reason, in this same
    /// transaction: their UIDs would name other messages now.
    pub fn reset_folder(&mut self, id: FolderId, uidvalidity: u32) -> Result<()> {
        let dropped = self.journal_drop_stale(id, uidvalidity)?;
        if dropped > 0 {
            tracing::warn!(
                folder = id,
                dropped,
                "folder recreated; waiting actions dropped"
            );
        }
        self.forget_threads_of(id);
        self.tx
            .prepare_cached("DELETE FROM messages WHERE folder_id = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM thread_ids WHERE folder_id = ?1")?
            .execute([id])?;
        let n = self
            .tx
            .prepare_cached(
                "UPDATE folders SET uidvalidity = ?2, uidnext = NULL, highestmodseq = NULL,
                 complete = 0, oldest_uid = NULL WHERE id = ?1",
            )?
            .execute(params![id, uidvalidity])?;
        found(n, id)
    }

    /// Records the server position reached; also stamps `synced_at` with now.
    pub fn set_sync_state(
        &mut self,
        id: FolderId,
        uidnext: Option<u32>,
        highestmodseq: Option<u64>,
    ) -> Result<()> {
        let modseq = highestmodseq.map(rows::modseq_to_sql).transpose()?;
        let n = self
            .tx
            .prepare_cached(
                "UPDATE folders SET uidnext = ?2, highestmodseq = ?3, synced_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, uidnext, modseq, unix_now()])?;
        found(n, id)
    }

    pub fn set_progress(
        &mut self,
        id: FolderId,
        oldest_uid: Option<u32>,
        complete: bool,
    ) -> Result<()> {
        let n = self
            .tx
            .prepare_cached("UPDATE folders SET oldest_uid = ?2, complete = ?3 WHERE id = ?1")?
            .execute(params![id, oldest_uid, complete])?;
        found(n, id)
    }

    /// Counts from STATUS, for folders whose rows are not (fully) cached.
    pub fn set_status_counts(&mut self, id: FolderId, messages: u32, unseen: u32) -> Result<()> {
        let n = self
            .tx
            .prepare_cached("UPDATE folders SET messages = ?2, unseen = ?3 WHERE id = ?1")?
            .execute(params![id, messages, unseen])?;
        found(n, id)
    }

    /// Sets the counts from the cached rows' (kept by triggers, migration 0009), stores and
    /// returns (messages, unseen).
    pub fn refresh_counts(&mut self, id: FolderId) -> Result<(u32, u32)> {
        let (messages, unseen): (u32, u32) = self
            .tx
            .prepare_cached("SELECT rows, unseen FROM folder_counts WHERE folder_id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or((0, 0));
        self.set_status_counts(id, messages, unseen)?;
        Ok((messages, unseen))
    }

    /// Checks `uidvalidity` against the folder's; adopts it if the folder has none yet.
    fn check_uidvalidity(&mut self, id: FolderId, uidvalidity: u32) -> Result<()> {
        let cached: Option<Option<u32>> = self
            .tx
            .prepare_cached("SELECT uidvalidity FROM folders WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        match cached {
            None => Err(StoreError::NotFound(format!("folder id {id}"))),
            Some(None) => {
                self.tx
                    .prepare_cached("UPDATE folders SET uidvalidity = ?2 WHERE id = ?1")?
                    .execute(params![id, uidvalidity])?;
                Ok(())
            }
            Some(Some(v)) if v != uidvalidity => Err(StoreError::UidValidityMismatch {
                folder: id,
                cached: v,
                got: uidvalidity,
            }),
            Some(Some(_)) => Ok(()),
        }
    }

    /// Inserts or replaces headers, flags, MODSEQ, size and INTERNALDATE; threads the
    /// messages (in any arrival order). A UIDVALIDITY other than the folder's is an error.
    pub fn upsert_messages(
        &mut self,
        id: FolderId,
        uidvalidity: u32,
        messages: &[NewMessage],
    ) -> Result<()> {
        self.check_uidvalidity(id, uidvalidity)?;
        let (Some(lo), Some(hi)) = (
            messages.iter().map(|m| m.uid).min(),
            messages.iter().map(|m| m.uid).max(),
        ) else {
            return Ok(());
        };
        // A first sync's batch holds no cached UID: one range probe instead of a lookup
        // per message.
        let any_cached = self
            .tx
            .prepare_cached(
                "SELECT 1 FROM messages
                 WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid BETWEEN ?3 AND ?4 LIMIT 1",
            )?
            .query_row(params![id, uidvalidity, lo, hi], |_| Ok(()))
            .optional()?
            .is_some();
        let mut batch = Batch::load(&self.tx, id, messages.iter())?;
        let mut seen = HashSet::with_capacity(messages.len());
        for m in messages {
            let repeated = !seen.insert(m.uid);
            if repeated {
                // The same UID twice: the first copy must be in the table to be replaced.
                self.threads.flush(&self.tx, &mut batch)?;
            }
            self.upsert_one(id, uidvalidity, m, any_cached || repeated, &mut batch)?;
        }
        self.threads.flush(&self.tx, &mut batch)
    }

    /// New messages (not `cached`) wait in `batch` for their thread's layout; cached ones
    /// are updated in place.
    fn upsert_one<'m>(
        &mut self,
        id: FolderId,
        uidvalidity: u32,
        m: &'m NewMessage,
        cached: bool,
        batch: &mut Batch<'m>,
    ) -> Result<()> {
        let h = &m.headers;
        let date = h.date.or(m.internal_date).unwrap_or(0);
        let refs = h.references.join(" ");
        let existing = if cached {
            self.tx
                .prepare_cached(
                    "SELECT thread_id, date, message_id IS ?4 AND in_reply_to IS ?5 AND refs = ?6
                     FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
                )?
                .query_row(
                    params![
                        id,
                        uidvalidity,
                        m.uid,
                        h.message_id,
                        rows::in_reply_to_to_sql(h.in_reply_to.as_deref(), &h.references),
                        refs
                    ],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, bool>(2)?,
                        ))
                    },
                )
                .optional()?
        } else {
            None
        };
        let modseq = m.modseq.map(rows::modseq_to_sql).transpose()?;
        let row = NewRow {
            msg: m,
            uidvalidity,
            date,
            modseq,
            refs,
        };
        let thread = match existing {
            None => {
                let thread = self.threads.link(&self.tx, batch, id, m)?;
                batch.push(id, thread, row);
                return Ok(());
            }
            // Same links: same thread; only a new date changes its layout.
            Some((thread, old_date, true)) => {
                if old_date != date {
                    self.threads.touch(id, thread);
                }
                thread
            }
            Some((old, _, false)) => {
                self.threads.touch(id, old);
                let thread = self.threads.link(&self.tx, batch, id, m)?;
                self.threads.has_rows(id, thread);
                thread
            }
        };
        // The layout columns of a cached row are kept; its thread's layout fixes them.
        write_row(&self.tx, id, &row, thread, date, Place::default())
    }

    /// Sets the flags of a cached message (MODSEQ kept when `None`). Unknown UIDs are
    /// ignored; returns how many rows changed.
    pub fn set_flags(
        &mut self,
        id: FolderId,
        uidvalidity: u32,
        uid: u32,
        flags: &Flags,
        modseq: Option<u64>,
    ) -> Result<usize> {
        let modseq = modseq.map(rows::modseq_to_sql).transpose()?;
        let n = self
            .tx
            .prepare_cached(
                "UPDATE messages SET sys_flags = ?4, keywords = ?5, modseq = coalesce(?6, modseq)
                 WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .execute(params![
                id,
                uidvalidity,
                uid,
                flags.system.0,
                flags.keywords_text(),
                modseq
            ])?;
        Ok(n)
    }

    /// The cached flags of one message.
    pub fn flags(&mut self, id: FolderId, uidvalidity: u32, uid: u32) -> Result<Option<Flags>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT sys_flags, keywords FROM messages
                 WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .query_row(params![id, uidvalidity, uid], |r| {
                Ok(Flags::from_parts(r.get(0)?, &r.get::<_, String>(1)?))
            })
            .optional()?)
    }

    /// Removes messages (and their bodies); the rest of their threads is laid out again.
    pub fn remove_uids(&mut self, id: FolderId, uidvalidity: u32, uids: &UidSet) -> Result<usize> {
        let mut removed = 0;
        for &(lo, hi) in uids.ranges() {
            {
                let mut threads = self.tx.prepare_cached(
                    "SELECT DISTINCT thread_id FROM messages
                     WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid BETWEEN ?3 AND ?4",
                )?;
                let mut q = threads.query(params![id, uidvalidity, lo, hi])?;
                while let Some(r) = q.next()? {
                    self.threads.touch(id, r.get(0)?);
                }
            }
            removed += self
                .tx
                .prepare_cached(
                    "DELETE FROM messages
                     WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid BETWEEN ?3 AND ?4",
                )?
                .execute(params![id, uidvalidity, lo, hi])?;
        }
        Ok(removed)
    }

    /// Every cached UID of the folder under this UIDVALIDITY.
    pub fn uids(&mut self, id: FolderId, uidvalidity: u32) -> Result<UidSet> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT uid FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 ORDER BY uid",
        )?;
        let uids = stmt
            .query_map(params![id, uidvalidity], |r| r.get::<_, u32>(0))?
            .collect::<rusqlite::Result<UidSet>>()?;
        Ok(uids)
    }

    /// Cached UIDs stored without their size: a first sync's newest page, when the sync was
    /// cut before the batch that fetches it again whole.
    pub fn uids_without_size(&mut self, id: FolderId, uidvalidity: u32) -> Result<UidSet> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT uid FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 AND size = 0
             AND uid < ?3 ORDER BY uid",
        )?;
        let uids = stmt
            .query_map(params![id, uidvalidity, super::PLACEHOLDER_BASE], |r| {
                r.get::<_, u32>(0)
            })?
            .collect::<rusqlite::Result<UidSet>>()?;
        Ok(uids)
    }

    /// Caches a raw message. Bodies over the per-body cap are not stored, nor are bodies
    /// of messages not in the cache; then evicts least recently used bodies over the total cap.
    pub fn put_body(&mut self, id: FolderId, uidvalidity: u32, uid: u32, raw: &[u8]) -> Result<()> {
        if raw.len() as u64 > self.limits.max_body {
            tracing::debug!(uid, size = raw.len(), "body over the cache cap, not stored");
            return Ok(());
        }
        let known = self
            .tx
            .prepare_cached(
                "SELECT 1 FROM messages WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .query_row(params![id, uidvalidity, uid], |_| Ok(()))
            .optional()?;
        if known.is_none() {
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "INSERT INTO bodies (folder_id, uidvalidity, uid, size, last_used, raw)
                 VALUES (?1, ?2, ?3, ?4, ?6, ?5)
                 ON CONFLICT (folder_id, uidvalidity, uid) DO UPDATE SET
                    size = excluded.size, last_used = excluded.last_used, raw = excluded.raw",
            )?
            .execute(params![
                id,
                uidvalidity,
                uid,
                raw.len() as i64,
                raw,
                self.next_used()?
            ])?;
        let text = super::search_index::body_text(raw);
        super::search_index::index_body(&self.tx, id, uidvalidity, uid, &text)?;
        self.evict_cache()
    }

    /// Marks a body as just used, so eviction keeps it longer. Readers cannot write, so
    /// the engine calls this when it serves a cached body.
    pub fn touch_body(&mut self, id: FolderId, uidvalidity: u32, uid: u32) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE bodies SET last_used = ?4
                 WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .execute(params![id, uidvalidity, uid, self.next_used()?])?;
        Ok(())
    }
}

/// Inserts a new message row; a row already there is left as it is (0 rows changed).
/// No ON CONFLICT update and no trigger: such a statement needs a statement journal, and
/// every statement savepoint makes FTS5 flush its pending tokens to disk (one tiny
/// segment per row, then merges: most of the insert's cost before schema 8).
pub(super) const INSERT_ROW: &str = "INSERT OR IGNORE INTO messages (folder_id, uidvalidity,
        uid, date, internal_date, sys_flags, keywords, size, modseq, has_attachment,
        thread_id, thread_latest, thread_pos, depth, from_name, from_addr, to_addrs, cc_addrs,
        subject, message_id, in_reply_to, refs)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
        ?18, ?19, ?20, ?21, ?22)";

/// Inserts a message row, or updates a cached one (its layout columns kept).
pub(super) const UPSERT_ROW: &str = "INSERT INTO messages (folder_id, uidvalidity, uid, date,
        internal_date, sys_flags, keywords, size, modseq, has_attachment, thread_id,
        thread_latest, thread_pos, depth, from_name, from_addr, to_addrs, cc_addrs, subject,
        message_id, in_reply_to, refs)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
        ?18, ?19, ?20, ?21, ?22)
     ON CONFLICT (folder_id, uidvalidity, uid) DO UPDATE SET
        date = excluded.date, internal_date = excluded.internal_date,
        sys_flags = excluded.sys_flags, keywords = excluded.keywords,
        size = excluded.size, modseq = excluded.modseq,
        has_attachment = excluded.has_attachment, thread_id = excluded.thread_id,
        from_name = excluded.from_name, from_addr = excluded.from_addr,
        to_addrs = excluded.to_addrs, cc_addrs = excluded.cc_addrs,
        subject = excluded.subject, message_id = excluded.message_id,
        in_reply_to = excluded.in_reply_to, refs = excluded.refs";

fn write_row(
    tx: &Transaction<'_>,
    folder: FolderId,
    row: &NewRow<'_>,
    thread: i64,
    latest: i64,
    place: Place,
) -> Result<()> {
    bind_row(
        &mut *tx.prepare_cached(UPSERT_ROW)?,
        folder,
        row,
        thread,
        latest,
        place,
    )
    .map(drop)
}

/// Runs `UPSERT_ROW` or `INSERT_ROW` for one row; returns the rows changed.
pub(super) fn bind_row(
    stmt: &mut Statement<'_>,
    folder: FolderId,
    row: &NewRow<'_>,
    thread: i64,
    latest: i64,
    place: Place,
) -> Result<usize> {
    let (m, h) = (row.msg, &row.msg.headers);
    let changed = stmt.execute(params![
        folder,
        row.uidvalidity,
        m.uid,
        row.date,
        m.internal_date,
        m.flags.system.0,
        m.flags.keywords_text(),
        m.size.unwrap_or(0),
        row.modseq,
        h.has_attachment,
        thread,
        latest,
        place.pos,
        place.depth,
        h.from_name,
        h.from_addr,
        h.to,
        h.cc,
        h.subject,
        h.message_id,
        rows::in_reply_to_to_sql(h.in_reply_to.as_deref(), &h.references),
        row.refs,
    ])?;
    Ok(changed)
}

fn found(changed: usize, id: FolderId) -> Result<()> {
    if changed == 0 {
        Err(StoreError::NotFound(format!("folder id {id}")))
    } else {
        Ok(())
    }
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
