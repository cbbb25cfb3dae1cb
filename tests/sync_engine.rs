//! The sync engine against a real Dovecot: first sync, resync after another client's
//! changes (QRESYNC, CONDSTORE-only and plain), UIDVALIDITY changes, IDLE pushes, a kill
//! in the middle of a first sync, and a randomized convergence run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::{Corpus, DovecotOptions, Proxy, ProxyMode, RawImap, SeedMessage, TestDovecot};
use tern::domain::message::Flags;
use tern::store::{SortOrder, Store, Window};
use tern::sync::{Folders, sync_account};

struct Setup {
    server: TestDovecot,
    _dir: tempfile::TempDir,
    store: Store,
}

fn setup(options: DovecotOptions) -> Setup {
    let server = TestDovecot::start_with(options);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.sqlite")).unwrap();
    Setup {
        server,
        _dir: dir,
        store,
    }
}

async fn sync_all(setup: &Setup) {
    let mut client = setup.server.tern_client().await;
    let (events, _rx) = tokio::sync::mpsc::unbounded_channel();
    sync_account(&mut client, &setup.store, &Folders::All, &events)
        .await
        .unwrap();
}

/// UID -> flags as the server has them, read by an independent client.
fn server_state(server: &TestDovecot, folder: &str) -> BTreeMap<u32, Flags> {
    let mut raw = server.raw_login(server.user());
    // A \Noselect parent such as "Lists" holds no messages.
    if raw.examine(folder).is_err() {
        return BTreeMap::new();
    }
    raw.fetch_flags()
        .unwrap()
        .into_iter()
        .map(|(uid, flags)| (uid, Flags::from_imap(&flags)))
        .collect()
}

fn cache_state(store: &Store, folder: &str) -> BTreeMap<u32, Flags> {
    let reader = store.reader().unwrap();
    let Some(state) = reader.folder(folder).unwrap() else {
        return BTreeMap::new();
    };
    reader.all_flags(state.id).unwrap().into_iter().collect()
}

fn server_folders(server: &TestDovecot) -> Vec<String> {
    let mut raw = server.raw_login(server.user());
    let mut names: Vec<String> = raw
        .command_ok("LIST \"\" \"*\"")
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("* LIST"))
        .filter_map(|l| l.rsplit(' ').next())
        .map(|n| n.trim_matches('"').to_string())
        .collect();
    names.sort();
    names
}

fn assert_converged(setup: &Setup) {
    let folders = server_folders(&setup.server);
    let mut cached: Vec<String> = setup
        .store
        .reader()
        .unwrap()
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    cached.sort();
    assert_eq!(cached, folders, "folder lists");
    for folder in &folders {
        assert_eq!(
            cache_state(&setup.store, folder),
            server_state(&setup.server, folder),
            "folder {folder}"
        );
    }
}

#[tokio::test]
async fn first_sync_matches_the_server() {
    let setup = setup(DovecotOptions::default());
    let corpus = Corpus::new(11, 400);
    setup
        .server
        .seed_maildir(setup.server.user(), "INBOX", corpus.iter());
    setup.server.seed_maildir(
        setup.server.user(),
        &setup.server.folder("Lists/dev"),
        [SeedMessage::new(
            "From: =?ISO-8859-1?Q?Fran=E7ois?= <f@example.com>\r\nSubject: \
                 =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=\r\nMessage-ID: <x1@e>\r\n\
                 Date: Mon, 2 Jan 2023 10:00:00 +0000\r\n\r\nbody\r\n",
        )
        .with_flags(&["\\Seen", "Work"])],
    );
    sync_all(&setup).await;
    assert_converged(&setup);
    let reader = setup.store.reader().unwrap();
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    assert!(inbox.complete);
    assert_eq!(inbox.messages, 400);
    let lists = reader
        .folder(&setup.server.folder("Lists/dev"))
        .unwrap()
        .unwrap();
    let row = reader.message(lists.id, 1).unwrap().unwrap();
    assert_eq!(row.subject, "Grüße aus München");
    assert_eq!(row.from_name.as_deref(), Some("François"));
    assert_eq!(row.flags.keywords, ["Work"]);
    // The window query is what the list shows: newest first.
    let window = reader
        .window(inbox.id, SortOrder::DateDesc, Window::Offset(0), 200)
        .unwrap();
    assert_eq!(window.len(), 200);
    assert!(window.windows(2).all(|w| w[0].date >= w[1].date));
}

