//! The journal never touches the wrong messages, against a real Dovecot:
//! - a queued action on a folder recreated on the server is dropped and reported, never
//!   sent to the new messages under the old UIDs (whoever selected the folder);
//! - an action made on a view older than the cache is refused;
//! - an action undone while the replay waits on an earlier one is never sent;
//! - two processes (the engine and CLI actions) send each action exactly once.
//!
//! Server state is read by a second client straight from Dovecot, never through the proxy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::shown;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{Proxy, ProxyMode, SeedMessage, TestDovecot, tern_cli};
use tern::bus::EngineEvent;
use tern::config::{AccountConfig, Filing};
use tern::domain::uidset::UidSet;
use tern::store::Store;
use tern::sync::journal::{self, Act};
use tern::sync::undo::{Undo, undo};
use tern::sync::watch::{EngineCommand, WatchOptions, run_engine};
use tern::sync::{Folders, SyncError, sync_account};
use tokio::sync::{mpsc, watch};

/// A bound on every wait so a broken test fails instead of hanging; never a claim about speed.
const DEADLINE: Duration = Duration::from_secs(90);

fn uids(list: &[u32]) -> UidSet {
    list.iter().copied().collect()
}

fn account(server: &TestDovecot, port: u16) -> AccountConfig {
    tern::config::Config::parse(&server.account_toml("t", port), Path::new("test.toml"))
        .unwrap()
        .accounts
        .remove(0)
}

/// Subjects of a folder on the server, in UID order, with their flags.
fn on_server(server: &TestDovecot, folder: &str) -> Vec<(u32, String, Vec<String>)> {
    let mut raw = server.raw_login(server.user());
    raw.examine(folder).unwrap();
    let flags = raw.fetch_flags().unwrap();
    flags
        .into_iter()
        .map(|(uid, flags)| {
            let body = String::from_utf8_lossy(&raw.fetch_raw(uid).unwrap()).into_owned();
            let subject = body
                .lines()
                .find_map(|l| l.strip_prefix("Subject: "))
                .unwrap_or_default()
                .to_string();
            let flags = flags.into_iter().filter(|f| f != "\\Recent").collect();
            (uid, subject, flags)
        })
        .collect()
}

/// "Projects" with two messages, plus an empty Archive, synced into a fresh cache.
async fn projects_rig(server: &TestDovecot) -> (tempfile::TempDir, Store, String, String) {
    let projects = server.folder("Projects");
    let archive = server.folder("Archive");
    server.seed_maildir(
        server.user(),
        &projects,
        [
            SeedMessage::text(1, "old one", "x"),
            SeedMessage::text(2, "old two", "x"),
        ],
    );
    server.seed_maildir(server.user(), &archive, std::iter::empty::<SeedMessage>());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&tern::store::cache_path(&dir.path().join("cache"), "t")).unwrap();
    let (events, _rx) = mpsc::unbounded_channel();
    let mut client = server.tern_client().await;
    sync_account(&mut client, &store, &Folders::All, &events)
        .await
        .unwrap();
    (dir, store, projects, archive)
}

/// Queues a flag change on UID 1 and a move of UID 2 of `projects` without sending them.
async fn queue_two(store: &Store, projects: &str, archive: &str) -> (i64, i64) {
    let seen = shown(store, projects);
    let flag = journal::record(
        store,
        projects,
        seen,
        uids(&[1]),
        Act::Flags {
            add: vec!["\\Flagged".into()],
            remove: vec![],
        },
        &Filing::default(),
    )
    .await
    .unwrap();
    assert!(flag.undo.is_some());
    let moved = journal::record(
        store,
        projects,
        seen,
        uids(&[2]),
        Act::Move {
            to: archive.to_string(),
        },
        &Filing::default(),
    )
    .await
    .unwrap();
    let Some(Undo::Entry { id: move_id }) = moved.undo else {
        panic!("a move is undone by its entry: {moved:?}");
    };
    (move_id - 1, move_id)
}

/// Deletes and recreates `folder` on the server with two other messages (UIDs 1 and 2).
fn recreate(server: &TestDovecot, folder: &str) {
    let mut other = server.raw_login(server.user());
    other.command_ok(&format!("DELETE {folder}")).unwrap();
    other.command_ok(&format!("CREATE {folder}")).unwrap();
    for n in [1, 2] {
        let raw = SeedMessage::text(10 + n, &format!("new {n}"), "y").raw;
        other.append(folder, &[], &raw).unwrap();
    }
}

