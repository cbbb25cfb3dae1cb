//! What the engine reports: re-read only what changed, keep the cursor on its message,
//! announce new mail, and finish latest-wins body fetches.

use super::{Effect, MailSource, Model};
use crate::bus::EngineEvent;
use crate::sync::watch::EngineCommand;

impl Model {
    pub(super) fn engine_event(
        &mut self,
        event: EngineEvent,
        source: &dyn MailSource,
        fx: &mut Vec<Effect>,
    ) {
        match event {
            EngineEvent::Conn(state) => self.status.conn = state,
            EngineEvent::FolderChanged { folder } => {
                if self.list.folder.as_ref().is_some_and(|f| f.name == folder) {
                    let result = self.list.reload(source);
                    self.report(result);
                }
                self.folders_changed(source, fx);
            }
            EngineEvent::FoldersChanged => self.folders_changed(source, fx),
            EngineEvent::BodyReady { folder, uid } => {
                if self.reader_waits_for(&folder, uid) {
                    self.load_body(source);
                }
            }
            EngineEvent::Error(message) => self.status.error(message),
        }
    }

    /// The debounce ran out: fetch unless the reader moved on or the body arrived.
    pub(super) fn body_due(
        &mut self,
        folder: &str,
        uid: u32,
        source: &dyn MailSource,
        fx: &mut Vec<Effect>,
    ) {
        if self.reader_waits_for(folder, uid) && !self.load_body(source) {
            fx.push(Effect::Engine(EngineCommand::FetchBody {
                folder: folder.to_string(),
                uid,
            }));
        }
    }

    fn reader_waits_for(&self, folder: &str, uid: u32) -> bool {
        self.reader
            .as_ref()
            .is_some_and(|r| r.uid == uid && r.folder == folder && r.is_loading())
    }

    fn folders_changed(&mut self, source: &dyn MailSource, fx: &mut Vec<Effect>) {
        self.refresh_folders(source);
        let unseen = self.inbox_unseen();
        let before = self.announced_unseen.replace(unseen);
        if before == Some(unseen) {
            return;
        }
        if self.notify.bell && before.is_some_and(|b| unseen > b) {
            fx.push(Effect::Bell);
        }
        if self.notify.title {
            fx.push(Effect::SetTitle(self.title()));
        }
    }

    /// The terminal title: account and unread count (sanitized: names come from config).
    pub fn title(&self) -> String {
        let unseen = self.inbox_unseen();
        let account = crate::domain::text::sanitize(&self.account);
        if unseen == 0 {
            format!("tern · {account}")
        } else {
            format!("tern · {account} · {unseen} unread")
        }
    }
}
