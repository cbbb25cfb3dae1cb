//! The TUI at 100k messages: first paint from a warm cache (in process, and from process
//! start of the real binary in a pseudo-terminal) and the cost of one frame, each beside
//! its target (100 ms, 2 ms).
//!
//! ```text
//! cargo bench --bench tui            # 100k messages
//! cargo bench --bench tui -- 20000   # another size
//! ```
//! Without `--bench` (as `cargo test --all-targets` runs it) it does a 2,000-message smoke
//! run with checks.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tern::app::{Clock, Model, Msg, Options};
use tern::keymap::Keymap;
use tern::store::Store;
use tern::theme::Theme;
use tern::tui::source::StoreSource;

#[path = "common/cache_corpus.rs"]
mod cache_corpus;
use cache_corpus::{corpus, fill, median, time};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 50;

fn options(threads: bool) -> Options {
    Options {
        account: "bench".into(),
        threads,
        size: (WIDTH, HEIGHT),
        clock: Clock {
            now: 1_500_000_000 + 100_000 * 600,
            utc_offset: 0,
        },
        ..Options::default()
    }
}

/// Open the cache, build the model from it and draw one frame: what `tern` does before any
/// network round trip.
fn first_paint_in_process(path: &Path, threads: bool) -> Result<Duration> {
    let start = Instant::now();
    let store = Store::open(path)?;
    let source = StoreSource::new(store.reader()?);
    let model = Model::new(options(threads), Keymap::default(), &source);
    let theme = Theme::builtin("default").context("default theme")?;
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT))?;
    terminal.draw(|frame| tern::ui::render(&model, &theme, frame))?;
    let elapsed = start.elapsed();
    ensure!(
        model.list.total > 0,
        "the first paint shows the cached list"
    );
    Ok(elapsed)
}

/// The real binary in a pseudo-terminal (`script`), exiting right after its first paint.
fn first_paint_of_the_binary(dir: &Path) -> Result<Option<Duration>> {
    let tern = env!("CARGO_BIN_EXE_tern");
    if Command::new("script").arg("--version").output().is_err() {
        return Ok(None);
    }
    let config = dir.join("config.toml");
    // An unreachable server: the engine may not matter for the first paint.
    std::fs::write(
        &config,
        "[[accounts]]\nname = \"bench\"\nhost = \"127.0.0.1\"\nport = 1\nsecurity = \"plain\"\n\
         username = \"u\"\npassword = \"p\"\n",
    )?;
    let command = format!(
        "stty cols {WIDTH} rows {HEIGHT}; {tern} --config {} --cache-dir {}",
        config.display(),
        dir.display()
    );
    let mut runs = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let status = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("TERN_EXIT_AFTER_FIRST_PAINT", "1")
            .stdout(std::process::Stdio::null())
            .status()?;
        ensure!(status.success(), "tern exited with {status}");
        runs.push(start.elapsed());
    }
    Ok(Some(median(runs)))
}

fn frame_time(model: &Model, theme: &Theme, runs: usize) -> Result<Duration> {
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT))?;
    Ok(time(runs, || {
        terminal
            .draw(|frame| tern::ui::render(model, theme, frame))
            .map(|_| ())
    }))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn verdict(value: Duration, target_ms: f64) -> &'static str {
    if ms(value) <= target_ms {
        "PASS"
    } else {
        "MISS"
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let n: u32 = if full {
        args.iter()
            .skip(1)
            .find_map(|a| a.parse().ok())
            .unwrap_or(100_000)
    } else {
        2_000
    };
    let dir = tempfile::tempdir()?;
    let path = tern::store::cache_path(dir.path(), "bench");
    {
        let store = Store::open(&path)?;
        fill(&store, corpus(n))?;
    }
    // Warm the OS cache once, as a second start of tern would find it.
    first_paint_in_process(&path, false)?;
    let runs = if full { 9 } else { 2 };
    let flat = median(
        (0..runs)
            .map(|_| first_paint_in_process(&path, false))
            .collect::<Result<_>>()?,
    );
    let threaded = median(
        (0..runs)
            .map(|_| first_paint_in_process(&path, true))
            .collect::<Result<_>>()?,
    );
    let binary = if full {
        first_paint_of_the_binary(dir.path())?
    } else {
        None
    };

    let store = Store::open(&path)?;
    let source = StoreSource::new(store.reader()?);
    let theme = Theme::builtin("default").context("default theme")?;
    let frames = if full { 500 } else { 20 };
    let mut model = Model::new(options(false), Keymap::default(), &source);
    let top = frame_time(&model, &theme, frames)?;
    model.update(Msg::Action(tern::keymap::action::Action::Last), &source);
    ensure!(
        model.list.cursor + 1 == n,
        "G reaches the last of {n} rows (cursor {})",
        model.list.cursor
    );
    let bottom = frame_time(&model, &theme, frames)?;
    let scroll = time(frames, || {
        model.update(Msg::Action(tern::keymap::action::Action::PageUp), &source)
    });
    let mut threads = Model::new(options(true), Keymap::default(), &source);
    threads.update(Msg::Action(tern::keymap::action::Action::Open), &source);
    let split = frame_time(&threads, &theme, frames)?;

    println!("tui at {n} messages, {WIDTH}x{HEIGHT}");
    println!("{:<44} {:>9}  {:>8}", "measure", "median", "target");
    let row = |name: &str, d: Duration, target: f64| {
        println!(
            "{name:<44} {:>7.2} ms  {:>5} ms  {}",
            ms(d),
            target,
            verdict(d, target)
        );
    };
    row("first paint, in process (flat)", flat, 100.0);
    row("first paint, in process (threaded)", threaded, 100.0);
    match binary {
        Some(d) => row("first paint from process start (binary)", d, 100.0),
        None if full => println!("first paint from process start: `script` not found"),
        None => {}
    }
    row("frame at the top", top, 2.0);
    row("frame at the last row (after G)", bottom, 2.0);
    row("frame, threaded list + split reader", split, 2.0);
    row("page up near the end (update, cache reads)", scroll, 2.0);
    Ok(())
}
