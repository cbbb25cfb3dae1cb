//! Fault injection with scripted servers: a stalled link, BYE in the middle of a command,
//! a connection dropped mid-FETCH, and garbage among valid responses. Each must end in a
//! typed error or a clean recovery, never a hang or a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use tern::domain::secret::Secret;
use tern::imap::auth::{AuthMethod, Credentials};
use tern::imap::{ConnectOptions, ErrorKind, FetchItem, ImapClient, Security, Update, discard};

/// Serves one connection: greets, accepts LOGIN and CAPABILITY, then hands each further
/// command line to `script`, which writes whatever it likes.
fn scripted(script: impl Fn(&str, &str, &mut TcpStream) -> bool + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        stream
            .write_all(b"* OK [CAPABILITY IMAP4rev1 IDLE] fake ready\r\n")
            .unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let (tag, rest) = line.trim_end().split_once(' ').unwrap_or(("*", ""));
            let verb = rest.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let reply = match verb.as_str() {
                "LOGIN" => format!("{tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n"),
                "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK done\r\n"),
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
    let creds = Credentials::Password {
        username: "u".into(),
        password: Secret::new("p".into()),
    };
    ImapClient::login(&options, &creds, AuthMethod::Login)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let port = scripted(|_tag, _rest, _stream| {
        // Never answer; keep the socket open.
        thread::sleep(Duration::from_secs(30));
        false
    });
    let mut client = connect(port, Duration::from_millis(300)).await;
    let err = client.noop(&mut discard()).await.err().unwrap();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
}

#[tokio::test]
async fn bye_in_the_middle_of_a_command_is_an_error() {
    let port = scripted(|_tag, _rest, stream| {
        let _ = stream.write_all(b"* 1 EXISTS\r\n* BYE server shutting down\r\n");
        let _ = stream.shutdown(std::net::Shutdown::Both);
        false
    });
    let mut client = connect(port, Duration::from_secs(10)).await;
    let mut updates = Vec::new();
    let err = client.noop(&mut |u| updates.push(u)).await.err().unwrap();
    assert_eq!(err.kind, ErrorKind::Bye, "{err}");
    assert!(err.message.contains("shutting down"));
    assert_eq!(
        updates[0],
        Update::Exists(1),
        "updates before the BYE still arrive"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_fetch_is_a_network_error() {
    let port = scripted(|_tag, _rest, stream| {
        let _ = stream.write_all(
            b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 BODY[] {100}\r\nonly part",
        );
        let _ = stream.shutdown(std::net::Shutdown::Both);
        false
    });
    let mut client = connect(port, Duration::from_secs(10)).await;
    let mut fetched = 0;
    let err = client
        .uid_fetch(
            "1:*",
            &[FetchItem::Uid, FetchItem::FullBody],
            None,
            &mut |u| {
                if matches!(u, Update::Fetch(_)) {
                    fetched += 1;
                }
            },
        )
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::Network, "{err}");
    assert_eq!(
        fetched, 1,
        "the complete response was delivered before the drop"
    );
}

#[tokio::test]
async fn garbage_between_valid_responses_is_skipped_and_reported() {
    let port = scripted(|tag, _rest, stream| {
        let reply = format!(
            "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (((garbage\r\n\
             * 3 FETCH (UID 3 FLAGS ())\r\n{tag} OK fetched\r\n"
        );
        stream.write_all(reply.as_bytes()).is_ok()
    });
    let mut client = connect(port, Duration::from_secs(10)).await;
    let mut uids = Vec::new();
    let mut unparsed = 0;
    client
        .uid_fetch(
            "1:*",
            &[FetchItem::Uid, FetchItem::Flags],
            None,
            &mut |u| match u {
                Update::Fetch(f) => uids.extend(f.uid),
                Update::Unparsed(_) => unparsed += 1,
                _ => {}
            },
        )
        .await
        .unwrap();
    assert_eq!(uids, vec![1, 3]);
    assert_eq!(unparsed, 1);
    client.noop(&mut discard()).await.unwrap();
}

#[tokio::test]
async fn a_malformed_tagged_reply_fails_only_that_command() {
    let port = scripted(|tag, rest, stream| {
        let reply = if rest.starts_with("NOOP") && tag == "t3" {
            format!("{tag} OK [UIDNEXT {{{{{{ broken\r\n")
        } else {
            format!("{tag} OK fine\r\n")
        };
        stream.write_all(reply.as_bytes()).is_ok()
    });
    let mut client = connect(port, Duration::from_secs(10)).await;
    // t1 LOGIN, t2 CAPABILITY, t3 the NOOP that gets the broken reply.
    let first = client.noop(&mut discard()).await;
    assert!(first.is_ok() || first.as_ref().err().unwrap().kind == ErrorKind::Command);
    client.noop(&mut discard()).await.unwrap();
}
