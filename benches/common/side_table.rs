//! The one table benches/side_by_side.rs prints: each figure the median of its runs with
//! min–max, beside its floor or a peer, with the ratio and the target.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, ensure};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Secs,
    Mb,
}

/// Something a run yields: a time, or a size in bytes.
pub trait Value {
    fn number(self) -> f64;
}

impl Value for Duration {
    fn number(self) -> f64 {
        self.as_secs_f64()
    }
}

impl Value for u64 {
    fn number(self) -> f64 {
        self as f64 / 1_000_000.0
    }
}

/// The runs of one figure; a run that gave nothing (a timeout) is counted as missing.
#[derive(Clone, Debug)]
pub struct Stat {
    unit: Unit,
    values: Vec<f64>,
    missing: usize,
    /// The client is not installed.
    absent: bool,
}

impl Stat {
    pub fn new(unit: Unit) -> Self {
        Stat {
            unit,
            values: Vec::new(),
            missing: 0,
            absent: false,
        }
    }

    pub fn absent() -> Self {
        Stat {
            absent: true,
            ..Stat::new(Unit::Secs)
        }
    }

    pub fn push(&mut self, value: impl Value) {
        self.values.push(value.number());
    }

    pub fn push_bytes(&mut self, bytes: u64) {
        self.push(bytes);
    }

    pub fn push_opt<V: Value>(&mut self, value: Option<V>) {
        match value {
            Some(v) => self.push(v),
            None => self.missing += 1,
        }
    }

    pub fn median(&self) -> Option<f64> {
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        let len = sorted.len();
        match len {
            0 => None,
            _ if !len.is_multiple_of(2) => Some(sorted[len / 2]),
            _ => Some((sorted[len / 2 - 1] + sorted[len / 2]) / 2.0),
        }
    }

    /// Every run gave a value.
    pub fn complete(&self) -> bool {
        !self.absent && self.missing == 0 && !self.values.is_empty()
    }

    fn one(&self, v: f64) -> String {
        match self.unit {
            Unit::Secs if v < 0.1 => format!("{v:.3} s"),
            Unit::Secs if v < 10.0 => format!("{v:.2} s"),
            Unit::Secs => format!("{v:.1} s"),
            Unit::Mb if v < 10.0 => format!("{v:.1} MB"),
            Unit::Mb => format!("{v:.0} MB"),
        }
    }

    fn text(&self) -> String {
        if self.absent {
            return "not installed".into();
        }
        let gone = match self.unit {
            Unit::Secs => "timeout",
            Unit::Mb => "n/a",
        };
        let Some(median) = self.median() else {
            return gone.into();
        };
        let mut text = self.one(median);
        if self.values.len() > 1 {
            let min = self.values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = self.values.iter().copied().fold(0.0, f64::max);
            let _ = write!(text, " ({}–{})", self.one(min), self.one(max));
        }
        if self.missing > 0 {
            let _ = write!(text, " +{} {gone}", self.missing);
        }
        text
    }
}

pub struct Row {
    figure: String,
    tern: Option<Stat>,
    beside: Option<(String, Stat)>,
    target: String,
}

impl Row {
    /// A floor of its own (the tern column stays empty).
    pub fn floor(figure: String, floor: Stat) -> Self {
        Row {
            figure,
            tern: None,
            beside: Some(("floor".into(), floor)),
            target: String::new(),
        }
    }

    pub fn beside(figure: String, tern: Stat, label: String, beside: Stat, target: &str) -> Self {
        Row {
            figure,
            tern: Some(tern),
            beside: Some((label, beside)),
            target: target.into(),
        }
    }

    pub fn alone(figure: String, tern: Stat, target: &str) -> Self {
        Row {
            figure,
            tern: Some(tern),
            beside: None,
            target: target.into(),
        }
    }