fn new_messages_untouched(server: &TestDovecot, projects: &str, archive: &str) {
    assert_eq!(
        on_server(server, projects),
        vec![
            (1, "new 1".to_string(), vec![]),
            (2, "new 2".to_string(), vec![]),
        ],
        "the new messages are neither flagged nor moved"
    );
    assert!(on_server(server, archive).is_empty(), "nothing was moved");
}

fn errors(rx: &mut mpsc::UnboundedReceiver<EngineEvent>) -> Vec<String> {
    let mut found = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let EngineEvent::Error(message) = event {
            found.push(message);
        }
    }
    found
}

fn assert_dropped(store: &Store, ids: [i64; 2], projects: &str) {
    let reader = store.reader().unwrap();
    assert_eq!(reader.journal_count().unwrap(), 0);
    for id in ids {
        assert_eq!(
            reader.journal_failure(id).unwrap(),
            Some(format!(
                "{projects} was recreated on the server; 2 action(s) dropped"
            )),
            "entry {id}"
        );
    }
}

/// `tern sync` (the CLI, another process) after the folder was recreated: the queued
/// actions are dropped with the reason printed, and the new messages are untouched.
#[tokio::test]
async fn tern_sync_drops_and_reports_actions_on_a_recreated_folder() {
    let server = TestDovecot::start();
    let (dir, store, projects, archive) = projects_rig(&server).await;
    let (flag, moved) = queue_two(&store, &projects, &archive).await;
    drop(store);
    recreate(&server, &projects);
    let config = dir.path().join("config.toml");
    std::fs::write(&config, server.account_toml("t", server.imap_port())).unwrap();
    let out = tern_cli(&config, &dir.path().join("cache"), &["sync", "--all"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{projects} was recreated on the server; 2 action(s) dropped"
        )),
        "the user reads why: {stderr}"
    );
    new_messages_untouched(&server, &projects, &archive);
    let store = Store::open(&tern::store::cache_path(&dir.path().join("cache"), "t")).unwrap();
    assert_dropped(&store, [flag, moved], &projects);
}

/// The folder was already selected (by a sync or a body fetch) when the replay starts:
/// the UIDVALIDITY that SELECT reported is checked all the same.
#[tokio::test]
async fn a_replay_on_an_already_selected_recreated_folder_sends_nothing() {
    let server = TestDovecot::start();
    let (_dir, store, projects, archive) = projects_rig(&server).await;
    let (flag, moved) = queue_two(&store, &projects, &archive).await;
    recreate(&server, &projects);
    let mut client = server.tern_client().await;
    client
        .select(&projects, false, None, &mut |_| {})
        .await
        .unwrap();
    let (events, mut rx) = mpsc::unbounded_channel();
    let sent = journal::replay(&mut client, &store, &events).await.unwrap();
    assert_eq!(sent, 0);
    new_messages_untouched(&server, &projects, &archive);
    assert_dropped(&store, [flag, moved], &projects);
    let reported = errors(&mut rx);
    assert_eq!(
        reported,
        vec![format!(
            "{projects} was recreated on the server; 2 action(s) dropped"
        )],
        "told once"
    );
    let err = SyncError::FolderRecreated {
        folder: projects.clone(),
        dropped: 2,
    };
    assert!(
        !err.is_transient(),
        "retrying cannot make it the same folder"
    );
}

/// A sync that sees the new UIDVALIDITY resets the folder's cache and fails its older
/// actions in the same step, and says so then.
#[tokio::test]
async fn a_sync_that_resets_the_folder_fails_its_older_actions() {
    let server = TestDovecot::start();
    let (_dir, store, projects, archive) = projects_rig(&server).await;
    let (flag, moved) = queue_two(&store, &projects, &archive).await;
    recreate(&server, &projects);
    let (events, mut rx) = mpsc::unbounded_channel();
    let mut client = server.tern_client().await;
    sync_account(&mut client, &store, &Folders::All, &events)
        .await
        .unwrap();
    assert_dropped(&store, [flag, moved], &projects);
    // Said by the sync that dropped them, not only by a later replay.
    let reported = errors(&mut rx);
    assert!(
        reported.iter().any(|e| e.contains("was recreated")),
        "{reported:?}"
    );
    assert_eq!(
        journal::replay(&mut client, &store, &events).await.unwrap(),
        0
    );
    new_messages_untouched(&server, &projects, &archive);
    assert!(errors(&mut rx).is_empty(), "said once");
}

