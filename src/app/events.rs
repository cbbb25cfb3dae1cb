//! What the engines report: re-read only what changed, keep the cursor on its message,
//! announce new mail, and finish latest-wins body fetches. Every event names its account;
//! an event of one account never re-reads another's cache.

use super::{Effect, Model, Sources};
use crate::bus::EngineEvent;
use crate::sync::watch::EngineCommand;

impl Model {
    pub(super) fn engine_event(
        &mut self,
        account: usize,
        event: EngineEvent,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        match event {
            EngineEvent::Conn(state) => {
                if let Some(a) = self.accounts.get_mut(account) {
                    a.conn = state;
                }
            }
            EngineEvent::FolderChanged { folder } => {
                if self
                    .list
                    .folder
                    .as_ref()
                    .is_some_and(|f| f.account == account && f.name == folder)
                {
                    let result = self.list.refresh(self.source(sources));
                    self.report(result);
                }
                self.folders_changed(account, sources, fx);
            }
            EngineEvent::FoldersChanged => self.folders_changed(account, sources, fx),
            EngineEvent::BodyReady { folder, uid } => {
                if self.reader_waits_for(account, &folder, uid) && self.load_body(sources) {
                    self.body_shown(fx);
                }
            }
            EngineEvent::Error(message) => self.account_error(account, &message),
        }
    }

    /// The debounce ran out: fetch unless the reader moved on or the body arrived.
    pub(super) fn body_due(
        &mut self,
        account: usize,
        folder: &str,
        uid: u32,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        if !self.reader_waits_for(account, folder, uid) {
            return;
        }
        if self.load_body(sources) {
            self.body_shown(fx);
        } else {
            fx.push(Effect::Engine(
                account,
                EngineCommand::FetchBody {
                    folder: folder.to_string(),
                    uid,
                },
            ));
        }
    }

    fn reader_waits_for(&self, account: usize, folder: &str, uid: u32) -> bool {
        self.reader.as_ref().is_some_and(|r| {
            r.account == account && r.uid == uid && r.folder == folder && r.is_loading()
        })
    }

    fn folders_changed(&mut self, account: usize, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        self.refresh_folders(account, sources);
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

    /// The terminal title: the account (when there is one) and the unread count of every
    /// inbox (sanitized: names come from config).
    pub fn title(&self) -> String {
        let unseen = self.inbox_unseen();
        let name = match &self.accounts[..] {
            [only] => format!(" · {}", crate::domain::text::sanitize(&only.name)),
            _ => String::new(),
        };
        if unseen == 0 {
            format!("tern{name}")
        } else {
            format!("tern{name} · {unseen} unread")
        }
    }
}
