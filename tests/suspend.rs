//! A suspend seen by the real `tern sync --watch`: libfaketime moves only its wall clock
//! (the monotonic one runs on, as when a machine sleeps and wakes), while the proxy in
//! front of Dovecot has silently swallowed the idling connection. IDLE would trust that
//! link until its renewal (29 minutes here); the engine must notice the jump, check the
//! link at once, replace it and fetch the mail delivered meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Proxy, ProxyMode, SeedMessage, TestDovecot, tern_cli};

/// A bound on every wait so a broken test fails instead of hanging; never a claim about
/// speed. Far below the IDLE renewal: only the suspend check can reconnect within it.
const DEADLINE: Duration = Duration::from_secs(180);
const IDLE_REFRESH_SECS: u64 = 29 * 60;

/// Debian's libfaketime (package `faketime`, installed by scripts/test.sh); the
/// thread-safe build, as tern runs threads.
fn libfaketime() -> PathBuf {
    let found = ["/usr/lib", "/usr/local/lib", "/usr/lib64"]
        .iter()
        .flat_map(|root| {
            let nested = std::fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path().join("faketime"));
            std::iter::once(Path::new(root).join("faketime")).chain(nested)
        })
        .map(|dir| dir.join("libfaketimeMT.so.1"))
        .find(|lib| lib.exists());
    found.expect("libfaketimeMT.so.1 not found: install the Debian package faketime")
}

#[test]
fn after_a_suspend_the_watch_replaces_its_silent_link_at_once() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "before", "x")],
    );
    let proxy = Proxy::start(server.imap_port(), ProxyMode::Forward);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            // No STATUS poll either: it too would end IDLE and find the link dead.
            "{}idle_refresh_secs = {IDLE_REFRESH_SECS}\n[sync]\nstatus_interval_secs = 0\n",
            server.account_toml("t", proxy.port())
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let clock = dir.path().join("faketime.rc");
    std::fs::write(&clock, "+0\n").unwrap();
    let log = dir.path().join("watch.log");
    let mut watch = Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--config")
        .arg(&config)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["sync", "--watch"])
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME_TIMESTAMP_FILE", &clock)
        .env("FAKETIME_NO_CACHE", "1")
        .env("DONT_FAKE_MONOTONIC", "1")
        .env_remove("FAKETIME")
        // The wire trace shows when the server accepted IDLE.
        .env("TERN_LOG", "info,imap_next=trace")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let idling = |text: &str| {
        text.split_once("\nonline\n")
            .is_some_and(|(_, after)| after.contains("+ idling"))
    };
    wait_until("IDLE accepted after the first sync", || idling(&read_log()));
    let connections = proxy.accepted();

    // The link goes silent under the idling engine (new connections work again), and
    // another client delivers mail it cannot hear about.
    proxy.set_mode(ProxyMode::BlackHole);
    proxy.set_mode(ProxyMode::Forward);
    server
        .raw_login(server.user())
        .append("INBOX", &[], &SeedMessage::text(2, "while asleep", "x").raw)
        .unwrap();
    // The machine "slept" ten minutes: only the wall clock moved.
    std::fs::write(&clock, "+600\n").unwrap();

    wait_until("the mail delivered meanwhile in the cache", || {
        let list = tern_cli(&config, &cache, &["list", "--json"]);
        String::from_utf8_lossy(&list.stdout).contains("while asleep")
    });
    let text = stop(&mut watch, &read_log);
    assert!(
        text.contains("woke from a suspend; checking the connection"),
        "the suspend was noticed:\n{text}"
    );
    assert!(
        proxy.accepted() > connections,
        "a new connection replaced the silent one"
    );
    let woke = text.find("woke from a suspend").unwrap();
    assert!(
        text[woke..].contains("reconnecting in"),
        "the check found the link dead and replaced it:\n{text}"
    );
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let end = Instant::now() + DEADLINE;
    while !ready() {
        assert!(Instant::now() < end, "never saw {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Ctrl-C to the watch, as a user would; then its log.
fn stop(watch: &mut Child, read_log: &impl Fn() -> String) -> String {
    let _ = Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status();
    let end = Instant::now() + Duration::from_secs(60);
    while watch.try_wait().unwrap().is_none() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    if watch.try_wait().unwrap().is_none() {
        let _ = watch.kill();
        let _ = watch.wait();
    }
    read_log()
}
