//! How fast tern's sync engine fills and refreshes the cache, beside the protocol floor.
//!
//! For each mailbox size (default 10k and 100k messages, seeded into a private Dovecot 2.3;
//! seeding is not timed) it measures, with tern's own connection defaults:
//! - cold full sync: a fresh cache, connect + login + `sync_account(One(INBOX))`, timed from
//!   before the connect to the return (also without connect/login, and from the folder list
//!   on, i.e. the folder sync alone); the cache's size on disk afterwards (db + WAL after a
//!   `wal_checkpoint(TRUNCATE)`) and per message;
//! - newest 200 rows: during each cold sync a thread polls a separate `Reader` every 1 ms
//!   until the INBOX holds 200 rows and the `DateDesc` window of 200 is full;
//! - no-change resync: `sync_account` again on the warm cache over a fresh connection;
//! - 1% flag changes: another client `UID STORE`s `\Flagged` on (resp. off) 1% of the
//!   messages, spread evenly, then a resync; the cache's flagged set must be the server's.
//!
//! Every figure is printed beside the floor measured in the same run: a raw socket that
//! sends `UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)` and only reads bytes
//! until the tagged OK (as in benches/imap_fetch.rs), with the ratio and the issue's target.
//! The floor of tern's own listing query (header fields, MODSEQ) is printed too, and each
//! resync is followed by its raw counterpart: the same QRESYNC SELECT (the cache's state
//! from before the resync) over a raw socket, alone and after LIST/STATUS as tern sends
//! them. Unless `TERN_BENCH_PHASES=0`, the cold sync is also taken apart from the outside:
//! LIST/STATUS, SELECT, UID SEARCH, the first batch, the batched UID FETCH alone (with and
//! without COMPRESS, and as one command), header parsing, and the SQLite inserts with and
//! without thread links, each timed on its own. The details list the cache's tables,
//! indexes and columns by size and the query plans of the sync's hot statements.
//!
//! ```text
//! cargo bench --bench sync                       # 10k and 100k
//! cargo bench --bench sync -- 10k 50000          # sizes as arguments
//! TERN_BENCH_SIZES=10000 cargo bench --bench sync
//! TERN_BENCH_RUNS=3 cargo bench --bench sync     # cold syncs per size (default 3, 2 from 100k)
//! TERN_BENCH_RESYNC_RUNS=7 cargo bench --bench sync   # resyncs of each kind (default 5)
//! TERN_BENCH_COMPRESS=1 cargo bench --bench sync # with COMPRESS=DEFLATE (tern turns it
//!                                                # off on loopback, so the default is off)
//! TERN_BENCH_PHASES=0 cargo bench --bench sync   # skip the phase breakdown
//! TERN_BENCH_INSERTS=3 cargo bench --bench sync  # only: fetch once, then time the cold
//!                                                # sync's inserts 3 times (writer CPU too)
//! TERN_BENCH_INSERTS=1 TERN_BENCH_DUMP=f cargo bench --bench sync
//!                                                # and write every row's thread place to f
//! ```
//!
//! Without `--bench` among its arguments (under `cargo test --all-targets`) it only runs a
//! 300-message smoke version with its assertions (cache == server after the cold sync, the
//! newest page seen, nothing fetched by a no-change resync, the flagged set after the 1%
//! change), in a few seconds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use support::{Corpus, DovecotOptions, RawImap, TestDovecot};
use tern::bus::{ConnState, EngineEvent};
use tern::domain::headers::HEADER_FIELDS;
use tern::domain::message::NewMessage;
use tern::domain::secret::Secret;
use tern::imap::auth::{AuthMethod, Credentials};
use tern::imap::{ConnectOptions, FetchItem, ImapClient, SearchQuery, Security, Update, discard};
use tern::store::{Reader, SortOrder, Store, Window};
use tern::sync::apply::RawMessage;
use tern::sync::folder::{FolderReport, header_items};
use tern::sync::{Folders, sync_account};

#[path = "common/bench_util.rs"]
mod bench_util;
use bench_util::{parse_size, process_cpu};

const SMOKE_SIZE: usize = 300;
const CORPUS_SEED: u64 = 0x7e41;
/// The page the list shows first, and the sync's first batch.
const FIRST_PAGE: usize = 200;
/// The sync's later batches and the size its last ones halve down to
/// (src/sync/folder.rs); the phase breakdown mirrors them.
const BATCH: usize = 5000;
const LAST_BATCH: usize = 500;
const READ_CHUNK: usize = 64 * 1024;
const FLOOR_TAG: &str = "zz9";
const ENVELOPE_QUERY: &str = "UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)";
const POLL_EVERY: Duration = Duration::from_millis(1);
const NEOMUTT_CACHE_MB: f64 = 103.0;

struct Config {
    sizes: Vec<usize>,
    /// Cold syncs per size; None = 3, or 2 from 100k on.
    cold_runs: Option<usize>,
    resync_runs: usize,
    floor_runs: usize,
    compress: bool,
    phases: bool,
    smoke: bool,
}

impl Config {
    fn from_env() -> Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        // tern does not deflate on loopback (connect::connect_options); follow it.
        let compress = std::env::var("TERN_BENCH_COMPRESS").is_ok_and(|v| v != "0");
        if !args.iter().any(|a| a == "--bench") {
            return Ok(Config {
                sizes: vec![SMOKE_SIZE],
                cold_runs: Some(1),
                resync_runs: 2,
                floor_runs: 1,
                compress,
                phases: false,
                smoke: true,
            });
        }
        let mut sizes: Vec<usize> = args
            .iter()
            .filter(|a| !a.starts_with('-'))
            .map(|a| parse_size(a))
            .collect::<Result<_>>()?;
        if sizes.is_empty()
            && let Ok(list) = std::env::var("TERN_BENCH_SIZES")
        {
            sizes = list
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(parse_size)
                .collect::<Result<_>>()?;
        }
        if sizes.is_empty() {
            sizes = vec![10_000, 100_000];
        }
        let env_count = |name: &str| -> Result<Option<usize>> {
            match std::env::var(name) {
                Ok(v) => Ok(Some(v.parse::<usize>().context(name.to_string())?.max(1))),
                Err(_) => Ok(None),
            }
        };
        Ok(Config {
            sizes,
            cold_runs: env_count("TERN_BENCH_RUNS")?,
            resync_runs: env_count("TERN_BENCH_RESYNC_RUNS")?.unwrap_or(5),
            floor_runs: 3,
            compress,
            phases: std::env::var("TERN_BENCH_PHASES").map_or(true, |v| v != "0"),
            smoke: false,
        })
    }

    fn cold_runs_for(&self, n: usize) -> usize {
        self.cold_runs
            .unwrap_or(if n >= 100_000 { 2 } else { 3 })
            .max(1)
    }
}

