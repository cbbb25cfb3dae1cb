use std::sync::mpsc;
use std::time::Duration;

use super::{UV, fixture, msg};
use crate::domain::message::{Flags, SystemFlags};
use crate::domain::uidset::UidSet;
use crate::store::{ErrorKind, StoreError};

#[test]
fn upsert_flags_remove_uids_round_trip() {
    let f = fixture();
    let id = f.folder;
    f.insert(
        (1..=10)
            .map(|u| msg(u, i64::from(u) * 100, &format!("m{u}"), None))
            .collect(),
    );
    let (uids, changed, unknown, removed, after) = f
        .store
        .write(move |tx| {
            let uids = tx.uids(id, UV)?;
            let seen = Flags::from_imap(&["\\Seen", "Work"]);
            let changed = tx.set_flags(id, UV, 3, &seen, Some(99))?;
            let unknown = tx.set_flags(id, UV, 99, &seen, None)?;
            let removed = tx.remove_uids(id, UV, &UidSet::from_ranges([(2, 4), (9, 1000)]))?;
            Ok((uids, changed, unknown, removed, tx.uids(id, UV)?))
        })
        .unwrap();
    assert_eq!(uids.to_string(), "1:10");
    assert_eq!((changed, unknown, removed), (1, 0, 5));
    assert_eq!(after.to_string(), "1,5:8");

    let reader = f.store.reader().unwrap();
    let m1 = reader.message(id, 1).unwrap().unwrap();
    let want = msg(1, 100, "m1", None);
    assert_eq!(m1.subject, want.headers.subject);
    assert_eq!(m1.from_addr, want.headers.from_addr);
    assert_eq!(m1.date, 100);
    assert_eq!(m1.size, 1001);
    assert_eq!(m1.modseq, Some(1));
    assert_eq!(m1.uidvalidity, UV);
    assert!(reader.message(id, 3).unwrap().is_none());

    // Flags of a surviving message, and keywords round trip.
    let id2 = id;
    f.store
        .write(move |tx| {
            tx.set_flags(id2, UV, 5, &Flags::from_imap(&["\\Flagged", "$Junk"]), None)
                .map(drop)
        })
        .unwrap();
    let m5 = reader.message(id, 5).unwrap().unwrap();
    assert!(m5.flags.flagged() && !m5.flags.seen());
    assert_eq!(m5.flags.keywords, ["$Junk"]);
    assert_eq!(m5.modseq, Some(5), "MODSEQ kept when none given");
    let all = reader.all_flags(id).unwrap();
    assert_eq!(
        all.iter().map(|(u, _)| *u).collect::<Vec<_>>(),
        [1, 5, 6, 7, 8]
    );
}

#[test]
fn upsert_replaces_headers_and_flags() {
    let f = fixture();
    f.insert(vec![msg(1, 100, "a", None)]);
    let mut again = msg(1, 100, "a", None);
    again.headers.subject = "changed".into();
    again.flags = Flags::from_imap(&["\\Seen"]);
    f.insert(vec![again]);
    let row = f
        .store
        .reader()
        .unwrap()
        .message(f.folder, 1)
        .unwrap()
        .unwrap();
    assert_eq!(row.subject, "changed");
    assert!(row.flags.seen());
    assert_eq!(f.store.reader().unwrap().count(f.folder).unwrap(), 1);
}

#[test]
fn date_falls_back_to_internal_date() {
    let f = fixture();
    let mut m = msg(1, 100, "a", None);
    m.headers.date = None;
    m.internal_date = Some(555);
    let mut none = msg(2, 0, "b", None);
    none.headers.date = None;
    none.internal_date = None;
    f.insert(vec![m, none]);
    let reader = f.store.reader().unwrap();
    assert_eq!(reader.message(f.folder, 1).unwrap().unwrap().date, 555);
    assert_eq!(reader.message(f.folder, 2).unwrap().unwrap().date, 0);
}

