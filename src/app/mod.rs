//! UI state and `update`: synchronous, no I/O; effects are returned for the runtime to do.
//! Cache reads go through `MailSource` (local, bounded), one per account (`Sources`); each
//! account's engine side is reached only through `Effect::Engine`, `Effect::Act` and
//! `Effect::Undo`, and answers with `Msg::Engine` (the types of src/bus.rs).

pub use crate::keymap::action;
mod actions;
mod events;
#[cfg(test)]
pub(crate) mod fake;
pub(crate) mod find;
mod fold;
mod folder_edit;
pub(crate) mod folders;
mod input;
pub mod layout;
pub(crate) mod links;
pub(crate) mod list;
pub(crate) mod overlay;
pub(crate) mod picker;
pub(crate) mod pipe;
pub(crate) mod reader;
pub(crate) mod reader_lines;
pub(crate) mod results;
pub(crate) mod search;
pub(crate) mod source;
pub(crate) mod status;
mod triage;
pub(crate) mod views;

use std::path::PathBuf;
use std::time::Duration;

use ratatui::crossterm::event::{KeyEvent, MouseEvent};

use crate::bus::{Act, ConnState, EngineCommand, EngineEvent, OpId};
use crate::domain::folder::SortOrder;
use crate::domain::ids::{AccountId, UidValidity};
use crate::keymap::{Context, KeySequence, Keymap};
pub use action::Action;
#[cfg(test)]
pub use fake::FakeSource;
pub use folder_edit::{FolderPrompt, FolderQuestion};
pub use folders::FoldersPane;
pub use list::{ListPane, OpenFolder};
pub use overlay::{Overlay, TextInput};
pub use pipe::PipeOutput;
pub use reader::{Body, HeaderMode, PartPreference, ReaderState};
pub use source::{
    AccountSources, FailedSource, Filter, MailSource, SearchScope, Shown, SourceError, SourceHit,
    SourceResult, Sources,
};
pub use status::Status;

/// How long the cursor must rest on a message before its body is fetched (docs/ARCHITECTURE.md rule 11).
pub const BODY_DEBOUNCE: Duration = Duration::from_millis(150);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Action(Action),
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// What the engine of account `.0` (an index into `Model::accounts`) reports.
    Engine(AccountId, EngineEvent),
    /// A failure of the runtime itself (not of an account), for the status line.
    Error(String),
    /// Something the runtime did, for the status line (e.g. where a file was saved).
    Note(String),
    /// The debounce of a body fetch ran out (sent back by the runtime after
    /// `Effect::FetchBodyAfter`); ignored unless the reader still waits for that message.
    BodyDue {
        account: usize,
        folder: String,
        uid: u32,
    },
    /// The delay of `Effect::MarkReadAfter` ran out; ignored unless that message is still open.
    MarkReadDue {
        account: usize,
        folder: String,
        uid: u32,
    },
    /// The wall clock moved (dates in the list, "synced 10:43"); unix seconds.
    Tick {
        now: i64,
    },
    /// A command run by `Effect::Pipe` ended: what it printed, or why it could not run.
    Piped {
        command: String,
        result: Result<pipe::PipeOutput, String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A command for the engine of account `.0` only.
    Engine(AccountId, EngineCommand),
    /// Apply `act` in the account's cache and journal at once, then have its engine send
    /// it. `uids` are of `folder` as shown, numbered under `uidvalidity`. Answered by
    /// `EngineEvent::OpDone` / `OpFailed` naming `op`, after `FolderChanged` so the list
    /// re-reads.
    Act {
        op: OpId,
        account: AccountId,
        folder: String,
        uidvalidity: UidValidity,
        uids: Vec<u32>,
        act: Act,
        /// Another folder's part of the `Act` just before (same account, same key press):
        /// `u` takes them back together.
        joins: bool,
    },
    /// Take back the last `Act` of `account` (its engine side keeps it); answered like `Act`.
    Undo {
        op: OpId,
        account: AccountId,
    },
    /// Send `Msg::MarkReadDue` back after `delay`.
    MarkReadAfter {
        delay: Duration,
        account: usize,
        folder: String,
        uid: u32,
    },
    /// Send `Msg::BodyDue { account, folder, uid }` back after `delay`.
    FetchBodyAfter {
        delay: Duration,
        account: usize,
        folder: String,
        uid: u32,
    },
    /// Write `bytes` to `path` (as typed: the runtime expands `~`); report the outcome back
    /// as `Msg::Error(..)`.
    SaveAttachment {
        path: PathBuf,
        bytes: Vec<u8>,
    },
    /// Open an attachment with the user's program (`[open]` by `mime`, else
    /// `open_command`) from a private file that lives until the program exits; failures
    /// come back as `Msg::Error`. The one way attachments are opened: where the bytes come
    /// from is the model's business.
    Open {
        name: String,
        mime: String,
        bytes: Vec<u8>,
    },
    /// Open a link (http, https or mailto, from the rendered text) with `open_command`.
    OpenUrl(String),
    /// Save each `(name, bytes)` under `dir` (as typed: `~` expanded), never overwriting
    /// (a taken name gets a number); one note sums it up.
    SaveAll {
        dir: PathBuf,
        files: Vec<(String, Vec<u8>)>,
    },
    /// Run `command` with `sh -c` (the user typed it) with `input` on stdin; report the
    /// output back as `Msg::Piped`.
    Pipe {
        command: String,
        input: Vec<u8>,
    },
    /// `p` chose the HTML (or plain) part for mail from `sender`: keep it for next time.
    RememberPart {
        sender: String,
        html: bool,
    },
    Bell,
    /// New unread mail arrived in a folder of `Options::announce_folders`: run the hook and
    /// the terminal notification (the newest message's sender and subject, as in the cache).
    NewMail(NewMail),
    SetTitle(String),
    /// Clear and repaint the whole terminal.
    Redraw,
    Quit,
}

