//! The reader: one message, its body rendered from the cache once it is there. Fetches are
//! requested through the model (debounced, latest wins); this state only holds what to show.

use crate::bus::OpId;
use crate::domain::folder::FolderId;
use crate::domain::message::MessageRow;
use crate::domain::mime::{self, RenderedMessage};
use crate::domain::parts::Structure;

use super::source::Shown;
use crate::domain::source_view;

pub use super::find::Find;

/// What `H` shows above (or instead of) the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// From, To, Cc, Date, Subject, Keywords.
    #[default]
    Short,
    /// Every header of the message, decoded.
    All,
    /// The raw source instead of headers and body.
    Raw,
}

impl HeaderMode {
    pub fn next(self) -> Self {
        match self {
            HeaderMode::Short => HeaderMode::All,
            HeaderMode::All => HeaderMode::Raw,
            HeaderMode::Raw => HeaderMode::Short,
        }
    }
}

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
    pub headers: HeaderMode,
    /// Every header (for `HeaderMode::All`), read from `raw`.
    pub all_headers: Vec<(String, String)>,
    /// The raw source as lines (for `HeaderMode::Raw`), built when that mode is shown.
    pub source: Vec<String>,
    /// Show the HTML part of a multipart/alternative.
    pub prefer_html: bool,
    /// The text search (`/`), while active.
    pub find: Option<Find>,
    pub fullscreen: bool,
    /// Width the body is wrapped to.
    pub width: u16,
    /// The body fetch asked for this message: its failure is shown in place of the body.
    pub fetch: Option<OpId>,
    /// The message's parts (messages in parts), known before its text arrives.
    pub structure: Option<Structure>,
    /// `raw` is the whole message; else it is the header and the text part only.
    pub whole: bool,
    /// The text part shown is only its start: its section and whole size.
    pub cut: Option<(String, u32)>,
}

/// What to do with a part once the engine has fetched it (`FetchPart`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterPart {
    /// Decode it and write it there.
    Save(std::path::PathBuf),
    /// Decode it and pipe it to this command (the whole message for the empty section).
    Pipe(String),
    /// Show the message again: the rest of a cut part, the other alternative, or the raw
    /// source (the whole message).
    Reload,
    /// Open it with the user's program (`open_command`, `[open]`).
    Open { name: String, mime: String },
    /// Save it into this directory under its own name (`A`: one of several).
    SaveInto {
        dir: std::path::PathBuf,
        name: String,
    },
}

/// A part fetch the app waits for, by its `OpId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartJob {
    pub account: usize,
    pub folder_id: FolderId,
    pub uid: u32,
    /// "1.2", or empty for the whole message.
    pub section: String,
    pub then: AfterPart,
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
            headers: HeaderMode::Short,
            all_headers: Vec::new(),
            source: Vec::new(),
            prefer_html: false,
            find: None,
            fullscreen: false,
            width,
            fetch: None,
            structure: None,
            whole: true,
            cut: None,
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
        self.all_headers.clear();
        self.source.clear();
        self.find = None;
        self.scroll = 0;
        self.fetch = None;
        self.structure = None;
        self.whole = true;
        self.cut = None;
    }

    /// Shows what the cache has of the message (whole, or in parts).
    pub fn set_shown(&mut self, shown: Shown) {
        self.structure = shown.structure;
        self.whole = shown.whole;
        self.cut = shown.cut;
        self.set_raw(shown.raw);
    }

    pub fn is_loading(&self) -> bool {
        self.body == Body::Loading
    }

    pub fn set_raw(&mut self, raw: Vec<u8>) {
        let width = usize::from(self.width);
        let mut rendered = mime::render_with(&raw, width, self.prefer_html);
        if !self.whole
            && let Some(structure) = &self.structure
        {
            // Only the text part is here: the rest is listed from the structure.
            rendered.attachments = mime::structure_attachments(structure);
            rendered.has_alternative = structure.has_alternative();
        }
        self.body = Body::Ready(rendered);
        self.all_headers = source_view::all_headers(&raw);
        self.source = if self.headers == HeaderMode::Raw {
            source_view::source_lines(&raw, width)
        } else {
            Vec::new()
        };
        self.raw = Some(raw);
        self.refind();
    }

    /// Re-renders the cached message (another part, another header mode or width).
    pub fn rerender(&mut self) {
        if let Some(raw) = self.raw.take() {
            self.set_raw(raw);
        }
    }

    /// `H`: short headers, all headers, the raw source, and round again.
    pub fn cycle_headers(&mut self) {
        self.headers = self.headers.next();
        self.scroll = 0;
        self.rerender();
    }

    /// The lines find searches and the body area shows: the rendered body, or the source.
    pub fn content_lines(&self) -> Vec<&str> {
        if self.headers == HeaderMode::Raw {
            return self.source.iter().map(String::as_str).collect();
        }
        self.rendered().map_or_else(Vec::new, |m| {
            m.body.iter().map(|l| l.text.as_str()).collect()
        })
    }

    /// Re-runs the active find on the current lines (after a re-render).
    fn refind(&mut self) {
        if let Some(find) = self.find.take() {
            let mut find = Find::new(&find.query, &self.content_lines());
            find.current = 0;
            self.find = Some(find);
        }
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
        self.rerender();
    }

    pub fn scroll_by(&mut self, delta: i64, total_lines: u32, height: u32) {
        let max = i64::from(total_lines.saturating_sub(height));
        self.scroll = (i64::from(self.scroll) + delta).clamp(0, max.max(0)) as u32;
    }
}