#[test]
fn reset_folder_clears_rows_and_state() {
    let f = fixture();
    let id = f.folder;
    f.insert(vec![msg(1, 100, "a", None), msg(2, 200, "b", Some("a"))]);
    f.store
        .write(move |tx| {
            tx.set_sync_state(id, Some(3), Some(77))?;
            tx.set_progress(id, Some(1), true)?;
            tx.put_body(id, UV, 1, b"raw")
        })
        .unwrap();
    let state = f.store.reader().unwrap().folder("INBOX").unwrap().unwrap();
    assert_eq!((state.uidnext, state.highestmodseq), (Some(3), Some(77)));
    assert!(state.complete && state.synced_at.is_some());

    f.store
        .write(move |tx| tx.reset_folder(id, UV + 1))
        .unwrap();
    let reader = f.store.reader().unwrap();
    let state = reader.folder("INBOX").unwrap().unwrap();
    assert_eq!(state.uidvalidity, Some(UV + 1));
    assert_eq!(
        (state.uidnext, state.highestmodseq, state.oldest_uid),
        (None, None, None)
    );
    assert!(!state.complete);
    assert_eq!(reader.count(id).unwrap(), 0);
    assert_eq!(reader.body(id, UV, 1).unwrap(), None);
    // The old UIDVALIDITY is now refused for new rows.
    let err = f
        .store
        .write(move |tx| tx.upsert_messages(id, UV, &[msg(5, 1, "x", None)]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Stale);
    assert!(
        matches!(err, StoreError::UidValidityMismatch { cached, got, .. } if cached == UV + 1 && got == UV)
    );
}

#[test]
fn folders_upsert_keep_state_and_delete_cascades() {
    let f = fixture();
    let id = f.folder;
    f.insert(vec![msg(1, 100, "a", None)]);
    let (again, sent, folders) = f
        .store
        .write(move |tx| {
            tx.set_sync_state(id, Some(2), None)?;
            let again = tx.upsert_folder("INBOX", Some("inbox"), Some('.'))?;
            let sent = tx.upsert_folder("Sent", Some("sent"), None)?;
            // A folder with no UIDVALIDITY adopts the first one written.
            tx.upsert_messages(sent, 9, &[msg(1, 1, "s", None)])?;
            Ok((again, sent, tx.folders()?))
        })
        .unwrap();
    assert_eq!(again, id);
    assert_eq!(
        folders.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["INBOX", "Sent"]
    );
    assert_eq!(folders[0].uidnext, Some(2), "sync state kept");
    assert_eq!(folders[0].delimiter, Some('.'));
    assert_eq!(folders[1].uidvalidity, Some(9));

    f.store.write(|tx| tx.delete_folder("INBOX")).unwrap();
    let reader = f.store.reader().unwrap();
    assert!(reader.folder("INBOX").unwrap().is_none());
    assert_eq!(
        reader.count(id).unwrap(),
        0,
        "messages went with the folder"
    );
    assert_eq!(reader.count(sent).unwrap(), 1);
    let err = f
        .store
        .write(move |tx| tx.set_progress(id, None, true))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn counts_from_rows_and_from_status() {
    let f = fixture();
    let id = f.folder;
    let mut list: Vec<_> = (1..=6)
        .map(|u| msg(u, i64::from(u), &format!("m{u}"), None))
        .collect();
    for m in &mut list[..4] {
        m.flags = Flags::from_imap(&["\\Seen"]);
    }
    f.insert(list);
    let counted = f
        .store
        .write(move |tx| {
            tx.set_status_counts(id, 1000, 50)?;
            let status = tx.folder("INBOX")?.map(|s| (s.messages, s.unseen));
            let counted = tx.refresh_counts(id)?;
            tx.set_flags(id, UV, 5, &Flags::from_imap(&["\\Seen"]), None)?;
            Ok((status, counted, tx.refresh_counts(id)?))
        })
        .unwrap();
    assert_eq!(counted, (Some((1000, 50)), (6, 2), (6, 1)));
    let state = f.store.reader().unwrap().folder("INBOX").unwrap().unwrap();
    assert_eq!((state.messages, state.unseen), (6, 1));
    assert!(SystemFlags(SystemFlags::SEEN).has(SystemFlags::SEEN));
}

#[test]
fn failed_or_panicking_write_leaves_nothing() {
    let f = fixture();
    let id = f.folder;
    let err = f
        .store
        .write(move |tx| {
            tx.upsert_messages(id, UV, &[msg(1, 100, "a", None)])?;
            tx.upsert_folder("Junk", None, None)?;
            Err::<(), _>(StoreError::Aborted("test".into()))
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted);
    let err = f
        .store
        .write(move |tx| -> crate::store::Result<()> {
            tx.upsert_messages(id, UV, &[msg(2, 100, "b", None)])?;
            panic!("boom");
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Bug);
    let reader = f.store.reader().unwrap();
    assert_eq!(reader.count(id).unwrap(), 0);
    assert!(reader.folder("Junk").unwrap().is_none());
    // The writer thread survived the panic.
    f.insert(vec![msg(3, 100, "c", None)]);
    assert_eq!(reader.count(id).unwrap(), 1);
}

#[test]
fn reader_sees_committed_state_while_writer_works() {
    let f = fixture();
    let id = f.folder;
    f.insert(vec![msg(1, 100, "a", None)]);
    let (started_tx, started) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let store = f.store.clone();
    let writer = std::thread::spawn(move || {
        store.write(move |tx| {
            tx.upsert_messages(id, UV, &[msg(2, 200, "b", None)])?;
            started_tx.send(()).ok();
            release_rx.recv_timeout(Duration::from_secs(10)).ok();
            Ok(())
        })
    });
    started.recv_timeout(Duration::from_secs(10)).unwrap();
    // The write transaction is open and holds uncommitted row 2; the reader does not
    // wait for it and sees the last commit.
    let reader = f.store.reader().unwrap();
    assert_eq!(reader.count(id).unwrap(), 1);
    assert!(reader.message(id, 2).unwrap().is_none());
    release.send(()).unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(reader.count(id).unwrap(), 2);
}

#[test]
fn write_async_does_not_need_a_blocking_thread() {
    let f = fixture();
    let id = f.folder;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = f.store.clone();
    let n = rt
        .block_on(async move {
            store
                .write_async(move |tx| {
                    tx.upsert_messages(id, UV, &[msg(1, 1, "a", None)])?;
                    Ok(tx.uids(id, UV)?.len())
                })
                .await
        })
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn nested_write_is_an_error_not_a_deadlock() {
    let f = fixture();
    let inner = f.store.clone();
    let err = f.store.write(move |_| inner.write(|_| Ok(()))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Bug);
}

#[test]
fn modseq_above_i64_is_refused() {
    let f = fixture();
    let id = f.folder;
    let err = f
        .store
        .write(move |tx| tx.set_sync_state(id, None, Some(u64::MAX)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

/// The kept counts (migration 0009) match the rows through inserts, upserts of cached
/// rows, flag changes, removals and a reset.
#[test]
fn kept_row_counts_match_the_rows() {
    let f = fixture();
    let id = f.folder;
    let counted = |f: &super::Fixture| {
        let conn = rusqlite::Connection::open(&f.path).unwrap();
        let rows: u32 = conn
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        let unseen: u32 = conn
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1 AND sys_flags & 1 = 0",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        let kept: (u32, u32) = conn
            .query_row(
                "SELECT rows, unseen FROM folder_counts WHERE folder_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, (rows, unseen));
        assert_eq!(f.store.reader().unwrap().count(id).unwrap(), rows);
        kept
    };
    let mut list: Vec<_> = (1..=5)
        .map(|u| msg(u, i64::from(u), &format!("m{u}"), None))
        .collect();
    list[0].flags = Flags::from_imap(&["\\Seen"]);
    f.insert(list.clone());
    assert_eq!(counted(&f), (5, 4));
    // The same messages again (an upsert of cached rows), one now read.
    list[1].flags = Flags::from_imap(&["\\Seen"]);
    f.insert(list);
    assert_eq!(counted(&f), (5, 3));
    f.store
        .write(move |tx| {
            tx.set_flags(id, UV, 3, &Flags::from_imap(&["\\Seen", "\\Flagged"]), None)?;
            tx.set_flags(id, UV, 1, &Flags::default(), None)?;
            tx.remove_uids(id, UV, &UidSet::from_ranges([(4, 4)]))
        })
        .unwrap();
    assert_eq!(counted(&f), (4, 2));
    f.store
        .write(move |tx| tx.reset_folder(id, UV + 1))
        .unwrap();
    assert_eq!(counted(&f), (0, 0));
}

#[test]
fn in_reply_to_is_stored_once_when_references_end_with_it() {
    let f = fixture();
    let mut elsewhere = msg(3, 300, "c", Some("a"));
    elsewhere.headers.in_reply_to = Some("b".into());
    let mut empty = msg(4, 400, "d", Some("a"));
    empty.headers.in_reply_to = Some(String::new());
    f.insert(vec![
        msg(1, 100, "a", None),
        msg(2, 200, "b", Some("a")),
        elsewhere,
        empty,
    ]);
    let reader = f.store.reader().unwrap();
    let stored: Vec<Option<String>> = reader
        .conn()
        .prepare("SELECT in_reply_to FROM messages ORDER BY uid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(stored, [None, Some(String::new()), Some("b".into()), None]);
    let read = |uid| reader.message(f.folder, uid).unwrap().unwrap();
    assert_eq!(read(2).in_reply_to.as_deref(), Some("a"), "read back whole");
    assert_eq!(read(2).references, ["a"]);
    assert_eq!(read(3).in_reply_to.as_deref(), Some("b"));
    assert_eq!(read(4).in_reply_to, None, "an empty id is no id");
    // A row written before schema 8 spells the id out and reads the same.
    drop(reader);
    f.store
        .write(|tx| {
            tx.sql()
                .execute("UPDATE messages SET in_reply_to = 'a' WHERE uid = 2", [])?;
            Ok(())
        })
        .unwrap();
    let reader = f.store.reader().unwrap();
    let row = reader.message(f.folder, 2).unwrap().unwrap();
    assert_eq!(row.in_reply_to.as_deref(), Some("a"));
    // The same links again: nothing to relink (the compare sees the stored form).
    let thread_before = row.thread_id;
    f.insert(vec![msg(2, 200, "b", Some("a"))]);
    let row = reader.message(f.folder, 2).unwrap().unwrap();
    assert_eq!(
        (row.thread_id, row.in_reply_to.as_deref()),
        (thread_before, Some("a"))
    );
}
