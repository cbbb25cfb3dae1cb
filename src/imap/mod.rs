//! The IMAP protocol engine: a sans-I/O session ([`session`]) on imap-next, one tokio
//! driver ([`driver`]) and a command API ([`client`]) on top.

pub mod auth;
pub mod budget;
pub(crate) mod cert;
pub(crate) mod client;
pub mod compress;
pub(crate) mod convert;
pub(crate) mod driver;
pub(crate) mod error;
pub(crate) mod esearch;
pub mod gmail;
pub mod mutf7;
pub mod notify;
pub(crate) mod roles;
pub mod search;
pub mod session;
pub(crate) mod structure;
pub(crate) mod tls;
pub(crate) mod types;

pub use client::{ConnectOptions, IdleEnd, ImapClient, SearchQuery, Security, Sink, discard};
pub use error::{ErrorKind, ImapError};
pub use notify::Notified;
pub use roles::{AssignedRole, FolderRoles};
pub use session::ResponseProblems;
pub use types::*;
