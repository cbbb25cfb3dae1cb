//! The user's config file: where it lives, what it says, and how to fetch credentials.
//!
//! `load` turns TOML into the typed [`Config`] below, collecting every problem with file:line:key;
//! `paths` finds the file and the cache directory; `credentials` runs password/token commands.

mod account;
mod credentials;
mod error;
mod example;
mod load;
mod open;
mod paths;
mod reader;
mod sections;
mod views;
mod warnings;

use std::path::PathBuf;
use std::time::Duration;

use crate::domain::secret::Secret;

pub use credentials::{CredentialError, oauth_token, password};
pub use error::{ConfigError, Problem};
pub use example::EXAMPLE_CONFIG;
pub use open::{OpenCommand, OpenTypes};
pub use paths::{
    CONFIG_ENV, config_candidates, data_dir, default_config_paths, find_config, first_existing,
};
pub use views::{ALL_INBOXES, ViewConfig};
pub use warnings::is_loopback;

/// Built-in keymap names accepted by `ui.keymap` (anything else must be a path).
pub const BUILTIN_KEYMAPS: &[&str] = &["default", "vim"];
/// Built-in theme names accepted by `ui.theme` (anything else must be a path).
pub const BUILTIN_THEMES: &[&str] = &["default", "light", "mono"];

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was loaded from.
    pub path: PathBuf,
    /// Never empty once loaded; names are unique.
    pub accounts: Vec<AccountConfig>,
    pub ui: UiConfig,
    pub sync: SyncConfig,
    /// `[open]`: commands by MIME type (else `ui.open_command`).
    pub open: OpenTypes,
    /// `[[views]]`: saved searches for the sidebar (defaults included).
    pub views: Vec<ViewConfig>,
    pub cache: CacheConfig,
}

/// The `[cache]` table: how much of the mail itself the cache keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Whole bodies and fetched parts together, per account (`body_limit`, e.g. "500MB");
    /// what was used longest ago goes first.
    pub body_limit: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            body_limit: 500 << 20,
        }
    }
}

/// "500MB", "1.5 GiB", "200k", "1048576": a size in bytes (K/M/G are powers of 1024).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let scale: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return None,
    };
    let bytes = number * scale as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

#[derive(Debug, Clone)]
pub struct AccountConfig {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// `None` when the account authenticates with `oauth_token_command` instead.
    pub password: Option<PasswordSource>,
    pub oauth_token_command: Option<String>,
    /// Already resolved: `~` expanded, relative paths joined to the config file's directory.
    pub ca_file: Option<PathBuf>,
    pub tls_verify: bool,
    /// `cert_fingerprint`: the server's certificate pinned by its SHA-256.
    pub cert_fingerprint: Option<crate::imap::cert::Fingerprint>,
    pub idle_refresh: Duration,
    /// `poll_interval_secs`: on a server without NOTIFY, how often the other folders and
    /// the folder list are checked for changes made elsewhere; `None` (0) leaves it to
    /// `[sync] status_interval_secs`.
    pub poll_interval: Option<Duration>,
    pub auth: AuthMethod,
    pub filing: Filing,
}

/// Where delete, archive and junk put messages. Unset names fall back to the folder with
/// the special-use role (\Trash, \Archive, \Junk), or one with its usual name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filing {
    pub trash: Option<String>,
    pub archive: Option<String>,
    pub junk: Option<String>,
    /// `delete = "expunge"`: delete removes for good instead of moving to the Trash.
    pub delete_expunges: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// Run through `sh -c`; the first line of stdout is the password.
    Command(String),
    Literal(Secret<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Tls,
    StartTls,
    Plain,
}

impl Security {
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::StartTls | Security::Plain => 143,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// Pick from the server's capabilities and the credential that is configured.
    Auto,
    Login,
    Plain,
    XOAuth2,
    OAuthBearer,
}

impl AuthMethod {
    pub fn needs_oauth_token(self) -> bool {
        matches!(self, AuthMethod::XOAuth2 | AuthMethod::OAuthBearer)
    }
}

/// A keymap or theme: one of the embedded defaults, or a user file overlaid on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuiltinOrFile {
    Builtin(String),
    /// Already resolved like `ca_file`.
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiConfig {
    pub keymap: BuiltinOrFile,
    pub theme: BuiltinOrFile,
    /// `None` never marks read automatically; `Some(ZERO)` marks on open.
    pub mark_read_after: Option<Duration>,
    pub threads: bool,
    /// Ring the terminal bell when new mail arrives.
    pub new_mail_bell: bool,
    /// Show the unread count in the terminal title.
    pub new_mail_title: bool,
    /// Show the HTML part of a multipart/alternative unless `p` chose otherwise for the
    /// sender.
    pub prefer_html: bool,
    /// Run on new mail (argv, never a shell string); folder, sender and subject go in
    /// TERN_FOLDER, TERN_FROM and TERN_SUBJECT. Empty: nothing runs.
    pub new_mail_command: Vec<String>,
    /// Desktop notification through the terminal on new mail.
    pub new_mail_notify: TerminalNotify,
    /// Folders whose new mail runs the command and the notification.
    pub new_mail_folders: Vec<String>,
    /// `t` moves on to the next message after tagging.
    pub tag_advances: bool,
    /// Where saving an attachment starts; None: ~/Downloads if it exists, else the
    /// current directory.
    pub download_dir: Option<PathBuf>,
    /// Opens attachments (of types `[open]` does not name) and links.
    pub open_command: OpenCommand,
    /// Links in the reader are OSC 8 hyperlinks (never on a dumb terminal or the Linux
    /// console).
    pub hyperlinks: bool,
}

