//! The peer clients benches/side_by_side.rs opens beside tern: neomutt with its header cache
//! and CONDSTORE/QRESYNC, aerc (no cache). Each gets a config of its own under `home`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use anyhow::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    Neomutt,
    Aerc,
}

/// Where and how a peer connects.
pub struct Setup<'a> {
    pub home: &'a Path,
    pub port: u16,
    pub tls: bool,
    pub user: &'a str,
    pub password: &'a str,
    pub ca: &'a Path,
}

impl Peer {
    pub const ALL: [Peer; 2] = [Peer::Neomutt, Peer::Aerc];

    pub fn name(self) -> &'static str {
        match self {
            Peer::Neomutt => "neomutt",
            Peer::Aerc => "aerc",
        }
    }

    pub fn label(self) -> String {
        match self {
            Peer::Neomutt => "neomutt (header cache, QRESYNC)".into(),
            Peer::Aerc => "aerc (no cache)".into(),
        }
    }

    pub fn installed(self) -> bool {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path).any(|dir| dir.join(self.name()).is_file())
    }

    /// Keys that quit it from its message list.
    pub fn quit_keys(self) -> &'static [&'static str] {
        match self {
            Peer::Neomutt => &["q"],
            Peer::Aerc => &[":quit", "Enter"],
        }
    }

    /// Whether it keeps headers on disk between two opens.
    pub fn keeps_cache(self) -> bool {
        self == Peer::Neomutt
    }

    /// What it keeps on disk between two opens.
    pub fn cache_dir(self, home: &Path) -> PathBuf {
        match self {
            Peer::Neomutt => home.join("hcache"),
            Peer::Aerc => home.join("cache"),
        }
    }

    /// Writes its config under `setup.home` and returns the shell command that opens INBOX;
    /// `cold` empties its cache first.
    pub fn command(self, setup: &Setup<'_>, cold: bool) -> Result<String> {
        let home = setup.home;
        let cache = self.cache_dir(home);
        if cold && cache.exists() {
            std::fs::remove_dir_all(&cache)?;
        }
        std::fs::create_dir_all(&cache)?;
        match self {
            Peer::Neomutt => {
                let scheme = if setup.tls { "imaps" } else { "imap" };
                // Debian's neomutt forces TLS (STARTTLS) unless told not to.
                let tls = format!(
                    "set ssl_force_tls = {}\nset ssl_ca_certificates_file = \"{}\"\n",
                    if setup.tls { "yes" } else { "no" },
                    setup.ca.display()
                );
                let muttrc = home.join("muttrc");
                std::fs::create_dir_all(home.join("bodies"))?;
                std::fs::write(
                    &muttrc,
                    format!(
                        "set folder = \"{scheme}://{user}@127.0.0.1:{port}/\"\n\
                         set spoolfile = \"+INBOX\"\n\
                         set imap_user = \"{user}\"\nset imap_pass = \"{password}\"\n\
                         set header_cache = \"{cache}/\"\n\
                         set message_cachedir = \"{home}/bodies/\"\n\
                         set certificate_file = \"{home}/certificates\"\n\
                         set imap_condstore = yes\nset imap_qresync = yes\n\
                         set sort = reverse-date\nset ssl_starttls = no\n\
                         set imap_check_subscribed = no\nset mail_check_stats = no\n\
                         set record = \"\"\nset postponed = \"{home}/postponed\"\n\
                         set help = no\n{tls}",
                        user = setup.user,
                        password = setup.password,
                        port = setup.port,
                        cache = cache.display(),
                        home = home.display(),
                    ),
                )?;
                Ok(format!(
                    "exec env HOME={} neomutt -n -F {}",
                    home.display(),
                    muttrc.display()
                ))
            }
            Peer::Aerc => {
                // aerc's imap:// is STARTTLS; plain IMAP is imap+insecure://.
                let scheme = if setup.tls { "imaps" } else { "imap+insecure" };
                let config = home.join("config").join("aerc");
                std::fs::create_dir_all(&config)?;
                let accounts = config.join("accounts.conf");
                std::fs::write(
                    &accounts,
                    format!(
                        "[bench]\nsource = {scheme}://{user}:{password}@127.0.0.1:{port}\n\
                         outgoing = /bin/false\ndefault = INBOX\n\
                         from = Bench <{user}@example.com>\n",
                        user = setup.user,
                        password = setup.password,
                        port = setup.port,
                    ),
                )?;
                // aerc refuses an accounts.conf others may read.
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&accounts, std::fs::Permissions::from_mode(0o600))?;
                Ok(format!(
                    "exec env HOME={home} XDG_CONFIG_HOME={home}/config XDG_CACHE_HOME={cache} \
                     SSL_CERT_FILE={ca} aerc",
                    home = home.display(),
                    cache = cache.display(),
                    ca = setup.ca.display(),
                ))
            }
        }
    }
}