/// An action picked on a view from before the reset names old UIDs: refused, nothing
/// recorded, nothing sent; so is the undo of a flag change made before it.
#[tokio::test]
async fn an_action_on_a_view_older_than_the_cache_is_refused() {
    let server = TestDovecot::start();
    let (_dir, store, projects, archive) = projects_rig(&server).await;
    let seen_before = shown(&store, &projects);
    let (events, _rx) = mpsc::unbounded_channel();
    let mut client = server.tern_client().await;
    // A flag change sent before the folder was recreated: its undo must not flip the flag
    // of the new message that now has the same UID.
    let flagged = journal::record(
        &store,
        &projects,
        seen_before,
        uids(&[1]),
        Act::Flags {
            add: vec!["\\Flagged".into()],
            remove: vec![],
        },
        &Filing::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        journal::replay(&mut client, &store, &events).await.unwrap(),
        1
    );
    recreate(&server, &projects);
    let mut client = server.tern_client().await;
    sync_account(&mut client, &store, &Folders::All, &events)
        .await
        .unwrap();
    assert_ne!(shown(&store, &projects), seen_before, "the cache was reset");
    let refused = journal::record(
        &store,
        &projects,
        seen_before,
        uids(&[1]),
        Act::Move {
            to: archive.clone(),
        },
        &Filing::default(),
    )
    .await;
    let err = refused.unwrap_err();
    assert!(matches!(err, SyncError::FolderChanged { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{projects} changed on the server since it was shown; nothing done")
    );
    let undone = undo(&store, flagged.undo.unwrap()).await.unwrap_err();
    assert!(
        matches!(undone, SyncError::FolderChanged { .. }),
        "{undone:?}"
    );
    assert_eq!(store.reader().unwrap().journal_count().unwrap(), 0);
    assert_eq!(
        journal::replay(&mut client, &store, &events).await.unwrap(),
        0
    );
    new_messages_untouched(&server, &projects, &archive);
}

/// INBOX with three messages and an empty Archive, synced through `proxy`.
async fn inbox_rig(server: &TestDovecot, proxy: &Proxy) -> (tempfile::TempDir, Store, String) {
    let archive = server.folder("Archive");
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "one", "x"),
            SeedMessage::text(2, "two", "x"),
            SeedMessage::text(3, "three", "x"),
        ],
    );
    server.seed_maildir(server.user(), &archive, std::iter::empty::<SeedMessage>());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        server.account_toml("t", proxy.port()),
    )
    .unwrap();
    let store = Store::open(&tern::store::cache_path(&dir.path().join("cache"), "t")).unwrap();
    let (events, _rx) = mpsc::unbounded_channel();
    let mut client = tern::connect::connect(&account(server, proxy.port()))
        .await
        .unwrap();
    sync_account(&mut client, &store, &Folders::All, &events)
        .await
        .unwrap();
    (dir, store, archive)
}

fn subjects(server: &TestDovecot, folder: &str) -> Vec<String> {
    let mut found: Vec<String> = on_server(server, folder)
        .into_iter()
        .map(|(_, subject, _)| subject)
        .collect();
    found.sort();
    found
}

