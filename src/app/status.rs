//! The status line's state: the last error (until the next key), a transient note, the
//! keys typed so far of a longer binding, and the error log for `:messages`. Connection
//! states are per account (`Model::accounts`).

use crate::domain::text::sanitize;

/// Errors kept for `:messages`.
const LOG_CAP: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Shown in the error style until the next key.
    pub error: Option<String>,
    /// A neutral note ("saved to ..."), also cleared by the next key.
    pub note: Option<String>,
    /// Keys of an unfinished sequence (`g` of `gg`).
    pub pending_keys: String,
    pub log: Vec<String>,
}

impl Status {
    /// Errors come from servers and mail too: sanitized on the way in.
    pub fn error(&mut self, message: impl AsRef<str>) {
        let message = sanitize(message.as_ref());
        if self.log.len() == LOG_CAP {
            self.log.remove(0);
        }
        self.log.push(message.clone());
        self.error = Some(message);
    }

    pub fn note(&mut self, message: impl AsRef<str>) {
        self.note = Some(sanitize(message.as_ref()));
    }

    /// A key was pressed: the last error and note have been seen.
    pub fn key_pressed(&mut self) {
        self.error = None;
        self.note = None;
    }
}
