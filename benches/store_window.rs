//! Store window queries at 100k messages: insert time, window latency (median of many
//! runs) at several offsets for both sort orders, keyset paging, and the file size.
//!
//! ```text
//! cargo bench --bench store_window            # 100k messages
//! cargo bench --bench store_window -- 20000   # another size
//! ```
//!
//! Without `--bench` among its arguments (under `cargo test --all-targets`, which runs
//! `harness = false` benches as plain programs) it only runs a 2,000-message smoke check.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use rusqlite::Connection;
use tern::domain::message::{Flags, HeaderFields, NewMessage};
use tern::store::{FolderId, SortOrder, Store, Window};

const UIDVALIDITY: u32 = 1;
const BATCH: usize = 500;

/// Deterministic xorshift64*, so every run measures the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
    fn sentence(&mut self, len: usize) -> String {
        let mut s = String::new();
        while s.len() < len {
            if !s.is_empty() {
                s.push(' ');
            }
            let w = 2 + self.below(8) as usize;
            s.push_str(&self.word(w));
        }
        s.truncate(len);
        s
    }
}

/// Realistic-ish rows: subject ~50, from ~40, to ~60, cc on a third, Message-ID ~45,
/// 3/4 of messages replies in threads of 2-12, References = ancestors (root + nearest 4).
fn corpus(n: u32) -> Vec<NewMessage> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out: Vec<NewMessage> = Vec::with_capacity(n as usize);
    // Open threads: members as (Message-ID, References).
    let mut open: Vec<Vec<(String, Vec<String>)>> = Vec::new();
    let base = 1_500_000_000i64;
    for uid in 1..=n {
        let date = base + i64::from(uid) * 600 + rng.below(300) as i64;
        let message_id = format!("CA{}@mail.example-provider.com", rng.hex(20));
        let (in_reply_to, references) = if !open.is_empty() && rng.below(100) < 75 {
            let t = rng.below(open.len() as u64) as usize;
            let members = &mut open[t];
            // Mostly answer the latest message, sometimes an earlier one.
            let pick = if rng.below(10) < 6 {
                members.len() - 1
            } else {
                rng.below(members.len() as u64) as usize
            };
            let (parent, parent_refs) = members[pick].clone();
            let mut refs = parent_refs;
            refs.push(parent.clone());
            if refs.len() > 5 {
                // Like real clients: keep the root and the nearest ancestors.
                refs.drain(1..refs.len() - 4);
            }
            members.push((message_id.clone(), refs.clone()));
            if members.len() >= 2 + rng.below(11) as usize {
                open.swap_remove(t);
            }
            (Some(parent), refs)
        } else {
            open.push(vec![(message_id.clone(), Vec::new())]);
            if open.len() > 200 {
                open.remove(0);
            }
            (None, Vec::new())
        };
        let name = rng.sentence(14);
        let subject_len = 30 + rng.below(40) as usize;
        let flags = if rng.below(10) < 8 {
            Flags::from_imap(&["\\Seen"])
        } else if rng.below(20) == 0 {
            Flags::from_imap(&["\\Flagged", "$Important"])
        } else {
            Flags::default()
        };
        out.push(NewMessage {
            uid,
            flags,
            modseq: Some(u64::from(uid) * 3),
            internal_date: Some(date + 2),
            size: Some(2_000 + rng.below(80_000) as u32),
            headers: HeaderFields {
                date: Some(date),
                from_name: Some(name),
                from_addr: Some(format!("{}@{}.org", rng.word(10), rng.word(10))),
                to: format!(
                    "{} <{}@{}.com>",
                    rng.sentence(28),
                    rng.word(12),
                    rng.word(12)
                ),
                cc: if rng.below(3) == 0 {
                    format!("{}@{}.net", rng.word(15), rng.word(20))
                } else {
                    String::new()
                },
                subject: rng.sentence(subject_len),
                message_id: Some(message_id),
                in_reply_to,
                references,
                has_attachment: rng.below(5) == 0,
            },
        });
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn fill(store: &Store, messages: Vec<NewMessage>) -> Result<FolderId> {
    let folder = store.write(|tx| {
        let id = tx.upsert_folder("INBOX", Some("inbox"), Some('/'))?;
        tx.reset_folder(id, UIDVALIDITY)?;
        Ok(id)
    })?;
    // Newest first in batches, one transaction each, as the first sync does.
    let mut rest = messages;
    while !rest.is_empty() {
        let batch = rest.split_off(rest.len().saturating_sub(BATCH));
        let oldest = batch.first().map(|m| m.uid);
        store.write(move |tx| {
            tx.upsert_messages(folder, UIDVALIDITY, &batch)?;
            tx.set_progress(folder, oldest, false)
        })?;
    }
    store.write(move |tx| {
        tx.set_progress(folder, None, true)?;
        tx.refresh_counts(folder).map(drop)
    })?;
    Ok(folder)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn report_sizes(path: &Path) -> Result<()> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("file size: {:.1} MB", mb(size));
    let conn = Connection::open(path)?;
    let mut stmt =
        conn.prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map(|rows| rows.flatten().collect::<Vec<_>>())
        .unwrap_or_default();
    for (name, bytes) in rows {
        println!("  {name:<28} {:>6.1} MB", mb(bytes as u64));
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let n: u32 = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if bench { 100_000 } else { 2_000 });
    let runs = if bench { 101 } else { 5 };

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.sqlite");
    let store = Store::open(&path)?;
    let messages = corpus(n);
    let avg = |f: &dyn Fn(&NewMessage) -> usize| {
        messages.iter().map(f).sum::<usize>() as f64 / f64::from(n)
    };
    let shape = format!(
        "avg lengths: subject {:.0}, from {:.0}, to {:.0}, cc {:.0}, message-id {:.0}, references {:.2} ids",
        avg(&|m| m.headers.subject.len()),
        avg(&|m| m.headers.from_name.as_ref().map_or(0, String::len)
            + m.headers.from_addr.as_ref().map_or(0, String::len)),
        avg(&|m| m.headers.to.len()),
        avg(&|m| m.headers.cc.len()),
        avg(&|m| m.headers.message_id.as_ref().map_or(0, String::len)),
        avg(&|m| m.headers.references.len()),
    );
    let t = Instant::now();
    let folder = fill(&store, messages)?;
    let insert = t.elapsed();
    println!("{n} messages, {shape}");
    println!(
        "insert (newest first, {BATCH}/transaction, threading included): {:.2} s ({:.1} µs/message)",
        insert.as_secs_f64(),
        insert.as_secs_f64() * 1e6 / f64::from(n)
    );

    let reader = store.reader()?;
    ensure!(reader.count(folder)? == n, "all rows stored");
    let limit = 200;
    let last = n.saturating_sub(limit);
    for sort in [SortOrder::DateDesc, SortOrder::Threaded] {
        for offset in [0, n / 2, last] {
            let rows = reader.window(folder, sort, Window::Offset(offset), limit)?;
            ensure!(rows.len() == limit.min(n - offset) as usize, "full page");
            let d = time(runs, || {
                reader.window(folder, sort, Window::Offset(offset), limit)
            });
            println!(
                "window {sort:?} offset {offset:>6} limit {limit}: {:>7.3} ms",
                d.as_secs_f64() * 1e3
            );
        }
        let anchor = reader
            .window(folder, sort, Window::Offset(n / 2), 1)?
            .into_iter()
            .next()
            .context("anchor row")?;
        let after = Window::After {
            date: anchor.date,
            uid: anchor.uid,
        };
        let page = reader.window(folder, sort, after, limit)?;
        let by_offset = reader.window(folder, sort, Window::Offset(n / 2 + 1), limit)?;
        ensure!(page == by_offset, "keyset and offset pages agree");
        let d = time(runs, || reader.window(folder, sort, after, limit));
        println!(
            "window {sort:?} keyset at {:>6} limit {limit}: {:>7.3} ms",
            n / 2,
            d.as_secs_f64() * 1e3
        );
    }
    let d = time(runs, || reader.count(folder));
    println!("count: {:.3} ms", d.as_secs_f64() * 1e3);
    let d = time(runs, || reader.message(folder, n / 3));
    println!("message by uid: {:.3} ms", d.as_secs_f64() * 1e3);
    let threads = reader.window(folder, SortOrder::Threaded, Window::Offset(0), n)?;
    let roots = threads.iter().filter(|r| r.depth == 0).count();
    println!("threaded rows: {}, roots: {roots}", threads.len());
    ensure!(threads.len() == n as usize && roots > 0 && roots < n as usize);

    drop(reader);
    drop(store); // closes the writer: checkpoints and removes the WAL
    report_sizes(&path)
}
