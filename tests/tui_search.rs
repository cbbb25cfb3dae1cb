//! Search everywhere in the real binary, in tmux, against a real Dovecot: a query finds
//! messages in two folders, and a flag set on the result that lives in the folder not open
//! reaches that folder on the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::{SeedMessage, TestDovecot, Tmux};

fn config(dir: &std::path::Path, server: &TestDovecot) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[[accounts]]\nname = \"e2e\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n",
            server.imap_port(),
            server.user(),
            server.password()
        ),
    )
    .unwrap();
    path
}

fn flags(server: &TestDovecot, folder: &str) -> std::collections::BTreeMap<u32, Vec<String>> {
    let mut raw = server.raw_login(server.user());
    raw.examine(folder).unwrap();
    raw.fetch_flags().unwrap()
}

#[test]
fn a_flag_on_a_result_in_another_folder_reaches_that_folder() {
    let server = TestDovecot::start();
    let projects = server.folder("Projects");
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "Budget draft", "first numbers"),
            SeedMessage::text(2, "Weekly notes", "nothing to see"),
        ],
    );
    server.seed_maildir(
        server.user(),
        &projects,
        [
            SeedMessage::text(11, "Budget final", "the signed numbers"),
            SeedMessage::text(12, "Unrelated", "other things"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        config(dir.path(), &server).display(),
        dir.path().join("cache").display()
    ));
    tmux.wait_until("online with the inbox", |s| {
        s.contains("Weekly notes") && s.contains("online")
    });

    // One query, both folders.
    tmux.keys(&["S"]);
    tmux.keys(&["budget"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_until("hits from both folders", |s| {
        s.contains("Search: budget") && s.contains("Budget final") && s.contains("Budget draft")
    });
    assert!(!screen.contains("Weekly notes"), "{screen}");
    assert!(screen.contains("INBOX"), "{screen}");

    // Narrow the results to the one in Projects; if only the server had it, opening it
    // syncs its folder, and the row turns into a cached one.
    tmux.keys(&["/"]);
    tmux.keys(&["final"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_until("one result", |s| s.contains("1 found"));
    assert!(screen.contains("Budget final"), "{screen}");
    if screen.contains("↓") {
        tmux.keys(&["Enter"]);
        tmux.wait_until("the hit in the cache", |s| !s.contains("↓"));
    }
    tmux.keys(&["s"]);
    let mut flagged = false;
    for _ in 0..100 {
        if flags(&server, &projects)
            .get(&1)
            .is_some_and(|f| f.iter().any(|f| f == "\\Flagged"))
        {
            flagged = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(flagged, "the flag reached Projects:\n{}", tmux.screen());
    let inbox = flags(&server, "INBOX");
    assert!(
        inbox.values().all(|f| !f.iter().any(|f| f == "\\Flagged")),
        "nothing flagged in INBOX: {inbox:?}"
    );
    // The result list shows the flag too.
    tmux.wait_for("★");
    tmux.keys(&["Q"]);
    assert!(tmux.exited());
}

#[test]
fn all_inboxes_is_a_view_over_both_accounts() {
    let server = TestDovecot::start();
    let [alice, bob] = [&server.users()[0], &server.users()[1]];
    server.seed_maildir(
        alice,
        "INBOX",
        [
            SeedMessage::text(1, "Alice's quarterly numbers", "The numbers look good."),
            SeedMessage::text(2, "Alice's lunch plans", "Friday?"),
        ],
    );
    server.seed_maildir(
        bob,
        "INBOX",
        [SeedMessage::text(
            3,
            "Bob's build is green",
            "All tests pass.",
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let account = |user: &str| {
        format!(
            "[[accounts]]\nname = \"{user}\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"plain\"\nusername = \"{user}\"\npassword = \"{}\"\n",
            server.imap_port(),
            server.password()
        )
    };
    std::fs::write(&config, format!("{}\n{}", account(alice), account(bob))).unwrap();
    let tmux = Tmux::start(&format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        config.display(),
        dir.path().join("cache").display()
    ));
    // The default view, above the folders, counts both inboxes once both are cached.
    tmux.wait_until("All inboxes counting both accounts", |s| {
        s.lines()
            .any(|l| l.contains("All inboxes") && l.split_whitespace().any(|w| w == "3│"))
    });
    tmux.keys(&["Tab", "g", "Enter"]);
    let screen = tmux.wait_until("both accounts' mail in one list", |s| {
        s.contains("Search: All inboxes")
            && s.contains("Alice's lunch plans")
            && s.contains("Bob's build is green")
    });
    assert!(screen.contains(&format!("{bob}/INBOX")), "{screen}");
    assert!(screen.contains(&format!("{alice}/INBOX")), "{screen}");
    tmux.keys(&["Q"]);
    assert!(tmux.exited());
}
