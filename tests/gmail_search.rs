//! `tern search` on a Gmail-like server: a scripted proxy in front of the real Dovecot adds
//! X-GM-EXT-1 to the capabilities, records each `UID SEARCH X-GM-RAW "..."` and has Dovecot
//! answer a standard translation of it, and answers `X-GM-MSGID` FETCHes with an id derived
//! from the message's Message-ID and Subject (copies share it, two mails that only share a
//! Message-ID do not). Without X-GM-EXT-1 nothing of Gmail's is sent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use support::{DovecotOptions, SeedMessage, TestDovecot, tern_cli};

/// What the proxy saw, shared with its threads.
#[derive(Default)]
struct Seen {
    /// Every command line the client sent.
    lines: Vec<String>,
    /// The X-GM-RAW lines, after the tag (`UID SEARCH X-GM-RAW "..." ...`).
    raw_searches: Vec<String>,
    /// X-GM-MSGID FETCHes answered.
    msgid_fetches: usize,
    /// Answer X-GM-MSGID FETCHes with BAD (Dovecot's, to an unknown item).
    refuse_msgid: bool,
}

struct GmailProxy {
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

impl GmailProxy {
    /// `gmail`: whether to pose as Gmail (advertise X-GM-EXT-1).
    fn start(target: u16, gmail: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let server = TcpStream::connect(("127.0.0.1", target)).unwrap();
                let msgid_tag = Arc::new(Mutex::new(None::<String>));
                let (seen, tag) = (shared.clone(), msgid_tag.clone());
                let (from_client, to_server) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || commands(from_client, to_server, &seen, &tag));
                std::thread::spawn(move || replies(server, client, gmail, &msgid_tag));
            }
        });
        GmailProxy { port, seen }
    }

    fn raw_searches(&self) -> Vec<String> {
        std::mem::take(&mut self.seen.lock().unwrap().raw_searches)
    }
}

/// Client to server, line by line: Gmail's commands become Dovecot's.
fn commands(
    client: TcpStream,
    mut server: TcpStream,
    seen: &Mutex<Seen>,
    msgid_tag: &Mutex<Option<String>>,
) {
    let mut client = BufReader::new(client);
    let mut line = Vec::new();
    while matches!(client.read_until(b'\n', &mut line), Ok(n) if n > 0) {
        let text = String::from_utf8_lossy(&line).to_string();
        let (tag, command) = text.split_once(' ').unwrap_or(("", ""));
        let mut forward = line.clone();
        if let Some(rest) = command.strip_prefix("UID SEARCH X-GM-RAW \"") {
            let (raw, standard) = quoted_and_rest(rest);
            seen.lock()
                .unwrap()
                .raw_searches
                .push(command.trim_end().to_string());
            forward = format!("{tag} UID SEARCH {}{standard}", dovecot_criteria(&raw)).into_bytes();
        } else if let Some(rest) = command.strip_prefix("UID FETCH ")
            && let Some(set) = rest.strip_suffix(" (UID X-GM-MSGID)\r\n")
        {
            let mut seen = seen.lock().unwrap();
            seen.msgid_fetches += 1;
            forward = if seen.refuse_msgid {
                format!("{tag} UID FETCH {set} (X-BOGUS)\r\n").into_bytes()
            } else {
                *msgid_tag.lock().unwrap() = Some(tag.to_string());
                format!(
                    "{tag} UID FETCH {set} (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)])\r\n"
                )
                .into_bytes()
            };
        }
        seen.lock().unwrap().lines.push(text);
        if server.write_all(&forward).is_err() {
            break;
        }
        line.clear();
    }
    let _ = server.shutdown(Shutdown::Write);
}

/// The unescaped content of a quoted string (its opening quote already gone) and what
/// follows its closing quote.
fn quoted_and_rest(text: &str) -> (String, String) {
    let mut raw = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => raw.extend(chars.next().map(|(_, c)| c)),
            '"' => return (raw, text[at + 1..].to_string()),
            c => raw.push(c),
        }
    }
    panic!("unclosed X-GM-RAW string: {text}")
}

/// The few forms of Gmail's language the tests use, as Dovecot search keys; anything else
/// matches nothing (the raw string is what those tests check).
fn dovecot_criteria(raw: &str) -> String {
    let word = |term: &str| -> Option<String> {
        let quote = |v: &str| format!("\"{}\"", v.trim_matches('"'));
        Some(match term.split_once(':') {
            Some(("from", v)) => format!("FROM {}", quote(v)),
            Some(("subject", v)) => format!("SUBJECT {}", quote(v)),
            Some(("is", "unread")) => "UNSEEN".into(),
            Some(_) => return None,
            None => format!("BODY {}", quote(term)),
        })
    };
    if let Some(inner) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        // {from:w subject:w to:w}: a free word.
        let value = inner.split_once(' ').map_or(inner, |(first, _)| first);
        let value = value.trim_start_matches("from:");
        return format!("OR FROM {value} OR SUBJECT {value} TO {value}");
    }
    if raw.starts_with("subject:\"") && raw.ends_with('"') && raw.matches('"').count() == 2 {
        return word(raw).unwrap();
    }
    raw.split(' ')
        .map(word)
        .collect::<Option<Vec<_>>>()
        .map_or_else(|| "NOT ALL".to_string(), |keys| keys.join(" "))
}