/// What `Effect::NewMail` announces; the runtime sanitizes it before it leaves tern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub account: String,
    pub folder: String,
    /// How many new unread messages; `from` and `subject` are of the newest.
    pub count: u32,
    pub from: String,
    pub subject: String,
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
    /// The account whose `folder` opens at start.
    pub account: String,
    /// Every account, in sidebar order (index = account index in `Sources`, `Msg::Engine`
    /// and `Effect::Engine`); empty means just `account`.
    pub accounts: Vec<String>,
    /// Opened at start, from the cache.
    pub folder: String,
    pub threads: bool,
    pub notify: Notify,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub clock: Clock,
    /// Opening a message marks it read after this long; None never.
    pub mark_read_after: Option<Duration>,
    /// Where each account's delete and archive go (by account index; missing means the
    /// folder roles decide): deleting for good is asked first.
    pub filing: Vec<crate::config::Filing>,
    /// `t` moves on to the next message after tagging.
    pub tag_advances: bool,
    /// Where the attachment save prompt starts; None: a bare name (the current directory).
    pub download_dir: Option<PathBuf>,
    /// Folders whose new mail is announced with `Effect::NewMail`; empty: none.
    pub announce_folders: Vec<String>,
    /// HTML or plain part of a multipart/alternative, globally and per sender.
    pub parts: reader::PartPreference,
    /// Saved searches (name, query), in sidebar order.
    pub views: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            account: "mail".into(),
            accounts: Vec::new(),
            folder: "INBOX".into(),
            threads: false,
            notify: Notify::default(),
            mark_read_after: Some(Duration::ZERO),
            size: (80, 24),
            clock: Clock::default(),
            filing: Vec::new(),
            tag_advances: true,
            download_dir: None,
            announce_folders: Vec::new(),
            parts: reader::PartPreference::default(),
            views: Vec::new(),
        }
    }
}

/// What the model keeps per account besides its sidebar section.
#[derive(Debug, Clone)]
pub struct AccountState {
    pub name: String,
    pub conn: ConnState,
    /// Actions waiting in the journal.
    pub pending: u32,
}

pub struct Model {
    pub accounts: Vec<AccountState>,
    /// Index of the account of the open folder (the start account until one opens): the
    /// list, the reader, the status line and `:folder` work on it.
    pub account: usize,
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
    /// The folder (account, name) to open once the first sync has put it in the cache
    /// (cold start).
    pending_folder: Option<(usize, String)>,
    /// Opening a message marks it read after this long; None never.
    mark_read_after: Option<Duration>,
    /// `;` was pressed: the next action applies to the tagged messages.
    apply_to_tagged: bool,
    /// Per account, by index (see `Options::filing`).
    filing: Vec<crate::config::Filing>,
    tag_advances: bool,
    download_dir: Option<PathBuf>,
    announce_folders: Vec<String>,
    /// Highest UID seen per announced (account, folder): what is newer is new mail.
    newest_uid: std::collections::HashMap<(usize, String), u32>,
    /// Which part of a multipart/alternative to show.
    pub parts: reader::PartPreference,
    /// The last `OpId` handed out.
    last_op: OpId,
    /// Part fetches (save, pipe, show) waiting for the engine, by request.
    part_jobs: std::collections::BTreeMap<OpId, reader::PartJob>,
    /// The account whose last action was done: where `u` goes.
    undo_account: Option<usize>,
    /// Folder changes sent to an engine and not answered yet (never undone by `u`).
    folder_requests: std::collections::HashMap<OpId, (usize, crate::bus::FolderAction)>,
    /// The search the list shows (or showed last): `S` edits its query again.
    search: Option<search::SearchState>,
    /// What is wrong with the query being typed after `S`.
    pub search_error: Option<crate::domain::query::QueryError>,
    /// Saved searches, above the folders in the sidebar.
    pub views: views::Views,
}

