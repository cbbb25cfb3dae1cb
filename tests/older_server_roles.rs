//! A server that names no special-use folders (personal prefix `INBOX.`, "." separator, no
//! SPECIAL-USE): roles are recognised by their usual names, `tern delete` moves to the Trash
//! found that way, and with no Trash at all it refuses instead of destroying mail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::shown;

use std::process::{Command, Output};

use support::{DovecotOptions, SeedMessage, TestDovecot};

struct Cli {
    dir: tempfile::TempDir,
    port: u16,
    user: String,
}

impl Cli {
    fn new(server: &TestDovecot, extra: &str) -> Self {
        let cli = Self {
            dir: tempfile::tempdir().unwrap(),
            port: server.imap_port(),
            user: server.user().to_string(),
        };
        std::fs::write(
            cli.dir.path().join("config.toml"),
            format!(
                "[[accounts]]\nname = \"old\"\nhost = \"127.0.0.1\"\nport = {}\n\
                 security = \"plain\"\nusername = \"{}\"\npassword = \"password\"\n{extra}\n",
                cli.port, cli.user
            ),
        )
        .unwrap();
        cli
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args)
            .env_remove("TERN_LOG")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

fn seed(server: &TestDovecot) {
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "one", "x"),
            SeedMessage::text(2, "two", "x"),
        ],
    );
}

fn uids_on_server(server: &TestDovecot, folder: &str) -> Vec<u32> {
    let mut raw = server.raw_login(server.user());
    raw.examine(folder).unwrap();
    raw.uid_search_all().unwrap()
}

#[test]
fn the_older_server_names_no_special_use_and_offers_none_of_the_extensions() {
    let server = TestDovecot::start_with(DovecotOptions::default().older_server());
    let mut raw = server.raw_login(server.user());
    let caps = raw.capabilities().unwrap();
    for missing in ["SPECIAL-USE", "MOVE", "CONDSTORE", "QRESYNC", "LITERAL+"] {
        assert!(!caps.iter().any(|c| c == missing), "{missing} in {caps:?}");
    }
    let list = raw.command_ok("LIST \"\" \"*\"").unwrap().join("\n");
    assert!(
        list.contains("\"INBOX.Trash\"") || list.contains(" INBOX.Trash"),
        "{list}"
    );
    assert!(!list.contains("\\Trash"), "{list}");
}

#[test]
fn roles_are_recognised_by_name_and_delete_moves_to_the_trash_found_that_way() {
    let server = TestDovecot::start_with(DovecotOptions::default().older_server());
    seed(&server);
    let cli = Cli::new(&server, "");
    cli.ok(&["sync", "--all"]);

    let json: serde_json::Value = serde_json::from_str(&cli.ok(&["folders", "--json"])).unwrap();
    let role_of = |name: &str| {
        let folder = json
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {json}"));
        (
            folder["role"].as_str().map(str::to_string),
            folder["role_by_name"].as_bool().unwrap(),
        )
    };
    assert_eq!(role_of("INBOX"), (Some("inbox".into()), false));
    for (name, role) in [
        ("INBOX.Trash", "trash"),
        ("INBOX.Sent", "sent"),
        ("INBOX.Drafts", "drafts"),
        ("INBOX.Junk", "junk"),
        ("INBOX.Archive", "archive"),
    ] {
        assert_eq!(role_of(name), (Some(role.into()), true), "{name}");
    }
    let table = cli.ok(&["folders"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("INBOX.Trash") && l.contains("trash (by name)")),
        "{table}"
    );

    cli.ok(&["delete", "1"]);
    assert_eq!(uids_on_server(&server, "INBOX"), vec![2]);
    assert_eq!(uids_on_server(&server, "INBOX.Trash").len(), 1);
}

#[test]
fn delete_without_any_trash_refuses_and_keeps_the_message() {
    // The older server, minus its Trash: no special-use, no usual name, nothing configured.
    let server = TestDovecot::start_with(
        DovecotOptions::default()
            .older_server()
            .extra_config("namespace inbox {\n  mailbox Trash {\n    auto = no\n  }\n}"),
    );
    seed(&server);
    let cli = Cli::new(&server, "");
    cli.ok(&["sync", "--all"]);
    let folders = cli.ok(&["folders"]);
    assert!(!folders.contains("Trash"), "{folders}");

    let out = cli.run(&["delete", "1"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no Trash folder is known"), "{stderr}");
    assert!(stderr.contains("trash = \"FOLDER\""), "{stderr}");
    assert!(stderr.contains("delete = \"expunge\""), "{stderr}");
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1, 2]);
    // Nothing waits to be sent either: the refusal recorded nothing.
    cli.ok(&["sync"]);
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1, 2]);

    // Deleting for good is still there for whoever chose it.
    let expunging = Cli::new(&server, "delete = \"expunge\"");
    expunging.ok(&["sync", "--all"]);
    expunging.ok(&["delete", "1"]);
    assert_eq!(uids_on_server(&server, "INBOX"), vec![2]);

    // And a configured trash is used as it is.
    server
        .raw_login(server.user())
        .command_ok("CREATE INBOX.Papierkorb")
        .unwrap();
    let configured = Cli::new(&server, "trash = \"INBOX.Papierkorb\"");
    configured.ok(&["sync", "--all"]);
    configured.ok(&["delete", "2"]);
    assert!(uids_on_server(&server, "INBOX").is_empty());
    assert_eq!(uids_on_server(&server, "INBOX.Papierkorb").len(), 1);
}

/// The TUI's `d` without a Trash asks; its "y" records `Act::Expunge`, which removes exactly
/// the chosen message, while a plain delete is still refused.
#[tokio::test]
async fn a_confirmed_delete_for_good_without_a_trash_removes_just_that_message() {
    use tern::sync::journal::{self, Act};
    let server = TestDovecot::start_with(
        DovecotOptions::default()
            .older_server()
            .extra_config("namespace inbox {\n  mailbox Trash {\n    auto = no\n  }\n}"),
    );
    seed(&server);
    let dir = tempfile::tempdir().unwrap();
    let store = tern::store::Store::open(&dir.path().join("c.sqlite")).unwrap();
    let (events, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut client = server.tern_client().await;
    tern::sync::sync_account(&mut client, &store, &tern::sync::Folders::All, &events)
        .await
        .unwrap();
    let filing = tern::config::Filing::default();
    let one: tern::domain::uidset::UidSet = [1].into_iter().collect();
    let refused = journal::record(
        &store,
        "INBOX",
        shown(&store, "INBOX"),
        one.clone(),
        Act::Delete,
        &filing,
    )
    .await;
    assert!(
        matches!(refused, Err(tern::sync::SyncError::NoTrash)),
        "{refused:?}"
    );
    journal::record(
        &store,
        "INBOX",
        shown(&store, "INBOX"),
        one,
        Act::Expunge,
        &filing,
    )
    .await
    .unwrap();
    assert_eq!(
        journal::replay(&mut client, &store, &events).await.unwrap(),
        1
    );
    assert_eq!(uids_on_server(&server, "INBOX"), vec![2]);
}
