//! The SQLite cache (DESIGN rules 3-5): one file per account, WAL, explicit columns,
//! numbered migrations; one writer thread (`Store`), read-only `Reader`s for UI and CLI.
//! Threading and sort keys are stored at write time so a list window is one indexed query.

mod error;
mod filter;
mod journal;
mod open;
mod read;
mod rows;
mod schema;
mod thread;
mod undo;
mod write;
mod writer;

#[cfg(test)]
mod tests;

pub use error::{ErrorKind, Result, StoreError};
pub use filter::RowFilter;
pub use journal::{FlagChange, JournalEntry, JournalOp, PLACEHOLDER_BASE, recreated_reason};
pub use open::cache_path;
pub use read::Reader;
pub use schema::schema_version;
pub use write::WriteTx;
pub use writer::Store;

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Newest first (Date header, else INTERNALDATE), ties by UID.
    DateDesc,
    /// Threads by latest activity, newest first; messages of a thread in tree (DFS) order.
    Threaded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Offset(u32),
    /// Keyset: the rows after this one. For `DateDesc` by (date, uid); for `Threaded` the
    /// anchor is looked up by `uid` (its `date` is not used).
    After {
        date: i64,
        uid: u32,
    },
}

/// Body cache caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Larger raw messages are not cached.
    pub max_body: u64,
    /// Least recently used bodies are evicted above this total.
    pub max_total: u64,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            max_body: 25 << 20,
            max_total: 500 << 20,
        }
    }
}
