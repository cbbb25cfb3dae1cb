//! The real binary in tmux against a real Dovecot: new mail shows where the user looks (and
//! runs the user's hook), and no keypress loses data: Esc never quits, deleting for good
//! asks, saving never overwrites, quitting says what is still unsent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::{SeedMessage, TestDovecot, Tmux};

/// A config for the test account at `port` with `ui` lines under `[ui]`.
fn config(dir: &Path, server: &TestDovecot, port: u16, ui: &str) -> PathBuf {
    let path = dir.join(format!("config-{port}.toml"));
    std::fs::write(
        &path,
        format!(
            "[[accounts]]\nname = \"e2e\"\nhost = \"127.0.0.1\"\nport = {port}\n\
             security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n\n[ui]\n{ui}\n",
            server.user(),
            server.password()
        ),
    )
    .unwrap();
    path
}

/// tern in a shell that stays open after it exits, so what it prints on leaving stays on
/// screen ("EXITED" marks the end).
fn open(dir: &Path, config: &Path, width: u16, height: u16) -> Tmux {
    let tern = format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        config.display(),
        dir.join("cache").display()
    );
    Tmux::start_sized(
        &format!("sh -c '{tern}; echo EXITED; sleep 60'"),
        width,
        height,
    )
}

/// Polls (another client) until `check` holds, for up to 10 s.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

fn count_on_server(server: &TestDovecot, folder: &str) -> usize {
    let mut raw = server.raw_login(server.user());
    raw.examine(folder).unwrap();
    raw.uid_search_all().unwrap().len()
}

