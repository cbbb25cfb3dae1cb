//! The journal's safety rules at the store level: claims, folder resets, and the move of
//! schema-3 text entries into explicit columns.

use rusqlite::{Connection, params};

use super::{UV, fixture, msg};
use crate::domain::uidset::UidSet;
use crate::store::journal::legacy;
use crate::store::schema::{MIGRATIONS, Migration};
use crate::store::{BodyLimits, JournalEntry, JournalOp, PLACEHOLDER_BASE, Store};

fn uids(list: &[u32]) -> UidSet {
    list.iter().copied().collect()
}

/// A fixture with INBOX rows 1..=3 and an Archive folder, both synced.
fn with_archive() -> super::Fixture {
    let f = fixture();
    f.insert(vec![
        msg(1, 100, "a", None),
        msg(2, 200, "b", None),
        msg(3, 300, "c", None),
    ]);
    f.store
        .write(|tx| {
            let id = tx.upsert_folder("Archive", Some("archive"), Some('/'))?;
            tx.reset_folder(id, 9)
        })
        .unwrap();
    f
}

#[test]
fn an_entry_cancelled_after_the_snapshot_cannot_be_claimed() {
    let f = with_archive();
    let folder = f.folder;
    let (first, second) = f
        .store
        .write(move |tx| {
            let a = tx.journal_move(folder, UV, &uids(&[1]), "Archive", false)?;
            let b = tx.journal_move(folder, UV, &uids(&[2]), "Archive", false)?;
            Ok((a, b))
        })
        .unwrap();
    let snapshot = f.store.write(|tx| tx.journal_pending()).unwrap();
    assert_eq!(snapshot.len(), 2);
    let undone = snapshot[1].clone();
    assert!(f.store.write(move |tx| tx.journal_cancel(&undone)).unwrap());
    let claimed = f
        .store
        .write(move |tx| tx.journal_claim(first, true))
        .unwrap();
    assert_eq!(claimed.map(|e| e.id), Some(first));
    let claimed = f
        .store
        .write(move |tx| tx.journal_claim(second, true))
        .unwrap();
    assert_eq!(claimed, None, "an undone entry is never sent");
}

#[test]
fn a_claimed_entry_is_taken_over_only_under_the_send_lock_and_not_cancelled() {
    let f = with_archive();
    let folder = f.folder;
    let id = f
        .store
        .write(move |tx| tx.journal_move(folder, UV, &uids(&[1]), "Archive", true))
        .unwrap();
    let claim = |lock: bool| f.store.write(move |tx| tx.journal_claim(id, lock)).unwrap();
    assert!(claim(false).is_some());
    assert!(
        claim(false).is_none(),
        "another sender's claim is left alone"
    );
    assert!(
        claim(true).is_some(),
        "a dead sender's leftover, under the lock"
    );
    let entry = claim(true).unwrap();
    let cancelled = f.store.write(move |tx| tx.journal_cancel(&entry));
    assert!(cancelled.is_err(), "a claimed entry cannot be cancelled");
    let placeholders = f
        .store
        .write(|tx| {
            let archive = tx.folder("Archive")?.unwrap().id;
            tx.uids(archive, 9)
        })
        .unwrap();
    assert_eq!(placeholders.len(), 1, "the refused cancel changed nothing");
}

#[test]
fn a_folder_reset_fails_its_older_entries_with_the_reason_once() {
    let f = with_archive();
    let folder = f.folder;
    f.store
        .write(move |tx| {
            tx.journal_flags(folder, UV, &uids(&[1]), &["\\Flagged".into()], &[])?;
            tx.journal_move(folder, UV, &uids(&[2]), "Archive", false)?;
            tx.journal_expunge(folder, UV, &uids(&[3]))
        })
        .unwrap();
    let dropped = f
        .store
        .write(move |tx| {
            tx.reset_folder(folder, UV + 1)?;
            tx.journal_drop_stale(folder, UV + 1)
        })
        .unwrap();
    assert_eq!(dropped, 0, "the reset already failed them");
    let reader = f.store.reader().unwrap();
    assert_eq!(reader.journal_count().unwrap(), 0);
    let archive = reader.folder("Archive").unwrap().unwrap();
    assert_eq!(archive.messages, 0, "the move's placeholder went");
    let failures = f.store.write(|tx| tx.journal_take_failures()).unwrap();
    assert_eq!(
        failures,
        vec!["INBOX was recreated on the server; 3 action(s) dropped".to_string()]
    );
    let again = f.store.write(|tx| tx.journal_take_failures()).unwrap();
    assert!(again.is_empty(), "each failure is told once");
}

#[test]
fn entries_made_under_the_new_uidvalidity_survive_a_reset_to_it() {
    let f = with_archive();
    let folder = f.folder;
    f.store
        .write(move |tx| {
            tx.reset_folder(folder, UV + 1)?;
            tx.upsert_messages(folder, UV + 1, &[msg(5, 100, "e", None)])?;
            tx.journal_flags(folder, UV + 1, &uids(&[5]), &["\\Seen".into()], &[])
                .map(drop)
        })
        .unwrap();
    let dropped = f
        .store
        .write(move |tx| tx.journal_drop_stale(folder, UV + 1))
        .unwrap();
    assert_eq!(dropped, 0);
    assert_eq!(f.store.reader().unwrap().journal_count().unwrap(), 1);
}

