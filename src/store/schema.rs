//! Numbered migrations embedded in the binary, tracked by `PRAGMA user_version`.
//! A newer tern migrates an older cache forward; it never wipes one.

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::error::{Result, StoreError};

/// `application_id` set by migration 1 ("tern" in ASCII).
pub(crate) const APPLICATION_ID: i32 = 0x7465_726e;

/// A migration's Rust part, for what SQL alone cannot do (decoding old text columns).
/// Runs after the step's SQL, in the same transaction.
pub(crate) type RustStep = fn(&Transaction<'_>) -> Result<()>;

/// One schema step: the version it produces, its SQL and, if needed, a Rust part.
pub(crate) struct Migration {
    pub version: u32,
    pub sql: &'static str,
    pub rust: Option<RustStep>,
}

/// In order, versions 1..=N without gaps.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_init.sql"),
        rust: None,
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_unseen_covering.sql"),
        rust: None,
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_folder_selectable_and_error.sql"),
        rust: None,
    },
    Migration {
        version: 4,
        sql: include_str!("migrations/0004_journal_columns.sql"),
        rust: Some(super::journal::legacy::migrate_v3_journal),
    },
    Migration {
        version: 5,
        sql: include_str!("migrations/0005_folder_subscribed.sql"),
        rust: None,
    },
    Migration {
        version: 6,
        sql: include_str!("migrations/0006_search.sql"),
        // Its Rust step indexed cached bodies into the index that migration 8 replaces;
        // migration 8 indexes them again, so a cache on its way up skips the first pass.
        rust: None,
    },
    Migration {
        version: 7,
        sql: include_str!("migrations/0007_parts.sql"),
        rust: None,
    },
    Migration {
        version: 8,
        sql: include_str!("migrations/0008_slim_search.sql"),
        rust: Some(super::search_index::index_cached_text),
    },
    Migration {
        version: 9,
        sql: include_str!("migrations/0009_row_counts.sql"),
        rust: None,
    },
];

/// The schema version this build writes.
pub fn schema_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Refuses files that are not ours before anything writes to them.
pub(crate) fn check_ours(conn: &Connection, path: &Path, known: u32) -> Result<()> {
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let read = |sql: &str| -> Result<i64> {
        conn.query_row(sql, [], |r| r.get(0))
            .map_err(|e| corrupt(e.to_string()))
    };
    let app_id = read("PRAGMA application_id")?;
    let version = read("PRAGMA user_version")?;
    let tables = read("SELECT count(*) FROM sqlite_schema")?;
    if app_id == 0 && version == 0 && tables == 0 {
        return Ok(()); // fresh
    }
    if app_id != i64::from(APPLICATION_ID) {
        return Err(corrupt(format!(
            "foreign SQLite database (application_id {app_id})"
        )));
    }
    let found = u32::try_from(version).map_err(|_| corrupt(format!("user_version {version}")))?;
    if found > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    Ok(())
}

/// Runs every migration above the file's `user_version`, each in its own transaction
/// so a kill between steps leaves a valid older version that the next run continues.
pub(crate) fn migrate(conn: &mut Connection, path: &Path, migrations: &[Migration]) -> Result<()> {
    let known = migrations.last().map_or(0, |m| m.version);
    check_ours(conn, path, known)?;
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for m in migrations.iter().filter(|m| m.version > current) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(m.sql)?;
        if let Some(rust) = m.rust {
            rust(&tx)?;
        }
        // user_version lives in the header page, so it commits atomically with the SQL.
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
        tracing::debug!(version = m.version, path = %path.display(), "cache migrated");
    }
    Ok(())
}