fn main() -> Result<()> {
    let config = Config::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let users: Vec<String> = config.sizes.iter().map(|n| format!("u{n}")).collect();
    let user_refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let server = TestDovecot::start_with(DovecotOptions::default().users(&user_refs));
    let say = |msg: String| {
        if !config.smoke {
            eprintln!("{msg}");
        }
    };
    say(format!("Dovecot on 127.0.0.1:{}", server.imap_port()));
    for (&n, user) in config.sizes.iter().zip(&users) {
        let started = Instant::now();
        let seeded = server.seed_maildir(user, "INBOX", Corpus::new(CORPUS_SEED, n).iter());
        ensure!(seeded == n, "seeded {seeded} of {n} messages");
        say(format!(
            "seeded {n} messages for {user} in {:.1} s (not timed)",
            started.elapsed().as_secs_f64()
        ));
    }

    // The writer alone, for profiling: fetch once, then time the inserts k times.
    if let Some(k) = std::env::var("TERN_BENCH_INSERTS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        for (&n, user) in config.sizes.iter().zip(&users) {
            let bench = Bench {
                server: &server,
                user,
                n,
                compress: config.compress,
                smoke: config.smoke,
            };
            bench.inserts_only(&runtime, k.max(1))?;
        }
        return Ok(());
    }

    let mut results = Vec::new();
    for (&n, user) in config.sizes.iter().zip(&users) {
        let bench = Bench {
            server: &server,
            user,
            n,
            compress: config.compress,
            smoke: config.smoke,
        };
        results.push(bench.measure(&runtime, &config)?);
    }

    if config.smoke {
        println!(
            "sync: smoke check of {SMOKE_SIZE} messages passed \
             (run `cargo bench --bench sync` for figures)"
        );
        return Ok(());
    }
    print_table(&results, config.compress);
    for r in &results {
        print_details(r);
    }
    Ok(())
}

struct Bench<'a> {
    server: &'a TestDovecot,
    user: &'a str,
    n: usize,
    compress: bool,
    smoke: bool,
}

/// One cold sync into a fresh cache.
struct ColdRun {
    /// Connect..return of `sync_account`.
    total: Duration,
    login: Duration,
    /// From the folder list being cached (FoldersChanged) to the return.
    folder: Option<Duration>,
    /// From before the connect until the newest page was readable.
    first_page: Option<Duration>,
    /// How many of that page's rows were among the newest FIRST_PAGE UIDs.
    first_page_newest: usize,
    /// (time since start, done, total) of each progress event.
    progress: Vec<(Duration, u32, u32)>,
    /// CPU time of this process (all threads) during the run.
    cpu: Duration,
    cache: CacheSize,
}

#[derive(Clone, Default)]
struct CacheSize {
    db: u64,
    wal: u64,
    /// (table or index, bytes) from dbstat, largest first.
    objects: Vec<(String, u64)>,
    /// (column, total bytes of its values).
    columns: Vec<(String, u64)>,
    /// (what, query plan) of the sync's hot statements, from this SQLite on this file.
    plans: Vec<(&'static str, String)>,
    /// The unseen count without an index named, and on messages_unseen (what refresh_counts uses):
    /// ((time, count), (time, count)), each on a new connection.
    unseen: Option<((Duration, i64), (Duration, i64))>,
}

impl CacheSize {
    fn total(&self) -> u64 {
        self.db + self.wal
    }
}

/// One resync over a fresh connection.
#[derive(Clone, Copy)]
struct Resync {
    total: Duration,
    login: Duration,
    cpu: Duration,
    flags_changed: usize,
    /// The raw side of the same resync: connect, LOGIN, ENABLE QRESYNC, then
    /// `SELECT INBOX (QRESYNC (<uidvalidity> <modseq>))` with the cache's state from before
    /// tern's resync, read to the tagged OK: (SELECT alone, connect..OK).
    raw_select: Duration,
    raw_total: Duration,
    /// The same, with tern's LIST and STATUS of the other folders before the SELECT.
    mirror_select: Duration,
    mirror_total: Duration,
    /// After the resync, on the warm cache: `store.reader()?.count(INBOX)` (a new Reader,
    /// as the sync opens one), and a writer transaction of `refresh_counts` alone.
    reader_count: Duration,
    refresh_counts: Duration,
}

impl Resync {
    fn sync_only(&self) -> Duration {
        self.total.saturating_sub(self.login)
    }
}

/// The cold sync taken apart.
#[derive(Default)]
struct Phases {
    /// LIST and STATUS of the other folders, as sync_account starts.
    list_status: Duration,
    /// SELECT INBOX after them (no cached state: no QRESYNC parameters).
    select: Duration,
    /// SELECT INBOX as the first command after login.
    select_alone: Duration,
    search: Duration,
    /// The first batch (the newest 200) alone.
    first_batch: Duration,
    /// The batched UID FETCH of tern's items, as the sync does it (tern's COMPRESS setting).
    fetch: Duration,
    fetch_cpu: Duration,
    /// The same with COMPRESS the other way round.
    fetch_other: Duration,
    /// All UIDs in one UID FETCH (tern's COMPRESS setting).
    fetch_single: Duration,
    parse: Duration,
    insert: Duration,
    insert_unlinked: Duration,
    finish: Duration,
}

struct SizeResult {
    n: usize,
    floor: Vec<Duration>,
    floor_bytes: usize,
    tern_floor: Vec<Duration>,
    tern_floor_bytes: usize,
    cold: Vec<ColdRun>,
    resync: Vec<Resync>,
    flag_runs: Vec<Resync>,
    flag_count: usize,
    /// One writer transaction of `flag_count` `set_flags` (the flags they already had).
    flag_write: Duration,
    phases: Option<Phases>,
}

impl Bench<'_> {
    fn say(&self, msg: String) {
        if !self.smoke {
            eprintln!("{msg}");
        }
    }

