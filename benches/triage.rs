//! Marking 1,000 selected messages read in a 100k folder: one round of commands to the
//! server, and one frame to show it (issue 5).
//!
//! A private Dovecot gets N messages (default 100k) with no `\Seen` flag, synced into a
//! fresh cache (not timed). Each run then does what tern does when the user, in a
//! 120x40 terminal, tags the newest message (`t`, which moves on a row), goes 998 rows down
//! (`j`), tags the range (`V`), centres the cursor (so untagged rows are on screen too) and
//! marks the tagged messages read (`;` `n`):
//! - the model's `update` for `n`: it must return exactly one `Effect::Act` of 1,000 UIDs;
//! - `journal::record` of that act: cache and journal in one transaction;
//! - the re-read the runtime's replies ask for (`FoldersChanged`, `FolderChanged{INBOX}`)
//!   and one frame on a `TestBackend`: that frame must show the tagged rows read and the
//!   untagged ones unread, and the unread count down by 1,000 in the list title and the
//!   sidebar;
//! - `journal::replay` on a connected client with INBOX selected (as the engine has it),
//!   through a counting TCP proxy: exactly one command on the wire, `UID STORE <set> +FLAGS
//!   (\Seen)` with exactly the 1,000 UIDs; the journal holds 1 entry before and 0 after;
//!   the server (another connection, `UID SEARCH UNSEEN`) has exactly 1,000 fewer unseen.
//!
//! Beside it the floor: the same `UID STORE <set> +FLAGS (\Seen)` over a raw socket through
//! the same proxy (QRESYNC enabled as on tern's connection; also `+FLAGS.SILENT`, without
//! QRESYNC, and straight to Dovecot), and tern's `ImapClient::uid_store` alone on a fresh
//! connection; the proxy's own view of each STORE (command to tagged OK) is printed too.
//! `journal::record` is also taken apart (an empty writer transaction, the 1,000 flag
//! updates, `refresh_counts`, the reader it opens for the pending count), each timed alone.
//! Between runs the server is reset (`-FLAGS.SILENT`) and the cache resynced; the floors run
//! in a rotating order. Timings are medians; no timing is asserted.
//!
//! ```text
//! cargo bench --bench triage              # 100k messages, 5 runs
//! cargo bench --bench triage -- 20k       # another size
//! TERN_BENCH_RUNS=9 cargo bench --bench triage
//! ```
//! Without `--bench` (under `cargo test --all-targets`) it runs the same checks on 2,000
//! messages, twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use support::{Corpus, RawImap, TestDovecot};
use tern::app::{Clock, Effect, Model, Msg, Options};
use tern::bus::Act;
use tern::bus::{EngineEvent, EventSender};
use tern::config::{AccountConfig, Config, Filing};
use tern::domain::ids::AccountId;
use tern::domain::message::Flags;
use tern::domain::uidset::UidSet;
use tern::imap::{ImapClient, StoreMode, discard};
use tern::keymap::Keymap;
use tern::store::Store;
use tern::sync::handle::AccountHandle;
use tern::sync::{Folders, sync_account};
use tern::theme::Theme;
use tern::tui::source::StoreSource;

#[path = "common/bench_util.rs"]
mod bench_util;
use bench_util::parse_size;

