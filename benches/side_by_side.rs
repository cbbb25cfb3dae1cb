//! The side-by-side bench of issue 14: the real `tern` binary against a private Dovecot,
//! every figure beside the raw-socket floor (or a peer client) measured in the same run.
//!
//! Run it through `scripts/bench.sh`, which builds the release binary first:
//! ```text
//! scripts/bench.sh                      # 100k messages, 3 runs, plain IMAP and implicit TLS
//! scripts/bench.sh --scale 1M --peers   # a million, with neomutt and aerc when installed
//! cargo bench --bench side_by_side -- --scale 20k --runs 1 --plain
//! ```
//! Without `--bench` among its arguments (under `cargo test --all-targets`) it does a
//! 300-message smoke run, one run of each figure, and checks that the table has every row.
//!
//! Per transport (plain IMAP, implicit TLS):
//! - floor: `UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)` over a raw socket,
//!   bytes read until the tagged OK; and connect + LOGIN + SELECT, the floor of a resync;
//! - cold first screen: tern in tmux with an empty cache, until the newest subject is on
//!   screen; warm first paint: the same with a synced cache;
//! - `tern sync --folder INBOX` from an empty cache and again with nothing changed (whole
//!   process), the cache's size on disk after the cold one;
//! - new mail: with the TUI idle, another client APPENDs; time until the subject is on
//!   screen, beside APPEND -> `* N EXISTS` on a raw idling connection;
//! - peak RSS of each process: VmHWM read from /proc before a TUI is quit; for `tern sync`
//!   GNU time's %M when /usr/bin/time exists, else VmHWM polled while it runs.
//!   With `--peers`, neomutt (header cache, CONDSTORE/QRESYNC) and aerc opened the same way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/bench_util.rs"]
mod bench_util;

#[path = "common/side_peers.rs"]
mod side_peers;

#[path = "common/side_table.rs"]
mod side_table;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use bench_util::parse_size;
use side_peers::Peer;
use side_table::{Row, Stat, Table, Unit};
use support::corpus::{T_END, rfc2822_date};
use support::{Corpus, DovecotOptions, SeedMessage, TestDovecot, Tmux};

const CORPUS_SEED: u64 = 0x7e41;
const SMOKE_SIZE: usize = 300;
const ENVELOPE_QUERY: &str = "UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)";
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
/// Between two looks at the screen: fine enough, and leaves the cores to the client.
const POLL: Duration = Duration::from_millis(10);
/// Lets the TUI reach IDLE before another client appends.
const SETTLE: Duration = Duration::from_millis(1500);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transport {
    Plain,
    Tls,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Plain => "plain",
            Transport::Tls => "TLS",
        }
    }
}

impl side_table::Named for Transport {
    fn name(self) -> &'static str {
        Transport::name(self)
    }
}

struct Config {
    n: usize,
    runs: usize,
    peers: bool,
    transports: Vec<Transport>,
    out: Option<PathBuf>,
    smoke: bool,
    tern: PathBuf,
}

impl Config {
    fn from_args() -> Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let smoke = !args.iter().any(|a| a == "--bench");
        let mut config = Config {
            n: if smoke { SMOKE_SIZE } else { 100_000 },
            runs: if smoke { 1 } else { 3 },
            peers: false,
            transports: vec![Transport::Plain, Transport::Tls],
            out: None,
            smoke,
            tern: std::env::var_os("TERN_BENCH_BIN")
                .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tern")), PathBuf::from),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--bench" => {}
                "--scale" => config.n = parse_size(&value()?)?,
                "--runs" => {
                    config.runs = value()?.parse::<usize>().context("--runs")?.max(1);
                }
                "--out" => config.out = Some(PathBuf::from(value()?)),
                "--peers" => config.peers = true,
                "--plain" => config.transports = vec![Transport::Plain],
                "--tls" => config.transports = vec![Transport::Tls],
                "--both" => config.transports = vec![Transport::Plain, Transport::Tls],
                other => bail!(
                    "unknown argument {other:?} (--scale N, --runs N, --peers, \
                     --plain|--tls|--both, --out FILE)"
                ),
            }
        }
        ensure!(config.n >= 2, "--scale must be at least 2");
        Ok(config)
    }

    /// How long a client may take to show a list or finish a sync before it is a timeout.
    fn patience(&self) -> Duration {
        if self.smoke {
            return Duration::from_secs(10);
        }
        Duration::from_secs(30) + Duration::from_micros(300) * self.n as u32
    }
}

