use std::os::unix::fs::PermissionsExt;

use rusqlite::Connection;

use super::{UV, fixture, msg};
use crate::store::schema::{MIGRATIONS, Migration};
use crate::store::{BodyLimits, ErrorKind, Reader, Store, StoreError, cache_path, schema_version};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn creates_private_wal_file_and_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/sub/acct.sqlite");
    let store = Store::open(&path).unwrap();
    store
        .write(|tx| tx.upsert_folder("INBOX", None, None).map(drop))
        .unwrap();
    let _reader = store.reader().unwrap(); // keeps -wal/-shm alive for the checks
    assert_eq!(mode(&path), 0o600);
    for ext in ["sqlite-wal", "sqlite-shm"] {
        let side = path.with_extension(ext);
        assert!(side.exists(), "{ext} exists in WAL mode");
        assert_eq!(mode(&side), 0o600, "{ext} inherits the private mode");
    }
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let conn = Connection::open(&path).unwrap();
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn tightens_a_readable_existing_cache() {
    let f = fixture();
    drop(f.store);
    std::fs::set_permissions(&f.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _store = Store::open(&f.path).unwrap();
    assert_eq!(mode(&f.path), 0o600);
}

#[test]
fn reopen_keeps_data_at_current_version() {
    let f = fixture();
    f.insert(vec![msg(1, 100, "a", None)]);
    drop(f.store);
    let store = Store::open(&f.path).unwrap();
    let reader = store.reader().unwrap();
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    assert_eq!(inbox.uidvalidity, Some(UV));
    assert_eq!(inbox.delimiter, Some('/'));
    assert!(reader.message(inbox.id, 1).unwrap().is_some());
    let conn = Connection::open(&f.path).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema_version());
    assert!(version >= 1);
}

#[test]
fn garbage_file_is_an_error_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acct.sqlite");
    let garbage = b"this is not a database, but the user's precious notes\n".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    assert_eq!(mode(&path), 0o644, "a file that is not ours keeps its mode");
    assert!(matches!(
        Reader::open(&path),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn foreign_sqlite_database_is_an_error_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acct.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!path.with_extension("sqlite-wal").exists());
}

#[test]
fn newer_schema_is_an_error_not_a_wipe() {
    let f = fixture();
    f.insert(vec![msg(1, 100, "a", None)]);
    drop(f.store);
    {
        let conn = Connection::open(&f.path).unwrap();
        conn.pragma_update(None, "user_version", schema_version() + 1)
            .unwrap();
    }
    let err = Store::open(&f.path).err().unwrap();
    assert!(
        matches!(err, StoreError::TooNew { found, .. } if found == schema_version() + 1),
        "{err}"
    );
    let conn = Connection::open(&f.path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1, "rows survive");
}

#[test]
fn later_migration_keeps_rows() {
    let f = fixture();
    f.insert(vec![msg(1, 100, "a", None), msg(2, 200, "b", Some("a"))]);
    drop(f.store);
    let mut next: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|m| Migration {
            version: m.version,
            sql: m.sql,
            rust: m.rust,
        })
        .collect();
    let v2 = schema_version() + 1;
    next.push(Migration {
        version: v2,
        sql: "ALTER TABLE messages ADD COLUMN test_only INTEGER NOT NULL DEFAULT 42;",
        rust: None,
    });
    let store = Store::open_migrations(&f.path, BodyLimits::default(), &next).unwrap();
    let n = store.write(|tx| Ok(tx.uids(1, UV)?.len())).unwrap();
    assert_eq!(n, 2);
    drop(store);
    let conn = Connection::open(&f.path).unwrap();
    let (version, extra): (u32, i64) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), sum(test_only) FROM messages",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((version, extra), (v2, 84));
    drop(conn);
    // And this build, which only knows the older schema, now refuses it.
    assert!(matches!(
        Store::open(&f.path),
        Err(StoreError::TooNew { .. })
    ));
}

