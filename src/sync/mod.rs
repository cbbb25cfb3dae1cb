//! The sync engine: keeps the cache in step with the server (plan, apply, per-folder and
//! per-account passes, IDLE watching with reconnects, body fetches).

pub mod account;
pub mod apply;
pub mod backoff;
pub mod body;
pub mod engine;
pub mod error;
pub mod folder;
pub mod handle;
pub mod journal;
pub mod kind;
pub mod lock;
pub mod plan;
mod send;
mod suspend;
pub mod undo;
pub mod watch;

pub use account::{Folders, sync_account};
pub use error::{Result, SyncError};
