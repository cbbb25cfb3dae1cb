//! User actions in the runtime: each is written to its account's cache and journal at
//! once (one quick transaction on the writer thread), then the engine is told to send it.
//! The last one is kept so `u` can take it back.

use crate::app::Msg;
use crate::bus::EngineEvent;
use crate::config::Filing;
use crate::domain::uidset::UidSet;
use crate::store::Store;
use crate::sync::journal::{self, Act};
use crate::sync::undo::{self, Undo};
use crate::sync::watch::EngineCommand;

/// What the runtime needs of one account to act on it.
pub(super) struct Target<'a> {
    pub account: usize,
    pub store: &'a Store,
    pub filing: &'a Filing,
    pub engine: Option<&'a tokio::sync::mpsc::UnboundedSender<EngineCommand>>,
}

#[derive(Default)]
pub(super) struct Triage {
    last: Option<(usize, Undo)>,
}

impl Triage {
    /// Records `act`; returns what the model must hear (errors, changed folders).
    pub async fn act(
        &mut self,
        to: Target<'_>,
        folder: String,
        uids: UidSet,
        act: Act,
    ) -> Vec<Msg> {
        let account = to.account;
        // The folder's UIDVALIDITY as cached now (the rows shown came from it).
        let shown = to
            .store
            .reader()
            .and_then(|r| r.folder(&folder))
            .ok()
            .flatten()
            .and_then(|f| f.uidvalidity)
            .unwrap_or(0);
        let recorded = journal::record(to.store, &folder, shown, uids, act, to.filing).await;
        let mut replies = match recorded {
            Ok(recorded) => {
                if let Some(undo) = recorded.undo {
                    self.last = Some((account, undo));
                }
                send(&to, EngineCommand::Replay);
                vec![Msg::Engine(account, EngineEvent::FoldersChanged)]
            }
            Err(err) => vec![Msg::Error(format!("not done: {err}"))],
        };
        replies.push(Msg::Engine(account, EngineEvent::FolderChanged { folder }));
        replies
    }

    /// The account the last action was on, if there is one to undo.
    pub fn last_account(&self) -> Option<usize> {
        self.last.as_ref().map(|(account, _)| *account)
    }

    /// Takes back the last action; undoing again redoes it when that is an action too.
    pub async fn undo(&mut self, to: Target<'_>) -> Vec<Msg> {
        let Some((account, last)) = self.last.take() else {
            return vec![Msg::Error("nothing to undo".into())];
        };
        match undo::undo(to.store, last.clone()).await {
            Ok(done) => {
                self.last = done.redo.map(|redo| (account, redo));
                send(&to, EngineCommand::Replay);
                if done.needs_sync {
                    send(&to, EngineCommand::SyncNow);
                }
                let mut replies = vec![Msg::Engine(account, EngineEvent::FoldersChanged)];
                replies.extend(
                    done.folders
                        .into_iter()
                        .map(|folder| Msg::Engine(account, EngineEvent::FolderChanged { folder })),
                );
                replies.push(Msg::Note(done.summary));
                replies
            }
            Err(err) => {
                // Kept: "being sent, try again" must stay possible.
                self.last = Some((account, last));
                vec![Msg::Error(err.to_string())]
            }
        }
    }
}

fn send(to: &Target<'_>, command: EngineCommand) {
    if let Some(engine) = to.engine {
        let _ = engine.send(command);
    }
}
