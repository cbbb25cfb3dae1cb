//! Dead links: a connection that silently swallows everything (no FIN, no RST) is noticed
//! and replaced by the engine, and what happened on the server meanwhile reaches the cache.
//! The network is a loopback proxy (tests/support/proxy.rs) in front of a real Dovecot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::time::Duration;

use support::{Proxy, ProxyMode, SeedMessage, TestDovecot};
use tern::bus::{ConnState, EngineEvent};
use tern::domain::uidset::UidSet;
use tern::store::Store;
use tern::sync::Folders;
use tern::sync::watch::{EngineCommand, WatchOptions};
use tokio::sync::mpsc::UnboundedReceiver;

/// A bound on every wait so a broken test fails instead of hanging; never a claim about speed.
const DEADLINE: Duration = Duration::from_secs(90);

/// Waits for the first event `wanted` accepts, dropping the others.
async fn wait_for(
    received: &mut UnboundedReceiver<EngineEvent>,
    what: &str,
    wanted: impl Fn(&EngineEvent) -> bool,
) -> EngineEvent {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, received.recv()).await {
            Ok(Some(event)) if wanted(&event) => return event,
            Ok(Some(_)) => {}
            other => panic!("never saw {what}: {other:?}"),
        }
    }
}

/// An engine on INBOX through `proxy`, with its cache, events and stop switch.
struct Engine {
    _dir: tempfile::TempDir,
    store: Store,
    received: UnboundedReceiver<EngineEvent>,
    stop: tokio::sync::watch::Sender<bool>,
    commands: tokio::sync::mpsc::UnboundedSender<EngineCommand>,
    task: tokio::task::JoinHandle<tern::sync::Result<()>>,
}

impl Engine {
    fn start(server: &TestDovecot, proxy: &Proxy) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("cache.sqlite")).unwrap();
        let account = tern::config::Config::parse(
            &server.account_toml("t", proxy.port()),
            std::path::Path::new("test.toml"),
        )
        .unwrap()
        .accounts
        .remove(0);
        let options = WatchOptions {
            folder: "INBOX".into(),
            folders: Folders::One("INBOX".into()),
            // Short, so the test is quick: each renewal checks the link.
            idle_refresh: Duration::from_secs(2),
            status_interval: None,
            prefetch_bodies: tern::config::Prefetch::OFF,
            replay_journal: true,
        };
        let (events, received) = tokio::sync::mpsc::unbounded_channel();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (commands, commands_rx) = tokio::sync::mpsc::unbounded_channel();
        let engine_store = store.clone();
        let task = tokio::spawn(async move {
            tern::sync::watch::run_engine(
                &account,
                &engine_store,
                &options,
                &events,
                stopped,
                commands_rx,
            )
            .await
        });
        Self {
            _dir: dir,
            store,
            received,
            stop,
            commands,
            task,
        }
    }

    /// Polls the cache until INBOX holds `uid`; returns INBOX's id.
    async fn wait_for_uid(&self, uid: u32, what: &str) -> tern::store::FolderId {
        let reader = self.store.reader().unwrap();
        let deadline = std::time::Instant::now() + DEADLINE;
        loop {
            let folder = reader.folder("INBOX").unwrap().map(|f| f.id);
            if let Some(id) = folder
                && reader.message(id, uid).unwrap().is_some()
            {
                return id;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what} never reached the cache"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("the engine stops")
            .unwrap()
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_idle_is_replaced_and_mail_from_meanwhile_shows() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "before", "x")],
    );
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let mut engine = Engine::start(&server, &proxy);
    wait_for(&mut engine.received, "the engine online", |e| {
        matches!(e, EngineEvent::Conn(ConnState::Online))
    })
    .await;
    let connections_before = proxy.accepted();

    // The link dies silently once the engine idles; meanwhile another client (straight
    // to Dovecot) delivers mail.
    proxy.set_mode(ProxyMode::black_hole_after("IDLE\r\n"));
    assert!(
        tokio::task::block_in_place(|| proxy.wait_seen(DEADLINE)),
        "the engine went into IDLE"
    );
    server
        .raw_login(server.user())
        .append("INBOX", &[], &SeedMessage::text(2, "while dead", "x").raw)
        .unwrap();
    let reconnecting = wait_for(
        &mut engine.received,
        "a reconnect after the black hole",
        |e| matches!(e, EngineEvent::Conn(ConnState::Reconnecting { .. })),
    )
    .await;
    eprintln!("dead link noticed: {reconnecting:?}");
    // Noticed by the short bound on a renewal's answer (idle_refresh 2 s -> 5 s), not by
    // the 60 s timeout of ordinary commands.
    assert!(
        matches!(&reconnecting, EngineEvent::Conn(ConnState::Reconnecting { reason, .. })
            if reason.contains("within 5s")),
        "{reconnecting:?}"
    );
    proxy.set_mode(ProxyMode::Forward);

    let folder = engine
        .wait_for_uid(2, "the mail delivered during the black hole")
        .await;
    let reader = engine.store.reader().unwrap();
    assert_eq!(
        reader.message(folder, 2).unwrap().unwrap().subject,
        "while dead"
    );
    assert_eq!(reader.count(folder).unwrap(), 2, "no row doubled or lost");
    assert!(
        proxy.accepted() > connections_before,
        "the engine opened a new connection"
    );
    engine.stop().await;
}

