//! The full-screen reader's runtime: terminal, input, engines and redraws. All state lives
//! in `app::Model`; this module only moves messages and performs effects. Every configured
//! account has its own cache (`StoreSource`) and its own engine; events and commands carry
//! the account's index (its position in the config, and its sidebar section).

mod hyperlink;
mod notify;
mod open;
mod pipe;
pub(crate) mod save;
pub mod source;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::sync::{mpsc, watch};

use crate::app::{
    AccountSources, Clock, Effect, FailedSource, MailSource, Model, Msg, Notify, Options, Sources,
};
use crate::bus::EngineEvent;
use crate::config::{self, AccountConfig, Config};
use crate::domain::ids::AccountId;
use crate::keymap::Keymap;
use crate::store::Store;
use crate::sync::Folders;
use crate::sync::handle::AccountHandle;
use crate::sync::watch::{WatchOptions, run_engine};
use crate::term::TerminalGuard;
use crate::theme::Theme;
use source::StoreSource;

/// How often dates and "synced at" refresh without any event.
const CLOCK_TICK: Duration = Duration::from_secs(30);

pub fn run(config: &Config, start: &AccountConfig, cache_dir: Option<&Path>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(run_async(config, start, cache_dir));
    // A stalled server must not keep the user waiting at exit.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

/// One configured account: its cache (when it opened) and what the UI reads of it.
struct Account<'a> {
    config: &'a AccountConfig,
    store: Option<Store>,
    source: Box<dyn MailSource>,
}

/// Opens every account's cache. The start account's must open; another's failure leaves
/// that account a section that says why, and no engine.
fn open_accounts<'a>(
    config: &'a Config,
    start: &AccountConfig,
    cache_dir: Option<&Path>,
    problems: &mut Vec<String>,
) -> anyhow::Result<Vec<Account<'a>>> {
    let mut accounts = Vec::with_capacity(config.accounts.len());
    for account in &config.accounts {
        let opened = crate::cmd::open_cache(cache_dir, account, &config.cache)
            .and_then(|store| Ok((store.reader()?, store)));
        match opened {
            Ok((reader, store)) => accounts.push(Account {
                config: account,
                store: Some(store),
                source: Box::new(StoreSource::new(reader)),
            }),
            Err(err) if account.name == start.name => return Err(err),
            Err(err) => {
                let reason = format!("cache: {err:#}");
                problems.push(format!("{}: {reason}", account.name));
                accounts.push(Account {
                    config: account,
                    store: None,
                    source: Box::new(FailedSource(reason.into())),
                });
            }
        }
    }
    Ok(accounts)
}

/// A running account: what the runtime acts through, and the engine behind it.
struct Running {
    handle: AccountHandle,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// Starts `account`'s engine and its handle; their events come back tagged with `index`.
fn start_account(
    index: AccountId,
    account: &AccountConfig,
    store: &Store,
    config: &Config,
    events: &mpsc::UnboundedSender<(AccountId, EngineEvent)>,
) -> Running {
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (stop, stopped) = watch::channel(false);
    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<EngineEvent>();
    let merged = events.clone();
    tokio::spawn(async move {
        while let Some(event) = events_rx.recv().await {
            if merged.send((index, event)).is_err() {
                break;
            }
        }
    });
    let handle = AccountHandle::new(
        store.clone(),
        account.filing.clone(),
        Some(commands),
        events_tx.clone(),
    );
    // Risky settings are said where the user looks: the status line and :messages.
    for warning in config.account_warnings(account) {
        handle.warn(&warning);
    }
    let account = account.clone();
    let store = store.clone();
    let options = WatchOptions {
        folder: "INBOX".into(),
        folders: Folders::One("INBOX".into()),
        idle_refresh: account.idle_refresh,
        status_interval: config.sync.status_interval,
        prefetch_bodies: config.sync.prefetch_bodies,
        // Each account's engine sends that account's journal.
        replay_journal: true,
    };
    let task = tokio::spawn(async move {
        // It stops only when asked: failures are reported on its channel as they happen.
        let _ = run_engine(&account, &store, &options, &events_tx, stopped, commands_rx).await;
    });
    Running { handle, stop, task }
}

async fn run_async(
    config: &Config,
    start: &AccountConfig,
    cache_dir: Option<&Path>,
) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let accounts = open_accounts(config, start, cache_dir, &mut problems)?;
    let sources = AccountSources(accounts.iter().map(|a| a.source.as_ref()).collect());
    let no_color = config::no_color_requested();
    let (keymap, keymap_problems) =
        Keymap::load(&config.ui.keymap, Some(&Keymap::user_file(&config.path)));
    let (theme, theme_problems) = Theme::load(
        &config.ui.effective_theme(no_color),
        no_color,
        Some(&Theme::user_file(&config.path)),
    );
    problems.extend(keymap_problems);
    problems.extend(theme_problems);

