//! Messages in parts against a real Dovecot: opening a message fetches its text part only,
//! attachments come when saved, a large text part comes in two steps, and a part in
//! another charset renders right.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::PathBuf;
use std::process::Output;

use std::time::Duration;

use support::{Proxy, ProxyMode, SeedMessage, TestDovecot, tern_cli};
use tern::bus::{ConnState, EngineCommand, EngineEvent, OpId};
use tern::domain::ids::{MsgKey, Uid, UidValidity};
use tern::store::Store;
use tern::sync::watch::{WatchOptions, run_engine};
use tern::sync::{Folders, sync_account};
use tokio::sync::{mpsc, watch};

const ATTACHMENT_SIZE: usize = 5 * 1024 * 1024;

/// Bytes that compress badly (so COMPRESS=DEFLATE cannot hide a whole download).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn base64_lines(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 38);
    for (i, chunk) in data.chunks(3).enumerate() {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, &b)| acc | (u32::from(b) << (16 - 8 * k)));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if (i + 1) % 19 == 0 {
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out
}

fn with_attachment(attachment: &[u8]) -> SeedMessage {
    let raw = format!(
        "From: Ada <ada@example.com>\r\nTo: bob@example.com\r\nSubject: The report\r\n\
         Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <big@x>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         The numbers are in the attached file.\r\n\
         --b1\r\nContent-Type: application/octet-stream; name=\"report.bin\"\r\n\
         Content-Disposition: attachment; filename=\"report.bin\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}--b1--\r\n",
        base64_lines(attachment)
    );
    SeedMessage::new(raw).with_date(1_700_000_000)
}

fn latin1_message() -> SeedMessage {
    SeedMessage::new(
        b"From: Zo\xe9 <zoe@example.com>\r\nTo: bob@example.com\r\nSubject: Menu\r\n\
          Date: Wed, 15 Nov 2023 10:00:00 +0000\r\nMessage-ID: <latin@x>\r\nMIME-Version: 1.0\r\n\
          Content-Type: multipart/alternative; boundary=\"a\"\r\n\r\n\
          --a\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\
          Content-Transfer-Encoding: quoted-printable\r\n\r\n\
          Un caf=E9 cr=E8me, s'il vous pla=EEt.\r\n\
          --a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML only</p>\r\n--a--\r\n"
            .to_vec(),
    )
    .with_date(1_700_050_000)
}

fn large_text(lines: usize) -> SeedMessage {
    let mut body = String::new();
    for n in 0..lines {
        body.push_str(&format!("line {n:06} of the long text part\r\n"));
    }
    body.push_str("THE VERY END\r\n");
    let raw = format!(
        "From: Bea <bea@example.com>\r\nTo: bob@example.com\r\nSubject: Long\r\n\
         Date: Thu, 16 Nov 2023 10:00:00 +0000\r\nMessage-ID: <long@x>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n\
         --m\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{body}\
         --m\r\nContent-Type: image/png; name=\"x.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         iVBORw0KGgo=\r\n--m--\r\n"
    );
    SeedMessage::new(raw).with_date(1_700_100_000)
}

struct Cli {
    config: PathBuf,
    cache: PathBuf,
    dir: tempfile::TempDir,
}

impl Cli {
    fn new(server: &TestDovecot, port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, server.account_toml("t", port)).unwrap();
        Self {
            config,
            cache: dir.path().join("cache"),
            dir,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        tern_cli(&self.config, &self.cache, args)
    }