#[test]
fn a_version_1_cache_is_migrated_and_counts_unread_from_the_index_alone() {
    let f = fixture();
    drop(f.store);
    std::fs::remove_file(&f.path).unwrap();
    let first: Vec<Migration> = MIGRATIONS
        .iter()
        .take(1)
        .map(|m| Migration {
            version: m.version,
            sql: m.sql,
            rust: m.rust,
        })
        .collect();
    let old = Store::open_migrations(&f.path, BodyLimits::default(), &first).unwrap();
    let folder = old
        .write(|tx| {
            super::stand_in_search_index(tx)?;
            let id = tx.upsert_folder("INBOX", None, Some('/'))?;
            tx.reset_folder(id, UV)?;
            tx.upsert_messages(id, UV, &[msg(1, 100, "a", None), msg(2, 200, "b", None)])?;
            Ok(id)
        })
        .unwrap();
    drop(old);
    let store = Store::open(&f.path).unwrap();
    let (messages, unseen) = store.write(move |tx| tx.refresh_counts(folder)).unwrap();
    assert_eq!((messages, unseen), (2, 2), "rows survive the migration");
    drop(store);
    let conn = Connection::open(&f.path).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema_version());
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM messages INDEXED BY messages_unseen
             WHERE folder_id = 1 AND sys_flags & 1 = 0",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("COVERING INDEX messages_unseen"), "{plan}");
}

#[test]
fn a_version_2_cache_is_migrated_with_every_folder_selectable_and_no_error() {
    let f = fixture();
    drop(f.store);
    std::fs::remove_file(&f.path).unwrap();
    let first_two: Vec<Migration> = MIGRATIONS
        .iter()
        .take(2)
        .map(|m| Migration {
            version: m.version,
            sql: m.sql,
            rust: m.rust,
        })
        .collect();
    let old = Store::open_migrations(&f.path, BodyLimits::default(), &first_two).unwrap();
    old.write(|tx| {
        super::stand_in_search_index(tx)?;
        let id = tx.upsert_folder("INBOX", Some("inbox"), Some('/'))?;
        tx.reset_folder(id, UV)?;
        tx.upsert_messages(id, UV, &[msg(1, 100, "a", None)])?;
        tx.upsert_folder("Clients", None, Some('/')).map(drop)
    })
    .unwrap();
    drop(old);
    let store = Store::open(&f.path).unwrap();
    let folders = store.reader().unwrap().folders().unwrap();
    assert_eq!(folders.len(), 2, "folders survive the migration");
    assert!(
        folders
            .iter()
            .all(|f| f.selectable && f.last_error.is_none())
    );
    // The new columns are written and read back.
    store
        .write(|tx| {
            let id = tx.folder("Clients")?.unwrap().id;
            tx.set_folder_selectable(id, false)?;
            assert!(tx.set_folder_error("INBOX", Some("NO [NONEXISTENT] gone"))?);
            assert!(
                !tx.set_folder_error("INBOX", Some("NO [NONEXISTENT] gone again"))?,
                "failing again is no news"
            );
            assert!(!tx.set_folder_error("Elsewhere", Some("no such folder"))?);
            Ok(())
        })
        .unwrap();
    let reader = store.reader().unwrap();
    assert!(!reader.folder("Clients").unwrap().unwrap().selectable);
    assert_eq!(
        reader
            .folder("INBOX")
            .unwrap()
            .unwrap()
            .last_error
            .as_deref(),
        Some("NO [NONEXISTENT] gone again"),
        "the latest wording is kept"
    );
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    assert_eq!(
        reader.count(inbox.id).unwrap(),
        1,
        "rows survive the migration"
    );
    let conn = Connection::open(&f.path).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema_version());
}

#[test]
fn reader_needs_an_existing_cache() {
    let dir = tempfile::tempdir().unwrap();
    let err = Reader::open(&dir.path().join("missing.sqlite"))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn cache_path_is_sanitized_and_distinct() {
    let dir = std::path::Path::new("/data");
    assert_eq!(cache_path(dir, "work"), dir.join("work.sqlite"));
    let slash = cache_path(dir, "a/b");
    let under = cache_path(dir, "a_b");
    assert_ne!(slash, under);
    assert_eq!(slash.parent(), Some(dir));
    let dots = cache_path(dir, "../x");
    assert_eq!(dots.parent(), Some(dir));
    assert!(!dots.file_name().unwrap().to_string_lossy().starts_with('.'));
}

#[test]
fn reader_opens_a_cache_no_writer_has_open() {
    let f = fixture();
    f.insert(vec![msg(1, 100, "a", None)]);
    drop(f.store); // checkpoints and removes -wal/-shm
    assert!(!f.path.with_extension("sqlite-wal").exists());
    let reader = Reader::open(&f.path).unwrap();
    assert_eq!(reader.count(f.folder).unwrap(), 1);
    assert!(reader.has_body(f.folder, UV, 1).is_ok_and(|b| !b));
}
