//! Entry point: parse the command line, load the config, run the command.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use tern::cli::{Cli, Command, FolderAction};
use tern::cmd::act::Act;
use tern::cmd::folder::FolderOp;
use tern::cmd::say;
use tern::config::{self, Config, ConfigError};
use tern::sync::Folders;

/// Exit codes (UX.md): 1 a failed action, 2 bad usage or config.
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    tern::logging::init();
    tern::logging::install_panic_hook();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            say(&format!("tern: {err:#}"));
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let config = match load_config(&cli) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cache_dir = cli.cache_dir.as_deref();
    let Some(command) = cli.command else {
        let Some(account) = pick_account(&config, cli.account.as_deref()) else {
            return Ok(ExitCode::from(EXIT_USAGE));
        };
        drop(runtime);
        return match tern::tui::run(&config, account, cache_dir) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(err) => {
                say(&format!("tern: {err:#}"));
                Ok(ExitCode::from(EXIT_FAILED))
            }
        };
    };
    if let Command::CheckConfig = command {
        return Ok(check_config(&config));
    }
    if let Command::Search {
        account,
        query,
        limit,
        server,
        json,
    } = command
    {
        let account = account.or(cli.account);
        return Ok(search(
            &runtime,
            &config,
            account.as_deref(),
            cache_dir,
            &query.join(" "),
            limit,
            server,
            json,
        ));
    }
    let account_name = match &command {
        Command::Folders { account, .. }
        | Command::Sync { account, .. }
        | Command::List { account, .. }
        | Command::Read { account, .. }
        | Command::Save { account, .. }
        | Command::Folder { account, .. } => account.clone(),
        Command::Flag { messages, .. }
        | Command::Move { messages, .. }
        | Command::Copy { messages, .. }
        | Command::Delete { messages }
        | Command::Junk { messages } => messages.account.clone(),
        Command::CheckConfig | Command::Search { .. } => None,
    };
    // `tern --account A delete 5` must act on A, never quietly on the first account.
    let account_name = match (account_name, cli.account) {
        (Some(after), Some(before)) if after != before => {
            say(&format!(
                "tern: --account is given twice ({before} and {after}); give it once"
            ));
            return Ok(ExitCode::from(EXIT_USAGE));
        }
        (after, before) => after.or(before),
    };
    let Some(account) = pick_account(&config, account_name.as_deref()) else {
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    // `list` reads the cache only; everything else may connect.
    if !matches!(command, Command::List { .. }) {
        for warning in config.account_warnings(account) {
            say(&format!("tern: warning: {warning}"));
        }
    }
    let outcome: Result<String> = match command {
        Command::Folders { json, all, .. } => {
            runtime.block_on(folders(account, cache_dir, json, all, &config.cache))
        }
        Command::Sync {
            folder, all, watch, ..
        } => {
            let folders = if all {
                Folders::All
            } else {
                Folders::One(folder.unwrap_or_else(|| "INBOX".to_string()))
            };
            let store = tern::cmd::open_cache(cache_dir, account, &config.cache)?;
            runtime
                .block_on(tern::cmd::sync::run(
                    &config, account, store, folders, watch,
                ))
                .map(|reports| tern::cmd::sync::summary(&reports))
        }
        Command::List {
            folder,
            limit,
            threads,
            json,
            ..
        } => list(account, cache_dir, &folder, limit, threads, json),
        Command::Read {
            folder, uid, raw, ..
        } => {
            let store = tern::cmd::open_cache(cache_dir, account, &config.cache)?;
            let message = if raw {
                runtime.block_on(tern::cmd::read::raw_message(account, &store, &folder, uid))
            } else {
                runtime.block_on(tern::cmd::read::text_message(account, &store, &folder, uid))
            };
            match message {
                Ok(bytes) if raw => {
                    use std::io::{IsTerminal, Write};
                    let mut stdout = std::io::stdout();
                    if stdout.is_terminal() {
                        // Raw is for pipes; a terminal gets the text without its escapes.
                        tern::cmd::print_result(&String::from_utf8_lossy(&bytes));
                    } else {
                        stdout.write_all(&bytes)?;
                    }
                    Ok(String::new())
                }
                Ok(bytes) => Ok(tern::domain::mime::plain_text(&bytes, 80)),
                Err(err) => Err(err),
            }
        }
        Command::Save {
            folder,
            uid,
            part,
            dir,
            json,
            ..
        } => {
            let store = tern::cmd::open_cache(cache_dir, account, &config.cache)?;
            let dir = dir.unwrap_or_else(|| std::path::PathBuf::from("."));
            runtime
                .block_on(tern::cmd::save::run(
                    account,
                    &store,
                    &folder,
                    uid,
                    part.as_deref(),
                    &dir,
                ))
                .map(|saved| {
                    if json {
                        tern::cmd::save::to_json(&saved)
                    } else {
                        tern::cmd::save::to_text(&saved)
                    }
                })
        }
        Command::Flag {
            messages,
            add,
            remove,
        } => act(
            &runtime,
            account,
            cache_dir,
            &messages,
            Act::Flags { add, remove },
        ),
        Command::Move { messages, to } => {
            act(&runtime, account, cache_dir, &messages, Act::Move { to })
        }
        Command::Copy { messages, to } => {
            act(&runtime, account, cache_dir, &messages, Act::Copy { to })
        }
        Command::Delete { messages } => act(&runtime, account, cache_dir, &messages, Act::Delete),
        Command::Junk { messages } => act(&runtime, account, cache_dir, &messages, Act::Junk),
        Command::Folder { action, .. } => {
            let store = tern::cmd::open_store(cache_dir, account)?;
            runtime.block_on(tern::cmd::folder::run(account, &store, folder_op(action)))
        }
        // Both are answered before an account is picked.
        Command::CheckConfig | Command::Search { .. } => Ok(String::new()),
    };
    match outcome {
        Ok(out) => {
            tern::cmd::print_result(&out);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            say(&format!("tern: {}: {err:#}", account.name));
            Ok(ExitCode::from(EXIT_FAILED))
        }
    }
}