/// The server, its corpus and what every client is pointed at.
struct Bench {
    config: Config,
    server: TestDovecot,
    /// The newest message's subject: on screen means the list is drawn.
    newest: String,
    dir: tempfile::TempDir,
    /// /usr/bin/time when it is GNU time, for the peak RSS of `tern sync`.
    gnu_time: Option<PathBuf>,
    /// Keeps a tmux server running, so no timed start pays for starting one.
    _keeper: Tmux,
}

fn main() -> Result<()> {
    let config = Config::from_args()?;
    let bench = Bench::new(config)?;
    let table = bench.run()?;
    let text = table.markdown(&bench.machine());
    println!("{text}");
    if let Some(out) = &bench.config.out {
        std::fs::write(out, &text).with_context(|| format!("write {}", out.display()))?;
        bench.say(format!("written to {}", out.display()));
    }
    if bench.config.smoke {
        table.check_complete(&bench.config.transports)?;
    }
    Ok(())
}

impl Bench {
    fn new(config: Config) -> Result<Self> {
        ensure!(
            config.tern.is_file(),
            "no tern binary at {}",
            config.tern.display()
        );
        // A million-message folder needs more than Dovecot's default 1G address space.
        let server = TestDovecot::start_with(
            DovecotOptions::default()
                .current_server()
                .extra_config("default_vsz_limit = 4G"),
        );
        let n = config.n;
        let say = |msg: String| {
            if !config.smoke {
                eprintln!("{msg}");
            }
        };
        say(format!(
            "Dovecot on 127.0.0.1:{} (plain) / {} (TLS); seeding {n} messages (not timed)",
            server.imap_port(),
            server.imaps_port()
        ));
        let started = Instant::now();
        let corpus = Corpus::new(CORPUS_SEED, n - 1);
        let seeded = server.seed_maildir(server.user(), "INBOX", corpus.iter());
        let newest = format!("bench-newest-of-{n}");
        let marker = newest_message(&newest);
        let seeded = seeded + server.seed_maildir(server.user(), "INBOX", [marker]);
        ensure!(seeded == n, "seeded {seeded} of {n} messages");
        say(format!(
            "seeded in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        let gnu_time = gnu_time();
        let keeper = Tmux::start_sized("exec sleep 86400", 20, 5);
        let bench = Bench {
            server,
            newest,
            dir: tempfile::tempdir()?,
            gnu_time,
            _keeper: keeper,
            config,
        };
        // Dovecot builds its cache on the first listing: not the floor we compare to.
        for transport in bench.config.transports.clone() {
            bench.envelope_floor(transport)?;
        }
        Ok(bench)
    }

    fn say(&self, msg: String) {
        if !self.config.smoke {
            eprintln!("{msg}");
        }
    }

    fn run(&self) -> Result<Table> {
        let mut table = Table::new(self.config.n, self.config.runs, self.rss_method());
        for &transport in &self.config.transports {
            self.transport(transport, &mut table)?;
        }
        // Last: each adds a message, which the other figures should not see.
        for &transport in &self.config.transports {
            self.new_mail(transport, &mut table)?;
        }
        Ok(table)
    }

    fn rss_method(&self) -> String {
        match &self.gnu_time {
            Some(_) => {
                "peak RSS: TUIs VmHWM from /proc before quitting; `tern sync` GNU time %M".into()
            }
            None => "peak RSS: VmHWM from /proc (TUIs before quitting, `tern sync` polled)".into(),
        }
    }

    fn transport(&self, transport: Transport, table: &mut Table) -> Result<()> {
        let t = transport.name();
        let runs = self.config.runs;
        self.say(format!("[{t}] floors"));
        let mut floor = Stat::new(Unit::Secs);
        let mut floor_bytes = 0;
        for _ in 0..runs {
            let (took, bytes) = self.envelope_floor(transport)?;
            floor.push(took);
            floor_bytes = bytes;
        }
        let mut select_floor = Stat::new(Unit::Secs);
        for _ in 0..runs {
            select_floor.push(self.select_floor(transport)?);
        }
        table.push(Row::floor(
            format!(
                "{t}: raw ENVELOPE listing ({:.0} MB)",
                mb(floor_bytes as u64)
            ),
            floor.clone(),
        ));

        let config = self.tern_config(transport)?;
        self.say(format!("[{t}] tern cold first screen"));
        let mut cold_open = Stat::new(Unit::Secs);
        let mut cold_rss = Stat::new(Unit::Mb);
        for run in 0..runs {
            let cache = self.fresh_dir(&format!("tern-cold-open-{t}-{run}"))?;
            let command = self.tern_command(&config, &cache);
            let (took, rss) = self.open(&command, &[], &self.newest);
            cold_open.push_opt(took);
            cold_rss.push_opt(rss);
        }

        self.say(format!("[{t}] tern sync, cold and no change"));
        let mut cold_sync = Stat::new(Unit::Secs);
        let mut cold_sync_rss = Stat::new(Unit::Mb);
        let mut cache_size = Stat::new(Unit::Mb);
        let mut warm_cache = None;
        for run in 0..runs {
            let cache = self.fresh_dir(&format!("tern-sync-{t}-{run}"))?;
            let (took, rss) = self.tern_sync(&config, &cache)?;
            cold_sync.push_opt(took);
            cold_sync_rss.push_opt(rss);
            if took.is_some() {
                cache_size.push_bytes(dir_size(&cache));
                warm_cache = Some(cache);
            }
        }
        let warm_cache = warm_cache.context("no cold `tern sync` finished")?;
        let mut resync = Stat::new(Unit::Secs);
        let mut resync_rss = Stat::new(Unit::Mb);
        for _ in 0..runs {
            let (took, rss) = self.tern_sync(&config, &warm_cache)?;
            resync.push_opt(took);
            resync_rss.push_opt(rss);
        }

        self.say(format!("[{t}] tern warm first paint"));
        let mut warm_open = Stat::new(Unit::Secs);
        let mut warm_rss = Stat::new(Unit::Mb);
        let command = self.tern_command(&config, &warm_cache);
        for _ in 0..runs {
            let (took, rss) = self.open(&command, &[], &self.newest);
            warm_open.push_opt(took);
            warm_rss.push_opt(rss);
        }

        let mut peers = Vec::new();
        if self.config.peers {
            for peer in Peer::ALL {
                self.say(format!("[{t}] {}", peer.name()));
                peers.push((peer, self.peer_opens(peer, transport)?));
            }
        }
        let beside = |pick: fn(&PeerFigures) -> &Stat| -> Vec<(String, Stat)> {
            peers
                .iter()
                .map(|(peer, run)| {
                    (
                        peer.label(),
                        run.as_ref().map_or_else(Stat::absent, |r| pick(r).clone()),
                    )
                })
                .collect()
        };

        table.push(Row::beside(
            format!("{t}: cold first screen (newest subject on screen)"),
            cold_open.clone(),
            "ENVELOPE floor".into(),
            floor.clone(),
            "< 0.5 s at 1M",
        ));
        table.push_peers(&cold_open, beside(|r| &r.cold));
        table.push(Row::alone(
            format!("{t}: warm first paint (list drawn from the cache)"),
            warm_open.clone(),
            "< 0.05 s at 1M",
        ));
        table.push_peers(&warm_open, beside(|r| &r.warm));
        table.push(Row::beside(
            format!("{t}: `tern sync --folder INBOX`, empty cache"),
            cold_sync,
            "ENVELOPE floor".into(),
            floor,
            "<= 1.5x floor",
        ));
        table.push(Row::beside(
            format!("{t}: `tern sync`, nothing changed"),
            resync,
            "connect+LOGIN+SELECT".into(),
            select_floor,
            "< 0.1 s",
        ));
        table.push(Row::alone(
            format!("{t}: peak RSS, cold `tern sync`"),
            cold_sync_rss,
            "< 100 MB",
        ));
        table.push(Row::alone(
            format!("{t}: peak RSS, no-change `tern sync`"),
            resync_rss,
            "",
        ));
        table.push(Row::alone(
            format!("{t}: peak RSS, TUI cold until first screen"),
            cold_rss.clone(),
            "",
        ));
        table.push_peers(&cold_rss, beside(|r| &r.cold_rss));
        table.push(Row::alone(
            format!("{t}: peak RSS, TUI warm until first paint"),
            warm_rss.clone(),
            "",
        ));
        table.push_peers(&warm_rss, beside(|r| &r.warm_rss));
        table.push(Row::alone(
            format!("{t}: cache on disk after a cold sync"),
            cache_size.clone(),
            "< 350 MB at 1M",
        ));
        let cached = beside(|r| &r.cache)
            .into_iter()
            .zip(&peers)
            .filter(|(_, (peer, _))| peer.keeps_cache())
            .map(|(row, _)| row)
            .collect();
        table.push_peers(&cache_size, cached);
        Ok(())
    }

    /// New mail while the TUI idles on a synced cache, beside Dovecot's own push delay.
    fn new_mail(&self, transport: Transport, table: &mut Table) -> Result<()> {
        let t = transport.name();
        self.say(format!("[{t}] new mail"));
        let config = self.tern_config(transport)?;
        let cache = self.fresh_dir(&format!("tern-new-mail-{t}"))?;
        let (synced, _) = self.tern_sync(&config, &cache)?;
        ensure!(
            synced.is_some(),
            "[{t}] `tern sync` before the new-mail runs timed out"
        );
        let mut push = Stat::new(Unit::Secs);
        for run in 0..self.config.runs {
            push.push_opt(self.server_push(&format!("bench-push-{t}-{run}"))?);
        }
        let mut on_screen = Stat::new(Unit::Secs);
        let mut idle_rss = Stat::new(Unit::Mb);
        let tmux = Tmux::start_sized(&self.tern_command(&config, &cache), WIDTH, HEIGHT);
        let ready = wait_screen(&tmux, self.config.patience(), |s| {
            s.contains(&self.newest) && s.contains("online")
        });
        if ready.is_some() {
            std::thread::sleep(SETTLE);
            let mut other = self.server.raw_login(self.server.user());
            for run in 0..self.config.runs {
                let subject = format!("bench-new-mail-{t}-{run}-{}", unique());
                let message = SeedMessage::text(900_000 + run as u64, &subject, "new");
                let started = Instant::now();
                other.append("INBOX", &[], &message.raw)?;
                let seen = wait_screen(&tmux, Duration::from_secs(30), |s| s.contains(&subject));
                on_screen.push_opt(seen.map(|()| started.elapsed()));
                std::thread::sleep(SETTLE);
            }
            idle_rss.push_opt(tmux.pane_pid().and_then(peak_rss_kb).map(kb_bytes));
        } else {
            for _ in 0..self.config.runs {
                on_screen.push_opt(None::<Duration>);
            }
        }
        quit(&tmux, &["q"]);
        table.push(Row::beside(
            format!("{t}: new mail on screen after another client's APPEND"),
            on_screen,
            "server push (APPEND -> EXISTS)".into(),
            push,
            "~ server push",
        ));
        table.push(Row::alone(
            format!("{t}: peak RSS, TUI synced and idle after new mail"),
            idle_rss,
            "",
        ));
        Ok(())
    }

    /// APPEND on one raw connection until `* N EXISTS` on another that idles.
    fn server_push(&self, subject: &str) -> Result<Option<Duration>> {
        let mut idler = self.server.raw_login(self.server.user());
        idler.select("INBOX")?;
        idler.set_read_timeout(Some(Duration::from_secs(30)))?;
        let tag = idler.idle()?;
        let mut other = self.server.raw_login(self.server.user());
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        other.append(
            "INBOX",
            &[],
            &SeedMessage::text(800_000, subject, "push").raw,
        )?;
        let mut took = None;
        while let Ok(Some(line)) = idler.read_line() {
            if line.starts_with("* ") && line.ends_with("EXISTS") {
                took = Some(started.elapsed());
                break;
            }
        }
        let _ = idler.idle_done(&tag);
        Ok(took)
    }

    /// The ENVELOPE listing over a raw socket: (time from the command to the tagged OK, bytes).
    fn envelope_floor(&self, transport: Transport) -> Result<(Duration, usize)> {
        let mut stream = self.raw_stream(transport)?;
        let mut buf = vec![0u8; 64 * 1024];
        read_to_tagged(&mut stream, &mut buf, "*")?;
        let login = format!(
            "LOGIN {} {}",
            support::raw_imap::quote(self.server.user()),
            support::raw_imap::quote(self.server.password())
        );
        for (tag, command) in [("a1", login.as_str()), ("a2", "EXAMINE INBOX")] {
            stream.write_all(format!("{tag} {command}\r\n").as_bytes())?;
            read_to_tagged(&mut stream, &mut buf, tag)?;
        }
        let started = Instant::now();
        stream.write_all(format!("a3 {ENVELOPE_QUERY}\r\n").as_bytes())?;
        stream.flush()?;
        let bytes = read_to_tagged(&mut stream, &mut buf, "a3")?;
        let took = started.elapsed();
        let _ = stream.write_all(b"a4 LOGOUT\r\n");
        Ok((took, bytes))
    }

    /// Connect (and handshake), LOGIN and SELECT INBOX: what no resync can avoid.
    fn select_floor(&self, transport: Transport) -> Result<Duration> {
        let started = Instant::now();
        let mut stream = self.raw_stream(transport)?;
        let mut buf = vec![0u8; 64 * 1024];
        read_to_tagged(&mut stream, &mut buf, "*")?;
        let login = format!(
            "LOGIN {} {}",
            support::raw_imap::quote(self.server.user()),
            support::raw_imap::quote(self.server.password())
        );
        for (tag, command) in [("a1", login.as_str()), ("a2", "SELECT INBOX")] {
            stream.write_all(format!("{tag} {command}\r\n").as_bytes())?;
            stream.flush()?;
            read_to_tagged(&mut stream, &mut buf, tag)?;
        }
        let took = started.elapsed();
        let _ = stream.write_all(b"a3 LOGOUT\r\n");
        Ok(took)
    }

    fn raw_stream(&self, transport: Transport) -> Result<Box<dyn ReadWrite>> {
        let port = match transport {
            Transport::Plain => self.server.imap_port(),
            Transport::Tls => self.server.imaps_port(),
        };
        let tcp = TcpStream::connect(("127.0.0.1", port)).context("raw connect")?;
        tcp.set_nodelay(true)?;
        tcp.set_read_timeout(Some(self.config.patience()))?;
        Ok(match transport {
            Transport::Plain => Box::new(tcp),
            Transport::Tls => Box::new(tls_stream(tcp, &self.server.ca_pem_path())?),
        })
    }

    /// A tern config for the test user over `transport`, trusting the test CA.
    fn tern_config(&self, transport: Transport) -> Result<PathBuf> {
        let path = self
            .dir
            .path()
            .join(format!("tern-{}.toml", transport.name()));
        let (port, security, ca) = match transport {
            Transport::Plain => (self.server.imap_port(), "plain", String::new()),
            Transport::Tls => (
                self.server.imaps_port(),
                "tls",
                format!("ca_file = \"{}\"\n", self.server.ca_pem_path().display()),
            ),
        };
        std::fs::write(
            &path,
            format!(
                "[[accounts]]\nname = \"bench\"\nhost = \"127.0.0.1\"\nport = {port}\n\
                 security = \"{security}\"\nusername = \"{}\"\npassword = \"{}\"\n{ca}",
                self.server.user(),
                self.server.password()
            ),
        )?;
        Ok(path)
    }

    fn tern_command(&self, config: &Path, cache: &Path) -> String {
        format!(
            "exec env -u TERN_LOG {} --config {} --cache-dir {}",
            self.config.tern.display(),
            config.display(),
            cache.display()
        )
    }

    fn fresh_dir(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.path().join(name);
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir_all(&path)?;
        Ok(path)
    }

    /// A client in tmux until `text` is on screen: (time from the start, its peak RSS), None
    /// for a timeout. Quits it afterwards.
    fn open(
        &self,
        command: &str,
        quit_keys: &[&str],
        text: &str,
    ) -> (Option<Duration>, Option<u64>) {
        let started = Instant::now();
        let tmux = Tmux::start_sized(command, WIDTH, HEIGHT);
        let shown = wait_screen(&tmux, self.config.patience(), |s| s.contains(text));
        let took = shown.map(|()| started.elapsed());
        let rss = tmux.pane_pid().and_then(peak_rss_kb).map(kb_bytes);
        if took.is_none() {
            eprintln!("timeout: {command}\nthe screen shows:\n{}", tmux.screen());
        }
        quit(
            &tmux,
            if quit_keys.is_empty() {
                &["q"]
            } else {
                quit_keys
            },
        );
        (took, rss)
    }

    /// `tern sync --folder INBOX` as a whole process: (time, peak RSS), None for a timeout.
    fn tern_sync(&self, config: &Path, cache: &Path) -> Result<(Option<Duration>, Option<u64>)> {
        let rss_file = self.dir.path().join("sync-rss.txt");
        let mut command = match &self.gnu_time {
            Some(time) => {
                let mut c = Command::new(time);
                c.args(["-f", "%M", "-o"])
                    .arg(&rss_file)
                    .arg(&self.config.tern);
                c
            }
            None => Command::new(&self.config.tern),
        };
        command
            .arg("--config")
            .arg(config)
            .arg("--cache-dir")
            .arg(cache)
            .args(["sync", "--folder", "INBOX"])
            .env_remove("TERN_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command.spawn().context("start tern sync")?;
        let deadline = started + self.config.patience();
        let mut polled_kb = None;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                self.say("`tern sync` timed out".into());
                return Ok((None, None));
            }
            if self.gnu_time.is_none() {
                polled_kb = peak_rss_kb(child.id()).or(polled_kb);
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let took = started.elapsed();
        if !status.success() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            bail!("tern sync failed ({status}): {err}");
        }
        let kb = match &self.gnu_time {
            Some(_) => std::fs::read_to_string(&rss_file)?
                .lines()
                .last()
                .and_then(|l| l.trim().parse().ok()),
            None => polled_kb,
        };
        Ok((Some(took), kb.map(kb_bytes)))
    }

    fn peer_opens(&self, peer: Peer, transport: Transport) -> Result<PeerRun> {
        if !peer.installed() {
            return Ok(None);
        }
        let home = self.fresh_dir(&format!("{}-{}", peer.name(), transport.name()))?;
        let port = match transport {
            Transport::Plain => self.server.imap_port(),
            Transport::Tls => self.server.imaps_port(),
        };
        let setup = side_peers::Setup {
            home: &home,
            port,
            tls: transport == Transport::Tls,
            user: self.server.user(),
            password: self.server.password(),
            ca: &self.server.ca_pem_path(),
        };
        let mut run = PeerFigures {
            cold: Stat::new(Unit::Secs),
            warm: Stat::new(Unit::Secs),
            cold_rss: Stat::new(Unit::Mb),
            warm_rss: Stat::new(Unit::Mb),
            cache: Stat::new(Unit::Mb),
        };
        for _ in 0..self.config.runs {
            let command = peer.command(&setup, true)?;
            let (took, rss) = self.open(&command, peer.quit_keys(), &self.newest);
            run.cold.push_opt(took);
            run.cold_rss.push_opt(rss);
            if took.is_some() {
                run.cache.push_bytes(dir_size(&peer.cache_dir(&home)));
            }
        }
        for _ in 0..self.config.runs {
            let command = peer.command(&setup, false)?;
            let (took, rss) = self.open(&command, peer.quit_keys(), &self.newest);
            run.warm.push_opt(took);
            run.warm_rss.push_opt(rss);
        }
        Ok(Some(run))
    }

    fn machine(&self) -> Vec<String> {
        let output = |program: &str, args: &[&str]| -> String {
            Command::new(program)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_else(|| "?".into())
        };
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map_or_else(
                || "?".into(),
                |kb| format!("{:.1} GB", kb as f64 / 1024.0 / 1024.0),
            );
        let commit = std::env::var("TERN_BENCH_COMMIT")
            .unwrap_or_else(|_| output("git", &["rev-parse", "--short", "HEAD"]));
        let dovecot = output("dovecot", &["--version"]);
        vec![
            format!("date: {}", output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])),
            format!(
                "machine: {}, {} cores, {} memory",
                output("uname", &["-m"]),
                output("nproc", &[]),
                memory
            ),
            format!("commit: {commit}; Dovecot {dovecot}, loopback"),
        ]
    }
}

