//! The real binary in tmux against a real Dovecot, looked at the way a person would: the
//! list shows the seeded subjects, Enter shows the body, and mail appended by another
//! client appears on screen without a key press.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::process::Command;

use support::{SeedMessage, TestDovecot, Tmux};

/// A cache directory and configs for one account on the test server, and tern in tmux.
struct Tern {
    dir: tempfile::TempDir,
    user: String,
    password: String,
}

impl Tern {
    fn new(server: &TestDovecot) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            user: server.user().to_string(),
            password: server.password().to_string(),
        }
    }

    /// A config for the account "e2e" at `port` (the server's, or a dead one).
    fn config(&self, port: u16) -> std::path::PathBuf {
        let path = self.dir.path().join(format!("config-{port}.toml"));
        std::fs::write(
            &path,
            format!(
                "[[accounts]]\nname = \"e2e\"\nhost = \"127.0.0.1\"\nport = {port}\n\
                 security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n",
                self.user, self.password
            ),
        )
        .unwrap();
        path
    }

    fn cache(&self) -> std::path::PathBuf {
        self.dir.path().join("cache")
    }

    /// The TUI on the account at `port`, in a new tmux session.
    fn open(&self, port: u16) -> Tmux {
        Tmux::start(&format!(
            "{} --config {} --cache-dir {}",
            env!("CARGO_BIN_EXE_tern"),
            self.config(port).display(),
            self.cache().display()
        ))
    }
}

#[test]
fn list_reader_and_pushed_mail_on_a_real_terminal() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "Quarterly numbers", "The numbers look good."),
            SeedMessage::text(2, "Lunch on Friday?", "Shall we try the new place?"),
        ],
    );
    let tern = Tern::new(&server);
    let tmux = tern.open(server.imap_port());
    let screen = tmux.wait_until("the list and the status line", |s| {
        s.contains("Lunch on Friday?") && s.contains("e2e · INBOX")
    });
    assert!(screen.contains("Quarterly numbers"), "{screen}");
    assert!(screen.contains("e2e · INBOX"), "status line: {screen}");
    tmux.wait_for("online");

    // The newest message is under the cursor; open it.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Shall we try the new place?");
    assert!(screen.contains("Subject: Lunch on Friday?"), "{screen}");

    let mut other = server.raw_login(server.user());
    other
        .append(
            "INBOX",
            &[],
            &SeedMessage::text(3, "Pushed while you were reading", "hello").raw,
        )
        .unwrap();
    let screen = tmux.wait_for("Pushed while you were reading");
    assert!(
        screen.contains("3 unread / 3") || screen.contains("/ 3"),
        "{screen}"
    );

    // q closes the reader, q again quits and the shell gets its terminal back.
    tmux.keys(&["q"]);
    tmux.keys(&["q"]);
    assert!(
        tmux.exited(),
        "tern did not quit on q q:\n{}",
        tmux.screen()
    );
}

#[test]
fn a_stalled_server_leaves_the_ui_responsive() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "Cached and readable", "This body is in the cache."),
            SeedMessage::text(2, "Second message", "x"),
        ],
    );
    let tern = Tern::new(&server);
    let online = tern.config(server.imap_port());
    for args in [&["sync"][..], &["read", "1"][..]] {
        let status = Command::new(env!("CARGO_BIN_EXE_tern"))
            .arg("--config")
            .arg(&online)
            .arg("--cache-dir")
            .arg(tern.cache())
            .args(args)
            .output()
            .unwrap()
            .status;
        assert!(status.success(), "tern {args:?}");
    }

    // A server that accepts and then never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let tmux = tern.open(port);
    let screen = tmux.wait_until("the cached list and the status line", |s| {
        s.contains("Cached and readable") && s.contains("e2e · INBOX")
    });
    assert!(screen.contains("Second message"), "{screen}");
    assert!(!screen.contains("online"), "never online: {screen}");
    // Newest first: UID 2 is on top; move to UID 1 and open its cached body.
    tmux.keys(&["j", "Enter"]);
    tmux.wait_for("This body is in the cache.");
    tmux.keys(&["q", "q"]);
    assert!(
        tmux.exited(),
        "tern did not quit while the server stalled:\n{}",
        tmux.screen()
    );
}