    fn ratio(&self) -> String {
        let (Some(tern), Some((_, beside))) = (&self.tern, &self.beside) else {
            return String::new();
        };
        match (tern.median(), beside.median()) {
            (Some(t), Some(b)) if b > 0.0 => format!("{:.2}x", t / b),
            _ => String::new(),
        }
    }

    fn markdown(&self) -> String {
        let tern = self.tern.as_ref().map_or_else(|| "—".into(), Stat::text);
        let beside = self
            .beside
            .as_ref()
            .map_or_else(|| "—".into(), |(label, s)| format!("{label}: {}", s.text()));
        let target = if self.target.is_empty() {
            "—"
        } else {
            &self.target
        };
        format!(
            "| {} | {tern} | {beside} | {} | {target} |",
            self.figure,
            self.ratio()
        )
    }
}

pub struct Table {
    n: usize,
    runs: usize,
    rss_method: String,
    rows: Vec<Row>,
}

impl Table {
    pub fn new(n: usize, runs: usize, rss_method: String) -> Self {
        Table {
            n,
            runs,
            rss_method,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// The previous row's figure again, once beside each peer.
    pub fn push_peers(&mut self, tern: &Stat, peers: Vec<(String, Stat)>) {
        let Some(figure) = self.rows.last().map(|r| r.figure.clone()) else {
            return;
        };
        for (label, stat) in peers {
            self.rows.push(Row {
                figure: figure.clone(),
                tern: Some(tern.clone()),
                beside: Some((label, stat)),
                target: String::new(),
            });
        }
    }

    pub fn markdown(&self, machine: &[String]) -> String {
        let mut out = format!(
            "### tern side by side: {} messages in INBOX, median of {} run{} (min–max)\n\n\
             | figure | tern | floor or peer | ratio | target |\n|---|---|---|---|---|\n",
            thousands(self.n),
            self.runs,
            if self.runs == 1 { "" } else { "s" }
        );
        for row in &self.rows {
            out.push_str(&row.markdown());
            out.push('\n');
        }
        out.push_str(
            "\nratio: tern's median over the floor's or peer's (below 1: tern is faster or \
             smaller). Opens: from starting the client in tmux (120x40) until the newest \
             subject is on screen.\n",
        );
        let _ = writeln!(out, "{}.", self.rss_method);
        if !machine.is_empty() {
            let _ = writeln!(out, "\n{}.", machine.join("; "));
        }
        out
    }

    /// Every figure of every transport is in the table with all its runs.
    pub fn check_complete(&self, transports: &[impl std::fmt::Debug + Copy + Named]) -> Result<()> {
        const FIGURES: [&str; 12] = [
            "raw ENVELOPE listing",
            "cold first screen",
            "warm first paint",
            "`tern sync --folder INBOX`, empty cache",
            "`tern sync`, nothing changed",
            "peak RSS, cold `tern sync`",
            "peak RSS, no-change `tern sync`",
            "peak RSS, TUI cold",
            "peak RSS, TUI warm",
            "cache on disk",
            "new mail on screen",
            "peak RSS, TUI synced and idle",
        ];
        for transport in transports {
            for figure in FIGURES {
                let prefix = format!("{}: {figure}", transport.name());
                let row = self.rows.iter().find(|r| r.figure.starts_with(&prefix));
                ensure!(row.is_some(), "the table has no row {prefix:?}");
                // The cold first screen waits for the newest subject, which a list anchored
                // elsewhere may never show: a timeout there is a finding, not a broken bench.
                let may_time_out = figure == "cold first screen";
                let ok = row.is_some_and(|r| {
                    (may_time_out || r.tern.as_ref().is_none_or(Stat::complete))
                        && r.beside.as_ref().is_none_or(|(_, s)| s.complete())
                });
                ensure!(ok, "row {prefix:?} lacks a figure:\n{}", self.markdown(&[]));
            }
        }
        Ok(())
    }
}

/// What a transport is called in the table.
pub trait Named {
    fn name(self) -> &'static str;
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
