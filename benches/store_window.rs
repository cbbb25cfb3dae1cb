//! Store window queries at 100k messages: insert time, window latency (median of many
//! runs) at several offsets for both sort orders, keyset paging, and the file size.
//!
//! ```text
//! cargo bench --bench store_window            # 100k messages
//! cargo bench --bench store_window -- 20000   # another size
//! TERN_BENCH_CORPUS=mail cargo bench --bench store_window   # mail-shaped rows (sizes)
//! TERN_BENCH_SIZE_ONLY=1 cargo bench --bench store_window -- 1000000   # insert + sizes
//! TERN_BENCH_SIZE_ONLY=1 TERN_BENCH_KEEP=f cargo bench --bench store_window  # and keep the file
//! ```
//!
//! Without `--bench` among its arguments (under `cargo test --all-targets`, which runs
//! `harness = false` benches as plain programs) it only runs a 2,000-message smoke check.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use rusqlite::Connection;
use tern::store::{RowFilter, SortOrder, Store, Window};

#[path = "common/cache_corpus.rs"]
mod cache_corpus;
use cache_corpus::{BATCH, chosen_corpus, fill, time};
use tern::domain::message::NewMessage;

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The file, each table and index, and the stored text columns, in MB and bytes/message.
fn report_sizes(path: &Path, n: u32) -> Result<()> {
    let per = |bytes: u64| bytes as f64 / f64::from(n.max(1));
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("file size: {:.1} MB, {:.0} B/message", mb(size), per(size));
    let conn = Connection::open(path)?;
    let mut stmt =
        conn.prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map(|rows| rows.flatten().collect::<Vec<_>>())
        .unwrap_or_default();
    for (name, bytes) in rows {
        let bytes = bytes as u64;
        println!(
            "  {name:<28} {:>6.1} MB {:>6.1} B/message",
            mb(bytes),
            per(bytes)
        );
    }
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
    let sums = columns
        .iter()
        .map(|c| format!("coalesce(sum(length(CAST({c} AS BLOB))), 0)"))
        .collect::<Vec<_>>()
        .join(", ");
    let bytes: Vec<i64> = conn.query_row(&format!("SELECT {sums} FROM messages"), [], |r| {
        (0..columns.len()).map(|i| r.get(i)).collect()
    })?;
    let text: Vec<String> = columns
        .iter()
        .zip(bytes)
        .map(|(c, b)| format!("{c} {:.1}", per(b as u64)))
        .collect();
    println!("  text columns, B/message: {}", text.join(", "));
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
    let messages = chosen_corpus(n);
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
    if std::env::var("TERN_BENCH_SIZE_ONLY").is_ok_and(|v| v == "1") {
        drop(reader);
        drop(store);
        if let Ok(keep) = std::env::var("TERN_BENCH_KEEP") {
            std::fs::copy(&path, keep)?;
        }
        return report_sizes(&path, n);
    }
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
    // Folded threads (z / Alt-z) are a filter on the same queries.
    let first_thread = threads.first().context("a thread")?.thread_id;
    for (what, fold) in [
        (
            "one thread folded",
            RowFilter {
                fold_except: vec![first_thread],
                ..RowFilter::default()
            },
        ),
        (
            "every thread folded",
            RowFilter {
                fold_all: true,
                ..RowFilter::default()
            },
        ),
    ] {
        let rows = reader.count_filtered(folder, &fold)?;
        let d = time(runs, || reader.count_filtered(folder, &fold));
        let mid = rows / 2;
        let w = time(runs, || {
            reader.window_filtered(folder, SortOrder::Threaded, &fold, mid, limit)
        });
        println!(
            "{what}: {rows} rows; count {:.3} ms, window at {mid} {:.3} ms",
            d.as_secs_f64() * 1e3,
            w.as_secs_f64() * 1e3
        );
    }
    let d = time(runs, || reader.thread_counts(folder, first_thread));
    let (size, _) = reader.thread_counts(folder, first_thread)?;
    println!(
        "thread counts ({size} messages): {:.3} ms",
        d.as_secs_f64() * 1e3
    );

    drop(reader);
    drop(store); // closes the writer: checkpoints and removes the WAL
    report_sizes(&path, n)
}
