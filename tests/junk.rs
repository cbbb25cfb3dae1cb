//! The junk action (`!` in the TUI, `tern junk UID...`) against a real Dovecot: it moves to
//! the `\Junk` folder (or the configured one, or one named Junk on a server without
//! SPECIAL-USE), waits in the journal while offline, and is undone like any move.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::PathBuf;
use std::process::Output;

use support::{DovecotOptions, SeedMessage, TestDovecot, Tmux, tern_cli};

struct Account {
    dir: tempfile::TempDir,
    user: String,
    password: String,
    extra: String,
}

impl Account {
    fn new(server: &TestDovecot, extra: &str) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            user: server.user().to_string(),
            password: server.password().to_string(),
            extra: extra.to_string(),
        }
    }

    fn config(&self, port: u16) -> PathBuf {
        let path = self.dir.path().join(format!("config-{port}.toml"));
        std::fs::write(
            &path,
            format!(
                "[[accounts]]\nname = \"j\"\nhost = \"127.0.0.1\"\nport = {port}\n\
                 security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n{}\n",
                self.user, self.password, self.extra
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        path
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn run_on(&self, port: u16, args: &[&str]) -> Output {
        tern_cli(&self.config(port), &self.cache(), args)
    }

    fn ok_on(&self, port: u16, args: &[&str]) -> String {
        let out = self.run_on(port, args);
        assert!(
            out.status.success(),
            "tern {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

fn seed(server: &TestDovecot) {
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "Hello friend", "x"),
            SeedMessage::text(2, "Cheap pills", "x"),
            SeedMessage::text(3, "You won", "x"),
        ],
    );
}

fn uids_on_server(server: &TestDovecot, folder: &str) -> Vec<u32> {
    let mut raw = server.raw_login(server.user());
    raw.examine(folder).unwrap();
    raw.uid_search_all().unwrap()
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn junk_goes_to(options: DovecotOptions) {
    let server = TestDovecot::start_with(options);
    let junk = server.folder("Junk");
    seed(&server);
    let account = Account::new(&server, "");
    let port = server.imap_port();
    account.ok_on(port, &["sync", "--all"]);
    account.ok_on(port, &["junk", "2", "3"]);
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1]);
    assert_eq!(
        uids_on_server(&server, &junk).len(),
        2,
        "moved exactly once"
    );
    let listed = account.ok_on(port, &["sync", "--all"]);
    assert!(!listed.contains("not applied"), "{listed}");
    let out = account.run_on(port, &["list", "--folder", &junk]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Cheap pills") && stdout.contains("You won"),
        "{stdout}"
    );
}

#[test]
fn junk_moves_to_the_special_use_junk_folder() {
    junk_goes_to(DovecotOptions::default());
}

#[test]
fn junk_finds_a_folder_named_junk_on_a_server_without_special_use() {
    junk_goes_to(DovecotOptions::default().older_server());
}

#[test]
fn junk_goes_to_the_configured_folder() {
    let server = TestDovecot::start();
    seed(&server);
    server.doveadm(&["mailbox", "create", "-u", server.user(), "Spam"]);
    let account = Account::new(&server, "junk = \"Spam\"");
    let port = server.imap_port();
    account.ok_on(port, &["sync", "--all"]);
    account.ok_on(port, &["junk", "1"]);
    assert_eq!(uids_on_server(&server, "INBOX"), vec![2, 3]);
    assert_eq!(uids_on_server(&server, "Spam").len(), 1);
    assert!(uids_on_server(&server, "Junk").is_empty());
}

#[test]
fn without_a_junk_folder_junk_refuses_and_changes_nothing() {
    // The older server minus its Junk: no special-use, no usual name, nothing configured.
    let server = TestDovecot::start_with(
        DovecotOptions::default()
            .older_server()
            .extra_config("namespace inbox {\n  mailbox Junk {\n    auto = no\n  }\n}"),
    );
    seed(&server);
    let account = Account::new(&server, "");
    let port = server.imap_port();
    account.ok_on(port, &["sync", "--all"]);
    let out = account.run_on(port, &["junk", "2"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("a junk folder"),
        "names what is missing: {said}"
    );
    assert!(said.contains("junk = \""), "and how to name one: {said}");
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1, 2, 3]);
    let out = account.run_on(port, &["list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Cheap pills"));
}

#[test]
fn junk_offline_waits_in_the_journal_and_lands_once() {
    let server = TestDovecot::start();
    let junk = server.folder("Junk");
    seed(&server);
    let account = Account::new(&server, "");
    let port = server.imap_port();
    account.ok_on(port, &["sync", "--all"]);
    let said = account.ok_on(closed_port(), &["junk", "3"]);
    assert!(said.contains("queued"), "{said}");
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1, 2, 3]);
    account.ok_on(port, &["sync", "--all"]);
    account.ok_on(port, &["sync", "--all"]);
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1, 2]);
    assert_eq!(uids_on_server(&server, &junk).len(), 1);
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

#[test]
fn bang_in_the_tui_files_as_junk_and_u_takes_it_back() {
    let server = TestDovecot::start();
    seed(&server);
    let account = Account::new(&server, "");
    let tmux = Tmux::start(&format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        account.config(server.imap_port()).display(),
        account.cache().display()
    ));
    tmux.wait_until("online with the messages", |s| {
        s.contains("You won") && s.contains("Hello friend") && s.contains("online")
    });
    // Same date: the highest UID is first, under the cursor.
    tmux.keys(&["!"]);
    tmux.wait_until("the message left the list, and it was said", |s| {
        !s.contains("You won") && s.contains("Junk")
    });
    assert!(
        server_eventually(|| uids_on_server(&server, "Junk").len() == 1),
        "filed on the server:\n{}",
        tmux.screen()
    );
    assert_eq!(uids_on_server(&server, "INBOX"), vec![1, 2]);
    tmux.keys(&["u"]);
    tmux.wait_until("back in the list", |s| {
        s.contains("You won") && s.contains("undone")
    });
    assert!(
        server_eventually(|| uids_on_server(&server, "INBOX").len() == 3
            && uids_on_server(&server, "Junk").is_empty()),
        "moved back on the server:\n{}",
        tmux.screen()
    );
    tmux.keys(&["Q"]);
    assert!(tmux.exited());
}
