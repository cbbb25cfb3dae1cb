//! A message whose FETCH tern cannot parse still shows: a placeholder row with its real
//! UID, said on stderr, never silently skipped, and never doubled by the next sync. Real
//! Dovecot behind a proxy that breaks one message's header literal; the CLI and the TUI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::{SeedMessage, TestDovecot, Tmux, rewriting_proxy, tern_cli};

/// Breaks the header literal of UID 2's FETCH (`{n}` becomes `(n}`), so that response
/// cannot be parsed while its UID is still readable.
fn break_uid_2_header(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let is_target = text.starts_with("* ")
            && text.contains(" FETCH (")
            && text.contains("UID 2 ")
            && text.contains("HEADER.FIELDS");
        let brace = line.iter().rposition(|&b| b == b'{');
        match brace.filter(|_| is_target) {
            Some(at) => {
                out.extend_from_slice(&line[..at]);
                out.push(b'(');
                out.extend_from_slice(&line[at + 1..]);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// Misspells the UID item of UID 2's FETCH: the response cannot be parsed and does not
/// say which message it was.
fn hide_uid_2(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("HEADER.FIELDS") {
        return bytes.to_vec();
    }
    let mut out = bytes.to_vec();
    let pattern = b"FETCH (UID 2 ";
    if let Some(at) = out.windows(pattern.len()).position(|w| w == pattern) {
        out[at + 9] = b'X';
    }
    out
}

/// (uid, subject, date, flags) of every listed message, by UID.
fn listed(config: &std::path::Path, cache: &std::path::Path) -> Vec<(u64, String, String, String)> {
    let list = tern_cli(config, cache, &["list", "--json"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let mut out: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["uid"].as_u64().unwrap(),
                r["subject"].as_str().unwrap_or_default().to_string(),
                r["date"].as_str().unwrap_or_default().to_string(),
                r["flags"].to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn an_unparsable_fetch_is_a_placeholder_row_said_once_and_never_doubled() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "one", "first"),
            SeedMessage::text(2, "two", "second")
                .with_flags(&["\\Seen"])
                .with_date(1_700_000_000),
            SeedMessage::text(3, "three", "third"),
        ],
    );
    let proxy = rewriting_proxy(server.imap_port(), break_uid_2_header);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, server.account_toml("t", proxy)).unwrap();
    let cache = dir.path().join("cache");

    let sync = tern_cli(&config, &cache, &["sync"]);
    let stderr = String::from_utf8_lossy(&sync.stderr);
    assert!(sync.status.success(), "{stderr}");
    assert!(
        stderr.contains("INBOX: 1 message(s) could not be read"),
        "the placeholder is said: {stderr}"
    );
    assert!(
        stderr.contains("could not be parsed"),
        "unparsed responses are counted: {stderr}"
    );
    assert!(
        String::from_utf8_lossy(&sync.stdout).contains("(1 unreadable)"),
        "{}",
        String::from_utf8_lossy(&sync.stdout)
    );
    let rows = listed(&config, &cache);
    let subjects: Vec<_> = rows.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(
        subjects,
        [(1, "one"), (2, "(unreadable message)"), (3, "three")]
    );
    // What the broken answer still said before its literal is kept.
    assert!(
        rows[1].2.starts_with("2023-11-14"),
        "INTERNALDATE: {rows:?}"
    );
    assert!(rows[1].3.contains("Seen"), "FLAGS: {rows:?}");

    // The next sync finds the UID cached: no second row, nothing to say again.
    let again = tern_cli(&config, &cache, &["sync"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(!stderr.contains("could not be read"), "{stderr}");
    assert_eq!(listed(&config, &cache), rows);
}

#[test]
fn the_tui_lists_the_placeholder_row_and_says_why() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "Readable one", "first"),
            SeedMessage::text(2, "Hidden two", "second"),
        ],
    );
    let proxy = rewriting_proxy(server.imap_port(), break_uid_2_header);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, server.account_toml("t", proxy)).unwrap();
    let tmux = Tmux::start(&format!(
        "{} --config {} --cache-dir {}",
        env!("CARGO_BIN_EXE_tern"),
        config.display(),
        dir.path().join("cache").display()
    ));
    let screen = tmux.wait_until("both rows and the report", |s| {
        s.contains("Readable one")
            && s.contains("(unreadable message)")
            && s.contains("could not be read")
    });
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with('│') && l.contains("(unreadable message)")),
        "a row of the list, not only the status line: {screen}"
    );
    assert!(!screen.contains("Hidden two"), "{screen}");
    tmux.keys(&["q"]);
    assert!(tmux.exited(), "{}", tmux.screen());
}

