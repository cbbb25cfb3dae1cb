//! How close tern's streamed `UID FETCH 1:*` comes to the protocol floor.
//!
//! For each mailbox size (default 10k and 100k messages, seeded into a private Dovecot 2.3)
//! and each of two listing queries, it times tern's engine (`ImapClient::uid_fetch` with a
//! sink that counts the FETCH updates) against a raw socket that sends the very same command
//! text and only reads bytes until the tagged OK, and prints both times and their ratio.
//! Seeding, connecting, logging in and EXAMINE are not timed; only the FETCH command is.
//! Before timing, one tern run goes through a recording proxy to check that tern's FETCH
//! line is byte for byte the raw side's. Each side gets a warm-up run, then 5 timed runs
//! (3 from 100k on), alternating which side goes first; the table shows median and best wall
//! time, and the median CPU time this process spent meanwhile (the client's own cost, which
//! matters because Dovecot competes for the same cores). With the largest size it also
//! prints the RSS before and after tern's fetch and the peak during it.
//!
//! ```text
//! cargo bench --bench imap_fetch                      # 10k and 100k
//! cargo bench --bench imap_fetch -- 10k 50000         # sizes as arguments
//! TERN_BENCH_SIZES=10000 cargo bench --bench imap_fetch
//! TERN_BENCH_RUNS=7 cargo bench --bench imap_fetch    # timed runs per side (default 5, 3 at 100k+)
//! TERN_BENCH_COMPRESS=0 cargo bench --bench imap_fetch # skip the COMPRESS=DEFLATE rows
//! ```
//!
//! Without `--bench` among its arguments (that is, under `cargo test --all-targets`, which
//! runs `harness = false` bench targets as plain programs) it only does a 200-message smoke
//! check with assertions, in a second or two.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use support::{Corpus, DovecotOptions, TestDovecot};
use tern::domain::secret::Secret;
use tern::imap::auth::{AuthMethod, Credentials};
use tern::imap::{ConnectOptions, FetchItem, ImapClient, Security, Update, discard};

/// The raw client's tag for the measured command: nothing in a header starts a line with it.
#[path = "common/bench_util.rs"]
mod bench_util;
use bench_util::{parse_size, process_cpu};

const FETCH_TAG: &str = "zz9";
const READ_CHUNK: usize = 64 * 1024;
const HEADER_FIELDS: [&str; 8] = [
    "DATE",
    "FROM",
    "TO",
    "CC",
    "SUBJECT",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
];
const SMOKE_SIZE: usize = 200;
const CORPUS_SEED: u64 = 0x7e41;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Query {
    Headers,
    Envelope,
}

impl Query {
    const ALL: [Query; 2] = [Query::Headers, Query::Envelope];

    fn name(self) -> &'static str {
        match self {
            Query::Headers => "headers",
            Query::Envelope => "envelope",
        }
    }

    /// What tern is asked for.
    fn items(self) -> Vec<FetchItem> {
        match self {
            Query::Headers => vec![
                FetchItem::Uid,
                FetchItem::Flags,
                FetchItem::Size,
                FetchItem::HeaderFields(HEADER_FIELDS.iter().map(|f| f.to_string()).collect()),
            ],
            Query::Envelope => vec![
                FetchItem::Uid,
                FetchItem::Flags,
                FetchItem::InternalDate,
                FetchItem::Size,
                FetchItem::Envelope,
            ],
        }
    }

    /// The same command as tern sends it (imap-codec's encoding of `items`), for the raw side.
    fn wire(self) -> String {
        match self {
            Query::Headers => format!(
                "UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({})])",
                HEADER_FIELDS.join(" ")
            ),
            Query::Envelope => "UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)".into(),
        }
    }
}

struct Config {
    sizes: Vec<usize>,
    /// Timed runs per side; None = 5, or 3 from 100k on.
    runs: Option<usize>,
    compress_rows: bool,
    smoke: bool,
}

