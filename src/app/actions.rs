//! What each `Action` does, per focus. Pane logic lives in the panes; this only routes.

use std::time::Duration;

use super::overlay::{Overlay, TextInput};
use super::reader::ReaderState;
use super::{BODY_DEBOUNCE, Effect, Focus, Model, OpenFolder, Sources, source_of};
use crate::bus::{Act, EngineCommand};
use crate::domain::folder::SortOrder;
use crate::domain::ids::AccountId;
use crate::keymap::action::Action;

impl Model {
    pub(super) fn action(&mut self, action: Action, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        if action == Action::Quit {
            fx.push(Effect::Quit);
            return;
        }
        if let Some(top) = self.overlays.last()
            && !top.takes_text()
        {
            self.overlay_action(action, sources, fx);
            return;
        }
        // While a find is active in the reader, n / N / Esc belong to it.
        let action = match action {
            Action::ToggleRead if self.find_active() => Action::FindNext,
            Action::Back if self.find_active() => {
                self.end_find();
                return;
            }
            a => a,
        };
        match action {
            Action::Quit => fx.push(Effect::Quit),
            Action::Back => self.back(sources),
            Action::Close => self.close(sources, fx),
            Action::Help => self.overlays.push(Overlay::Help { scroll: 0 }),
            Action::CommandLine => self.overlays.push(Overlay::Command(TextInput::default())),
            Action::Filter => self.overlays.push(Overlay::Filter {
                input: TextInput::with_text(
                    &self
                        .list
                        .filter
                        .as_ref()
                        .map_or(String::new(), |f| f.to_input()),
                ),
                previous: self.list.filter.clone(),
            }),
            Action::SearchEverywhere => self.start_search(),
            Action::SyncNow => fx.push(Effect::Engine(
                AccountId(self.account),
                EngineCommand::SyncNow,
            )),
            Action::ToggleRead => self.toggle_flag("\\Seen", fx),
            Action::ToggleFlagged => self.toggle_flag("\\Flagged", fx),
            Action::Delete => self.file_away(Act::Delete, fx),
            Action::Archive => self.file_away(Act::Archive, fx),
            Action::Junk => self.file_away(Act::Junk, fx),
            Action::Tag => {
                self.tag(false, sources);
                self.follow_cursor(sources, fx);
            }
            Action::TagThread => self.tag(true, sources),
            Action::TagRange => self.tag_range(sources),
            Action::TagAll => self.tag_all(sources),
            Action::ApplyToTagged => self.arm_tagged(),
            Action::MoveTo => self.open_picker(false),
            Action::CopyTo => self.open_picker(true),
            Action::AddKeyword | Action::RemoveKeyword => {
                self.overlays.push(Overlay::Keyword {
                    add: action == Action::AddKeyword,
                    input: TextInput::default(),
                });
            }
            Action::MarkThreadRead => self.mark_thread_read(sources, fx),
            Action::MarkFolderRead => self.mark_folder_read(sources, fx),
            Action::Undo => self.undo(fx),
            Action::Redraw => fx.push(Effect::Redraw),
            Action::FocusNext => self.focus_next(sources),
            Action::ToggleThreads => {
                self.list.sort = match self.list.sort {
                    SortOrder::DateDesc => SortOrder::Threaded,
                    SortOrder::Threaded => SortOrder::DateDesc,
                };
                let result = self.list.reload(self.source(sources));
                self.report(result);
            }
            Action::ToggleFullscreen => self.toggle_fullscreen(sources, fx),
            Action::ToggleHeaders => self.cycle_headers(fx),
            Action::ToggleHtml => self.toggle_html(fx),
            Action::FetchRest => self.fetch_rest(fx),
            Action::Find => self.start_find(),
            // `n` in the reader: the next match, or read / unread when nothing is found.
            Action::FindNext if !self.find_active() => self.toggle_flag("\\Seen", fx),
            Action::FindNext | Action::FindPrev => self.find_step(action == Action::FindNext),
            Action::Pipe => self.start_pipe(),
            Action::FoldThread => self.fold_thread(sources),
            Action::FoldAll => self.fold_all(true, sources),
            Action::UnfoldAll => self.fold_all(false, sources),
            Action::Attachments => self.open_attachments(),
            Action::OpenAttachment => self.open_attachment(None, sources, fx),
            Action::SaveAllAttachments => self.save_all_attachments(sources, fx),
            Action::Links => self.open_links(),
            Action::CreateFolder => self.ask_create_folder(),
            Action::RenameFolder => self.ask_rename_folder(),
            Action::DeleteFolder => self.ask_delete_folder(None),
            Action::ToggleSubscribed => self.toggle_subscribed(fx),
            Action::ToggleAllFolders => self.show_all_folders(!self.folders.show_all, sources),
            _ => match self.focus {
                Focus::Folders => self.folders_action(action, sources, fx),
                Focus::List => self.list_action(action, sources, fx),
                Focus::Reader => self.reader_action(action, sources, fx),
            },
        }
    }

