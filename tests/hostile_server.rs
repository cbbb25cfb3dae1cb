//! Hostile servers, scripted: an endless stream of untagged responses, COPYUID and
//! MODIFIED codes naming four billion UIDs, and a link that drips a byte a second. Each
//! must end the command (or be ignored) with memory and time bounded. And NUL bytes in
//! mail, which IMAP forbids and some servers send anyway: the message still shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use support::{SeedMessage, TestDovecot, rewriting_proxy, tern_cli};
use tern::domain::secret::Secret;
use tern::imap::auth::{AuthMethod, Credentials};
use tern::imap::{
    ConnectOptions, ErrorKind, FetchItem, ImapClient, ResponseProblems, Security, StoreMode,
    Update, discard, unparsed_fetch_uid,
};

const CAPS: &str = "IMAP4rev1 IDLE UIDPLUS MOVE";

/// Serves one connection: greets, accepts LOGIN and CAPABILITY, then hands each further
/// command to `script` (tag, rest of the line, stream); false ends the connection.
fn scripted(script: impl Fn(&str, &str, &mut TcpStream) -> bool + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let greeting = format!("* OK [CAPABILITY {CAPS}] hostile ready\r\n");
        if stream.write_all(greeting.as_bytes()).is_err() {
            return;
        }
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let (tag, rest) = line.trim_end().split_once(' ').unwrap_or(("*", ""));
            let verb = rest.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let reply = match verb.as_str() {
                "LOGIN" => format!("{tag} OK [CAPABILITY {CAPS}] logged in\r\n"),
                "CAPABILITY" => format!("* CAPABILITY {CAPS}\r\n{tag} OK done\r\n"),
                _ => {
                    if !script(tag, rest, &mut stream) {
                        return;
                    }
                    continue;
                }
            };
            if stream.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    });
    port
}

async fn connect(port: u16, timeout: Duration) -> ImapClient {
    let mut options = ConnectOptions::new("127.0.0.1", port, Security::Plain);
    options.timeout = timeout;
    options.compress = false;
    let creds = Credentials::Password {
        username: "u".into(),
        password: Secret::new("p".into()),
    };
    ImapClient::login(&options, &creds, AuthMethod::Login)
        .await
        .unwrap()
}

/// The peak resident size of this process, in kB.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Generous bounds: a broken build hangs or grows, a working one ends in seconds.
const NO_HANG: Duration = Duration::from_secs(120);
const RSS_BOUND_KB: u64 = 200 * 1024;

#[tokio::test]
async fn an_endless_fetch_stream_ends_the_command_with_memory_bounded() {
    let port = scripted(|_tag, rest, stream| {
        if !rest.to_ascii_uppercase().starts_with("UID FETCH") {
            return false;
        }
        // The asked-for message, then the same message and others for ever, each with
        // 4 KB of body nobody asked for.
        let body = "x".repeat(4096);
        let mut n: u64 = 0;
        loop {
            let uid = if n.is_multiple_of(2) { 7 } else { 1000 + n };
            let chunk = format!("* 1 FETCH (UID {uid} BODY[] {{4096}}\r\n{body})\r\n");
            if stream.write_all(chunk.as_bytes()).is_err() {
                return false;
            }
            n += 1;
        }
    });
    let mut client = connect(port, Duration::from_secs(30)).await;
    let mut kept = Vec::new();
    let mut keep = |u| kept.push(u);
    let fetch = client.uid_fetch("7", &[FetchItem::Uid, FetchItem::FullBody], None, &mut keep);
    let err = tokio::time::timeout(NO_HANG, fetch)
        .await
        .expect("the command never ended")
        .expect_err("an endless stream cannot succeed");
    assert_eq!(err.kind, ErrorKind::Protocol, "{err}");
    assert!(err.message.contains("did not ask for"), "{err}");
    let with_body = kept
        .iter()
        .filter(|u| matches!(u, Update::Fetch(f) if f.body.is_some()))
        .count();
    assert_eq!(with_body, 1, "only the asked-for message keeps its body");
    let peak = peak_rss_kb();
    assert!(peak < RSS_BOUND_KB, "peak RSS {peak} kB");
    // The connection is given up: its command's reply never came.
    let again = client.noop(&mut discard()).await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::Network, "{again}");
}

#[tokio::test]
async fn an_endless_stream_of_pushes_ends_any_command() {
    let port = scripted(|_tag, _rest, stream| {
        loop {
            if stream
                .write_all(b"* 3 EXISTS\r\n* OK still here\r\n")
                .is_err()
            {
                return false;
            }
        }
    });
    let mut client = connect(port, Duration::from_secs(30)).await;
    let mut kept = 0u64;
    let mut count = |_| kept += 1;
    let noop = client.noop(&mut count);
    let err = tokio::time::timeout(NO_HANG, noop)
        .await
        .expect("the command never ended")
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Protocol, "{err}");
    assert!(kept < 100_000, "{kept} responses collected");
}

