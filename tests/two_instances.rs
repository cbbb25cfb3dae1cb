//! One state on every device: a running engine (or TUI) sees what another tern instance
//! with its own cache (the CLI) or another client does to the same account, without a key
//! press, within the 2 s issue 12 promises. On the default Dovecot that is NOTIFY; on the
//! older server (no NOTIFY) the poll at `poll_interval_secs`.
//!
//! Latency is measured from the moment the other instance finished (its CLI run returns
//! after the server acknowledged the change) to the moment this instance's cache shows it,
//! and printed. The bound asserted is the spec's; everything before it (start-up, the first
//! sync) is waited for with generous deadlines, so a loaded machine slows the test down
//! without failing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use support::{DovecotOptions, SeedMessage, TestDovecot, Tmux, tern_cli};
use tern::bus::{ConnState, EngineEvent};
use tern::config::Prefetch;
use tern::store::{Reader, SortOrder, Store, Window};
use tern::sync::Folders;
use tern::sync::watch::{EngineCommand, WatchOptions, run_engine};
use tokio::sync::{mpsc, watch};

/// The promise.
const PROMISE: Duration = Duration::from_secs(2);
/// `[sync] status_interval_secs` here: what a change NOTIFY never tells waits for.
const SAFETY_NET: Duration = Duration::from_secs(5);
/// Only to fail rather than hang; never the bound asserted.
const GIVE_UP: Duration = Duration::from_secs(60);

fn account_toml(server: &TestDovecot, poll_secs: u64) -> String {
    format!(
        "[[accounts]]\nname = \"t\"\nhost = \"127.0.0.1\"\nport = {}\n\
         security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n\
         poll_interval_secs = {poll_secs}\n",
        server.imap_port(),
        server.user(),
        server.password()
    )
}

/// The other instance: the tern CLI with a cache of its own.
struct OtherTern {
    config: PathBuf,
    cache: PathBuf,
    _dir: tempfile::TempDir,
}

impl OtherTern {
    fn new(toml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, toml).unwrap();
        Self {
            config,
            cache: dir.path().join("cache"),
            _dir: dir,
        }
    }

    /// Runs `tern ARGS`; returns when the server has acknowledged (the CLI sends before it
    /// exits), which is when the clock of the change starts.
    fn ok(&self, args: &[&str]) -> Instant {
        let output: Output = tern_cli(&self.config, &self.cache, args);
        assert!(
            output.status.success(),
            "tern {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Instant::now()
    }
}

struct Running {
    events: mpsc::UnboundedReceiver<EngineEvent>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<tern::sync::Result<()>>,
    _commands: mpsc::UnboundedSender<EngineCommand>,
}

/// This instance's engine as the TUI runs it, on INBOX, with the STATUS safety net at 5 s:
/// too slow for the promise, so only NOTIFY or the poll can keep it.
fn start_engine(toml: &str, store: &Store) -> Running {
    let account = tern::config::Config::parse(toml, Path::new("test.toml"))
        .unwrap()
        .accounts
        .remove(0);
    let store = store.clone();
    let options = WatchOptions {
        folder: "INBOX".into(),
        folders: Folders::One("INBOX".into()),
        idle_refresh: Duration::from_secs(540),
        status_interval: Some(SAFETY_NET),
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
        events,
        stop,
        task,
        _commands: commands,
    }
}

impl Running {
    async fn online(&mut self) {
        loop {
            match tokio::time::timeout(GIVE_UP, self.events.recv()).await {
                Ok(Some(EngineEvent::Conn(ConnState::Online))) => return,
                Ok(Some(_)) => {}
                other => panic!("waiting to be online: {other:?}"),
            }
        }
    }