/// Stands in for an account the runtime gave no source for.
static NO_SOURCE: FailedSource =
    FailedSource(std::borrow::Cow::Borrowed("no cache for this account"));

/// The cache of `account`.
fn source_of(sources: &dyn Sources, account: usize) -> &dyn MailSource {
    sources.account(account).unwrap_or(&NO_SOURCE)
}

impl Model {
    /// Reads every account's folders and the first page of `options.folder` from the cache:
    /// the first paint needs no network round trip.
    pub fn new(options: Options, keymap: Keymap, sources: &dyn Sources) -> Model {
        let sort = if options.threads {
            SortOrder::Threaded
        } else {
            SortOrder::DateDesc
        };
        let names = if options.accounts.is_empty() {
            vec![options.account.clone()]
        } else {
            options.accounts
        };
        let start = names
            .iter()
            .position(|n| *n == options.account)
            .unwrap_or(0);
        let (views, view_errors) = views::Views::new(&options.views);
        let mut folders = FoldersPane::default();
        for name in &names {
            folders.add_account(name);
        }
        let mut model = Model {
            accounts: names
                .into_iter()
                .map(|name| AccountState {
                    name,
                    conn: ConnState::Connecting,
                    pending: 0,
                })
                .collect(),
            account: start,
            clock: options.clock,
            notify: options.notify,
            size: options.size,
            focus: Focus::List,
            folders,
            list: ListPane::new(sort),
            reader: None,
            overlays: Vec::new(),
            status: Status::default(),
            keymap,
            keys: KeySequence::default(),
            announced_unseen: None,
            pending_folder: None,
            mark_read_after: options.mark_read_after,
            apply_to_tagged: false,
            filing: options.filing,
            tag_advances: options.tag_advances,
            download_dir: options.download_dir,
            announce_folders: options.announce_folders,
            newest_uid: std::collections::HashMap::new(),
            parts: options.parts,
            last_op: OpId::default(),
            part_jobs: std::collections::BTreeMap::new(),
            undo_account: None,
            folder_requests: std::collections::HashMap::new(),
            search: None,
            search_error: None,
            views,
        };
        for error in view_errors {
            model.status.error(error);
        }
        model.count_views(sources);
        for account in 0..model.accounts.len() {
            model.refresh_folders(account, sources);
        }
        model.announced_unseen = Some(model.inbox_unseen());
        for account in 0..model.accounts.len() {
            for folder in model.announce_folders.clone() {
                model.new_mail(account, &folder, sources);
            }
        }
        // Size the list first, so opening the folder reads one window of the right height.
        model.layout(sources);
        // A cold cache has no folders yet: open the folder when the engine brings it.
        if model.folders.state(start, &options.folder).is_some() {
            model.open_folder(start, &options.folder, sources);
        } else {
            model.pending_folder = Some((start, options.folder));
        }
        model.layout(sources);
        model
    }

