//! Several accounts in the real binary, in tmux against one Dovecot with two users: each
//! account is a section of the sidebar, and opening the second account's INBOX shows that
//! account's mail (its own cache, its own engine).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::{SeedMessage, TestDovecot, Tmux};

/// The sidebar's text: what sits between the first two `│` of each screen line.
fn sidebar(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|line| {
            let mut columns = line.split('│');
            columns.next()?;
            let cell = columns.next()?;
            columns.next()?;
            Some(cell.trim_end().to_string())
        })
        .collect()
}

/// The folder rows of `account`'s section (its header is `▸ account`).
fn section(screen: &str, account: &str) -> Vec<String> {
    let header = format!("▸ {account}");
    sidebar(screen)
        .into_iter()
        .skip_while(|row| row.trim() != header)
        .skip(1)
        .take_while(|row| !row.trim().is_empty() && !row.trim_start().starts_with('▸'))
        .map(|row| row.trim().to_string())
        .collect()
}

/// Is `folder` listed (its name, maybe followed by a count) in `account`'s section?
fn lists(screen: &str, account: &str, folder: &str) -> bool {
    section(screen, account)
        .iter()
        .any(|row| row.split_whitespace().next() == Some(folder))
}

#[test]
fn every_account_is_a_section_and_opens_its_own_mail() {
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
            1,
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
    let tern = |args: &str| {
        format!(
            "{} --config {} --cache-dir {}{args}",
            env!("CARGO_BIN_EXE_tern"),
            config.display(),
            dir.path().join("cache").display()
        )
    };

    let tmux = Tmux::start(&tern(""));
    // The first account's INBOX opens first; both accounts get their folders. (Waits
    // include the status line, the last row drawn, so no frame is half-drawn when read.)
    let screen = tmux.wait_until("alice's INBOX and both accounts' folders", |screen| {
        screen.contains("Alice's lunch plans")
            && screen.contains(&format!("{alice} · INBOX"))
            && lists(screen, alice, "INBOX")
            && lists(screen, bob, "INBOX")
    });
    assert!(screen.contains("Alice's quarterly numbers"), "{screen}");
    assert!(!screen.contains("Bob's build"), "{screen}");
    let headers: Vec<String> = sidebar(&screen)
        .into_iter()
        .filter(|row| row.starts_with('▸'))
        .collect();
    assert_eq!(
        headers,
        [format!("▸ {alice}"), format!("▸ {bob}")],
        "{screen}"
    );
    // Alice's folders, INBOX first; read until two looks agree (a redraw may be under way).
    let mut alice_folders = section(&screen, alice);
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let again = section(&tmux.screen(), alice);
        if again == alice_folders {
            break;
        }
        alice_folders = again;
    }
    assert_eq!(
        alice_folders
            .first()
            .and_then(|r| r.split_whitespace().next()),
        Some("INBOX"),
        "{screen}"
    );

    // Folders focus, down past alice's folders onto bob's INBOX (the first of his), open.
    tmux.keys(&["Tab"]);
    for _ in 0..alice_folders.len() {
        tmux.keys(&["j"]);
    }
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_until("bob's INBOX", |screen| {
        screen.contains("Bob's build is green") && screen.contains(&format!("{bob} · INBOX"))
    });
    assert!(!screen.contains("Alice's lunch plans"), "{screen}");
    // His message reads from his cache.
    tmux.keys(&["Enter"]);
    tmux.wait_for("All tests pass.");
    tmux.keys(&["q", "q"]);
    assert!(tmux.exited(), "tern did not quit:\n{}", tmux.screen());
    drop(tmux);

    // `--account bob` opens his INBOX first, both sections still there.
    let tmux = Tmux::start(&tern(&format!(" --account {bob}")));
    let screen = tmux.wait_until("bob's INBOX and both sections from the caches", |screen| {
        screen.contains("Bob's build is green")
            && screen.contains(&format!("{bob} · INBOX"))
            && lists(screen, alice, "INBOX")
            && lists(screen, bob, "INBOX")
    });
    assert!(!screen.contains("Alice's lunch plans"), "{screen}");
    tmux.keys(&["q"]);
    assert!(tmux.exited(), "tern did not quit:\n{}", tmux.screen());
}