#[tokio::test]
async fn a_search_flood_is_bounded() {
    let port = scripted(|tag, _rest, stream| {
        let ids: String = (0..50_000).map(|_| " 1").collect();
        let reply = format!("* SEARCH{ids}\r\n{tag} OK searched\r\n");
        stream.write_all(reply.as_bytes()).is_ok()
    });
    let mut client = connect(port, Duration::from_secs(30)).await;
    let err = client
        .uid_search(tern::imap::SearchQuery::All, &mut discard())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Protocol, "{err}");
    assert!(err.message.contains("search results"), "{err}");
}

/// Answers COPY and MOVE with the given response code in the tagged OK.
fn copyuid_server(code: &'static str) -> u16 {
    scripted(move |tag, _rest, stream| {
        let reply = format!("{tag} OK [{code}] done\r\n");
        stream.write_all(reply.as_bytes()).is_ok()
    })
}

#[tokio::test]
async fn a_copyuid_larger_than_what_was_sent_is_ignored() {
    for code in [
        "COPYUID 9 1:4294967295 1:4294967295",
        "COPYUID 9 5:6 100:101",
        "COPYUID 9 5 100:200",
    ] {
        let port = copyuid_server(code);
        let mut client = connect(port, Duration::from_secs(30)).await;
        let copied = client
            .uid_copy("5", "Archive", &mut discard())
            .await
            .unwrap();
        assert_eq!(copied, None, "{code}");
        let moved = client
            .uid_move("5", "Archive", &mut discard())
            .await
            .unwrap();
        assert_eq!(moved, None, "{code}");
    }
    let port = copyuid_server("COPYUID 9 5,7 100:101");
    let mut client = connect(port, Duration::from_secs(30)).await;
    let copied = client
        .uid_copy("5:7", "Archive", &mut discard())
        .await
        .unwrap()
        .expect("a COPYUID within what was sent is kept");
    assert_eq!(copied.pairs(), vec![(5, 100), (7, 101)]);
}

#[tokio::test]
async fn a_modified_code_names_only_uids_that_were_sent() {
    let port = scripted(|tag, _rest, stream| {
        let reply = format!("{tag} OK [MODIFIED 1:4294967295] stored\r\n");
        stream.write_all(reply.as_bytes()).is_ok()
    });
    let mut client = connect(port, Duration::from_secs(30)).await;
    let refused = client
        .uid_store(
            "3:4,9",
            StoreMode::Add,
            &["\\Seen".into()],
            Some(5),
            &mut discard(),
        )
        .await
        .unwrap();
    assert_eq!(refused.to_string(), "3:4,9");
}

#[tokio::test]
async fn a_server_dripping_a_byte_a_second_hits_the_command_deadline() {
    let port = scripted(|_tag, rest, stream| {
        if !rest.to_ascii_uppercase().starts_with("LIST") {
            return false;
        }
        // Always within the per-read timeout, never done.
        for byte in b"* LIST () \"/\" INBOX\r\n".iter().cycle() {
            if stream.write_all(&[*byte]).is_err() {
                return false;
            }
            thread::sleep(Duration::from_secs(1));
        }
        false
    });
    let mut client = connect(port, Duration::from_secs(3)).await;
    let mut ignore = discard();
    let list = client.list(&mut ignore);
    let err = tokio::time::timeout(NO_HANG, list)
        .await
        .expect("the command never ended")
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert!(err.message.contains("did not complete"), "{err}");
}