    fn measure(&self, runtime: &tokio::runtime::Runtime, config: &Config) -> Result<SizeResult> {
        let n = self.n;
        let port = self.server.imap_port();
        let password = self.server.password();
        // The floor first: the warm-up also fills Dovecot's cache for both queries.
        let tern_query = tern_wire_query();
        let mut floor = Vec::new();
        let mut tern_floor = Vec::new();
        let (_, floor_bytes) = raw_floor(port, self.user, password, ENVELOPE_QUERY)?;
        let (_, tern_floor_bytes) = raw_floor(port, self.user, password, &tern_query)?;
        for _ in 0..config.floor_runs {
            floor.push(raw_floor(port, self.user, password, ENVELOPE_QUERY)?.0);
            tern_floor.push(raw_floor(port, self.user, password, &tern_query)?.0);
        }
        self.say(format!(
            "{n}: floor (envelope) {}, floor (tern's items) {}",
            list_secs(&floor),
            list_secs(&tern_floor)
        ));

        let mut cold = Vec::new();
        let mut kept = None;
        for i in 0..config.cold_runs_for(n) {
            let (run, dir, store) = runtime.block_on(self.cold_run())?;
            self.say(format!(
                "{n}: cold sync {}: total {:.3} s (login {:.3}, folder {}), newest {FIRST_PAGE} \
                 at {}, cache {:.1} MB, cpu {:.3} s",
                i + 1,
                run.total.as_secs_f64(),
                run.login.as_secs_f64(),
                opt_secs(run.folder),
                opt_ms(run.first_page),
                run.cache.total() as f64 / 1e6,
                run.cpu.as_secs_f64()
            ));
            cold.push(run);
            // The last cold sync's cache is the warm one the resyncs use.
            kept = Some((dir, store));
        }
        let Some((_dir, store)) = kept else {
            bail!("no cold run")
        };
        // Before the flag changes: Dovecot re-reads a Maildir whose files were just renamed.
        let phases = if config.phases {
            Some(self.phases(runtime)?)
        } else {
            None
        };

        let mut resync = Vec::new();
        for _ in 0..config.resync_runs {
            let (run, report) = self.timed_resync(runtime, &store)?;
            ensure!(
                report.fetched == 0 && report.flags_changed == 0 && report.removed == 0,
                "a no-change resync changed something: {report:?}"
            );
            ensure!(
                report.plan.starts_with("Qresync"),
                "resync plan {} (QRESYNC expected)",
                report.plan
            );
            resync.push(run);
        }
        self.say(format!(
            "{n}: no-change resync: {}",
            resync
                .iter()
                .map(|r| format!(
                    "{:.1}/{:.1} ms (raw {:.1}/{:.1})",
                    ms(r.total),
                    ms(r.sync_only()),
                    ms(r.raw_total),
                    ms(r.raw_select)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));

        let (flag_runs, flag_count, flag_write) =
            self.flag_changes(runtime, &store, config.resync_runs)?;
        self.say(format!(
            "{n}: resync after {flag_count} flag changes: {}",
            flag_runs
                .iter()
                .map(|r| format!(
                    "{:.1}/{:.1} ms (raw {:.1}/{:.1})",
                    ms(r.total),
                    ms(r.sync_only()),
                    ms(r.raw_total),
                    ms(r.raw_select)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        self.say(format!(
            "{n}: {flag_count} set_flags in one writer transaction: {:.1} ms",
            ms(flag_write)
        ));
        drop(store);

        Ok(SizeResult {
            n,
            floor,
            floor_bytes,
            tern_floor,
            tern_floor_bytes,
            cold,
            resync,
            flag_runs,
            flag_count,
            flag_write,
            phases,
        })
    }

    fn options(&self, compress: bool) -> ConnectOptions {
        let mut options =
            ConnectOptions::new("127.0.0.1", self.server.imap_port(), Security::Plain);
        options.compress = compress;
        options.timeout = Duration::from_secs(300);
        options
    }

    async fn login(&self, compress: bool) -> Result<ImapClient> {
        let credentials = Credentials::Password {
            username: self.user.to_string(),
            password: Secret::new(self.server.password().to_string()),
        };
        let client = ImapClient::login(&self.options(compress), &credentials, AuthMethod::Auto)
            .await
            .context("tern login")?;
        ensure!(
            client.is_enabled("QRESYNC"),
            "tern did not enable QRESYNC; the resync figures assume it"
        );
        Ok(client)
    }

    /// A fresh cache, a fresh connection, `sync_account(One(INBOX))`; a poller thread
    /// watches for the newest page meanwhile. Returns the cache (and its dir) for resyncs.
    async fn cold_run(&self) -> Result<(ColdRun, tempfile::TempDir, Store)> {
        let n = self.n;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("cache.sqlite");
        let store = Store::open(&path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
        let started = Instant::now();
        let cpu_before = process_cpu();
        let poller = {
            let (path, stop) = (path.clone(), Arc::clone(&stop));
            std::thread::spawn(move || poll_first_page(&path, n, started, &stop))
        };
        let recorder = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(event) = received.recv().await {
                seen.push((started.elapsed(), event));
            }
            seen
        });
        let mut client = self.login(self.compress).await?;
        let login = started.elapsed();
        let reports = sync_account(&mut client, &store, &Folders::One("INBOX".into()), &events)
            .await
            .context("cold sync")?;
        let total = started.elapsed();
        let cpu = process_cpu().saturating_sub(cpu_before);
        stop.store(true, Ordering::Relaxed);
        drop(events);
        let seen = recorder.await.context("event recorder")?;
        let (first_page, first_page_newest) = match poller.join() {
            Ok(found) => found?,
            Err(_) => bail!("poller thread died"),
        };
        client.logout().await.context("logout")?;

        let report = single_report(&reports)?;
        ensure!(
            report.fetched == n,
            "cold sync fetched {} of {n}",
            report.fetched
        );
        let reader = store.reader()?;
        let inbox = reader.folder("INBOX")?.context("no INBOX in the cache")?;
        let cached = reader.count(inbox.id)? as usize;
        let server = self.server_count()?;
        ensure!(
            cached == server && server == n,
            "after the cold sync the cache holds {cached} messages, the server {server}"
        );
        ensure!(inbox.complete, "INBOX not marked complete");
        ensure!(
            first_page.is_some(),
            "the poller never saw the newest {FIRST_PAGE} rows"
        );
        drop(reader);

        let folder = seen.iter().find_map(|(at, e)| {
            matches!(e, EngineEvent::FoldersChanged).then(|| total.saturating_sub(*at))
        });
        let progress = seen
            .iter()
            .filter_map(|(at, e)| match e {
                EngineEvent::Conn(ConnState::Syncing { done, total, .. }) => {
                    Some((*at, *done, *total))
                }
                _ => None,
            })
            .collect();
        let cache = cache_size(&path, !self.smoke)?;
        Ok((
            ColdRun {
                total,
                login,
                folder,
                first_page,
                first_page_newest,
                progress,
                cpu,
                cache,
            },
            dir,
            store,
        ))
    }

    /// `resync`, then the raw side of it: the same QRESYNC SELECT (the cache's state from
    /// before tern's resync) over a raw socket.
    fn timed_resync(
        &self,
        runtime: &tokio::runtime::Runtime,
        store: &Store,
    ) -> Result<(Resync, FolderReport)> {
        let state = store.reader()?.folder("INBOX")?.context("no INBOX")?;
        let (Some(uidvalidity), Some(modseq)) = (state.uidvalidity, state.highestmodseq) else {
            bail!("the cache has no QRESYNC state: {state:?}")
        };
        let (mut run, report) = runtime.block_on(self.resync(store))?;
        let select = format!("SELECT INBOX (QRESYNC ({uidvalidity} {modseq}))");
        let port = self.server.imap_port();
        let password = self.server.password();
        (run.raw_select, run.raw_total) =
            raw_select_floor(port, self.user, password, &[], &select)?;
        // What tern sends before its SELECT: LIST, then STATUS for every other folder.
        let mut before = vec!["LIST \"\" \"*\"".to_string()];
        before.extend(
            store
                .reader()?
                .folders()?
                .into_iter()
                .filter(|f| f.name != "INBOX")
                .map(|f| {
                    format!(
                        "STATUS {} (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ)",
                        support::raw_imap::quote(&f.name)
                    )
                }),
        );
        (run.mirror_select, run.mirror_total) =
            raw_select_floor(port, self.user, password, &before, &select)?;
        let started = Instant::now();
        let count = store.reader()?.count(state.id)?;
        run.reader_count = started.elapsed();
        ensure!(count as usize == self.n, "cache count {count}");
        let folder = state.id;
        let started = Instant::now();
        store.write(move |tx| tx.refresh_counts(folder))?;
        run.refresh_counts = started.elapsed();
        Ok((run, report))
    }

    /// `sync_account` over a fresh connection on the warm cache.
    async fn resync(&self, store: &Store) -> Result<(Resync, FolderReport)> {
        let (events, _received) = tokio::sync::mpsc::unbounded_channel();
        let started = Instant::now();
        let cpu_before = process_cpu();
        let mut client = self.login(self.compress).await?;
        let login = started.elapsed();
        let reports = sync_account(&mut client, store, &Folders::One("INBOX".into()), &events)
            .await
            .context("resync")?;
        let total = started.elapsed();
        let cpu = process_cpu().saturating_sub(cpu_before);
        client.logout().await.context("logout")?;
        let report = single_report(&reports)?.clone();
        Ok((
            Resync {
                total,
                login,
                cpu,
                flags_changed: report.flags_changed,
                raw_select: Duration::ZERO,
                raw_total: Duration::ZERO,
                mirror_select: Duration::ZERO,
                mirror_total: Duration::ZERO,
                reader_count: Duration::ZERO,
                refresh_counts: Duration::ZERO,
            },
            report,
        ))
    }

    /// Another client sets (then clears, alternately) \Flagged on 1% of the messages that
    /// the corpus left unflagged, spread evenly; each change is followed by a timed resync
    /// and a check that the cache's flagged set is the server's.
    fn flag_changes(
        &self,
        runtime: &tokio::runtime::Runtime,
        store: &Store,
        runs: usize,
    ) -> Result<(Vec<Resync>, usize, Duration)> {
        let mut other = self.server.raw_login(self.user);
        other.select("INBOX")?;
        let flagged = server_flagged(&mut other)?;
        let unflagged: Vec<u32> = (1..=self.n as u32)
            .filter(|u| !flagged.contains(u))
            .collect();
        let k = (self.n / 100).max(1).min(unflagged.len());
        ensure!(k > 0, "no unflagged message to flag");
        let step = unflagged.len() / k;
        let chosen: Vec<u32> = (0..k).map(|i| unflagged[i * step + step / 2]).collect();
        let set = chosen
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut out = Vec::new();
        for run in 0..runs.max(2) {
            let op = if run % 2 == 0 { '+' } else { '-' };
            other.command_ok(&format!("UID STORE {set} {op}FLAGS.SILENT (\\Flagged)"))?;
            let expected = server_flagged(&mut other)?;
            let (resync, report) = self.timed_resync(runtime, store)?;
            let cached = cache_flagged(store)?;
            ensure!(
                cached == expected,
                "after the {op}FLAGS resync the cache has {} flagged messages, the server {} \
                 ({} differ)",
                cached.len(),
                expected.len(),
                cached.symmetric_difference(&expected).count()
            );
            ensure!(
                report.flags_changed == k && report.fetched == 0,
                "the resync after {k} flag changes reported {report:?}"
            );
            out.push(resync);
        }
        other.logout()?;

        // The writer's share: the same number of flag updates in one transaction (each row
        // given the flags it has, so the cache stays right).
        let reader = store.reader()?;
        let inbox = reader.folder("INBOX")?.context("no INBOX")?;
        let uidvalidity = inbox.uidvalidity.context("no UIDVALIDITY")?;
        let wanted: BTreeSet<u32> = chosen.iter().copied().collect();
        let rows: Vec<_> = reader
            .all_flags(inbox.id)?
            .into_iter()
            .filter(|(uid, _)| wanted.contains(uid))
            .collect();
        drop(reader);
        ensure!(
            rows.len() == k,
            "{} of the {k} changed rows cached",
            rows.len()
        );
        let folder = inbox.id;
        let started = Instant::now();
        let updated = store.write(move |tx| {
            let mut updated = 0;
            for (uid, flags) in &rows {
                updated += tx.set_flags(folder, uidvalidity, *uid, flags, None)?;
            }
            Ok(updated)
        })?;
        let flag_write = started.elapsed();
        ensure!(updated == k, "set_flags updated {updated} of {k} rows");
        Ok((out, k, flag_write))
    }

    fn server_count(&self) -> Result<usize> {
        let mut raw = self.server.raw_login(self.user);
        let selected = raw.examine("INBOX")?;
        raw.logout()?;
        Ok(selected.exists as usize)
    }

    /// The cold sync's parts, each on its own: UID SEARCH ALL and the batched UID FETCH on
    /// one connection, header parsing on this thread, the inserts into a fresh cache.
    fn phases(&self, runtime: &tokio::runtime::Runtime) -> Result<Phases> {
        let mut phases = Phases::default();
        let run = runtime.block_on(self.fetch_batches(self.compress, false, true))?;
        phases.list_status = run.list_status;
        phases.select = run.select;
        phases.search = run.search;
        phases.first_batch = run.first_batch;
        phases.fetch = run.fetch;
        phases.fetch_cpu = run.cpu;
        let batches = run.batches;
        let run = runtime.block_on(self.fetch_batches(!self.compress, false, false))?;
        let other = run.fetch;
        phases.fetch_other = other;
        phases.select_alone = run.select;
        phases.fetch_single = runtime
            .block_on(self.fetch_batches(self.compress, true, false))?
            .fetch;
        let fetched: usize = batches.iter().map(Vec::len).sum();
        ensure!(fetched == self.n, "phase fetch got {fetched} of {}", self.n);

        let started = Instant::now();
        let parsed: Vec<Vec<NewMessage>> = batches
            .into_iter()
            .map(|b| b.into_iter().map(RawMessage::parse).collect())
            .collect();
        phases.parse = started.elapsed();

        // Thread links removed: every message alone (its own Message-ID kept).
        let unlinked: Vec<Vec<NewMessage>> = parsed
            .iter()
            .map(|b| {
                b.iter()
                    .cloned()
                    .map(|mut m| {
                        m.headers.in_reply_to = None;
                        m.headers.references.clear();
                        m
                    })
                    .collect()
            })
            .collect();
        let (insert, finish) = insert_all(parsed)?;
        phases.insert = insert;
        phases.finish = finish;
        phases.insert_unlinked = insert_all(unlinked)?.0;
        self.say(format!(
            "{}: phases: search {:.3} s, fetch {:.3} s (cpu {:.3} s), fetch compress={} {:.3} s, \
             fetch unbatched {:.3} s, parse {:.3} s, insert {:.3} s, insert unlinked {:.3} s, \
             finish {:.3} s",
            self.n,
            phases.search.as_secs_f64(),
            phases.fetch.as_secs_f64(),
            phases.fetch_cpu.as_secs_f64(),
            !self.compress,
            other.as_secs_f64(),
            phases.fetch_single.as_secs_f64(),
            phases.parse.as_secs_f64(),
            phases.insert.as_secs_f64(),
            phases.insert_unlinked.as_secs_f64(),
            phases.finish.as_secs_f64()
        ));
        Ok(phases)
    }

    /// `TERN_BENCH_INSERTS=k`: the cold sync's inserts alone, k times on fresh caches, with
    /// the thread layout written to `TERN_BENCH_DUMP` (if set) for comparing builds.
    fn inserts_only(&self, runtime: &tokio::runtime::Runtime, k: usize) -> Result<()> {
        let run = runtime.block_on(self.fetch_batches(self.compress, false, false))?;
        let started = Instant::now();
        let parsed: Vec<Vec<NewMessage>> = run
            .batches
            .into_iter()
            .map(|b| b.into_iter().map(RawMessage::parse).collect())
            .collect();
        self.say(format!(
            "{}: fetch {:.3} s (cpu {:.3} s), header parse {:.3} s",
            self.n,
            run.fetch.as_secs_f64(),
            run.cpu.as_secs_f64(),
            started.elapsed().as_secs_f64()
        ));
        let mut times = Vec::new();
        for i in 0..k {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("cache.sqlite");
            let batches = parsed.clone();
            let store = Store::open(&path)?;
            let cpu_before = process_cpu();
            let (insert, finish) = insert_with(&store, batches)?;
            // Before the drop: the writer thread's CPU counts only while it lives.
            let cpu = process_cpu().saturating_sub(cpu_before);
            drop(store);
            self.say(format!(
                "{}: inserts {:.3} s, closing write {:.1} ms, cpu {:.3} s",
                self.n,
                insert.as_secs_f64(),
                ms(finish),
                cpu.as_secs_f64()
            ));
            times.push(insert);
            if i + 1 == k
                && let Ok(out) = std::env::var("TERN_BENCH_DUMP")
            {
                dump_layout(&path, Path::new(&out))?;
            }
        }
        times.sort();
        self.say(format!(
            "{}: inserts median {:.3} s",
            self.n,
            times[times.len() / 2].as_secs_f64()
        ));
        Ok(())
    }

    /// SELECT and UID SEARCH ALL, then the sync's batches (newest first: 200, then 5000
    /// each, the last ones halving down to 500; or all UIDs in one command when `single`)
    /// with the sync's items, collected as the sync collects them.
    async fn fetch_batches(&self, compress: bool, single: bool, list: bool) -> Result<FetchRun> {
        let mut client = self.login(compress).await?;
        let started = Instant::now();
        if list {
            // What sync_account does before the SELECT.
            let entries = client.list(&mut discard()).await.context("LIST")?;
            for entry in entries
                .iter()
                .filter(|e| e.selectable() && e.name != "INBOX")
            {
                client
                    .status(&entry.name, &mut discard())
                    .await
                    .context("STATUS")?;
            }
        }
        let list_status = started.elapsed();
        let started = Instant::now();
        client
            .select("INBOX", false, None, &mut discard())
            .await
            .context("SELECT")?;
        let select = started.elapsed();
        let started = Instant::now();
        let mut uids = client
            .uid_search(SearchQuery::All, &mut discard())
            .await
            .context("UID SEARCH")?;
        let search = started.elapsed();
        uids.sort_unstable();
        uids.reverse();
        let mut items = header_items();
        items.push(FetchItem::ModSeq);
        let started = Instant::now();
        let cpu_before = process_cpu();
        let mut batches = Vec::new();
        let mut first_batch = None;
        let mut rest = uids.as_slice();
        let mut first = true;
        while !rest.is_empty() {
            let size = if single {
                usize::MAX
            } else if first {
                FIRST_PAGE
            } else {
                BATCH.min(rest.len().div_ceil(2).max(LAST_BATCH))
            };
            first = false;
            let (batch, tail) = rest.split_at(size.min(rest.len()));
            rest = tail;
            let mut messages = Vec::with_capacity(batch.len());
            client
                .uid_fetch(&uid_set(batch), &items, None, &mut |u| {
                    if let Update::Fetch(fetch) = u
                        && let Some(raw) = RawMessage::from_fetch(*fetch)
                    {
                        messages.push(raw);
                    }
                })
                .await
                .context("UID FETCH")?;
            batches.push(messages);
            first_batch.get_or_insert_with(|| started.elapsed());
        }
        let fetch = started.elapsed();
        let cpu = process_cpu().saturating_sub(cpu_before);
        client.logout().await.context("logout")?;
        Ok(FetchRun {
            list_status,
            select,
            search,
            first_batch: first_batch.unwrap_or_default(),
            fetch,
            cpu,
            batches,
        })
    }
}

struct FetchRun {
    list_status: Duration,
    select: Duration,
    search: Duration,
    first_batch: Duration,
    fetch: Duration,
    cpu: Duration,
    batches: Vec<Vec<RawMessage>>,
}

/// The inserts of a cold sync into a fresh cache: one transaction per batch, as the sync
/// commits them; then the sync's closing write. Returns (inserts, closing write).
fn insert_all(batches: Vec<Vec<NewMessage>>) -> Result<(Duration, Duration)> {
    let dir = tempfile::tempdir()?;
    insert_into(&dir.path().join("cache.sqlite"), batches)
}

/// Every message's place in the threaded order, one line each, for diffing two builds.
fn dump_layout(cache: &Path, out: &Path) -> Result<()> {
    let conn = rusqlite::Connection::open(cache)?;
    let mut stmt = conn.prepare(
        "SELECT uid, thread_id, thread_latest, thread_pos, depth FROM messages \
         ORDER BY thread_latest DESC, thread_id DESC, thread_pos",
    )?;
    let mut text = String::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let v: [i64; 5] = [r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?];
        text.push_str(&format!("{} {} {} {} {}\n", v[0], v[1], v[2], v[3], v[4]));
    }
    std::fs::write(out, text)?;
    Ok(())
}

fn insert_into(path: &Path, batches: Vec<Vec<NewMessage>>) -> Result<(Duration, Duration)> {
    insert_with(&Store::open(path)?, batches)
}

fn insert_with(store: &Store, batches: Vec<Vec<NewMessage>>) -> Result<(Duration, Duration)> {
    let folder = store.write(|tx| tx.upsert_folder("INBOX", None, None))?;
    const UIDVALIDITY: u32 = 1;
    let started = Instant::now();
    for batch in batches {
        store.write(move |tx| tx.upsert_messages(folder, UIDVALIDITY, &batch))?;
    }
    let insert = started.elapsed();
    let started = Instant::now();
    store.write(move |tx| {
        tx.set_sync_state(folder, Some(1), Some(1))?;
        tx.set_progress(folder, None, true)?;
        tx.refresh_counts(folder)?;
        Ok(())
    })?;
    Ok((insert, started.elapsed()))
}

/// "1:3,7,9:12" for a list of UIDs in any order.
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let lo = sorted[i];
        let mut hi = lo;
        while i + 1 < sorted.len() && sorted[i + 1] == hi + 1 {
            i += 1;
            hi = sorted[i];
        }
        parts.push(if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}:{hi}")
        });
        i += 1;
    }
    parts.join(",")
}

