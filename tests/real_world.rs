//! The engine and the CLI on mailboxes shaped like real ones (tests/support/world.rs):
//! `\Noselect` parents are never STATUSed or selected, a folder the server refuses is that
//! folder's error and never the session's, the engine keeps going through every failure
//! except a wrong password (which stops it with a message, until Ctrl-r), and Ctrl-r cuts
//! a backoff short.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::{DovecotOptions, Proxy, ProxyMode, SeedMessage, TestDovecot, Tmux, world};
use tern::bus::{ConnState, EngineEvent};
use tern::config::Prefetch;
use tern::store::{Reader, Store};
use tern::sync::Folders;
use tern::sync::watch::{EngineCommand, WatchOptions, run_engine};
use tokio::sync::{mpsc, watch};

/// A config for account "t" on plain IMAP at `port`, with `password`.
fn account_toml(server: &TestDovecot, port: u16, password: &str) -> String {
    format!(
        "[[accounts]]\nname = \"t\"\nhost = \"127.0.0.1\"\nport = {port}\n\
         security = \"plain\"\nusername = \"{}\"\npassword = \"{password}\"\n",
        server.user()
    )
}

fn account(toml: &str) -> tern::config::AccountConfig {
    tern::config::Config::parse(toml, Path::new("test.toml"))
        .unwrap()
        .accounts
        .remove(0)
}

struct Running {
    commands: mpsc::UnboundedSender<EngineCommand>,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<tern::sync::Result<()>>,
}

