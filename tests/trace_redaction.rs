//! `TERN_LOG=trace` shows the IMAP conversation but never the credentials in it: the real
//! binary against a real Dovecot, with LOGIN and AUTHENTICATE PLAIN (with and without SASL-IR).
//! The OAuth token case is in tests/imap_oauth.rs, next to the Dovecot that validates tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::corpus::base64;
use support::{DovecotOptions, TestDovecot};

fn traced_folders(server: &TestDovecot, dir: &Path, auth: &str) -> Output {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nname = \"t\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n\
             username = \"{}\"\npassword_command = \"echo {}\"\nauth = \"{auth}\"\n",
            server.imap_port(),
            server.user(),
            server.password()
        ),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--config")
        .arg(&config)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("folders")
        .env("TERN_LOG", "trace")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The trace is there (the conversation, LIST included) and no form of the password is.
fn assert_redacted(server: &TestDovecot, output: &Output, command: &str) {
    let trace = String::from_utf8_lossy(&output.stderr);
    assert!(trace.contains(command), "{command} traced:\n{trace}");
    assert!(trace.contains("LIST"), "LIST traced:\n{trace}");
    assert!(trace.contains("redacted"), "redaction said:\n{trace}");
    let (user, password) = (server.user(), server.password());
    let secrets = [
        base64(format!("\0{user}\0{password}").as_bytes()),
        base64(format!("{user}\0{user}\0{password}").as_bytes()),
        base64(password.as_bytes()),
    ];
    for secret in &secrets {
        assert!(!trace.contains(secret.as_str()), "{secret} in:\n{trace}");
    }
    // The password itself appears nowhere but in the config key's name.
    let bare = trace.replace("password_command", "");
    assert!(
        !bare.contains(password),
        "the password is in the trace:\n{trace}"
    );
}

#[test]
fn login_password_is_redacted() {
    let server = TestDovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let output = traced_folders(&server, dir.path(), "login");
    assert_redacted(&server, &output, "LOGIN");
}

#[test]
fn authenticate_plain_with_sasl_ir_is_redacted() {
    let server = TestDovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let output = traced_folders(&server, dir.path(), "plain");
    assert_redacted(&server, &output, "AUTHENTICATE PLAIN");
}

#[test]
fn authenticate_plain_without_sasl_ir_is_redacted() {
    let server = TestDovecot::start_with(DovecotOptions::default().without_caps(&["SASL-IR"]));
    let dir = tempfile::tempdir().unwrap();
    let output = traced_folders(&server, dir.path(), "plain");
    assert_redacted(&server, &output, "AUTHENTICATE PLAIN");
}