/// A first sync stores the newest page before it asks for the UID list (by sequence
/// number, without RFC822.SIZE, which costs a maildir server a read of its whole UID list),
/// then fetches that page again with its sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_stores_the_newest_page_before_the_uid_list() {
    let setup = setup(DovecotOptions::default());
    let user = setup.server.user().to_string();
    setup
        .server
        .seed_maildir(&user, "INBOX", Corpus::new(5, 500).iter());
    let proxy = std::sync::Arc::new(Proxy::start(
        setup.server.imap_port(),
        ProxyMode::delay_replies_after("UID SEARCH"),
    ));
    let mut options =
        tern::imap::ConnectOptions::new("127.0.0.1", proxy.port(), tern::imap::Security::Plain);
    options.timeout = Duration::from_secs(30);
    // The proxy reads the commands.
    options.compress = false;
    let creds = tern::imap::auth::Credentials::Password {
        username: user.clone(),
        password: tern::domain::secret::Secret::new(setup.server.password().to_string()),
    };
    let mut client =
        tern::imap::ImapClient::login(&options, &creds, tern::imap::auth::AuthMethod::Auto)
            .await
            .unwrap();
    let store = setup.store.clone();
    let sync = tokio::spawn(async move {
        let (events, _rx) = tokio::sync::mpsc::unbounded_channel();
        sync_account(&mut client, &store, &Folders::One("INBOX".into()), &events).await
    });
    let waiting = proxy.clone();
    let seen = tokio::task::spawn_blocking(move || waiting.wait_seen(Duration::from_secs(30)))
        .await
        .unwrap();
    assert!(seen, "the sync asks for the UID list");
    let reader = setup.store.reader().unwrap();
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    let page: Vec<u32> = reader
        .all_flags(inbox.id)
        .unwrap()
        .into_iter()
        .map(|(uid, _)| uid)
        .collect();
    assert_eq!(
        page,
        (301..=500).collect::<Vec<u32>>(),
        "the newest page first"
    );
    let rows = reader
        .window(inbox.id, SortOrder::DateDesc, Window::Offset(0), 1000)
        .unwrap();
    assert!(rows.iter().all(|r| r.size == 0), "no size asked yet");
    proxy.release();
    sync.await.unwrap().unwrap();
    let rows = reader
        .window(inbox.id, SortOrder::DateDesc, Window::Offset(0), 1000)
        .unwrap();
    assert_eq!(rows.len(), 500);
    assert_eq!(reader.count(inbox.id).unwrap(), 500);
    assert!(rows.iter().all(|r| r.size > 0), "every size filled in");
    assert_eq!(
        cache_state(&setup.store, "INBOX"),
        server_state(&setup.server, "INBOX")
    );
}

async fn resync_after_changes(options: DovecotOptions) {
    let setup = setup(options);
    let [old, fresh, renamed] = ["Old", "Fresh", "Renamed"].map(|f| setup.server.folder(f));
    setup.server.seed_maildir(
        setup.server.user(),
        "INBOX",
        (1..=30).map(|n| SeedMessage::text(n, &format!("message {n}"), "x")),
    );
    setup.server.seed_maildir(
        setup.server.user(),
        &old,
        [SeedMessage::text(100, "old folder", "x")],
    );
    sync_all(&setup).await;
    assert_converged(&setup);

    let mut other = setup.server.raw_login(setup.server.user());
    other.select("INBOX").unwrap();
    other.command_ok("UID STORE 1:5 +FLAGS (\\Seen)").unwrap();
    other
        .command_ok("UID STORE 6 +FLAGS (\\Flagged Work)")
        .unwrap();
    other
        .command_ok("UID STORE 7,8 +FLAGS (\\Deleted)")
        .unwrap();
    other.command_ok("EXPUNGE").unwrap();
    other
        .append(
            "INBOX",
            &["\\Seen"],
            &SeedMessage::text(31, "appended", "x").raw,
        )
        .unwrap();
    other.command_ok(&format!("CREATE {fresh}")).unwrap();
    other
        .append(
            &fresh,
            &[],
            &SeedMessage::text(32, "in a new folder", "x").raw,
        )
        .unwrap();
    other
        .command_ok(&format!("RENAME {old} {renamed}"))
        .unwrap();

    sync_all(&setup).await;
    assert_converged(&setup);
    let reader = setup.store.reader().unwrap();
    assert!(reader.folder(&old).unwrap().is_none());
    let renamed = reader.folder(&renamed).unwrap().unwrap();
    assert_eq!(reader.count(renamed.id).unwrap(), 1);
    let inbox = reader.folder("INBOX").unwrap().unwrap();
    assert_eq!(inbox.messages, 29);
    assert_eq!(inbox.unseen, 23);

    // A second resync with no change keeps everything equal.
    sync_all(&setup).await;
    assert_converged(&setup);
}