fn act(
    runtime: &tokio::runtime::Runtime,
    account: &config::AccountConfig,
    cache_dir: Option<&std::path::Path>,
    messages: &tern::cli::Messages,
    act: Act,
) -> Result<String> {
    let store = tern::cmd::open_store(cache_dir, account)?;
    runtime.block_on(tern::cmd::act::run(
        account,
        &store,
        &messages.folder,
        &messages.uids,
        act,
    ))
}

fn folder_op(action: FolderAction) -> FolderOp {
    match action {
        FolderAction::Create { name } => FolderOp::Create { name },
        FolderAction::Rename { old, new } => FolderOp::Rename { old, new },
        FolderAction::Delete { name, yes, force } => FolderOp::Delete { name, yes, force },
        FolderAction::Subscribe { name } => FolderOp::Subscribe { name },
        FolderAction::Unsubscribe { name } => FolderOp::Unsubscribe { name },
    }
}

/// From the server when reachable, else from the cache (said on stderr).
async fn folders(
    account: &config::AccountConfig,
    cache_dir: Option<&std::path::Path>,
    json: bool,
    all: bool,
    cache: &config::CacheConfig,
) -> Result<String> {
    match tern::cmd::folders::run_rows(account, all).await {
        Ok(mut rows) => {
            let store = tern::cmd::open_cache(cache_dir, account, cache)?;
            Ok(tern::cmd::folders::render_with_cache(
                &mut rows,
                &store.reader()?,
                cache.body_limit,
                json,
            )?)
        }
        Err(err) if err.is_transient() => {
            let store = tern::cmd::open_cache(cache_dir, account, cache)?;
            let reader = store.reader()?;
            let mut rows = tern::cmd::folders::from_cache(&reader)?;
            if !all {
                rows.retain(tern::cmd::folders::shown_by_default);
            }
            if rows.is_empty() {
                return Err(err.into());
            }
            say(&format!(
                "tern: {}: offline ({err}); showing the cache",
                account.name
            ));
            Ok(tern::cmd::folders::render_with_cache(
                &mut rows,
                &reader,
                cache.body_limit,
                json,
            )?)
        }
        Err(err) => Err(err.into()),
    }
}

