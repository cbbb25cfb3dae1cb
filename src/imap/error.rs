//! Errors of the IMAP layer. The kind decides what the caller does: retry after a backoff
//! (Network, Timeout), ask the user (Auth, Tls), or report (Protocol, Command).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server refused the credentials.
    Auth,
    /// Connecting, reading or writing failed, or the server closed the connection.
    Network,
    /// No answer within the timeout: the link is presumed dead.
    Timeout,
    /// Certificate or handshake failure.
    Tls,
    /// The server sent something we cannot make sense of, or lacks a needed capability.
    Protocol,
    /// The server answered NO or BAD to a command.
    Command,
    /// The server said BYE.
    Bye,
    /// A mistake in tern itself (a command we could not build, for example).
    Bug,
}

impl ErrorKind {
    /// Whether reconnecting later may help.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Network | Self::Timeout | Self::Bye)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub struct ImapError {
    pub kind: ErrorKind,
    pub message: String,
    /// The response code of a NO/BAD, e.g. TRYCREATE.
    pub code: Option<super::types::Code>,
}

impl fmt::Display for ImapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ImapError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: None,
        }
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, message)
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }

    pub fn bug(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Bug, message)
    }
}

impl From<std::io::Error> for ImapError {
    fn from(err: std::io::Error) -> Self {
        Self::network(format!("connection error: {err}"))
    }
}

pub type Result<T, E = ImapError> = std::result::Result<T, E>;