fn single_report(reports: &[FolderReport]) -> Result<&FolderReport> {
    match reports {
        [one] if one.folder == "INBOX" => Ok(one),
        other => bail!("expected one INBOX report, got {other:?}"),
    }
}

/// tern's listing query as the sync sends it (header_items + MODSEQ), for the raw side.
fn tern_wire_query() -> String {
    format!(
        "UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({})] MODSEQ)",
        HEADER_FIELDS.join(" ")
    )
}

/// Polls a separate reader until the INBOX holds the newest page: `count >= 200` and the
/// `DateDesc` window of 200 full. Returns when that was seen (since `started`) and how many
/// of those rows carry one of the newest 200 UIDs; then idles until `stop`, so its CPU time
/// stays countable.
fn poll_first_page(
    path: &Path,
    n: usize,
    started: Instant,
    stop: &AtomicBool,
) -> Result<(Option<Duration>, usize)> {
    let want = FIRST_PAGE.min(n);
    let newest_from = (n - want + 1) as u32;
    let mut found = None;
    let mut reader: Option<Reader> = None;
    let mut folder = None;
    while !stop.load(Ordering::Relaxed) && found.is_none() {
        // The writer creates the file before the clock starts, but be patient anyway.
        if reader.is_none() {
            reader = Reader::open(path).ok();
        }
        if let Some(r) = &reader {
            if folder.is_none() {
                folder = r.folder("INBOX")?.map(|f| f.id);
            }
            if let Some(id) = folder
                && r.count(id)? as usize >= want
            {
                let rows = r.window(id, SortOrder::DateDesc, Window::Offset(0), want as u32)?;
                if rows.len() == want {
                    let at = started.elapsed();
                    let newest = rows.iter().filter(|row| row.uid >= newest_from).count();
                    found = Some((at, newest));
                }
            }
        }
        if found.is_none() {
            std::thread::sleep(POLL_EVERY);
        }
    }
    drop(reader);
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(match found {
        Some((at, newest)) => (Some(at), newest),
        None => (None, 0),
    })
}