    // `p`'s per-sender choices live beside the caches.
    let parts_file = config::data_dir(cache_dir)
        .ok()
        .map(|dir| pipe::preference_file(&dir));
    // Files opened by an earlier tern whose programs outlived it.
    let open_base = open::base_dir();
    open::sweep_leftovers(&open_base);
    let hyperlinks = config.ui.hyperlinks && hyperlinks_possible(std::env::var("TERM").ok());
    let guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let size = terminal.size()?;
    let options = Options {
        account: start.name.clone(),
        accounts: accounts.iter().map(|a| a.config.name.clone()).collect(),
        folder: "INBOX".into(),
        threads: config.ui.threads,
        notify: Notify {
            bell: config.ui.new_mail_bell,
            title: config.ui.new_mail_title,
        },
        size: (size.width, size.height),
        clock: clock(),
        mark_read_after: config.ui.mark_read_after,
        filing: accounts.iter().map(|a| a.config.filing.clone()).collect(),
        tag_advances: config.ui.tag_advances,
        download_dir: Some(download_dir(config.ui.download_dir.as_deref())),
        announce_folders: if config.ui.new_mail_command.is_empty()
            && config.ui.new_mail_notify == config::TerminalNotify::Off
        {
            Vec::new()
        } else {
            config.ui.new_mail_folders.clone()
        },
        parts: crate::app::PartPreference {
            prefer_html: config.ui.prefer_html,
            by_sender: parts_file
                .as_deref()
                .map(pipe::load_preferences)
                .unwrap_or_default(),
        },
        views: config
            .views
            .iter()
            .map(|v| (v.name.clone(), v.query.clone()))
            .collect(),
    };
    // First paint straight from the caches, before any network round trip.
    let mut model = Model::new(options, keymap, &sources);
    if let Some(problem) = problems.first() {
        model.update(Msg::Error(problem.clone()), &sources);
    }
    draw(&mut terminal, &model, &theme, hyperlinks)?;
    // For benches/tui.rs: measures process start to first paint, nothing else.
    if std::env::var_os("TERN_EXIT_AFTER_FIRST_PAINT").is_some() {
        return Ok(());
    }

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut running: Vec<Option<Running>> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            a.store
                .as_ref()
                .map(|store| start_account(AccountId(i), a.config, store, config, &events_tx))
        })
        .collect();
    drop(events_tx);

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
            Some((account, event)) = events.recv() => Some(Msg::Engine(account, event)),
            Some(msg) = due.recv() => Some(msg),
            _ = ticker.tick() => Some(Msg::Tick { now: clock().now }),
        };
        // Coalesce: handle everything already waiting, then draw once.
        let mut batch: Vec<Msg> = first.into_iter().collect();
        while let Ok((account, event)) = events.try_recv() {
            batch.push(Msg::Engine(account, event));
        }
        while let Ok(msg) = due.try_recv() {
            batch.push(msg);
        }
        let mut redraw_all = false;
        for msg in batch {
            for effect in model.update(msg, &sources) {
                match effect {
                    Effect::Engine(account, command) => {
                        // An account without a cache has no engine: nothing to tell.
                        if let Some(account) = running.get(account.0).and_then(Option::as_ref) {
                            account.handle.command(command);
                        }
                    }
                    Effect::FetchBodyAfter {
                        delay,
                        account,
                        folder,
                        uid,
                    } => {
                        let msg = Msg::BodyDue {
                            account,
                            folder,
                            uid,
                        };
                        let cached = sources
                            .account(account)
                            .is_some_and(|source| cached_body(source, &msg));
                        if cached {
                            let _ = due_tx.send(msg);
                        } else {
                            let due_tx = due_tx.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(delay).await;
                                let _ = due_tx.send(msg);
                            });
                        }
                    }
                    // The outcome comes back on the account's events, as `OpDone` / `OpFailed`.
                    Effect::Act {
                        op,
                        account,
                        folder,
                        uidvalidity,
                        uids,
                        act,
                        joins,
                    } => {
                        if let Some(account) = running.get_mut(account.0).and_then(Option::as_mut) {
                            let uids = uids.into_iter().collect();
                            account
                                .handle
                                .record(op, &folder, uidvalidity, uids, act, joins)
                                .await;
                        }
                    }
                    Effect::Undo { op, account } => {
                        if let Some(account) = running.get_mut(account.0).and_then(Option::as_mut) {
                            account.handle.undo(op).await;
                        }
                    }
                    Effect::MarkReadAfter {
                        delay,
                        account,
                        folder,
                        uid,
                    } => {
                        let due_tx = due_tx.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(delay).await;
                            let _ = due_tx.send(Msg::MarkReadDue {
                                account,
                                folder,
                                uid,
                            });
                        });
                    }
                    Effect::SaveAttachment { path, bytes } => {
                        let path = expand_home(&path);
                        let _ = due_tx.send(saved_msg(&path, save::save_new(&path, &bytes)));
                    }
                    Effect::Open { name, mime, bytes } => {
                        let command = config
                            .open
                            .command_for(&mime)
                            .unwrap_or(&config.ui.open_command);
                        let tx = due_tx.clone();
                        let opened = open::open_file(
                            command,
                            &name,
                            &bytes,
                            &open_base,
                            open::GRACE,
                            move |ended| report_ended(&tx, &ended),
                        );
                        let _ = due_tx.send(match opened {
                            Ok(_) => Msg::Note(format!(
                                "opened {} with {}",
                                crate::domain::text::sanitize(&name),
                                crate::domain::text::sanitize(command.program())
                            )),
                            Err(e) => Msg::Error(e),
                        });
                    }
                    Effect::OpenUrl(url) => {
                        let tx = due_tx.clone();
                        let opened = open::open_url(&config.ui.open_command, &url, move |ended| {
                            report_ended(&tx, &ended)
                        });
                        if let Err(e) = opened {
                            let _ = due_tx.send(Msg::Error(e));
                        }
                    }
                    Effect::SaveAll { dir, files } => {
                        let _ = due_tx.send(save_all(&expand_home(&dir), &files));
                    }
                    Effect::NewMail(news) => {
                        if let Err(message) = notify::run_hook(&config.ui.new_mail_command, &news) {
                            let _ = due_tx.send(Msg::Error(message));
                        }
                        if let Some(seq) = notify::osc(config.ui.new_mail_notify, &news) {
                            let mut out = std::io::stdout();
                            let _ = out.write_all(seq.as_bytes()).and_then(|()| out.flush());
                        }
                    }
                    Effect::Pipe { command, input } => {
                        let due_tx = due_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let result = pipe::run(&command, input);
                            let _ = due_tx.send(Msg::Piped { command, result });
                        });
                    }
                    Effect::RememberPart { .. } => {
                        if let Some(path) = &parts_file
                            && let Err(e) = pipe::save_preferences(path, &model.parts.by_sender)
                        {
                            let _ = due_tx
                                .send(Msg::Error(format!("cannot save {}: {e}", path.display())));
                        }
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
        draw(&mut terminal, &model, &theme, hyperlinks)?;
    }
    // Stop every engine, then give them a moment together to log out; never wait on a
    // dead server.
    let mut tasks = Vec::new();
    for account in running.into_iter().flatten() {
        let _ = account.stop.send(true);
        drop(account.handle);
        tasks.push(account.task);
    }
    let _ = tokio::time::timeout(
        Duration::from_millis(300),
        futures_util::future::join_all(tasks),
    )
    .await;
    drop(terminal);
    drop(guard);
    // Said after the alternate screen is gone, so it stays in the shell.
    let pending = (0..sources.accounts())
        .filter_map(|i| sources.account(i)?.pending().ok())
        .sum();
    if let Some(note) = quit_note(pending) {
        println!("{note}");
    }
    Ok(())
}