const FULL_SIZE: usize = 100_000;
const SMOKE_SIZE: usize = 2_000;
/// Messages the user marks read.
const TAGGED: usize = 1_000;
const DEFAULT_RUNS: usize = 5;
const SMOKE_RUNS: usize = 2;
const CORPUS_SEED: u64 = 0x7a1a;
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
const FOLDER: &str = "INBOX";
const SEEN: &str = "\\Seen";
const UNREAD_MARK: &str = "●";
const TAGGED_MARK: &str = "+";
const READ_MARK: &str = " ";
const READ_CHUNK: usize = 64 * 1024;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let n = if full {
        match args.iter().find(|a| !a.starts_with('-')) {
            Some(size) => parse_size(size)?,
            None => FULL_SIZE,
        }
    } else {
        SMOKE_SIZE
    };
    ensure!(
        n > TAGGED,
        "the folder needs more than {TAGGED} messages (got {n})"
    );
    let runs = if full {
        match std::env::var("TERN_BENCH_RUNS") {
            Ok(v) => v.parse::<usize>().context("TERN_BENCH_RUNS")?.max(1),
            Err(_) => DEFAULT_RUNS,
        }
    } else {
        SMOKE_RUNS
    };
    let say = |msg: String| {
        if full {
            eprintln!("{msg}");
        }
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let server = TestDovecot::start();
    let user = server.user().to_string();
    let started = Instant::now();
    // Nothing read: whichever 1,000 rows are chosen, each is unread.
    let corpus = Corpus::new(CORPUS_SEED, n);
    let unread = corpus.iter().map(|mut m| {
        m.flags.retain(|f| !f.eq_ignore_ascii_case(SEEN));
        m
    });
    let seeded = server.seed_maildir(&user, FOLDER, unread);
    ensure!(seeded == n, "seeded {seeded} of {n} messages");
    say(format!(
        "seeded {n} unread messages in {:.1} s (not timed)",
        started.elapsed().as_secs_f64()
    ));

    let proxy = CountingProxy::start(server.imap_port())?;
    let dir = tempfile::tempdir()?;
    let direct = account(&server, server.imap_port(), dir.path())?;
    let proxied = account(&server, proxy.port, dir.path())?;
    let store = Store::open(&dir.path().join("cache.sqlite"))?;
    let (events, mut drained) = tokio::sync::mpsc::unbounded_channel();
    runtime.spawn(async move { while drained.recv().await.is_some() {} });
    let started = Instant::now();
    runtime.block_on(async {
        let mut client = tern::connect::connect(&direct).await?;
        sync_account(&mut client, &store, &Folders::One(FOLDER.into()), &events).await?;
        client.logout().await?;
        anyhow::Ok(())
    })?;
    say(format!(
        "cold sync of {n} into a fresh cache in {:.1} s (not timed)",
        started.elapsed().as_secs_f64()
    ));

    let bench = Bench {
        server: &server,
        user: &user,
        n,
        account: proxied,
        store: &store,
        proxy: &proxy,
        events: &events,
        theme: Theme::builtin("default").context("default theme")?,
    };
    let mut results = Vec::new();
    for i in 0..runs {
        let run = bench.run(&runtime, i)?;
        say(format!(
            "run {}: n {:.2} ms, record {:.2} ms, re-read {:.2} ms, frame {:.2} ms, \
             replay {:.2} ms (wire {:.2}); {}; record parts: {}",
            i + 1,
            ms(run.update),
            ms(run.record),
            ms(run.reread),
            ms(run.frame),
            ms(run.replay),
            ms(run.wire),
            FLOORS
                .iter()
                .zip(run.floor)
                .map(|(f, d)| format!("{} {:.2}", f.short(), ms(d)))
                .collect::<Vec<_>>()
                .join(", "),
            PARTS
                .iter()
                .zip(run.parts)
                .map(|(p, d)| format!("{} {:.2}", p.0, ms(d)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        results.push(run);
    }

    if full {
        print_table(n, &results);
    } else {
        println!(
            "triage: smoke check of {TAGGED} of {n} messages marked read passed, {runs} runs \
             (run `cargo bench --bench triage` for figures)"
        );
    }
    Ok(())
}

fn account(server: &TestDovecot, port: u16, dir: &Path) -> Result<AccountConfig> {
    let path = dir.join(format!("config-{port}.toml"));
    let config = Config::parse(&server.account_toml("bench", port), &path)?;
    Ok(config.account(None)?.clone())
}

struct Bench<'a> {
    server: &'a TestDovecot,
    user: &'a str,
    n: usize,
    /// Through the proxy.
    account: AccountConfig,
    store: &'a Store,
    proxy: &'a CountingProxy,
    events: &'a EventSender,
    theme: Theme,
}

/// One run's figures.
struct Run {
    /// `n` after `;`: the update that returns the Act.
    update: Duration,
    /// `journal::record`: cache + journal, one transaction.
    record: Duration,
    /// The model hearing FoldersChanged and FolderChanged (cache re-reads).
    reread: Duration,
    /// Drawing that one frame.
    frame: Duration,
    /// `journal::replay`, call to return.
    replay: Duration,
    /// The STORE on the wire: from the proxy seeing the command to seeing its tagged OK.
    wire: Duration,
    /// The same STORE other ways, by `FLOORS` index.
    floor: [Duration; FLOORS.len()],
    /// Their STORE as the proxy saw it (None: not through the proxy).
    floor_wire: [Option<Duration>; FLOORS.len()],
    /// `journal::record` taken apart, by `PARTS` index.
    parts: [Duration; PARTS.len()],
    store_line_len: usize,
    set_ranges: usize,
    /// Untagged responses the server sent to tern's STORE.
    untagged: u64,
    rows_read: usize,
    rows_unread: usize,
}

impl Run {
    fn key_to_frame(&self) -> Duration {
        self.update + self.record + self.reread + self.frame
    }
}

impl Bench<'_> {
    fn run(&self, runtime: &tokio::runtime::Runtime, index: usize) -> Result<Run> {
        let n = self.n;
        // The engine's connection: connected, resynced, INBOX selected read-write.
        let mut client = runtime.block_on(self.connect())?;
        let inbox = self
            .store
            .reader()?
            .folder(FOLDER)?
            .context("no INBOX in the cache")?;
        ensure!(
            inbox.messages as usize == n && inbox.unseen as usize == n,
            "cache before the run: {} messages, {} unseen (want {n} and {n})",
            inbox.messages,
            inbox.unseen
        );
        ensure!(
            self.store.reader()?.journal_count()? == 0,
            "the journal is not empty before the run"
        );
        ensure!(
            server_unseen(self.server, self.user)?.len() == n,
            "the server has read messages before the run"
        );

        // Select as the user would.
        let source = StoreSource::new(self.store.reader()?);
        let mut model = Model::new(options(), Keymap::default(), &source);
        ensure!(
            model.list.total as usize == n,
            "the list shows {} of {n}",
            model.list.total
        );
        // `t` tags the first row and moves on to the second (`[ui] tag_advances`).
        let mut fx = keys(&mut model, &source, &["t"]);
        for _ in 2..TAGGED {
            fx.extend(keys(&mut model, &source, &["j"]));
        }
        fx.extend(keys(&mut model, &source, &["V"]));
        // Centre the cursor (`z` folds threads now; `zz` in the vim keymap).
        fx.extend(model.update(Msg::Action(tern::app::Action::CenterCursor), &source));
        ensure!(fx.is_empty(), "selecting returned effects: {fx:?}");
        ensure!(
            model.list.tagged.len() == TAGGED && model.list.cursor as usize == TAGGED - 1,
            "{} tagged, cursor on row {} (want {TAGGED} and {})",
            model.list.tagged.len(),
            model.list.cursor,
            TAGGED - 1
        );
        let chosen: BTreeSet<u32> = model.list.tagged.clone();
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT))?;
        terminal.draw(|frame| tern::ui::render(&model, &self.theme, frame))?;
        check_frame(
            &model,
            terminal.backend().buffer(),
            &chosen,
            Shown::Tagged,
            n,
        )?;
        let fx = keys(&mut model, &source, &[";"]);
        ensure!(fx.is_empty(), "`;` returned effects: {fx:?}");

        // Timed: the key, the record, the re-read and one frame.
        let t = Instant::now();
        let mut fx = model.update(Msg::Key(key_event("n")), &source);
        let update = t.elapsed();
        ensure!(
            fx.len() == 1,
            "`; n` on {TAGGED} tagged returned {} effects (want one Act): {:?}",
            fx.len(),
            fx.iter().map(effect_name).collect::<Vec<_>>()
        );
        let Some(Effect::Act {
            op,
            account: AccountId(0),
            folder,
            uidvalidity,
            uids,
            act,
            ..
        }) = fx.pop()
        else {
            bail!("`; n` did not return an Act on account 0");
        };
        ensure!(folder == FOLDER, "the Act is on {folder}");
        let acted: BTreeSet<u32> = uids.iter().copied().collect();
        ensure!(
            uids.len() == TAGGED && acted == chosen,
            "the Act has {} UIDs ({} distinct), {} of them tagged",
            uids.len(),
            acted.len(),
            acted.intersection(&chosen).count()
        );
        ensure!(
            act == Act::Flags {
                add: vec![SEEN.into()],
                remove: Vec::new()
            },
            "the Act is {act:?}, not +\\Seen"
        );
        let set: UidSet = uids.iter().copied().collect();
        // The runtime's part: the account handle records it and answers on its events.
        let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut handle = AccountHandle::new(self.store.clone(), Filing::default(), None, events_tx);
        let t = Instant::now();
        runtime.block_on(handle.record(op, &folder, uidvalidity, set, act, false));
        let record = t.elapsed();
        let pending = self.store.reader()?.journal_count()?;
        ensure!(
            pending == 1,
            "{pending} journal entries after recording one act"
        );
        let mut answers = Vec::new();
        while let Ok(event) = events_rx.try_recv() {
            answers.push(event);
        }
        ensure!(
            matches!(answers.last(), Some(EngineEvent::OpDone { op: done, .. }) if *done == op),
            "the handle answered {answers:?}"
        );
        let t = Instant::now();
        let mut fx = Vec::new();
        for event in answers {
            fx.extend(model.update(Msg::Engine(AccountId(0), event), &source));
        }
        let reread = t.elapsed();
        let t = Instant::now();
        terminal.draw(|frame| tern::ui::render(&model, &self.theme, frame))?;
        let frame = t.elapsed();
        ensure!(
            fx.iter()
                .all(|e| matches!(e, Effect::SetTitle(_) | Effect::Bell)),
            "the re-read returned {:?}",
            fx.iter().map(effect_name).collect::<Vec<_>>()
        );
        let (rows_read, rows_unread) =
            check_frame(&model, terminal.backend().buffer(), &acted, Shown::Read, n)?;
        ensure!(
            model.accounts[0].pending == 1,
            "the model shows {} pending (want 1)",
            model.accounts[0].pending
        );

        // The engine sends it.
        ensure!(
            self.store.reader()?.journal_count()? == 1,
            "journal before replay"
        );
        let mark = self.proxy.mark();
        let t = Instant::now();
        let sent = runtime.block_on(tern::sync::journal::replay(
            &mut client,
            self.store,
            self.events,
        ))?;
        let replay = t.elapsed();
        let wire = self.proxy.since(mark);
        ensure!(sent == 1, "replay sent {sent} entries (want 1)");
        ensure!(
            self.store.reader()?.journal_count()? == 0,
            "journal entries left after the replay"
        );
        let (wire_time, store_line_len, set_ranges, untagged) = check_wire(&wire, &acted)?;
        let unseen = server_unseen(self.server, self.user)?;
        ensure!(
            unseen.len() == n - TAGGED && unseen.is_disjoint(&acted),
            "after the replay the server has {} unseen (want {}), {} of them acted on",
            unseen.len(),
            n - TAGGED,
            unseen.intersection(&acted).count()
        );
        let cached = self
            .store
            .reader()?
            .folder(FOLDER)?
            .context("no INBOX in the cache")?;
        ensure!(
            cached.unseen as usize == n - TAGGED,
            "after the replay the cache has {} unseen (want {})",
            cached.unseen,
            n - TAGGED
        );
        runtime.block_on(client.logout())?;

        // Where record's time goes, on the same rows (the cache stays as the server has it).
        let parts = self.record_parts(&acted)?;

        // The floor, each on a connection of its own with INBOX selected, in a rotating
        // order; the server is reset before each and after the last.
        let set = uid_set(&acted);
        let mut floor = [Duration::ZERO; FLOORS.len()];
        let mut floor_wire = [None; FLOORS.len()];
        for k in 0..FLOORS.len() {
            let i = (k + index) % FLOORS.len();
            self.reset(&set)?;
            let mark = self.proxy.mark();
            floor[i] = self.floor(runtime, FLOORS[i], &set)?;
            floor_wire[i] = store_wire(&self.proxy.since(mark));
        }
        self.reset(&set)?;
        ensure!(
            server_unseen(self.server, self.user)?.len() == n,
            "the server was not reset after the run"
        );

        Ok(Run {
            update,
            record,
            reread,
            frame,
            replay,
            wire: wire_time,
            floor,
            floor_wire,
            parts,
            store_line_len,
            set_ranges,
            untagged,
            rows_read,
            rows_unread,
        })
    }

    /// Connects through the proxy, resyncs the cache (it takes back the last run's reset)
    /// and selects INBOX read-write, as the engine is between commands.
    async fn connect(&self) -> Result<ImapClient> {
        let mut client = tern::connect::connect(&self.account).await?;
        sync_account(
            &mut client,
            self.store,
            &Folders::One(FOLDER.into()),
            self.events,
        )
        .await?;
        if client.selected() != Some((FOLDER, false)) {
            client.select(FOLDER, false, None, &mut discard()).await?;
        }
        Ok(client)
    }

    fn reset(&self, set: &str) -> Result<()> {
        let mut raw = self.server.raw_login(self.user);
        raw.select(FOLDER)?;
        raw.command_ok(&format!("UID STORE {set} -FLAGS.SILENT ({SEEN})"))?;
        raw.logout()?;
        Ok(())
    }

    /// `UID STORE <set> <how> (\Seen)` over a raw socket to `port`: LOGIN, ENABLE QRESYNC
    /// (when `qresync`, as tern's connection has it) and SELECT not timed; the command
    /// until its tagged OK, reading bytes only.
    fn raw_store(&self, port: u16, set: &str, how: &str, qresync: bool) -> Result<Duration> {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).context("raw connect")?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        let mut buf = vec![0u8; READ_CHUNK];
        read_to_tagged(&mut stream, &mut buf, "*")?;
        let quote = support::raw_imap::quote;
        let mut setup = vec![(
            "zz1",
            format!(
                "LOGIN {} {}",
                quote(self.user),
                quote(self.server.password())
            ),
        )];
        if qresync {
            setup.push(("zz2", "ENABLE QRESYNC".to_string()));
        }
        setup.push(("zz3", format!("SELECT {FOLDER}")));
        for (tag, command) in setup {
            stream.write_all(format!("{tag} {command}\r\n").as_bytes())?;
            read_to_tagged(&mut stream, &mut buf, tag)?;
        }
        let started = Instant::now();
        stream.write_all(format!("zz9 UID STORE {set} {how} ({SEEN})\r\n").as_bytes())?;
        read_to_tagged(&mut stream, &mut buf, "zz9")?;
        let elapsed = started.elapsed();
        stream.write_all(b"zz4 LOGOUT\r\n")?;
        read_to_tagged(&mut stream, &mut buf, "zz4")?;
        Ok(elapsed)
    }
}