#[test]
fn a_fetch_without_a_readable_uid_is_said_per_folder() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "one", "first"),
            SeedMessage::text(2, "two", "second"),
        ],
    );
    let proxy = rewriting_proxy(server.imap_port(), hide_uid_2);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, server.account_toml("t", proxy)).unwrap();
    let cache = dir.path().join("cache");

    let sync = tern_cli(&config, &cache, &["sync"]);
    let stderr = String::from_utf8_lossy(&sync.stderr);
    assert!(sync.status.success(), "{stderr}");
    assert!(
        // Twice: in the newest page and again in the batch that fetches what is missing.
        stderr.contains("error: INBOX: 2 server response(s) could not be parsed and were skipped"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("could not be parsed").count(),
        1,
        "said once: {stderr}"
    );
    let rows = listed(&config, &cache);
    assert_eq!(rows.len(), 1, "{rows:?}");
}

/// `tern ARGS...` with extra environment variables, without the caller's `TERN_LOG`.
fn tern_with_env(
    config: &std::path::Path,
    cache: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tern"));
    command
        .arg("--config")
        .arg(config)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .env_remove("TERN_LOG");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// Found by fuzz/fuzz_targets/mime.rs (also a unit test in src/domain/mime.rs): mail-parser
/// panics inside `parse` on a message/rfc822 holding another with an empty body.
const MAIL_PARSER_PANIC: &[u8] = b"Content-Type:multipart; boundary=B1\"\r\n\r\n\
    --B1\r\nContent-Type: message/rfc822\n\r\nContent-Type: message/rfc822\r\n\r\n\n--B1--\r\n";

#[test]
fn a_caught_parser_panic_is_logged_never_printed_raw() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::new(MAIL_PARSER_PANIC)],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, server.account_toml("t", server.imap_port())).unwrap();
    let cache = dir.path().join("cache");
    let sync = tern_cli(&config, &cache, &["sync"]);
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );

    // The renderer's panic is caught: the raw text shows, and stderr stays clean.
    let read = tern_with_env(&config, &cache, &["read", "1"], &[]);
    let stderr = String::from_utf8_lossy(&read.stderr);
    assert!(read.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&read.stdout).contains("--B1--"),
        "the raw text instead: {}",
        String::from_utf8_lossy(&read.stdout)
    );
    assert!(!stderr.contains("panicked"), "no panic text: {stderr}");

    // With a log asked for, the panic is there, as a sanitized log line: so it happened.
    let logged = tern_with_env(&config, &cache, &["read", "1"], &[("TERN_LOG", "warn")]);
    let stderr = String::from_utf8_lossy(&logged.stderr);
    assert!(logged.status.success(), "{stderr}");
    assert!(
        stderr.contains("WARN")
            && stderr.contains("a parser panicked (contained): Invalid part ID"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked at"),
        "not Rust's raw text: {stderr}"
    );
}

#[test]
fn a_watch_says_unparsable_responses_after_the_resync_that_saw_them() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "one", "first")],
    );
    let proxy = rewriting_proxy(server.imap_port(), hide_uid_2);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, server.account_toml("t", proxy)).unwrap();
    let log = dir.path().join("watch.stderr");
    let mut watch = std::process::Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--config")
        .arg(&config)
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .args(["sync", "--watch"])
        // Each skipped response is logged, to check the count said.
        .env("TERN_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stderr = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(eventually(|| stderr().contains("online")), "{}", stderr());

    // New mail while idling: its resync gets the FETCH the proxy breaks.
    server
        .raw_login(server.user())
        .append("INBOX", &[], &SeedMessage::text(2, "two", "second").raw)
        .unwrap();
    let said = " server response(s) could not be parsed and were skipped";
    if !eventually(|| {
        stderr()
            .lines()
            .any(|l| l.starts_with("warning: ") && l.ends_with(said))
    }) {
        panic!("never said:\n{}", stderr());
    }
    let _ = std::process::Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status();
    let status = watch.wait().unwrap();
    let text = stderr();
    assert!(status.success(), "{text}");
    let (before, after) = text.split_at(text.find(said).unwrap());
    assert!(
        !before.contains("could not be parsed"),
        "nothing to say before the new mail: {text}"
    );
    // The count said is the number skipped (each is logged as it happens).
    let count: usize = before
        .rsplit("warning: ")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap();
    let skipped = before.matches("skipped a server response").count();
    assert_eq!(count, skipped, "{text}");
    assert!(count >= 1);
    assert!(!after.contains("panicked"), "{text}");
}

/// Polls `ready` until it holds (true) or a bound passed (false): the bound makes a broken
/// test fail instead of hang; it is no claim on speed.
fn eventually(mut ready: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !ready() {
        if std::time::Instant::now() > end {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    true
}
