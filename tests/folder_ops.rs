//! `tern folder create|rename|delete|subscribe|unsubscribe` as a user runs it, against a real
//! Dovecot, checked with a raw IMAP client and the cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::PathBuf;
use std::process::Output;

use support::{DovecotOptions, SeedMessage, TestDovecot, tern_cli};
use tern::store::Store;

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Private (0600): a config with a password that others can read draws a warning.
    fn config(&self, server: &TestDovecot, port: u16) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(format!("config-{port}.toml"));
        std::fs::write(&path, server.account_toml("t", port)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    fn run_on(&self, server: &TestDovecot, port: u16, args: &[&str]) -> Output {
        let config = self.config(server, port);
        tern_cli(&config, &self.dir.path().join("cache"), args)
    }

    fn run(&self, server: &TestDovecot, args: &[&str]) -> Output {
        self.run_on(server, server.imap_port(), args)
    }

    fn ok(&self, server: &TestDovecot, args: &[&str]) -> String {
        let out = self.run(server, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
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

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The mailbox names in the raw LIST (or LSUB) answer, as the server spells them.
fn listed(server: &TestDovecot, command: &str) -> Vec<String> {
    let mut raw = server.raw_login(server.user());
    raw.command_ok(command)
        .unwrap()
        .into_iter()
        .filter(|l| l.starts_with("* LIST") || l.starts_with("* LSUB"))
        .filter_map(|l| {
            let name = l.rsplit_once(' ')?.1;
            Some(name.trim_matches('"').to_string())
        })
        .collect()
}

#[test]
fn non_ascii_names_are_modified_utf7_on_the_wire_and_utf8_for_the_user() {
    let server = TestDovecot::start();
    let cli = Cli::new();
    // The user types the server's names ("INBOX." prefix and "." on an older server).
    let (name, wire, prefix) = if server.is_older() {
        (
            "INBOX.Café.Überweisungen",
            "INBOX.Caf&AOk-.&ANw-berweisungen",
            "INBOX.",
        )
    } else {
        ("Café/Überweisungen", "Caf&AOk-/&ANw-berweisungen", "")
    };
    cli.ok(&server, &["folder", "create", name]);
    let names = listed(&server, "LIST \"\" \"*\"");
    assert!(names.contains(&wire.to_string()), "{names:?}");
    assert_eq!(tern::imap::mutf7::decode(wire.as_bytes()), name);
    // Subscribed too, so other mail programs show it.
    let subscribed = listed(&server, "LSUB \"\" \"*\"");
    assert!(subscribed.contains(&wire.to_string()), "{subscribed:?}");

    // The reverse: made by another client, one subscribed and one not.
    let mut raw = server.raw_login(server.user());
    for command in [
        format!("CREATE \"{prefix}&ZeVnLIqe-\""),
        format!("SUBSCRIBE \"{prefix}&ZeVnLIqe-\""),
        format!("CREATE \"{prefix}&A6k-mega\""),
    ] {
        raw.command_ok(&command).unwrap();
    }
    let shown = |args: &[&str]| -> Vec<String> {
        let folders: serde_json::Value = serde_json::from_str(&cli.ok(&server, args)).unwrap();
        folders
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect()
    };
    let names = shown(&["folders", "--json"]);
    assert!(names.contains(&format!("{prefix}日本語")), "{names:?}");
    assert!(names.contains(&name.to_string()), "{names:?}");
    assert!(!names.contains(&format!("{prefix}Ωmega")), "{names:?}");
    let names = shown(&["folders", "--json", "--all"]);
    assert!(names.contains(&format!("{prefix}Ωmega")), "{names:?}");
}

#[test]
fn a_name_the_server_refuses_fails_with_its_reason() {
    let server = TestDovecot::start();
    let mut raw = server.raw_login(server.user());
    let taken = server.folder("Taken");
    raw.command_ok(&format!("CREATE \"{taken}\"")).unwrap();
    let cli = Cli::new();
    let out = cli.run(&server, &["folder", "create", &taken]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).to_lowercase().contains("exists"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rename_with_children_on_an_older_server_keeps_the_cached_messages() {
    let server = TestDovecot::start_with(DovecotOptions::default().older_server());
    let (projects, alpha) = (server.folder("Projects"), server.folder("Projects/Alpha"));
    server.seed_maildir(server.user(), &projects, [SeedMessage::text(1, "top", "x")]);
    server.seed_maildir(
        server.user(),
        &alpha,
        [
            SeedMessage::text(1, "a1", "x"),
            SeedMessage::text(2, "a2", "x"),
        ],
    );
    let cli = Cli::new();
    cli.ok(&server, &["sync", "--all"]);
    let before = cli
        .store()
        .reader()
        .unwrap()
        .folder(&alpha)
        .unwrap()
        .unwrap();

    let (work, work_alpha) = (server.folder("Work"), server.folder("Work/Alpha"));
    cli.ok(&server, &["folder", "rename", &projects, &work]);

    let names = listed(&server, "LIST \"\" \"*\"");
    assert!(
        names.contains(&work) && names.contains(&work_alpha),
        "{names:?}"
    );
    assert!(
        !names.contains(&projects) && !names.contains(&alpha),
        "{names:?}"
    );

    let reader = cli.store().reader().unwrap();
    assert!(reader.folder(&alpha).unwrap().is_none());
    let after = reader.folder(&work_alpha).unwrap().unwrap();
    assert_eq!(after.id, before.id, "the same cache row, renamed");
    assert_eq!(after.uidvalidity, before.uidvalidity);
    for uid in [1, 2] {
        assert!(
            reader.message(after.id, uid).unwrap().is_some(),
            "UID {uid}"
        );
    }
    // Listed from the cache alone: nothing was fetched again.
    let offline = cli.run_on(&server, closed_port(), &["list", "--folder", &work_alpha]);
    let listing = String::from_utf8_lossy(&offline.stdout);
    assert!(
        listing.contains("a1") && listing.contains("a2"),
        "{listing}"
    );
}

#[test]
fn rename_of_a_folder_whose_uidvalidity_changed_starts_its_cache_over() {
    let server = TestDovecot::start();
    let (projects, work) = (server.folder("Projects"), server.folder("Work"));
    server.seed_maildir(
        server.user(),
        &projects,
        [
            SeedMessage::text(1, "p1", "x"),
            SeedMessage::text(2, "p2", "x"),
        ],
    );
    let cli = Cli::new();
    cli.ok(&server, &["sync", "--all"]);
    let before = cli
        .store()
        .reader()
        .unwrap()
        .folder(&projects)
        .unwrap()
        .unwrap();
    let changed = before.uidvalidity.unwrap() + 1000;
    server.doveadm(&[
        "mailbox",
        "update",
        "-u",
        server.user(),
        "--uid-validity",
        &changed.to_string(),
        &projects,
    ]);

    cli.ok(&server, &["folder", "rename", &projects, &work]);
    let reader = cli.store().reader().unwrap();
    let after = reader.folder(&work).unwrap().unwrap();
    assert_eq!(after.uidvalidity, Some(changed));
    assert!(
        reader.message(after.id, 1).unwrap().is_none(),
        "rows of the old UIDVALIDITY are dropped"
    );
    cli.ok(&server, &["sync", "--folder", &work]);
    assert!(
        reader.message(after.id, 1).unwrap().is_some(),
        "and fetched again"
    );
}

#[test]
fn delete_refuses_roles_and_messages_and_drops_waiting_actions() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "one", "x"),
            SeedMessage::text(2, "two", "x"),
        ],
    );
    let (old, trash) = (server.folder("Old"), server.folder("Trash"));
    server.seed_maildir(
        server.user(),
        &old,
        [
            SeedMessage::text(1, "old1", "x"),
            SeedMessage::text(2, "old2", "x"),
        ],
    );
    let cli = Cli::new();
    cli.ok(&server, &["sync", "--all"]);

    let out = cli.run(&server, &["folder", "delete", &trash, "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(listed(&server, "LIST \"\" \"*\"").contains(&trash));

    let out = cli.run(&server, &["folder", "delete", &old]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("2 message") && stderr(&out).contains("--yes"),
        "{}",
        stderr(&out)
    );
    assert!(listed(&server, "LIST \"\" \"*\"").contains(&old));

    // Queued offline: one action into Old, one on a message in it.
    let offline = closed_port();
    let out = cli.run_on(&server, offline, &["move", "2", "--to", &old]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli.run_on(
        &server,
        offline,
        &["flag", "--folder", &old, "1", "--add", "seen"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(cli.store().reader().unwrap().journal_count().unwrap(), 2);

    let said = cli.ok(&server, &["folder", "delete", &old, "--yes"]);
    assert!(said.contains("2 waiting action"), "{said}");
    assert!(!listed(&server, "LIST \"\" \"*\"").contains(&old));
    let reader = cli.store().reader().unwrap();
    assert_eq!(reader.journal_count().unwrap(), 0);
    assert!(reader.folder(&old).unwrap().is_none());
    // The dropped move never happened: the next sync shows the message in INBOX again.
    cli.ok(&server, &["sync"]);
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    assert!(reader.message(inbox.id, 2).unwrap().is_some());
}

#[test]
fn subscribe_and_unsubscribe_reach_the_server() {
    let server = TestDovecot::start();
    let mut raw = server.raw_login(server.user());
    let lists = server.folder("Lists");
    raw.command_ok(&format!("CREATE \"{lists}\"")).unwrap();
    let subscribed = || listed(&server, "LSUB \"\" \"*\"").contains(&lists);
    assert!(!subscribed());
    let cli = Cli::new();
    cli.ok(&server, &["folder", "subscribe", &lists]);
    assert!(subscribed());
    let with_attrs = server
        .raw_login(server.user())
        .command_ok(&format!("LIST (SUBSCRIBED) \"\" \"{lists}\""))
        .unwrap();
    assert!(
        with_attrs.iter().any(|l| l.contains("\\Subscribed")),
        "{with_attrs:?}"
    );
    cli.ok(&server, &["folder", "unsubscribe", &lists]);
    assert!(!subscribed());
}

#[test]
fn offline_folder_operations_are_refused_and_change_nothing() {
    let server = TestDovecot::start();
    let cli = Cli::new();
    let fresh = server.folder("Fresh");
    let out = cli.run_on(&server, closed_port(), &["folder", "create", &fresh]);
    assert_ne!(out.status.code(), Some(0));
    let said = stderr(&out);
    assert!(
        said.contains("need the server")
            && said.contains("nothing was changed")
            && said.contains("cannot connect"),
        "{said}"
    );
    assert!(!listed(&server, "LIST \"\" \"*\"").contains(&fresh));
}