/// UIDs with \Flagged on the server.
fn server_flagged(raw: &mut RawImap) -> Result<BTreeSet<u32>> {
    let lines = raw.command_ok("UID SEARCH FLAGGED")?;
    Ok(lines
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace().filter_map(|u| u.parse().ok()))
        .collect())
}

/// UIDs with \Flagged in the cache.
fn cache_flagged(store: &Store) -> Result<BTreeSet<u32>> {
    let reader = store.reader()?;
    let inbox = reader.folder("INBOX")?.context("no INBOX")?;
    Ok(reader
        .all_flags(inbox.id)?
        .into_iter()
        .filter(|(_, f)| f.flagged())
        .map(|(uid, _)| uid)
        .collect())
}

/// The cache file after a TRUNCATE checkpoint (through a connection of our own), and, when
/// `detail`, which tables and indexes and which columns take the room.
fn cache_size(path: &Path, detail: bool) -> Result<CacheSize> {
    let conn = rusqlite::Connection::open(path)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let mut size = CacheSize {
        db: file_len(path),
        wal: file_len(&wal_path(path)),
        ..CacheSize::default()
    };
    if detail {
        let mut stmt = conn.prepare(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC",
        )?;
        size.objects = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let columns = [
            "subject",
            "from_name",
            "from_addr",
            "to_addrs",
            "cc_addrs",
            "message_id",
            "in_reply_to",
            "refs",
            "keywords",
        ];
        let sql = format!(
            "SELECT {} FROM messages",
            columns
                .iter()
                .map(|c| format!("coalesce(sum(length(CAST({c} AS BLOB))), 0)"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        size.columns = conn.query_row(&sql, [], |r| {
            columns
                .iter()
                .enumerate()
                .map(|(i, c)| Ok((c.to_string(), r.get::<_, i64>(i)? as u64)))
                .collect()
        })?;
        for (what, sql) in HOT_STATEMENTS {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let params = (1..=stmt.parameter_count() as i64).collect::<Vec<_>>();
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(params), |r| {
                    r.get::<_, String>(3)
                })?
                .collect::<rusqlite::Result<_>>()?;
            size.plans.push((what, plan.join("; ")));
        }
        let folder: i64 =
            conn.query_row("SELECT id FROM folders WHERE name = 'INBOX'", [], |r| {
                r.get(0)
            })?;
        // Best of three each, alternating.
        let mut best = [(Duration::MAX, 0), (Duration::MAX, 0)];
        for _ in 0..3 {
            for (i, sql) in [UNSEEN_COUNT, UNSEEN_COUNT_INDEXED].into_iter().enumerate() {
                let (t, count) = time_count(path, sql, folder)?;
                best[i] = (best[i].0.min(t), count);
            }
        }
        size.unseen = Some((best[0], best[1]));
    }
    Ok(size)
}

/// Statements the sync runs per message, per thread or per resync, as src/store writes
/// them (parameters bound to small numbers), for their query plans; the last one is the
/// unseen count forced onto its partial index, for comparison.
const HOT_STATEMENTS: [(&str, &str); 6] = [
    (
        "count (Reader::count, refresh_counts)",
        "SELECT count(*) FROM messages WHERE folder_id = ?1",
    ),
    (
        "unseen, no index named (refresh_counts before it named one)",
        UNSEEN_COUNT,
    ),
    (
        "thread rows (thread::relayout)",
        "SELECT uidvalidity, uid, date, message_id, in_reply_to, refs, thread_latest, \
         thread_pos, depth FROM messages INDEXED BY messages_thread \
         WHERE folder_id = ?1 AND thread_id = ?2",
    ),
    (
        "relabel (thread::relabel)",
        "UPDATE messages INDEXED BY messages_thread SET thread_id = ?3 \
         WHERE folder_id = ?1 AND thread_id = ?2",
    ),
    (
        "thread lookup (thread::link)",
        "SELECT thread_id FROM thread_ids WHERE folder_id = ?1 AND msgid_hash = ?2",
    ),
    ("unseen, INDEXED BY messages_unseen", UNSEEN_COUNT_INDEXED),
];

const UNSEEN_COUNT: &str =
    "SELECT count(*) FROM messages WHERE folder_id = ?1 AND sys_flags & 1 = 0";
const UNSEEN_COUNT_INDEXED: &str = "SELECT count(*) FROM messages INDEXED BY messages_unseen \
     WHERE folder_id = ?1 AND sys_flags & 1 = 0";

/// Times `sql` (a count with the folder id as ?1) on a new connection with SQLite's default
/// page cache, as the writer has it: (time, count).
fn time_count(path: &Path, sql: &str, folder: i64) -> Result<(Duration, i64)> {
    let conn = rusqlite::Connection::open(path)?;
    let started = Instant::now();
    let count = conn.query_row(sql, [folder], |r| r.get(0))?;
    Ok((started.elapsed(), count))
}
fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The floor: LOGIN, ENABLE QRESYNC (as tern does), EXAMINE untimed; then `query` and a
/// read loop that only looks at the end of each read for the tagged line. Returns the
/// query's time and the bytes it read.
fn raw_floor(port: u16, user: &str, password: &str, query: &str) -> Result<(Duration, usize)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).context("raw connect")?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    let mut buf = vec![0u8; READ_CHUNK];
    read_to_tagged(&mut stream, &mut buf, "*")?;
    let quote = support::raw_imap::quote;
    for (tag, command) in [
        ("zz1", format!("LOGIN {} {}", quote(user), quote(password))),
        ("zz2", "ENABLE QRESYNC".to_string()),
        ("zz3", "EXAMINE INBOX".to_string()),
    ] {
        stream.write_all(format!("{tag} {command}\r\n").as_bytes())?;
        read_to_tagged(&mut stream, &mut buf, tag)?;
    }
    let started = Instant::now();
    stream.write_all(format!("{FLOOR_TAG} {query}\r\n").as_bytes())?;
    let bytes = read_to_tagged(&mut stream, &mut buf, FLOOR_TAG)?;
    let elapsed = started.elapsed();
    let _ = stream.write_all(b"zz4 LOGOUT\r\n");
    Ok((elapsed, bytes))
}

