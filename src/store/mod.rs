//! The SQLite cache (docs/ARCHITECTURE.md rules 3-5): one file per account, WAL, explicit columns,
//! numbered migrations; one writer thread (`Store`), read-only `Reader`s for UI and CLI.
//! Threading and sort keys are stored at write time so a list window is one indexed query.

mod error;
mod filter;
mod journal;
mod open;
mod parts;
mod read;
mod rows;
mod schema;
mod search;
mod search_index;
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
pub use parts::{CachedSection, NewSection, ShownMessage};
pub use read::Reader;
pub use schema::schema_version;
pub use search::{SearchHit, SearchScope};
pub use write::WriteTx;
pub use writer::Store;

pub use crate::domain::folder::{FolderId, FolderState, SortOrder};

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