/// Which part of a multipart/alternative to show: a global default (`[ui] prefer_html`)
/// and what `p` chose per sender, which the runtime keeps in a small file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartPreference {
    pub prefer_html: bool,
    /// Lower-cased sender address -> prefers HTML.
    pub by_sender: std::collections::BTreeMap<String, bool>,
}

impl PartPreference {
    pub fn html_for(&self, sender: Option<&str>) -> bool {
        sender
            .and_then(|s| self.by_sender.get(&s.to_lowercase()))
            .copied()
            .unwrap_or(self.prefer_html)
    }
}

/// What `|` and `/` ask for on the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Find,
    /// The whole message, or attachment `part` (an index of `RenderedMessage::attachments`).
    Pipe {
        part: Option<usize>,
    },
    /// The search-everywhere query (`S`).
    Search,
}

impl super::Model {
    /// Asks the engine for a part (or, with the empty section, the whole message) of the
    /// open message, and remembers what to do with it.
    pub(super) fn fetch_part(
        &mut self,
        section: &str,
        then: AfterPart,
        fx: &mut Vec<super::Effect>,
    ) {
        let Some(r) = &self.reader else {
            return;
        };
        let job = PartJob {
            account: r.account,
            folder_id: r.folder_id,
            uid: r.uid,
            section: section.to_string(),
            then,
        };
        let key = crate::domain::ids::MsgKey {
            folder: r.folder.clone(),
            uidvalidity: crate::domain::ids::UidValidity(r.row.uidvalidity),
            uid: crate::domain::ids::Uid(r.uid),
        };
        let account = crate::domain::ids::AccountId(r.account);
        let op = self.next_op();
        self.part_jobs.insert(op, job);
        fx.push(super::Effect::Engine(
            account,
            crate::bus::EngineCommand::FetchPart {
                op,
                key,
                section: section.to_string(),
            },
        ));
    }

    /// The decoded bytes of attachment `index` of the open message: from the whole message,
    /// or from the cached part. `Err(section)` when the part must be fetched first.
    pub(super) fn attachment_data(
        &self,
        index: usize,
        sources: &dyn super::Sources,
    ) -> Option<Result<Vec<u8>, String>> {
        let r = self.reader.as_ref()?;
        let info = r.rendered()?.attachments.get(index)?;
        let Some(section) = &info.section else {
            return r
                .raw()
                .and_then(|raw| mime::attachment_bytes(raw, index))
                .map(|(_, bytes)| Ok(bytes));
        };
        let source = super::source_of(sources, r.account);
        match source.part(r.folder_id, r.uid, section) {
            Ok(Some(data)) => Some(Ok(data)),
            _ => Some(Err(section.clone())),
        }
    }

