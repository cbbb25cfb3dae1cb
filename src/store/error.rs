//! Store errors. `kind()` tells callers whether to retry, resync or report.

use std::path::PathBuf;

use rusqlite::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Not a tern cache (garbage, another program's database) or a damaged one. Never wiped.
    #[error("{path}: not a usable tern cache: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// Written by a newer tern; opening it would mean guessing at its schema.
    #[error("{path}: cache schema version {found} is newer than this tern knows ({known})")]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("sqlite: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// The writer thread is gone (store dropped or the thread died).
    #[error("store writer is closed")]
    Closed,
    #[error("not found: {0}")]
    NotFound(String),
    /// A write named a UIDVALIDITY other than the folder's: the caller's view is stale.
    #[error("folder {folder}: UIDVALIDITY {got} does not match the cached {cached}")]
    UidValidityMismatch { folder: i64, cached: u32, got: u32 },
    /// A value the schema cannot hold (e.g. a MODSEQ above i64::MAX).
    #[error("invalid value: {0}")]
    Invalid(String),
    /// The caller's closure asked for a rollback.
    #[error("write aborted: {0}")]
    Aborted(String),
    /// A closure panicked on the writer thread; the transaction was rolled back.
    #[error("store bug: {0}")]
    Bug(String),
}

/// Coarse classes for retry/report decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Corrupt,
    Io,
    Sqlite,
    Closed,
    NotFound,
    /// Stale caller state (UIDVALIDITY mismatch): resync.
    Stale,
    Invalid,
    Aborted,
    Bug,
}

impl StoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Corrupt { .. } | StoreError::TooNew { .. } => ErrorKind::Corrupt,
            StoreError::Io { .. } => ErrorKind::Io,
            StoreError::Sqlite(_) => ErrorKind::Sqlite,
            StoreError::Closed => ErrorKind::Closed,
            StoreError::NotFound(_) => ErrorKind::NotFound,
            StoreError::UidValidityMismatch { .. } => ErrorKind::Stale,
            StoreError::Invalid(_) => ErrorKind::Invalid,
            StoreError::Aborted(_) => ErrorKind::Aborted,
            StoreError::Bug(_) => ErrorKind::Bug,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        // Damage found mid-query is reported like damage found at open.
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt {
                path: PathBuf::new(),
                reason: e.to_string(),
            },
            _ => StoreError::Sqlite(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