#[tokio::test]
async fn resync_converges_with_qresync() {
    resync_after_changes(DovecotOptions::default()).await;
}

#[tokio::test]
async fn resync_converges_with_condstore_only() {
    resync_after_changes(DovecotOptions::default().without_caps(&["QRESYNC"])).await;
}

#[tokio::test]
async fn resync_converges_without_extensions() {
    resync_after_changes(DovecotOptions::default().without_caps(&["QRESYNC", "CONDSTORE"])).await;
}

#[tokio::test]
async fn uidvalidity_change_is_detected_and_recovered() {
    let setup = setup(DovecotOptions::default());
    let projects = setup.server.folder("Projects");
    setup.server.seed_maildir(
        setup.server.user(),
        &projects,
        (1..=5).map(|n| SeedMessage::text(n, "before", "x")),
    );
    sync_all(&setup).await;
    let before = setup
        .store
        .reader()
        .unwrap()
        .folder(&projects)
        .unwrap()
        .unwrap()
        .uidvalidity;
    // Deleting and recreating a folder gives it a new UIDVALIDITY.
    let mut other = setup.server.raw_login(setup.server.user());
    other.command_ok(&format!("DELETE {projects}")).unwrap();
    other.command_ok(&format!("CREATE {projects}")).unwrap();
    for n in 1..=2 {
        other
            .append(&projects, &[], &SeedMessage::text(10 + n, "after", "x").raw)
            .unwrap();
    }
    sync_all(&setup).await;
    assert_converged(&setup);
    let reader = setup.store.reader().unwrap();
    let state = reader.folder(&projects).unwrap().unwrap();
    assert_ne!(state.uidvalidity, before);
    let rows = reader
        .window(state.id, SortOrder::DateDesc, Window::Offset(0), 50)
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.subject == "after"));
}