    pub fn update(&mut self, msg: Msg, sources: &dyn Sources) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Action(action) => self.action(action, sources, &mut fx),
            Msg::Key(key) => self.key(key, sources, &mut fx),
            Msg::Mouse(mouse) => self.mouse(mouse, sources, &mut fx),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.layout(sources);
            }
            Msg::Engine(AccountId(account), event) => {
                self.engine_event(account, event, sources, &mut fx)
            }
            Msg::Error(message) => self.status.error(message),
            Msg::Note(message) => self.status.note(message),
            Msg::BodyDue {
                account,
                folder,
                uid,
            } => self.body_due(account, &folder, uid, sources, &mut fx),
            Msg::MarkReadDue {
                account,
                folder,
                uid,
            } => self.mark_read_due(account, &folder, uid, &mut fx),
            Msg::Tick { now } => self.clock.now = now,
            Msg::Piped { command, result } => self.piped(&command, result),
        }
        fx
    }

    /// The name of the open folder's account.
    pub fn account_name(&self) -> &str {
        self.accounts
            .get(self.account)
            .map_or("", |a| a.name.as_str())
    }

    /// The connection state of the open folder's account.
    pub fn conn(&self) -> &ConnState {
        static UNKNOWN: ConnState = ConnState::Connecting;
        self.accounts
            .get(self.account)
            .map_or(&UNKNOWN, |a| &a.conn)
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
            .is_some_and(|r| r.fullscreen || layout::split_too_small(self.size))
    }

    pub fn view(&self) -> layout::View {
        layout::View {
            size: self.size,
            reader: match &self.reader {
                None => layout::ReaderView::Closed,
                Some(_) if self.reader_fullscreen() => layout::ReaderView::Full,
                Some(_) => layout::ReaderView::Split,
            },
            folders_focused: self.focus == Focus::Folders,
        }
    }

    /// A new id for a request whose outcome the engine reports.
    fn next_op(&mut self) -> OpId {
        self.last_op = OpId(self.last_op.0 + 1);
        self.last_op
    }

    /// `u`: the account acted on last takes back its last action.
    fn undo(&mut self, fx: &mut Vec<Effect>) {
        match self.undo_account {
            Some(account) => {
                let op = self.next_op();
                let account = AccountId(account);
                fx.push(Effect::Undo { op, account });
            }
            None => self.status.error("nothing to undo"),
        }
    }

    /// The cache of the open folder's account: what the list and the reader read.
    fn source<'s>(&self, sources: &'s dyn Sources) -> &'s dyn MailSource {
        source_of(sources, self.account)
    }

    /// Fits list, folders and reader to the current terminal size.
    fn layout(&mut self, sources: &dyn Sources) {
        let areas = layout::areas(&self.view());
        if let Some(folders) = areas.folders_inner {
            let height = usize::from(folders.height);
            self.folders.fit(height - self.views.lines(height));
        }
        let rows = areas.list_inner.map_or(1, |r| u32::from(r.height));
        let result = self.list.set_height(rows, self.source(sources));
        self.report(result);
        if let (Some(reader), Some(area)) = (&mut self.reader, areas.reader_inner) {
            reader.set_width(area.width);
        }
    }

    /// Reports a failed read of the open folder's account.
    fn report<T>(&mut self, result: SourceResult<T>) -> Option<T> {
        self.report_for(self.account, result)
    }

    fn report_for<T>(&mut self, account: usize, result: SourceResult<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.account_error(account, &e.to_string());
                None
            }
        }
    }

    /// An error of `account`, named when it is not the account on screen.
    fn account_error(&mut self, account: usize, message: &str) {
        match self.accounts.get(account) {
            Some(a) if self.accounts.len() > 1 && account != self.account => {
                let message = format!("{}: {message}", a.name);
                self.status.error(message);
            }
            _ => self.status.error(message),
        }
    }

    fn refresh_folders(&mut self, account: usize, sources: &dyn Sources) {
        if let Ok(pending) = source_of(sources, account).pending()
            && let Some(state) = self.accounts.get_mut(account)
        {
            state.pending = pending;
        }
        let folders = source_of(sources, account).folders();
        if let Some(folders) = self.report_for(account, folders) {
            self.folders.set_folders(account, folders);
        }
        if let Some((pending, name)) = self.pending_folder.take() {
            if pending == account && self.folders.state(account, &name).is_some() {
                self.open_folder(account, &name, sources);
                self.layout(sources);
            } else {
                self.pending_folder = Some((pending, name));
            }
        }
    }

    /// Shows `account`'s folder `name` from the cache right away; the engine is told
    /// separately.
    fn open_folder(&mut self, account: usize, name: &str, sources: &dyn Sources) -> bool {
        let Some(id) = self.folders.state(account, name).map(|f| f.id) else {
            self.status
                .error(format!("no folder {name} in the cache yet"));
            return false;
        };
        self.folders.select(account, name);
        self.views.cursor = None;
        self.reader = None;
        self.account = account;
        let result = self.list.open(
            OpenFolder {
                account,
                id,
                name: name.to_string(),
            },
            self.source(sources),
        );
        self.report(result);
        true
    }

    /// Unread messages in the inbox-role folders of every account (what new mail raises).
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
mod folder_tests;
#[cfg(test)]
mod parts_tests;
#[cfg(test)]
mod reading_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