/// The same `UID STORE <set> ... (\Seen)` as tern's replay, other ways.
#[derive(Clone, Copy, Debug)]
enum Floor {
    /// Raw socket through the proxy, QRESYNC enabled as on tern's connection.
    Raw,
    RawSilent,
    /// Without ENABLE QRESYNC: no MODSEQ in the replies.
    RawNoQresync,
    /// Straight to Dovecot, not through the proxy.
    RawDirect,
    /// tern's `ImapClient::uid_store` alone on a fresh connection, through the proxy.
    TernClient,
}

const FLOORS: [Floor; 5] = [
    Floor::Raw,
    Floor::RawSilent,
    Floor::RawNoQresync,
    Floor::RawDirect,
    Floor::TernClient,
];

impl Floor {
    fn short(self) -> &'static str {
        match self {
            Floor::Raw => "raw",
            Floor::RawSilent => "raw .SILENT",
            Floor::RawNoQresync => "raw no QRESYNC",
            Floor::RawDirect => "raw direct",
            Floor::TernClient => "tern client",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Floor::Raw => "raw UID STORE +FLAGS (QRESYNC on, through the proxy)",
            Floor::RawSilent => "raw UID STORE +FLAGS.SILENT (through the proxy)",
            Floor::RawNoQresync => "raw UID STORE +FLAGS, no QRESYNC (through the proxy)",
            Floor::RawDirect => "raw UID STORE +FLAGS (straight to Dovecot)",
            Floor::TernClient => "ImapClient::uid_store alone (fresh connection, proxy)",
        }
    }
}

