//! One account as the runtime acts on it: an action is written to its cache and journal here
//! (one quick transaction), its engine is told to send it, and every outcome is reported as an
//! event on the account's channel, like anything else the engine says. The last action is
//! kept so `u` can take it back.

use tokio::sync::mpsc::UnboundedSender;

use super::kind::error_kind;
use super::undo::{self, Undo};
use crate::bus::{Act, EngineCommand, EngineEvent, EventSender, OpId};
use crate::config::Filing;
use crate::domain::ids::UidValidity;
use crate::domain::uidset::UidSet;
use crate::store::Store;

pub struct AccountHandle {
    store: Store,
    filing: Filing,
    /// None when the account has no engine (it reads and writes its cache only).
    commands: Option<UnboundedSender<EngineCommand>>,
    events: EventSender,
    last: Option<Undo>,
}

impl AccountHandle {
    pub fn new(
        store: Store,
        filing: Filing,
        commands: Option<UnboundedSender<EngineCommand>>,
        events: EventSender,
    ) -> Self {
        Self {
            store,
            filing,
            commands,
            events,
            last: None,
        }
    }

    /// Records `act` on `uids` of `folder` as the user saw them (`uidvalidity`), then has
    /// the engine send it. Answers `op` with `OpDone` or `OpFailed`. `joins`: this is
    /// another folder's part of the action recorded just before, so `u` takes both back.
    pub async fn record(
        &mut self,
        op: OpId,
        folder: &str,
        uidvalidity: UidValidity,
        uids: UidSet,
        act: Act,
        joins: bool,
    ) {
        let recorded =
            super::journal::record(&self.store, folder, uidvalidity.0, uids, act, &self.filing)
                .await;
        match recorded {
            Ok(recorded) => {
                if let Some(undo) = recorded.undo {
                    self.last = match (joins, self.last.take()) {
                        (true, Some(before)) => Some(before.then(undo)),
                        _ => Some(undo),
                    };
                }
                self.send();
                self.emit(EngineEvent::FoldersChanged);
                self.emit(EngineEvent::FolderChanged {
                    folder: folder.to_string(),
                });
                self.emit(EngineEvent::OpDone {
                    op,
                    summary: String::new(),
                    folders: vec![folder.to_string()],
                });
            }
            Err(err) => {
                self.emit(EngineEvent::OpFailed {
                    op,
                    kind: error_kind(&err),
                    message: format!("not done: {err}"),
                });
                // The app showed the change at once: the list reads back what is true.
                self.emit(EngineEvent::FolderChanged {
                    folder: folder.to_string(),
                });
            }
        }
    }

    /// Takes back the last action; undoing again redoes it when that is an action too.
    pub async fn undo(&mut self, op: OpId) {
        let Some(last) = self.last.take() else {
            self.emit(EngineEvent::OpFailed {
                op,
                kind: crate::bus::ErrorKind::Refused,
                message: "nothing to undo".into(),
            });
            return;
        };
        match undo::undo(&self.store, last.clone()).await {
            Ok(done) => {
                self.last = done.redo;
                self.send();
                if done.needs_sync {
                    self.command(EngineCommand::SyncNow);
                }
                self.emit(EngineEvent::FoldersChanged);
                for folder in &done.folders {
                    self.emit(EngineEvent::FolderChanged {
                        folder: folder.clone(),
                    });
                }
                self.emit(EngineEvent::OpDone {
                    op,
                    summary: done.summary,
                    folders: done.folders,
                });
            }
            Err(err) => {
                // Kept: "being sent, try again" must stay possible.
                self.last = Some(last);
                self.emit(EngineEvent::OpFailed {
                    op,
                    kind: error_kind(&err),
                    message: err.to_string(),
                });
            }
        }
    }

    /// Tells the engine new actions wait in the journal.
    pub fn send(&self) {
        self.command(EngineCommand::Replay);
    }

    /// Passes a command on to the account's engine, if it has one.
    pub fn command(&self, command: EngineCommand) {
        if let Some(commands) = &self.commands {
            let _ = commands.send(command);
        }
    }

    /// A risky setting of the account, said where the user looks.
    pub fn warn(&self, warning: &str) {
        self.emit(EngineEvent::Error(format!("warning: {warning}")));
    }

    fn emit(&self, event: EngineEvent) {
        let _ = self.events.send(event);
    }
}