    /// A part asked for by `op` is cached: do what it was asked for.
    pub(super) fn part_ready(
        &mut self,
        account: usize,
        op: crate::bus::OpId,
        sources: &dyn super::Sources,
        fx: &mut Vec<super::Effect>,
    ) {
        let Some(job) = self.part_jobs.remove(&op) else {
            return;
        };
        if job.account != account {
            return;
        }
        let open = self.reader.as_ref().is_some_and(|r| {
            r.account == account && r.folder_id == job.folder_id && r.uid == job.uid
        });
        if job.then == AfterPart::Reload {
            if open {
                let scroll = self.reader.as_ref().map_or(0, |r| r.scroll);
                self.load_body(sources);
                if let Some(r) = &mut self.reader {
                    r.scroll = scroll;
                }
            }
            return;
        }
        let source = super::source_of(sources, account);
        let data = if job.section.is_empty() {
            source.body(job.folder_id, job.uid)
        } else {
            source.part(job.folder_id, job.uid, &job.section)
        };
        let data = match data {
            Ok(Some(data)) => data,
            // Over the cache's cap, or evicted already: nothing to hand on.
            Ok(None) => {
                self.status
                    .error("the part arrived but the cache could not keep it");
                return;
            }
            Err(e) => {
                self.status.error(e.to_string());
                return;
            }
        };
        // The source hands parts over decoded and the whole message as sent.
        match job.then {
            AfterPart::Save(path) => {
                self.status.note(format!("saving to {}", path.display()));
                fx.push(super::Effect::SaveAttachment { path, bytes: data });
            }
            AfterPart::Pipe(command) => {
                self.status.note(format!(
                    "running: {}",
                    crate::domain::text::sanitize(command.trim_start_matches('!'))
                ));
                fx.push(super::Effect::Pipe {
                    command,
                    input: data,
                });
            }
            AfterPart::Open { name, mime } => {
                self.status
                    .note(format!("opening {}", crate::domain::text::sanitize(&name)));
                fx.push(super::Effect::Open {
                    name,
                    mime,
                    bytes: data,
                });
            }
            AfterPart::SaveInto { dir, name } => {
                fx.push(super::Effect::SaveAll {
                    dir,
                    files: vec![(name, data)],
                });
            }
            AfterPart::Reload => {}
        }
    }

    /// A message in parts opened with HTML preferred (`[ui] prefer_html`, or `p` for this
    /// sender) shows its plain part first: the HTML one is fetched, once, and shown then.
    pub(super) fn fetch_preferred_part(&mut self, fx: &mut Vec<super::Effect>) {
        let Some(r) = &self.reader else {
            return;
        };
        let shows_html = r.rendered().is_some_and(|m| m.shows_html);
        let wanted = r
            .structure
            .as_ref()
            .and_then(|s| s.display_part(true))
            .filter(|p| p.subtype == "html")
            .map(|p| p.section.clone());
        match wanted {
            Some(section) if r.prefer_html && !r.whole && !shows_html => {
                self.fetch_part(&section, AfterPart::Reload, fx);
            }
            _ => {}
        }
    }

    /// The key for the rest of a cut message: fetches its whole text part.
    pub(super) fn fetch_rest(&mut self, fx: &mut Vec<super::Effect>) {
        let Some(section) = self
            .reader
            .as_ref()
            .and_then(|r| r.cut.as_ref())
            .map(|(section, _)| section.clone())
        else {
            self.status.note("the whole message is already shown");
            return;
        };
        self.status.note("fetching the rest of the message…");
        self.fetch_part(&section, AfterPart::Reload, fx);
    }

    /// `H` on the open message.
    pub(super) fn cycle_headers(&mut self, fx: &mut Vec<super::Effect>) {
        if let Some(r) = &mut self.reader {
            r.cycle_headers();
            let shown = match r.headers {
                HeaderMode::Short => "short headers",
                HeaderMode::All => "all headers",
                HeaderMode::Raw => "raw source",
            };
            self.status.note(shown);
            // The raw source is the whole message: fetched now if only parts are here.
            if r.headers == HeaderMode::Raw && !r.whole && r.raw().is_some() {
                self.status.note("raw source: fetching the whole message…");
                self.fetch_part("", AfterPart::Reload, fx);
            }
        }
    }

