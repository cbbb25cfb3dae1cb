//! Folder management in the real binary, in tmux against a real Dovecot: a delete asked and
//! answered on the status line, a role folder refused without `F`, a folder made with a
//! non-ASCII name, and unsubscribed folders shown on request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::{SeedMessage, TestDovecot, Tmux};

fn open(server: &TestDovecot, dir: &tempfile::TempDir) -> Tmux {
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nname = \"e2e\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n",
            server.imap_port(),
            server.user(),
            server.password()
        ),
    )
    .unwrap();
    Tmux::start(&format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        config.display(),
        dir.path().join("cache").display()
    ))
}

/// The mailbox names of a raw LIST, as the server spells them.
fn on_server(server: &TestDovecot) -> Vec<String> {
    let mut raw = server.raw_login(server.user());
    raw.command_ok("LIST \"\" \"*\"")
        .unwrap()
        .into_iter()
        .filter(|l| l.starts_with("* LIST"))
        .filter_map(|l| Some(l.rsplit_once(' ')?.1.trim_matches('"').to_string()))
        .collect()
}

#[test]
fn folders_are_made_hidden_shown_and_deleted_from_the_sidebar() {
    let server = TestDovecot::start();
    server.seed_maildir(server.user(), "INBOX", [SeedMessage::text(1, "hello", "x")]);
    server.seed_maildir(
        server.user(),
        "Zuletzt",
        [
            SeedMessage::text(1, "old one", "x"),
            SeedMessage::text(2, "old two", "x"),
        ],
    );
    // Made by another client and not subscribed: hidden until asked for.
    let mut other = server.raw_login(server.user());
    other.command_ok("CREATE Versteckt").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tmux = open(&server, &dir);
    tmux.wait_for("online");
    let screen = tmux.wait_for("Zuletzt");
    assert!(!screen.contains("Versteckt"), "{screen}");
    tmux.keys(&["Tab", "A"]);
    tmux.wait_for("Versteckt");
    tmux.keys(&["A"]);
    tmux.wait_until("Versteckt hidden again", |s| !s.contains("Versteckt"));

    // D asks, saying what goes with the folder; n keeps it.
    tmux.keys(&["G", "D"]);
    tmux.wait_for("Delete folder Zuletzt and its 2 messages on the server? y/n");
    tmux.keys(&["n"]);
    tmux.wait_for("nothing deleted");
    assert!(on_server(&server).contains(&"Zuletzt".to_string()));
    tmux.keys(&["D"]);
    tmux.wait_for("Delete folder Zuletzt");
    tmux.keys(&["y"]);
    tmux.wait_for("deleted Zuletzt");
    assert!(!on_server(&server).contains(&"Zuletzt".to_string()));
    // The status line still says what was deleted: look at the sidebar's rows.
    tmux.wait_until("Zuletzt gone from the sidebar", |s| {
        !s.contains("│  Zuletzt")
    });

    // A role folder: y is not enough.
    tmux.keys(&[":", "rmdir Trash", "Enter"]);
    tmux.wait_for("Trash is the trash folder");
    tmux.keys(&["y"]);
    tmux.wait_for("only F deletes it");
    assert!(on_server(&server).contains(&"Trash".to_string()));

    // A name in any language, as other clients spell it (modified UTF-7).
    tmux.keys(&[":", "mkdir Überweisungen/日本語", "Enter"]);
    tmux.wait_for("created Überweisungen/日本語");
    let names = on_server(&server);
    assert!(
        names.contains(&"&ANw-berweisungen/&ZeVnLIqe-".to_string()),
        "{names:?}"
    );
    tmux.wait_for("日本語");
}