    fn folders_action(&mut self, action: Action, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        if self.views_action(action, sources, fx) {
            return;
        }
        let page = self.folders_height() as i32;
        match action {
            Action::Next => self.folders.step(1),
            Action::Prev => self.folders.step(-1),
            Action::PageDown => self.folders.step(page),
            Action::PageUp => self.folders.step(-page),
            Action::HalfPageDown => self.folders.step(page / 2),
            Action::HalfPageUp => self.folders.step(-page / 2),
            Action::First => self.folders.first(),
            Action::Last => self.folders.last(),
            Action::CenterCursor => {
                self.folders.scroll = self.folders.cursor.saturating_sub(page as usize / 2);
            }
            Action::Open => {
                if let Some((account, name)) =
                    self.folders.current().map(|r| (r.account, r.name.clone()))
                {
                    self.select_folder(account, &name, sources, fx);
                }
            }
            _ => {}
        }
        self.folders.fit(page as usize);
    }

    /// Opens `account`'s folder from the cache at once and tells that account's engine to
    /// sync it.
    pub(super) fn select_folder(
        &mut self,
        account: usize,
        name: &str,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        if self.open_folder(account, name, sources) {
            self.focus = Focus::List;
            self.layout(sources);
            fx.push(Effect::Engine(
                AccountId(account),
                EngineCommand::SelectFolder(name.to_string()),
            ));
        }
    }

    fn list_action(&mut self, action: Action, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        let page = i64::from(self.list.height);
        let result = match action {
            Action::Next => self.list.move_by(1, self.source(sources)),
            Action::Prev => self.list.move_by(-1, self.source(sources)),
            Action::NextUnread | Action::PrevUnread => {
                self.jump_unread(action == Action::NextUnread, sources);
                Ok(())
            }
            // With the reader open, paging reads on (Space pages the message).
            Action::PageDown | Action::PageUp if self.reader.is_some() => {
                self.reader_action(action, sources, fx);
                return;
            }
            Action::PageDown => self.list.move_by(page, self.source(sources)),
            Action::PageUp => self.list.move_by(-page, self.source(sources)),
            Action::HalfPageDown => self.list.move_by(page / 2, self.source(sources)),
            Action::HalfPageUp => self.list.move_by(-page / 2, self.source(sources)),
            Action::First => self.list.move_to(0, self.source(sources)),
            Action::Last => self.list.move_to(i64::MAX, self.source(sources)),
            Action::CenterCursor => self.list.center(self.source(sources)),
            Action::ScrollDown | Action::ScrollUp => {
                self.reader_action(action, sources, fx);
                return;
            }
            Action::Open => {
                self.open_reader(sources, fx);
                return;
            }
            _ => Ok(()),
        };
        self.report(result);
        self.follow_cursor(sources, fx);
    }

    fn reader_action(&mut self, action: Action, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        let (total, height) = self.reader_extent();
        let Some(reader) = &mut self.reader else {
            return;
        };
        let page = i64::from(height.saturating_sub(1).max(1));
        match action {
            Action::ScrollDown => reader.scroll_by(1, total, height),
            Action::ScrollUp => reader.scroll_by(-1, total, height),
            // At the end of a message, paging on reads the next one (as in mutt).
            Action::PageDown if reader.scroll + height >= total && !reader.is_loading() => {
                let result = self.list.move_by(1, self.source(sources));
                self.report(result);
                self.follow_cursor(sources, fx);
            }
            Action::PageDown => reader.scroll_by(page, total, height),
            Action::PageUp => reader.scroll_by(-page, total, height),
            Action::HalfPageDown => reader.scroll_by(page / 2, total, height),
            Action::HalfPageUp => reader.scroll_by(-page / 2, total, height),
            Action::First => reader.scroll = 0,
            Action::Last => reader.scroll_by(i64::from(total), total, height),
            Action::Next | Action::Prev => {
                let delta = if action == Action::Next { 1 } else { -1 };
                let result = self.list.move_by(delta, self.source(sources));
                self.report(result);
                self.follow_cursor(sources, fx);
            }
            Action::NextUnread | Action::PrevUnread => {
                self.jump_unread(action == Action::NextUnread, sources);
                self.follow_cursor(sources, fx);
            }
            _ => {}
        }
    }

    fn jump_unread(&mut self, forward: bool, sources: &dyn Sources) {
        let found = self.list.find_unread(forward, self.source(sources));
        match self.report(found) {
            Some(Some(i)) => {
                let result = self.list.move_to(i64::from(i), self.source(sources));
                self.report(result);
            }
            Some(None) => self.status.note("no more unread messages"),
            None => {}
        }
    }

