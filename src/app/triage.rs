//! Acting on messages: flag and read toggles, and marking read on open. The change shows at
//! once: the runtime writes it to the cache and the journal, the engine sends it.

use std::time::Duration;

use super::{Effect, Focus, Model};
use crate::domain::message::MessageRow;
use crate::sync::journal::Act;

impl Model {
    /// The message an action applies to: the one in the reader when it has the focus or
    /// fills the screen, else the row under the cursor.
    fn target(&self) -> Option<(usize, String, MessageRow)> {
        if let Some(reader) = &self.reader
            && (self.focus == Focus::Reader || reader.fullscreen)
        {
            return Some((reader.account, reader.folder.clone(), reader.row.clone()));
        }
        let folder = self.list.folder.as_ref()?;
        let row = self.list.current()?;
        Some((folder.account, folder.name.clone(), row.clone()))
    }

    /// The UIDs an action applies to: the tagged ones after `;`, else the target's.
    fn target_uids(&mut self, row: &MessageRow) -> Vec<u32> {
        if std::mem::take(&mut self.apply_to_tagged) && !self.list.tagged.is_empty() {
            let uids = self.list.tagged.iter().copied().collect();
            self.list.tagged.clear();
            return uids;
        }
        vec![row.uid]
    }

    /// `t` tags the cursor row, `T` the rows of its thread that are loaded; again untags.
    pub(super) fn tag(&mut self, thread: bool) {
        let Some(row) = self.list.current().cloned() else {
            return;
        };
        let uids: Vec<u32> = if thread {
            self.list
                .window
                .rows
                .iter()
                .filter(|r| r.thread_id == row.thread_id)
                .map(|r| r.uid)
                .collect()
        } else {
            vec![row.uid]
        };
        let untag = self.list.tagged.contains(&row.uid);
        for uid in uids {
            if untag {
                self.list.tagged.remove(&uid);
            } else {
                self.list.tagged.insert(uid);
            }
        }
        self.status.note = Some(format!("{} tagged", self.list.tagged.len()));
    }

    /// `;`: the next action applies to every tagged message.
    pub(super) fn arm_tagged(&mut self) {
        if self.list.tagged.is_empty() {
            self.status.error("no tagged messages");
        } else {
            self.apply_to_tagged = true;
            self.status.note = Some(format!(
                "{} tagged: next action applies to all",
                self.list.tagged.len()
            ));
        }
    }

    pub(super) fn toggle_flag(&mut self, flag: &str, fx: &mut Vec<Effect>) {
        let Some((account, folder, row)) = self.target() else {
            self.status.error("no message to act on");
            return;
        };
        let uids = self.target_uids(&row);
        let set = row
            .flags
            .to_imap()
            .iter()
            .any(|f| f.eq_ignore_ascii_case(flag));
        let (add, remove) = if set {
            (Vec::new(), vec![flag.to_string()])
        } else {
            (vec![flag.to_string()], Vec::new())
        };
        for &uid in &uids {
            self.note_flags(uid, &add, &remove);
        }
        fx.push(Effect::Act {
            account,
            folder,
            uids,
            act: Act::Flags { add, remove },
        });
    }

    /// Delete (to the Trash) or archive the message; the list re-reads once it is done.
    pub(super) fn file_away(&mut self, act: Act, fx: &mut Vec<Effect>) {
        let Some((account, folder, row)) = self.target() else {
            self.status.error("no message to act on");
            return;
        };
        let uids = self.target_uids(&row);
        // The reader showed one of these messages; it is leaving the folder.
        if self.reader.as_ref().is_some_and(|r| uids.contains(&r.uid)) {
            self.reader = None;
            self.focus = Focus::List;
        }
        fx.push(Effect::Act {
            account,
            folder,
            uids,
            act,
        });
    }

    /// Shows a change at once in the reader's copy of the row (the list re-reads the cache
    /// when the runtime reports the folder changed).
    fn note_flags(&mut self, uid: u32, add: &[String], remove: &[String]) {
        if let Some(reader) = &mut self.reader
            && reader.uid == uid
        {
            let mut names = reader.row.flags.to_imap();
            names.retain(|f| !remove.iter().any(|r| r.eq_ignore_ascii_case(f)));
            names.extend(add.iter().cloned());
            reader.row.flags = crate::domain::message::Flags::from_imap(&names);
        }
    }

    /// The body is on screen: start the mark-read delay for an unread message.
    pub(super) fn body_shown(&mut self, fx: &mut Vec<Effect>) {
        let (Some(reader), Some(delay)) = (&self.reader, self.mark_read_after) else {
            return;
        };
        if reader.row.flags.seen() {
            return;
        }
        let (account, folder, uid) = (reader.account, reader.folder.clone(), reader.uid);
        if delay == Duration::ZERO {
            self.note_flags(uid, &["\\Seen".to_string()], &[]);
            fx.push(seen(account, folder, uid));
        } else {
            fx.push(Effect::MarkReadAfter {
                delay,
                account,
                folder,
                uid,
            });
        }
    }

    /// Marks read only if the message is still open and still unread.
    pub(super) fn mark_read_due(
        &mut self,
        account: usize,
        folder: &str,
        uid: u32,
        fx: &mut Vec<Effect>,
    ) {
        if let Some(reader) = &self.reader
            && reader.account == account
            && reader.folder == folder
            && reader.uid == uid
            && !reader.row.flags.seen()
        {
            self.note_flags(uid, &["\\Seen".to_string()], &[]);
            fx.push(seen(account, folder.to_string(), uid));
        }
    }
}

fn seen(account: usize, folder: String, uid: u32) -> Effect {
    Effect::Act {
        account,
        folder,
        uids: vec![uid],
        act: Act::Flags {
            add: vec!["\\Seen".to_string()],
            remove: Vec::new(),
        },
    }
}
