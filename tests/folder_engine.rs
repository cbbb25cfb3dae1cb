//! Folder changes as the TUI asks for them: `EngineCommand::Folder` sent to a running engine
//! against a real Dovecot, checked with a raw IMAP client and the cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::time::Duration;

use support::{DovecotOptions, SeedMessage, TestDovecot};
use tern::bus::{ConnState, EngineEvent};
use tern::bus::{ErrorKind, FolderAction, OpId};
use tern::store::Store;
use tern::sync::Folders;
use tern::sync::watch::{EngineCommand, WatchOptions, run_engine};
use tokio::sync::{mpsc, watch};

struct Running {
    commands: mpsc::UnboundedSender<EngineCommand>,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<tern::sync::Result<()>>,
    next_op: u64,
}

fn account(server: &TestDovecot, port: u16) -> tern::config::AccountConfig {
    tern::config::Config::parse(
        &server.account_toml("t", port),
        std::path::Path::new("test.toml"),
    )
    .unwrap()
    .accounts
    .remove(0)
}

fn start(server: &TestDovecot, port: u16, store: &Store, folder: &str) -> Running {
    let account = account(server, port);
    let store = store.clone();
    let options = WatchOptions {
        folder: folder.to_string(),
        folders: Folders::One(folder.to_string()),
        idle_refresh: Duration::from_secs(540),
        status_interval: None,
        prefetch_bodies: tern::config::Prefetch::OFF,
        replay_journal: true,
    };
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, events) = mpsc::unbounded_channel();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        run_engine(&account, &store, &options, &events_tx, stopped, commands_rx).await
    });
    Running {
        commands,
        events,
        stop,
        task,
        next_op: 0,
    }
}

/// How the engine answered a folder request.
#[derive(Debug)]
enum Answer {
    Done(String),
    Failed(ErrorKind, String),
}

impl Running {
    async fn wait_for(&mut self, what: &str, want: impl Fn(&EngineEvent) -> bool) -> EngineEvent {
        loop {
            match tokio::time::timeout(Duration::from_secs(30), self.events.recv()).await {
                Ok(Some(event)) if want(&event) => return event,
                Ok(Some(_)) => {}
                other => panic!("waiting for {what}: {other:?}"),
            }
        }
    }

    async fn online(&mut self) {
        self.wait_for("online", |e| {
            matches!(e, EngineEvent::Conn(ConnState::Online))
        })
        .await;
    }

    /// Sends `action` and waits for its answer.
    async fn folder(&mut self, action: FolderAction) -> Answer {
        self.next_op += 1;
        let op = OpId(self.next_op);
        self.commands
            .send(EngineCommand::Folder { op, action })
            .unwrap();
        let answer = self
            .wait_for("the folder request's answer", |e| match e {
                EngineEvent::OpDone { op: done, .. } | EngineEvent::OpFailed { op: done, .. } => {
                    *done == op
                }
                _ => false,
            })
            .await;
        match answer {
            EngineEvent::OpDone { summary, .. } => Answer::Done(summary),
            EngineEvent::OpFailed { kind, message, .. } => Answer::Failed(kind, message),
            _ => unreachable!(),
        }
    }

