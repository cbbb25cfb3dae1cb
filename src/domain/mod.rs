//! Pure types shared by every layer: no I/O here.

pub mod contain;
pub mod flag_word;
pub mod folder;
pub mod headers;
pub mod ids;
pub mod links;
pub mod message;
pub mod mime;
pub mod parts;
pub mod query;
pub mod rfc2047;
pub mod secret;
pub mod source_view;
pub mod text;
pub mod uidset;
pub mod units;
pub mod width;