/// `journal::record`'s work, each in a writer transaction of its own.
const PARTS: [(&str, &str); 4] = [
    ("empty", "an empty writer transaction"),
    ("flags", "1,000 x (flags + set_flags), one transaction"),
    ("counts", "refresh_counts, one transaction"),
    ("pending", "store.reader() + journal_count"),
];

impl Bench<'_> {
    fn floor(
        &self,
        runtime: &tokio::runtime::Runtime,
        floor: Floor,
        set: &str,
    ) -> Result<Duration> {
        let proxy = self.proxy.port;
        match floor {
            Floor::Raw => self.raw_store(proxy, set, "+FLAGS", true),
            Floor::RawSilent => self.raw_store(proxy, set, "+FLAGS.SILENT", true),
            Floor::RawNoQresync => self.raw_store(proxy, set, "+FLAGS", false),
            Floor::RawDirect => self.raw_store(self.server.imap_port(), set, "+FLAGS", true),
            Floor::TernClient => runtime.block_on(async {
                let mut client = tern::connect::connect(&self.account).await?;
                client.select(FOLDER, false, None, &mut discard()).await?;
                let started = Instant::now();
                client
                    .uid_store(
                        set,
                        StoreMode::Add,
                        &[SEEN.to_string()],
                        None,
                        &mut discard(),
                    )
                    .await?;
                let elapsed = started.elapsed();
                client.logout().await?;
                Ok(elapsed)
            }),
        }
    }

    /// After the replay (the rows are read): each part of `journal::record` timed alone.
    /// The flag part takes `\Seen` off the acted rows as record would put it on, then puts
    /// it back untimed, so the cache ends as it was; counts are not touched by it.
    fn record_parts(&self, acted: &BTreeSet<u32>) -> Result<[Duration; PARTS.len()]> {
        let inbox = self
            .store
            .reader()?
            .folder(FOLDER)?
            .context("no INBOX in the cache")?;
        let (id, uidvalidity) = (inbox.id, inbox.uidvalidity.context("no UIDVALIDITY")?);
        let uids: Vec<u32> = acted.iter().copied().collect();
        let flip = move |add: bool| {
            let uids = uids.clone();
            move |tx: &mut tern::store::WriteTx<'_>| {
                let mut changed = 0;
                for &uid in &uids {
                    let Some(flags) = tx.flags(id, uidvalidity, uid)? else {
                        continue;
                    };
                    let mut names = flags.to_imap();
                    names.retain(|f| !f.eq_ignore_ascii_case(SEEN));
                    if add {
                        names.push(SEEN.to_string());
                    }
                    changed +=
                        tx.set_flags(id, uidvalidity, uid, &Flags::from_imap(&names), None)?;
                }
                Ok(changed)
            }
        };
        let mut parts = [Duration::ZERO; PARTS.len()];
        let t = Instant::now();
        self.store.write(|_| Ok(()))?;
        parts[0] = t.elapsed();
        let t = Instant::now();
        let changed = self.store.write(flip(false))?;
        parts[1] = t.elapsed();
        let restored = self.store.write(flip(true))?;
        ensure!(
            changed == TAGGED && restored == TAGGED,
            "the flag part changed {changed} and restored {restored} rows"
        );
        let t = Instant::now();
        let (_, unseen) = self.store.write(move |tx| tx.refresh_counts(id))?;
        parts[2] = t.elapsed();
        ensure!(
            unseen as usize == self.n - TAGGED,
            "refresh_counts found {unseen} unseen"
        );
        let t = Instant::now();
        let pending = self.store.reader()?.journal_count()?;
        parts[3] = t.elapsed();
        ensure!(pending == 0, "{pending} journal entries");
        Ok(parts)
    }
}