/// The raw side of a resync: connect, greeting, LOGIN, ENABLE QRESYNC, then `select` (a
/// QRESYNC SELECT) to its tagged OK. Returns (the SELECT alone, connect..OK).
fn raw_select_floor(
    port: u16,
    user: &str,
    password: &str,
    before: &[String],
    select: &str,
) -> Result<(Duration, Duration)> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).context("raw connect")?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    let mut buf = vec![0u8; READ_CHUNK];
    read_to_tagged(&mut stream, &mut buf, "*")?;
    let quote = support::raw_imap::quote;
    for (tag, command) in [
        ("zz1", format!("LOGIN {} {}", quote(user), quote(password))),
        ("zz2", "ENABLE QRESYNC".to_string()),
    ] {
        stream.write_all(format!("{tag} {command}\r\n").as_bytes())?;
        read_to_tagged(&mut stream, &mut buf, tag)?;
    }
    for (i, command) in before.iter().enumerate() {
        let tag = format!("zb{i}");
        stream.write_all(format!("{tag} {command}\r\n").as_bytes())?;
        read_to_tagged(&mut stream, &mut buf, &tag)?;
    }
    let selecting = Instant::now();
    stream.write_all(format!("{FLOOR_TAG} {select}\r\n").as_bytes())?;
    read_to_tagged(&mut stream, &mut buf, FLOOR_TAG)?;
    let (select, total) = (selecting.elapsed(), started.elapsed());
    stream.write_all(b"zz4 LOGOUT\r\n")?;
    read_to_tagged(&mut stream, &mut buf, "zz4")?;
    Ok((select, total))
}

