//! Offline and crash behaviour of the real binary, with the network under the test's control:
//! tern talks to Dovecot through a loopback proxy (tests/support/proxy.rs) that can refuse
//! connections, forward them, or let a command through while swallowing its reply.
//!
//! Each `tern` run is a fresh process, so every step below is also a restart. The server's
//! state is always read by a second client straight from Dovecot, never through the proxy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{DovecotOptions, Proxy, ProxyMode, SeedMessage, TestDovecot};
use tern::store::{PLACEHOLDER_BASE, SortOrder, Store, Window};

/// A bound on every wait so a broken test fails instead of hanging; never a claim about speed.
const DEADLINE: Duration = Duration::from_secs(90);

/// The folders the tests act on (the seeding and Dovecot's special-use config create them).
const FOLDERS: [&str; 3] = ["INBOX", "Archive", "Trash"];

/// The binary, with a config that points at the proxy and a cache of its own.
struct Tern {
    dir: tempfile::TempDir,
    config: PathBuf,
    /// (name in these tests, the server's name): they differ on an older server.
    names: Vec<(&'static str, String)>,
}

impl Tern {
    fn new(server: &TestDovecot, proxy: &Proxy) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        // 127.0.0.1 is loopback, so tern does not negotiate COMPRESS and the proxy sees
        // the commands in clear.
        std::fs::write(&config, server.account_toml("t", proxy.port())).unwrap();
        let names = FOLDERS.map(|f| (f, server.folder(f))).to_vec();
        Self { dir, config, names }
    }

    /// The server's name for one of `FOLDERS`.
    fn server_name(&self, folder: &str) -> String {
        self.names
            .iter()
            .find(|(ours, _)| *ours == folder)
            .map_or_else(|| folder.to_string(), |(_, theirs)| theirs.clone())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tern"));
        command
            .arg("--config")
            .arg(&self.config)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"));
        // Folder arguments name the server's folders.
        let mut previous = "";
        for arg in args {
            if previous == "--to" || previous == "--folder" {
                command.arg(self.server_name(arg));
            } else {
                command.arg(arg);
            }
            previous = arg;
        }
        command
    }

    /// Runs to the end; asserts success.
    fn ok(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "tern {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn store(&self) -> Store {
        Store::open(&tern::store::cache_path(
            &self.dir.path().join("cache"),
            "t",
        ))
        .unwrap()
    }

    fn journal_count(&self) -> u32 {
        self.store().reader().unwrap().journal_count().unwrap()
    }
}

/// One message as a folder holds it: UID, subject (unique in these tests), flags sorted
/// and without the session-specific `\Recent`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Msg {
    uid: u32,
    subject: String,
    flags: Vec<String>,
}

/// Folder -> its messages in UID order.
type Snapshot = BTreeMap<String, Vec<Msg>>;

fn sorted_flags<S: AsRef<str>>(flags: &[S]) -> Vec<String> {
    let mut flags: Vec<String> = flags
        .iter()
        .map(|f| f.as_ref().to_string())
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
        .collect();
    flags.sort();
    flags
}