impl Config {
    fn from_env() -> Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if !args.iter().any(|a| a == "--bench") {
            return Ok(Config {
                sizes: vec![SMOKE_SIZE],
                runs: Some(1),
                compress_rows: true,
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
        let runs = match std::env::var("TERN_BENCH_RUNS") {
            Ok(v) => Some(v.parse().context("TERN_BENCH_RUNS")?),
            Err(_) => None,
        };
        let compress_rows = std::env::var("TERN_BENCH_COMPRESS").map_or(true, |v| v != "0");
        Ok(Config {
            sizes,
            runs,
            compress_rows,
            smoke: false,
        })
    }

    fn runs_for(&self, n: usize) -> usize {
        self.runs.unwrap_or(if n >= 100_000 { 3 } else { 5 }).max(1)
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
    if !config.smoke {
        eprintln!("Dovecot on 127.0.0.1:{}", server.imap_port());
    }
    for (&n, user) in config.sizes.iter().zip(&users) {
        let started = Instant::now();
        let seeded = server.seed_maildir(user, "INBOX", Corpus::new(CORPUS_SEED, n).iter());
        ensure!(seeded == n, "seeded {seeded} of {n} messages");
        if !config.smoke {
            eprintln!(
                "seeded {n} messages for {user} in {:.1} s (not timed)",
                started.elapsed().as_secs_f64()
            );
        }
    }

    // Both sides must send the same command, or they would not read the same bytes.
    if let (Some(&n), Some(user)) = (config.sizes.first(), users.first()) {
        let bench = Bench {
            server: &server,
            user,
            n,
        };
        for query in Query::ALL {
            runtime.block_on(bench.check_command_text(query))?;
        }
    }

    let mut rows = Vec::new();
    let mut memory = Vec::new();
    for (&n, user) in config.sizes.iter().zip(&users) {
        let bench = Bench {
            server: &server,
            user,
            n,
        };
        for query in Query::ALL {
            let (new_rows, mem) = runtime.block_on(bench.measure(query, &config))?;
            for row in new_rows {
                if !config.smoke {
                    eprintln!("{}", row.summary());
                }
                rows.push(row);
            }
            if let Some(mem) = mem {
                memory.push(mem);
            }
        }
    }

    if config.smoke {
        println!(
            "imap_fetch: smoke check of {SMOKE_SIZE} messages passed \
             (run `cargo bench --bench imap_fetch` for figures)"
        );
        return Ok(());
    }
    print_table(&rows);
    print_memory(&memory);
    Ok(())
}

struct Bench<'a> {
    server: &'a TestDovecot,
    user: &'a str,
    n: usize,
}

/// One timed FETCH.
#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: Duration,
    /// CPU time of this whole process meanwhile (all threads), i.e. the client's share.
    cpu: Duration,
}

impl Sample {
    fn start() -> (Instant, Duration) {
        (Instant::now(), process_cpu())
    }

