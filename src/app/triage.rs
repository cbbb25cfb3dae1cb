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

    pub(super) fn toggle_flag(&mut self, flag: &str, fx: &mut Vec<Effect>) {
        let Some((account, folder, row)) = self.target() else {
            self.status.error("no message to act on");
            return;
        };
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
        self.note_flags(row.uid, &add, &remove);
        fx.push(Effect::Act {
            account,
            folder,
            uids: vec![row.uid],
            act: Act::Flags { add, remove },
        });
    }

    /// Delete (to the Trash) or archive the message; the list re-reads once it is done.
    pub(super) fn file_away(&mut self, act: Act, fx: &mut Vec<Effect>) {
        let Some((account, folder, row)) = self.target() else {
            self.status.error("no message to act on");
            return;
        };
        // The reader showed this message; it is leaving the folder.
        if self.reader.as_ref().is_some_and(|r| r.uid == row.uid) {
            self.reader = None;
            self.focus = Focus::List;
        }
        fx.push(Effect::Act {
            account,
            folder,
            uids: vec![row.uid],
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
