//! Keys and mouse: text overlays edit their text; everything else goes through the keymap
//! to an `Action`. The mouse maps screen cells to panes with the same layout `ui` draws.

use std::path::PathBuf;

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::overlay::{InputOutcome, Overlay, TextInput};
use super::picker::PickerOutcome;
use super::reader::AfterPart;
use super::reader::PromptKind;
use super::source::Filter;
use super::{Effect, Focus, Model, Sources};
use crate::keymap::action::Action;
use crate::keymap::{Context, KeyOutcome};

/// Lines per wheel notch.
const WHEEL_LINES: i64 = 3;

impl Model {
    pub(super) fn key(&mut self, key: KeyEvent, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        self.status.key_pressed();
        if self.overlays.last().is_some_and(Overlay::takes_text) {
            self.keys.reset();
            self.text_key(key, sources, fx);
            return;
        }
        // The links list takes a number typed before the keymap sees the digits.
        if self.link_number_key(key, fx) {
            self.keys.reset();
            return;
        }
        // Overlays are lists: they take the list's keys.
        let context = if self.overlays.is_empty() {
            self.context()
        } else {
            Context::List
        };
        match self.keys.feed(&self.keymap, context, key) {
            KeyOutcome::Action(action) => self.action(action, sources, fx),
            KeyOutcome::Pending | KeyOutcome::Unbound => {}
        }
    }