/// Which terminal escape announces new mail on the desktop (the terminal turns it into a
/// notification): OSC 9 (iTerm2, kitty, WezTerm, Windows Terminal) or OSC 777 (foot,
/// Ghostty, urxvt, VTE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TerminalNotify {
    #[default]
    Off,
    Osc9,
    Osc777,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            keymap: BuiltinOrFile::Builtin("default".into()),
            theme: BuiltinOrFile::Builtin("default".into()),
            mark_read_after: Some(Duration::ZERO),
            threads: true,
            new_mail_bell: false,
            new_mail_title: true,
            new_mail_command: Vec::new(),
            new_mail_notify: TerminalNotify::Off,
            new_mail_folders: vec!["INBOX".into()],
            tag_advances: true,
            download_dir: None,
            prefer_html: false,
            open_command: OpenCommand::default(),
            hyperlinks: true,
        }
    }
}

impl UiConfig {
    /// The theme to use: `NO_COLOR` (https://no-color.org) overrides the configured one.
    pub fn effective_theme(&self, no_color: bool) -> BuiltinOrFile {
        if no_color {
            BuiltinOrFile::Builtin("mono".into())
        } else {
            self.theme.clone()
        }
    }
}

/// True when `NO_COLOR` is set to a non-empty value, per https://no-color.org.
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// How often to poll non-selected folders with STATUS; `None` (`0` in the file) disables polling.
    pub status_interval: Option<Duration>,
    /// Bodies of INBOX's newest messages fetched ahead, for offline reading.
    pub prefetch_bodies: Prefetch,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            status_interval: Some(Duration::from_secs(60)),
            prefetch_bodies: Prefetch::default(),
        }
    }
}

/// Which bodies of INBOX are fetched ahead: the newest `messages`, of those only the ones
/// of the last `days` days (whichever is fewer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefetch {
    /// At most this many; 0 disables prefetching (`prefetch_bodies`).
    pub messages: u32,
    /// Only messages dated within this many days; 0 means any age (`prefetch_days`).
    pub days: u32,
}

impl Prefetch {
    pub const OFF: Self = Self {
        messages: 0,
        days: 0,
    };
}

impl Default for Prefetch {
    fn default() -> Self {
        Self {
            messages: 500,
            days: 14,
        }
    }
}

/// Each renewal of IDLE is also the liveness check of the link: 90 s plus the bound on the
/// answer to DONE notices a black-holed connection within 2 minutes.
pub const DEFAULT_IDLE_REFRESH: Duration = Duration::from_secs(90);
/// One second keeps "another device's change shows within 2 s" on a small account; the
/// engine stretches it on a big one (see `sync::follow`), so polling never hammers it.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

impl Config {
    /// Read and validate the file at `path`.
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        load::load_file(path)
    }

    /// Validate `text` as if it had been read from `path` (used for errors and relative paths).
    pub fn parse(text: &str, path: &std::path::Path) -> Result<Config, ConfigError> {
        load::parse(text, path, paths::home_dir().as_deref())
    }

    /// `None` picks the first account, as listed in the file.
    pub fn account(&self, name: Option<&str>) -> Result<&AccountConfig, ConfigError> {
        let found = match name {
            None => self.accounts.first(),
            Some(name) => self.accounts.iter().find(|account| account.name == name),
        };
        found.ok_or_else(|| ConfigError::UnknownAccount {
            name: name.unwrap_or_default().to_string(),
            known: self.accounts.iter().map(|a| a.name.clone()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_ACCOUNTS: &str = r#"
[[accounts]]
name = "work"
host = "imap.work.example"
security = "tls"
username = "me"
password = "hunter2-literal"

[[accounts]]
name = "home"
host = "imap.home.example"
security = "starttls"
username = "me"
password_command = "pass show home"
"#;

    fn two_accounts() -> Config {
        match Config::parse(TWO_ACCOUNTS, std::path::Path::new("/cfg/config.toml")) {
            Ok(config) => config,
            Err(err) => unreachable!("fixture must parse: {err}"),
        }
    }

    #[test]
    fn account_none_picks_first_and_name_picks_that_one() {
        let config = two_accounts();
        assert_eq!(
            config.account(None).map(|a| a.name.as_str()).ok(),
            Some("work")
        );
        assert_eq!(config.account(Some("home")).map(|a| a.port).ok(), Some(143));
    }

    #[test]
    fn unknown_account_lists_known_names() {
        let config = two_accounts();
        let err = config.account(Some("play")).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(r#"no account named "play"; known accounts: "work", "home""#)
        );
    }

    #[test]
    fn debug_of_account_hides_literal_password() {
        let config = two_accounts();
        let debug = format!("{:?}", config.accounts[0]);
        assert!(debug.contains("imap.work.example"));
        assert!(!debug.contains("hunter2-literal"), "{debug}");
    }

    #[test]
    fn no_color_forces_mono_theme() {
        let ui = UiConfig {
            theme: BuiltinOrFile::Builtin("light".into()),
            ..UiConfig::default()
        };
        assert_eq!(
            ui.effective_theme(true),
            BuiltinOrFile::Builtin("mono".into())
        );
        assert_eq!(
            ui.effective_theme(false),
            BuiltinOrFile::Builtin("light".into())
        );
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(super::parse_size("500MB"), Some(500 << 20));
        assert_eq!(super::parse_size("1.5 GiB"), Some(3 << 29));
        assert_eq!(super::parse_size("200k"), Some(200 << 10));
        assert_eq!(super::parse_size("1048576"), Some(1 << 20));
        assert_eq!(super::parse_size("lots"), None);
        assert_eq!(super::parse_size("5 parsecs"), None);
        assert_eq!(super::parse_size(""), None);
    }
}