    /// `p`: the other part of a multipart/alternative, remembered for this sender.
    pub(super) fn toggle_html(&mut self, fx: &mut Vec<super::Effect>) {
        let Some(r) = &mut self.reader else {
            self.status
                .note("open a message to switch its HTML / plain part");
            return;
        };
        if !r.rendered().is_some_and(|m| m.has_alternative) {
            self.status.note("this message has no HTML / plain choice");
            return;
        }
        r.prefer_html = !r.prefer_html;
        r.scroll = 0;
        let wanted = (!r.whole)
            .then_some(r.structure.as_ref())
            .flatten()
            .and_then(|s| s.display_part(r.prefer_html))
            .map(|p| p.section.clone());
        match wanted {
            // In parts: the other alternative is shown once it is cached (fetched if not).
            Some(section) => {
                self.fetch_part(&section, AfterPart::Reload, fx);
                if let Some(r) = &mut self.reader {
                    r.rerender();
                }
            }
            None => r.rerender(),
        }
        let Some(r) = &mut self.reader else {
            return;
        };
        let html = r.prefer_html;
        self.status.note(if html {
            "showing the HTML part"
        } else {
            "showing the plain part"
        });
        if let Some(sender) = r.row.from_addr.as_deref().filter(|s| !s.is_empty()) {
            let sender = sender.to_lowercase();
            self.parts.by_sender.insert(sender.clone(), html);
            fx.push(super::Effect::RememberPart { sender, html });
        }
    }

    /// `/` in the reader: ask for the text on the status line.
    pub(super) fn start_find(&mut self) {
        if self.reader.is_some() {
            self.overlays.push(super::Overlay::Prompt {
                kind: PromptKind::Find,
                input: super::TextInput::default(),
            });
        }
    }

    /// Whether `n` / `N` / Esc belong to the find.
    pub(super) fn find_active(&self) -> bool {
        self.focus == super::Focus::Reader && self.reader.as_ref().is_some_and(|r| r.find.is_some())
    }

    /// Runs a find typed at the prompt: the first match from the top of the view.
    pub(super) fn find(&mut self, query: &str) {
        let Some(r) = &mut self.reader else {
            return;
        };
        if query.is_empty() {
            r.find = None;
            return;
        }
        let head = super::reader_lines::head_len(r);
        let mut find = Find::new(query, &r.content_lines());
        find.start_at((r.scroll as usize).saturating_sub(head));
        let found = find.matches.len();
        r.find = Some(find);
        if found == 0 {
            self.status.error(format!("not found: {query}"));
        } else {
            let matches = if found == 1 { "match" } else { "matches" };
            self.status.note(format!(
                "{found} {matches} · n / N next / previous · Esc ends"
            ));
        }
        self.show_match();
    }

    pub(super) fn find_step(&mut self, forward: bool) {
        let Some(find) = self.reader.as_mut().and_then(|r| r.find.as_mut()) else {
            self.status.note("no find active (/ to find)");
            return;
        };
        if find.step(forward) {
            self.status.note(if forward {
                "search wrapped to the top"
            } else {
                "search wrapped to the bottom"
            });
        }
        self.show_match();
    }

    /// Ends the find (Esc); the reader stays open.
    pub(super) fn end_find(&mut self) {
        if let Some(r) = &mut self.reader {
            r.find = None;
        }
    }

    /// Scrolls so the current match is in view, a few lines below the top.
    fn show_match(&mut self) {
        let (total, height) = self.reader_extent();
        let Some(r) = &mut self.reader else {
            return;
        };
        let Some(m) = r.find.as_ref().and_then(Find::current) else {
            return;
        };
        let line = (super::reader_lines::head_len(r) + m.line) as u32;
        if line < r.scroll || line >= r.scroll + height {
            r.scroll = line.saturating_sub(height / 3);
            r.scroll_by(0, total, height);
        }
    }
}
