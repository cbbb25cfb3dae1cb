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

/// Whether the sidebar (the left column) lists `label`.
fn in_sidebar(screen: &str, label: &str) -> bool {
    screen
        .lines()
        .filter(|l| l.starts_with('│'))
        .any(|l| l.chars().take(24).collect::<String>().contains(label))
}

#[test]
fn folders_are_made_hidden_shown_and_deleted_from_the_sidebar() {
    let server = TestDovecot::start();
    let (zuletzt, versteckt) = (server.folder("Zuletzt"), server.folder("Versteckt"));
    server.seed_maildir(server.user(), "INBOX", [SeedMessage::text(1, "hello", "x")]);
    server.seed_maildir(
        server.user(),
        &zuletzt,
        [
            SeedMessage::text(1, "old one", "x"),
            SeedMessage::text(2, "old two", "x"),
        ],
    );
    // Made by another client and not subscribed: hidden until asked for.
    let mut other = server.raw_login(server.user());
    other.command_ok(&format!("CREATE {versteckt}")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tmux = open(&server, &dir);
    tmux.wait_for("online");
    let screen = tmux.wait_until("Zuletzt in the sidebar", |s| in_sidebar(s, "Zuletzt"));
    assert!(!in_sidebar(&screen, "Versteckt"), "{screen}");
    tmux.keys(&["Tab", "A"]);
    tmux.wait_until("Versteckt shown", |s| in_sidebar(s, "Versteckt"));
    tmux.keys(&["A"]);
    tmux.wait_until("Versteckt hidden again", |s| !in_sidebar(s, "Versteckt"));

    // D on the folder under the cursor asks, saying what goes with it; n keeps it.
    tmux.keys(&[":", &format!("folder {zuletzt}"), "Enter", "Tab", "D"]);
    tmux.wait_for(&format!(
        "Delete folder {zuletzt} and its 2 messages on the server? y/n"
    ));
    tmux.keys(&["n"]);
    tmux.wait_for("nothing deleted");
    assert!(on_server(&server).contains(&zuletzt));
    tmux.keys(&["D"]);
    tmux.wait_for(&format!("Delete folder {zuletzt}"));
    tmux.keys(&["y"]);
    tmux.wait_for(&format!("deleted {zuletzt}"));
    assert!(!on_server(&server).contains(&zuletzt));
    tmux.wait_until("Zuletzt gone from the sidebar", |s| {
        !in_sidebar(s, "Zuletzt")
    });

    // A role folder: y is not enough.
    let trash = server.folder("Trash");
    tmux.keys(&[":", &format!("rmdir {trash}"), "Enter"]);
    tmux.wait_for(&format!("{trash} is the trash folder"));
    tmux.keys(&["y"]);
    tmux.wait_for("only F deletes it");
    assert!(on_server(&server).contains(&trash));

    // A name in any language, as other clients spell it (modified UTF-7).
    let name = server.folder("Überweisungen/日本語");
    tmux.keys(&[":", &format!("mkdir {name}"), "Enter"]);
    tmux.wait_for(&format!("created {name}"));
    let names = on_server(&server);
    let wire = tern::imap::mutf7::encode(&name);
    assert!(
        wire.contains("&ANw-berweisungen") && wire.contains("&ZeVnLIqe-"),
        "{wire}"
    );
    assert!(names.contains(&wire), "{names:?}");
    tmux.wait_until("the new folder in the sidebar", |s| in_sidebar(s, "日本語"));
}
