//! The running engine as the UI drives it: folder switches, lazy bodies, the INBOX watch
//! connection, reconnecting after the server drops us, and a one-connection server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::time::Duration;

use support::{DovecotOptions, Proxy, ProxyMode, SeedMessage, TestDovecot};
use tern::bus::{ConnState, EngineEvent};
use tern::domain::ids::{MsgKey, Uid, UidValidity};
use tern::store::Store;
use tern::sync::Folders;
use tern::sync::watch::{EngineCommand, WatchOptions, run_engine};
use tokio::sync::{mpsc, watch};

struct Running {
    commands: mpsc::UnboundedSender<EngineCommand>,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<tern::sync::Result<()>>,
}

/// Asks for a body as the UI does: the message as the cache shows it now.
fn fetch_body(store: &Store, folder: &str, uid: u32) -> EngineCommand {
    let state = store.reader().unwrap().folder(folder).unwrap().unwrap();
    EngineCommand::FetchBody {
        op: tern::bus::OpId(1),
        key: MsgKey {
            folder: folder.to_string(),
            uidvalidity: UidValidity(state.uidvalidity.unwrap()),
            uid: Uid(uid),
        },
    }
}

fn account(server: &TestDovecot) -> tern::config::AccountConfig {
    tern::config::Config::parse(
        &server.account_toml("t", server.imap_port()),
        std::path::Path::new("test.toml"),
    )
    .unwrap()
    .accounts
    .remove(0)
}

fn start(server: &TestDovecot, store: &Store, folder: &str) -> Running {
    start_with(account(server), store, folder)
}

fn start_with(account: tern::config::AccountConfig, store: &Store, folder: &str) -> Running {
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
    }
}

impl Running {
    /// Waits (bounded, so a broken engine fails the test) for an event matching `want`.
    async fn wait_for(&mut self, what: &str, want: impl Fn(&EngineEvent) -> bool) {
        loop {
            match tokio::time::timeout(Duration::from_secs(30), self.events.recv()).await {
                Ok(Some(event)) if want(&event) => return,
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

#[tokio::test]
async fn switching_folders_and_fetching_bodies() {
    let server = TestDovecot::start();
    let archive = server.folder("Archive");
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "inbox mail", "hello")],
    );
    server.seed_maildir(
        server.user(),
        &archive,
        [SeedMessage::text(2, "archived", "the archived body")],
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&server, &store, "INBOX");
    engine.online().await;
    assert!(has_message(&store, "INBOX", "inbox mail"));

    engine
        .commands
        .send(EngineCommand::SelectFolder(archive.clone()))
        .unwrap();
    engine
        .wait_for(
            "Archive synced",
            |e| matches!(e, EngineEvent::FolderChanged { folder } if *folder == archive),
        )
        .await;
    assert!(has_message(&store, &archive, "archived"));

    engine
        .commands
        .send(fetch_body(&store, &archive, 1))
        .unwrap();
    engine
        .wait_for("body", |e| {
            matches!(e, EngineEvent::BodyReady { uid: 1, .. })
        })
        .await;
    let reader = store.reader().unwrap();
    let archive_state = reader.folder(&archive).unwrap().unwrap();
    // The text part is what a body fetch caches (messages in parts).
    let body = reader
        .shown_message(
            archive_state.id,
            archive_state.uidvalidity.unwrap(),
            1,
            false,
        )
        .unwrap()
        .unwrap()
        .raw;
    assert!(String::from_utf8_lossy(&body).contains("the archived body"));

    // A body asked for under a UIDVALIDITY the folder no longer has names another
    // message: refused, never fetched.
    let EngineCommand::FetchBody { key, .. } = fetch_body(&store, &archive, 1) else {
        unreachable!()
    };
    let stale = MsgKey {
        uidvalidity: UidValidity(key.uidvalidity.0.wrapping_add(1)),
        ..key
    };
    engine
        .commands
        .send(EngineCommand::FetchBody {
            op: tern::bus::OpId(9),
            key: stale,
        })
        .unwrap();
    engine
        .wait_for("the stale fetch refused as stale", |e| {
            matches!(
                e,
                EngineEvent::OpFailed {
                    op: tern::bus::OpId(9),
                    kind: tern::bus::ErrorKind::StaleUidValidity,
                    ..
                }
            )
        })
        .await;
    let mut other = server.raw_login(server.user());
    other.examine(&archive).unwrap();
    assert!(
        !other.fetch_flags().unwrap()[&1]
            .iter()
            .any(|f| f == "\\Seen"),
        "a lazy body fetch never marks the message read"
    );

    // With Archive selected, the watch connection still brings INBOX mail in.
    other
        .append("INBOX", &[], &SeedMessage::text(3, "while away", "x").raw)
        .unwrap();
    wait_until("INBOX push via the watch connection", || {
        has_message(&store, "INBOX", "while away")
    })
    .await;
    // And Archive itself is live on the main connection.
    other
        .append(
            &archive,
            &[],
            &SeedMessage::text(4, "archive push", "x").raw,
        )
        .unwrap();
    wait_until("Archive push", || {
        has_message(&store, &archive, "archive push")
    })
    .await;
    engine.shut_down().await;
}

#[tokio::test]
async fn reconnects_after_the_server_drops_the_connection() {
    let server = TestDovecot::start();
    server.seed_maildir(server.user(), "INBOX", [SeedMessage::text(1, "first", "x")]);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&server, &store, "INBOX");
    engine.online().await;
    assert!(server.kick(server.user()));
    engine
        .wait_for("reconnecting", |e| {
            matches!(e, EngineEvent::Conn(ConnState::Reconnecting { .. }))
        })
        .await;
    engine.online().await;
    let mut other = server.raw_login(server.user());
    other
        .append(
            "INBOX",
            &[],
            &SeedMessage::text(2, "after reconnect", "x").raw,
        )
        .unwrap();
    wait_until("push after reconnect", || {
        has_message(&store, "INBOX", "after reconnect")
    })
    .await;
    engine.shut_down().await;
}