/// The replay waits on entry 1's slow COPY while the user undoes entry 2 (a move): entry 2
/// never reaches the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_undone_while_the_replay_waits_is_never_sent() {
    let server = TestDovecot::start();
    let proxy = std::sync::Arc::new(Proxy::start(server.imap_port(), ProxyMode::Forward));
    let (_dir, store, archive) = inbox_rig(&server, &proxy).await;
    // Entry 2 is a move: with MOVE it is one command that needs no note written first.
    let act = |uid: u32| {
        let (store, archive) = (store.clone(), archive.clone());
        async move {
            let seen = shown(&store, "INBOX");
            let act = if uid == 1 {
                Act::Copy { to: archive }
            } else {
                Act::Move { to: archive }
            };
            match journal::record(&store, "INBOX", seen, uids(&[uid]), act, &Filing::default())
                .await
                .unwrap()
                .undo
            {
                Some(Undo::Entry { id }) => id,
                other => panic!("a copy or move is undone by its entry: {other:?}"),
            }
        }
    };
    act(1).await;
    let second = act(2).await;

    proxy.set_mode(ProxyMode::delay_replies_after("UID COPY"));
    let mut client = tern::connect::connect(&account(&server, proxy.port()))
        .await
        .unwrap();
    let (events, _rx) = mpsc::unbounded_channel();
    let replay = {
        let store = store.clone();
        tokio::spawn(async move { journal::replay(&mut client, &store, &events).await })
    };
    let seen = {
        let proxy = std::sync::Arc::clone(&proxy);
        tokio::task::spawn_blocking(move || proxy.wait_seen(DEADLINE))
            .await
            .unwrap()
    };
    assert!(seen, "the replay sent entry 1's COPY");
    let undone = undo(&store, Undo::Entry { id: second }).await.unwrap();
    assert!(undone.summary.contains("before it reached the server"));
    proxy.set_mode(ProxyMode::Forward);
    proxy.release();
    let sent = tokio::time::timeout(DEADLINE, replay)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(sent, 1, "only entry 1 was sent");
    assert_eq!(proxy.count_sent("UID MOVE 2 "), 0, "entry 2 never went out");
    assert_eq!(proxy.count_sent("UID COPY 2 "), 0, "entry 2 never went out");
    assert_eq!(proxy.count_sent("UID COPY 1 "), 1);
    assert_eq!(subjects(&server, &archive), vec!["one".to_string()]);
    assert_eq!(
        subjects(&server, "INBOX"),
        vec!["one".to_string(), "three".to_string(), "two".to_string()]
    );
    assert_eq!(store.reader().unwrap().journal_count().unwrap(), 0);
}

fn tern_spawn(config: &Path, cache: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--config")
        .arg(config)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .env_remove("TERN_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..(DEADLINE.as_millis() / 50) {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

/// The engine (this process) and two `tern copy` processes on one account while the
/// first COPY is slow: each UID COPY reaches the server exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_and_two_cli_actions_send_each_copy_once() {
    let server = TestDovecot::start();
    let proxy = std::sync::Arc::new(Proxy::start(server.imap_port(), ProxyMode::Forward));
    let (dir, store, archive) = inbox_rig(&server, &proxy).await;
    let config: PathBuf = dir.path().join("config.toml");
    let cache: PathBuf = dir.path().join("cache");

    let engine_account = account(&server, proxy.port());
    let options = WatchOptions {
        folder: "INBOX".into(),
        folders: Folders::One("INBOX".into()),
        idle_refresh: Duration::from_secs(540),
        status_interval: None,
        prefetch_bodies: tern::config::Prefetch::OFF,
        replay_journal: true,
    };
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop, stopped) = watch::channel(false);
    let engine = {
        let store = store.clone();
        tokio::spawn(async move {
            run_engine(
                &engine_account,
                &store,
                &options,
                &events_tx,
                stopped,
                commands_rx,
            )
            .await
        })
    };
    loop {
        match tokio::time::timeout(DEADLINE, events.recv()).await {
            Ok(Some(EngineEvent::Conn(tern::bus::ConnState::Online))) => break,
            Ok(Some(_)) => {}
            other => panic!("the engine never came online: {other:?}"),
        }
    }

    // The server has not even run the first COPY when the others look at the journal.
    proxy.set_mode(ProxyMode::slow_command_after("UID COPY"));
    let first = tern_spawn(&config, &cache, &["copy", "1", "--to", &archive]);
    let seen = {
        let proxy = std::sync::Arc::clone(&proxy);
        tokio::task::spawn_blocking(move || proxy.wait_seen(DEADLINE))
            .await
            .unwrap()
    };
    assert!(seen, "the first COPY went out");
    let connections = proxy.accepted();
    let second = tern_spawn(&config, &cache, &["copy", "2", "--to", &archive]);
    // The second process has recorded its action and connected: it now wants to send.
    wait_until("the second tern connected", || {
        proxy.accepted() > connections
    })
    .await;
    commands.send(EngineCommand::Replay).unwrap();
    proxy.set_mode(ProxyMode::Forward);
    proxy.release();

    for (name, child) in [("first", first), ("second", second)] {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        assert!(
            out.status.success(),
            "{name} tern copy: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let reader = store.reader().unwrap();
    wait_until("every action was sent", || {
        reader.journal_count().unwrap() == 0
    })
    .await;
    stop.send(true).unwrap();
    engine.await.unwrap().unwrap();
    assert_eq!(proxy.count_sent("UID COPY 1 "), 1, "UID COPY 1 sent once");
    assert_eq!(proxy.count_sent("UID COPY 2 "), 1, "UID COPY 2 sent once");
    assert_eq!(
        subjects(&server, &archive),
        vec!["one".to_string(), "two".to_string()]
    );
}

/// Turns a current cache back into schema 3 with these journal rows in the old text
/// encoding (uids, action, argument, state), as an older tern left it.
fn downgrade_to_v3(path: &Path, rows: &[(&str, &str, &str, &str)], folder_id: i64, uv: u32) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER row_count_gone;
         DROP TRIGGER row_count_seen;
         DROP TABLE folder_counts;
         DROP TRIGGER search_index_gone;
         DROP TRIGGER search_index_header;
         DROP TABLE search_text;
         DROP TABLE search_bodies;
         DROP INDEX messages_newest;
         DROP INDEX messages_flagged;
         ALTER TABLE folders DROP COLUMN subscribed;
         DROP TABLE journal_pairs;
         DROP TABLE journal;
         DROP TABLE part_bodies;
         DROP TABLE structure_parts;
         CREATE TABLE journal (
             id          INTEGER PRIMARY KEY,
             folder_id   INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
             uidvalidity INTEGER NOT NULL,
             uids        TEXT NOT NULL,
             action      TEXT NOT NULL,
             argument    TEXT,
             created_at  INTEGER NOT NULL,
             state       TEXT NOT NULL DEFAULT 'pending'
         );
         CREATE INDEX journal_by_folder ON journal (folder_id, state);
         PRAGMA user_version = 3;",
    )
    .unwrap();
    for (uids, action, argument, state) in rows {
        conn.execute(
            "INSERT INTO journal (folder_id, uidvalidity, uids, action, argument, created_at, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 1000, ?6)",
            rusqlite::params![folder_id, uv, uids, action, argument, state],
        )
        .unwrap();
    }
}

