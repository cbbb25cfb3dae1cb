//! `tern sync`, `list`, `read` and offline `folders` as a user runs them: the real binary,
//! a real Dovecot, and the same commands again with the server stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use support::{SeedMessage, TestDovecot};

struct Cli {
    config: PathBuf,
    cache: PathBuf,
    _dir: tempfile::TempDir,
}

impl Cli {
    fn new(server: &TestDovecot) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, server.account_toml("t", server.imap_port())).unwrap();
        Self {
            config,
            cache: dir.path().join("cache"),
            _dir: dir,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .arg("--config")
            .arg(&self.config)
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(args)
            .output()
            .unwrap()
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
}

fn seed(server: &TestDovecot) {
    let root = SeedMessage::new(
        "From: Alice <alice@example.com>\nTo: bob@example.com\nSubject: Plans for the offsite\n\
         Date: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <root@x>\n\
         Content-Type: text/plain; charset=utf-8\n\nLet us meet on Friday.\n",
    )
    .with_date(1_700_000_000);
    let reply = SeedMessage::new(
        "From: Bob <bob@example.com>\nTo: alice@example.com\nSubject: Re: Plans for the offsite\n\
         Date: Wed, 15 Nov 2023 10:00:00 +0000\nMessage-ID: <reply@x>\nIn-Reply-To: <root@x>\n\
         References: <root@x>\nContent-Type: text/html; charset=utf-8\n\n\
         <p>Friday <b>works</b> for me.</p>\n",
    )
    .with_date(1_700_050_000)
    .with_flags(&["\\Seen", "\\Flagged"]);
    server.seed_maildir(server.user(), "INBOX", [root, reply]);
}

#[test]
fn sync_list_and_read_then_the_same_offline() {
    let mut server = TestDovecot::start();
    seed(&server);
    let cli = Cli::new(&server);

    let synced = cli.run(&["sync"]);
    assert!(synced.status.success());
    let stderr = String::from_utf8_lossy(&synced.stderr);
    assert!(
        stderr.contains("INBOX: 2/2"),
        "progress on stderr: {stderr}"
    );
    assert!(String::from_utf8_lossy(&synced.stdout).contains("INBOX: 2 new"));

    let listed: serde_json::Value = serde_json::from_str(&cli.ok(&["list", "--json"])).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[0]["subject"], "Re: Plans for the offsite",
        "newest first"
    );
    assert_eq!(listed[0]["from"], "Bob");
    assert_eq!(listed[0]["uid"], 2);
    assert_eq!(listed[0]["date"], "2023-11-15T10:00:00Z");
    assert_eq!(
        listed[0]["flags"],
        serde_json::json!(["\\Seen", "\\Flagged"])
    );
    assert!(listed[0]["size"].as_u64().unwrap() > 100);
    assert_eq!(listed[0]["thread"], listed[1]["thread"], "one thread");

    let threaded = cli.ok(&["list", "--threads"]);
    let lines: Vec<&str> = threaded.lines().collect();
    assert!(lines[0].contains("Plans for the offsite") && !lines[0].contains("└─"));
    assert!(lines[1].contains("└─ Re: Plans"), "{threaded}");

    // Not cached yet: fetched with BODY.PEEK, cached, and rendered (HTML to text).
    let text = cli.ok(&["read", "2"]);
    assert!(text.contains("Friday") && text.contains("works"), "{text}");
    assert!(!text.contains("<b>"));
    let raw = cli.ok(&["read", "--raw", "1"]);
    assert!(raw.contains("Message-ID: <root@x>") && raw.contains("Let us meet on Friday."));
    let mut other = server.raw_login(server.user());
    other.examine("INBOX").unwrap();
    assert!(
        !other.fetch_flags().unwrap()[&1]
            .iter()
            .any(|f| f == "\\Seen"),
        "reading never marks as read by side effect"
    );
    drop(other);

    server.stop();
    assert_eq!(cli.ok(&["list", "--json"]).matches("\"uid\"").count(), 2);
    assert!(
        cli.ok(&["read", "2"]).contains("Friday"),
        "cached body read offline"
    );
    let folders = cli.run(&["folders", "--json"]);
    assert!(folders.status.success());
    assert!(String::from_utf8_lossy(&folders.stderr).contains("offline"));
    let rows: serde_json::Value = serde_json::from_slice(&folders.stdout).unwrap();
    assert_eq!(rows[0]["name"], "INBOX");
    assert_eq!(rows[0]["messages"], 2);
    assert_eq!(rows[0]["unseen"], 1);
    let failed = cli.run(&["sync"]);
    assert_eq!(failed.status.code(), Some(1), "sync needs the server");
}

#[test]
fn list_of_an_unsynced_folder_says_what_to_do() {
    let server = TestDovecot::start();
    let cli = Cli::new(&server);
    let output = cli.run(&["list", "--folder", &server.folder("Archive")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("tern sync"));
}

#[test]
fn prefetched_bodies_can_be_read_offline() {
    let mut server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        (1..=8).map(|n| SeedMessage::text(n, &format!("note {n}"), &format!("body number {n}"))),
    );
    let cli = Cli::new(&server);
    let mut config = std::fs::read_to_string(&cli.config).unwrap();
    config.push_str("\n[sync]\nprefetch_bodies = 3\n");
    std::fs::write(&cli.config, config).unwrap();
    cli.ok(&["sync"]);
    server.stop();
    // The newest three were fetched during the sync; the oldest was not.
    for uid in 6..=8 {
        assert!(
            cli.ok(&["read", &uid.to_string()])
                .contains(&format!("body number {uid}"))
        );
    }
    let missing = cli.run(&["read", "1"]);
    assert_eq!(
        missing.status.code(),
        Some(1),
        "not cached and the server is gone"
    );
}
