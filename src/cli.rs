//! Command-line interface: `tern` alone opens the reader; subcommands script it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "tern", version, about = "A terminal IMAP mail reader")]
pub struct Cli {
    /// Config file (default: $TERN_CONFIG, else the XDG config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every folder with its role, message and unseen counts.
    Folders {
        #[arg(long)]
        account: Option<String>,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check the config file and print every problem as file:line.
    CheckConfig,
}