/// Actions an older tern queued (schema 3, text encoding) are read after the migration
/// and sent as they were meant; one it cannot read is failed and reported, not lost.
#[tokio::test]
async fn actions_queued_by_an_older_tern_are_still_sent_after_the_migration() {
    let server = TestDovecot::start();
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let (dir, store, archive) = inbox_rig(&server, &proxy).await;
    server.seed_maildir(server.user(), "INBOX", [SeedMessage::text(4, "four", "x")]);
    let (events, mut rx) = mpsc::unbounded_channel();
    let mut client = server.tern_client().await;
    sync_account(&mut client, &store, &Folders::All, &events)
        .await
        .unwrap();
    let inbox = store.reader().unwrap().folder("INBOX").unwrap().unwrap();
    let uv = inbox.uidvalidity.unwrap();
    drop(store);
    let path = tern::store::cache_path(&dir.path().join("cache"), "t");
    let first = tern::store::PLACEHOLDER_BASE;
    downgrade_to_v3(
        &path,
        &[
            ("1", "flags", "+\\Flagged -\\Seen", "pending"),
            ("2", "move", &format!("{archive}\n2={first}"), "pending"),
            (
                "3",
                "copy",
                &format!("{archive}\n3={}", first + 1),
                "sending",
            ),
            ("4", "expunge", "", "pending"),
            ("1", "frobnicate", "x", "pending"),
        ],
        inbox.id,
        uv,
    );
    let store = Store::open(&path).unwrap();
    assert_eq!(store.reader().unwrap().journal_count().unwrap(), 4);
    assert_eq!(
        journal::replay(&mut client, &store, &events).await.unwrap(),
        4
    );
    let inbox_now = on_server(&server, "INBOX");
    let subjects_flags: Vec<(String, Vec<String>)> = inbox_now
        .into_iter()
        .map(|(_, subject, mut flags)| {
            flags.sort();
            (subject, flags)
        })
        .collect();
    assert_eq!(
        subjects_flags,
        vec![
            ("one".to_string(), vec!["\\Flagged".to_string()]),
            ("three".to_string(), vec![]),
        ],
        "flagged, moved away, copied (stays) and expunged"
    );
    assert_eq!(
        subjects(&server, &archive),
        vec!["three".to_string(), "two".to_string()]
    );
    let reported = errors(&mut rx);
    assert!(
        reported.iter().any(|e| e.contains("frobnicate")),
        "the unreadable one is reported: {reported:?}"
    );
    assert_eq!(store.reader().unwrap().journal_count().unwrap(), 0);
}