    fn ok(&self, args: &[&str]) -> Vec<u8> {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "tern {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }
}

#[test]
fn a_message_with_a_5mb_attachment_costs_its_text_and_saves_identical_bytes() {
    let server = TestDovecot::start();
    let attachment = noise(ATTACHMENT_SIZE);
    server.seed_maildir(server.user(), "INBOX", [with_attachment(&attachment)]);
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let cli = Cli::new(&server, proxy.port());
    cli.ok(&["sync"]);

    let before = proxy.received();
    let text = String::from_utf8(cli.ok(&["read", "1"])).unwrap();
    let cost = proxy.received() - before;
    assert!(
        text.contains("The numbers are in the attached file."),
        "{text}"
    );
    assert!(
        cost < 64 * 1024,
        "opening the message downloaded {cost} bytes; the attachment is {ATTACHMENT_SIZE}"
    );
    // Read again: from the cache, not a byte from the server.
    let before = proxy.received();
    let again = String::from_utf8(cli.ok(&["read", "1"])).unwrap();
    assert_eq!(again, text);
    assert_eq!(proxy.received(), before, "the second read used the cache");

    // The attachment: saved whole and identical, fetched only now.
    let out = cli.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let before = proxy.received();
    let saved = cli.ok(&["save", "1", "--dir", out.to_str().unwrap(), "--json"]);
    let cost = proxy.received() - before;
    // Where Dovecot offers BINARY the part comes decoded; an older server (no BINARY) sends
    // it as base64, 4/3 as much, which tern decodes itself.
    let (command, wire_size) = if server.is_older() {
        ("BODY.PEEK[2]", ATTACHMENT_SIZE as u64 * 4 / 3)
    } else {
        ("BINARY.PEEK[2]", ATTACHMENT_SIZE as u64)
    };
    assert_eq!(proxy.count_sent(command), 1);
    assert!(
        cost > wire_size && cost < wire_size * 11 / 10,
        "saving cost {cost} bytes"
    );
    let listed: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    assert_eq!(listed[0]["part"], "2");
    assert_eq!(listed[0]["name"], "report.bin");
    assert_eq!(std::fs::read(out.join("report.bin")).unwrap(), attachment);
    // Saved again by its part number: never over the first file.
    cli.ok(&["save", "1", "--part", "2", "--dir", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read(out.join("report (1).bin")).unwrap(),
        attachment
    );
    assert_eq!(std::fs::read(out.join("report.bin")).unwrap(), attachment);
    // A part that is not there is an error that names the ones that are.
    let missing = cli.run(&["save", "1", "--part", "7", "--dir", out.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("the attachments are: 2"));

    // --raw is still the whole message, byte for byte as the server has it.
    let raw = cli.ok(&["read", "--raw", "1"]);
    assert!(raw.len() > ATTACHMENT_SIZE);
}

#[test]
fn a_latin1_quoted_printable_part_renders_right() {
    let server = TestDovecot::start();
    server.seed_maildir(server.user(), "INBOX", [latin1_message()]);
    let cli = Cli::new(&server, server.imap_port());
    cli.ok(&["sync"]);
    let text = String::from_utf8(cli.ok(&["read", "1"])).unwrap();
    assert!(text.contains("Un café crème, s'il vous plaît."), "{text}");
    assert!(!text.contains("HTML only"), "only the plain part is shown");
}

#[tokio::test]
async fn a_large_text_part_shows_its_start_then_the_rest_on_demand() {
    let server = TestDovecot::start();
    // About 600 KB of text: over the first chunk.
    server.seed_maildir(server.user(), "INBOX", [large_text(16_000)]);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.sqlite")).unwrap();
    let mut client = server.tern_client().await;
    let (events, _rx) = tokio::sync::mpsc::unbounded_channel();
    sync_account(&mut client, &store, &Folders::One("INBOX".into()), &events)
        .await
        .unwrap();
    let reader = store.reader().unwrap();
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    let validity = inbox.uidvalidity.unwrap();

    tern::sync::parts::fetch_display(&mut client, &store, "INBOX", 1)
        .await
        .unwrap();
    let shown = reader
        .shown_message(inbox.id, validity, 1, false)
        .unwrap()
        .unwrap();
    let (section, size) = shown.cut.clone().expect("the part is shown cut");
    assert_eq!(section, "1");
    assert!(size as usize > tern::sync::parts::DISPLAY_CHUNK as usize);
    let text = String::from_utf8_lossy(&shown.raw);
    assert!(text.contains("line 000000 of the long text part"));
    assert!(!text.contains("THE VERY END"));
    let rendered = tern::domain::mime::render(&shown.raw, 80);
    assert!(
        rendered
            .body
            .last()
            .is_some_and(|l| l.text.contains("of the long text part")),
        "the start ends on a whole line"
    );

    tern::sync::parts::fetch_part(&mut client, &store, "INBOX", 1, &section)
        .await
        .unwrap();
    let whole = reader
        .shown_message(inbox.id, validity, 1, false)
        .unwrap()
        .unwrap();
    assert_eq!(whole.cut, None);
    assert!(String::from_utf8_lossy(&whole.raw).contains("THE VERY END"));
    let structure = whole.structure.unwrap();
    let attachments = structure.attachments();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].content_type(), "image/png");
    // The image was never fetched.
    assert!(!reader.has_section(inbox.id, validity, 1, "2").unwrap());
}

#[test]
fn the_body_limit_evicts_the_oldest_first_and_tern_folders_shows_the_use() {
    let server = TestDovecot::start();
    // Three messages of about 105 KB of text each; the limit holds two.
    server.seed_maildir(
        server.user(),
        "INBOX",
        [large_text(3000), large_text(3000), large_text(3000)],
    );
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let cli = Cli::new(&server, proxy.port());
    let mut config = std::fs::read_to_string(&cli.config).unwrap();
    config.push_str("\n[cache]\nbody_limit = \"300KB\"\n");
    std::fs::write(&cli.config, config).unwrap();
    cli.ok(&["sync"]);
    for uid in ["1", "2", "3"] {
        cli.ok(&["read", uid]);
    }
    let folders: serde_json::Value =
        serde_json::from_slice(&cli.ok(&["folders", "--json"])).unwrap();
    let inbox = folders
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "INBOX")
        .unwrap();
    assert_eq!(inbox["cache_limit"], 300 * 1024);
    let used = inbox["cache_bytes"].as_u64().unwrap();
    assert!(
        used > 150 * 1024 && used <= 300 * 1024,
        "{used} bytes cached"
    );
    let table = String::from_utf8(cli.ok(&["folders"])).unwrap();
    assert!(
        table.contains("cache: ") && table.contains("300.0 KB"),
        "{table}"
    );