type PeerRun = Option<PeerFigures>;

pub struct PeerFigures {
    cold: Stat,
    warm: Stat,
    cold_rss: Stat,
    warm_rss: Stat,
    cache: Stat,
}

/// The last message of the corpus, newest by date and UID, with a subject no other has.
fn newest_message(subject: &str) -> SeedMessage {
    let date = T_END + 3600;
    SeedMessage::new(format!(
        "From: Bench <bench@example.com>\nTo: alice@example.com\nSubject: {subject}\n\
         Date: {}\nMessage-ID: <{subject}@example.com>\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\nThe newest message.\n",
        rfc2822_date(date, 0)
    ))
    .with_date(date)
}

/// Polls the screen until `ready` holds; None after `patience` or once the program is gone.
fn wait_screen(tmux: &Tmux, patience: Duration, ready: impl Fn(&str) -> bool) -> Option<()> {
    let deadline = Instant::now() + patience;
    loop {
        let screen = tmux.screen();
        if ready(&screen) {
            return Some(());
        }
        // An empty capture is a blank screen, or a session that ended.
        let ended = screen.is_empty() && tmux.pane_pid().is_none();
        if ended || Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Asks the program to quit (Drop kills the session if it does not).
fn quit(tmux: &Tmux, keys: &[&str]) {
    if tmux.pane_pid().is_some() {
        tmux.keys(keys);
        let _ = tmux.exited();
    }
}

/// VmHWM of a live process, in kB.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn kb_bytes(kb: u64) -> u64 {
    kb * 1024
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// GNU time at /usr/bin/time (busybox's has no -f %M), if there.
fn gnu_time() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/time");
    let output = Command::new(&path).arg("--version").output().ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    text.contains("GNU").then_some(path)
}

/// Bytes of every file under `path`.
fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(m) if m.is_dir() => dir_size(&entry.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn tls_stream(
    tcp: TcpStream,
    ca: &Path,
) -> Result<tokio_rustls::rustls::StreamOwned<tokio_rustls::rustls::ClientConnection, TcpStream>> {
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
    use tokio_rustls::rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca)? {
        roots.add(cert?)?;
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1")?.to_owned();
    let connection = ClientConnection::new(Arc::new(config), name)?;
    Ok(StreamOwned::new(connection, tcp))
}

/// Reads until a read ends with a complete line starting with `tag ` (the tagged line is
/// the last thing the server sends); keeps only the tail, so there is no per-byte work.
/// Returns the bytes read. As in benches/sync.rs, over any stream.
fn read_to_tagged(stream: &mut dyn ReadWrite, buf: &mut [u8], tag: &str) -> Result<usize> {
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