/// Reads until a read ends with a complete line starting with `tag ` (the tagged line is
/// the last thing the server sends); keeps only the last bytes of the stream, so there is
/// no per-byte work. Returns the bytes read.
fn read_to_tagged(stream: &mut TcpStream, buf: &mut [u8], tag: &str) -> Result<usize> {
    const KEEP: usize = 512;
    let prefix = format!("{tag} ");
    let mut tail: Vec<u8> = Vec::with_capacity(2 * KEEP);
    let mut total = 0;
    loop {
        let got = stream.read(buf)?;
        ensure!(got > 0, "raw: connection closed while waiting for {tag}");
        total += got;
        tail.extend_from_slice(&buf[got.saturating_sub(KEEP)..got]);
        if tail.len() > KEEP {
            tail.drain(..tail.len() - KEEP);
        }
        let Some(body) = tail.strip_suffix(b"\r\n") else {
            continue;
        };
        let line = match body.iter().rposition(|&b| b == b'\n') {
            Some(lf) => &body[lf + 1..],
            // The whole stream so far is one line; else the line is too long to be ours.
            None if total == tail.len() => body,
            None => continue,
        };
        if let Some(rest) = line.strip_prefix(prefix.as_bytes()) {
            ensure!(
                tag == "*" || rest.starts_with(b"OK"),
                "raw: {tag} failed: {}",
                String::from_utf8_lossy(line)
            );
            return Ok(total);
        }
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => Duration::ZERO,
        len if !len.is_multiple_of(2) => sorted[len / 2],
        len => (sorted[len / 2 - 1] + sorted[len / 2]) / 2,
    }
}

fn median_of<T>(items: &[T], pick: impl Fn(&T) -> Option<Duration>) -> Option<Duration> {
    let picked: Vec<Duration> = items.iter().filter_map(pick).collect();
    (!picked.is_empty()).then(|| median(&picked))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Seconds below 10 s with ms precision, or milliseconds for short times.
fn fmt_time(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1} ms", ms(d))
    } else {
        format!("{:.3} s", d.as_secs_f64())
    }
}

fn opt_secs(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.3} s", d.as_secs_f64()))
}

fn opt_ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.1} ms", ms(d)))
}