    // The newest is still cached; the oldest was evicted and comes from the server again.
    let before = proxy.received();
    cli.ok(&["read", "3"]);
    assert_eq!(proxy.received(), before, "message 3 was still cached");
    cli.ok(&["read", "1"]);
    assert!(
        proxy.received() - before > 100 * 1024,
        "message 1 was evicted, so fetched again"
    );
}

#[test]
fn without_binary_an_attachment_is_fetched_encoded_and_decoded_here() {
    let server =
        TestDovecot::start_with(support::DovecotOptions::default().without_caps(&["BINARY"]));
    let attachment = noise(100_000);
    server.seed_maildir(server.user(), "INBOX", [with_attachment(&attachment)]);
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let cli = Cli::new(&server, proxy.port());
    cli.ok(&["sync"]);
    let out = cli.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    cli.ok(&["save", "1", "--part", "2", "--dir", out.to_str().unwrap()]);
    assert_eq!(proxy.count_sent("BINARY"), 0);
    assert_eq!(proxy.count_sent("BODY.PEEK[2]"), 1);
    assert_eq!(std::fs::read(out.join("report.bin")).unwrap(), attachment);
}

/// Waits (bounded, so a broken engine fails the test) for an event matching `want`.
async fn wait_for(
    events: &mut mpsc::UnboundedReceiver<EngineEvent>,
    what: &str,
    want: impl Fn(&EngineEvent) -> bool,
) -> EngineEvent {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
            Ok(Some(event)) if want(&event) => return event,
            Ok(Some(_)) => {}
            other => panic!("waiting for {what}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_engine_fetches_the_text_on_open_and_a_part_when_asked() {
    let server = TestDovecot::start();
    let attachment = noise(300_000);
    server.seed_maildir(server.user(), "INBOX", [with_attachment(&attachment)]);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let account = tern::config::Config::parse(
        &server.account_toml("t", server.imap_port()),
        std::path::Path::new("test.toml"),
    )
    .unwrap()
    .accounts
    .remove(0);
    let options = WatchOptions {
        folder: "INBOX".into(),
        folders: Folders::One("INBOX".into()),
        idle_refresh: Duration::from_secs(540),
        status_interval: None,
        prefetch_bodies: tern::config::Prefetch::OFF,
        replay_journal: true,
    };
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop, stopped) = watch::channel(false);
    let engine_store = store.clone();
    let task = tokio::spawn(async move {
        run_engine(
            &account,
            &engine_store,
            &options,
            &events_tx,
            stopped,
            commands_rx,
        )
        .await
    });
    wait_for(&mut events, "online", |e| {
        matches!(e, EngineEvent::Conn(ConnState::Online))
    })
    .await;
    let reader = store.reader().unwrap();
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    let validity = inbox.uidvalidity.unwrap();
    let key = MsgKey {
        folder: "INBOX".into(),
        uidvalidity: UidValidity(validity),
        uid: Uid(1),
    };

    commands
        .send(EngineCommand::FetchBody {
            op: OpId(1),
            key: key.clone(),
        })
        .unwrap();
    // The structure first (the part list can show), then the text.
    let first = wait_for(&mut events, "the structure", |e| {
        matches!(
            e,
            EngineEvent::StructureReady { .. } | EngineEvent::BodyReady { .. }
        )
    })
    .await;
    assert_eq!(
        first,
        EngineEvent::StructureReady {
            folder: "INBOX".into(),
            uid: 1
        }
    );
    wait_for(&mut events, "the body", |e| {
        matches!(e, EngineEvent::BodyReady { uid: 1, .. })
    })
    .await;
    let shown = reader
        .shown_message(inbox.id, validity, 1, false)
        .unwrap()
        .unwrap();
    assert!(!shown.whole);
    assert!(String::from_utf8_lossy(&shown.raw).contains("The numbers are in the attached file."));
    assert!(!reader.has_section(inbox.id, validity, 1, "2").unwrap());
    assert!(!reader.has_body(inbox.id, validity, 1).unwrap());

    commands
        .send(EngineCommand::FetchPart {
            op: OpId(2),
            key: key.clone(),
            section: "2".into(),
        })
        .unwrap();
    let ready = wait_for(&mut events, "the part", |e| {
        matches!(
            e,
            EngineEvent::PartReady { .. } | EngineEvent::OpFailed { .. }
        )
    })
    .await;
    assert_eq!(
        ready,
        EngineEvent::PartReady {
            op: OpId(2),
            folder: "INBOX".into(),
            uid: 1,
            section: "2".into(),
        }
    );
    let part = reader.section(inbox.id, validity, 1, "2").unwrap().unwrap();
    assert_eq!(part.content("base64"), attachment);

    // Under a UIDVALIDITY the folder no longer has: refused, never fetched.
    commands
        .send(EngineCommand::FetchPart {
            op: OpId(3),
            key: MsgKey {
                uidvalidity: UidValidity(validity.wrapping_add(1)),
                ..key.clone()
            },
            section: "2".into(),
        })
        .unwrap();
    let refused = wait_for(&mut events, "the stale part refused", |e| {
        matches!(
            e,
            EngineEvent::PartReady { .. } | EngineEvent::OpFailed { .. }
        )
    })
    .await;
    assert!(
        matches!(
            refused,
            EngineEvent::OpFailed {
                op: OpId(3),
                kind: tern::bus::ErrorKind::StaleUidValidity,
                ..
            }
        ),
        "{refused:?}"
    );
    // The whole message (the raw source) on demand.
    commands
        .send(EngineCommand::FetchPart {
            op: OpId(4),
            key,
            section: String::new(),
        })
        .unwrap();
    wait_for(&mut events, "the whole message", |e| {
        matches!(e, EngineEvent::PartReady { op: OpId(4), .. })
    })
    .await;
    assert!(reader.has_body(inbox.id, validity, 1).unwrap());
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}
