//! Undo against a real Dovecot: a pending action is cancelled before the server sees it;
//! a sent one is reversed (flags flip back, a move moves back, a delete returns from the
//! Trash, a copy is removed), and undoing again redoes it. Also where delete and archive
//! go when the account names its own folders.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::shown;

use support::{SeedMessage, TestDovecot};
use tern::config::Filing;
use tern::domain::uidset::UidSet;
use tern::imap::ImapClient;
use tern::store::{PLACEHOLDER_BASE, SortOrder, Store, Window};
use tern::sync::journal::{self, Act};
use tern::sync::undo::{self, Undo};
use tern::sync::{Folders, sync_account};

struct Rig {
    server: TestDovecot,
    _dir: tempfile::TempDir,
    store: Store,
    client: ImapClient,
    events: tern::bus::EventSender,
    _events_rx: tokio::sync::mpsc::UnboundedReceiver<tern::bus::EngineEvent>,
}

impl Rig {
    /// INBOX holds "one" (read), "two" and "three"; the cache is synced.
    async fn new(extra_folders: &[&str]) -> Rig {
        let server = TestDovecot::start();
        server.seed_maildir(
            server.user(),
            "INBOX",
            [
                SeedMessage::text(1, "one", "x").with_flags(&["\\Seen"]),
                SeedMessage::text(2, "two", "x"),
                SeedMessage::text(3, "three", "x"),
            ],
        );
        for folder in extra_folders {
            server.seed_maildir(server.user(), folder, std::iter::empty::<SeedMessage>());
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
        let (events, events_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut rig = Rig {
            client: server.tern_client().await,
            server,
            _dir: dir,
            store,
            events,
            _events_rx: events_rx,
        };
        rig.sync().await;
        rig
    }

    async fn sync(&mut self) {
        sync_account(&mut self.client, &self.store, &Folders::All, &self.events)
            .await
            .unwrap();
    }

    async fn act(&self, uids: &[u32], act: Act, filing: &Filing) -> Option<Undo> {
        let set: UidSet = uids.iter().copied().collect();
        journal::record(
            &self.store,
            "INBOX",
            shown(&self.store, "INBOX"),
            set,
            act,
            filing,
        )
        .await
        .unwrap()
        .undo
    }

    async fn replay(&mut self) -> usize {
        journal::replay(&mut self.client, &self.store, &self.events)
            .await
            .unwrap()
    }

    /// Subjects on the server, sorted.
    fn server_subjects(&self, folder: &str) -> Vec<String> {
        let mut raw = self.server.raw_login(self.server.user());
        raw.examine(&self.server.folder(folder)).unwrap();
        let mut subjects: Vec<String> = raw
            .uid_search_all()
            .unwrap()
            .into_iter()
            .map(|uid| subject_of(&raw.fetch_raw(uid).unwrap()))
            .collect();
        subjects.sort();
        subjects
    }

    fn server_seen(&self, subject: &str) -> bool {
        let mut raw = self.server.raw_login(self.server.user());
        raw.examine("INBOX").unwrap();
        let flags = raw.fetch_flags().unwrap();
        let uid = raw
            .uid_search_all()
            .unwrap()
            .into_iter()
            .find(|&uid| subject_of(&raw.fetch_raw(uid).unwrap()) == subject)
            .unwrap();
        flags[&uid].iter().any(|f| f == "\\Seen")
    }

    /// (uid, subject) of the cached rows, by subject.
    fn cached(&self, folder: &str) -> Vec<(u32, String)> {
        let reader = self.store.reader().unwrap();
        let Some(state) = reader.folder(&self.server.folder(folder)).unwrap() else {
            return Vec::new();
        };
        let mut rows: Vec<(u32, String)> = reader
            .window(state.id, SortOrder::DateDesc, Window::Offset(0), 100)
            .unwrap()
            .into_iter()
            .map(|r| (r.uid, r.subject))
            .collect();
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        rows
    }

    fn cached_subjects(&self, folder: &str) -> Vec<String> {
        self.cached(folder).into_iter().map(|(_, s)| s).collect()
    }

    fn pending(&self) -> u32 {
        self.store.reader().unwrap().journal_count().unwrap()
    }
}

fn subject_of(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn seen() -> Act {
    Act::Flags {
        add: vec!["\\Seen".into()],
        remove: Vec::new(),
    }
}

#[tokio::test]
async fn a_sent_flag_change_flips_back_only_what_it_changed_and_redoes() {
    let mut rig = Rig::new(&[]).await;
    let undo_it = rig
        .act(&[1, 2, 3], seen(), &Filing::default())
        .await
        .unwrap();
    assert_eq!(rig.replay().await, 1);
    assert!(["one", "two", "three"].iter().all(|s| rig.server_seen(s)));

    let done = undo::undo(&rig.store, undo_it).await.unwrap();
    assert_eq!(rig.pending(), 1);
    assert_eq!(rig.replay().await, 1);
    // "one" was read before the action: the undo leaves it read.
    assert!(rig.server_seen("one"));
    assert!(!rig.server_seen("two") && !rig.server_seen("three"));

    // Undoing the undo marks them read again.
    let redo = done.redo.unwrap();
    undo::undo(&rig.store, redo).await.unwrap();
    assert_eq!(rig.replay().await, 1);
    assert!(rig.server_seen("two") && rig.server_seen("three"));
    assert_eq!(rig.pending(), 0);
}

#[tokio::test]
async fn a_sent_move_moves_back_and_a_delete_returns_from_the_trash() {
    let mut rig = Rig::new(&[]).await;
    let moved = rig
        .act(
            &[2],
            Act::Move {
                to: rig.server.folder("Archive"),
            },
            &Filing::default(),
        )
        .await
        .unwrap();
    rig.replay().await;
    assert_eq!(rig.server_subjects("Archive"), ["two"]);
    let done = undo::undo(&rig.store, moved).await.unwrap();
    assert!(done.summary.contains("moving back"), "{}", done.summary);
    // Shown back in the INBOX at once (a placeholder until the server confirms).
    assert_eq!(rig.cached_subjects("INBOX"), ["one", "three", "two"]);
    assert!(rig.cached_subjects("Archive").is_empty());
    rig.replay().await;
    assert_eq!(rig.server_subjects("INBOX"), ["one", "three", "two"]);
    assert!(rig.server_subjects("Archive").is_empty());

    let deleted = rig
        .act(&[3], Act::Delete, &Filing::default())
        .await
        .unwrap();
    rig.replay().await;
    assert_eq!(rig.server_subjects("Trash"), ["three"]);
    undo::undo(&rig.store, deleted).await.unwrap();
    rig.replay().await;
    assert_eq!(rig.server_subjects("INBOX"), ["one", "three", "two"]);
    assert!(rig.server_subjects("Trash").is_empty());

    // The cache agrees after a sync, with real UIDs only.
    rig.sync().await;
    let inbox = rig.cached("INBOX");
    assert_eq!(
        inbox.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
        ["one", "three", "two"]
    );
    assert!(inbox.iter().all(|(uid, _)| *uid < PLACEHOLDER_BASE));
    assert_eq!(rig.pending(), 0);
}

#[tokio::test]
async fn a_sent_copy_is_undone_by_removing_the_copies() {
    let mut rig = Rig::new(&[]).await;
    let copied = rig
        .act(
            &[1, 2],
            Act::Copy {
                to: rig.server.folder("Archive"),
            },
            &Filing::default(),
        )
        .await
        .unwrap();
    rig.replay().await;
    assert_eq!(rig.server_subjects("Archive"), ["one", "two"]);
    let done = undo::undo(&rig.store, copied).await.unwrap();
    assert!(done.redo.is_none());
    rig.replay().await;
    assert!(rig.server_subjects("Archive").is_empty());
    assert_eq!(rig.server_subjects("INBOX"), ["one", "three", "two"]);
}

#[tokio::test]
async fn a_pending_move_is_cancelled_before_the_server_sees_it() {
    let mut rig = Rig::new(&[]).await;
    let before = rig.cached("INBOX");
    let moved = rig
        .act(
            &[2, 3],
            Act::Move {
                to: rig.server.folder("Archive"),
            },
            &Filing::default(),
        )
        .await
        .unwrap();
    assert_eq!(rig.cached_subjects("INBOX"), ["one"]);
    assert_eq!(rig.cached_subjects("Archive"), ["three", "two"]);
    let done = undo::undo(&rig.store, moved).await.unwrap();
    assert!(!done.needs_sync && rig.pending() == 0, "{done:?}");
    // The same rows, under their own UIDs, and nothing left to send.
    assert_eq!(rig.cached("INBOX"), before);
    assert!(rig.cached_subjects("Archive").is_empty());
    assert_eq!(rig.replay().await, 0);
    assert_eq!(rig.server_subjects("INBOX"), ["one", "three", "two"]);
    assert!(rig.server_subjects("Archive").is_empty());
    // Nothing to undo twice.
    assert!(done.redo.is_none());
}

#[tokio::test]
async fn a_pending_delete_for_good_is_cancelled_and_the_rows_come_back_with_sync() {
    let mut rig = Rig::new(&[]).await;
    let expunging = Filing {
        delete_expunges: true,
        ..Filing::default()
    };
    let deleted = rig.act(&[2], Act::Delete, &expunging).await.unwrap();
    assert_eq!(rig.cached_subjects("INBOX"), ["one", "three"]);
    let done = undo::undo(&rig.store, deleted).await.unwrap();
    assert!(done.needs_sync, "{done:?}");
    assert_eq!(rig.replay().await, 0);
    rig.sync().await;
    assert_eq!(rig.cached_subjects("INBOX"), ["one", "three", "two"]);
    assert_eq!(rig.server_subjects("INBOX"), ["one", "three", "two"]);
}

#[tokio::test]
async fn a_sent_delete_for_good_cannot_be_undone() {
    let mut rig = Rig::new(&[]).await;
    let expunging = Filing {
        delete_expunges: true,
        ..Filing::default()
    };
    let deleted = rig.act(&[2], Act::Delete, &expunging).await.unwrap();
    rig.replay().await;
    let err = undo::undo(&rig.store, deleted).await.unwrap_err();
    assert!(err.to_string().contains("removed for good"), "{err}");
    assert_eq!(rig.server_subjects("INBOX"), ["one", "three"]);
    assert!(rig.server_subjects("Trash").is_empty());
}

#[tokio::test]
async fn configured_folders_take_delete_and_archive() {
    let mut rig = Rig::new(&["Bin", "Old"]).await;
    let filing = Filing {
        trash: Some(rig.server.folder("Bin")),
        archive: Some(rig.server.folder("Old")),
        ..Filing::default()
    };
    rig.act(&[2], Act::Delete, &filing).await.unwrap();
    rig.act(&[3], Act::Archive, &filing).await.unwrap();
    assert_eq!(rig.replay().await, 2);
    assert_eq!(rig.server_subjects("Bin"), ["two"]);
    assert_eq!(rig.server_subjects("Old"), ["three"]);
    assert!(rig.server_subjects("Trash").is_empty());
    assert!(rig.server_subjects("Archive").is_empty());
    assert_eq!(rig.server_subjects("INBOX"), ["one"]);
}
