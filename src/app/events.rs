//! What the engines report: re-read only what changed, keep the cursor on its message,
//! announce new mail, and finish latest-wins body fetches. Every event names its account;
//! an event of one account never re-reads another's cache.

use super::reader::Body;
use super::{Effect, Model, NewMail, Sources, source_of};
use crate::bus::EngineCommand;
use crate::bus::EngineEvent;
use crate::domain::folder::SortOrder;
use crate::domain::ids::{AccountId, MsgKey, Uid, UidValidity};

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
                self.results_account_changed(account, sources);
                self.folders_changed(account, sources, fx);
                if self.announce_folders.contains(&folder)
                    && let Some(news) = self.new_mail(account, &folder, sources)
                {
                    fx.push(Effect::NewMail(news));
                }
            }
            EngineEvent::FoldersChanged => self.folders_changed(account, sources, fx),
            EngineEvent::SearchFound { op, hits, skipped } => {
                self.search_found(account, op, hits, skipped, sources);
            }
            EngineEvent::BodyReady { folder, uid } => {
                if self.reader_waits_for(account, &folder, uid) && self.load_body(sources) {
                    self.body_shown(fx);
                }
            }
            EngineEvent::StructureReady { folder, uid } => {
                // The part list shows while the text is still on its way.
                if self.reader_waits_for(account, &folder, uid) && self.load_body(sources) {
                    self.body_shown(fx);
                }
            }
            EngineEvent::PartReady { op, .. } => self.part_ready(account, op, sources, fx),
            EngineEvent::Error(message) => self.account_error(account, &message),
            EngineEvent::OpDone { op, summary, .. } => {
                // Besides folder changes, only actions and undos are answered with OpDone:
                // `u` goes to this account.
                if !self.folder_request_done(op, sources) {
                    self.undo_account = Some(account);
                }
                if !summary.is_empty() {
                    self.status.note(summary);
                }
            }
            EngineEvent::OpFailed { op, message, .. } => {
                self.folder_request_failed(op);
                if let Some(reader) = &mut self.reader
                    && reader.account == account
                    && reader.fetch == Some(op)
                    && reader.is_loading()
                {
                    reader.body = Body::Error(message.clone());
                }
                self.account_error(account, &message);
                self.search_failed(op, sources);
            }
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
        } else if let Some(uidvalidity) = self.reader.as_ref().map(|r| r.row.uidvalidity) {
            let op = self.next_op();
            if let Some(reader) = &mut self.reader {
                reader.fetch = Some(op);
            }
            let key = MsgKey {
                folder: folder.to_string(),
                uidvalidity: UidValidity(uidvalidity),
                uid: Uid(uid),
            };
            fx.push(Effect::Engine(
                AccountId(account),
                EngineCommand::FetchBody { op, key },
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
        self.count_views(sources);
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

    /// Unread messages of `folder` with a UID above the highest seen so far. The first look
    /// at a folder only notes where it stands: what was there before is not news.
    pub(super) fn new_mail(
        &mut self,
        account: usize,
        folder: &str,
        sources: &dyn Sources,
    ) -> Option<NewMail> {
        /// Newest rows looked at: new mail sorts first (by date).
        const LOOK: u32 = 50;
        let id = self.folders.state(account, folder)?.id;
        let rows = source_of(sources, account)
            .window(id, SortOrder::DateDesc, None, 0, LOOK)
            .ok()?;
        let newest = rows.iter().map(|r| r.uid).max().unwrap_or(0);
        let key = (account, folder.to_string());
        let before = self.newest_uid.insert(key.clone(), newest)?;
        self.newest_uid.insert(key, newest.max(before));
        let fresh: Vec<_> = rows
            .iter()
            .filter(|r| r.uid > before && !r.flags.seen())
            .collect();
        let top = fresh.first()?;
        Some(NewMail {
            account: self.accounts.get(account)?.name.clone(),
            folder: folder.to_string(),
            count: fresh.len() as u32,
            from: top
                .from_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .or_else(|| top.from_addr.clone())
                .unwrap_or_default(),
            subject: top.subject.clone(),
        })
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