/// The engine as the TUI runs it, polling the other folders every 200 ms.
fn start(toml: &str, store: &Store) -> Running {
    let account = account(toml);
    let store = store.clone();
    let options = WatchOptions {
        folder: "INBOX".into(),
        folders: Folders::One("INBOX".into()),
        idle_refresh: Duration::from_secs(540),
        status_interval: Some(Duration::from_millis(200)),
        prefetch_bodies: Prefetch::OFF,
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
    /// The next event (bounded, so a stuck engine fails the test).
    async fn next(&mut self, what: &str) -> EngineEvent {
        match tokio::time::timeout(Duration::from_secs(30), self.events.recv()).await {
            Ok(Some(event)) => event,
            other => panic!("waiting for {what}: {other:?}"),
        }
    }

    /// Waits for an event matching `want`; every event before it goes to `seen`.
    async fn wait_for(
        &mut self,
        what: &str,
        want: impl Fn(&EngineEvent) -> bool,
    ) -> (EngineEvent, Vec<EngineEvent>) {
        let mut seen = Vec::new();
        loop {
            let event = self.next(what).await;
            if std::env::var_os("TRACE_EVENTS").is_some() {
                eprintln!("{what}: {event:?}");
            }
            if want(&event) {
                return (event, seen);
            }
            seen.push(event);
        }
    }

    async fn online(&mut self) -> Vec<EngineEvent> {
        self.wait_for("online", |e| {
            matches!(e, EngineEvent::Conn(ConnState::Online))
        })
        .await
        .1
    }

    fn send(&self, command: EngineCommand) {
        self.commands.send(command).unwrap();
    }

    async fn shut_down(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn lost_the_session(event: &EngineEvent) -> bool {
    matches!(
        event,
        EngineEvent::Conn(ConnState::Reconnecting { .. } | ConnState::Offline { .. })
    )
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..600 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

fn has_message(reader: &Reader, folder: &str, subject: &str) -> bool {
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

fn deliver(server: &TestDovecot, folder: &str, n: u64, subject: &str) {
    let mut other = server.raw_login(server.user());
    other
        .append(folder, &[], &SeedMessage::text(n, subject, "x").raw)
        .unwrap();
}

#[tokio::test]
async fn the_engine_outlives_noselect_parents_and_still_brings_new_mail() {
    let server = TestDovecot::start();
    world::seed_tree(&server);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(
        &account_toml(&server, server.imap_port(), "password"),
        &store,
    );
    engine.online().await;
    let reader = store.reader().unwrap();
    let parent = reader.folder(world::NOSELECT_PARENT).unwrap().unwrap();
    assert!(!parent.selectable, "{:?}", world::list(&server));
    assert!(
        !reader
            .folder(world::NON_ASCII_PARENT)
            .unwrap()
            .unwrap()
            .selectable
    );
    assert!(reader.folder("Clients/acme").unwrap().unwrap().selectable);
    assert!(reader.folder("Projects").unwrap().unwrap().selectable);

    // Several STATUS polls (one FoldersChanged each) go by on the same session.
    for poll in 0..4 {
        let (_, before) = engine
            .wait_for(&format!("status poll {poll}"), |e| {
                matches!(e, EngineEvent::FoldersChanged)
            })
            .await;
        assert!(!before.iter().any(lost_the_session), "{before:?}");
    }
    // Even asked to open a parent, the engine says no for that folder only.
    engine.send(EngineCommand::SelectFolder(world::NOSELECT_PARENT.into()));
    // Mail that arrives now still shows, and so do counts of another folder.
    deliver(&server, "INBOX", 50, "after the polls");
    deliver(&server, "Clients/acme", 51, "filed for acme");
    wait_until("new INBOX mail in the cache", || {
        has_message(&reader, "INBOX", "after the polls")
    })
    .await;
    wait_until("acme counted by STATUS", || {
        reader.folder("Clients/acme").unwrap().unwrap().messages == 2
    })
    .await;
    // A tree another client makes now (a new \Noselect parent with it) is listed on
    // Ctrl-r, and the parent is never STATUSed either.
    server
        .raw_login(server.user())
        .command_ok("CREATE Later/child")
        .unwrap();
    engine.send(EngineCommand::SyncNow);
    wait_until("a folder made by another client listed", || {
        reader.folder("Later/child").unwrap().is_some()
    })
    .await;
    assert!(!reader.folder("Later").unwrap().unwrap().selectable);
    engine
        .wait_for("the next status poll", |e| {
            matches!(e, EngineEvent::FoldersChanged)
        })
        .await;
    for folder in reader.folders().unwrap() {
        if folder.name != world::NOSELECT_PARENT {
            assert_eq!(folder.last_error, None, "{}", folder.name);
        }
    }
    assert!(!engine.task.is_finished());
    engine.shut_down().await;
}

#[tokio::test]
async fn a_folder_deleted_after_list_is_that_folders_error_not_the_sessions() {
    // Only a server without NOTIFY, with the LIST poll off, leaves a deleted folder listed
    // for STATUS to find; otherwise it leaves the list (tests/two_instances.rs).
    let server = TestDovecot::start_with(DovecotOptions::default().without_caps(&["NOTIFY"]));
    world::seed_tree(&server);
    world::seed(&server, &["Doomed"]);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    // Projects/2026 synced in full before (its STATUS is compared), Doomed only counted.
    let mut client = server.tern_client().await;
    let (events, _ignored) = mpsc::unbounded_channel();
    let one = Folders::One("Projects/2026".into());
    tern::sync::sync_account(&mut client, &store, &one, &events)
        .await
        .unwrap();
    let reader = store.reader().unwrap();
    assert!(reader.folder("Projects/2026").unwrap().unwrap().complete);
    assert!(!reader.folder("Doomed").unwrap().unwrap().complete);
    let toml = account_toml(&server, server.imap_port(), "password") + "poll_interval_secs = 0\n";
    let mut engine = start(&toml, &store);
    engine.online().await;
    // Another client deletes both after tern's LIST; the next polls STATUS them.
    world::delete_folder(&server, "Doomed");
    world::delete_folder(&server, "Projects/2026");
    let (error, before) = engine
        .wait_for(
            "the folder's error",
            |e| matches!(e, EngineEvent::Error(m) if m.starts_with("Doomed:")),
        )
        .await;
    assert!(!before.iter().any(lost_the_session), "{before:?}");
    wait_until("both errors recorded on their folders", || {
        ["Doomed", "Projects/2026"]
            .iter()
            .all(|f| reader.folder(f).unwrap().unwrap().last_error.is_some())
    })
    .await;
    let doomed = reader.folder("Doomed").unwrap().unwrap();
    assert!(
        doomed.last_error.as_deref().unwrap().contains("exist"),
        "{error:?} / {doomed:?}"
    );
    // Opening a deleted folder fails for it alone; IDLE goes back to INBOX.
    engine.send(EngineCommand::SelectFolder("Doomed".into()));
    deliver(&server, "INBOX", 60, "still here");
    let (_, before) = engine
        .wait_for("INBOX mail after the errors", |e| {
            matches!(e, EngineEvent::FolderChanged { folder } if folder == "INBOX")
                && has_message(&reader, "INBOX", "still here")
        })
        .await;
    assert!(!before.iter().any(lost_the_session), "{before:?}");
    // The same error is told once, not at every poll.
    for _ in 0..3 {
        let (_, before) = engine
            .wait_for("a poll", |e| matches!(e, EngineEvent::FoldersChanged))
            .await;
        assert!(
            !before
                .iter()
                .any(|e| matches!(e, EngineEvent::Error(m) if m.starts_with("Doomed:"))),
            "{before:?}"
        );
    }
    // Back on the server (created again): the error goes with the next poll.
    let mut other = server.raw_login(server.user());
    other.command_ok("CREATE Doomed").unwrap();
    wait_until("Doomed's error cleared", || {
        reader
            .folder("Doomed")
            .unwrap()
            .is_some_and(|f| f.last_error.is_none())
    })
    .await;
    engine.shut_down().await;
}

#[tokio::test]
async fn a_wrong_password_stops_the_account_until_ctrl_r() {
    let server = TestDovecot::start();
    world::seed_tree(&server);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&account_toml(&server, server.imap_port(), "wrong"), &store);
    let (stopped, _) = engine
        .wait_for("stopped", |e| {
            matches!(e, EngineEvent::Conn(ConnState::Offline { .. }))
        })
        .await;
    let EngineEvent::Conn(ConnState::Offline { reason }) = stopped else {
        unreachable!()
    };
    assert!(reason.contains("password"), "{reason}");
    assert!(reason.contains("\"t\""), "names the account: {reason}");
    // Stopped means no retry on a timer (that would lock the account on many servers)...
    let quiet = tokio::time::timeout(Duration::from_secs(3), engine.events.recv()).await;
    assert!(quiet.is_err(), "no retry without Ctrl-r: {quiet:?}");
    assert!(!engine.task.is_finished());
    // ...and Ctrl-r tries again at once.
    engine.send(EngineCommand::SyncNow);
    let event = engine.next("a retry").await;
    assert_eq!(event, EngineEvent::Conn(ConnState::Connecting));
    engine
        .wait_for("stopped again", |e| {
            matches!(e, EngineEvent::Conn(ConnState::Offline { .. }))
        })
        .await;
    engine.shut_down().await;
}

#[tokio::test]
async fn ctrl_r_reconnects_at_once_during_a_backoff() {
    let server = TestDovecot::start();
    world::seed(&server, &[]);
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Refuse);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&account_toml(&server, proxy.port(), "password"), &store);
    // Let the backoff grow to a few seconds (1, 2, then about 4).
    let (event, _) = engine
        .wait_for("a backoff of 3 s or more", |e| {
            matches!(e, EngineEvent::Conn(ConnState::Reconnecting { in_secs, .. }) if *in_secs >= 3)
        })
        .await;
    let EngineEvent::Conn(ConnState::Reconnecting { in_secs, .. }) = event else {
        unreachable!()
    };
    proxy.set_mode(ProxyMode::Forward);
    engine.send(EngineCommand::SyncNow);
    let (_, before) = engine
        .wait_for("connecting", |e| {
            matches!(e, EngineEvent::Conn(ConnState::Connecting))
        })
        .await;
    // The countdown did not run out: at most one tick went by before the retry.
    assert!(
        before.iter().all(|e| matches!(
            e,
            EngineEvent::Conn(ConnState::Reconnecting { in_secs: left, .. }) if *left + 1 >= in_secs
        )),
        "from {in_secs} s: {before:?}"
    );
    engine.online().await;
    engine.shut_down().await;
}

/// The tern binary on one account, with a cache dir of its own.
struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new(toml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), toml).unwrap();
        Self { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tern"));
        command
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--cache-dir")
            .arg(self.cache_dir())
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "tern {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn reader(&self) -> Option<Reader> {
        Reader::open(&tern::store::cache_path(&self.cache_dir(), "t")).ok()
    }
}