    /// Lines in the reader and its height, for scrolling.
    pub(super) fn reader_extent(&self) -> (u32, u32) {
        let areas = super::layout::areas(&self.view());
        let height = areas.reader_inner.map_or(1, |r| u32::from(r.height));
        let total = self
            .reader
            .as_ref()
            .map_or(0, |r| super::reader_lines::line_count(r) as u32);
        (total, height)
    }

    fn folders_height(&self) -> u16 {
        super::layout::areas(&self.view())
            .folders_inner
            .map_or(1, |r| r.height.max(1))
    }

    /// Opens the reader on the cursor's message; on the message already shown, goes full
    /// screen.
    fn open_reader(&mut self, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        let Some(row) = self.list.current().cloned() else {
            return;
        };
        if self.reader_shows(&row)
            && let Some(reader) = &mut self.reader
        {
            reader.fullscreen = true;
            self.focus = Focus::Reader;
            self.layout(sources);
            return;
        }
        self.show_message(row, Duration::ZERO, sources, fx);
    }

    /// In split view the reader shows whatever the list cursor is on.
    pub(super) fn follow_cursor(&mut self, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        if self.reader.is_none() {
            return;
        }
        match self.list.current() {
            Some(row) if !self.reader_shows(row) => {
                let row = row.clone();
                self.show_message(row, BODY_DEBOUNCE, sources, fx);
            }
            _ => {}
        }
    }

    /// Shows `row` in the reader: from the cache if the body is there, else loading with a
    /// fetch due after `delay` (latest wins: a due message for another uid is ignored).
    fn show_message(
        &mut self,
        row: crate::domain::message::MessageRow,
        delay: Duration,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        // A search result: its own folder and account, its real UID.
        let (account, id, name, row) = match self.hit_of(&row) {
            Some(hit) => match hit.folder_id {
                Some(id) if hit.cached => (hit.account, id, hit.folder, hit.row),
                _ => {
                    self.open_uncached(&hit, fx);
                    return;
                }
            },
            None => match self.list.folder.clone() {
                Some(OpenFolder { account, id, name }) => (account, id, name, row),
                None => return,
            },
        };
        let html = self.parts.html_for(row.from_addr.as_deref());
        match &mut self.reader {
            Some(reader) => reader.show(account, id, &name, row),
            None => self.reader = Some(ReaderState::new(account, id, &name, row, 80)),
        }
        if let Some(reader) = &mut self.reader {
            reader.prefer_html = html;
        }
        // Wrap width depends on the split; fix it before rendering the body.
        self.layout(sources);
        let uid = self.reader.as_ref().map_or(0, |r| r.uid);
        if self.load_body(sources) {
            self.body_shown(fx);
        } else {
            fx.push(Effect::FetchBodyAfter {
                delay,
                account,
                folder: name,
                uid,
            });
        }
    }

    /// Renders the reader's body from the cache; false when it is not cached yet.
    pub(super) fn load_body(&mut self, sources: &dyn Sources) -> bool {
        let Some(reader) = &self.reader else {
            return false;
        };
        let account = reader.account;
        let source = source_of(sources, account);
        let shown = source.shown(reader.folder_id, reader.uid, reader.prefer_html);
        match self.report_for(account, shown) {
            Some(Some(shown)) => {
                if let Some(reader) = &mut self.reader {
                    reader.set_shown(shown);
                }
                true
            }
            _ => {
                // The part list shows before the text arrives.
                if let Some(reader) = &mut self.reader
                    && let Ok(structure) = source.structure(reader.folder_id, reader.uid)
                {
                    reader.structure = structure;
                }
                false
            }
        }
    }

    fn toggle_fullscreen(&mut self, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        match &mut self.reader {
            Some(reader) => {
                reader.fullscreen = !reader.fullscreen;
                self.focus = if reader.fullscreen {
                    Focus::Reader
                } else {
                    Focus::List
                };
                self.layout(sources);
            }
            None => {
                self.open_reader(sources, fx);
                if let Some(reader) = &mut self.reader {
                    reader.fullscreen = true;
                    self.focus = Focus::Reader;
                    self.layout(sources);
                }
            }
        }
    }

    fn focus_next(&mut self, sources: &dyn Sources) {
        self.focus = match self.focus {
            Focus::Folders => Focus::List,
            Focus::List if self.reader.is_some() => Focus::Reader,
            Focus::List | Focus::Reader => Focus::Folders,
        };
        if self.focus == Focus::Reader && self.reader_fullscreen() {
            // Nothing else is on screen; go round to the folders.
            self.focus = Focus::Folders;
        }
        self.layout(sources);
    }