    async fn shut_down(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn messages(reader: &Reader, folder: &str) -> Vec<tern::domain::message::MessageRow> {
    let Some(state) = reader.folder(folder).unwrap() else {
        return Vec::new();
    };
    reader
        .window(state.id, SortOrder::DateDesc, Window::Offset(0), 500)
        .unwrap()
}

fn has_subject(reader: &Reader, folder: &str, subject: &str) -> bool {
    messages(reader, folder)
        .iter()
        .any(|m| m.subject == subject)
}

fn flagged(reader: &Reader, folder: &str, subject: &str) -> bool {
    messages(reader, folder)
        .iter()
        .any(|m| m.subject == subject && m.flags.flagged())
}

/// Waits until `check` holds; returns how long after `since` it first did.
async fn arrived(what: &str, since: Instant, mut check: impl FnMut() -> bool) -> Duration {
    while !check() {
        assert!(since.elapsed() < GIVE_UP, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let latency = since.elapsed();
    eprintln!("{what}: {latency:?}");
    latency
}

fn seed(server: &TestDovecot) {
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "to flag", "x"),
            SeedMessage::text(2, "to archive", "x"),
            SeedMessage::text(3, "to delete", "x"),
        ],
    );
    server.seed_maildir(
        server.user(),
        &server.folder("Archive"),
        [SeedMessage::text(4, "archived before", "x")],
    );
}

/// Everything the issue names, made by the other instance, seen by this one. `bound` is
/// what each change may take: the promise, plus the poll interval without NOTIFY.
async fn every_change_arrives(server: &TestDovecot, poll_secs: u64, bound: Duration) {
    seed(server);
    let toml = account_toml(server, poll_secs);
    let archive = server.folder("Archive");
    let trash = server.folder("Trash");
    let other = OtherTern::new(&toml);
    other.ok(&["sync", "--all"]);

    // This instance: every folder synced once (as after a while of use), then running.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let mut client = server.tern_client().await;
    let (events, _ignored) = mpsc::unbounded_channel();
    tern::sync::sync_account(&mut client, &store, &Folders::All, &events)
        .await
        .unwrap();
    drop(client);
    let mut engine = start_engine(&toml, &store);
    engine.online().await;
    if std::env::var_os("TRACE_EVENTS").is_some() {
        let mut events = std::mem::replace(&mut engine.events, mpsc::unbounded_channel().1);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                eprintln!("{:?}: {event:?}", std::time::SystemTime::now());
            }
        });
    }
    let reader = store.reader().unwrap();
    assert!(has_subject(&reader, "INBOX", "to flag"));
    let mut latencies = Vec::new();

    // In the folder this instance looks at: a flag, a move out, a delete.
    let done = other.ok(&["flag", "--add", "flagged", "1"]);
    latencies.push(
        arrived("flag in INBOX", done, || {
            flagged(&reader, "INBOX", "to flag")
        })
        .await,
    );
    let done = other.ok(&["move", "--to", &archive, "2"]);
    latencies.push(
        arrived("move out of INBOX", done, || {
            !has_subject(&reader, "INBOX", "to archive")
                && has_subject(&reader, &archive, "to archive")
        })
        .await,
    );
    let done = other.ok(&["delete", "3"]);
    latencies.push(
        arrived("delete in INBOX", done, || {
            !has_subject(&reader, "INBOX", "to delete") && has_subject(&reader, &trash, "to delete")
        })
        .await,
    );
    // In a folder this instance does not look at.
    let uid = messages(&reader, &archive)
        .iter()
        .find(|m| m.subject == "archived before")
        .unwrap()
        .uid
        .to_string();
    // Without CONDSTORE, STATUS shows only \Seen changes (the unseen count).
    let flag = if server.is_older() { "seen" } else { "flagged" };
    let done = other.ok(&["flag", "--folder", &archive, "--add", flag, &uid]);
    latencies.push(
        arrived("flag in Archive", done, || {
            messages(&reader, &archive).iter().any(|m| {
                m.subject == "archived before"
                    && if server.is_older() {
                        m.flags.seen()
                    } else {
                        m.flags.flagged()
                    }
            })
        })
        .await,
    );
    // Folders made, renamed and deleted.
    let projects = server.folder("Projects");
    let done = other.ok(&["folder", "create", &projects]);
    latencies.push(
        arrived("a new folder", done, || {
            reader.folder(&projects).unwrap().is_some()
        })
        .await,
    );
    // New mail from another client in a folder not looked at: counted or synced.
    server
        .raw_login(server.user())
        .append(&archive, &[], &SeedMessage::text(9, "filed later", "x").raw)
        .unwrap();
    let done = Instant::now();
    latencies.push(
        arrived("new mail in Archive", done, || {
            has_subject(&reader, &archive, "filed later")
        })
        .await,
    );

    // By another client, renamed and deleted: not in the list. Dovecot 2.3.19 with
    // NOTIFY can leave the session's folder list stale after another client's RENAME (its
    // log says "Corrupted mailbox list index"; even LIST shows the old name until a
    // reconnect), so these are checked on the poll path only, with no bound asserted.
    if server.is_older() {
        let renamed = server.folder("Projekte");
        server
            .raw_login(server.user())
            .command_ok(&format!("RENAME {projects} {renamed}"))
            .unwrap();
        let done = Instant::now();
        arrived("a renamed folder", done, || {
            reader.folder(&renamed).unwrap().is_some()
                && reader.folder(&projects).unwrap().is_none()
        })
        .await;
        server
            .raw_login(server.user())
            .command_ok(&format!("DELETE {renamed}"))
            .unwrap();
        let done = Instant::now();
        arrived("a deleted folder", done, || {
            reader.folder(&renamed).unwrap().is_none()
        })
        .await;
    } else {
        // Deleted by the other tern: the \NonExistent LIST push.
        let done = other.ok(&["folder", "delete", &projects]);
        arrived("a deleted folder", done, || {
            reader.folder(&projects).unwrap().is_none()
        })
        .await;
    }
    for latency in &latencies {
        assert!(*latency <= bound, "{latencies:?} (bound {bound:?})");
    }
    assert!(!engine.task.is_finished());
    engine.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instances_changes_arrive_within_two_seconds_by_notify() {
    // The NOTIFY path even when the suite runs as the older server (TERN_TEST_SERVER).
    let server = TestDovecot::start_with(DovecotOptions::default().current_server());
    assert!(!server.is_older());
    // A poll interval that could never keep the promise: only NOTIFY can.
    every_change_arrives(&server, 600, PROMISE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_notify_the_poll_brings_every_change_within_its_interval() {
    let server = TestDovecot::start_with(DovecotOptions::default().older_server());
    every_change_arrives(&server, 1, PROMISE + Duration::from_secs(1)).await;
}

/// The TUI as a person runs it, and the CLI as the other device: the flag and the new
/// folder show on screen without a key press.
#[test]
fn a_running_tui_shows_another_instances_changes_without_a_key_press() {
    let server = TestDovecot::start_with(DovecotOptions::default().current_server());
    seed(&server);
    let toml = account_toml(&server, 600);
    let other = OtherTern::new(&toml);
    other.ok(&["sync", "--all"]);
    let mine = OtherTern::new(&toml);
    let tmux = Tmux::start(&format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        mine.config.display(),
        mine.cache.display()
    ));
    let screen = tmux.wait_until("the list, online", |s| {
        s.contains("to flag") && s.contains("online")
    });
    assert!(!screen.contains("Projects"), "{screen}");
    let row = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("to flag"))
            .unwrap_or_default()
            .to_string()
    };
    let before = row(&screen);

    other.ok(&["folder", "create", "Projects"]);
    let screen = tmux.wait_for("Projects");
    assert!(screen.contains("to flag"), "{screen}");
    other.ok(&["flag", "--add", "flagged", "1"]);
    let after = tmux.wait_until("the flag shown", |s| row(s) != before);
    assert!(row(&after).contains("to flag"), "{after}");
    other.ok(&["move", "--to", "Archive", "2"]);
    let screen = tmux.wait_until("the moved message gone", |s| !s.contains("to archive"));
    assert!(screen.contains("to flag"), "{screen}");
}