    fn text_key(&mut self, key: KeyEvent, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        let Some(top) = self.overlays.last_mut() else {
            return;
        };
        match top {
            Overlay::Command(input) if key.code == KeyCode::Tab => {
                // An action name, or a folder name after a command that takes one.
                let typed = input.text.trim_start().to_string();
                if let Some(completed) = self.complete_command(&typed)
                    && let Some(Overlay::Command(input)) = self.overlays.last_mut()
                {
                    *input = TextInput::with_text(&completed);
                }
            }
            Overlay::Command(input) => match input.handle(key) {
                InputOutcome::Submit => {
                    let line = input.text.clone();
                    self.overlays.pop();
                    self.command(&line, sources, fx);
                }
                InputOutcome::Cancel => {
                    self.overlays.pop();
                }
                _ => {}
            },
            Overlay::Filter { input, previous } => match input.handle(key) {
                InputOutcome::Edited => {
                    let filter = Filter::parse(&input.text);
                    self.set_filter(filter, sources);
                }
                InputOutcome::Submit => {
                    self.overlays.pop();
                }
                InputOutcome::Cancel => {
                    let previous = previous.clone();
                    self.overlays.pop();
                    self.set_filter(previous, sources);
                }
                _ => {}
            },
            Overlay::Picker(picker) => match picker.handle(key, &self.folders) {
                PickerOutcome::Picked(to) => {
                    let copy = picker.copy;
                    self.overlays.pop();
                    self.picked(copy, to, fx);
                }
                PickerOutcome::Cancel => {
                    self.overlays.pop();
                    self.apply_to_tagged = false;
                }
                PickerOutcome::Pending => {}
            },
            Overlay::Keyword { add, input } => match input.handle(key) {
                InputOutcome::Submit => {
                    let (add, text) = (*add, input.text.clone());
                    self.overlays.pop();
                    self.keywords(add, &text, fx);
                }
                InputOutcome::Cancel => {
                    self.overlays.pop();
                    self.apply_to_tagged = false;
                }
                _ => {}
            },
            Overlay::Confirm { .. } => {
                if let Some(Overlay::Confirm { act, from_tags, .. }) = self.overlays.pop() {
                    let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
                    self.confirmed(yes, act, from_tags, fx);
                }
            }
            Overlay::FolderName(prompt) if key.code == KeyCode::Tab => {
                let (account, typed) = (prompt.account, prompt.input.text.clone());
                if let Some(completed) = self.complete_folder_name(account, &typed)
                    && let Some(Overlay::FolderName(prompt)) = self.overlays.last_mut()
                {
                    prompt.input = TextInput::with_text(&completed);
                }
            }
            Overlay::FolderName(prompt) => match prompt.input.handle(key) {
                InputOutcome::Submit => {
                    if let Some(Overlay::FolderName(prompt)) = self.overlays.pop() {
                        self.folder_named(prompt, fx);
                    }
                }
                InputOutcome::Cancel => {
                    self.overlays.pop();
                }
                _ => {}
            },
            Overlay::FolderConfirm(_) => {
                if let Some(Overlay::FolderConfirm(question)) = self.overlays.pop() {
                    let answer = match key.code {
                        KeyCode::Char(c) => c,
                        _ => '\0',
                    };
                    self.folder_delete_answer(answer, question, fx);
                }
            }
            Overlay::Prompt {
                kind: PromptKind::Search,
                input,
            } => match input.handle(key) {
                InputOutcome::Edited => {
                    let text = input.text.clone();
                    self.search_edited(&text);
                }
                InputOutcome::Submit => {
                    let text = input.text.clone();
                    self.overlays.pop();
                    self.search_submitted(&text, sources, fx);
                }
                InputOutcome::Cancel => {
                    self.overlays.pop();
                    self.search_error = None;
                }
                _ => {}
            },
            Overlay::Prompt { kind, input } => match input.handle(key) {
                InputOutcome::Submit => {
                    let (kind, text) = (*kind, input.text.clone());
                    self.overlays.pop();
                    self.prompted(kind, &text, sources, fx);
                }
                InputOutcome::Cancel => {
                    self.overlays.pop();
                }
                _ => {}
            },
            Overlay::Attachments {
                selected,
                prompt: Some(input),
            } => match input.handle(key) {
                InputOutcome::Submit => {
                    let (index, path) = (*selected, input.text.trim().to_string());
                    self.overlays.pop();
                    self.save_attachment(index, &path, sources, fx);
                }
                InputOutcome::Cancel => {
                    if let Some(Overlay::Attachments { prompt, .. }) = self.overlays.last_mut() {
                        *prompt = None;
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    pub(super) fn set_filter(&mut self, filter: Option<Filter>, sources: &dyn Sources) {
        if self.list.filter == filter {
            return;
        }
        self.list.filter = filter;
        let result = self.list.reload(self.source(sources));
        self.report(result);
    }

    /// Saves attachment `index`: at once when its bytes are here, else once the engine
    /// has fetched its part (messages in parts).
    fn save_attachment(
        &mut self,
        index: usize,
        path: &str,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        if path.is_empty() {
            self.status.error("no path given; nothing saved");
            return;
        }
        match self.attachment_data(index, sources) {
            Some(Ok(bytes)) => {
                self.status.note(format!("saving to {path}"));
                fx.push(Effect::SaveAttachment {
                    path: PathBuf::from(path),
                    bytes,
                });
            }
            Some(Err(section)) => {
                self.status
                    .note(format!("fetching the attachment to save it to {path}…"));
                self.fetch_part(&section, AfterPart::Save(PathBuf::from(path)), fx);
            }
            None => self.status.error("could not decode that attachment"),
        }
    }

    /// `:` commands: an action name (`:sync_now`), or `q`, `messages`, `folder NAME`,
    /// `filter TEXT`, `move NAME`, `copy NAME`, `keyword +ADD -REMOVE`, `find TEXT`,
    /// `pipe COMMAND`, `view NAME` (a saved search), and the folder changes of
    /// `folder_edit.rs` (`mkdir NAME`...).
    fn command(&mut self, line: &str, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        let line = line.trim();
        let (name, arg) = match line.split_once(' ') {
            Some((n, a)) => (n, a.trim()),
            None => (line, ""),
        };
        match name {
            "" => {}
            "q" | "quit" => fx.push(Effect::Quit),
            "messages" => self.overlays.push(Overlay::Messages { scroll: 0 }),
            "folder" | "cd" if !arg.is_empty() => {
                self.select_folder(self.account, arg, sources, fx);
            }
            "filter" => self.set_filter(Filter::parse(arg), sources),
            "view" if !arg.is_empty() => self.open_view_named(arg, sources, fx),
            "find" if !arg.is_empty() => self.find(arg),
            "pipe" if !arg.is_empty() => self.pipe(arg, fx),
            "rest" => self.fetch_rest(fx),
            "move" | "copy" if !arg.is_empty() => {
                if self.folders.state(self.account, arg).is_some() {
                    self.picked(name == "copy", arg.to_string(), fx);
                } else {
                    self.status.error(format!("no folder {arg}"));
                }
            }
            "mkdir" | "rename" | "rmdir" | "subscribe" | "unsubscribe" | "folders" => {
                self.folder_command(name, arg, sources, fx);
            }
            "keyword" | "keywords" if !arg.is_empty() => {
                let (add, remove): (Vec<&str>, Vec<&str>) =
                    arg.split_whitespace().partition(|w| !w.starts_with('-'));
                let add: Vec<&str> = add.iter().map(|w| w.trim_start_matches('+')).collect();
                let remove: Vec<&str> = remove.iter().map(|w| &w[1..]).collect();
                self.keyword_change(&add.join(" "), &remove.join(" "), fx);
            }
            _ => match Action::from_name(name) {
                Some(action) => self.action(action, sources, fx),
                None => self
                    .status
                    .error(format!("unknown command: {name} (? lists the actions)")),
            },
        }
    }

    pub(super) fn mouse(&mut self, mouse: MouseEvent, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        let at = Position::new(mouse.column, mouse.row);
        let areas = super::layout::areas(&self.view());
        let inside = |r: Option<Rect>| r.is_some_and(|r| r.contains(at));
        let wheel = match mouse.kind {
            MouseEventKind::ScrollDown => WHEEL_LINES,
            MouseEventKind::ScrollUp => -WHEEL_LINES,
            _ => 0,
        };
        if let Some(top) = self.overlays.last_mut() {
            if let Overlay::Help { scroll }
            | Overlay::Messages { scroll }
            | Overlay::Output { scroll, .. } = top
            {
                *scroll = (i64::from(*scroll) + wheel).clamp(0, 10_000) as u32;
            }
            return;
        }
        if wheel != 0 {
            if inside(areas.reader_inner) {
                let (total, height) = self.reader_extent();
                if let Some(r) = &mut self.reader {
                    r.scroll_by(wheel, total, height);
                }
            } else if inside(areas.folders_inner) {
                self.folders.step(wheel as i32);
                self.folders
                    .fit(areas.folders_inner.map_or(1, |r| r.height.into()));
            } else if inside(areas.list_inner) {
                let result = self.list.scroll_by(wheel, self.source(sources));
                self.report(result);
                self.follow_cursor(sources, fx);
            }
            return;
        }
        if mouse.kind != MouseEventKind::Down(MouseButton::Left) {
            return;
        }
        if let Some(list) = areas.list_inner.filter(|r| r.contains(at)) {
            self.focus = Focus::List;
            if let Some(i) = self.list.row_at(u32::from(at.y - list.y)) {
                let result = self.list.move_to(i64::from(i), self.source(sources));
                self.report(result);
                self.follow_cursor(sources, fx);
            }
        } else if let Some(folders) = areas.folders_inner.filter(|r| r.contains(at)) {
            let line = usize::from(at.y - folders.y);
            let views = self.views.lines(usize::from(folders.height));
            if line < views {
                if line < self.views.list.len() {
                    self.focus = super::Focus::Folders;
                    self.open_view(line, sources, fx);
                }
                return;
            }
            self.views.cursor = None;
            if let Some(i) = self.folders.row_at(line - views) {
                self.folders.cursor = i;
                if let Some((account, name)) =
                    self.folders.current().map(|r| (r.account, r.name.clone()))
                {
                    self.select_folder(account, &name, sources, fx);
                }
            }
        } else if inside(areas.reader_inner) {
            self.focus = Focus::Reader;
        }
    }
}
