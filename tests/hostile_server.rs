//! Hostile servers, scripted: an endless stream of untagged responses, COPYUID and
//! MODIFIED codes naming four billion UIDs, and a link that drips a byte a second. Each
//! must end the command (or be ignored) with memory and time bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use tern::domain::secret::Secret;
use tern::imap::auth::{AuthMethod, Credentials};
use tern::imap::{
    ConnectOptions, ErrorKind, FetchItem, ImapClient, Security, StoreMode, Update, discard,
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