    async fn shut_down(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..400 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

fn has_message(store: &Store, folder: &str, subject: &str) -> bool {
    let reader = store.reader().unwrap();
    let Some(state) = reader.folder(folder).unwrap() else {
        return false;
    };
    reader
        .window(
            state.id,
            tern::store::SortOrder::DateDesc,
            tern::store::Window::Offset(0),
            500,
        )
        .unwrap()
        .iter()
        .any(|m| m.subject == subject)
}

/// The mailbox names of a raw LIST or LSUB answer, as the server spells them.
fn listed(server: &TestDovecot, command: &str) -> Vec<String> {
    let mut raw = server.raw_login(server.user());
    raw.command_ok(command)
        .unwrap()
        .into_iter()
        .filter(|l| l.starts_with("* LIST") || l.starts_with("* LSUB"))
        .filter_map(|l| Some(l.rsplit_once(' ')?.1.trim_matches('"').to_string()))
        .collect()
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn the_selected_folder_renamed_under_a_dot_delimiter_keeps_its_children_rows_and_push() {
    let server = TestDovecot::start_with(DovecotOptions::default().older_server());
    let (projekte, aerger) = (server.folder("Projekte"), server.folder("Projekte/Ärger"));
    server.seed_maildir(
        server.user(),
        &projekte,
        [SeedMessage::text(1, "oben", "x")],
    );
    server.seed_maildir(
        server.user(),
        &aerger,
        [
            SeedMessage::text(1, "ä1", "x"),
            SeedMessage::text(2, "ä2", "x"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    // The child's rows are cached first (its own engine run), then the parent is watched.
    let mut engine = start(&server, server.imap_port(), &store, &aerger);
    engine.online().await;
    engine.shut_down().await;
    let before = store.reader().unwrap().folder(&aerger).unwrap().unwrap();
    assert!(has_message(&store, &aerger, "ä2"));
    let mut engine = start(&server, server.imap_port(), &store, &projekte);
    engine.online().await;

    let (arbeit, arbeit_aerger) = (server.folder("Arbeit"), server.folder("Arbeit/Ärger"));
    assert_eq!(arbeit_aerger, "INBOX.Arbeit.Ärger");
    let answer = engine
        .folder(FolderAction::Rename {
            from: projekte.clone(),
            to: arbeit.clone(),
        })
        .await;
    assert!(
        matches!(&answer, Answer::Done(s) if s.contains("renamed")),
        "{answer:?}"
    );
    let names = listed(&server, "LIST \"\" \"*\"");
    assert!(
        names.contains(&"INBOX.Arbeit.&AMQ-rger".to_string()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("INBOX.Projekte")),
        "{names:?}"
    );

    let reader = store.reader().unwrap();
    assert!(reader.folder(&aerger).unwrap().is_none());
    let after = reader.folder(&arbeit_aerger).unwrap().unwrap();
    assert_eq!(after.id, before.id, "the same cache row, renamed");
    assert_eq!(after.uidvalidity, before.uidvalidity);
    for uid in [1, 2] {
        assert!(
            reader.message(after.id, uid).unwrap().is_some(),
            "UID {uid}"
        );
    }
    // The engine follows its folder: mail arriving in the renamed one shows up.
    let mut other = server.raw_login(server.user());
    other
        .append(
            &arbeit,
            &[],
            &SeedMessage::text(2, "nach dem Umbenennen", "x").raw,
        )
        .unwrap();
    wait_until("mail in the renamed, watched folder", || {
        has_message(&store, &arbeit, "nach dem Umbenennen")
    })
    .await;
    engine.shut_down().await;
}

#[tokio::test]
async fn create_delete_and_refusals_answer_with_the_reason() {
    let server = TestDovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&server, server.imap_port(), &store, "INBOX");
    engine.online().await;

    // Made in tern, listed (and subscribed) in modified UTF-7 for other clients.
    let name = server.folder("Café/日本語");
    let answer = engine
        .folder(FolderAction::Create { name: name.clone() })
        .await;
    assert!(matches!(&answer, Answer::Done(_)), "{answer:?}");
    let wire = tern::imap::mutf7::encode(&name);
    assert!(
        wire.contains("Caf&AOk-") && wire.contains("&ZeVnLIqe-"),
        "{wire}"
    );
    assert!(listed(&server, "LIST \"\" \"*\"").contains(&wire));
    assert!(listed(&server, "LSUB \"\" \"*\"").contains(&wire));
    let cached = store.reader().unwrap().folder(&name).unwrap().unwrap();
    assert!(cached.subscribed, "the cache has it, subscribed, at once");

    // A name the server refuses: its reason, nothing changed.
    let answer = engine
        .folder(FolderAction::Create { name: name.clone() })
        .await;
    match &answer {
        Answer::Failed(ErrorKind::Refused, message) => {
            assert!(message.to_lowercase().contains("exists"), "{message}");
        }
        other => panic!("{other:?}"),
    }

    // Names the server refuses for their shape: its words reach the user.
    let sep = server.separator();
    for (bad, reason) in [
        (server.folder(&"x".repeat(300)), "too long"),
        (
            server.folder(&format!("a{sep}{sep}b")),
            "adjacent hierarchy separators",
        ),
    ] {
        match engine.folder(FolderAction::Create { name: bad }).await {
            Answer::Failed(ErrorKind::Refused, message) => {
                assert!(message.contains(reason), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    // A role folder needs force; INBOX never goes.
    let trash = server.folder("Trash");
    let answer = engine
        .folder(FolderAction::Delete {
            name: trash.clone(),
            force: false,
        })
        .await;
    match &answer {
        Answer::Failed(ErrorKind::Refused, message) => {
            assert!(message.contains("trash folder"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(listed(&server, "LIST \"\" \"*\"").contains(&trash));
    let answer = engine
        .folder(FolderAction::Delete {
            name: "INBOX".into(),
            force: true,
        })
        .await;
    assert!(
        matches!(answer, Answer::Failed(ErrorKind::Refused, _)),
        "{answer:?}"
    );

    // Unsubscribed: still cached, marked so the sidebar can hide it.
    let answer = engine
        .folder(FolderAction::Unsubscribe { name: name.clone() })
        .await;
    assert!(matches!(&answer, Answer::Done(_)), "{answer:?}");
    assert!(!listed(&server, "LSUB \"\" \"*\"").contains(&wire));
    let cached = store.reader().unwrap().folder(&name).unwrap().unwrap();
    assert!(!cached.subscribed);

    let answer = engine
        .folder(FolderAction::Delete {
            name: name.clone(),
            force: false,
        })
        .await;
    assert!(
        matches!(&answer, Answer::Done(s) if s.contains("deleted")),
        "{answer:?}"
    );
    assert!(!listed(&server, "LIST \"\" \"*\"").contains(&wire));
    assert!(store.reader().unwrap().folder(&name).unwrap().is_none());
    engine.shut_down().await;
}

#[tokio::test]
async fn offline_a_folder_request_is_refused_not_queued() {
    let server = TestDovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&server, closed_port(), &store, "INBOX");
    let answer = engine
        .folder(FolderAction::Create {
            name: "Später".into(),
        })
        .await;
    match &answer {
        Answer::Failed(ErrorKind::Network, message) => {
            assert!(message.contains("offline"), "{message}");
            assert!(message.contains("nothing was changed"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    engine.stop.send(true).unwrap();
    let _ = engine.task.await;
    assert!(!listed(&server, "LIST \"\" \"*\"").contains(&"Sp&AOQ-ter".to_string()));
}