#[tokio::test]
async fn a_nul_in_a_literal_is_read_with_it_replaced_and_counted() {
    let port = scripted(|tag, _rest, stream| {
        let body = b"Subject: hi\r\n\r\nbody\0two\r\n";
        let mut reply = format!("* 1 FETCH (UID 4 BODY[] {{{}}}\r\n", body.len()).into_bytes();
        reply.extend_from_slice(body);
        reply.extend_from_slice(format!(")\r\n{tag} OK done\r\n").as_bytes());
        stream.write_all(&reply).is_ok()
    });
    let mut client = connect(port, Duration::from_secs(30)).await;
    let mut bodies = Vec::new();
    client
        .uid_fetch(
            "4",
            &[FetchItem::Uid, FetchItem::FullBody],
            None,
            &mut |u| {
                if let Update::Fetch(f) = u {
                    bodies.extend(f.body);
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(bodies, vec![b"Subject: hi\r\n\r\nbody\x80two\r\n".to_vec()]);
    assert_eq!(
        client.response_problems(),
        ResponseProblems {
            unparsed: 0,
            repaired: 1
        }
    );
}

#[tokio::test]
async fn an_unreadable_fetch_is_counted_and_names_its_uid() {
    let port = scripted(|tag, _rest, stream| {
        // A NUL in a quoted string, where no replacement makes it valid.
        let reply =
            format!("* 1 FETCH (UID 4 FLAGS (\\Seen) BODY[] \"a\0b\x01\")\r\n{tag} OK done\r\n");
        stream.write_all(reply.as_bytes()).is_ok()
    });
    let mut client = connect(port, Duration::from_secs(30)).await;
    let mut named = Vec::new();
    client
        .uid_fetch(
            "4",
            &[FetchItem::Uid, FetchItem::FullBody],
            None,
            &mut |u| {
                if let Update::Unparsed(preview) = u {
                    named.push(unparsed_fetch_uid(&preview));
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(named, vec![Some(4)]);
    assert_eq!(client.response_problems().unparsed, 1);
}

/// Dovecot replaces a NUL of a message with 0x80; other servers pass it through.
fn restore_nuls(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| if b == 0x80 { 0 } else { b })
        .collect()
}

/// Breaks the literal of every `BODY[]` answer, so it cannot be parsed.
fn break_body_literals(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    // The whole message, and its text part (what `tern read` fetches: messages in parts).
    for pattern in [&b"BODY[] {"[..], &b"BODY[1] {"[..]] {
        let mut at = 0;
        while let Some(found) = out[at..].windows(pattern.len()).position(|w| w == pattern) {
            let brace = at + found + pattern.len() - 1;
            out[brace] = b'(';
            at = brace;
        }
    }
    out
}

#[test]
fn nul_bytes_in_a_header_or_a_body_never_make_a_message_vanish() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::new(
                b"From: a@example.com\nSubject: bad\0header\nMessage-ID: <1@x>\n\nfirst body\n"
                    .to_vec(),
            )
            .with_date(1_700_000_000),
            SeedMessage::new(
                b"From: a@example.com\nSubject: fine\nMessage-ID: <2@x>\n\nbody\0two\n".to_vec(),
            )
            .with_date(1_700_000_100),
        ],
    );
    let proxy = rewriting_proxy(server.imap_port(), restore_nuls);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, server.account_toml("t", proxy)).unwrap();
    let cache = dir.path().join("cache");

    let sync = tern_cli(&config, &cache, &["sync"]);
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let list = tern_cli(&config, &cache, &["list", "--json"]);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(
        listed.matches("\"uid\"").count(),
        2,
        "both messages listed: {listed}"
    );

    let read = tern_cli(&config, &cache, &["read", "2"]);
    let stdout = String::from_utf8_lossy(&read.stdout);
    let stderr = String::from_utf8_lossy(&read.stderr);
    assert!(read.status.success(), "{stderr}");
    assert!(
        stdout.contains("body") && stdout.contains("two"),
        "{stdout}"
    );
    assert!(!stderr.contains("no longer"), "{stderr}");
    assert!(stderr.contains("NUL"), "the replacement is said: {stderr}");
}

#[test]
fn tern_read_says_an_unreadable_answer_instead_of_no_longer_there() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "hello", "some text")],
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let good = dir.path().join("good.toml");
    // No prefetch: the body must come from the (broken) server, not the cache.
    let no_prefetch = "\n[sync]\nprefetch_bodies = 0\n";
    std::fs::write(
        &good,
        server.account_toml("t", server.imap_port()) + no_prefetch,
    )
    .unwrap();
    let sync = tern_cli(&good, &cache, &["sync"]);
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );

    let proxy = rewriting_proxy(server.imap_port(), break_body_literals);
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, server.account_toml("t", proxy)).unwrap();
    let read = tern_cli(&broken, &cache, &["read", "1"]);
    let stderr = String::from_utf8_lossy(&read.stderr);
    assert!(!read.status.success(), "{stderr}");
    assert!(!stderr.contains("no longer"), "{stderr}");
    assert!(stderr.contains("cannot be parsed"), "{stderr}");
    assert!(
        stderr.contains("could not be parsed and were skipped"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_server_dripping_after_idle_done_hits_the_deadline() {
    let port = scripted(|tag, rest, stream| {
        if rest.to_ascii_uppercase().starts_with("IDLE") {
            return stream.write_all(b"+ idling\r\n").is_ok();
        }
        // DONE: the tagged OK never completes.
        let _ = tag;
        for byte in b"* OK still here\r\n".iter().cycle() {
            if stream.write_all(&[*byte]).is_err() {
                return false;
            }
            thread::sleep(Duration::from_secs(1));
        }
        false
    });
    let mut client = connect(port, Duration::from_secs(3)).await;
    let mut ignore = discard();
    let idle = client.idle(&mut ignore, async {}, Duration::from_secs(60));
    let err = tokio::time::timeout(NO_HANG, idle)
        .await
        .expect("leaving IDLE never ended")
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
}