/// Draws the model, then marks its links as OSC 8 hyperlinks when they are on.
fn draw<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<W>>,
    model: &Model,
    theme: &Theme,
    hyperlinks: bool,
) -> std::io::Result<()> {
    let frame = terminal.draw(|frame| crate::ui::render(model, theme, frame))?;
    if !hyperlinks {
        return Ok(());
    }
    let marked = hyperlink::cells_of(frame.buffer, crate::ui::links::hyperlinks(model));
    hyperlink::write(terminal.backend_mut(), &marked)
}

/// Whether the terminal can take OSC 8: not a dumb one, and not the Linux console, which
/// prints the rest of an OSC it does not know as text.
fn hyperlinks_possible(term: Option<String>) -> bool {
    term.is_some_and(|t| !t.is_empty() && t != "dumb" && t != "linux")
}

/// A program opened on an attachment or a link failed: said on the status line.
fn report_ended(tx: &mpsc::UnboundedSender<Msg>, ended: &open::Ended) {
    if let Some(failure) = ended.failure() {
        let _ = tx.send(Msg::Error(failure));
    }
}

/// Saves every file under `dir` without overwriting; one line sums it up.
fn save_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Msg {
    let mut renamed = 0;
    for (name, bytes) in files {
        let wanted = dir.join(open::file_name(name));
        match save::save_new(&wanted, bytes) {
            Ok(path) if path != wanted => renamed += 1,
            Ok(_) => {}
            Err(e) => return Msg::Error(format!("cannot save {}: {e}", wanted.display())),
        }
    }
    let full = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let noun = if files.len() == 1 {
        "attachment"
    } else {
        "attachments"
    };
    let mut note = format!("saved {} {noun} to {}", files.len(), full.display());
    if renamed > 0 {
        note.push_str(&format!(
            " ({renamed} under a new name: the name was taken)"
        ));
    }
    Msg::Note(note)
}