fn list(
    account: &config::AccountConfig,
    cache_dir: Option<&std::path::Path>,
    folder: &str,
    limit: u32,
    threads: bool,
    json: bool,
) -> Result<String> {
    let store = tern::cmd::open_store(cache_dir, account)?;
    let rows = tern::cmd::list::rows(&store.reader()?, folder, limit, threads)?;
    Ok(if json {
        format!("{}\n", tern::cmd::list::to_json(&rows))
    } else {
        tern::cmd::list::to_text(&rows, threads)
    })
}

/// `tern search`: every account unless one is named; a query that does not parse is bad
/// usage, shown with a caret under the wrong word.
#[allow(clippy::too_many_arguments)]
fn search(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    account: Option<&str>,
    cache_dir: Option<&std::path::Path>,
    text: &str,
    limit: usize,
    server: bool,
    json: bool,
) -> ExitCode {
    // Everything after the first word is query: an option there was meant as one.
    if let Some(option) = text
        .split_whitespace()
        .find(|w| ["--json", "--server", "--limit", "--account"].contains(w))
    {
        say(&format!(
            "tern: search: put {option} before the query: tern search {option} ... QUERY"
        ));
        return ExitCode::from(EXIT_USAGE);
    }
    let query = match tern::domain::query::parse(text) {
        Ok(query) => query,
        Err(err) => {
            say(&format!("tern: search: {}", err.pointed(text)));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let accounts: Vec<&config::AccountConfig> = match account {
        Some(name) => match pick_account(config, Some(name)) {
            Some(account) => vec![account],
            None => return ExitCode::from(EXIT_USAGE),
        },
        None => config.accounts.iter().collect(),
    };
    let ask = tern::cmd::search::Search {
        query: &query,
        limit,
        server,
    };
    match runtime.block_on(tern::cmd::search::run(&accounts, cache_dir, &ask)) {
        Ok((found, notes)) => {
            for note in notes {
                say(&format!("tern: {note}"));
            }
            let out = if json {
                format!("{}\n", tern::cmd::search::to_json(&found))
            } else {
                tern::cmd::search::to_text(&found, accounts.len() > 1)
            };
            tern::cmd::print_result(&out);
            ExitCode::SUCCESS
        }
        Err(err) => {
            say(&format!("tern: search: {err:#}"));
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// The config loaded; now the keymap and theme it names, with the user's overlays.
fn check_config(config: &Config) -> ExitCode {
    let no_color = config::no_color_requested();
    let (_, mut problems) = tern::keymap::Keymap::load(
        &config.ui.keymap,
        Some(&tern::keymap::Keymap::user_file(&config.path)),
    );
    let (_, theme_problems) = tern::theme::Theme::load(
        &config.ui.effective_theme(no_color),
        no_color,
        Some(&tern::theme::Theme::user_file(&config.path)),
    );
    problems.extend(theme_problems);
    // Risky but valid: said, and the exit code stays 0.
    for warning in config.warnings() {
        say(&format!("warning: {warning}"));
    }
    if problems.is_empty() {
        println!(
            "{}: ok ({} account(s))",
            config.path.display(),
            config.accounts.len()
        );
        ExitCode::SUCCESS
    } else {
        for problem in problems {
            say(&problem.to_string());
        }
        ExitCode::from(EXIT_USAGE)
    }
}

fn pick_account<'a>(config: &'a Config, name: Option<&str>) -> Option<&'a config::AccountConfig> {
    match config.account(name) {
        Ok(account) => Some(account),
        Err(err) => {
            say(&format!("tern: {err}"));
            None
        }
    }
}

/// Loads the config, or prints why not (with an example on first run) and the exit code.
fn load_config(cli: &Cli) -> Result<Config, ExitCode> {
    let loaded = config::find_config(cli.config.as_deref()).and_then(|path| Config::load(&path));
    match loaded {
        Ok(config) => Ok(config),
        Err(ConfigError::NotFound { looked_at }) => {
            eprintln!("tern: no config file found. Looked at:");
            for path in looked_at {
                eprintln!("  {}", path.display());
            }
            eprintln!(
                "\nCreate one from this example:\n\n{}\nOr try the demo: scripts/demo.sh",
                config::EXAMPLE_CONFIG
            );
            Err(ExitCode::from(EXIT_USAGE))
        }
        Err(err) => {
            say(&err.to_string());
            Err(ExitCode::from(EXIT_USAGE))
        }
    }
}