fn subject_of(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// What the server holds, read by a second client straight from Dovecot.
fn server_state(server: &TestDovecot) -> Snapshot {
    let mut raw = server.raw_login(server.user());
    let mut snapshot = Snapshot::new();
    for folder in FOLDERS {
        raw.examine(&server.folder(folder)).unwrap();
        let mut messages = Vec::new();
        if !raw.uid_search_all().unwrap().is_empty() {
            for (uid, flags) in raw.fetch_flags().unwrap() {
                messages.push(Msg {
                    uid,
                    subject: subject_of(&raw.fetch_raw(uid).unwrap()),
                    flags: sorted_flags(&flags),
                });
            }
        }
        snapshot.insert(folder.to_string(), messages);
    }
    snapshot
}

/// What tern's cache holds for the same folders.
fn cache_state(tern: &Tern) -> Snapshot {
    let reader = tern.store().reader().unwrap();
    let mut snapshot = Snapshot::new();
    for folder in FOLDERS {
        let state = reader.folder(&tern.server_name(folder)).unwrap().unwrap();
        let mut messages: Vec<Msg> = reader
            .window(state.id, SortOrder::DateDesc, Window::Offset(0), 1000)
            .unwrap()
            .into_iter()
            .map(|row| Msg {
                uid: row.uid,
                subject: row.subject,
                flags: sorted_flags(&row.flags.to_imap()),
            })
            .collect();
        messages.sort();
        snapshot.insert(folder.to_string(), messages);
    }
    snapshot
}

/// The cache agrees with the server exactly: same UIDs (so no placeholder is left), same
/// subjects, same flags.
fn assert_cache_matches(tern: &Tern, server: &Snapshot) {
    let cached = cache_state(tern);
    for (folder, messages) in &cached {
        assert!(
            messages.iter().all(|m| m.uid < PLACEHOLDER_BASE),
            "{folder}: a placeholder is left in the cache: {messages:?}"
        );
    }
    assert_eq!(&cached, server, "cache vs server");
}

/// Folder -> (subject, flags) sorted: a folder's state regardless of the UIDs the server
/// assigned.
type Contents = BTreeMap<String, Vec<(String, Vec<String>)>>;

/// (subject, flags) of each message a folder should hold, in any order.
type Holds<'a> = &'a [(&'a str, &'a [&'a str])];

fn contents(snapshot: &Snapshot) -> Contents {
    snapshot
        .iter()
        .map(|(folder, messages)| {
            let mut items: Vec<(String, Vec<String>)> = messages
                .iter()
                .map(|m| (m.subject.clone(), m.flags.clone()))
                .collect();
            items.sort();
            (folder.clone(), items)
        })
        .collect()
}

fn expected(folders: [(&str, Holds<'_>); 3]) -> Contents {
    folders
        .into_iter()
        .map(|(folder, messages)| {
            let mut items: Vec<(String, Vec<String>)> = messages
                .iter()
                .map(|(subject, flags)| (subject.to_string(), sorted_flags(flags)))
                .collect();
            items.sort();
            (folder.to_string(), items)
        })
        .collect()
}

fn subjects(snapshot: &Snapshot, folder: &str) -> Vec<String> {
    snapshot[folder].iter().map(|m| m.subject.clone()).collect()
}

fn holds(snapshot: &Snapshot, folder: &str, subject: &str) -> bool {
    snapshot[folder].iter().any(|m| m.subject == subject)
}

/// INBOX 1..=5 ("one".."five"), Archive and Trash with messages of their own, so "nothing
/// else changed" has something to check.
fn seed(server: &TestDovecot) {
    let user = server.user();
    server.seed_maildir(
        user,
        "INBOX",
        [
            SeedMessage::text(1, "one", "x"),
            SeedMessage::text(2, "two", "x").with_flags(&["\\Seen"]),
            SeedMessage::text(3, "three", "x").with_flags(&["\\Seen"]),
            SeedMessage::text(4, "four", "x"),
            SeedMessage::text(5, "five", "x").with_flags(&["\\Answered", "$Label1"]),
        ],
    );
    server.seed_maildir(user, "Archive", [SeedMessage::text(6, "archived", "x")]);
    server.seed_maildir(
        user,
        "Trash",
        [
            SeedMessage::text(7, "trashed", "x"),
            SeedMessage::text(8, "trashed too", "x"),
        ],
    );
}

/// The seeded state, as `expected` wants it.
const INBOX_SEEDED: [(&str, &[&str]); 5] = [
    ("one", &[]),
    ("two", &["\\Seen"]),
    ("three", &["\\Seen"]),
    ("four", &[]),
    ("five", &["\\Answered", "$Label1"]),
];
const ARCHIVE_SEEDED: [(&str, &[&str]); 1] = [("archived", &[])];
const TRASH_SEEDED: [(&str, &[&str]); 2] = [("trashed", &[]), ("trashed too", &[])];

/// Polls until `done` holds; fails after `DEADLINE` saying what it waited for.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Runs `tern sync --all` twice more after the state under test: nothing is sent twice,
/// nothing changes, the cache keeps agreeing.
fn assert_stable(tern: &Tern, server: &TestDovecot, state: &Snapshot) {
    tern.ok(&["sync", "--all"]);
    assert_eq!(
        &server_state(server),
        state,
        "a second sync changed the server"
    );
    assert_cache_matches(tern, state);
    assert_eq!(tern.journal_count(), 0);
}

#[test]
fn the_proxy_refuses_forwards_and_holds_replies() {
    let server = TestDovecot::start();
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let mut through = support::RawImap::connect_login(proxy.port(), server.user(), "password")
        .expect("forwarded login");
    through.command_ok("NOOP").unwrap();

    proxy.set_mode(ProxyMode::Refuse);
    assert!(
        through.command("NOOP").is_err(),
        "Refuse cuts live connections"
    );
    assert!(
        support::RawImap::connect(proxy.port()).is_err(),
        "no greeting while refusing"
    );

    proxy.set_mode(ProxyMode::Forward);
    let mut through = support::RawImap::connect_login(proxy.port(), server.user(), "password")
        .expect("forwarded again, on the same port");
    proxy.set_mode(ProxyMode::hold_replies_after("CREATE"));
    let held = server.folder("Held");
    let tag = through.send(format!("CREATE {held}").as_bytes()).unwrap();
    assert!(proxy.wait_seen(DEADLINE), "the proxy saw the CREATE");
    wait_until("the server ran the held CREATE", || {
        let lines = server
            .raw_login(server.user())
            .command_ok(&format!("LIST \"\" {held}"))
            .unwrap();
        lines.iter().any(|l| l.starts_with("* LIST"))
    });
    proxy.cut_all();
    let after = through.read_to_eof().unwrap();
    assert!(
        !after.iter().any(|l| l.starts_with(&format!("{tag} "))),
        "the reply was swallowed: {after:?}"
    );
    wait_until("cut connections are forgotten", || proxy.live() == 0);
    // Dropping the proxy joins its threads: the test ends only if none is stuck.
    drop(proxy);
}

/// Actions taken while the network is gone are applied locally and queued; after a
/// restart with the network back, one sync applies each exactly once.
#[test]
fn actions_queued_while_refused_are_replayed_exactly_once() {
    let server = TestDovecot::start();
    seed(&server);
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let tern = Tern::new(&server, &proxy);
    tern.ok(&["sync", "--all"]);
    let before = server_state(&server);
    assert_eq!(
        contents(&before),
        expected([
            ("INBOX", &INBOX_SEEDED),
            ("Archive", &ARCHIVE_SEEDED),
            ("Trash", &TRASH_SEEDED),
        ])
    );
    assert_cache_matches(&tern, &before);

    proxy.set_mode(ProxyMode::Refuse);
    let tries = proxy.accepted();
    for args in [
        &["flag", "1", "--add", "seen"][..],
        &["flag", "2", "--add", "flagged"],
        &["move", "3", "--to", "Archive"],
        &["delete", "4"],
    ] {
        let out = tern.ok(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("offline") && stderr.contains("queued"),
            "tern {args:?}: {stderr}"
        );
    }
    assert!(
        proxy.accepted() >= tries + 4,
        "each action tried the server through the proxy"
    );
    // A sync while still offline fails, and loses nothing.
    let out = tern.command(&["sync", "--all"]).output().unwrap();
    assert!(!out.status.success(), "sync cannot succeed offline");
    assert_eq!(server_state(&server), before, "nothing reached the server");
    assert_eq!(tern.journal_count(), 4);
    // Shown at once, from the cache.
    let cached = cache_state(&tern);
    assert_eq!(subjects(&cached, "INBOX"), ["one", "two", "five"]);
    assert_eq!(cached["INBOX"][0].flags, ["\\Seen"]);
    assert_eq!(cached["INBOX"][1].flags, ["\\Flagged", "\\Seen"]);
    for (folder, subject) in [("Archive", "three"), ("Trash", "four")] {
        let shown = cached[folder].iter().find(|m| m.subject == subject);
        assert!(
            shown.is_some_and(|m| m.uid >= PLACEHOLDER_BASE),
            "{subject} shown in {folder} under a placeholder: {cached:?}"
        );
    }

    proxy.set_mode(ProxyMode::Forward);
    tern.ok(&["sync", "--all"]);
    let after = server_state(&server);
    assert_eq!(
        contents(&after),
        expected([
            (
                "INBOX",
                &[
                    ("one", &["\\Seen"]),
                    ("two", &["\\Seen", "\\Flagged"]),
                    ("five", &["\\Answered", "$Label1"]),
                ],
            ),
            ("Archive", &[("archived", &[]), ("three", &["\\Seen"])]),
            (
                "Trash",
                &[("trashed", &[]), ("trashed too", &[]), ("four", &[])],
            ),
        ])
    );
    let inbox_uids: Vec<u32> = after["INBOX"].iter().map(|m| m.uid).collect();
    assert_eq!(inbox_uids, [1, 2, 5], "flags changed in place");
    assert_eq!(tern.journal_count(), 0);
    assert_cache_matches(&tern, &after);
    assert_stable(&tern, &server, &after);
}

/// Starts tern with `args`, lets the server run the command that contains `pattern`
/// while its reply never reaches tern, and kills tern (SIGKILL) once `applied` says the
/// server holds the result. Then restarts with the network back and syncs. Returns the
/// server state after that sync.
fn killed_before_the_ok(
    pattern: &str,
    args: &[&str],
    applied: impl Fn(&Snapshot) -> bool,
) -> (TestDovecot, Tern, Snapshot) {
    killed_before_the_ok_on(DovecotOptions::default(), |_| {}, pattern, args, applied)
}

/// `killed_before_the_ok` on a server with `options`, after `setup` changed the seeded
/// state.
fn killed_before_the_ok_on(
    options: DovecotOptions,
    setup: impl FnOnce(&TestDovecot),
    pattern: &str,
    args: &[&str],
    applied: impl Fn(&Snapshot) -> bool,
) -> (TestDovecot, Tern, Snapshot) {
    let server = TestDovecot::start_with(options);
    seed(&server);
    setup(&server);
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let tern = Tern::new(&server, &proxy);
    tern.ok(&["sync", "--all"]);
    assert!(!applied(&server_state(&server)), "not yet applied");

    // An older server has no MOVE: the move's COPY is the command that lands it.
    let pattern = if server.is_older() && pattern == "UID MOVE" {
        "UID COPY"
    } else {
        pattern
    };
    proxy.set_mode(ProxyMode::hold_replies_after(pattern));
    let mut child = tern.spawn(args);
    if !proxy.wait_seen(DEADLINE) {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "tern {args:?} never sent {pattern:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    wait_until(&format!("the server ran tern {args:?}"), || {
        applied(&server_state(&server))
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "tern is still waiting for the reply it will never get"
    );
    child.kill().unwrap();
    let killed = child.wait().unwrap();
    assert!(!killed.success(), "killed, not finished: {killed:?}");
    assert_eq!(
        tern.journal_count(),
        1,
        "the local write happened before the command was sent"
    );

    proxy.set_mode(ProxyMode::Forward);
    tern.ok(&["sync", "--all"]);
    assert_eq!(tern.journal_count(), 0, "the replay cleared the journal");
    let after = server_state(&server);
    assert_cache_matches(&tern, &after);
    assert_stable(&tern, &server, &after);
    (server, tern, after)
}

#[test]
fn a_move_killed_before_the_ok_lands_exactly_once() {
    let (_server, _tern, after) =
        killed_before_the_ok("UID MOVE", &["move", "3", "--to", "Archive"], |s| {
            holds(s, "Archive", "three")
        });
    assert_eq!(
        contents(&after),
        expected([
            (
                "INBOX",
                &[
                    ("one", &[]),
                    ("two", &["\\Seen"]),
                    ("four", &[]),
                    ("five", &["\\Answered", "$Label1"]),
                ],
            ),
            ("Archive", &[("archived", &[]), ("three", &["\\Seen"])]),
            ("Trash", &TRASH_SEEDED),
        ])
    );
}

#[test]
fn a_flag_change_killed_before_the_ok_is_applied_once() {
    let (_server, _tern, after) = killed_before_the_ok(
        "UID STORE",
        &["flag", "1", "--add", "flagged", "--add", "Work"],
        |s| s["INBOX"][0].flags.iter().any(|f| f == "\\Flagged"),
    );
    assert_eq!(
        contents(&after),
        expected([
            (
                "INBOX",
                &[
                    ("one", &["\\Flagged", "Work"]),
                    ("two", &["\\Seen"]),
                    ("three", &["\\Seen"]),
                    ("four", &[]),
                    ("five", &["\\Answered", "$Label1"]),
                ],
            ),
            ("Archive", &ARCHIVE_SEEDED),
            ("Trash", &TRASH_SEEDED),
        ])
    );
    assert_eq!(after["INBOX"][0].uid, 1);
}

#[test]
fn a_delete_killed_before_the_ok_lands_in_the_trash_once() {
    let (_server, _tern, after) =
        killed_before_the_ok("UID MOVE", &["delete", "4"], |s| holds(s, "Trash", "four"));
    assert_eq!(
        contents(&after),
        expected([
            (
                "INBOX",
                &[
                    ("one", &[]),
                    ("two", &["\\Seen"]),
                    ("three", &["\\Seen"]),
                    ("five", &["\\Answered", "$Label1"]),
                ],
            ),
            ("Archive", &ARCHIVE_SEEDED),
            (
                "Trash",
                &[("trashed", &[]), ("trashed too", &[]), ("four", &[])],
            ),
        ])
    );
}

/// In the Trash, delete is `\Deleted` + UID EXPUNGE of exactly that message; the
/// replay after the kill must not remove anything else.
#[test]
fn a_permanent_delete_killed_before_the_ok_removes_only_that_message() {
    // Seeded in order, so "trashed" is UID 1 in the Trash.
    let (_server, _tern, after) =
        killed_before_the_ok("UID EXPUNGE", &["delete", "--folder", "Trash", "1"], |s| {
            !holds(s, "Trash", "trashed")
        });
    assert_eq!(
        contents(&after),
        expected([
            ("INBOX", &INBOX_SEEDED),
            ("Archive", &ARCHIVE_SEEDED),
            ("Trash", &[("trashed too", &[])]),
        ])
    );
}

/// Without MOVE, a move is UID COPY + `\Deleted` + UID EXPUNGE. Killed after the server
/// ran the COPY but before tern heard of it, the replay must not copy a second time.
#[test]
fn a_move_without_the_move_extension_killed_after_the_copy_lands_exactly_once() {
    let (_server, _tern, after) = killed_before_the_ok_on(
        DovecotOptions::default().without_caps(&["MOVE"]),
        |_| {},
        "UID COPY",
        &["move", "3", "--to", "Archive"],
        |s| holds(s, "Archive", "three"),
    );
    assert_eq!(
        contents(&after),
        expected([
            (
                "INBOX",
                &[
                    ("one", &[]),
                    ("two", &["\\Seen"]),
                    ("four", &[]),
                    ("five", &["\\Answered", "$Label1"]),
                ],
            ),
            ("Archive", &[("archived", &[]), ("three", &["\\Seen"])]),
            ("Trash", &TRASH_SEEDED),
        ])
    );
}

/// A copy killed after the server ran it: the replay must not make a second copy.
#[test]
fn a_copy_killed_before_the_ok_lands_exactly_once() {
    let (_server, _tern, after) =
        killed_before_the_ok("UID COPY", &["copy", "3", "--to", "Archive"], |s| {
            holds(s, "Archive", "three")
        });
    assert_eq!(
        contents(&after),
        expected([
            ("INBOX", &INBOX_SEEDED),
            ("Archive", &[("archived", &[]), ("three", &["\\Seen"])]),
            ("Trash", &TRASH_SEEDED),
        ])
    );
}

/// Without UIDPLUS, a permanent delete unmarks the other `\Deleted` messages around a plain
/// EXPUNGE and marks them again after it. Killed before the EXPUNGE's reply, the other
/// message's mark (set by another client) must survive the restart.
#[test]
fn a_permanent_delete_without_uidplus_killed_mid_expunge_keeps_other_deleted_marks() {
    let (_server, _tern, after) = killed_before_the_ok_on(
        DovecotOptions::default().without_caps(&["UIDPLUS"]),
        |server| {
            let mut other = server.raw_login(server.user());
            other.select(&server.folder("Trash")).unwrap();
            other.command_ok("UID STORE 2 +FLAGS (\\Deleted)").unwrap();
        },
        " EXPUNGE\r\n",
        &["delete", "--folder", "Trash", "1"],
        |s| !holds(s, "Trash", "trashed"),
    );
    assert_eq!(
        contents(&after),
        expected([
            ("INBOX", &INBOX_SEEDED),
            ("Archive", &ARCHIVE_SEEDED),
            ("Trash", &[("trashed too", &["\\Deleted"])]),
        ])
    );
}
