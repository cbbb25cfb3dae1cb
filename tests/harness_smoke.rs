//! Proves the test harness itself: the private Dovecot, RawImap and the corpus generator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::corpus::{self, Corpus, SeedMessage};
use support::{DovecotOptions, RawImap, TestDovecot};

fn has(caps: &[String], cap: &str) -> bool {
    caps.iter().any(|c| c.eq_ignore_ascii_case(cap))
}

/// Runs `openssl s_client` with `args`, feeding `input`; returns (exit ok, stdout + stderr).
fn s_client(args: &[String], input: &str) -> (bool, String) {
    let mut child = Command::new("openssl")
        .arg("s_client")
        .args(args)
        .args(["-crlf", "-quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl s_client");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn tls_args(port: u16, ca: &std::path::Path) -> Vec<String> {
    [
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-CAfile",
        ca.to_str().unwrap(),
        "-verify_return_error",
        "-verify_ip",
        "127.0.0.1",
    ]
    .map(String::from)
    .to_vec()
}

/// Polls `cond` (these are teardown checks, not timing assertions).
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    for (i, &c) in raw.iter().enumerate() {
        if c == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

#[test]
fn logs_in_on_plain_port_and_rejects_bad_password() {
    let d = TestDovecot::start();
    let mut c = RawImap::connect(d.imap_port()).unwrap();
    assert!(c.greeting().starts_with("* OK"), "{}", c.greeting());
    assert!(c.login(d.user(), "wrong").is_err());
    c.login(d.user(), d.password()).unwrap();
    let mut bob = RawImap::connect_login(d.imap_port(), "bob", d.password()).unwrap();
    assert_eq!(bob.select("INBOX").unwrap().exists, 0);
}

#[test]
fn tls_port_verifies_with_our_ca_and_logs_in() {
    let d = TestDovecot::start();
    let (ok, out) = s_client(
        &tls_args(d.imaps_port(), &d.ca_pem_path()),
        "a LOGIN alice password\nb LOGOUT\n",
    );
    assert!(ok, "{out}");
    assert!(out.contains("* OK"), "{out}");
    assert!(out.contains("a OK"), "{out}");
    assert!(out.contains("b OK"), "{out}");
}

#[test]
fn starttls_on_plain_port_verifies_with_our_ca() {
    let d = TestDovecot::start();
    let mut c = RawImap::connect(d.imap_port()).unwrap();
    assert!(has(&c.capabilities().unwrap(), "STARTTLS"));
    let mut args = tls_args(d.imap_port(), &d.ca_pem_path());
    args.extend(["-starttls", "imap"].map(String::from));
    let (ok, out) = s_client(&args, "a LOGIN alice password\nb LOGOUT\n");
    assert!(ok, "{out}");
    assert!(out.contains("a OK"), "{out}");
}

#[test]
fn unrelated_ca_fails_verification() {
    let d = TestDovecot::start();
    let other = d.other_ca_pem_path();
    assert_ne!(
        std::fs::read(&other).unwrap(),
        std::fs::read(d.ca_pem_path()).unwrap()
    );
    let (ok, out) = s_client(&tls_args(d.imaps_port(), &other), "a LOGOUT\n");
    assert!(!ok, "{out}");
    assert!(out.contains("verify"), "{out}");
}

#[test]
fn capabilities_after_login_include_compress_and_special_use() {
    let d = TestDovecot::start();
    let mut c = d.raw_login(d.user());
    let caps = c.capabilities().unwrap();
    for cap in [
        "COMPRESS=DEFLATE",
        "SPECIAL-USE",
        "QRESYNC",
        "CONDSTORE",
        "IDLE",
        "MOVE",
        "UIDPLUS",
    ] {
        assert!(has(&caps, cap), "{cap} missing from {caps:?}");
    }
    // The command works, not just the advertisement.
    let lines = c.command("COMPRESS DEFLATE").unwrap();
    assert!(lines.last().unwrap().contains(" OK"), "{lines:?}");
}

#[test]
fn without_caps_removes_qresync_and_condstore_only() {
    let d =
        TestDovecot::start_with(DovecotOptions::default().without_caps(&["QRESYNC", "CONDSTORE"]));
    let mut c = RawImap::connect(d.imap_port()).unwrap();
    let pre = c.capabilities().unwrap();
    assert!(has(&pre, "STARTTLS"), "{pre:?}");
    assert!(has(&pre, "AUTH=PLAIN"), "{pre:?}");
    let login = c.login(d.user(), d.password()).unwrap();
    assert!(!login.concat().contains("QRESYNC"), "{login:?}");
    let caps = c.capabilities().unwrap();
    assert!(!has(&caps, "QRESYNC"), "{caps:?}");
    assert!(!has(&caps, "CONDSTORE"), "{caps:?}");
    for cap in [
        "COMPRESS=DEFLATE",
        "SPECIAL-USE",
        "IDLE",
        "MOVE",
        "UIDPLUS",
        "ENABLE",
    ] {
        assert!(has(&caps, cap), "{cap} missing from {caps:?}");
    }
}

#[test]
fn without_caps_removes_move_uidplus_compress_idle_sasl_ir() {
    let removed = ["MOVE", "UIDPLUS", "COMPRESS=DEFLATE", "IDLE", "SASL-IR"];
    let d = TestDovecot::start_with(DovecotOptions::default().without_caps(&removed));
    let mut c = RawImap::connect(d.imap_port()).unwrap();
    let pre = c.capabilities().unwrap();
    assert!(!has(&pre, "SASL-IR"), "{pre:?}");
    assert!(!has(&pre, "IDLE"), "{pre:?}");
    assert!(has(&pre, "STARTTLS"), "{pre:?}");
    assert!(has(&pre, "AUTH=PLAIN"), "{pre:?}");
    c.login(d.user(), d.password()).unwrap();
    let caps = c.capabilities().unwrap();
    for cap in removed {
        assert!(!has(&caps, cap), "{cap} still in {caps:?}");
    }
    for cap in ["QRESYNC", "CONDSTORE", "SPECIAL-USE", "ENABLE"] {
        assert!(has(&caps, cap), "{cap} missing from {caps:?}");
    }
    // imap_zlib is not loaded, so the command is gone too.
    let lines = c.command("COMPRESS DEFLATE").unwrap();
    assert!(!lines.last().unwrap().contains(" OK"), "{lines:?}");
}

#[test]
fn list_shows_special_use_folders_subscribed() {
    let d = TestDovecot::start();
    let mut c = d.raw_login(d.user());
    let list = c.command_ok("LIST \"\" \"*\"").unwrap();
    let subscribed = c.command_ok("LIST (SUBSCRIBED) \"\" \"*\"").unwrap();
    for (name, attr) in [
        ("Drafts", "\\Drafts"),
        ("Sent", "\\Sent"),
        ("Trash", "\\Trash"),
        ("Junk", "\\Junk"),
        ("Archive", "\\Archive"),
    ] {
        let line = list
            .iter()
            .find(|l| l.ends_with(&format!("\"/\" {name}")))
            .unwrap_or_else(|| panic!("{name} not listed: {list:?}"));
        assert!(line.contains(attr), "{line}");
        assert!(
            subscribed
                .iter()
                .any(|l| l.ends_with(&format!(" {name}")) && l.contains("\\Subscribed")),
            "{name} not subscribed: {subscribed:?}"
        );
    }
}

#[test]
fn seeded_corpus_is_selectable_and_flags_round_trip() {
    let d = TestDovecot::start();
    let msgs = corpus::generate(42, 1000);
    assert_eq!(d.seed_maildir("alice", "INBOX", &msgs), 1000);
    let mut c = d.raw_login("alice");
    let sel = c.select("INBOX").unwrap();
    assert_eq!(sel.exists, 1000, "{:?}", sel.lines);
    assert!(
        sel.lines.iter().any(|l| l == "* 1000 EXISTS"),
        "{:?}",
        sel.lines
    );
    assert_eq!(
        c.uid_search_all().unwrap(),
        (1..=1000).collect::<Vec<u32>>()
    );

    let flags = c.fetch_flags().unwrap();
    assert_eq!(flags.len(), 1000);
    let mut keywords_seen = 0;
    for (uid, got) in &flags {
        let want: BTreeSet<String> = msgs[*uid as usize - 1].flags.iter().cloned().collect();
        let got: BTreeSet<String> = got.iter().filter(|f| *f != "\\Recent").cloned().collect();
        assert_eq!(got, want, "UID {uid}");
        keywords_seen += got.iter().filter(|f| !f.starts_with('\\')).count();
    }
    assert!(keywords_seen > 0, "the corpus should carry some keywords");

    // Content, size and date come through unchanged (in the order given).
    for uid in [1u32, 500, 1000] {
        let m = &msgs[uid as usize - 1];
        assert_eq!(c.fetch_raw(uid).unwrap(), crlf(&m.raw), "UID {uid}");
        assert_eq!(
            c.fetch_internaldate(uid).unwrap(),
            m.internal_date,
            "UID {uid}"
        );
        let size = c
            .command_ok(&format!("UID FETCH {uid} RFC822.SIZE"))
            .unwrap();
        let want = format!("RFC822.SIZE {}", crlf(&m.raw).len());
        assert!(size.iter().any(|l| l.contains(&want)), "{size:?} vs {want}");
    }
}

#[test]
fn seeding_a_nested_folder_twice_appends_in_order() {
    let d = TestDovecot::start();
    let first: Vec<SeedMessage> = (0..3)
        .map(|i| SeedMessage::text(i, &format!("first {i}"), "hello").with_flags(&["Work"]))
        .collect();
    d.seed_maildir("bob", "Lists/dev", &first);
    assert!(d.maildir_path("bob", "Lists/dev").ends_with(".Lists.dev"));
    let second = [
        SeedMessage::text(10, "second 0", "x").with_flags(&["\\Seen", "Personal"]),
        SeedMessage::text(11, "second 1", "y").with_flags(&["\\Flagged", "Work"]),
    ];
    d.seed_maildir("bob", "Lists/dev", second);

    let mut c = d.raw_login("bob");
    let list = c.command_ok("LIST (SUBSCRIBED) \"\" \"Lists/*\"").unwrap();
    assert!(list.iter().any(|l| l.ends_with(" Lists/dev")), "{list:?}");
    assert_eq!(c.select("Lists/dev").unwrap().exists, 5);
    let subjects = ["first 0", "first 1", "first 2", "second 0", "second 1"];
    for (uid, subject) in (1u32..).zip(subjects) {
        let raw = String::from_utf8(c.fetch_raw(uid).unwrap()).unwrap();
        assert!(
            raw.contains(&format!("Subject: {subject}\r\n")),
            "UID {uid}: {raw}"
        );
    }
    // New messages are \Recent to the first session that sees them.
    let flags: std::collections::BTreeMap<u32, Vec<String>> = c
        .fetch_flags()
        .unwrap()
        .into_iter()
        .map(|(uid, f)| (uid, f.into_iter().filter(|f| f != "\\Recent").collect()))
        .collect();
    assert_eq!(flags[&1], vec!["Work".to_string()]);
    assert!(flags[&4].contains(&"Personal".to_string()), "{flags:?}");
    assert!(flags[&5].contains(&"\\Flagged".to_string()), "{flags:?}");
    assert!(flags[&5].contains(&"Work".to_string()), "{flags:?}");
}

#[test]
fn seeding_a_non_ascii_folder_uses_modified_utf7() {
    let d = TestDovecot::start();
    d.seed_maildir("alice", "Entwürfe & Co", [SeedMessage::text(1, "hi", "x")]);
    assert!(
        d.maildir_path("alice", "Entwürfe & Co")
            .ends_with(".Entw&APw-rfe &- Co")
    );
    let mut c = d.raw_login("alice");
    let list = c.command_ok("LIST \"\" \"*\"").unwrap();
    assert!(
        list.iter().any(|l| l.ends_with("\"Entw&APw-rfe &- Co\"")),
        "{list:?}"
    );
    assert_eq!(c.select("Entw&APw-rfe &- Co").unwrap().exists, 1);
}

#[test]
fn append_returns_uids_and_stores_flags() {
    let d = TestDovecot::start();
    let mut c = d.raw_login("alice");
    let m = SeedMessage::text(1, "appended", "body");
    let raw = crlf(&m.raw);
    assert_eq!(c.append("INBOX", &["\\Seen"], &raw).unwrap(), 1);
    assert_eq!(c.append("INBOX", &[], &raw).unwrap(), 2);
    assert_eq!(
        c.append("Sent", &["\\Flagged", "$Forwarded"], &raw)
            .unwrap(),
        1
    );
    assert!(c.append("No/Such/Folder", &[], &raw).is_err());

    c.select("INBOX").unwrap();
    assert_eq!(c.uid_search_all().unwrap(), vec![1, 2]);
    assert_eq!(c.fetch_raw(1).unwrap(), raw);
    let flags = c.fetch_flags().unwrap();
    assert!(flags[&1].contains(&"\\Seen".to_string()), "{flags:?}");
    assert!(!flags[&2].contains(&"\\Seen".to_string()), "{flags:?}");
    c.select("Sent").unwrap();
    assert!(c.fetch_flags().unwrap()[&1].contains(&"$Forwarded".to_string()));
}

#[test]
fn kick_disconnects_a_logged_in_session() {
    let d = TestDovecot::start();
    let mut c = d.raw_login("alice");
    c.select("INBOX").unwrap();
    let mut bob = d.raw_login("bob");
    assert!(d.kick("alice"));
    let rest = c.read_to_eof().unwrap();
    assert!(rest.iter().any(|l| l.starts_with("* BYE")), "{rest:?}");
    assert!(!d.kick("alice"), "nobody left to kick");
    // Other users keep their sessions.
    bob.command_ok("NOOP").unwrap();
}

#[test]
fn restart_keeps_mail_and_ports() {
    let mut d = TestDovecot::start();
    let port = d.imap_port();
    let mut c = d.raw_login("alice");
    c.append("INBOX", &[], &crlf(&SeedMessage::text(1, "kept", "x").raw))
        .unwrap();
    d.restart();
    assert_eq!(d.imap_port(), port);
    assert!(c.read_to_eof().is_ok(), "old session must be cut");
    let mut c = d.raw_login("alice");
    assert_eq!(c.select("INBOX").unwrap().exists, 1);
}

#[test]
fn drop_stops_dovecot_and_removes_its_dir() {
    let d = TestDovecot::start();
    let pid = d.master_pid().expect("master pid");
    let dir = d.dir().to_path_buf();
    let proc_path = format!("/proc/{pid}");
    assert!(std::path::Path::new(&proc_path).exists());
    drop(d);
    eventually("the master process exits", || {
        // Gone, or a zombie nobody has reaped yet.
        std::fs::read_to_string(format!("{proc_path}/stat")).map_or(true, |s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
    });
    eventually("the temp dir is removed", || !dir.exists());
}

#[test]
fn corpus_is_deterministic_and_varied() {
    let a = corpus::generate(7, 3000);
    assert_eq!(a, corpus::generate(7, 3000));
    assert_ne!(a, corpus::generate(8, 3000));
    let c = Corpus::new(7, 3000);
    assert_eq!(c.message(1234), a[1234]);

    let text: Vec<String> = a
        .iter()
        .map(|m| String::from_utf8_lossy(&m.raw).into_owned())
        .collect();
    let count = |needle: &str| text.iter().filter(|t| t.contains(needle)).count();
    for needle in [
        "\nIn-Reply-To: ",
        "\nSubject: Re: ",
        "=?utf-8?B?",
        "=?utf-8?Q?",
        "=?iso-8859-1?Q?",
        "=?shift_jis?B?",
        "multipart/alternative",
        "multipart/mixed",
        "Content-Type: text/html",
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable",
        "boundary=\"never-used-",
    ] {
        assert!(count(needle) > 0, "no message has {needle:?}");
    }
    let malformed = text.iter().filter(|t| !t.contains("\nDate: ")).count()
        + count("never-used-")
        + count("X\nContent-Type")
        + text.iter().filter(|t| t.matches("@").count() > 300).count();
    assert!(
        malformed > 0 && malformed < 150,
        "{malformed} malformed-looking messages"
    );

    // Replies point at earlier messages of the corpus.
    let replies: Vec<usize> = (0..c.len()).filter(|&i| c.parent(i).is_some()).collect();
    assert!(replies.len() > 500, "{} replies", replies.len());
    for &i in &replies[..50] {
        let p = c.parent(i).unwrap();
        assert!(p < i);
        assert!(text[i].contains(&format!("In-Reply-To: {}", c.message_id(p))));
    }

    // Dates ascend inside the 2014..2026 window; most old mail is read.
    assert!(
        a.windows(2)
            .all(|w| w[0].internal_date <= w[1].internal_date)
    );
    assert!(
        a.iter()
            .all(|m| (corpus::T_START..corpus::T_END).contains(&m.internal_date))
    );
    let seen = a.iter().filter(|m| m.has_flag("\\Seen")).count();
    assert!(seen > a.len() / 2 && seen < a.len(), "{seen} seen");
    assert!(
        a.iter()
            .any(|m| m.flags.iter().any(|f| !f.starts_with('\\')))
    );
}

#[test]
fn corpus_encoded_words_decode() {
    let parser = mail_parser::MessageParser::default();
    let mut decoded_non_ascii = 0;
    for m in corpus::generate(3, 500) {
        let text = String::from_utf8_lossy(&m.raw).into_owned();
        let Some(subject_line) = text.lines().find(|l| l.starts_with("Subject: =?")) else {
            continue;
        };
        let parsed = parser.parse(&m.raw[..]).expect("parse");
        let subject = parsed.subject().unwrap_or_default();
        assert!(!subject.contains("=?"), "{subject_line} -> {subject}");
        assert!(!subject.is_ascii(), "{subject_line} -> {subject}");
        decoded_non_ascii += 1;
    }
    assert!(decoded_non_ascii > 20, "{decoded_non_ascii}");
}

#[test]
fn qp_and_dates_are_well_formed() {
    let qp = corpus::qp_encode("a=b caf\u{e9} \nline ".as_bytes());
    assert_eq!(qp, "a=3Db caf=C3=A9=20\nline=20");
    let long = corpus::qp_encode(&[b'x'; 200]);
    assert!(long.lines().all(|l| l.len() <= 76), "{long}");
    assert_eq!(
        corpus::rfc2822_date(0, 0),
        "Thu, 01 Jan 1970 00:00:00 +0000"
    );
    assert_eq!(
        corpus::rfc2822_date(corpus::T_START, -300),
        "Tue, 31 Dec 2013 19:00:00 -0500"
    );
    assert_eq!(
        support::raw_imap::parse_imap_datetime(" 1-Jan-2014 01:00:00 +0100"),
        Some(corpus::T_START)
    );
}