#[test]
fn new_mail_shows_at_the_top_is_counted_when_scrolled_and_runs_the_hook() {
    let server = TestDovecot::start();
    let seeded: Vec<SeedMessage> = (1..=60)
        .map(|n| {
            SeedMessage::text(n, &format!("Seeded number {n:02}"), "Body of a seeded one.")
                .with_flags(&["\\Seen"])
        })
        .collect();
    server.seed_maildir(server.user(), "INBOX", &seeded);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hook.out");
    let hook = dir.path().join("hook.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\n{{ printf 'arg=%s\\n' \"$@\"; env | grep '^TERN_' | sort; }} > {0}.tmp\n\
             mv {0}.tmp {0}\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o700)).unwrap();
    let ui = format!(
        "new_mail_command = [\"{}\", \"{{folder}}\", \"{{from}}: {{subject}}\"]\n",
        hook.display()
    );
    let cfg = config(dir.path(), &server, server.imap_port(), &ui);
    // 30 rows: far fewer than 60 messages.
    let tmux = open(dir.path(), &cfg, 120, 30);
    tmux.wait_until("online with the list", |s| {
        s.contains("Seeded number") && s.contains("online")
    });

    // At the top: new mail appears at the top of the view.
    let mut other = server.raw_login(server.user());
    let subject = "Fresh at the top $(id); `x`";
    other
        .append("INBOX", &[], &SeedMessage::text(100, subject, "hi").raw)
        .unwrap();
    let screen = tmux.wait_for("Fresh at the top");
    assert!(!screen.contains("new "), "no count at the top:\n{screen}");
    assert!(
        eventually(|| out.exists()),
        "the hook ran:\n{}",
        tmux.screen()
    );
    let ran = std::fs::read_to_string(&out).unwrap();
    assert!(ran.contains("arg=INBOX\n"), "{ran}");
    assert!(ran.contains(&format!("arg=Sender: {subject}\n")), "{ran}");
    assert!(ran.contains("TERN_FOLDER=INBOX\n"), "{ran}");
    assert!(ran.contains(&format!("TERN_SUBJECT={subject}\n")), "{ran}");
    assert!(ran.contains("TERN_FROM=Sender\n"), "{ran}");

    // Scrolled to the bottom with the reader open: the view keeps its place, says what
    // came in above, and the reader keeps its message.
    tmux.keys(&["G", "Enter"]);
    // Appended once the body is shown: a push that lands while the engine fetches a body
    // is not what this test is about.
    let screen = tmux.wait_for("Body of a seeded one.");
    let open_subject = screen
        .lines()
        .find_map(|l| l.split("Subject: ").nth(1))
        .map(|s| s.trim_end_matches(['│', ' ']).to_string())
        .unwrap();
    other
        .append(
            "INBOX",
            &[],
            &SeedMessage::text(101, "Second arrival", "hi").raw,
        )
        .unwrap();
    let screen = tmux.wait_for("↑ 1 new");
    assert!(!screen.contains("Second arrival"), "{screen}");
    assert!(
        screen.contains(&format!("Subject: {open_subject}")),
        "the cursor kept its message ({open_subject}):\n{screen}"
    );
    // Esc closes the reader, then does nothing; g shows the new mail and clears the count.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the reader closed", |s| !s.contains("Subject: "));
    tmux.keys(&["Escape", "Escape"]);
    tmux.keys(&["g"]);
    let screen = tmux.wait_for("Second arrival");
    assert!(!screen.contains("↑ 1 new"), "{screen}");
    assert!(!screen.contains("EXITED"), "Esc never quits:\n{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED");
}

/// A message with a text attachment named `name`.
fn with_attachment(n: u64, subject: &str, name: &str, content: &str) -> SeedMessage {
    SeedMessage::new(format!(
        "From: Sender <sender@example.com>\nTo: alice@example.com\nSubject: {subject}\n\
         Date: Thu, 14 Mar 2024 10:{n:02}:00 +0000\nMessage-ID: <att.{n}@example.com>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
         --b\nContent-Type: text/plain\n\nSee attached.\n\
         --b\nContent-Type: text/plain; name=\"{name}\"\n\
         Content-Disposition: attachment; filename=\"{name}\"\n\n{content}\n--b--\n"
    ))
}

#[test]
fn no_keypress_loses_data() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            with_attachment(1, "Has the report", "report.txt", "quarterly report"),
            with_attachment(2, "Tag me first", "a.txt", "a"),
            with_attachment(3, "Tag me second", "b.txt", "b"),
        ],
    );
    server.seed_maildir(
        server.user(),
        "Trash",
        [SeedMessage::text(4, "Already binned", "x")],
    );
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("dl");
    std::fs::create_dir(&downloads).unwrap();
    std::fs::write(downloads.join("report.txt"), "mine, keep it").unwrap();
    let ui = format!("download_dir = \"{}\"\n", downloads.display());
    let cfg = config(dir.path(), &server, server.imap_port(), &ui);
    let tmux = open(dir.path(), &cfg, 120, 30);
    tmux.wait_until("online with the list", |s| {
        s.contains("Tag me second") && s.contains("online")
    });

    // Newest first: "Tag me second", "Tag me first", "Has the report". `t t` tags the two
    // (t moves on), `; a` archives both and says so.
    tmux.keys(&["t", "t", "\\;", "a"]);
    tmux.wait_until("both left the list", |s| {
        s.contains("2 moved to Archive · u undo") && !s.contains("Tag me")
    });
    assert!(eventually(|| count_on_server(&server, "Archive") == 2));

    // Saving next to an existing file never overwrites it.
    tmux.keys(&["Enter"]);
    tmux.wait_for("See attached.");
    tmux.keys(&["v"]);
    tmux.wait_for("report.txt");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("{}", downloads.join("report.txt").display()));
    tmux.keys(&["Enter"]);
    let saved = downloads.join("report (1).txt");
    let screen = tmux.wait_for("report.txt exists; saved as");
    assert!(screen.contains("report (1).txt"), "{screen}");
    assert_eq!(
        std::fs::read_to_string(downloads.join("report.txt")).unwrap(),
        "mine, keep it"
    );
    assert!(
        std::fs::read_to_string(&saved)
            .unwrap()
            .contains("quarterly report")
    );
    let mode = std::fs::metadata(&saved).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // `d` moves it to the Trash and says so.
    tmux.keys(&["q", "d"]);
    tmux.wait_for("1 deleted · u undo");
    assert!(eventually(|| count_on_server(&server, "Trash") == 2));

    // In the Trash, `d` asks; `n` keeps it, `y` removes it for good.
    tmux.keys(&[
        ":", "f", "o", "l", "d", "e", "r", " ", "T", "r", "a", "s", "h", "Enter",
    ]);
    tmux.wait_until("the Trash", |s| {
        s.contains("Already binned") && s.contains("Has the report")
    });
    tmux.keys(&["d"]);
    tmux.wait_for("Delete 1 message for good? y/n");
    tmux.keys(&["n"]);
    tmux.wait_for("nothing deleted");
    assert_eq!(count_on_server(&server, "Trash"), 2);
    tmux.keys(&["d"]);
    tmux.wait_for("for good? y/n");
    tmux.keys(&["y"]);
    // The cursor was on the newest, "Already binned".
    tmux.wait_until("it left the list", |s| {
        s.contains("1 deleted for good") && !s.contains("Already binned")
    });
    assert!(eventually(|| count_on_server(&server, "Trash") == 1));

    // Esc in the list does nothing; q quits.
    tmux.keys(&["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!tmux.screen().contains("EXITED"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(!screen.contains("not sent yet"), "{screen}");
    drop(tmux);

    // Offline: an action waits, and quitting says it will be sent on the next start.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let offline = config(dir.path(), &server, port, &ui);
    let tmux = open(dir.path(), &offline, 120, 30);
    tmux.wait_for("INBOX");
    // The Trash was opened online, so its rows are cached.
    tmux.keys(&[
        ":", "f", "o", "l", "d", "e", "r", " ", "T", "r", "a", "s", "h", "Enter",
    ]);
    tmux.wait_for("Has the report");
    tmux.keys(&["s"]);
    tmux.wait_for("1 pending");
    tmux.keys(&["Q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(
        screen.contains("tern: 1 action not sent yet; it will be sent on the next start."),
        "{screen}"
    );
}

/// On a server with no Trash (older shape, no special-use, no usual name), `d` asks before
/// removing for good; `n` keeps the message, `y` removes exactly that one.
#[test]
fn without_a_trash_d_asks_and_only_a_yes_removes() {
    let server = TestDovecot::start_with(
        support::DovecotOptions::default()
            .older_server()
            .extra_config("namespace inbox {\n  mailbox Trash {\n    auto = no\n  }\n}"),
    );
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "Keep this one", "x"),
            SeedMessage::text(2, "Remove this one", "x"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &server, server.imap_port(), "");
    let tmux = open(dir.path(), &config, 120, 30);
    tmux.wait_for("Remove this one");
    tmux.keys(&["d"]);
    tmux.wait_for("No Trash folder: delete 1 message for good? y/n");
    tmux.keys(&["n"]);
    tmux.wait_for("nothing deleted");
    assert_eq!(count_on_server(&server, "INBOX"), 2);
    tmux.keys(&["d"]);
    tmux.wait_for("No Trash folder: delete 1 message for good? y/n");
    tmux.keys(&["y"]);
    tmux.wait_for("1 deleted for good");
    assert!(
        eventually(|| count_on_server(&server, "INBOX") == 1),
        "the confirmed delete reached the server"
    );
    let screen = tmux.screen();
    assert!(screen.contains("Keep this one"), "{screen}");
    assert!(!screen.contains("Remove this one"), "{screen}");
}
