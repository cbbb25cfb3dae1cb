//! Small helpers the IMAP benches share. Included with
//! `#[path = "common/bench_util.rs"] mod bench_util;`.
#![allow(dead_code)]

use std::time::Duration;

use anyhow::{Context, Result, ensure};

/// "10000", "10k", "1m", "100_000".
pub fn parse_size(s: &str) -> Result<usize> {
    let t = s.trim().to_ascii_lowercase().replace('_', "");
    let (digits, factor) = match t.strip_suffix('k') {
        Some(d) => (d, 1_000),
        None => match t.strip_suffix('m') {
            Some(d) => (d, 1_000_000),
            None => (t.as_str(), 1),
        },
    };
    let n: usize = digits
        .parse()
        .with_context(|| format!("bad mailbox size {s:?}"))?;
    ensure!(n > 0, "mailbox size must be positive");
    Ok(n * factor)
}

/// CPU time of every thread of this process so far (/proc/self/task/*/schedstat, in ns).
/// Threads that ended are not counted; the threads a run uses live through it.
pub fn process_cpu() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .filter_map(|task| {
            let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            stat.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum();
    Duration::from_nanos(ns)
}