#[test]
fn flagging_in_the_reader_reaches_the_server_and_offline_it_waits() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "Flag me", "x")],
    );
    let tern = Tern::new(&server);
    let flags_on_server = || {
        let mut raw = server.raw_login(server.user());
        raw.examine("INBOX").unwrap();
        raw.fetch_flags().unwrap()[&1].clone()
    };

    let tmux = tern.open(server.imap_port());
    tmux.wait_until("online with the message", |s| {
        s.contains("Flag me") && s.contains("online")
    });
    tmux.keys(&["s"]);
    let mut flagged = false;
    for _ in 0..100 {
        if flags_on_server().iter().any(|f| f == "\\Flagged") {
            flagged = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(flagged, "s reached the server:\n{}", tmux.screen());
    tmux.keys(&["Q"]);
    assert!(tmux.exited());

    // Offline: the change shows at once and the status line says it waits.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let tmux = tern.open(port);
    tmux.wait_for("Flag me");
    tmux.keys(&["n"]);
    tmux.wait_for("1 pending");
    tmux.keys(&["Q"]);
    assert!(tmux.exited());
    assert!(
        !flags_on_server().iter().any(|f| f == "\\Seen"),
        "nothing sent while offline"
    );
    // The next tern that connects sends it.
    let tmux = tern.open(server.imap_port());
    tmux.wait_until("online, nothing pending", |s| {
        s.contains("online") && !s.contains("pending")
    });
    assert!(flags_on_server().iter().any(|f| f == "\\Seen"));
    tmux.keys(&["Q"]);
}

#[test]
fn delete_moves_the_message_to_the_trash_on_screen_and_on_the_server() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "Keep this one", "x"),
            SeedMessage::text(2, "Throw this away", "x"),
        ],
    );
    let tern = Tern::new(&server);
    let tmux = tern.open(server.imap_port());
    tmux.wait_until("online with both messages", |s| {
        s.contains("Throw this away") && s.contains("Keep this one") && s.contains("online")
    });
    // Both share a date: the higher UID sorts first, so the cursor is on "Throw this away".
    tmux.keys(&["d"]);
    tmux.wait_until("the message left the list", |s| {
        !s.contains("Throw this away") && s.contains("Keep this one")
    });
    let mut in_trash = false;
    for _ in 0..100 {
        let mut raw = server.raw_login(server.user());
        raw.examine("Trash").unwrap();
        if raw.uid_search_all().unwrap().len() == 1 {
            raw.examine("INBOX").unwrap();
            in_trash = raw.uid_search_all().unwrap() == vec![1];
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        in_trash,
        "the server has it in the Trash:\n{}",
        tmux.screen()
    );
    tmux.keys(&["Q"]);
    assert!(tmux.exited());
}

/// Polls the server (another client) until `check` holds, for up to 10 s.
fn server_eventually(mut check: impl FnMut() -> bool) -> bool {
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
fn move_through_the_folder_picker_then_undo_it() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "Stays here", "x"),
            SeedMessage::text(2, "File me away", "x"),
        ],
    );
    let tern = Tern::new(&server);
    let tmux = tern.open(server.imap_port());
    tmux.wait_until("online with both messages", |s| {
        s.contains("File me away") && s.contains("Stays here") && s.contains("online")
    });
    // The cursor is on "File me away" (same date, higher UID first).
    tmux.keys(&["m"]);
    tmux.wait_for("Move to");
    tmux.keys(&["a", "r", "c", "Enter"]);
    tmux.wait_until("the message left the list", |s| {
        !s.contains("File me away") && !s.contains("Move to")
    });
    assert!(
        server_eventually(|| count_on_server(&server, "Archive") == 1),
        "moved on the server:\n{}",
        tmux.screen()
    );
    assert_eq!(count_on_server(&server, "INBOX"), 1);

    tmux.keys(&["u"]);
    tmux.wait_until("back in the list, and said so", |s| {
        s.contains("File me away") && s.contains("undone")
    });
    assert!(
        server_eventually(
            || count_on_server(&server, "INBOX") == 2 && count_on_server(&server, "Archive") == 0
        ),
        "moved back on the server:\n{}",
        tmux.screen()
    );
    tmux.keys(&["Q"]);
    assert!(tmux.exited());
}