    fn since((started, cpu): (Instant, Duration)) -> Self {
        Sample {
            wall: started.elapsed(),
            cpu: process_cpu().saturating_sub(cpu),
        }
    }
}

/// One table row.
struct Row {
    query: String,
    n: usize,
    /// None for rows that only time tern (COMPRESS on: no raw equivalent).
    raw: Option<Vec<Sample>>,
    tern: Vec<Sample>,
    /// Ratio base for rows without their own raw side.
    floor: Duration,
    bytes: usize,
}

impl Row {
    fn summary(&self) -> String {
        let list = |samples: &[Sample]| {
            samples
                .iter()
                .map(|s| format!("{:.3}/{:.3}", s.wall.as_secs_f64(), s.cpu.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        format!(
            "{} {}: wall/cpu s: raw [{}], tern [{}]",
            self.query,
            self.n,
            self.raw.as_deref().map_or("-".to_string(), list),
            list(&self.tern)
        )
    }
}

/// Process memory around one tern fetch of the largest mailbox.
struct Memory {
    query: String,
    n: usize,
    rss_before_kb: u64,
    rss_after_kb: u64,
    /// Peak RSS during the fetch (the peak is reset just before it), if the kernel allows.
    peak_kb: Option<u64>,
}

impl Bench<'_> {
    async fn measure(&self, query: Query, config: &Config) -> Result<(Vec<Row>, Option<Memory>)> {
        let n = self.n;
        let runs = config.runs_for(n);
        let uid_sum = (n as u64) * (n as u64 + 1) / 2;

        // Warm-up: Dovecot's caches and the page cache, for both sides.
        let warm_bytes = self.raw_run(query).await?.1;
        let (_, warm) = self.tern_run(query, false, false).await?;
        warm.check(n, uid_sum, query)?;

        let mut raw_times = Vec::with_capacity(runs);
        let mut tern_times = Vec::with_capacity(runs);
        let mut memory = None;
        let largest = config.sizes.iter().max() == Some(&n);
        for i in 0..runs {
            // Alternate which side goes first.
            let raw_first = i % 2 == 0;
            if raw_first {
                raw_times.push(self.timed_raw(query, warm_bytes).await?);
            }
            let track = largest && i + 1 == runs;
            let (t, fetched) = self.tern_run(query, false, track).await?;
            fetched.check(n, uid_sum, query)?;
            tern_times.push(t);
            if let Some(mem) = fetched.memory {
                memory = Some(Memory {
                    query: query.name().to_string(),
                    n,
                    ..mem
                });
            }
            if !raw_first {
                raw_times.push(self.timed_raw(query, warm_bytes).await?);
            }
        }
        let mut row = Row {
            query: query.name().to_string(),
            n,
            raw: Some(raw_times),
            tern: tern_times,
            floor: Duration::ZERO,
            bytes: warm_bytes,
        };
        row.floor = median(row.raw.as_deref().unwrap_or_default(), |s| s.wall);
        let mut rows = vec![];
        if config.compress_rows {
            // COMPRESS=DEFLATE on: fewer bytes on the wire, inflating on top. Compared with
            // the uncompressed floor, as there is no raw equivalent worth the name.
            let (_, warm) = self.tern_run(query, true, false).await?;
            warm.check(n, uid_sum, query)?;
            let mut times = Vec::with_capacity(runs);
            for _ in 0..runs {
                let (t, fetched) = self.tern_run(query, true, false).await?;
                fetched.check(n, uid_sum, query)?;
                times.push(t);
            }
            rows.push(Row {
                query: format!("{}+z", query.name()),
                n,
                raw: None,
                tern: times,
                floor: row.floor,
                bytes: row.bytes,
            });
        }
        rows.insert(0, row);
        Ok((rows, memory))
    }

    /// Runs tern once through a forwarding proxy that records what it sends, and checks the
    /// FETCH line is `query.wire()` under tern's tag.
    async fn check_command_text(&self, query: Query) -> Result<()> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        let proxy_port = listener.local_addr()?.port();
        let upstream_port = self.server.imap_port();
        let proxy = std::thread::spawn(move || forward_one(&listener, upstream_port));
        let proxied = Bench {
            server: self.server,
            user: self.user,
            n: self.n,
        };
        let (_, fetched) = proxied.tern_run_on(proxy_port, query, false, false).await?;
        fetched.check(self.n, (self.n as u64) * (self.n as u64 + 1) / 2, query)?;
        let sent = match proxy.join() {
            Ok(sent) => sent?,
            Err(_) => bail!("proxy thread died"),
        };
        let sent = String::from_utf8_lossy(&sent);
        let line = sent
            .split("\r\n")
            .find(|l| l.contains(" UID FETCH "))
            .with_context(|| format!("tern sent no UID FETCH: {sent:?}"))?;
        let (_, text) = line.split_once(' ').unwrap_or_default();
        ensure!(
            text == query.wire(),
            "tern sent {text:?}, the raw side sends {:?}",
            query.wire()
        );
        Ok(())
    }

    async fn timed_raw(&self, query: Query, expected_bytes: usize) -> Result<Sample> {
        let (t, bytes) = self.raw_run(query).await?;
        ensure!(
            bytes == expected_bytes,
            "raw {} read {bytes} bytes, the warm-up {expected_bytes}",
            query.name()
        );
        Ok(t)
    }

    /// The raw floor on a blocking thread (the runtime must not be blocked).
    async fn raw_run(&self, query: Query) -> Result<(Sample, usize)> {
        let port = self.server.imap_port();
        let user = self.user.to_string();
        let password = self.server.password().to_string();
        tokio::task::spawn_blocking(move || raw_fetch(port, &user, &password, query))
            .await
            .context("raw fetch thread")?
    }

    /// Connects, logs in and EXAMINEs untimed, then times the FETCH.
    async fn tern_run(
        &self,
        query: Query,
        compress: bool,
        track: bool,
    ) -> Result<(Sample, Fetched)> {
        self.tern_run_on(self.server.imap_port(), query, compress, track)
            .await
    }

    async fn tern_run_on(
        &self,
        port: u16,
        query: Query,
        compress: bool,
        track: bool,
    ) -> Result<(Sample, Fetched)> {
        let mut options = ConnectOptions::new("127.0.0.1", port, Security::Plain);
        options.compress = compress;
        options.timeout = Duration::from_secs(120);
        let credentials = Credentials::Password {
            username: self.user.to_string(),
            password: Secret::new(self.server.password().to_string()),
        };
        let mut client = ImapClient::login(&options, &credentials, AuthMethod::Auto)
            .await
            .context("tern login")?;
        ensure!(client.is_compressed() == compress, "COMPRESS state");
        // The raw side mirrors tern's ENABLE: with CONDSTORE on, Dovecot adds MODSEQ to FETCH.
        ensure!(
            client.is_enabled("QRESYNC"),
            "tern did not enable QRESYNC; the raw side assumes it does"
        );
        let info = client
            .select("INBOX", true, None, &mut discard())
            .await
            .context("tern EXAMINE")?;
        ensure!(info.exists as usize == self.n, "EXISTS {}", info.exists);
        let items = query.items();
        let mut fetched = Fetched::default();
        let rss_before = track.then(|| {
            let rss = proc_status_kb("VmRSS:");
            let reset = reset_peak_rss();
            (rss, reset)
        });
        let started = Sample::start();
        client
            .uid_fetch("1:*", &items, None, &mut |update| {
                if let Update::Fetch(data) = update {
                    fetched.count += 1;
                    fetched.uid_sum += u64::from(data.uid.unwrap_or(0));
                    fetched.touched += data.header.as_ref().map_or(0, Vec::len)
                        + data
                            .envelope
                            .as_ref()
                            .and_then(|e| e.subject.as_ref())
                            .map_or(0, String::len)
                        + data.size.unwrap_or(0) as usize;
                }
            })
            .await
            .context("tern UID FETCH")?;
        let elapsed = Sample::since(started);
        if let Some((rss, reset)) = rss_before {
            fetched.memory = Some(Memory {
                query: String::new(),
                n: 0,
                rss_before_kb: rss.unwrap_or(0),
                rss_after_kb: proc_status_kb("VmRSS:").unwrap_or(0),
                peak_kb: if reset {
                    proc_status_kb("VmHWM:")
                } else {
                    None
                },
            });
        }
        black_box(fetched.touched);
        client.logout().await.context("tern LOGOUT")?;
        Ok((elapsed, fetched))
    }
}

#[derive(Default)]
struct Fetched {
    count: usize,
    uid_sum: u64,
    touched: usize,
    memory: Option<Memory>,
}

impl Fetched {
    fn check(&self, n: usize, uid_sum: u64, query: Query) -> Result<()> {
        ensure!(
            self.count == n,
            "tern {}: {} FETCH updates for {n} messages",
            query.name(),
            self.count
        );
        ensure!(
            self.uid_sum == uid_sum,
            "tern {}: UIDs are not 1..={n}",
            query.name()
        );
        ensure!(self.touched > 0, "tern {}: empty FETCH data", query.name());
        Ok(())
    }
}

/// Accepts one connection, forwards it to `upstream_port` both ways until either side
/// closes, and returns what the client sent.
fn forward_one(listener: &std::net::TcpListener, upstream_port: u16) -> Result<Vec<u8>> {
    let (mut client, _) = listener.accept()?;
    let mut server = TcpStream::connect(("127.0.0.1", upstream_port))?;
    let (mut client_rx, mut server_tx) = (client.try_clone()?, server.try_clone()?);
    let down = std::thread::spawn(move || {
        let _ = std::io::copy(&mut server, &mut client);
        let _ = client.shutdown(std::net::Shutdown::Both);
    });
    let mut sent = Vec::new();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match client_rx.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(got) => {
                sent.extend_from_slice(&buf[..got]);
                if server_tx.write_all(&buf[..got]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = server_tx.shutdown(std::net::Shutdown::Both);
    let _ = down.join();
    Ok(sent)
}

/// The floor: LOGIN, ENABLE, EXAMINE untimed; then the FETCH text and a 64 KiB read loop
/// that only looks for the tagged line. Returns the FETCH time and the bytes it read.
fn raw_fetch(port: u16, user: &str, password: &str, query: Query) -> Result<(Sample, usize)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).context("raw connect")?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut buf = vec![0u8; READ_CHUNK];
    let mut reader = TaggedReader::default();
    // The greeting is one line.
    loop {
        let got = stream.read(&mut buf)?;
        ensure!(got > 0, "raw: closed before the greeting");
        if buf[..got].ends_with(b"\r\n") {
            break;
        }
    }
    let quote = support::raw_imap::quote;
    for (tag, command) in [
        ("zz1", format!("LOGIN {} {}", quote(user), quote(password))),
        ("zz2", "ENABLE QRESYNC".to_string()),
        ("zz3", "EXAMINE INBOX".to_string()),
    ] {
        stream.write_all(format!("{tag} {command}\r\n").as_bytes())?;
        reader.tag = tag.to_string();
        reader.read_to_tagged(&mut stream, &mut buf)?;
    }
    let command = format!("{FETCH_TAG} {}\r\n", query.wire());
    reader.tag = FETCH_TAG.to_string();
    let started = Sample::start();
    stream.write_all(command.as_bytes())?;
    let bytes = reader.read_to_tagged(&mut stream, &mut buf)?;
    let elapsed = Sample::since(started);
    let _ = stream.write_all(b"zz4 LOGOUT\r\n");
    Ok((elapsed, bytes))
}

/// Reads until a line starting with `tag ` has arrived whole. Only the last complete line of
/// each read is looked at (its first few bytes, carried across reads), which suffices because
/// the tagged line is the last thing the server sends: no per-byte work at all.
#[derive(Default)]
struct TaggedReader {
    tag: String,
    /// First bytes of the line being received (the part after the last LF seen).
    head: Vec<u8>,
}

const HEAD_KEEP: usize = 16;

impl TaggedReader {
    fn read_to_tagged(&mut self, stream: &mut TcpStream, buf: &mut [u8]) -> Result<usize> {
        let mut total = 0;
        loop {
            let got = stream.read(buf)?;
            if got == 0 {
                bail!("raw: connection closed before the {} completion", self.tag);
            }
            total += got;
            if let Some(ok) = self.feed(&buf[..got]) {
                ensure!(ok, "raw: {} failed", self.tag);
                return Ok(total);
            }
        }
    }