/// One entry of every kind, as schema 3 wrote them.
fn old_entries() -> Vec<(&'static str, &'static str, JournalOp)> {
    let move_op = JournalOp::Move {
        to: "Archive".into(),
        copy: false,
        placeholders: vec![(1, PLACEHOLDER_BASE)],
        landed_in: None,
        sent_uidnext: None,
        spare: UidSet::new(),
    };
    let copy_op = JournalOp::Move {
        to: "Archive".into(),
        copy: true,
        placeholders: vec![(2, PLACEHOLDER_BASE + 1)],
        landed_in: None,
        sent_uidnext: Some(12),
        spare: uids(&[7, 8]),
    };
    vec![
        (
            "pending",
            "1",
            JournalOp::Flags {
                add: vec!["\\Flagged".into(), "$Work".into()],
                remove: vec!["\\Seen".into()],
            },
        ),
        ("pending", "1", move_op),
        ("sending", "2", copy_op),
        (
            "pending",
            "3",
            JournalOp::Expunge {
                spare: uids(&[4, 5]),
            },
        ),
        (
            "done",
            "2",
            JournalOp::Move {
                to: "Archive".into(),
                copy: false,
                placeholders: vec![(2, 31)],
                landed_in: Some(9),
                sent_uidnext: None,
                spare: UidSet::new(),
            },
        ),
    ]
}

/// A cache at schema `version` with INBOX, Archive and the old entries plus two it cannot
/// read; returns the path (the temp dir lives in the tuple).
fn old_cache(version: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let first: Vec<Migration> = MIGRATIONS
        .iter()
        .filter(|m| m.version <= version)
        .map(|m| Migration {
            version: m.version,
            sql: m.sql,
            rust: m.rust,
        })
        .collect();
    let old = Store::open_migrations(&path, BodyLimits::default(), &first).unwrap();
    old.write(|tx| {
        super::stand_in_search_index(tx)?;
        let inbox = tx.upsert_folder("INBOX", Some("inbox"), Some('/'))?;
        tx.reset_folder(inbox, UV)?;
        tx.upsert_messages(inbox, UV, &[msg(1, 100, "a", None)])?;
        let archive = tx.upsert_folder("Archive", None, Some('/'))?;
        tx.reset_folder(archive, 9)
    })
    .unwrap();
    drop(old);
    let conn = Connection::open(&path).unwrap();
    let insert = |uids: &str, action: &str, argument: &str, state: &str| {
        conn.execute(
            "INSERT INTO journal (folder_id, uidvalidity, uids, action, argument, created_at, state)
             VALUES (1, ?1, ?2, ?3, ?4, 1000, ?5)",
            params![UV, uids, action, argument, state],
        )
        .unwrap();
    };
    for (state, set, op) in old_entries() {
        let (action, argument) = legacy::encode(&op);
        insert(set, action, &argument, state);
    }
    insert("1", "frobnicate", "x", "pending");
    insert("1:x", "flags", "+\\Seen", "pending");
    // A hand-edited file: a row of a folder that is gone (keys were not enforced here).
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    conn.execute(
        "INSERT INTO journal (folder_id, uidvalidity, uids, action, argument, created_at)
         VALUES (99, 1, '1', 'expunge', '', 1000)",
        [],
    )
    .unwrap();
    (dir, path)
}

fn check_migrated(version: u32) {
    let (_dir, path) = old_cache(version);
    let store = Store::open(&path).unwrap();
    let expected = old_entries();
    for (n, (state, set, op)) in expected.iter().enumerate() {
        let id = i64::try_from(n + 1).unwrap();
        let (entry, found_state) = store
            .write(move |tx| tx.journal_entry(id))
            .unwrap()
            .unwrap();
        let want = JournalEntry {
            id,
            folder_id: 1,
            folder: "INBOX".into(),
            uidvalidity: UV,
            uids: set.parse::<u32>().map(|u| uids(&[u])).unwrap(),
            op: op.clone(),
            created_at: 1000,
        };
        assert_eq!((entry, found_state.as_str()), (want, *state), "entry {id}");
    }
    let pending: Vec<i64> = store
        .write(|tx| tx.journal_pending())
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(pending, vec![1, 2, 3, 4], "every waiting entry, in order");
    let failures = store.write(|tx| tx.journal_take_failures()).unwrap();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[0].contains("frobnicate"), "{failures:?}");
    assert!(failures[1].contains("1:x"), "{failures:?}");
    // The flag change is sent by kind: only it shields its UIDs from sync.
    let shielded = store
        .write(|tx| tx.pending_flag_uids(1, UV))
        .unwrap()
        .to_string();
    assert_eq!(shielded, "1");
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let old_table: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'journal_v3'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old_table, 0, "the old table is gone");
}

#[test]
fn a_version_3_journal_comes_out_equal_in_explicit_columns() {
    check_migrated(3);
}

#[test]
fn a_version_2_journal_comes_out_equal_in_explicit_columns() {
    check_migrated(2);
}

#[test]
fn the_new_columns_refuse_what_no_entry_can_be() {
    let f = fixture();
    drop(f.store);
    let conn = Connection::open(&f.path).unwrap();
    let bad_kind = conn.execute(
        "INSERT INTO journal (folder_id, uidvalidity, uids, kind, created_at)
         VALUES (1, 7, '1', 'frobnicate', 0)",
        [],
    );
    assert!(bad_kind.is_err());
    let move_without_target = conn.execute(
        "INSERT INTO journal (folder_id, uidvalidity, uids, kind, created_at)
         VALUES (1, 7, '1', 'move', 0)",
        [],
    );
    assert!(move_without_target.is_err());
    let failed_without_reason = conn.execute(
        "INSERT INTO journal (folder_id, uidvalidity, uids, kind, state, created_at)
         VALUES (1, 7, '1', 'expunge', 'failed', 0)",
        [],
    );
    assert!(failed_without_reason.is_err());
}
