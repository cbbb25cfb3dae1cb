//! The sync engine: keeps the cache in step with the server (plan, apply, per-folder and
//! per-account passes, IDLE watching with reconnects, body fetches).

pub(crate) mod account;
pub mod apply;
pub(crate) mod backoff;
pub(crate) mod body;
pub(crate) mod engine;
pub(crate) mod error;
pub mod folder;
pub mod folder_ops;
mod follow;
pub mod handle;
pub mod journal;
pub(crate) mod kind;
pub(crate) mod lock;
pub mod parts;
pub(crate) mod plan;
pub mod search;
mod send;
mod suspend;
pub mod undo;
pub mod watch;

pub use account::{Folders, sync_account};
pub use error::{Result, SyncError};