    /// Some(is_ok) when `chunk` completes a line starting with the tag.
    fn feed(&mut self, chunk: &[u8]) -> Option<bool> {
        let Some(last_lf) = chunk.iter().rposition(|&b| b == b'\n') else {
            keep_head(&mut self.head, chunk);
            return None;
        };
        let before = &chunk[..last_lf];
        let line_head: Vec<u8> = match before.iter().rposition(|&b| b == b'\n') {
            Some(prev_lf) => before[prev_lf + 1..]
                .iter()
                .take(HEAD_KEEP)
                .copied()
                .collect(),
            None => {
                let mut head = std::mem::take(&mut self.head);
                keep_head(&mut head, before);
                head
            }
        };
        self.head.clear();
        keep_head(&mut self.head, &chunk[last_lf + 1..]);
        let prefix = format!("{} ", self.tag);
        line_head
            .strip_prefix(prefix.as_bytes())
            .map(|rest| rest.starts_with(b"OK"))
    }
}

fn keep_head(head: &mut Vec<u8>, bytes: &[u8]) {
    let room = HEAD_KEEP.saturating_sub(head.len());
    head.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

fn median(samples: &[Sample], pick: fn(&Sample) -> Duration) -> Duration {
    let mut sorted: Vec<Duration> = samples.iter().map(pick).collect();
    sorted.sort_unstable();
    match sorted.len() {
        0 => Duration::ZERO,
        len if !len.is_multiple_of(2) => sorted[len / 2],
        len => (sorted[len / 2 - 1] + sorted[len / 2]) / 2,
    }
}

fn best(samples: &[Sample]) -> Duration {
    samples.iter().map(|s| s.wall).min().unwrap_or_default()
}

/// A field of /proc/self/status in kB.
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// Resets VmHWM to the current RSS (Linux >= 4.0), so the next read is the peak since now.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<11} {:>7}  {:>9} {:>9}  {:>9} {:>9}  {:>6}  {:>6}  {:>11}  {:>9} {:>9}",
        "query",
        "n",
        "raw med",
        "raw best",
        "tern med",
        "tern best",
        "ratio",
        "MB",
        "tern msgs/s",
        "raw cpu",
        "tern cpu"
    );
    for row in rows {
        let tern_med = median(&row.tern, |s| s.wall);
        let (raw_med, raw_best, raw_cpu) = match &row.raw {
            Some(raw) => (
                secs(median(raw, |s| s.wall)),
                secs(best(raw)),
                secs(median(raw, |s| s.cpu)),
            ),
            None => ("-".to_string(), "-".to_string(), "-".to_string()),
        };
        let ratio = tern_med.as_secs_f64() / row.floor.as_secs_f64().max(1e-9);
        let rate = row.n as f64 / tern_med.as_secs_f64().max(1e-9);
        println!(
            "{:<11} {:>7}  {:>9} {:>9}  {:>9} {:>9}  {:>5.1}x  {:>6.1}  {:>11}  {:>9} {:>9}",
            row.query,
            row.n,
            raw_med,
            raw_best,
            secs(tern_med),
            secs(best(&row.tern)),
            ratio,
            row.bytes as f64 / 1e6,
            thousands(rate as u64),
            raw_cpu,
            secs(median(&row.tern, |s| s.cpu)),
        );
    }
    println!();
    println!(
        "ratio = tern median / raw median (wall); MB = bytes the raw side read for the FETCH \
         (tern reads the same bytes with COMPRESS off); +z = tern with COMPRESS=DEFLATE, \
         against the uncompressed floor; cpu = median CPU time of this process (the client, \
         all threads) during the FETCH; Dovecot runs on the same 2 cores."
    );
}

fn print_memory(memory: &[Memory]) {
    for m in memory {
        let peak = m.peak_kb.map_or("unknown".to_string(), |kb| {
            format!("{:.1} MB", kb as f64 / 1024.0)
        });
        println!(
            "RSS around tern's {} fetch of {}: {:.1} MB before, {:.1} MB after, peak during {peak}",
            m.query,
            m.n,
            m.rss_before_kb as f64 / 1024.0,
            m.rss_after_kb as f64 / 1024.0,
        );
    }
    if let Some(hwm) = proc_status_kb("VmHWM:") {
        println!(
            "process VmHWM now: {:.1} MB (since the last reset)",
            hwm as f64 / 1024.0
        );
    }
}
