//! Entry point: parse the command line, load the config, run the command.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use tern::cli::{Cli, Command};
use tern::config::{self, Config, ConfigError};

/// Exit codes (UX.md): 1 a failed action, 2 bad usage or config.
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("tern: {err:#}");
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
    match cli.command {
        Some(Command::CheckConfig) => {
            println!(
                "{}: ok ({} account(s))",
                config.path.display(),
                config.accounts.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Folders { account, json }) => {
            let Some(account) = pick_account(&config, account.as_deref()) else {
                return Ok(ExitCode::from(EXIT_USAGE));
            };
            match runtime.block_on(tern::cmd::folders::run(account, json)) {
                Ok(out) => {
                    print!("{out}");
                    if json {
                        println!();
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    eprintln!("tern: {}: {err}", account.name);
                    Ok(ExitCode::from(EXIT_FAILED))
                }
            }
        }
        None => {
            eprintln!("tern: the full-screen reader is not built yet; try `tern folders`");
            Ok(ExitCode::from(EXIT_USAGE))
        }
    }
}

fn pick_account<'a>(config: &'a Config, name: Option<&str>) -> Option<&'a config::AccountConfig> {
    match config.account(name) {
        Ok(account) => Some(account),
        Err(err) => {
            eprintln!("tern: {err}");
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
            eprintln!("{err}");
            Err(ExitCode::from(EXIT_USAGE))
        }
    }
}

/// Logs only when asked (TERN_LOG=debug, ...), to stderr: a TUI must never log to stdout.
fn init_logging() {
    if let Ok(filter) = std::env::var("TERN_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}
