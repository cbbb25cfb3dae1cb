//! `Reader`: read-only queries for the UI and the CLI. Every query is one statement,
//! so it sees one committed state; WAL readers never block the writer.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::Result;
use super::{FolderId, FolderState, SortOrder, Window, open, rows};
use crate::domain::message::{Flags, MessageRow};

pub struct Reader {
    conn: Connection,
}

impl Reader {
    /// Opens a read-only connection to an existing cache (e.g. for the CLI without a writer).
    /// The file must already be at this build's schema version.
    pub fn open(path: &Path) -> Result<Reader> {
        Ok(Reader {
            conn: open::open_reader(path)?,
        })
    }

    /// For the sibling query modules (filter.rs).
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn folders(&self) -> Result<Vec<FolderState>> {
        let sql = format!("SELECT {} FROM folders ORDER BY name", rows::FOLDER_COLUMNS);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let folders = stmt
            .query_map([], rows::folder)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(folders)
    }

    pub fn folder_by_id(&self, id: FolderId) -> Result<Option<FolderState>> {
        let sql = format!("SELECT {} FROM folders WHERE id = ?1", rows::FOLDER_COLUMNS);
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], rows::folder)
            .optional()?)
    }

    pub fn folder(&self, name: &str) -> Result<Option<FolderState>> {
        let sql = format!(
            "SELECT {} FROM folders WHERE name = ?1",
            rows::FOLDER_COLUMNS
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([name], rows::folder)
            .optional()?)
    }

    /// One page of the message list. The inner select walks only the covering sort index
    /// (cheap even for a large OFFSET); full rows are fetched for the `limit` keys only.
    pub fn window(
        &self,
        folder: FolderId,
        sort: SortOrder,
        window: Window,
        limit: u32,
    ) -> Result<Vec<MessageRow>> {
        let cols = rows::MESSAGE_COLUMNS_M;
        let (keys, order) = match sort {
            SortOrder::DateDesc => (
                "SELECT uidvalidity, uid FROM messages INDEXED BY messages_by_date
                 WHERE folder_id = ?1 {after} ORDER BY date DESC, uid DESC LIMIT ?2 OFFSET ?3",
                "m.date DESC, m.uid DESC",
            ),
            SortOrder::Threaded => (
                "SELECT uidvalidity, uid FROM messages INDEXED BY messages_threaded
                 WHERE folder_id = ?1 {after}
                 ORDER BY thread_latest DESC, thread_id DESC, thread_pos LIMIT ?2 OFFSET ?3",
                "m.thread_latest DESC, m.thread_id DESC, m.thread_pos",
            ),
        };
        let (after, offset, a, b, c) = match (sort, window) {
            (_, Window::Offset(n)) => ("", n, 0, 0, 0),
            (SortOrder::DateDesc, Window::After { date, uid }) => {
                ("AND (date, uid) < (?4, ?5)", 0, date, i64::from(uid), 0)
            }
            (SortOrder::Threaded, Window::After { uid, .. }) => {
                // Keyset by the anchor row's thread keys; an unknown anchor yields nothing.
                let Some((latest, thread, pos)) = self.thread_keys(folder, uid)? else {
                    return Ok(Vec::new());
                };
                (
                    "AND (thread_latest < ?4 OR (thread_latest = ?4 AND (thread_id < ?5
                         OR (thread_id = ?5 AND thread_pos > ?6))))",
                    0,
                    latest,
                    thread,
                    pos,
                )
            }
        };
        let sql = format!(
            // CROSS JOIN keeps the 200 keys as the outer loop (SQLite never reorders it).
            "SELECT {cols} FROM ({keys}) AS k CROSS JOIN messages AS m
             ON m.folder_id = ?1 AND m.uidvalidity = k.uidvalidity AND m.uid = k.uid
             ORDER BY {order}",
            keys = keys.replace("{after}", after),
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = if after.is_empty() {
            stmt.query_map(params![folder, limit, offset], rows::message)?
                .collect::<rusqlite::Result<_>>()?
        } else if matches!(sort, SortOrder::DateDesc) {
            stmt.query_map(params![folder, limit, offset, a, b], rows::message)?
                .collect::<rusqlite::Result<_>>()?
        } else {
            stmt.query_map(params![folder, limit, offset, a, b, c], rows::message)?
                .collect::<rusqlite::Result<_>>()?
        };
        Ok(rows)
    }

    fn thread_keys(&self, folder: FolderId, uid: u32) -> Result<Option<(i64, i64, i64)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT thread_latest, thread_id, thread_pos FROM messages
                 WHERE folder_id = ?1 AND uid = ?2
                 AND uidvalidity = (SELECT uidvalidity FROM folders WHERE id = ?1)",
            )?
            .query_row(params![folder, uid], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?)
    }

    /// Messages of a thread and how many of them are unread (a folded thread's row).
    pub fn thread_counts(&self, folder: FolderId, thread_id: i64) -> Result<(u32, u32)> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*), coalesce(sum(sys_flags & ?3 = 0), 0)
                 FROM messages INDEXED BY messages_thread
                 WHERE folder_id = ?1 AND thread_id = ?2",
            )?
            .query_row(
                params![folder, thread_id, crate::domain::message::SystemFlags::SEEN],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
    }

    /// Number of cached messages in the folder (kept by triggers, migration 0009).
    pub fn count(&self, folder: FolderId) -> Result<u32> {
        Ok(self
            .conn
            .prepare_cached("SELECT rows FROM folder_counts WHERE folder_id = ?1")?
            .query_row([folder], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// A message under the folder's current UIDVALIDITY.
    pub fn message(&self, folder: FolderId, uid: u32) -> Result<Option<MessageRow>> {
        let sql = format!(
            "SELECT {} FROM messages WHERE folder_id = ?1 AND uid = ?2
             AND uidvalidity = (SELECT uidvalidity FROM folders WHERE id = ?1)",
            rows::MESSAGE_COLUMNS
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![folder, uid], rows::message)
            .optional()?)
    }

    /// The cached raw message, if any. (Reads cannot bump the LRU; see `WriteTx::touch_body`.)
    pub fn body(&self, folder: FolderId, uidvalidity: u32, uid: u32) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT raw FROM bodies WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .query_row(params![folder, uidvalidity, uid], |r| r.get(0))
            .optional()?)
    }

    /// Whether a body is cached, without loading it.
    pub fn has_body(&self, folder: FolderId, uidvalidity: u32, uid: u32) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM bodies WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?
            .query_row(params![folder, uidvalidity, uid], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Every (UID, flags) of the folder, by UID.
    pub fn all_flags(&self, folder: FolderId) -> Result<Vec<(u32, Flags)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT uid, sys_flags, keywords FROM messages WHERE folder_id = ?1 ORDER BY uid",
        )?;
        let flags = stmt
            .query_map([folder], |r| {
                Ok((
                    r.get(0)?,
                    Flags::from_parts(r.get(1)?, &r.get::<_, String>(2)?),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(flags)
    }
}
