//! Test support: a private Dovecot per test, a raw IMAP client and a seeded mail corpus.
//! Used by integration tests (`mod support;`) and benches (`#[path = ...] mod support;`).
#![allow(dead_code, unused_imports)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod certs;
pub mod cli;
pub mod corpus;
pub mod dovecot;
pub mod proxy;
pub mod raw_imap;
pub mod tmux;
pub mod world;

pub use cli::tern_cli;
pub use corpus::{Corpus, SeedMessage};
pub use dovecot::{DovecotOptions, TestDovecot};
pub use proxy::{Mode as ProxyMode, Proxy, rewriting_proxy};
pub use raw_imap::RawImap;
pub use tmux::Tmux;

/// The folder's UIDVALIDITY as cached: what a view of it shows (and an action carries).
pub fn shown(store: &tern::store::Store, folder: &str) -> u32 {
    store
        .reader()
        .unwrap()
        .folder(folder)
        .unwrap()
        .unwrap()
        .uidvalidity
        .unwrap()
}
