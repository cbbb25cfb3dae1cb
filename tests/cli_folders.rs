//! `tern folders` as a user runs it: the real binary, a config file, a real Dovecot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{SeedMessage, TestDovecot};

fn tern(config: &Path, args: &[&str]) -> Output {
    // The cache goes beside the config: never into the user's own data directory.
    let cache = config.with_file_name("cache");
    Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--config")
        .arg(config)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .env_remove("TERN_LOG")
        .output()
        .unwrap()
}

/// Private (0600), as a config holding a password should be: else tern warns about it.
fn write_config(dir: &Path, account: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("config.toml");
    std::fs::write(&path, account).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn one_line_error(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    stderr
}

#[test]
fn folders_prints_roles_and_counts_as_json_and_table() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "a", "x").with_flags(&["\\Seen"]),
            SeedMessage::text(2, "b", "x"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[accounts]]\nname = \"test\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\n\
             username = \"{}\"\npassword_command = \"echo {}\"\nca_file = \"{}\"\n",
            server.imaps_port(),
            server.user(),
            server.password(),
            server.ca_pem_path().display()
        ),
    );
    let output = tern(&config, &["folders", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let folders: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let folders = folders.as_array().unwrap();
    assert_eq!(folders.len(), 6);
    assert_eq!(folders[0]["name"], "INBOX");
    assert_eq!(folders[0]["role"], "inbox");
    assert_eq!(folders[0]["messages"], 2);
    assert_eq!(folders[0]["unseen"], 1);
    let roles: Vec<&str> = folders.iter().filter_map(|f| f["role"].as_str()).collect();
    for role in ["drafts", "sent", "archive", "junk", "trash"] {
        assert!(roles.contains(&role), "{role} in {roles:?}");
    }

    let table = tern(&config, &["folders"]);
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("INBOX") && l.contains("inbox")),
        "{text}"
    );
}

#[test]
fn failures_are_one_line_errors_with_a_non_zero_exit() {
    let server = TestDovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let account = |port: u16, security: &str, password: &str, extra: &str| {
        format!(
            "[[accounts]]\nname = \"t\"\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\n\
             username = \"{}\"\npassword = \"{password}\"\n{extra}",
            server.user()
        )
    };

    let config = write_config(
        dir.path(),
        &account(server.imap_port(), "plain", "wrong", ""),
    );
    let output = tern(&config, &["folders"]);
    assert_eq!(output.status.code(), Some(1));
    let err = one_line_error(&output);
    assert!(err.contains("login") && !err.contains("wrong"), "{err}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let config = write_config(dir.path(), &account(port, "plain", "password", ""));
    let output = tern(&config, &["folders"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(one_line_error(&output).contains("cannot connect"));

    let config = write_config(
        dir.path(),
        &account(server.imaps_port(), "tls", "password", ""),
    );
    let output = tern(&config, &["folders"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(one_line_error(&output).contains("certificate"));
}

#[test]
fn missing_and_broken_configs_exit_2_with_where_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let output = tern(&missing, &["folders"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("nope.toml") && stderr.contains("[[accounts]]"),
        "{stderr}"
    );

    let broken = write_config(
        dir.path(),
        "[[accounts]]\nname = \"x\"\nhost = \"h\"\nsecurity = \"ssl\"\nusername = \"u\"\npassword = \"p\"\n",
    );
    let output = tern(&broken, &["folders"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("config.toml:4") && stderr.contains("security"),
        "{stderr}"
    );
}

#[test]
fn check_config_reports_keymap_and_theme_problems_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[[accounts]]\nname = \"x\"\nhost = \"h\"\nusername = \"u\"\npassword = \"p\"\n",
    );
    let ok = tern(&config, &["check-config"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::write(
        dir.path().join("keymap.toml"),
        "[list]\n\"j\" = \"fly_away\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("theme.toml"),
        "[scopes]\n\"list.row\" = { fg = \"no-such-colour\" }\n",
    )
    .unwrap();
    let bad = tern(&config, &["check-config"]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("keymap.toml:2") && stderr.contains("fly_away"),
        "{stderr}"
    );
    assert!(stderr.contains("theme.toml:2"), "{stderr}");
}
