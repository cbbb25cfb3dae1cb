//! The account handle against a cache synced from a real Dovecot: an action or an undo is
//! answered only by events on the account's channel (`OpDone` / `OpFailed` naming the
//! request), and the engine is told to send what was recorded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::{SeedMessage, TestDovecot};
use tern::bus::{Act, EngineCommand, EngineEvent, ErrorKind, OpId};
use tern::config::Filing;
use tern::domain::ids::UidValidity;
use tern::domain::uidset::UidSet;
use tern::store::{SortOrder, Store, Window};
use tern::sync::handle::AccountHandle;
use tern::sync::{Folders, sync_account};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

struct Rig {
    _server: TestDovecot,
    _dir: tempfile::TempDir,
    store: Store,
    handle: AccountHandle,
    events: UnboundedReceiver<EngineEvent>,
    commands: UnboundedReceiver<EngineCommand>,
}

impl Rig {
    /// INBOX holds "one" and "two", unflagged; the cache is synced.
    async fn new() -> Rig {
        let server = TestDovecot::start();
        server.seed_maildir(
            server.user(),
            "INBOX",
            [
                SeedMessage::text(1, "one", "x"),
                SeedMessage::text(2, "two", "x"),
            ],
        );
        server.seed_maildir(
            server.user(),
            "Archive",
            [SeedMessage::text(3, "three", "x")],
        );
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
        let (sync_events, _sync_rx) = unbounded_channel();
        let mut client = server.tern_client().await;
        sync_account(&mut client, &store, &Folders::All, &sync_events)
            .await
            .unwrap();
        let (events_tx, events) = unbounded_channel();
        let (commands_tx, commands) = unbounded_channel();
        let handle = AccountHandle::new(
            store.clone(),
            Filing::default(),
            Some(commands_tx),
            events_tx,
        );
        Rig {
            _server: server,
            _dir: dir,
            store,
            handle,
            events,
            commands,
        }
    }

    /// The folder's UIDVALIDITY; INBOX's for a folder the cache does not know.
    fn uidvalidity(&self, folder: &str) -> UidValidity {
        let reader = self.store.reader().unwrap();
        let state = match reader.folder(folder).unwrap() {
            Some(state) => state,
            None => reader.folder("INBOX").unwrap().unwrap(),
        };
        UidValidity(state.uidvalidity.unwrap())
    }

    fn flagged(&self, uid: u32) -> bool {
        self.flagged_in("INBOX", uid)
    }

    fn flagged_in(&self, folder: &str, uid: u32) -> bool {
        let reader = self.store.reader().unwrap();
        let id = reader.folder(folder).unwrap().unwrap().id;
        let rows = reader
            .window(id, SortOrder::DateDesc, Window::Offset(0), 10)
            .unwrap();
        rows.iter().find(|r| r.uid == uid).unwrap().flags.flagged()
    }

    fn events(&mut self) -> Vec<EngineEvent> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }

    fn commands(&mut self) -> Vec<EngineCommand> {
        std::iter::from_fn(|| self.commands.try_recv().ok()).collect()
    }

    async fn flag(&mut self, op: OpId, folder: &str, uid: u32) {
        self.flag_joining(op, folder, uid, false).await;
    }

    /// `joins`: another folder's part of the action just before (one key press).
    async fn flag_joining(&mut self, op: OpId, folder: &str, uid: u32, joins: bool) {
        let uidvalidity = self.uidvalidity(folder);
        let uids: UidSet = [uid].into_iter().collect();
        let act = Act::Flags {
            add: vec!["\\Flagged".into()],
            remove: Vec::new(),
        };
        self.handle
            .record(op, folder, uidvalidity, uids, act, joins)
            .await;
    }
}

fn done(events: &[EngineEvent]) -> Option<(OpId, &str)> {
    match events.last()? {
        EngineEvent::OpDone { op, summary, .. } => Some((*op, summary.as_str())),
        _ => None,
    }
}

#[tokio::test]
async fn one_action_over_two_folders_is_undone_and_redone_whole() {
    let mut rig = Rig::new().await;
    rig.flag_joining(OpId(1), "INBOX", 2, false).await;
    rig.flag_joining(OpId(2), "Archive", 1, true).await;
    assert!(rig.flagged_in("INBOX", 2) && rig.flagged_in("Archive", 1));
    rig.events();

    rig.handle.undo(OpId(3)).await;
    let events = rig.events();
    assert_eq!(done(&events).map(|d| d.0), Some(OpId(3)), "{events:?}");
    assert!(
        !rig.flagged_in("INBOX", 2),
        "the first folder's part is taken back too"
    );
    assert!(!rig.flagged_in("Archive", 1));
    for folder in ["INBOX", "Archive"] {
        assert!(
            events.contains(&EngineEvent::FolderChanged {
                folder: folder.into()
            }),
            "{folder} re-read: {events:?}"
        );
    }
    rig.handle.undo(OpId(4)).await;
    assert!(
        rig.flagged_in("INBOX", 2) && rig.flagged_in("Archive", 1),
        "redone whole"
    );

    // The next key press starts a new undo: only it is taken back.
    rig.flag(OpId(5), "INBOX", 1).await;
    rig.handle.undo(OpId(6)).await;
    assert!(!rig.flagged_in("INBOX", 1));
    assert!(rig.flagged_in("INBOX", 2) && rig.flagged_in("Archive", 1));
}

#[tokio::test]
async fn an_action_and_its_undo_are_answered_on_the_accounts_events() {
    let mut rig = Rig::new().await;
    rig.flag(OpId(1), "INBOX", 2).await;
    let events = rig.events();
    assert_eq!(done(&events), Some((OpId(1), "")), "{events:?}");
    assert!(
        events.contains(&EngineEvent::FolderChanged {
            folder: "INBOX".into()
        }),
        "the list is told to re-read: {events:?}"
    );
    assert!(rig.flagged(2), "the change is in the cache at once");
    assert_eq!(rig.commands(), [EngineCommand::Replay]);

    rig.handle.undo(OpId(2)).await;
    let events = rig.events();
    let (op, summary) = done(&events).expect("undo answered with OpDone");
    assert_eq!(op, OpId(2));
    assert!(summary.starts_with("undone"), "{summary}");
    assert!(!rig.flagged(2));
    assert_eq!(rig.commands(), [EngineCommand::Replay]);

    // Undoing again redoes it.
    rig.handle.undo(OpId(3)).await;
    assert_eq!(done(&rig.events()).map(|d| d.0), Some(OpId(3)));
    assert!(rig.flagged(2));
}

#[tokio::test]
async fn what_cannot_be_done_is_answered_with_op_failed_and_changes_nothing() {
    let mut rig = Rig::new().await;
    rig.handle.undo(OpId(7)).await;
    assert_eq!(
        rig.events(),
        [EngineEvent::OpFailed {
            op: OpId(7),
            kind: ErrorKind::Refused,
            message: "nothing to undo".into()
        }]
    );

    rig.flag(OpId(8), "Nowhere", 1).await;
    let events = rig.events();
    let failed = events.iter().find_map(|e| match e {
        EngineEvent::OpFailed { op, message, .. } => Some((*op, message.clone())),
        _ => None,
    });
    let (op, message) = failed.expect("OpFailed");
    assert_eq!(op, OpId(8));
    assert!(message.starts_with("not done:"), "{message}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EngineEvent::OpDone { .. })),
        "{events:?}"
    );
    assert!(
        rig.commands().is_empty(),
        "nothing recorded, nothing to send"
    );
    assert!(!rig.flagged(1));
}
