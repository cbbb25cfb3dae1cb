//! Command-line interface: `tern` alone opens the reader; subcommands script it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "tern", version, about = "A terminal IMAP mail reader")]
pub struct Cli {
    /// Config file (default: $TERN_CONFIG, else the XDG config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the caches live (default: the XDG data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The account the full-screen reader (or the subcommand) uses (default: the first).
    #[arg(long)]
    pub account: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every folder with its role, message and unseen counts (from the cache when offline).
    Folders {
        #[arg(long)]
        account: Option<String>,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
        /// Also the folders not subscribed to (INBOX and role folders are always listed).
        #[arg(long)]
        all: bool,
    },
    /// Bring the cache in step with the server, then exit (or keep following with --watch).
    Sync {
        #[arg(long)]
        account: Option<String>,
        /// The folder to sync (default INBOX).
        #[arg(long, conflicts_with = "all")]
        folder: Option<String>,
        /// Sync every folder.
        #[arg(long)]
        all: bool,
        /// Stay connected and follow changes (IDLE) until interrupted.
        #[arg(long)]
        watch: bool,
    },
    /// List messages from the cache, newest first (works offline).
    List {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value = "INBOX")]
        folder: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Group messages into threads.
        #[arg(long)]
        threads: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print a message: its text (plain part, or HTML rendered), or with --raw its RFC 822 bytes.
    Read {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value = "INBOX")]
        folder: String,
        uid: u32,
        #[arg(long)]
        raw: bool,
    },
    /// Save a message's attachments (or the one part given) into a directory, fetching only
    /// those parts; an existing file is never overwritten ("name (1).ext" instead).
    Save {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value = "INBOX")]
        folder: String,
        uid: u32,
        /// The part as the reader's part list and --json name it ("2", "1.2").
        #[arg(long, value_name = "N")]
        part: Option<String>,
        /// Where to write (default: the current directory).
        #[arg(long, value_name = "D")]
        dir: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Add or remove flags: seen, flagged, answered, deleted, draft, or any keyword.
    /// Applied to the cache at once; queued when the server is unreachable.
    Flag {
        #[command(flatten)]
        messages: Messages,
        #[arg(long, value_name = "FLAG")]
        add: Vec<String>,
        #[arg(long, value_name = "FLAG")]
        remove: Vec<String>,
    },
    /// Move messages to another folder (shown there at once; queued when offline).
    Move {
        #[command(flatten)]
        messages: Messages,
        #[arg(long)]
        to: String,
    },
    /// Copy messages to another folder.
    Copy {
        #[command(flatten)]
        messages: Messages,
        #[arg(long)]
        to: String,
    },
    /// Move messages to the Trash; in the Trash, remove exactly these for good.
    Delete {
        #[command(flatten)]
        messages: Messages,
    },
    /// Move messages to the Junk folder (the \Junk role, or `junk = "..."`).
    Junk {
        #[command(flatten)]
        messages: Messages,
    },
    /// Create, rename, delete or (un)subscribe a folder (needs the server).
    Folder {
        #[arg(long, global = true)]
        account: Option<String>,
        #[command(subcommand)]
        action: FolderAction,
    },
    /// Search every folder of every account (or --account's) with the search language:
    /// words, from: to: cc: subject: body: folder: account: before: after: on: is: has:
    /// keyword: larger: smaller:, "quotes", -not, or, (groups). See README "Searching".
    ///
    /// On Gmail (X-GM-EXT-1) the server gets the query in Gmail's own language (X-GM-RAW)
    /// and a mail in several labels is listed once (by X-GM-MSGID).
    Search {
        #[arg(long)]
        account: Option<String>,
        /// The query; several words are one query. Options go before it, so that a word
        /// like `-is:read` stays part of the query.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true, trailing_var_arg = true)]
        query: Vec<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Ask the server in every folder too (finds text in bodies not cached).
        #[arg(long)]
        server: bool,
        #[arg(long)]
        json: bool,
    },
    /// Check the config file and print every problem as file:line.
    CheckConfig,
}

/// Folder names as `tern folders` shows them, with the server's delimiter ("/" or ".").
#[derive(Debug, Subcommand)]
pub enum FolderAction {
    /// Create a folder (parents too, on most servers).
    Create { name: String },
    /// Rename a folder and its children.
    Rename { old: String, new: String },
    /// Delete a folder and its messages; its waiting actions are dropped.
    Delete {
        name: String,
        /// Delete it even when it holds messages.
        #[arg(long)]
        yes: bool,
        /// Delete it even when it has a role (inbox, sent, drafts, trash, junk, archive).
        #[arg(long)]
        force: bool,
    },
    /// Mark a folder as subscribed (other mail programs show only these).
    Subscribe { name: String },
    /// Other mail programs stop showing it; tern still lists it.
    Unsubscribe { name: String },
}

/// Which messages an action applies to.
#[derive(Debug, Args)]
pub struct Messages {
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    #[arg(required = true)]
    pub uids: Vec<u32>,
}