/// The link dies in the middle of a first sync of 2000 messages: the command's deadline
/// notices it, the engine reconnects and the cache converges on the server, no row twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_black_holed_midway_reconnects_and_converges() {
    const MESSAGES: u32 = 2000;
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        (1..=u64::from(MESSAGES)).map(|n| SeedMessage::text(n, &format!("message {n}"), "x")),
    );
    // The first batch after the newest page (the page, UIDs 1801-2000 without sizes, is in
    // the cache by then; the batch fetches it again whole with 1001-1800).
    let proxy = Proxy::start(
        server.imap_port(),
        ProxyMode::black_hole_after("UID FETCH 1001:2000"),
    );
    let mut engine = Engine::start(&server, &proxy);
    assert!(
        tokio::task::block_in_place(|| proxy.wait_seen(DEADLINE)),
        "the engine asked for the second batch"
    );
    let reconnecting = wait_for(
        &mut engine.received,
        "a reconnect after the black hole",
        |e| matches!(e, EngineEvent::Conn(ConnState::Reconnecting { .. })),
    )
    .await;
    eprintln!("dead link noticed: {reconnecting:?}");
    proxy.set_mode(ProxyMode::Forward);
    wait_for(&mut engine.received, "the engine online", |e| {
        matches!(e, EngineEvent::Conn(ConnState::Online))
    })
    .await;
    let folder = engine.wait_for_uid(1, "the oldest message").await;
    let reader = engine.store.reader().unwrap();
    assert_eq!(
        reader.count(folder).unwrap(),
        MESSAGES,
        "no row doubled or lost"
    );
    for uid in [1, 900, 901, 1800, MESSAGES] {
        let row = reader.message(folder, uid).unwrap().unwrap();
        assert_eq!(row.subject, format!("message {uid}"));
        assert!(row.size > 0, "UID {uid} has its size");
    }
    engine.stop().await;
}

/// A move sent while the link dies: the server ran it, its answer never came. After the
/// reconnect the replay neither loses nor doubles it, and the cache agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_black_holed_in_flight_is_applied_exactly_once() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        (1..=3).map(|n| SeedMessage::text(n, &format!("message {n}"), "x")),
    );
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let mut engine = Engine::start(&server, &proxy);
    wait_for(&mut engine.received, "the engine online", |e| {
        matches!(e, EngineEvent::Conn(ConnState::Online))
    })
    .await;
    let archive = server.folder("Archive");
    proxy.set_mode(ProxyMode::black_hole_after("UID MOVE"));
    let to = archive.clone();
    engine
        .store
        .write(move |tx| {
            let inbox = tx.folder("INBOX")?.unwrap();
            let uids: UidSet = [2].into_iter().collect();
            tx.journal_move(inbox.id, inbox.uidvalidity.unwrap(), &uids, &to, false)
        })
        .unwrap();
    engine.commands.send(EngineCommand::Replay).unwrap();
    assert!(
        tokio::task::block_in_place(|| proxy.wait_seen(DEADLINE)),
        "the engine sent the move"
    );
    wait_for(
        &mut engine.received,
        "a reconnect after the black hole",
        |e| matches!(e, EngineEvent::Conn(ConnState::Reconnecting { .. })),
    )
    .await;
    proxy.set_mode(ProxyMode::Forward);

    let reader = engine.store.reader().unwrap();
    let deadline = std::time::Instant::now() + DEADLINE;
    while reader.journal_count().unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the journal never emptied"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut raw = server.raw_login(server.user());
    raw.examine("INBOX").unwrap();
    assert_eq!(raw.uid_search_all().unwrap(), vec![1, 3], "moved out once");
    raw.examine(&archive).unwrap();
    assert_eq!(
        raw.uid_search_all().unwrap().len(),
        1,
        "moved in once, not twice"
    );
    let inbox = engine.wait_for_uid(3, "INBOX").await;
    assert_eq!(reader.count(inbox).unwrap(), 2, "the cache agrees");
    assert!(reader.message(inbox, 2).unwrap().is_none());
    engine.stop().await;
}

/// The proxy's black hole is what the tests above rely on: silence both ways with the
/// sockets left open (a read times out rather than ending), for live and new connections.
#[test]
fn the_black_hole_swallows_both_ways_and_keeps_sockets_open() {
    let server = TestDovecot::start();
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let mut live = support::RawImap::connect_login(proxy.port(), server.user(), "password")
        .expect("forwarded login");
    live.command_ok("NOOP").unwrap();

    proxy.set_mode(ProxyMode::BlackHole);
    live.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let err = live.command("NOOP").unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "silence, not a closed socket: {err:?}"
    );
    assert_eq!(proxy.live(), 1, "the connection stays open");
    // A new connection is accepted but never greeted, nor closed.
    let mut fresh = std::net::TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    fresh
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut byte = [0u8; 1];
    let read = std::io::Read::read(&mut fresh, &mut byte);
    assert!(read.is_err(), "no greeting and no EOF: {read:?}");

    proxy.set_mode(ProxyMode::Forward);
    let mut fresh = support::RawImap::connect_login(proxy.port(), server.user(), "password")
        .expect("new connections work again");
    fresh.command_ok("NOOP").unwrap();
}
