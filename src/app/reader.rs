//! The reader: one message, its body rendered from the cache once it is there. Fetches are
//! requested through the model (debounced, latest wins); this state only holds what to show.

use crate::domain::message::MessageRow;
use crate::domain::mime::{self, RenderedMessage};
use crate::store::FolderId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Not in the cache yet; a fetch is due or running.
    Loading,
    Ready(RenderedMessage),
    Error(String),
}

#[derive(Debug, Clone)]
pub struct ReaderState {
    /// Index of the account the message belongs to.
    pub account: usize,
    pub folder_id: FolderId,
    pub folder: String,
    pub uid: u32,
    /// The list row: headers to show while the body loads.
    pub row: MessageRow,
    pub body: Body,
    /// The raw message, kept to re-wrap on resize and to save attachments.
    raw: Option<Vec<u8>>,
    /// First line shown.
    pub scroll: u32,
    pub full_headers: bool,
    pub fullscreen: bool,
    /// Width the body is wrapped to.
    pub width: u16,
}

impl ReaderState {
    pub fn new(
        account: usize,
        folder_id: FolderId,
        folder: &str,
        row: MessageRow,
        width: u16,
    ) -> Self {
        Self {
            account,
            folder_id,
            folder: folder.to_string(),
            uid: row.uid,
            row,
            body: Body::Loading,
            raw: None,
            scroll: 0,
            full_headers: true,
            fullscreen: false,
            width,
        }
    }

    /// Shows a different message in the same reader (split view follows the list cursor).
    pub fn show(&mut self, account: usize, folder_id: FolderId, folder: &str, row: MessageRow) {
        self.account = account;
        self.folder_id = folder_id;
        self.folder = folder.to_string();
        self.uid = row.uid;
        self.row = row;
        self.body = Body::Loading;
        self.raw = None;
        self.scroll = 0;
    }

    pub fn is_loading(&self) -> bool {
        self.body == Body::Loading
    }

    pub fn set_raw(&mut self, raw: Vec<u8>) {
        self.body = Body::Ready(mime::render(&raw, usize::from(self.width)));
        self.raw = Some(raw);
    }

    pub fn raw(&self) -> Option<&[u8]> {
        self.raw.as_deref()
    }

    pub fn rendered(&self) -> Option<&RenderedMessage> {
        match &self.body {
            Body::Ready(m) => Some(m),
            _ => None,
        }
    }

    /// Re-wraps the body for a new width.
    pub fn set_width(&mut self, width: u16) {
        if width == self.width {
            return;
        }
        self.width = width;
        if let Some(raw) = self.raw.take() {
            self.set_raw(raw);
        }
    }

    pub fn scroll_by(&mut self, delta: i64, total_lines: u32, height: u32) {
        let max = i64::from(total_lines.saturating_sub(height));
        self.scroll = (i64::from(self.scroll) + delta).clamp(0, max.max(0)) as u32;
    }
}