fn options() -> Options {
    Options {
        account: "bench".into(),
        size: (WIDTH, HEIGHT),
        clock: Clock {
            now: support::corpus::T_END,
            utc_offset: 0,
        },
        mark_read_after: None,
        ..Options::default()
    }
}

/// One key as keymap files write it: "j", "V", ";".
fn key_event(token: &str) -> KeyEvent {
    let mut chars = token.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        panic!("one character keys only: {token:?}");
    };
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), mods)
}

fn keys(model: &mut Model, source: &StoreSource, tokens: &[&str]) -> Vec<Effect> {
    tokens
        .iter()
        .flat_map(|k| model.update(Msg::Key(key_event(k)), source))
        .collect()
}

fn effect_name(effect: &Effect) -> String {
    match effect {
        Effect::Act {
            folder, uids, act, ..
        } => format!("Act({folder}, {} uids, {act:?})", uids.len()),
        other => format!("{other:?}").chars().take(80).collect(),
    }
}

/// What the list should show on the rows the user tagged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Tagged, before the action.
    Tagged,
    /// After the action: read, no longer tagged.
    Read,
}

/// Checks the frame: the flag column of every visible row (chosen rows tagged or read, the
/// others unread), the list title's and the sidebar's unread counts. Returns (chosen rows,
/// other rows) on screen; both must be there.
fn check_frame(
    model: &Model,
    buf: &Buffer,
    chosen: &BTreeSet<u32>,
    shown: Shown,
    n: usize,
) -> Result<(usize, usize)> {
    let areas = tern::app::layout::areas(&model.view());
    let list = areas.list_inner.context("no list on screen")?;
    let (mut mine, mut others) = (0, 0);
    for (index, row, _) in model.list.visible() {
        let y = list.y + (index - model.list.scroll) as u16;
        // A row starts with a space, then its flag column: tagged, unread or read.
        let mark = buf
            .cell((list.x + 1, y))
            .map_or("", |c| c.symbol())
            .to_string();
        let want = match (chosen.contains(&row.uid), shown) {
            (true, Shown::Tagged) => TAGGED_MARK,
            (true, Shown::Read) => READ_MARK,
            (false, _) => UNREAD_MARK,
        };
        ensure!(
            mark == want && row.flags.seen() == (want == READ_MARK),
            "row {index} (uid {}) shows {mark:?}, seen {} (want {want:?}): {:?}",
            row.uid,
            row.flags.seen(),
            text(buf, Rect::new(list.x, y, list.width, 1))
        );
        if chosen.contains(&row.uid) {
            mine += 1;
        } else {
            others += 1;
        }
    }
    ensure!(
        mine > 0 && others > 0,
        "the screen should show chosen and other rows: {mine} and {others}"
    );
    let unseen = match shown {
        Shown::Tagged => n,
        Shown::Read => n - TAGGED,
    };
    let title = text(buf, Rect::new(0, 0, WIDTH, 1));
    let want = format!("{} unread / {}", thousands(unseen), thousands(n));
    ensure!(
        title.contains(&want),
        "the list title {title:?} does not say {want:?}"
    );
    let sidebar = areas.folders_inner.context("no sidebar on screen")?;
    let lines: Vec<String> = (0..sidebar.height)
        .map(|dy| text(buf, Rect::new(sidebar.x, sidebar.y + dy, sidebar.width, 1)))
        .collect();
    let count = unseen.to_string();
    ensure!(
        lines.iter().any(|l| {
            l.to_ascii_uppercase().contains(FOLDER) && l.trim_end().ends_with(&format!(" {count}"))
        }),
        "the sidebar does not show {FOLDER} with {count} unread: {lines:?}"
    );
    Ok((mine, others))
}

