//! Renaming a folder (with its children) and dropping its waiting actions in the cache.

use super::{UV, fixture, msg};
use crate::domain::uidset::UidSet;

fn uids(list: &[u32]) -> UidSet {
    list.iter().copied().collect()
}

#[test]
fn rename_moves_the_folder_and_its_children_but_not_lookalikes() {
    let f = fixture();
    f.store
        .write(|tx| {
            for name in ["Work", "Work/2024", "Work/2024/Q1", "Workshop"] {
                let id = tx.upsert_folder(name, None, Some('/'))?;
                tx.reset_folder(id, UV)?;
            }
            let id = tx.folder("Work/2024")?.map(|f| f.id).unwrap_or_default();
            tx.upsert_messages(id, UV, &[msg(5, 100, "kept", None)])
        })
        .unwrap();
    let renamed = f
        .store
        .write(|tx| tx.rename_folder("Work", "Job", Some('/')))
        .unwrap();
    assert_eq!(renamed, 3);
    let reader = f.store.reader().unwrap();
    let names: Vec<String> = reader
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for name in ["Job", "Job/2024", "Job/2024/Q1", "Workshop"] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    assert!(!names.iter().any(|n| n == "Work" || n.starts_with("Work/")));
    let child = reader.folder("Job/2024").unwrap().unwrap();
    assert_eq!(child.uidvalidity, Some(UV), "the sync position is kept");
    assert!(
        reader.message(child.id, 5).unwrap().is_some(),
        "messages stay"
    );
}

#[test]
fn dropping_a_folders_actions_counts_those_from_it_and_into_it() {
    let f = fixture();
    f.insert(vec![msg(1, 100, "a", None), msg(2, 200, "b", None)]);
    let inbox = f.folder;
    let dropped = f
        .store
        .write(move |tx| {
            let old = tx.upsert_folder("Old", None, Some('/'))?;
            tx.reset_folder(old, UV)?;
            tx.upsert_messages(old, UV, &[msg(9, 900, "in-old", None)])?;
            let kept = tx.upsert_folder("INBOX/Kept", None, Some('/'))?;
            tx.reset_folder(kept, UV)?;
            tx.journal_move(inbox, UV, &uids(&[1]), "Old", false)?;
            tx.journal_move(inbox, UV, &uids(&[2]), "INBOX/Kept", false)?;
            tx.journal_move(old, UV, &uids(&[9]), "INBOX/Kept", false)?;
            tx.rename_folder("INBOX/Kept", "INBOX/Still", Some('/'))?;
            tx.drop_folder_actions("Old")
        })
        .unwrap();
    assert_eq!(dropped, 2, "the move into Old and the one out of it");
    let left = f.store.write(|tx| tx.journal_pending()).unwrap();
    assert_eq!(left.len(), 1);
    assert!(
        matches!(&left[0].op, crate::store::JournalOp::Move { to, .. } if to == "INBOX/Still"),
        "the waiting move follows the rename: {:?}",
        left[0].op
    );
    let still = f
        .store
        .reader()
        .unwrap()
        .folder("INBOX/Still")
        .unwrap()
        .unwrap();
    assert_eq!(still.messages, 1, "the dropped move's placeholder is gone");
}

#[test]
fn folders_start_subscribed_and_a_rename_keeps_the_mark() {
    let f = fixture();
    f.store
        .write(|tx| {
            let old = tx.upsert_folder("Old", None, Some('/'))?;
            tx.upsert_folder("Kept", None, Some('/'))?;
            tx.set_folder_subscribed(old, false)
        })
        .unwrap();
    f.store
        .write(|tx| tx.rename_folder("Old", "Older", Some('/')))
        .unwrap();
    let reader = f.store.reader().unwrap();
    assert!(reader.folder("Kept").unwrap().unwrap().subscribed);
    assert!(!reader.folder("Older").unwrap().unwrap().subscribed);
}
