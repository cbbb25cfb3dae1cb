//! Risky settings are said, not refused: `tern check-config` prints them and exits 0, and a
//! command that connects says them once on stderr. Loopback plain connections are not risky.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::TestDovecot;

/// A config in a directory others may enter (like ~/.config/tern), file mode `mode`.
fn config(dir: &Path, account: &str, mode: u32) -> PathBuf {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, account).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn tern(dir: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--config")
        .arg(config)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(args)
        .env_remove("TERN_LOG")
        .output()
        .unwrap()
}

fn check_config(account: &str, mode: u32) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), account, mode);
    let output = tern(dir.path(), &path, &["check-config"]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "warnings keep exit 0: {stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ok"),
        "{stderr}"
    );
    (output, stderr)
}

const REMOTE: &str = "[[accounts]]\nname = \"w\"\nhost = \"imap.example.com\"\nusername = \"u\"\n";

#[test]
fn check_config_warns_about_plain_to_another_host() {
    let (_, stderr) = check_config(
        &format!("{REMOTE}security = \"plain\"\npassword_command = \"x\"\n"),
        0o600,
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("warning: w: security = \"plain\""),
        "{stderr}"
    );
}

#[test]
fn check_config_is_quiet_about_plain_on_loopback() {
    for host in ["127.0.0.1", "localhost", "::1"] {
        let (_, stderr) = check_config(
            &format!(
                "[[accounts]]\nname = \"l\"\nhost = \"{host}\"\nusername = \"u\"\n\
                 security = \"plain\"\npassword_command = \"x\"\n"
            ),
            0o600,
        );
        assert_eq!(stderr, "", "{host}");
    }
}

#[test]
fn check_config_warns_about_tls_verify_off() {
    let (_, stderr) = check_config(
        &format!("{REMOTE}tls_verify = false\npassword_command = \"x\"\n"),
        0o600,
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("tls_verify = false"), "{stderr}");
}

#[test]
fn check_config_warns_about_a_readable_literal_password() {
    let account = format!("{REMOTE}password = \"hunter2\"\n");
    for mode in [0o644, 0o640] {
        let (_, stderr) = check_config(&account, mode);
        assert_eq!(stderr.lines().count(), 1, "{mode:o}: {stderr}");
        assert!(stderr.contains("other users can read"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
    let (_, stderr) = check_config(&account, 0o600);
    assert_eq!(stderr, "");
}

#[test]
fn folders_with_tls_verify_off_warns_once() {
    let server = TestDovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let path = config(
        dir.path(),
        &format!(
            "[[accounts]]\nname = \"t\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\n\
             tls_verify = false\nusername = \"{}\"\npassword_command = \"echo {}\"\n",
            server.imaps_port(),
            server.user(),
            server.password()
        ),
        0o600,
    );
    let output = tern(dir.path(), &path, &["folders"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("INBOX"));
    assert_eq!(
        stderr.matches("tls_verify = false").count(),
        1,
        "warned once: {stderr}"
    );
    assert!(stderr.starts_with("tern: warning: t: "), "{stderr}");
}

/// The TUI says it in the status line when the account's engine starts.
#[test]
fn the_tui_shows_the_warning_in_the_status_line() {
    let server = TestDovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let path = config(
        dir.path(),
        &format!(
            "[[accounts]]\nname = \"t\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\n\
             tls_verify = false\nusername = \"{}\"\npassword_command = \"echo {}\"\n",
            server.imaps_port(),
            server.user(),
            server.password()
        ),
        0o600,
    );
    let tmux = support::tmux::Tmux::start_sized(
        &format!(
            "{} --config {} --cache-dir {}",
            env!("CARGO_BIN_EXE_tern"),
            path.display(),
            dir.path().join("cache").display()
        ),
        200,
        30,
    );
    let screen = tmux.wait_until("online with the warning", |s| {
        s.contains("online") && s.contains("warning: t: tls_verify = false")
    });
    assert_eq!(screen.matches("tls_verify = false").count(), 1, "{screen}");
}