fn text(buf: &Buffer, area: Rect) -> String {
    let mut out = String::new();
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            if let Some(cell) = buf.cell((x, y)) {
                out.push_str(cell.symbol());
            }
        }
    }
    out
}

fn thousands(n: usize) -> String {
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

/// What the replay put on the wire: exactly one command, `UID STORE <the set> +FLAGS
/// (\Seen)`, answered OK. Returns (its time on the wire, the line's length, the set's
/// ranges, untagged responses meanwhile).
fn check_wire(lines: &[WireLine], acted: &BTreeSet<u32>) -> Result<(Duration, usize, usize, u64)> {
    let commands: Vec<&WireLine> = lines.iter().filter(|l| l.from_client).collect();
    let [command] = commands[..] else {
        bail!(
            "the replay sent {} commands (want 1): {:?}",
            commands.len(),
            commands.iter().map(|l| short(&l.text)).collect::<Vec<_>>()
        );
    };
    let (tag, rest) = command
        .text
        .split_once(' ')
        .context("a command without a tag")?;
    let Some(set) = rest
        .strip_prefix("UID STORE ")
        .and_then(|r| r.strip_suffix(" +FLAGS (\\Seen)"))
    else {
        bail!(
            "the replay sent {:?}, not UID STORE <set> +FLAGS (\\Seen)",
            short(&command.text)
        );
    };
    let stored = parse_set(set)?;
    ensure!(
        stored == *acted,
        "the STORE names {} UIDs, {} of them acted on",
        stored.len(),
        stored.intersection(acted).count()
    );
    let done = lines
        .iter()
        .find(|l| {
            !l.from_client && l.conn == command.conn && l.text.starts_with(&format!("{tag} "))
        })
        .context("no tagged reply to the STORE seen")?;
    ensure!(
        done.text[tag.len() + 1..].starts_with("OK"),
        "the STORE was answered {:?}",
        short(&done.text)
    );
    let untagged = lines
        .iter()
        .filter(|l| !l.from_client && l.conn == command.conn)
        .map(|l| l.untagged_before)
        .sum();
    Ok((
        done.at.saturating_duration_since(command.at),
        command.text.len(),
        set.split(',').count(),
        untagged,
    ))
}

/// The first `UID STORE` in `lines`: from the proxy seeing the command to seeing its
/// tagged reply.
fn store_wire(lines: &[WireLine]) -> Option<Duration> {
    let command = lines
        .iter()
        .find(|l| l.from_client && l.text.contains(" UID STORE "))?;
    let tag = command.text.split(' ').next()?;
    let done = lines.iter().find(|l| {
        !l.from_client && l.conn == command.conn && l.text.starts_with(&format!("{tag} "))
    })?;
    Some(done.at.saturating_duration_since(command.at))
}

fn short(s: &str) -> String {
    if s.len() <= 120 {
        s.to_string()
    } else {
        format!(
            "{}... ({} bytes)",
            &s[..s.floor_char_boundary(120)],
            s.len()
        )
    }
}

fn parse_set(set: &str) -> Result<BTreeSet<u32>> {
    let mut out = BTreeSet::new();
    for part in set.split(',') {
        let (lo, hi) = match part.split_once(':') {
            Some((lo, hi)) => (lo.parse::<u32>()?, hi.parse::<u32>()?),
            None => (part.parse::<u32>()?, part.parse::<u32>()?),
        };
        out.extend(lo.min(hi)..=lo.max(hi));
    }
    Ok(out)
}

/// "1:3,7,9:12" for a set of UIDs.
fn uid_set(uids: &BTreeSet<u32>) -> String {
    let sorted: Vec<u32> = uids.iter().copied().collect();
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

/// UIDs without `\Seen` on the server, asked over another connection.
fn server_unseen(server: &TestDovecot, user: &str) -> Result<BTreeSet<u32>> {
    let mut raw: RawImap = server.raw_login(user);
    raw.examine(FOLDER)?;
    let lines = raw.command_ok("UID SEARCH UNSEEN")?;
    raw.logout()?;
    Ok(lines
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace().filter_map(|u| u.parse().ok()))
        .collect())
}

/// Reads until a read ends with a complete line starting with `tag ` (the tagged line is
/// the last thing the server sends); keeps only the last bytes of the stream. Returns the
/// bytes read. (As in benches/sync.rs.)
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

/// A line the proxy saw: every line the client sent, and the server's tagged replies.
#[derive(Clone, Debug)]
struct WireLine {
    at: Instant,
    conn: usize,
    from_client: bool,
    text: String,
    /// Server lines only: untagged responses since the previous tagged one.
    untagged_before: u64,
}

/// A loopback proxy in front of Dovecot that logs what goes by, to count the commands a
/// replay sends. Threads live until the process ends.
struct CountingProxy {
    port: u16,
    log: Arc<Mutex<Vec<WireLine>>>,
}

/// Client lines kept whole up to this (a STORE of scattered UIDs is long); server lines
/// are cut shorter.
const CLIENT_LINE_MAX: usize = 1 << 20;
const SERVER_LINE_MAX: usize = 256;

impl CountingProxy {
    fn start(target: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&log);
        std::thread::spawn(move || {
            for (conn, accepted) in listener.incoming().enumerate() {
                let Ok(client) = accepted else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                let up = Arc::clone(&shared);
                let down = Arc::clone(&shared);
                std::thread::spawn(move || pump(client, server, conn, true, &up));
                std::thread::spawn(move || pump(server2, client2, conn, false, &down));
            }
        });
        Ok(Self { port, log })
    }

    fn mark(&self) -> usize {
        self.log.lock().map_or(0, |l| l.len())
    }

    fn since(&self, mark: usize) -> Vec<WireLine> {
        self.log
            .lock()
            .map(|l| l.get(mark..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    conn: usize,
    from_client: bool,
    log: &Mutex<Vec<WireLine>>,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    let mut line: Vec<u8> = Vec::new();
    let mut untagged = 0u64;
    let max = if from_client {
        CLIENT_LINE_MAX
    } else {
        SERVER_LINE_MAX
    };
    loop {
        let got = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(got) => got,
        };
        let at = Instant::now();
        let mut seen = Vec::new();
        for &b in &buf[..got] {
            if b != b'\n' {
                if line.len() < max {
                    line.push(b);
                }
                continue;
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            line.clear();
            if from_client {
                seen.push(WireLine {
                    at,
                    conn,
                    from_client,
                    text,
                    untagged_before: 0,
                });
            } else if text.starts_with("* ") {
                untagged += 1;
            } else if is_tagged_reply(&text) {
                seen.push(WireLine {
                    at,
                    conn,
                    from_client,
                    text,
                    untagged_before: std::mem::take(&mut untagged),
                });
            }
        }
        // Logged before the bytes go on: whoever reads them finds them in the log.
        if !seen.is_empty()
            && let Ok(mut log) = log.lock()
        {
            log.extend(seen);
        }
        if to.write_all(&buf[..got]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// `<tag> OK|NO|BAD ...` (literal text inside FETCH replies is not).
fn is_tagged_reply(line: &str) -> bool {
    let mut words = line.split(' ');
    let (Some(tag), Some(status)) = (words.next(), words.next()) else {
        return false;
    };
    !tag.is_empty()
        && tag != "*"
        && tag != "+"
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && matches!(status, "OK" | "NO" | "BAD")
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_table(n: usize, runs: &[Run]) {
    let med = |pick: &dyn Fn(&Run) -> Duration| median(&runs.iter().map(pick).collect::<Vec<_>>());
    let first = &runs[0];
    println!(
        "triage at {n} messages, {WIDTH}x{HEIGHT}: {TAGGED} tagged (t, {} x j, V, centre), \
         `; n`; medians of {} runs",
        TAGGED - 2,
        runs.len()
    );
    println!(
        "checked every run: 1 Act of {TAGGED} UIDs; 1 journal entry, 0 after replay; 1 command \
         on the wire (UID STORE, {} bytes, {} range(s), {} untagged replies); server unseen \
         -{TAGGED}; frame: {} read + {} unread rows, title and sidebar -{TAGGED}",
        first.store_line_len, first.set_ranges, first.untagged, first.rows_read, first.rows_unread
    );
    println!("{:<60} {:>10}", "measure", "median");
    let row = |name: &str, d: Duration| println!("{name:<60} {:>7.2} ms", ms(d));
    row("`n` (update returning the Act)", med(&|r| r.update));
    row(
        "journal::record (cache + journal, one transaction)",
        med(&|r| r.record),
    );
    for (i, (_, what)) in PARTS.iter().enumerate() {
        row(&format!("  part: {what}"), med(&|r| r.parts[i]));
    }
    row(
        "re-read (FoldersChanged + FolderChanged)",
        med(&|r| r.reread),
    );
    row("one frame (draw, TestBackend)", med(&|r| r.frame));
    row("key to frame (sum of the four)", med(&Run::key_to_frame));
    row(
        "journal::replay (tern, through the proxy)",
        med(&|r| r.replay),
    );
    row(
        "  its UID STORE on the wire (proxy: command to OK)",
        med(&|r| r.wire),
    );
    for (i, floor) in FLOORS.iter().enumerate() {
        let wire: Vec<Duration> = runs.iter().filter_map(|r| r.floor_wire[i]).collect();
        let client = ms(med(&|r| r.floor[i]));
        if wire.is_empty() {
            println!("{:<60} {client:>7.2} ms", floor.describe());
        } else {
            println!(
                "{:<60} {client:>7.2} ms  (wire {:.2} ms)",
                floor.describe(),
                ms(median(&wire))
            );
        }
    }
    let raw = med(&|r| r.floor[0]);
    if raw > Duration::ZERO {
        println!(
            "{:<60} {:>7.2} x",
            "replay / raw +FLAGS (QRESYNC on, same proxy)",
            med(&|r| r.replay).as_secs_f64() / raw.as_secs_f64()
        );
    }
}