    /// Esc: back out one level (reader, folders focus, filter); at the top it does
    /// nothing, so a stray Esc never quits.
    fn back(&mut self, sources: &dyn Sources) {
        if !self.close_pane(sources) && self.list.filter.is_some() {
            self.list.filter = None;
            let result = self.list.reload(self.source(sources));
            self.report(result);
        }
    }

    /// `q`: close the reader or leave the folders; in the list, quit (as in mutt).
    fn close(&mut self, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        if !self.close_pane(sources) {
            fx.push(Effect::Quit);
        }
    }

    /// Closes the reader, or gives the folders' focus back to the list; false if neither.
    fn close_pane(&mut self, sources: &dyn Sources) -> bool {
        if self.reader.is_some() {
            self.reader = None;
        } else if self.focus != Focus::Folders {
            return false;
        }
        self.focus = Focus::List;
        self.layout(sources);
        true
    }

    fn open_attachments(&mut self) {
        let has = self
            .reader
            .as_ref()
            .and_then(|r| r.rendered())
            .is_some_and(|m| !m.attachments.is_empty());
        if has {
            self.overlays.push(Overlay::Attachments {
                selected: 0,
                prompt: None,
            });
        } else {
            self.status.note("no attachments");
        }
    }

    /// Actions while a non-text overlay (help, attachments, messages) is on top.
    fn overlay_action(&mut self, action: Action, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        if matches!(self.overlays.last(), Some(Overlay::Links { .. })) {
            self.links_action(action, fx);
            return;
        }
        let attachments = self
            .reader
            .as_ref()
            .and_then(|r| r.rendered())
            .map_or(0, |m| m.attachments.len());
        let Some(top) = self.overlays.last_mut() else {
            return;
        };
        if let (Overlay::Attachments { selected, .. }, Action::Pipe) = (&*top, action) {
            let part = *selected;
            self.start_pipe_part(part);
            return;
        }
        if let Overlay::Attachments { selected, .. } = &*top {
            match action {
                Action::OpenAttachment => {
                    let part = *selected;
                    self.open_attachment(Some(part), sources, fx);
                    return;
                }
                Action::SaveAllAttachments => {
                    self.overlays.pop();
                    self.save_all_attachments(sources, fx);
                    return;
                }
                _ => {}
            }
        }
        let close = matches!(action, Action::Back | Action::Close)
            || matches!((&*top, action), (Overlay::Help { .. }, Action::Help));
        if close {
            self.overlays.pop();
            return;
        }
        let delta: i64 = match action {
            Action::Next | Action::ScrollDown => 1,
            Action::Prev | Action::ScrollUp => -1,
            Action::PageDown | Action::HalfPageDown => 10,
            Action::PageUp | Action::HalfPageUp => -10,
            Action::First => i64::MIN / 2,
            Action::Last => i64::MAX / 2,
            _ => 0,
        };
        match top {
            Overlay::Help { scroll }
            | Overlay::Messages { scroll }
            | Overlay::Output { scroll, .. } => {
                *scroll = (i64::from(*scroll) + delta).clamp(0, 10_000) as u32;
            }
            Overlay::Attachments { selected, prompt } => {
                let last = attachments.saturating_sub(1) as i64;
                *selected = (*selected as i64 + delta).clamp(0, last) as usize;
                if action == Action::Open {
                    let name = self
                        .reader
                        .as_ref()
                        .and_then(|r| r.rendered())
                        .and_then(|m| m.attachments.get(*selected))
                        .map_or(String::new(), |a| safe_file_name(&a.filename));
                    let path = match &self.download_dir {
                        Some(dir) => dir.join(&name).to_string_lossy().into_owned(),
                        None => name,
                    };
                    *prompt = Some(TextInput::with_text(&path));
                }
            }
            Overlay::Command(_)
            | Overlay::Filter { .. }
            | Overlay::Picker(_)
            | Overlay::Keyword { .. }
            | Overlay::Confirm { .. }
            | Overlay::Prompt { .. }
            | Overlay::Links { .. }
            | Overlay::FolderName(_)
            | Overlay::FolderConfirm(_) => {}
        }
    }
}

/// A default save name: the attachment's own name without directories, hidden-file dots
/// or terminal controls.
fn safe_file_name(name: &str) -> String {
    let name = crate::domain::text::sanitize(name);
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let base = base.trim_start_matches('.').trim();
    if base.is_empty() {
        "attachment".into()
    } else {
        base.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn save_names_keep_no_directories_dots_or_controls() {
        assert_eq!(
            safe_file_name("../../.ssh/authorized_keys"),
            "authorized_keys"
        );
        assert_eq!(safe_file_name("..\\evil.bat"), "evil.bat");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("re\x1b[31mport\x07.pdf"), "report.pdf");
        assert_eq!(safe_file_name("/"), "attachment");
    }
}
