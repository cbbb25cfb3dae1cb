//! Local search at 100k cached messages (issue 13: under 50 ms): each kind of query through
//! `Reader::search`, beside its floor in the same run: the bare FTS5 MATCH (or the bare
//! flag scan) the query needs, without ranking, joins or row decoding; and the old `/`
//! LIKE filter of one folder for words.
//!
//! ```text
//! cargo bench --bench search            # 100k messages, 10k cached bodies
//! cargo bench --bench search -- 20000   # another size
//! ```
//!
//! Under `cargo test --all-targets` (no `--bench`) it runs a 2,000-message smoke check.

use std::time::Duration;

use anyhow::{Result, ensure};
use tern::domain::query::parse;
use tern::store::{RowFilter, SearchScope, SortOrder, Store};

#[path = "common/cache_corpus.rs"]
mod cache_corpus;
use cache_corpus::{UIDVALIDITY, chosen_corpus, fill, time};

fn ms(d: Duration) -> String {
    format!("{:8.3} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let n: u32 = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if bench { 100_000 } else { 2_000 });
    let runs = if bench { 21 } else { 3 };

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.sqlite");
    let store = Store::open(&path)?;
    let messages = chosen_corpus(n);
    // Words that exist: from a message in the middle, and a sender.
    let middle = &messages[(n / 2) as usize];
    let rare = middle
        .headers
        .subject
        .split(' ')
        .find(|w| w.len() >= 6)
        .unwrap_or("zzzzzz")
        .to_string();
    let sender = middle.headers.from_name.clone().unwrap_or_default();
    let sender = sender.split(' ').next().unwrap_or("x").to_string();
    let t = std::time::Instant::now();
    let folder = fill(&store, messages)?;
    println!("{n} messages indexed in {:.2} s", t.elapsed().as_secs_f64());
    let bodies = (n / 10).max(1);
    let t = std::time::Instant::now();
    store.write(move |tx| {
        for uid in (n - bodies + 1)..=n {
            let raw = format!(
                "From: a@b\r\nSubject: s\r\n\r\nquarterly report {uid} with the figures \
                 for the board; invoice {} attached\r\n",
                uid % 97
            );
            tx.put_body(folder, UIDVALIDITY, uid, raw.as_bytes())?;
        }
        Ok(())
    })?;
    println!(
        "{bodies} bodies stored and indexed in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let reader = store.reader()?;
    let scope = SearchScope {
        account: "bench",
        today: chrono::Local::now().date_naive(),
        limit: 100,
    };
    // Each query's floor: the bare MATCHes it needs, as (table, expression); none for a
    // flag scan.
    let headers = |e: String| vec![("search_text", e)];
    let queries = [
        (rare.clone(), headers(format!("\"{rare}\"*"))),
        (
            format!("from:{sender}"),
            headers(format!("sender : \"{sender}\"*")),
        ),
        (
            "body:invoice".to_string(),
            vec![("search_bodies", "\"invoice\"*".to_string())],
        ),
        ("ab".to_string(), headers("\"ab\"*".to_string())),
        ("is:unread".to_string(), Vec::new()),
        (
            format!("{rare} or body:quarterly -is:flagged"),
            vec![
                ("search_text", format!("\"{rare}\"*")),
                ("search_bodies", "\"quarterly\"*".to_string()),
            ],
        ),
        ("larger:10k is:unread".to_string(), Vec::new()),
    ];
    println!(
        "{:<44} {:>6}  {:>11}  {:>11}  {:>11}",
        "query (limit 100, newest first)", "hits", "search", "floor", "LIKE filter"
    );
    for (text, fts) in &queries {
        let query = parse(text)?;
        let hits = reader.search(&query, scope)?.len();
        let search = time(runs, || reader.search(&query, scope));
        let conn = rusqlite::Connection::open(&path)?;
        let floor = if fts.is_empty() {
            let mut stmt = conn.prepare(
                "SELECT uid FROM messages WHERE sys_flags & 1 = 0 ORDER BY date DESC LIMIT 100",
            )?;
            time(runs, || {
                stmt.query_map([], |r| r.get::<_, u32>(0))
                    .map(|rows| rows.count())
            })
        } else {
            let mut stmts = fts
                .iter()
                .map(|(table, e)| {
                    conn.prepare(&format!("SELECT rowid FROM {table} WHERE {table} MATCH ?1"))
                        .map(|stmt| (stmt, e))
                })
                .collect::<rusqlite::Result<Vec<_>>>()?;
            time(runs, || {
                stmts
                    .iter_mut()
                    .map(|(stmt, e)| {
                        stmt.query_map([e.as_str()], |r| r.get::<_, i64>(0))
                            .map(|rows| rows.count())
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
        };
        let like = if text.contains(':') {
            "-".to_string()
        } else {
            let filter = RowFilter {
                words: text.split(' ').map(str::to_string).collect(),
                ..RowFilter::default()
            };
            ms(time(runs, || {
                reader.window_filtered(folder, SortOrder::DateDesc, &filter, 0, 100)
            }))
        };
        println!(
            "{text:<44} {hits:>6}  {}  {}  {like:>11}",
            ms(search),
            ms(floor)
        );
        ensure!(
            hits > 0 || text.starts_with("larger"),
            "{text} finds something"
        );
    }
    // A sidebar view's live count is the same search with the count's cap (app/views.rs),
    // run again on every folder change.
    let count_scope = SearchScope {
        limit: 999,
        ..scope
    };
    for text in ["is:unread", "folder:INBOX", "is:flagged"] {
        let query = parse(text)?;
        let count = reader.search(&query, count_scope)?.len();
        let d = time(runs, || reader.search(&query, count_scope));
        println!("view count {text:<33} {count:>6}  {}", ms(d));
    }
    Ok(())
}
