//! Flag actions through the journal, against a real Dovecot: applied at once, sent once,
//! kept while offline, replayed by the next tern that connects, never overwritten by sync,
//! and merged with another client's concurrent change.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::shown;

use std::path::PathBuf;
use std::process::{Command, Output};

use support::{SeedMessage, TestDovecot};
use tern::domain::message::Flags;
use tern::store::Store;
use tern::sync::{Folders, journal, sync_account};

struct Cli {
    dir: tempfile::TempDir,
    server_port: u16,
    user: String,
}

impl Cli {
    fn new(server: &TestDovecot) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            server_port: server.imap_port(),
            user: server.user().to_string(),
        }
    }

    fn config(&self, port: u16) -> PathBuf {
        let path = self.dir.path().join(format!("config-{port}.toml"));
        std::fs::write(
            &path,
            format!(
                "[[accounts]]\nname = \"t\"\nhost = \"127.0.0.1\"\nport = {port}\n\
                 security = \"plain\"\nusername = \"{}\"\npassword = \"password\"\n",
                self.user
            ),
        )
        .unwrap();
        path
    }

    fn run_on(&self, port: u16, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .arg("--config")
            .arg(self.config(port))
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args)
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_on(self.server_port, args)
    }

    fn store(&self) -> Store {
        Store::open(&tern::store::cache_path(
            &self.dir.path().join("cache"),
            "t",
        ))
        .unwrap()
    }
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn server_flags(server: &TestDovecot, uid: u32) -> Flags {
    let mut raw = server.raw_login(server.user());
    raw.examine("INBOX").unwrap();
    Flags::from_imap(&raw.fetch_flags().unwrap()[&uid])
}

fn cached_flags(store: &Store, uid: u32) -> Flags {
    let reader = store.reader().unwrap();
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    reader.message(inbox.id, uid).unwrap().unwrap().flags
}

fn seed(server: &TestDovecot) {
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "one", "x").with_flags(&["\\Seen"]),
            SeedMessage::text(2, "two", "x"),
            SeedMessage::text(3, "three", "x"),
        ],
    );
}

