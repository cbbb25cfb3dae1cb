//! Store tests: each opens its own cache in a temp dir.

mod bodies;
mod folder_ops;
mod folds;
mod journal;
mod messages;
mod open;
mod search;
mod threads;
mod window;

use std::path::PathBuf;

use tempfile::TempDir;

use super::{FolderId, Store};
use crate::domain::message::{Flags, HeaderFields, NewMessage};

/// For a cache built at an older schema (no search index before 6, no kept counts before
/// 9) by today's writer, which indexes and counts each new row itself: throwaway stand-in
/// tables, private to the connection.
pub(super) fn stand_in_search_index(tx: &mut super::WriteTx<'_>) -> super::Result<()> {
    tx.sql().execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS search_text (subject, sender, recipients, cc);
         CREATE TEMP TABLE IF NOT EXISTS folder_counts
             (folder_id INTEGER PRIMARY KEY, rows INTEGER, unseen INTEGER);",
    )?;
    Ok(())
}

pub(super) struct Fixture {
    pub store: Store,
    pub folder: FolderId,
    pub path: PathBuf,
    _dir: TempDir,
}

pub(super) const UV: u32 = 7;

/// A store with one folder "INBOX" at UIDVALIDITY `UV`.
pub(super) fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acct.sqlite");
    let store = Store::open(&path).unwrap();
    let folder = store
        .write(|tx| {
            let id = tx.upsert_folder("INBOX", Some("inbox"), Some('/'))?;
            tx.reset_folder(id, UV)?;
            Ok(id)
        })
        .unwrap();
    Fixture {
        store,
        folder,
        path,
        _dir: dir,
    }
}

/// A message with a Message-ID `<id>` replying to `parent` (In-Reply-To and References).
pub(super) fn msg(uid: u32, date: i64, id: &str, parent: Option<&str>) -> NewMessage {
    NewMessage {
        uid,
        flags: Flags::default(),
        modseq: Some(u64::from(uid)),
        internal_date: Some(date + 5),
        size: Some(1000 + uid),
        headers: HeaderFields {
            date: Some(date),
            from_name: Some(format!("Sender {uid}")),
            from_addr: Some(format!("s{uid}@example.org")),
            to: "me@example.org".into(),
            cc: String::new(),
            subject: format!("subject {id}"),
            message_id: Some(id.to_string()),
            in_reply_to: parent.map(str::to_string),
            references: parent.map(str::to_string).into_iter().collect(),
            has_attachment: uid.is_multiple_of(2),
        },
    }
}

impl Fixture {
    pub fn insert(&self, messages: Vec<NewMessage>) {
        let folder = self.folder;
        self.store
            .write(move |tx| tx.upsert_messages(folder, UV, &messages))
            .unwrap();
    }
}
