//! tern: a terminal IMAP mail reader. The binary is a thin shell over this library.
#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod imap;
