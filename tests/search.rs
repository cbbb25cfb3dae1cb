//! `tern search` against a real Dovecot: each operator of the language over the cache, FTS
//! over cached bodies, the server asked for an uncached folder and for an old date range,
//! Unicode case and accent folding, two accounts in one list, and a triage action on a
//! result reaching that result's own folder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Output;

use support::{
    DovecotOptions, Proxy, ProxyMode, SeedMessage, TestDovecot, rewriting_proxy, tern_cli,
};

/// 2026-11-02, 2026-11-20, 2026-12-01, 2020-01-15, 2026-11-25 at noon UTC.
const NOV_2: i64 = 1_793_620_800;
const NOV_20: i64 = 1_795_176_000;
const DEC_1: i64 = 1_796_126_400;
const JAN_2020: i64 = 1_579_089_600;
const NOV_25: i64 = 1_795_608_000;

fn rfc2822(ts: i64) -> String {
    support::corpus::rfc2822_date(ts, 0)
}

fn message(id: &str, from: &str, to: &str, subject: &str, date: i64, body: &str) -> SeedMessage {
    let mut m = SeedMessage::new(
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {}\r\n\
             Message-ID: <{id}@example.com>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             {body}\r\n",
            rfc2822(date)
        )
        .into_bytes(),
    );
    m.internal_date = date;
    m
}

fn with_flags(mut m: SeedMessage, flags: &[&str]) -> SeedMessage {
    m.flags = flags.iter().map(|f| f.to_string()).collect();
    m
}

/// A patch with a 60 KB attachment.
fn patch() -> SeedMessage {
    let attachment = "QUJD".repeat(15_000);
    let mut m = SeedMessage::new(
        format!(
            "From: Grace Hopper <grace@example.com>\r\nTo: dev@lists.example\r\n\
             Subject: patch v3\r\nDate: {}\r\nMessage-ID: <patch@example.com>\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\ncompiler fix\r\n\
             --b\r\nContent-Type: application/octet-stream; name=fix.bin\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--b--\r\n",
            rfc2822(DEC_1)
        )
        .into_bytes(),
    );
    m.internal_date = DEC_1;
    m.flags = vec!["\\Answered".into(), "$label1".into()];
    m
}

struct World {
    server: TestDovecot,
    dir: tempfile::TempDir,
}

impl World {
    /// ada: INBOX 1 engine notes (read), 2 Jörg (flagged), 3 patch; Archive 1 a copy of
    /// INBOX 1, 2 an old kernel thread; Lists/dev 1 release plan (never synced).
    /// bob: INBOX 1 a follow-up from Ada.
    fn new() -> Self {
        Self::with(DovecotOptions::default())
    }

    fn with(options: DovecotOptions) -> Self {
        let server = TestDovecot::start_with(options.users(&["ada", "bob"]));
        let engine = || {
            message(
                "engine",
                "Ada Lovelace <ada@example.com>",
                "babbage@example.com",
                "Engine notes",
                NOV_2,
                "the analytical engine weaves algebraic patterns",
            )
        };
        server.seed_maildir(
            "ada",
            "INBOX",
            [
                with_flags(engine(), &["\\Seen"]),
                with_flags(
                    message(
                        "koeln",
                        "Jörg Müller <joerg@example.de>",
                        "ada@example.com",
                        "Grüße aus Köln",
                        NOV_20,
                        "Das Treffen ist am Montag im Büro",
                    ),
                    &["\\Flagged"],
                ),
                patch(),
            ],
        );
        server.seed_maildir(
            "ada",
            "Archive",
            [
                engine(),
                message(
                    "kernel",
                    "Linus <linus@example.org>",
                    "ada@example.com",
                    "old kernel thread",
                    JAN_2020,
                    "scheduler",
                ),
            ],
        );
        server.seed_maildir(
            "ada",
            "Lists/dev",
            [message(
                "release",
                "Grace Hopper <grace@example.com>",
                "dev@lists.example",
                "release plan",
                NOV_25,
                "ship it",
            )],
        );
        server.seed_maildir(
            "bob",
            "INBOX",
            [message(
                "followup",
                "Ada Lovelace <ada@example.com>",
                "bob@example.com",
                "Engine notes follow-up",
                NOV_20,
                "more on the engine",
            )],
        );
        let dir = tempfile::tempdir().unwrap();
        let world = World { server, dir };
        world.write_config(world.server.imap_port());
        for (account, folder) in [("ada", "INBOX"), ("ada", "Archive"), ("bob", "INBOX")] {
            world.ok(&["sync", "--account", account, "--folder", folder]);
        }
        world
    }