#[test]
fn sync_watch_keeps_running_over_a_noselect_tree() {
    let server = TestDovecot::start();
    world::seed_tree(&server);
    let mut toml = account_toml(&server, server.imap_port(), "password");
    toml.push_str("\n[sync]\nstatus_interval_secs = 1\n");
    let cli = Cli::new(&toml);
    let mut child = cli
        .command(&["sync", "--watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wait = |what: &str, check: &dyn Fn(&Reader) -> bool, child: &mut std::process::Child| {
        for _ in 0..600 {
            assert!(
                child.try_wait().unwrap().is_none(),
                "tern sync --watch exited while waiting for {what}"
            );
            if cli.reader().is_some_and(|r| check(&r)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("never happened: {what}");
    };
    wait(
        "the first sync",
        &|r| has_message(r, "INBOX", "in INBOX"),
        &mut child,
    );
    // Counted by a STATUS poll, which must get past the parents: several polls go by.
    for n in 0..3 {
        deliver(&server, "Clients/globex", 70 + n, "for globex");
        let want = 2 + n as u32;
        wait(
            "globex counted",
            &|r| r.folder("Clients/globex").unwrap().unwrap().messages == want,
            &mut child,
        );
    }
    deliver(&server, "INBOX", 80, "pushed to the watcher");
    wait(
        "pushed mail",
        &|r| has_message(r, "INBOX", "pushed to the watcher"),
        &mut child,
    );
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn sync_watch_with_a_wrong_password_exits_and_says_what_to_fix() {
    let server = TestDovecot::start();
    let cli = Cli::new(&account_toml(&server, server.imap_port(), "wrong"));
    let output = cli.run(&["sync", "--watch"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("password"), "{stderr}");
}

#[test]
fn sync_all_on_a_gmail_tree() {
    let server = TestDovecot::start_with(world::gmail_options());
    world::seed_gmail(&server);
    let cli = Cli::new(&account_toml(&server, server.imap_port(), "password"));
    let summary = cli.ok(&["sync", "--all"]);
    assert!(summary.contains("[Gmail]/All Mail: 1 new"), "{summary}");
    assert!(
        !summary.contains("[Gmail]:"),
        "the parent is not synced: {summary}"
    );
    let reader = cli.reader().unwrap();
    let parent = reader.folder(world::GMAIL_PARENT).unwrap().unwrap();
    assert!(!parent.selectable);
    for (name, attr) in world::GMAIL {
        let folder = reader.folder(name).unwrap().unwrap();
        assert!(folder.complete, "{name}");
        assert_eq!(folder.last_error, None, "{name}");
        assert!(has_message(&reader, name, &format!("in {name}")), "{name}");
        let role = attr.trim_start_matches('\\').to_ascii_lowercase();
        let role = if role == "spam" { "junk".into() } else { role };
        assert_eq!(folder.role.as_deref(), Some(role.as_str()), "{name}");
    }
    let folders = cli.ok(&["folders"]);
    assert!(folders.contains("[Gmail]/Sent Mail"), "{folders}");
}

#[test]
fn sync_all_on_non_ascii_names_and_an_empty_folder() {
    let server = TestDovecot::start();
    world::seed_tree(&server);
    let cli = Cli::new(&account_toml(&server, server.imap_port(), "password"));
    cli.ok(&["sync", "--all"]);
    let reader = cli.reader().unwrap();
    for name in world::NON_ASCII.iter().chain(world::HIERARCHY) {
        let folder = reader.folder(name).unwrap().unwrap();
        assert!(folder.complete, "{name}");
        assert!(has_message(&reader, name, &format!("in {name}")), "{name}");
    }
    let empty = reader.folder(world::EMPTY).unwrap().unwrap();
    assert!(empty.complete && empty.messages == 0, "{empty:?}");
    for parent in [world::NOSELECT_PARENT, world::NON_ASCII_PARENT] {
        assert!(
            !reader.folder(parent).unwrap().unwrap().selectable,
            "{parent}"
        );
    }
    // What `tern list` shows of a non-ASCII folder, and `tern folders` lists it by name.
    let listed = cli.ok(&["list", "--folder", "Reçus/Été"]);
    assert!(listed.contains("in Reçus/Été"), "{listed}");
    let folders = cli.ok(&["folders"]);
    assert!(folders.contains("日本語"), "{folders}");
    // A parent cannot be synced on its own: a clear error, not a crash.
    let output = cli.run(&["sync", "--folder", world::NOSELECT_PARENT]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Clients"), "{stderr}");
}

#[test]
fn the_status_line_counts_the_backoff_down_and_offers_ctrl_r() {
    let server = TestDovecot::start();
    world::seed(&server, &[]);
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Refuse);
    let cli = Cli::new(&account_toml(&server, proxy.port(), "password"));
    let tmux = Tmux::start(&format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        cli.dir.path().join("config.toml").display(),
        cli.cache_dir().display()
    ));
    let seconds = |screen: &str| -> Option<u64> {
        let at = screen.find("reconnecting in ")? + "reconnecting in ".len();
        screen[at..].split(' ').next()?.parse().ok()
    };
    // Wait for a pause long enough to watch it count.
    let screen = tmux.wait_until("a backoff of 3 s or more", |s| {
        seconds(s).is_some_and(|n| n >= 3)
    });
    assert!(screen.contains("Ctrl-r retries now"), "{screen}");
    let first = seconds(&screen).unwrap();
    tmux.wait_until("the countdown to move", |s| {
        seconds(s).is_some_and(|n| n < first)
    });
    // The server comes back; Ctrl-r does not wait out the pause.
    proxy.set_mode(ProxyMode::Forward);
    tmux.keys(&["C-r"]);
    tmux.wait_for("online");
    tmux.wait_for("in INBOX");
    tmux.keys(&["Q"]);
}

fn cached_bodies(reader: &Reader, folder: &str) -> Vec<u32> {
    let state = reader.folder(folder).unwrap().unwrap();
    let uidvalidity = state.uidvalidity.unwrap();
    (1..=20)
        // What opening would show is cached (messages in parts: the text, not the whole).
        .filter(|&uid| reader.shown_ready(state.id, uidvalidity, uid).unwrap())
        .collect()
}

#[tokio::test]
async fn inbox_bodies_are_prefetched_newest_first_within_the_days_and_the_count() {
    let server = TestDovecot::start();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let day = 86_400;
    // UIDs 1-2 a month old, 3-7 from the last days (7 the newest).
    let messages: Vec<SeedMessage> = (1..=7u64)
        .map(|n| {
            let age = if n <= 2 {
                30 * day
            } else {
                (8 - n as i64) * day
            };
            SeedMessage::text(n, &format!("message {n}"), "x").with_date(now - age)
        })
        .collect();
    // The Date header decides the order; make it agree with the chosen dates.
    let messages: Vec<SeedMessage> = messages
        .into_iter()
        .map(|mut m| {
            let date = support::corpus::rfc2822_date(m.internal_date, 0);
            let text = String::from_utf8(m.raw.clone()).unwrap();
            let start = text.find("Date: ").unwrap();
            let end = start + text[start..].find('\n').unwrap();
            m.raw = format!("{}Date: {date}{}", &text[..start], &text[end..]).into_bytes();
            m
        })
        .collect();
    server.seed_maildir(server.user(), "INBOX", &messages);
    let toml = account_toml(&server, server.imap_port(), "password");
    // Each round starts on an empty cache and delivers one more message (UID 8, then 9).
    for (prefetch, want, new_uid) in [
        // The count is the smaller limit: the newest 3.
        (
            Prefetch {
                messages: 3,
                days: 14,
            },
            vec![5, 6, 7],
            8,
        ),
        // The days are: everything of the last two weeks, nothing older.
        (
            Prefetch {
                messages: 500,
                days: 14,
            },
            vec![3, 4, 5, 6, 7, 8],
            9,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
        let account = account(&toml);
        let options = WatchOptions {
            folder: "INBOX".into(),
            folders: Folders::One("INBOX".into()),
            idle_refresh: Duration::from_secs(540),
            status_interval: None,
            prefetch_bodies: prefetch,
            replay_journal: true,
        };
        let (_commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, _events) = mpsc::unbounded_channel();
        let (stop, stopped) = watch::channel(false);
        let engine_store = store.clone();
        let task = tokio::spawn(async move {
            run_engine(
                &account,
                &engine_store,
                &options,
                &events_tx,
                stopped,
                commands_rx,
            )
            .await
        });
        let reader = store.reader().unwrap();
        let mut last = Vec::new();
        for _ in 0..600 {
            if reader.folder("INBOX").unwrap().is_some_and(|f| f.complete) {
                last = cached_bodies(&reader, "INBOX");
                if last == want {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(last, want, "{prefetch:?}");
        // New mail is fetched ahead too.
        deliver(&server, "INBOX", new_uid.into(), "brand new");
        wait_until("the new message's body", || {
            cached_bodies(&reader, "INBOX").contains(&new_uid)
        })
        .await;
        assert!(!cached_bodies(&reader, "INBOX").contains(&1), "a month old");
        stop.send(true).unwrap();
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        tern::config::SyncConfig::default().prefetch_bodies,
        Prefetch {
            messages: 500,
            days: 14
        },
        "on by default"
    );
}

#[test]
fn the_sidebar_marks_a_folder_the_server_refuses() {
    // As above: without NOTIFY and the LIST poll, only STATUS finds the folder gone.
    let server = TestDovecot::start_with(DovecotOptions::default().without_caps(&["NOTIFY"]));
    world::seed(&server, &["Doomed"]);
    let mut toml = account_toml(&server, server.imap_port(), "password");
    toml.push_str("poll_interval_secs = 0\n[sync]\nstatus_interval_secs = 1\n");
    let cli = Cli::new(&toml);
    let tmux = Tmux::start(&format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        cli.dir.path().join("config.toml").display(),
        cli.cache_dir().display()
    ));
    tmux.wait_for("online");
    tmux.wait_for("Doomed");
    world::delete_folder(&server, "Doomed");
    let marked = |screen: &str| {
        screen
            .lines()
            .filter_map(|l| l.split('│').nth(1))
            .any(|sidebar| sidebar.contains("Doomed") && sidebar.contains(" !"))
    };
    let screen = tmux.wait_until("Doomed marked in the sidebar", marked);
    assert!(screen.contains("online"), "the session goes on: {screen}");
    tmux.keys(&["Q"]);
}

#[tokio::test]
async fn a_refused_certificate_stops_the_account_until_ctrl_r() {
    let server = TestDovecot::start();
    let toml = format!(
        "[[accounts]]\nname = \"t\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\n\
         ca_file = \"{}\"\nusername = \"{}\"\npassword = \"password\"\n",
        server.imaps_port(),
        server.other_ca_pem_path().display(),
        server.user()
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut engine = start(&toml, &store);
    let (stopped, before) = engine
        .wait_for("stopped", |e| {
            matches!(e, EngineEvent::Conn(ConnState::Offline { .. }))
        })
        .await;
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, EngineEvent::Conn(ConnState::Reconnecting { .. }))),
        "no retry on a timer: {before:?}"
    );
    let EngineEvent::Conn(ConnState::Offline { reason }) = stopped else {
        unreachable!()
    };
    assert!(!reason.is_empty());
    engine.send(EngineCommand::SyncNow);
    assert_eq!(
        engine.next("a retry").await,
        EngineEvent::Conn(ConnState::Connecting)
    );
    engine.shut_down().await;
}
