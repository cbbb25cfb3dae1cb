//! Soak (not part of the normal run: `#[ignore]`, started by scripts/soak.sh): the real
//! `tern sync --watch --all` follows a real Dovecot while another client appends, flags
//! and expunges without pause for TERN_SOAK_MINUTES (default 1). Then the cache must equal
//! the server (UIDs and flags per folder, via `tern list --json`), and the RSS of the tern
//! process, sampled every 30 s, is printed (first, max, last) to show it stays flat.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::corpus::Rng;
use support::{SeedMessage, TestDovecot, tern_cli};

const FOLDERS: [&str; 2] = ["INBOX", "Work"];
/// A bound on the other client's work, so the loop ends by count as well as by time.
const MAX_OPERATIONS: u64 = 2_000_000;
/// Messages per folder the other client keeps around (it expunges more above it).
const TARGET_SIZE: usize = 300;
/// How long the cache may take to catch up once the other client stops.
const SETTLE: Duration = Duration::from_secs(300);
const SAMPLE_EVERY: Duration = Duration::from_secs(30);

type FlagsByUid = BTreeMap<u32, Vec<String>>;

#[test]
#[ignore = "a soak of minutes: scripts/soak.sh runs it"]
fn watch_stays_in_step_and_flat_under_constant_change() {
    let minutes: u64 = std::env::var("TERN_SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(1);
    let server = TestDovecot::start();
    for (i, folder) in FOLDERS.iter().enumerate() {
        let base = (i as u64 + 1) * 1_000_000;
        server.seed_maildir(
            server.user(),
            folder,
            (0..100).map(|n| SeedMessage::text(base + n, &format!("seed {n}"), "x")),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "{}[sync]\nstatus_interval_secs = 15\nprefetch_bodies = 50\n",
            server.account_toml("t", server.imap_port())
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let stderr_path = dir.path().join("watch.stderr");
    let mut watch = Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--config")
        .arg(&config)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["sync", "--watch", "--all"])
        .env_remove("TERN_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    wait_until("the first sync", Duration::from_secs(120), || {
        std::fs::read_to_string(&stderr_path).is_ok_and(|s| s.contains("online"))
    });

    let (stop_sampling, stopped) = mpsc::channel::<()>();
    let pid = watch.id();
    let sampler = std::thread::spawn(move || {
        let mut samples = vec![rss_kib(pid)];
        while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(SAMPLE_EVERY) {
            samples.push(rss_kib(pid));
        }
        samples.push(rss_kib(pid));
        samples.into_iter().flatten().collect::<Vec<u64>>()
    });

    let work = churn(&server, Duration::from_secs(minutes * 60));
    let churned = Instant::now();
    let mut last_difference = String::new();
    let converged = wait_until_or("the cache to equal the server", SETTLE, || {
        last_difference = FOLDERS
            .iter()
            .filter_map(|folder| {
                let (server_side, cached) = (
                    server_flags(&server, folder),
                    cached_flags(&config, &cache, folder),
                );
                (server_side != cached).then(|| describe(folder, &server_side, &cached))
            })
            .collect();
        last_difference.is_empty()
    });
    let settle_secs = churned.elapsed().as_secs();
    drop(stop_sampling);
    let samples = sampler.join().unwrap();
    let stderr = stop(&mut watch, &stderr_path);
    assert!(
        converged,
        "the cache never caught up: {last_difference}\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let messages: usize = FOLDERS.iter().map(|f| server_flags(&server, f).len()).sum();
    let (first, max, last) = (
        samples.first().copied().unwrap_or(0),
        samples.iter().copied().max().unwrap_or(0),
        samples.last().copied().unwrap_or(0),
    );
    println!(
        "soak: {minutes} min: {} appends, {} flag changes, {} expunges; cache equal to the \
         server ({messages} messages in {} folders) {settle_secs} s after the churn stopped",
        work.appends,
        work.flag_changes,
        work.expunges,
        FOLDERS.len()
    );
    println!(
        "soak: tern RSS over {} samples every {} s: first {first} KiB, max {max} KiB, last {last} KiB",
        samples.len(),
        SAMPLE_EVERY.as_secs()
    );
    println!("soak: RSS samples (KiB): {samples:?}");
    assert!(samples.len() >= 2, "RSS was sampled: {samples:?}");
    assert!(
        work.appends > 0 && work.flag_changes > 0 && work.expunges > 0,
        "{work:?}"
    );
}

#[derive(Debug, Default)]
struct Work {
    appends: u64,
    flag_changes: u64,
    expunges: u64,
}

/// Another client changing both folders without pause until `length` is over.
fn churn(server: &TestDovecot, length: Duration) -> Work {
    let mut imap = server.raw_login(server.user());
    let mut rng = Rng::new(11);
    let mut uids: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for folder in FOLDERS {
        imap.select(folder).unwrap();
        uids.insert(folder, imap.uid_search_all().unwrap());
    }
    let mut work = Work::default();
    let end = Instant::now() + length;
    let mut selected = "";
    let mut n = 0u64;
    while Instant::now() < end && n < MAX_OPERATIONS {
        n += 1;
        let folder = rng.choice(&FOLDERS);
        if folder != selected {
            imap.select(folder).unwrap();
            selected = folder;
        }
        let present = uids.get_mut(folder).unwrap();
        // Around TARGET_SIZE: more appends below it, more expunges above.
        let (appends, flag_changes) = if present.len() < TARGET_SIZE {
            (5, 8)
        } else {
            (2, 6)
        };
        let roll = rng.below(10);
        if present.is_empty() || roll < appends {
            let message = SeedMessage::text(n, &format!("churn {n}"), "body");
            let initial: &[&str] = if rng.chance(0.3) { &["\\Seen"] } else { &[] };
            present.push(imap.append(folder, initial, &message.raw).unwrap());
            work.appends += 1;
        } else if roll < flag_changes {
            let uid = present[rng.below(present.len())];
            let flag = rng.choice(&["\\Seen", "\\Flagged", "\\Answered", "$Label1", "work"]);
            let sign = if rng.chance(0.5) { '+' } else { '-' };
            imap.command_ok(&format!("UID STORE {uid} {sign}FLAGS.SILENT ({flag})"))
                .unwrap();
            work.flag_changes += 1;
        } else {
            let uid = present.swap_remove(rng.below(present.len()));
            imap.command_ok(&format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"))
                .unwrap();
            imap.command_ok(&format!("UID EXPUNGE {uid}")).unwrap();
            work.expunges += 1;
        }
    }
    let _ = imap.logout();
    work
}

/// UID -> sorted flags of `folder` as the server has them (\Recent is per session).
fn server_flags(server: &TestDovecot, folder: &str) -> FlagsByUid {
    let mut imap = server.raw_login(server.user());
    imap.examine(folder).unwrap();
    let flags = imap.fetch_flags().unwrap();
    let _ = imap.logout();
    normalized(flags)
}

/// UID -> sorted flags of `folder` as `tern list --json` shows the cache.
fn cached_flags(config: &std::path::Path, cache: &std::path::Path, folder: &str) -> FlagsByUid {
    let out = tern_cli(
        config,
        cache,
        &["list", "--json", "--folder", folder, "--limit", "1000000"],
    );
    if !out.status.success() {
        return FlagsByUid::new();
    }
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let flags = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let uid = u32::try_from(r["uid"].as_u64().unwrap()).unwrap();
            let flags = r["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            (uid, flags)
        })
        .collect();
    normalized(flags)
}

fn normalized(mut flags: FlagsByUid) -> FlagsByUid {
    for list in flags.values_mut() {
        list.retain(|f| !f.eq_ignore_ascii_case("\\Recent"));
        list.sort();
    }
    flags
}

/// The first few differences, for the failure message.
fn describe(folder: &str, server: &FlagsByUid, cached: &FlagsByUid) -> String {
    let mut lines = Vec::new();
    for (uid, flags) in server {
        match cached.get(uid) {
            None => lines.push(format!("{folder} {uid}: missing from the cache")),
            Some(c) if c != flags => {
                lines.push(format!("{folder} {uid}: server {flags:?}, cache {c:?}"));
            }
            Some(_) => {}
        }
    }
    for uid in cached.keys().filter(|uid| !server.contains_key(uid)) {
        lines.push(format!(
            "{folder} {uid}: expunged on the server, still cached"
        ));
    }
    let total = lines.len();
    lines.truncate(5);
    format!("{total} difference(s): {}\n", lines.join("; "))
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    assert!(wait_until_or(what, limit, &mut ready), "never saw {what}");
}

/// Polls `ready` every 2 s until it holds (true) or `limit` passed (false).
fn wait_until_or(_what: &str, limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Ctrl-C to the watch (as a user would), then what it wrote on stderr.
fn stop(watch: &mut Child, stderr_path: &std::path::Path) -> String {
    let _ = Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status();
    let end = Instant::now() + Duration::from_secs(60);
    while watch.try_wait().unwrap().is_none() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(200));
    }
    if watch.try_wait().unwrap().is_none() {
        let _ = watch.kill();
        let _ = watch.wait();
    }
    std::fs::read_to_string(stderr_path).unwrap_or_default()
}
