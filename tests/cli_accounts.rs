//! Two accounts in one config: `--account` picks the account whether it is given before
//! the subcommand or after it, and never silently falls back to the first account.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::{DovecotOptions, SeedMessage, TestDovecot, tern_cli};

fn uids(server: &TestDovecot, user: &str) -> Vec<u32> {
    let mut raw = server.raw_login(user);
    raw.examine("INBOX").unwrap();
    raw.uid_search_all().unwrap()
}

#[test]
fn account_before_the_subcommand_is_the_account_acted_on() {
    let server = TestDovecot::start_with(DovecotOptions::default().users(&["first", "second"]));
    for user in ["first", "second"] {
        server.seed_maildir(
            user,
            "INBOX",
            [
                SeedMessage::text(1, "one", "x"),
                SeedMessage::text(2, "two", "x"),
            ],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let account = |name: &str| {
        format!(
            "[[accounts]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"plain\"\nusername = \"{name}\"\npassword = \"{}\"\n",
            server.imap_port(),
            server.password()
        )
    };
    std::fs::write(&config, account("first") + &account("second")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let cache = dir.path().join("cache");
    let run = |args: &[&str]| tern_cli(&config, &cache, args);
    for name in ["first", "second"] {
        assert!(run(&["sync", "--account", name]).status.success());
    }

    let out = run(&["--account", "second", "copy", "2", "--to", "Archive"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut raw = server.raw_login("second");
    raw.examine("Archive").unwrap();
    assert_eq!(raw.uid_search_all().unwrap().len(), 1, "copied in second");
    let mut raw = server.raw_login("first");
    raw.examine("Archive").unwrap();
    assert!(raw.uid_search_all().unwrap().is_empty(), "first untouched");

    // Given twice and different: refused before anything is done.
    let out = run(&["--account", "first", "delete", "--account", "second", "1"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--account is given twice"));
    assert_eq!(uids(&server, "first"), vec![1, 2]);
    assert_eq!(uids(&server, "second"), vec![1, 2]);
}