#[test]
fn flag_online_reaches_the_server_once() {
    let server = TestDovecot::start();
    seed(&server);
    let cli = Cli::new(&server);
    assert!(cli.run(&["sync"]).status.success());
    let out = cli.run(&[
        "flag", "1", "2", "--add", "flagged", "--add", "Work", "--remove", "seen",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for uid in [1, 2] {
        let flags = server_flags(&server, uid);
        assert!(flags.flagged() && !flags.seen(), "uid {uid}: {flags:?}");
        assert_eq!(flags.keywords, ["Work"]);
        assert_eq!(cached_flags(&cli.store(), uid), flags);
    }
    assert_eq!(server_flags(&server, 3), Flags::default(), "untouched");
    assert_eq!(cli.store().reader().unwrap().journal_count().unwrap(), 0);
}

#[test]
fn offline_actions_are_queued_then_replayed_by_the_next_sync() {
    let server = TestDovecot::start();
    seed(&server);
    let cli = Cli::new(&server);
    assert!(cli.run(&["sync"]).status.success());
    let offline = closed_port();
    let out = cli.run_on(offline, &["flag", "3", "--add", "seen"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("queued"));
    let out = cli.run_on(offline, &["flag", "2", "--add", "flagged"]);
    assert!(out.status.success());
    // Shown at once, from the cache, while the server knows nothing yet.
    assert!(cached_flags(&cli.store(), 3).seen());
    assert!(!server_flags(&server, 3).seen());
    assert_eq!(cli.store().reader().unwrap().journal_count().unwrap(), 2);
    let listed = String::from_utf8(cli.run_on(offline, &["list", "--json"]).stdout).unwrap();
    assert!(listed.contains("\\\\Flagged"), "{listed}");

    assert!(cli.run(&["sync"]).status.success());
    assert!(server_flags(&server, 3).seen());
    assert!(server_flags(&server, 2).flagged());
    assert_eq!(cli.store().reader().unwrap().journal_count().unwrap(), 0);
    // Running again sends nothing twice and changes nothing.
    assert!(cli.run(&["sync"]).status.success());
    assert!(server_flags(&server, 3).seen() && server_flags(&server, 2).flagged());
}

/// A process killed between its local write and the server's OK leaves a journal entry;
/// another client meanwhile changes the same message. Sync keeps our pending change on
/// screen, and the replay applies it as a delta on top of theirs: both survive.
#[tokio::test]
async fn pending_changes_survive_sync_and_merge_with_a_concurrent_change() {
    let server = TestDovecot::start();
    seed(&server);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let (events, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut first = server.tern_client().await;
    sync_account(&mut first, &store, &Folders::All, &events)
        .await
        .unwrap();
    // "Killed" right after the local write: nothing was sent.
    journal::record_flags(
        &store,
        "INBOX",
        shown(&store, "INBOX"),
        [1].into_iter().collect(),
        vec!["\\Flagged".into()],
        vec![],
    )
    .await
    .unwrap();
    drop(first);

    let mut other = server.raw_login(server.user());
    other.select("INBOX").unwrap();
    other.command_ok("UID STORE 1 +FLAGS (\\Answered)").unwrap();
    other.command_ok("UID STORE 1 -FLAGS (\\Seen)").unwrap();

    let mut second = server.tern_client().await;
    sync_account(&mut second, &store, &Folders::All, &events)
        .await
        .unwrap();
    let shown = cached_flags(&store, 1);
    assert!(
        shown.flagged(),
        "sync never overwrites a pending change: {shown:?}"
    );

    assert_eq!(
        journal::replay(&mut second, &store, &events).await.unwrap(),
        1
    );
    let on_server = server_flags(&server, 1);
    assert!(on_server.flagged(), "ours: {on_server:?}");
    assert!(
        on_server
            .system
            .has(tern::domain::message::SystemFlags::ANSWERED),
        "theirs: {on_server:?}"
    );
    assert!(!on_server.seen(), "their removal stands: {on_server:?}");
    sync_account(&mut second, &store, &Folders::All, &events)
        .await
        .unwrap();
    assert_eq!(cached_flags(&store, 1), on_server);
}

#[tokio::test]
async fn an_action_on_a_recreated_folder_fails_softly() {
    let server = TestDovecot::start();
    let projects = server.folder("Projects");
    server.seed_maildir(server.user(), &projects, [SeedMessage::text(1, "old", "x")]);
    server.seed_maildir(server.user(), "INBOX", [SeedMessage::text(2, "keep", "x")]);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut c = server.tern_client().await;
    sync_account(&mut c, &store, &Folders::All, &events)
        .await
        .unwrap();
    let one: tern::domain::uidset::UidSet = [1].into_iter().collect();
    journal::record_flags(
        &store,
        &projects,
        shown(&store, &projects),
        one.clone(),
        vec!["\\Flagged".into()],
        vec![],
    )
    .await
    .unwrap();
    journal::record_flags(
        &store,
        "INBOX",
        shown(&store, "INBOX"),
        [1].into_iter().collect(),
        vec!["\\Seen".into()],
        vec![],
    )
    .await
    .unwrap();
    let mut other = server.raw_login(server.user());
    other.command_ok(&format!("DELETE {projects}")).unwrap();
    other.command_ok(&format!("CREATE {projects}")).unwrap();
    other
        .append(&projects, &[], &SeedMessage::text(3, "new", "x").raw)
        .unwrap();
    let mut c = server.tern_client().await;
    // The first entry is dropped (its UIDs now name another message); the second is sent.
    assert_eq!(journal::replay(&mut c, &store, &events).await.unwrap(), 1);
    let mut raw = server.raw_login(server.user());
    raw.examine(&projects).unwrap();
    assert!(
        !raw.fetch_flags().unwrap()[&1]
            .iter()
            .any(|f| f == "\\Flagged"),
        "never applied to the wrong message"
    );
    assert!(server_flags(&server, 1).seen());
    let mut reported = false;
    while let Ok(event) = rx.try_recv() {
        if let tern::bus::EngineEvent::Error(message) = event {
            reported |= message.contains(&projects);
        }
    }
    assert!(reported, "the user hears why");
    assert_eq!(store.reader().unwrap().journal_count().unwrap(), 0);
}

fn uids_on_server(server: &TestDovecot, folder: &str) -> Vec<u32> {
    let mut raw = server.raw_login(server.user());
    raw.examine(folder).unwrap();
    raw.uid_search_all().unwrap()
}

fn cached_subjects(store: &Store, folder: &str) -> Vec<(u32, String)> {
    let reader = store.reader().unwrap();
    let state = reader.folder(folder).unwrap().unwrap();
    let mut rows: Vec<(u32, String)> = reader
        .window(
            state.id,
            tern::store::SortOrder::DateDesc,
            tern::store::Window::Offset(0),
            100,
        )
        .unwrap()
        .into_iter()
        .map(|r| (r.uid, r.subject))
        .collect();
    rows.sort();
    rows
}

fn move_copy_delete(options: support::DovecotOptions) {
    let server = TestDovecot::start_with(options);
    let archive = server.folder("Archive");
    let trash = server.folder("Trash");
    seed(&server);
    let cli = Cli::new(&server);
    assert!(cli.run(&["sync", "--all"]).status.success());

    let out = cli.run(&["move", "1", "--to", &archive]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(uids_on_server(&server, "INBOX"), vec![2, 3]);
    assert_eq!(uids_on_server(&server, &archive).len(), 1);
    // The cache knows the message in its new folder under its real UID (COPYUID) or, on
    // a server without UIDPLUS, once the target is synced.
    assert!(cli.run(&["sync", "--all"]).status.success());
    assert_eq!(
        cached_subjects(&cli.store(), &archive),
        vec![(uids_on_server(&server, &archive)[0], "one".to_string())]
    );
    assert_eq!(cached_subjects(&cli.store(), "INBOX").len(), 2);

    assert!(cli.run(&["copy", "2", "--to", &archive]).status.success());
    assert_eq!(uids_on_server(&server, "INBOX"), vec![2, 3]);
    assert_eq!(uids_on_server(&server, &archive).len(), 2);

    // Delete moves to the Trash; in the Trash it removes exactly that message.
    assert!(cli.run(&["delete", "3"]).status.success());
    assert_eq!(uids_on_server(&server, "INBOX"), vec![2]);
    assert_eq!(uids_on_server(&server, &trash).len(), 1);
    assert!(cli.run(&["sync", "--all"]).status.success());
    let trashed = uids_on_server(&server, &trash)[0];
    assert!(
        cli.run(&["delete", "--folder", &trash, &trashed.to_string()])
            .status
            .success()
    );
    assert!(uids_on_server(&server, &trash).is_empty());
    assert_eq!(cli.store().reader().unwrap().journal_count().unwrap(), 0);
}

#[test]
fn move_copy_and_delete_with_move_and_uidplus() {
    move_copy_delete(support::DovecotOptions::default());
}

#[test]
fn move_copy_and_delete_without_move_or_uidplus() {
    move_copy_delete(support::DovecotOptions::default().without_caps(&["MOVE", "UIDPLUS"]));
}

#[test]
fn an_offline_move_shows_in_the_target_at_once_and_lands_once() {
    let server = TestDovecot::start();
    let archive = server.folder("Archive");
    seed(&server);
    let cli = Cli::new(&server);
    assert!(cli.run(&["sync", "--all"]).status.success());
    let offline = closed_port();
    let out = cli.run_on(offline, &["move", "2", "3", "--to", &archive]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("queued"));
    // Gone from INBOX and shown in Archive (placeholders) before the server knows.
    assert_eq!(
        cached_subjects(&cli.store(), "INBOX"),
        vec![(1, "one".to_string())]
    );
    let shown = cached_subjects(&cli.store(), &archive);
    assert_eq!(shown.len(), 2);
    assert!(
        shown
            .iter()
            .all(|(uid, _)| *uid >= tern::store::PLACEHOLDER_BASE)
    );
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1, 2, 3]);

    // The next tern that connects moves them, once; placeholders become real UIDs.
    assert!(cli.run(&["sync", "--all"]).status.success());
    assert!(cli.run(&["sync", "--all"]).status.success());
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1]);
    let archived = uids_on_server(&server, &archive);
    assert_eq!(archived.len(), 2, "moved exactly once");
    let cached: Vec<u32> = cached_subjects(&cli.store(), &archive)
        .into_iter()
        .map(|(uid, _)| uid)
        .collect();
    assert_eq!(cached, archived);
}
