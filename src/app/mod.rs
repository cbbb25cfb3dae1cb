//! UI state and `update`: synchronous, no I/O; effects are returned for the runtime to do.
//! Cache reads go through `MailSource` (local, bounded); the engine is reached only through
//! `Effect::Engine`.

pub mod action;
mod actions;
mod events;
pub mod fake;
pub mod folders;
mod input;
pub mod list;
pub mod overlay;
pub mod reader;
pub mod source;
pub mod status;

use std::path::PathBuf;
use std::time::Duration;

use ratatui::crossterm::event::{KeyEvent, MouseEvent};

use crate::bus::EngineEvent;
use crate::keymap::{Context, KeySequence, Keymap};
use crate::store::SortOrder;
use crate::sync::watch::EngineCommand;
pub use action::Action;
pub use fake::FakeSource;
pub use folders::FoldersPane;
pub use list::{ListPane, OpenFolder};
pub use overlay::{Overlay, TextInput};
pub use reader::{Body, ReaderState};
pub use source::{Filter, MailSource, SourceError, SourceResult};
pub use status::Status;

/// How long the cursor must rest on a message before its body is fetched (DESIGN rule 10).
pub const BODY_DEBOUNCE: Duration = Duration::from_millis(150);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Action(Action),
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Engine(EngineEvent),
    /// The debounce of a body fetch ran out (sent back by the runtime after
    /// `Effect::FetchBodyAfter`); ignored unless the reader still waits for that message.
    BodyDue {
        folder: String,
        uid: u32,
    },
    /// The wall clock moved (dates in the list, "synced 10:43"); unix seconds.
    Tick {
        now: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Engine(EngineCommand),
    /// Send `Msg::BodyDue { folder, uid }` back after `delay`.
    FetchBodyAfter {
        delay: Duration,
        folder: String,
        uid: u32,
    },
    /// Write `bytes` to `path` (as typed: the runtime expands `~`); report failure back as
    /// `Msg::Engine(EngineEvent::Error(..))`.
    SaveAttachment {
        path: PathBuf,
        bytes: Vec<u8>,
    },
    Bell,
    SetTitle(String),
    /// Clear and repaint the whole terminal.
    Redraw,
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Folders,
    List,
    Reader,
}

/// Wall clock for date columns: `now` in unix seconds, local offset east of UTC in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    pub now: i64,
    pub utc_offset: i32,
}

/// How new mail is announced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notify {
    pub bell: bool,
    /// Put the unread count in the terminal title.
    pub title: bool,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub account: String,
    /// Opened at start, from the cache.
    pub folder: String,
    pub threads: bool,
    pub notify: Notify,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            account: "mail".into(),
            folder: "INBOX".into(),
            threads: false,
            notify: Notify::default(),
            size: (80, 24),
            clock: Clock::default(),
        }
    }
}

pub struct Model {
    pub account: String,
    pub clock: Clock,
    pub notify: Notify,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub focus: Focus,
    pub folders: FoldersPane,
    pub list: ListPane,
    pub reader: Option<ReaderState>,
    /// Top is last; it gets the keys.
    pub overlays: Vec<Overlay>,
    pub status: Status,
    pub keymap: Keymap,
    keys: KeySequence,
    /// Unread count last announced (new-mail signal).
    announced_unseen: Option<u32>,
    /// The folder to open once the first sync has put it in the cache (cold start).
    pending_folder: Option<String>,
}

impl Model {
    /// Reads folders and the first page of `options.folder` from the cache: the first paint
    /// needs no network round trip.
    pub fn new(options: Options, keymap: Keymap, source: &dyn MailSource) -> Model {
        let sort = if options.threads {
            SortOrder::Threaded
        } else {
            SortOrder::DateDesc
        };
        let mut model = Model {
            account: options.account,
            clock: options.clock,
            notify: options.notify,
            size: options.size,
            focus: Focus::List,
            folders: FoldersPane::default(),
            list: ListPane::new(sort),
            reader: None,
            overlays: Vec::new(),
            status: Status::default(),
            keymap,
            keys: KeySequence::default(),
            announced_unseen: None,
            pending_folder: None,
        };
        model.refresh_folders(source);
        model.announced_unseen = Some(model.inbox_unseen());
        // Size the list first, so opening the folder reads one window of the right height.
        model.layout(source);
        // A cold cache has no folders yet: open the folder when the engine brings it.
        if model.folders.state(&options.folder).is_some() {
            model.open_folder(&options.folder, source);
        } else {
            model.pending_folder = Some(options.folder);
        }
        model.layout(source);
        model
    }