fn list_secs(samples: &[Duration]) -> String {
    samples
        .iter()
        .map(|d| format!("{:.3}", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(" ")
}

enum Target {
    /// At most this multiple of the floor.
    Ratio(f64),
    /// Under this time.
    Under(Duration),
    /// Under this many bytes (for the 100k corpus).
    Bytes(u64),
    None,
}

struct TableRow {
    metric: &'static str,
    n: usize,
    tern: String,
    /// Compared with the floor (None: not a time).
    time: Option<Duration>,
    floor: Duration,
    target: Target,
    bytes: Option<u64>,
}

impl TableRow {
    fn verdict(&self) -> (String, &'static str) {
        let ratio = self
            .time
            .map(|t| t.as_secs_f64() / self.floor.as_secs_f64().max(1e-9));
        let pass = |ok: bool| if ok { "PASS" } else { "MISS" };
        match (&self.target, self.time, ratio, self.bytes) {
            (Target::Ratio(max), _, Some(r), _) => (format!("<= {max}x floor"), pass(r <= *max)),
            (Target::Under(max), Some(t), _, _) => {
                (format!("< {}", fmt_time(*max)), pass(t < *max))
            }
            (Target::Bytes(max), _, _, Some(b)) if self.n == 100_000 => (
                format!("< {} MB (neomutt {NEOMUTT_CACHE_MB:.0})", max / 1_000_000),
                pass(b < *max),
            ),
            (Target::Bytes(max), _, _, Some(b)) => {
                // Only stated for 100k; scaled per message for other sizes, informative.
                let scaled = *max as f64 * self.n as f64 / 100_000.0;
                (
                    format!("({:.1} MB scaled)", scaled / 1e6),
                    if (b as f64) < scaled {
                        "(ok)"
                    } else {
                        "(over)"
                    },
                )
            }
            _ => ("-".into(), "-"),
        }
    }
}

fn print_table(results: &[SizeResult], compress: bool) {
    let mut rows = Vec::new();
    for r in results {
        let floor = median(&r.floor);
        let cold_total = median(&r.cold.iter().map(|c| c.total).collect::<Vec<_>>());
        let cold_sync = median(
            &r.cold
                .iter()
                .map(|c| c.total.saturating_sub(c.login))
                .collect::<Vec<_>>(),
        );
        let folder = median_of(&r.cold, |c| c.folder);
        let first = median_of(&r.cold, |c| c.first_page);
        let first_sync = median_of(&r.cold, |c| c.first_page.map(|f| f.saturating_sub(c.login)));
        let resync = median(&r.resync.iter().map(|x| x.total).collect::<Vec<_>>());
        let resync_sync = median(&r.resync.iter().map(Resync::sync_only).collect::<Vec<_>>());
        let flags = median(&r.flag_runs.iter().map(|x| x.total).collect::<Vec<_>>());
        let flags_sync = median(
            &r.flag_runs
                .iter()
                .map(Resync::sync_only)
                .collect::<Vec<_>>(),
        );
        let cache = r.cold.last().map_or(0, |c| c.cache.total());
        let time_row = |metric, t: Duration, target| TableRow {
            metric,
            n: r.n,
            tern: fmt_time(t),
            time: Some(t),
            floor,
            target,
            bytes: None,
        };
        rows.push(time_row(
            "cold full sync (connect..done)",
            cold_total,
            Target::Ratio(2.0),
        ));
        rows.push(time_row(
            "  without connect+login",
            cold_sync,
            Target::Ratio(2.0),
        ));
        if let Some(f) = folder {
            rows.push(time_row("  folder sync alone", f, Target::None));
        }
        let under = |ms| Target::Under(Duration::from_millis(ms));
        if let Some(f) = first {
            rows.push(time_row(
                "newest 200 rows cached (from connect)",
                f,
                under(300),
            ));
        }
        if let Some(f) = first_sync {
            rows.push(time_row("  without connect+login", f, under(300)));
        }
        rows.push(time_row(
            "no-change resync (connect..done)",
            resync,
            under(150),
        ));
        rows.push(time_row("  without connect+login", resync_sync, under(150)));
        rows.push(time_row(
            "resync after 1% flag changes",
            flags,
            Target::None,
        ));
        rows.push(time_row(
            "  without connect+login",
            flags_sync,
            Target::None,
        ));
        rows.push(TableRow {
            metric: "cache size (db+wal, checkpointed)",
            n: r.n,
            tern: format!(
                "{:.1} MB ({} B/msg)",
                cache as f64 / 1e6,
                cache / r.n.max(1) as u64
            ),
            time: None,
            floor,
            target: Target::Bytes(60_000_000),
            bytes: Some(cache),
        });
    }
    println!();
    let head = [
        "metric",
        "n",
        "tern (median)",
        "floor",
        "ratio",
        "target",
        "result",
    ];
    println!(
        "{:<38} {:>7}  {:>22}  {:>9}  {:>7}  {:<24} {}",
        head[0], head[1], head[2], head[3], head[4], head[5], head[6]
    );
    for row in &rows {
        let (target, result) = row.verdict();
        let ratio = row.time.map_or("-".into(), |t| {
            format!(
                "{:.2}x",
                t.as_secs_f64() / row.floor.as_secs_f64().max(1e-9)
            )
        });
        println!(
            "{:<38} {:>7}  {:>22}  {:>9}  {:>7}  {:<24} {}",
            row.metric,
            row.n,
            row.tern,
            row.time.map_or("-".into(), |_| fmt_time(row.floor)),
            ratio,
            target,
            result
        );
    }
    println!();
    println!(
        "floor = median raw-socket `{ENVELOPE_QUERY}` to the tagged OK (LOGIN/SELECT untimed), \
         same run; tern with COMPRESS={} (off by default: tern does not deflate on loopback), plain IMAP on loopback; \
         medians of the cold syncs ({}) and of the resyncs; Dovecot and tern share 2 cores.",
        if compress { "on" } else { "off" },
        results
            .iter()
            .map(|r| format!("{} runs at {}", r.cold.len(), r.n))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn print_details(r: &SizeResult) {
    let n = r.n;
    println!();
    println!("== {n} messages");
    println!(
        "floor, envelope query: {} s ({:.1} MB); tern's own items (header fields + MODSEQ): \
         {} s ({:.1} MB)",
        list_secs(&r.floor),
        r.floor_bytes as f64 / 1e6,
        list_secs(&r.tern_floor),
        r.tern_floor_bytes as f64 / 1e6
    );
    for (i, c) in r.cold.iter().enumerate() {
        println!(
            "cold {}: total {:.3} s, login {:.1} ms, folder sync {}, newest {FIRST_PAGE} at {} \
             ({} of them the newest UIDs), cpu {:.3} s ({:.0}% of wall)",
            i + 1,
            c.total.as_secs_f64(),
            ms(c.login),
            opt_secs(c.folder),
            opt_ms(c.first_page),
            c.first_page_newest,
            c.cpu.as_secs_f64(),
            100.0 * c.cpu.as_secs_f64() / c.total.as_secs_f64().max(1e-9)
        );
    }
    if let Some(c) = r.cold.last() {
        // Batch progress: when each batch's FETCH was done (its commit runs behind it).
        let marks: Vec<String> = c
            .progress
            .iter()
            .filter(|(_, done, total)| {
                *done as usize == FIRST_PAGE.min(n)
                    || done == total
                    || (*done as usize).is_multiple_of(4 * BATCH + FIRST_PAGE)
            })
            .map(|(at, done, _)| format!("{done}@{:.3}s", at.as_secs_f64()))
            .collect();
        let last_fetch = c.progress.last().map(|(at, _, _)| *at);
        println!(
            "last cold run, batches fetched (msgs@time since connect): {}; after the last batch \
             until done: {}",
            marks.join(" "),
            last_fetch.map_or("-".into(), |at| fmt_time(c.total.saturating_sub(at)))
        );
        let size = &c.cache;
        println!(
            "cache: db {:.1} MB + wal {:.1} MB = {:.1} MB, {} B/msg",
            size.db as f64 / 1e6,
            size.wal as f64 / 1e6,
            size.total() as f64 / 1e6,
            size.total() / n.max(1) as u64
        );
        if !size.objects.is_empty() {
            println!(
                "  by table/index: {}",
                size.objects
                    .iter()
                    .map(|(name, b)| format!("{name} {:.1} MB", *b as f64 / 1e6))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for (what, plan) in &size.plans {
            println!("  plan, {what}: {plan}");
        }
        if let Some(((t1, c1), (t2, c2))) = size.unseen {
            println!(
                "  unseen count on a new connection (best of 3): planner's choice \
                 {:.1} ms ({c1} rows), INDEXED BY messages_unseen {:.1} ms ({c2} rows)",
                ms(t1),
                ms(t2)
            );
        }
        if !size.columns.is_empty() {
            println!(
                "  column payload (bytes/msg): {}",
                size.columns
                    .iter()
                    .map(|(name, b)| format!("{name} {}", b / n.max(1) as u64))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let list = |runs: &[Resync]| {
        runs.iter()
            .map(|x| {
                format!(
                    "{:.1} ({:.1} sync, cpu {:.1}; raw {:.1}, its SELECT {:.1}; raw+LIST/STATUS \
                     {:.1}, its SELECT {:.1}; new Reader+count {:.1}, refresh_counts {:.1})",
                    ms(x.total),
                    ms(x.sync_only()),
                    ms(x.cpu),
                    ms(x.raw_total),
                    ms(x.raw_select),
                    ms(x.mirror_total),
                    ms(x.mirror_select),
                    ms(x.reader_count),
                    ms(x.refresh_counts)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("no-change resyncs, ms: {}", list(&r.resync));
    println!(
        "resyncs after {} flag changes (alternately +FLAGS/-FLAGS \\Flagged; {} rows changed \
         each), ms: {}",
        r.flag_count,
        r.flag_runs.first().map_or(0, |x| x.flags_changed),
        list(&r.flag_runs)
    );
    println!(
        "  (raw = connect, LOGIN, ENABLE QRESYNC, SELECT INBOX (QRESYNC (v m)) with the cache's \
         state, to the tagged OK; the writer alone applies {} set_flags in one transaction in \
         {:.1} ms)",
        r.flag_count,
        ms(r.flag_write)
    );
    if let Some(p) = &r.phases {
        let cold = median(&r.cold.iter().map(|c| c.total).collect::<Vec<_>>());
        println!(
            "phases, each alone: LIST+STATUS {}, SELECT after them {} (first thing after login: \
             {}), UID SEARCH ALL {}, first batch of {FIRST_PAGE} {}, \
             batched UID FETCH {} (client cpu {}; {} with COMPRESS the other way; {} as one UID \
             FETCH), header parse {}, SQLite inserts+threading {} ({} without thread links), \
             closing write {}; sum {} vs cold sync {}",
            fmt_time(p.list_status),
            fmt_time(p.select),
            fmt_time(p.select_alone),
            fmt_time(p.search),
            fmt_time(p.first_batch),
            fmt_time(p.fetch),
            fmt_time(p.fetch_cpu),
            fmt_time(p.fetch_other),
            fmt_time(p.fetch_single),
            fmt_time(p.parse),
            fmt_time(p.insert),
            fmt_time(p.insert_unlinked),
            fmt_time(p.finish),
            fmt_time(p.list_status + p.select + p.search + p.fetch + p.parse + p.insert + p.finish),
            fmt_time(cold)
        );
    }
}
