//! The full-screen reader's runtime: terminal, input, engine and redraws. All state lives
//! in `app::Model`; this module only moves messages and performs effects.

pub mod source;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::sync::{mpsc, watch};

use crate::app::{Clock, Effect, Model, Msg, Notify, Options};
use crate::bus::EngineEvent;
use crate::config::{self, AccountConfig, Config};
use crate::keymap::Keymap;
use crate::store::Store;
use crate::sync::Folders;
use crate::sync::watch::{WatchOptions, run_engine};
use crate::term::TerminalGuard;
use crate::theme::Theme;
use source::StoreSource;

/// How often dates and "synced at" refresh without any event.
const CLOCK_TICK: Duration = Duration::from_secs(30);

pub fn run(config: &Config, account: &AccountConfig, store: Store) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(run_async(config, account, store));
    // A stalled server must not keep the user waiting at exit.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn run_async(config: &Config, account: &AccountConfig, store: Store) -> anyhow::Result<()> {
    let source = StoreSource::new(store.reader()?);
    let no_color = config::no_color_requested();
    let (keymap, mut problems) =
        Keymap::load(&config.ui.keymap, Some(&Keymap::user_file(&config.path)));
    let (theme, theme_problems) = Theme::load(
        &config.ui.effective_theme(no_color),
        no_color,
        Some(&Theme::user_file(&config.path)),
    );
    problems.extend(theme_problems);

    let guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let size = terminal.size()?;
    let options = Options {
        account: account.name.clone(),
        folder: "INBOX".into(),
        threads: config.ui.threads,
        notify: Notify {
            bell: config.ui.new_mail_bell,
            title: config.ui.new_mail_title,
        },
        size: (size.width, size.height),
        clock: clock(),
    };
    // First paint straight from the cache, before any network round trip.
    let mut model = Model::new(options, keymap, &source);
    if let Some(problem) = problems.first() {
        model.update(Msg::Engine(EngineEvent::Error(problem.clone())), &source);
    }
    terminal.draw(|frame| crate::ui::render(&model, &theme, frame))?;
    // For benches/tui.rs: measures process start to first paint, nothing else.
    if std::env::var_os("TERN_EXIT_AFTER_FIRST_PAINT").is_some() {
        return Ok(());
    }

    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop, stopped) = watch::channel(false);
    let engine = {
        let account = account.clone();
        let store = store.clone();
        let options = WatchOptions {
            folder: "INBOX".into(),
            folders: Folders::One("INBOX".into()),
            idle_refresh: account.idle_refresh,
            status_interval: config.sync.status_interval,
            prefetch_bodies: config.sync.prefetch_bodies,
            replay_journal: true,
        };
        tokio::spawn(async move {
            if let Err(err) =
                run_engine(&account, &store, &options, &events_tx, stopped, commands_rx).await
            {
                let _ = events_tx.send(EngineEvent::Error(err.to_string()));
            }
        })
    };

    let (due_tx, mut due) = mpsc::unbounded_channel::<Msg>();
    let mut input = EventStream::new();
    let mut ticker = tokio::time::interval(CLOCK_TICK);
    ticker.tick().await;
    let mut quit = false;
    while !quit {
        let first = tokio::select! {
            event = input.next() => match event {
                Some(Ok(event)) => terminal_msg(event),
                Some(Err(_)) | None => break,
            },
            Some(event) = events.recv() => Some(Msg::Engine(event)),
            Some(msg) = due.recv() => Some(msg),
            _ = ticker.tick() => Some(Msg::Tick { now: clock().now }),
        };
        // Coalesce: handle everything already waiting, then draw once.
        let mut batch: Vec<Msg> = first.into_iter().collect();
        while let Ok(event) = events.try_recv() {
            batch.push(Msg::Engine(event));
        }
        while let Ok(msg) = due.try_recv() {
            batch.push(msg);
        }
        let mut redraw_all = false;
        for msg in batch {
            for effect in model.update(msg, &source) {
                match effect {
                    Effect::Engine(command) => {
                        let _ = commands.send(command);
                    }
                    Effect::FetchBodyAfter { delay, folder, uid } => {
                        if cached_body(&source, &folder, uid) {
                            let _ = due_tx.send(Msg::BodyDue { folder, uid });
                        } else {
                            let due_tx = due_tx.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(delay).await;
                                let _ = due_tx.send(Msg::BodyDue { folder, uid });
                            });
                        }
                    }
                    Effect::SaveAttachment { path, bytes } => {
                        let path = expand_home(&path);
                        let event = match std::fs::write(&path, &bytes) {
                            Ok(()) => EngineEvent::Error(format!("saved {}", path.display())),
                            Err(e) => {
                                EngineEvent::Error(format!("cannot save {}: {e}", path.display()))
                            }
                        };
                        let _ = due_tx.send(Msg::Engine(event));
                    }
                    Effect::Bell => {
                        let _ = std::io::stdout().write_all(b"\x07");
                    }
                    Effect::SetTitle(title) => {
                        let _ = ratatui::crossterm::execute!(
                            std::io::stdout(),
                            ratatui::crossterm::terminal::SetTitle(crate::domain::text::sanitize(
                                &title
                            ))
                        );
                    }
                    Effect::Redraw => redraw_all = true,
                    Effect::Quit => quit = true,
                }
            }
        }
        if redraw_all {
            terminal.clear()?;
        }
        terminal.draw(|frame| crate::ui::render(&model, &theme, frame))?;
    }
    let _ = stop.send(true);
    drop(commands);
    // Give the engine a moment to log out; never wait on a dead server.
    let _ = tokio::time::timeout(Duration::from_millis(300), engine).await;
    drop(terminal);
    drop(guard);
    Ok(())
}

/// Bodies already in the cache need no debounce.
fn cached_body(source: &StoreSource, folder: &str, uid: u32) -> bool {
    use crate::app::MailSource;
    source
        .folders()
        .ok()
        .and_then(|folders| folders.into_iter().find(|f| f.name == folder))
        .and_then(|f| source.body(f.id, uid).ok().flatten())
        .is_some()
}

fn terminal_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

fn clock() -> Clock {
    let now = chrono::Local::now();
    Clock {
        now: now.timestamp(),
        utc_offset: now.offset().local_minus_utc(),
    }
}

fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}