    fn write_config(&self, port: u16) {
        let account = |name: &str| {
            format!(
                "[[accounts]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {port}\n\
                 security = \"plain\"\nusername = \"{name}\"\npassword = \"{}\"\n",
                self.server.password()
            )
        };
        let path = self.config();
        std::fs::write(&path, account("ada") + &account("bob")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn run(&self, args: &[&str]) -> Output {
        tern_cli(&self.config(), &self.cache(), args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// (account, folder, uid, cached) of each hit of `query` (extra args after it).
    fn hits(&self, query: &str, extra: &[&str]) -> BTreeSet<(String, String, u32, bool)> {
        let mut args = vec!["search", "--json"];
        args.extend_from_slice(extra);
        args.push(query);
        let json: serde_json::Value = serde_json::from_str(&self.ok(&args)).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .map(|hit| {
                (
                    hit["account"].as_str().unwrap().to_string(),
                    hit["folder"].as_str().unwrap().to_string(),
                    u32::try_from(hit["uid"].as_u64().unwrap()).unwrap(),
                    hit["cached"].as_bool().unwrap(),
                )
            })
            .collect()
    }

    /// Hits of `query` in ada's account as (folder, uid).
    fn ada(&self, query: &str) -> BTreeSet<(String, u32)> {
        self.hits(query, &["--account", "ada"])
            .into_iter()
            .map(|(_, folder, uid, _)| (folder, uid))
            .collect()
    }
}

fn set(items: &[(&str, u32)]) -> BTreeSet<(String, u32)> {
    items.iter().map(|(f, u)| (f.to_string(), *u)).collect()
}

#[test]
fn each_operator_over_one_account() {
    let w = World::new();
    let cases: &[(&str, &[(&str, u32)])] = &[
        ("engine", &[("INBOX", 1)]),
        ("from:grace", &[("INBOX", 3), ("Lists/dev", 1)]),
        ("to:dev", &[("INBOX", 3), ("Lists/dev", 1)]),
        ("cc:nobody", &[]),
        ("subject:kernel", &[("Archive", 2)]),
        ("\"engine notes\"", &[("INBOX", 1)]),
        ("from:\"grace hopper\" -folder:lists/dev", &[("INBOX", 3)]),
        ("folder:archive", &[("Archive", 1), ("Archive", 2)]),
        ("account:bob", &[]),
        ("before:2021-01-01", &[("Archive", 2)]),
        (
            "after:2026-11-20 folder:inbox",
            &[("INBOX", 2), ("INBOX", 3)],
        ),
        ("on:2026-11-25", &[("Lists/dev", 1)]),
        ("is:unread folder:inbox", &[("INBOX", 2), ("INBOX", 3)]),
        ("is:read", &[("INBOX", 1)]),
        ("is:flagged", &[("INBOX", 2)]),
        ("is:answered", &[("INBOX", 3)]),
        ("is:deleted", &[]),
        ("has:attachment", &[("INBOX", 3)]),
        ("keyword:$label1", &[("INBOX", 3)]),
        ("larger:50k", &[("INBOX", 3)]),
        ("smaller:50k folder:inbox", &[("INBOX", 1), ("INBOX", 2)]),
        ("kernel or release", &[("Archive", 2), ("Lists/dev", 1)]),
        ("(engine or patch) -is:answered", &[("INBOX", 1)]),
    ];
    for (query, expected) in cases {
        assert_eq!(w.ada(query), set(expected), "{query}");
    }
    // The copy of "Engine notes" in Archive has the same Message-ID: listed once.
    let engine = w.ada("engine");
    assert_eq!(engine.len(), 1, "{engine:?}");
}

#[test]
fn case_and_accents_fold_for_every_script() {
    let w = World::new();
    for query in [
        "köln",
        "KÖLN",
        "koln",
        "KOLN",
        "grüße",
        "GRÜSSE aus",
        "from:MÜLLER",
        "from:jorg",
    ] {
        let expected: &[(&str, u32)] = if query.starts_with("GRÜSSE") {
            // "ß" becomes "ss" only under full case folding, which unicode61 does not do.
            &[]
        } else {
            &[("INBOX", 2)]
        };
        assert_eq!(w.ada(query), set(expected), "{query}");
    }
}

#[test]
fn bodies_are_searched_once_cached_and_through_the_server_before() {
    let w = World::new();
    // INBOX bodies are fetched ahead by the sync (offline reading), Archive's are not.
    assert_eq!(w.ada("body:treffen"), set(&[("INBOX", 2)]));
    assert_eq!(
        w.ada("body:BURO body:montag"),
        set(&[("INBOX", 2)]),
        "accents fold in bodies too"
    );
    assert_eq!(
        w.ada("body:scheduler"),
        set(&[]),
        "not cached: the cache cannot see it"
    );
    let hits = w.hits("body:scheduler", &["--account", "ada", "--server"]);
    assert_eq!(
        hits,
        BTreeSet::from([("ada".to_string(), "Archive".to_string(), 2, true)]),
        "found by the server, shown from the cache row"
    );
    w.ok(&["read", "--account", "ada", "--folder", "Archive", "2"]);
    assert_eq!(w.ada("body:scheduler"), set(&[("Archive", 2)]));
}

#[test]
fn an_uncached_folder_is_asked_and_its_hits_are_marked() {
    let w = World::new();
    let hits = w.hits("release", &["--account", "ada"]);
    assert_eq!(
        hits,
        BTreeSet::from([("ada".to_string(), "Lists/dev".to_string(), 1, false)])
    );
    let text = w.ok(&["search", "--account", "ada", "release"]);
    assert!(
        text.contains("Lists/dev") && text.contains("release plan"),
        "{text}"
    );
    assert!(
        text.contains('+'),
        "a hit not in the cache is marked: {text}"
    );
}

#[test]
fn an_old_date_range_the_cache_lacks_is_asked() {
    let w = World::new();
    // What a first sync cut short leaves: the newest messages only, the folder incomplete.
    let cache = w.cache().join("ada.sqlite");
    let db = rusqlite::Connection::open(&cache).unwrap();
    let archive: i64 = db
        .query_row("SELECT id FROM folders WHERE name = 'Archive'", [], |r| {
            r.get(0)
        })
        .unwrap();
    db.execute(
        "DELETE FROM messages WHERE folder_id = ?1 AND uid = 2",
        [archive],
    )
    .unwrap();
    db.execute("UPDATE folders SET complete = 0 WHERE id = ?1", [archive])
        .unwrap();
    drop(db);
    let hits = w.hits("before:2021-01-01", &["--account", "ada"]);
    assert_eq!(
        hits,
        BTreeSet::from([("ada".to_string(), "Archive".to_string(), 2, false)])
    );
}

#[test]
fn two_accounts_in_one_list_and_a_triage_action_on_a_result() {
    let w = World::new();
    let hits = w.hits("engine", &[]);
    assert_eq!(
        hits,
        BTreeSet::from([
            ("ada".to_string(), "INBOX".to_string(), 1, true),
            ("bob".to_string(), "INBOX".to_string(), 1, true),
        ])
    );
    let text = w.ok(&["search", "engine"]);
    assert!(
        text.contains("ada/INBOX") && text.contains("bob/INBOX"),
        "{text}"
    );

    // The result names its folder and UID; acting on it reaches that folder only.
    let kernel = w.hits("kernel", &[]);
    let (account, folder, uid, _) = kernel.iter().next().unwrap().clone();
    assert_eq!((account.as_str(), folder.as_str()), ("ada", "Archive"));
    w.ok(&[
        "flag",
        "--account",
        &account,
        "--folder",
        &folder,
        &uid.to_string(),
        "--add",
        "flagged",
    ]);
    let mut raw = w.server.raw_login("ada");
    raw.examine("Archive").unwrap();
    let flags = raw.fetch_flags().unwrap();
    assert!(flags[&uid].iter().any(|f| f == "\\Flagged"), "{flags:?}");
    raw.examine("INBOX").unwrap();
    let inbox = raw.fetch_flags().unwrap();
    assert!(
        !inbox[&2].is_empty() && !inbox[&1].iter().any(|f| f == "\\Flagged"),
        "{inbox:?}"
    );
}

#[test]
fn a_wrong_query_points_at_the_word_and_an_offline_search_uses_the_cache() {
    let mut w = World::new();
    let out = w.run(&["search", "engine frm:ada"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("engine frm:ada\n       ^^^^"), "{err}");
    assert!(err.contains("unknown field"), "{err}");

    w.server.stop();
    let out = w.run(&["search", "--account", "ada", "--json", "engine"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("offline"),
        "says the server was not asked: {err}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1, "{json}");
}

#[test]
fn server_search_uses_esearch_where_offered_with_the_same_results() {
    let queries = [
        "engine",
        "from:grace",
        "is:unread",
        "body:scheduler",
        "subject:\"patch v3\"",
        "cc:nobody",
        "köln",
    ];
    // Every query through the server, counting on the wire what went out.
    let answers = |options: DovecotOptions| {
        let w = World::with(options);
        let proxy = Proxy::start(w.server.imap_port(), ProxyMode::Forward);
        w.write_config(proxy.port());
        let found: Vec<_> = queries
            .iter()
            .map(|query| w.hits(query, &["--account", "ada", "--server"]))
            .collect();
        let sent = |pattern: &str| proxy.count_sent(pattern);
        let counts = (
            sent("UID SEARCH RETURN (ALL) BODY scheduler"),
            sent("UID SEARCH BODY scheduler"),
            sent("RETURN (ALL)"),
        );
        (found, counts, w.server.is_older())
    };
    let (offered, (esearch, plain, returns), older) = answers(DovecotOptions::default());
    if older {
        // The older-server suite: no ESEARCH to offer, so plain UID SEARCH both times.
        assert_eq!((esearch, returns), (0, 0), "older server: no RETURN (ALL)");
        assert!(plain > 0, "older server: plain UID SEARCH");
    } else {
        assert!(esearch > 0, "ESEARCH offered: RETURN (ALL) sent");
        assert_eq!(plain, 0, "ESEARCH offered: no plain UID SEARCH for it");
        assert!(
            returns > queries.len() - 1,
            "each ASCII query went out with ESEARCH"
        );
    }
    let (removed, (esearch, plain, none), _) =
        answers(DovecotOptions::default().without_caps(&["ESEARCH"]));
    assert_eq!(esearch, 0, "not offered: no RETURN (ALL)");
    assert_eq!(none, 0, "not offered: no RETURN (ALL) for any query");
    assert!(plain > 0, "not offered: plain UID SEARCH");
    assert_eq!(offered, removed, "the same hits either way");
    assert_eq!(offered[1].len(), 2, "from:grace: {:?}", offered[1]);
    assert_eq!(offered[3].len(), 1, "body:scheduler: {:?}", offered[3]);
    assert!(offered[5].is_empty(), "cc:nobody: {:?}", offered[5]);
    if !older {
        // A server whose ESEARCH names four billion UIDs: refused, never expanded or listed.
        let w = World::new();
        w.write_config(rewriting_proxy(w.server.imap_port(), absurd_esearch));
        let out = w.run(&["search", "--json", "--account", "ada", "--server", "engine"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("more than") && stderr.contains("search results"),
            "{stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "no hits listed from a hostile answer"
        );
    }
}

/// Every ESEARCH answer claims UIDs 1 to 4 000 000 000 on top of its real ones.
fn absurd_esearch(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("* ESEARCH") {
        return bytes.to_vec();
    }
    text.replace(" UID ALL ", " UID ALL 1:4000000000,")
        .replace(" UID\r\n", " UID ALL 1:4000000000\r\n")
        .into_bytes()
}