/// Server to client, response by response: X-GM-EXT-1 joins the capabilities, and the
/// header FETCH standing in for X-GM-MSGID is answered with an id.
fn replies(
    server: TcpStream,
    mut client: TcpStream,
    gmail: bool,
    msgid_tag: &Mutex<Option<String>>,
) {
    let mut server = BufReader::new(server);
    while let Some(response) = read_response(&mut server) {
        let text = String::from_utf8_lossy(&response).to_string();
        let mut pending = msgid_tag.lock().unwrap();
        let out = match pending.as_deref() {
            Some(_) if text.starts_with("* ") && text.contains(" FETCH (") => {
                msgid_fetch(&text).into_bytes()
            }
            Some(tag) if text.starts_with(&format!("{tag} ")) => {
                *pending = None;
                text.into_bytes()
            }
            _ => capabilities(&text, gmail).into_bytes(),
        };
        drop(pending);
        if client.write_all(&out).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}

/// One response with its literals.
fn read_response(server: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut response = Vec::new();
    loop {
        let start = response.len();
        if !matches!(server.read_until(b'\n', &mut response), Ok(n) if n > 0) {
            return None;
        }
        let line = String::from_utf8_lossy(&response[start..]).to_string();
        let literal = line
            .trim_end()
            .strip_suffix('}')
            .and_then(|l| l.rsplit_once('{'))
            .and_then(|(_, n)| n.parse::<usize>().ok());
        match literal {
            Some(n) => {
                let mut bytes = vec![0; n];
                server.read_exact(&mut bytes).ok()?;
                response.extend_from_slice(&bytes);
            }
            None => return Some(response),
        }
    }
}

/// `* 2 FETCH (UID 5 BODY[HEADER.FIELDS (...)] {n}\r\n<headers>)` as Gmail would answer.
fn msgid_fetch(text: &str) -> String {
    let seq = text.split(' ').nth(1).unwrap();
    let uid = text
        .split_once("UID ")
        .and_then(|(_, rest)| rest.split([' ', ')']).next())
        .unwrap();
    let headers = text.split_once("}\r\n").map_or("", |(_, rest)| rest);
    let mut fields: Vec<&str> = headers
        .lines()
        .filter(|l| !l.trim().is_empty() && *l != ")")
        .collect();
    fields.sort_unstable();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    fields.hash(&mut hasher);
    format!(
        "* {seq} FETCH (X-GM-MSGID {} UID {uid})\r\n",
        hasher.finish() >> 1
    )
}

/// Capability lists as Gmail's: with X-GM-EXT-1 (when posing as Gmail); without COMPRESS,
/// which would hide the commands from this proxy.
fn capabilities(text: &str, gmail: bool) -> String {
    if !text.to_ascii_uppercase().contains("CAPABILITY ") {
        return text.to_string();
    }
    let text = text.replace(" COMPRESS=DEFLATE", "");
    if !gmail {
        return text;
    }
    if let Some(at) = text
        .find("CAPABILITY ")
        .and_then(|at| text[at..].find(']').map(|end| at + end))
    {
        return format!("{} X-GM-EXT-1{}", &text[..at], &text[at..]);
    }
    format!("{} X-GM-EXT-1\r\n", text.trim_end())
}

fn message(id: &str, from: &str, subject: &str, body: &str) -> SeedMessage {
    SeedMessage::new(format!(
        "From: {from}\r\nTo: team@example.com\r\nSubject: {subject}\r\n\
         Date: Mon, 02 Nov 2026 12:00:00 +0000\r\nMessage-ID: <{id}@example.com>\r\n\r\n{body}\r\n"
    ))
}

struct World {
    /// Kept running for the test's life.
    _server: TestDovecot,
    proxy: GmailProxy,
    dir: tempfile::TempDir,
}

impl World {
    /// INBOX: 1 engine notes (answered), 2 "first of two", 3 "second of two" (the same
    /// Message-ID as 2, another mail); Work: 1 a copy of engine notes, 2 a copy of 2.
    fn new(gmail: bool) -> Self {
        let server = TestDovecot::start_with(DovecotOptions::default().users(&["ada"]));
        let engine = || {
            message(
                "engine",
                "Ada <ada@example.com>",
                "Engine notes",
                "it weaves patterns",
            )
        };
        let first = || message("shared", "Bob <bob@example.com>", "first of two", "one");
        let mut answered = engine();
        answered.flags = vec!["\\Answered".into()];
        server.seed_maildir(
            "ada",
            "INBOX",
            [
                answered,
                first(),
                message("shared", "Bob <bob@example.com>", "second of two", "two"),
            ],
        );
        server.seed_maildir("ada", "Work", [engine(), first()]);
        let proxy = GmailProxy::start(server.imap_port(), gmail);
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "[[accounts]]\nname = \"ada\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"plain\"\nusername = \"ada\"\npassword = \"{}\"\n",
            proxy.port,
            server.password()
        );
        let world = World {
            _server: server,
            proxy,
            dir,
        };
        std::fs::write(world.config(), config).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(world.config(), std::fs::Permissions::from_mode(0o600)).unwrap();
        world
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn run(&self, args: &[&str]) -> String {
        let out = tern_cli(&self.config(), &self.dir.path().join("cache"), args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// (folder, uid, subject) of each hit of `query`, asking the server in every folder.
    fn hits(&self, query: &str) -> BTreeSet<(String, u32, String)> {
        let json: serde_json::Value =
            serde_json::from_str(&self.run(&["search", "--json", "--server", query])).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .map(|hit| {
                (
                    hit["folder"].as_str().unwrap().to_string(),
                    u32::try_from(hit["uid"].as_u64().unwrap()).unwrap(),
                    hit["subject"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn subjects(hits: &BTreeSet<(String, u32, String)>) -> Vec<String> {
    let mut subjects: Vec<String> = hits.iter().map(|(_, _, s)| s.clone()).collect();
    subjects.sort();
    subjects
}

#[test]
fn gmail_gets_its_own_query_language() {
    let w = World::new(true);
    let cases = [
        (
            "engine",
            r#"UID SEARCH X-GM-RAW "{from:engine subject:engine to:engine}""#,
        ),
        (
            "from:ada is:answered",
            r#"UID SEARCH X-GM-RAW "from:ada" ANSWERED"#,
        ),
        ("body:weaves", r#"UID SEARCH X-GM-RAW "weaves""#),
        (
            "subject:\"of two\" -is:unread",
            r#"UID SEARCH X-GM-RAW "subject:\"of two\" -is:unread""#,
        ),
        (
            "before:2026-11-03 (is:flagged or larger:10M)",
            r#"UID SEARCH X-GM-RAW "before:2026/11/03 {is:starred larger:10485760}""#,
        ),
    ];
    for (query, expected) in cases {
        w.hits(query);
        let sent = w.proxy.raw_searches();
        // One search per folder (INBOX, Work and any the server made), each the same line.
        assert!(sent.len() >= 2, "{query}: {sent:?}");
        assert!(
            sent.iter().all(|line| line == expected),
            "{query}: {sent:?}"
        );
    }
    // Gmail's answers are the results: Dovecot answered the translation the proxy made.
    assert_eq!(subjects(&w.hits("from:ada is:answered")), ["Engine notes"]);
    assert_eq!(subjects(&w.hits("body:weaves")), ["Engine notes"]);
    // A value that needs a literal (not ASCII) goes the standard way.
    w.proxy.raw_searches();
    w.hits("subject:grüße");
    assert!(w.proxy.raw_searches().is_empty());
    assert!(w.proxy.seen.lock().unwrap().msgid_fetches > 0);
}

#[test]
fn gmail_labels_are_one_mail_and_shared_message_ids_two() {
    let w = World::new(true);
    // Nothing cached: every hit comes from the server.
    let engine = w.hits("engine");
    assert_eq!(
        engine.len(),
        1,
        "one mail in two labels is one row: {engine:?}"
    );
    let two = w.hits("subject:\"of two\"");
    assert_eq!(
        subjects(&two),
        ["first of two", "second of two"],
        "two mails that share a Message-ID are two rows, the copy of one is not a third"
    );
    // With INBOX cached, its rows (no X-GM-MSGID) meet the server's copies (with one).
    w.run(&["sync", "--folder", "INBOX"]);
    assert_eq!(w.hits("engine").len(), 1);
    assert_eq!(
        subjects(&w.hits("subject:\"of two\"")),
        ["first of two", "second of two"]
    );
    // A server that refuses X-GM-MSGID still answers the search: Message-ID tells apart.
    w.proxy.seen.lock().unwrap().refuse_msgid = true;
    assert_eq!(w.hits("engine").len(), 1);
    assert_eq!(w.hits("subject:\"of two\"").len(), 1);
    let work = w.hits("engine folder:work");
    assert_eq!(
        work.len(),
        1,
        "Work is not cached: the server's hit is kept"
    );
}

#[test]
fn plain_dovecot_hears_nothing_of_gmail() {
    let w = World::new(false);
    assert_eq!(w.hits("engine").len(), 1, "Message-ID dedupes as ever");
    // Without X-GM-MSGID, a shared Message-ID is one message.
    assert_eq!(w.hits("subject:\"of two\"").len(), 1);
    let work = w.hits("engine folder:work");
    assert_eq!(
        work.len(),
        1,
        "Work is not cached: the server's hit is kept"
    );
    assert_eq!(subjects(&w.hits("from:ada is:answered")), ["Engine notes"]);
    let seen = w.proxy.seen.lock().unwrap();
    assert!(
        seen.lines.iter().any(|l| l.contains("UID SEARCH")),
        "the proxy saw the searches"
    );
    let gmail: Vec<&String> = seen
        .lines
        .iter()
        .filter(|l| l.to_ascii_uppercase().contains("X-GM"))
        .collect();
    assert!(gmail.is_empty(), "{gmail:?}");
    assert_eq!(seen.msgid_fetches, 0);
}
