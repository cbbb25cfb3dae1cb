//! Folded threads (`z` one, `Alt-z` all): a folded thread shows as its first message only,
//! with how many messages and unread ones it holds. Folding is a list filter (the cache
//! keeps `thread_pos = 0` rows of folded threads), so it stays one indexed query at any
//! size and navigation never lands on a hidden row.

use std::collections::BTreeSet;

use super::{Model, Sources};
use crate::domain::folder::SortOrder;

/// Which threads are folded: all but `except`, or only `except`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Folds {
    pub all: bool,
    pub except: BTreeSet<i64>,
}

impl Folds {
    pub fn is_folded(&self, thread_id: i64) -> bool {
        self.all != self.except.contains(&thread_id)
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.except.is_empty()
    }

    pub fn toggle(&mut self, thread_id: i64) {
        if !self.except.remove(&thread_id) {
            self.except.insert(thread_id);
        }
    }
}

impl Model {
    /// `z`: folds the cursor's thread onto its first message, or unfolds it.
    pub(super) fn fold_thread(&mut self, sources: &dyn Sources) {
        if self.list.sort != SortOrder::Threaded {
            self.status.note("threads are off (Z shows threads)");
            return;
        }
        let Some(row) = self.list.current().cloned() else {
            return;
        };
        let Some(folder) = self.list.folder.as_ref().map(|f| f.id) else {
            return;
        };
        // Keep the cursor on the thread: on its first message once folded.
        let root = self.list_reads(sources).thread_uids(folder, row.thread_id);
        let Some(uids) = self.report(root) else {
            return;
        };
        if uids.len() < 2 {
            self.status.note("a single message: nothing to fold");
            return;
        }
        self.list.folds.toggle(row.thread_id);
        if self.list.folds.is_folded(row.thread_id) {
            self.list.anchor = uids.first().copied();
        }
        let result = self.list.reload(self.source(sources));
        self.report(result);
    }

    /// `Alt-z` (`fold_all`): folds every thread, or unfolds them all when all are folded;
    /// `unfold` (`unfold_all`) always unfolds.
    pub(super) fn fold_all(&mut self, fold: bool, sources: &dyn Sources) {
        if self.list.sort != SortOrder::Threaded {
            self.status.note("threads are off (Z shows threads)");
            return;
        }
        let all_folded = self.list.folds.all && self.list.folds.except.is_empty();
        let fold = fold && !all_folded;
        // The cursor's message may be hidden: stay on its thread's first message.
        if fold
            && let (Some(row), Some(folder)) = (
                self.list.current().cloned(),
                self.list.folder.as_ref().map(|f| f.id),
            )
            && let Ok(uids) = self.list_reads(sources).thread_uids(folder, row.thread_id)
        {
            self.list.anchor = uids.first().copied();
        }
        self.list.folds = Folds {
            all: fold,
            except: BTreeSet::new(),
        };
        self.status.note(if fold {
            "every thread folded (z unfolds one)"
        } else {
            "every thread unfolded"
        });
        let result = self.list.reload(self.source(sources));
        self.report(result);
    }
}
