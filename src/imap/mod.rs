//! The IMAP protocol engine: a sans-I/O session ([`session`]) on imap-next, one tokio
//! driver ([`driver`]) and a command API ([`client`]) on top.

pub mod auth;
pub mod budget;
pub mod cert;
pub mod client;
pub mod compress;
pub mod convert;
pub mod driver;
pub mod error;
pub mod mutf7;
pub mod roles;
pub mod session;
pub mod tls;
pub mod types;

pub use client::{ConnectOptions, IdleEnd, ImapClient, SearchQuery, Security, Sink, discard};
pub use error::{ErrorKind, ImapError};
pub use roles::{AssignedRole, FolderRoles};
pub use session::ResponseProblems;
pub use types::*;