#[tokio::test]
async fn idle_push_lands_in_the_store() {
    let setup = setup(DovecotOptions::default());
    setup.server.seed_maildir(
        setup.server.user(),
        "INBOX",
        [SeedMessage::text(1, "first", "x")],
    );
    let account = tern::config::Config::parse(
        &setup.server.account_toml("t", setup.server.imap_port()),
        std::path::Path::new("test.toml"),
    )
    .unwrap()
    .accounts
    .remove(0);
    let options = tern::sync::watch::WatchOptions {
        folder: "INBOX".into(),
        folders: Folders::One("INBOX".into()),
        idle_refresh: Duration::from_secs(540),
        status_interval: None,
        prefetch_bodies: tern::config::Prefetch::OFF,
        replay_journal: true,
    };
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let store = setup.store.clone();
    let watcher = tokio::spawn(async move {
        tern::sync::watch::run(&account, &store, &options, &events, stopped).await
    });
    // Wait until the first sync is done (the engine says it is online).
    loop {
        match tokio::time::timeout(Duration::from_secs(30), received.recv()).await {
            Ok(Some(tern::bus::EngineEvent::Conn(tern::bus::ConnState::Online))) => break,
            Ok(Some(_)) => {}
            other => panic!("engine never came online: {other:?}"),
        }
    }
    let appended_at = std::time::Instant::now();
    let mut other = setup.server.raw_login(setup.server.user());
    other
        .append(
            "INBOX",
            &[],
            &SeedMessage::text(2, "pushed by IDLE", "x").raw,
        )
        .unwrap();
    let reader = setup.store.reader().unwrap();
    let folder = reader.folder("INBOX").unwrap().unwrap().id;
    let mut landed = false;
    // Bounded wait so a broken IDLE fails instead of hanging; the latency is printed.
    for _ in 0..200 {
        if reader.message(folder, 2).unwrap().is_some() {
            landed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "IDLE push reached the cache after {:?}",
        appended_at.elapsed()
    );
    assert!(landed, "the pushed message reached the cache");
    assert_eq!(
        reader.message(folder, 2).unwrap().unwrap().subject,
        "pushed by IDLE"
    );
    // Flag changes and expunges by another client are pushed too.
    other.select("INBOX").unwrap();
    other.command_ok("UID STORE 1 +FLAGS (\\Flagged)").unwrap();
    let mut flagged = false;
    for _ in 0..200 {
        if reader
            .message(folder, 1)
            .unwrap()
            .is_some_and(|m| m.flags.flagged())
        {
            flagged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(flagged, "the pushed flag change reached the cache");
    stop.send(true).unwrap();
    watcher.await.unwrap().unwrap();
}

#[test]
fn killing_a_first_sync_midway_then_syncing_again_completes_the_cache() {
    let server = TestDovecot::start();
    server.seed_maildir(server.user(), "INBOX", Corpus::new(5, 20_000).iter());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, server.account_toml("t", server.imap_port())).unwrap();
    let cache_dir = dir.path().join("cache");
    let tern = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tern"));
        command
            .arg("--config")
            .arg(&config)
            .arg("--cache-dir")
            .arg(&cache_dir)
            .args(args);
        command
    };
    let mut child = tern(&["sync"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let db = tern::store::cache_path(&cache_dir, "t");
    // Kill it once some, but not all, messages are committed.
    let mut partial = 0;
    for _ in 0..2000 {
        if let Ok(store) = tern::store::Reader::open(&db)
            && let Ok(Some(folder)) = store.folder("INBOX")
        {
            partial = store.count(folder.id).unwrap_or(0);
            if partial > 0 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(partial > 0, "the first batch was committed before the kill");
    eprintln!("killed with {partial} of 20000 messages cached");
    // Flags of cached rows change meanwhile: the resumed sync must read them again.
    let mut raw = server.raw_login(server.user());
    raw.command_ok("SELECT INBOX").unwrap();
    raw.command_ok("UID STORE 19990:20000 FLAGS (\\Flagged Work)")
        .unwrap();

    let output = tern(&["sync"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(cache_state(&store, "INBOX"), server_state(&server, "INBOX"));
    assert!(
        store
            .reader()
            .unwrap()
            .folder("INBOX")
            .unwrap()
            .unwrap()
            .complete
    );
}

/// A tiny deterministic RNG for the convergence run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn random_operation(server: &TestDovecot, raw: &mut RawImap, rng: &mut Rng, step: usize) {
    let folders = ["INBOX", "Archive", "Lists/dev"].map(|f| server.folder(f));
    let folder = folders[rng.below(folders.len())].as_str();
    raw.select(folder).unwrap();
    let uids = raw.uid_search_all().unwrap();
    let pick = |rng: &mut Rng| uids[rng.below(uids.len())];
    match rng.below(6) {
        0 | 1 => {
            raw.append(
                folder,
                &[],
                &SeedMessage::text(10_000 + step as u64, &format!("random {step}"), "x").raw,
            )
            .unwrap();
        }
        2 if !uids.is_empty() => {
            let flags = ["\\Seen", "\\Flagged", "\\Answered", "Work", "$label1"];
            let flag = flags[rng.below(flags.len())];
            let sign = if rng.below(2) == 0 { '+' } else { '-' };
            raw.command_ok(&format!("UID STORE {} {sign}FLAGS ({flag})", pick(rng)))
                .unwrap();
        }
        3 if !uids.is_empty() => {
            raw.command_ok(&format!("UID STORE {} +FLAGS (\\Deleted)", pick(rng)))
                .unwrap();
            raw.command_ok("EXPUNGE").unwrap();
        }
        4 if !uids.is_empty() => {
            let target = folders[rng.below(folders.len())].as_str();
            if target != folder {
                raw.command_ok(&format!("UID MOVE {} {}", pick(rng), target))
                    .unwrap();
            }
        }
        _ => {
            raw.command_ok("NOOP").unwrap();
        }
    }
}

async fn converge(options: DovecotOptions, seed: u64) {
    let setup = setup(options);
    for folder in ["INBOX", "Archive", "Lists/dev"] {
        setup.server.seed_maildir(
            setup.server.user(),
            &setup.server.folder(folder),
            Corpus::new(seed + folder.len() as u64, 40).iter(),
        );
    }
    sync_all(&setup).await;
    let mut raw = setup.server.raw_login(setup.server.user());
    let mut rng = Rng(seed);
    for round in 0..6 {
        for step in 0..12 {
            random_operation(&setup.server, &mut raw, &mut rng, round * 100 + step);
        }
        sync_all(&setup).await;
        assert_converged(&setup);
    }
}

#[tokio::test]
async fn random_changes_converge_with_qresync() {
    converge(DovecotOptions::default(), 1).await;
}

#[tokio::test]
async fn random_changes_converge_without_extensions() {
    converge(
        DovecotOptions::default().without_caps(&["QRESYNC", "CONDSTORE"]),
        2,
    )
    .await;
}
