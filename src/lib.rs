//! tern: a terminal IMAP mail reader. The binary is a thin shell over this library.
#![forbid(unsafe_code)]

pub mod app;
pub mod bus;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod connect;
pub mod domain;
pub mod imap;
pub mod keymap;
pub mod logging;
pub mod store;
pub mod sync;
pub mod term;
pub mod theme;
pub mod tui;
pub mod ui;