/// What quitting leaves unsent, in one line; None when nothing waits.
fn quit_note(pending: u32) -> Option<String> {
    match pending {
        0 => None,
        1 => Some("tern: 1 action not sent yet; it will be sent on the next start.".into()),
        n => Some(format!(
            "tern: {n} actions not sent yet; they will be sent on the next start."
        )),
    }
}

/// Bodies already in the cache need no debounce.
fn cached_body(source: &dyn MailSource, due: &Msg) -> bool {
    let Msg::BodyDue { folder, uid, .. } = due else {
        return false;
    };
    source
        .folders()
        .ok()
        .and_then(|folders| folders.into_iter().find(|f| &f.name == folder))
        .and_then(|f| source.body(f.id, *uid).ok().flatten())
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

/// Where saving starts: the configured directory, else ~/Downloads when it exists, else
/// the current directory (absolute, so the prompt shows the full path).
fn download_dir(configured: Option<&Path>) -> PathBuf {
    configured
        .map(Path::to_path_buf)
        .or_else(|| {
            directories::UserDirs::new()
                .and_then(|dirs| dirs.download_dir().map(Path::to_path_buf))
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Downloads")))
                .filter(|dir| dir.is_dir())
        })
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The status line after a save: the full path, and that the name was taken if it was.
fn saved_msg(wanted: &Path, saved: std::io::Result<PathBuf>) -> Msg {
    let full = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match saved {
        Ok(path) if path == wanted => Msg::Note(format!("saved {}", full(&path).display())),
        Ok(path) => Msg::Note(format!(
            "{} exists; saved as {}",
            wanted
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            full(&path).display()
        )),
        Err(e) => Msg::Error(format!("cannot save {}: {e}", full(wanted).display())),
    }
}

fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_all_never_overwrites_and_keeps_names_inside_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "mine").unwrap();
        let files = vec![
            ("a.txt".to_string(), b"one".to_vec()),
            ("../../b.txt".to_string(), b"two".to_vec()),
        ];
        let Msg::Note(note) = save_all(dir.path(), &files) else {
            panic!("not saved");
        };
        assert!(note.starts_with("saved 2 attachments to "), "{note}");
        assert!(
            note.ends_with("(1 under a new name: the name was taken)"),
            "{note}"
        );
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read(dir.path().join("a (1).txt")).unwrap(), b"one");
        assert_eq!(std::fs::read(dir.path().join("_.._b.txt")).unwrap(), b"two");
        let missing = dir.path().join("no/such/dir");
        assert!(matches!(save_all(&missing, &files), Msg::Error(_)));
    }

    #[test]
    fn hyperlinks_only_where_the_terminal_can_take_them() {
        assert!(hyperlinks_possible(Some("xterm-256color".into())));
        assert!(hyperlinks_possible(Some("tmux-256color".into())));
        for term in [None, Some(""), Some("dumb"), Some("linux")] {
            assert!(!hyperlinks_possible(term.map(String::from)), "{term:?}");
        }
    }

    #[test]
    fn quitting_with_actions_waiting_says_how_many() {
        assert_eq!(quit_note(0), None);
        assert!(
            quit_note(1)
                .unwrap()
                .contains("1 action not sent yet; it will")
        );
        assert!(
            quit_note(3)
                .unwrap()
                .contains("3 actions not sent yet; they will be sent on the next start")
        );
    }
}