#[tokio::test]
async fn a_server_allowing_one_connection_still_works() {
    let server = TestDovecot::start_with(
        DovecotOptions::default().extra_config("mail_max_userip_connections = 1"),
    );
    let archive = server.folder("Archive");
    server.seed_maildir(server.user(), &archive, [SeedMessage::text(1, "old", "x")]);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    // Archive selected: the INBOX watch connection is refused by the server.
    let mut engine = start(&server, &store, &archive);
    engine.online().await;
    let mut other_allowed = false;
    for _ in 0..20 {
        // The raw client may also be refused while the engine holds the only slot.
        if let Ok(mut raw) =
            support::RawImap::connect_login(server.imap_port(), server.user(), "password")
        {
            raw.append(
                &archive,
                &[],
                &SeedMessage::text(2, "new in archive", "x").raw,
            )
            .unwrap();
            other_allowed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if other_allowed {
        wait_until("Archive push on the only connection", || {
            has_message(&store, &archive, "new in archive")
        })
        .await;
    } else {
        // The server is strict per user: the engine must still be alive and synced.
        assert!(has_message(&store, &archive, "old"));
    }
    engine.shut_down().await;
}

/// Mail that arrives while the engine runs a command (here a body fetch, asked right after
/// the APPEND) is announced in that command's reply, not in IDLE; it must still show.
#[tokio::test]
async fn mail_arriving_during_a_body_fetch_still_shows() {
    let server = TestDovecot::start();
    let big =
        "a fairly long line of text to make the body take a moment to fetch\r\n".repeat(40_000);
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "large", &big)],
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&server, &store, "INBOX");
    engine.online().await;
    let mut other = server.raw_login(server.user());
    other
        .append(
            "INBOX",
            &[],
            &SeedMessage::text(100, "arrived meanwhile", "x").raw,
        )
        .unwrap();
    engine
        .commands
        .send(fetch_body(&store, "INBOX", 1))
        .unwrap();
    wait_until("the new mail in the cache", || {
        has_message(&store, "INBOX", "arrived meanwhile")
    })
    .await;
    engine.shut_down().await;
}

/// A body already cached costs no command, only leaving and re-entering IDLE: mail appended
/// just before or just after such a request must still show, every time.
#[tokio::test]
async fn mail_arriving_around_a_cached_body_request_always_shows() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "first", "small")],
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&server, &store, "INBOX");
    engine.online().await;
    engine
        .commands
        .send(fetch_body(&store, "INBOX", 1))
        .unwrap();
    engine
        .wait_for("the body cached", |e| {
            matches!(e, EngineEvent::BodyReady { .. })
        })
        .await;
    let mut other = server.raw_login(server.user());
    for round in 0..40u32 {
        let subject = format!("round {round}");
        let mail = SeedMessage::text((100 + round).into(), &subject, "x").raw;
        if round % 2 == 0 {
            engine
                .commands
                .send(fetch_body(&store, "INBOX", 1))
                .unwrap();
            other.append("INBOX", &[], &mail).unwrap();
        } else {
            other.append("INBOX", &[], &mail).unwrap();
            engine
                .commands
                .send(fetch_body(&store, "INBOX", 1))
                .unwrap();
        }
        wait_until(&subject, || has_message(&store, "INBOX", &subject)).await;
    }
    engine.shut_down().await;
}

/// New mail pushed into the selected folder is fetched where it is: no second SELECT
/// (which costs a maildir Dovecot under NOTIFY a rescan of the folder, 4 s at 1M).
#[tokio::test]
async fn pushed_new_mail_is_fetched_without_selecting_again() {
    let server = TestDovecot::start();
    server.seed_maildir(server.user(), "INBOX", [SeedMessage::text(1, "first", "x")]);
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let account = tern::config::Config::parse(
        &server.account_toml("t", proxy.port()),
        std::path::Path::new("test.toml"),
    )
    .unwrap()
    .accounts
    .remove(0);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start_with(account, &store, "INBOX");
    engine.online().await;
    wait_until("first sync", || has_message(&store, "INBOX", "first")).await;
    let mut selects = 0;
    for (n, subject) in [(2, "second"), (3, "third")] {
        // Counted from the first push on: the start may select twice (sync, then IDLE).
        selects = proxy.count_sent("SELECT INBOX");
        let mut other = server.raw_login(server.user());
        other
            .append("INBOX", &[], &SeedMessage::text(n, subject, "x").raw)
            .unwrap();
        wait_until("the pushed mail", || has_message(&store, "INBOX", subject)).await;
    }
    assert!(selects >= 1, "the first sync selects INBOX");
    if server.is_older() {
        // No QRESYNC: the resync also rebuilds the sequence map, so it selects again.
        assert!(proxy.count_sent("SELECT INBOX") > selects);
    } else {
        assert_eq!(proxy.count_sent("SELECT INBOX"), selects, "no SELECT again");
        assert_eq!(proxy.count_sent("UID FETCH 3:*"), 1);
    }
    let reader = store.reader().unwrap();
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    assert_eq!(
        (reader.count(inbox.id).unwrap(), inbox.uidnext),
        (3, Some(4))
    );
    engine.shut_down().await;
}