    pub fn update(&mut self, msg: Msg, source: &dyn MailSource) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Action(action) => self.action(action, source, &mut fx),
            Msg::Key(key) => self.key(key, source, &mut fx),
            Msg::Mouse(mouse) => self.mouse(mouse, source, &mut fx),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.layout(source);
            }
            Msg::Engine(event) => self.engine_event(event, source, &mut fx),
            Msg::BodyDue { folder, uid } => self.body_due(&folder, uid, source, &mut fx),
            Msg::Tick { now } => self.clock.now = now,
        }
        fx
    }

    /// The keymap context of what has the keys.
    pub fn context(&self) -> Context {
        match self.focus {
            Focus::Folders => Context::Folders,
            Focus::List => Context::List,
            Focus::Reader => Context::Reader,
        }
    }

    /// Keys typed so far of an unfinished sequence.
    pub fn pending_keys(&self) -> &str {
        self.keys.pending()
    }

    /// The reader takes the whole screen (asked for, or no room for a split).
    pub fn reader_fullscreen(&self) -> bool {
        self.reader
            .as_ref()
            .is_some_and(|r| r.fullscreen || crate::ui::layout::split_too_small(self.size))
    }

    pub fn view(&self) -> crate::ui::layout::View {
        crate::ui::layout::View {
            size: self.size,
            reader: match &self.reader {
                None => crate::ui::layout::ReaderView::Closed,
                Some(_) if self.reader_fullscreen() => crate::ui::layout::ReaderView::Full,
                Some(_) => crate::ui::layout::ReaderView::Split,
            },
            folders_focused: self.focus == Focus::Folders,
        }
    }

    /// Fits list, folders and reader to the current terminal size.
    fn layout(&mut self, source: &dyn MailSource) {
        let areas = crate::ui::layout::areas(&self.view());
        if let Some(folders) = areas.folders_inner {
            self.folders.fit(usize::from(folders.height));
        }
        let rows = areas.list_inner.map_or(1, |r| u32::from(r.height));
        let result = self.list.set_height(rows, source);
        self.report(result);
        if let (Some(reader), Some(area)) = (&mut self.reader, areas.reader_inner) {
            reader.set_width(area.width);
        }
    }

    fn report<T>(&mut self, result: SourceResult<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.status.error(e.to_string());
                None
            }
        }
    }

    fn refresh_folders(&mut self, source: &dyn MailSource) {
        if let Some(folders) = self.report(source.folders()) {
            self.folders.set_folders(&self.account, folders);
        }
        if let Some(name) = self.pending_folder.take() {
            if self.folders.state(&name).is_some() {
                self.open_folder(&name, source);
                self.layout(source);
            } else {
                self.pending_folder = Some(name);
            }
        }
    }

    /// Shows `name` from the cache right away; the engine is told separately.
    fn open_folder(&mut self, name: &str, source: &dyn MailSource) -> bool {
        let Some(id) = self.folders.state(name).map(|f| f.id) else {
            self.status
                .error(format!("no folder {name} in the cache yet"));
            return false;
        };
        self.folders.select(name);
        self.reader = None;
        let result = self.list.open(
            OpenFolder {
                id,
                name: name.to_string(),
            },
            source,
        );
        self.report(result);
        true
    }

    /// Unread messages in the inbox-role folders (what new mail raises).
    fn inbox_unseen(&self) -> u32 {
        self.folders
            .rows
            .iter()
            .filter(|r| r.selectable() && r.role.as_deref() == Some("inbox"))
            .map(|r| r.unseen)
            .sum()
    }
}

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
