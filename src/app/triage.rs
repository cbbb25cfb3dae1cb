//! Acting on messages: flag and read toggles, and marking read on open. The change shows at
//! once: the account's handle writes it to the cache and the journal, its engine sends it.
//! Each action carries the UIDVALIDITY its messages were shown under.

use std::collections::HashSet;
use std::time::Duration;

use super::overlay::{Overlay, PendingAct};
use super::picker::FolderPicker;
use super::search::Group;
use super::source::Filter;
use super::{Effect, Focus, Model, Sources, source_of};
use crate::bus::Act;
use crate::domain::ids::{AccountId, UidValidity};
use crate::domain::message::MessageRow;

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
        if let Some(hit) = self.hit_of(row) {
            return Some((hit.account, hit.folder, hit.row));
        }
        Some((folder.account, folder.name.clone(), row.clone()))
    }

    /// The messages an action goes to, one group per folder (several only for search
    /// results). The cursor's or the reader's `row` of `folder`, or the tagged ones after `;`.
    fn target_groups(&mut self, account: usize, folder: String, row: &MessageRow) -> Vec<Group> {
        if self.list.results.is_some() {
            // The cursor's hit says whether the cache has it; the reader's message has to be.
            let cursor = self.list.current().and_then(|r| self.hit_of(r));
            let cached = cursor
                .filter(|h| h.account == account && h.folder == folder && h.row.uid == row.uid)
                .is_none_or(|h| h.cached);
            let hit = super::search::Hit {
                account,
                folder,
                folder_id: None,
                row: row.clone(),
                cached,
                gmail_id: None,
            };
            return self.result_groups(&hit);
        }
        vec![Group {
            account,
            folder,
            uidvalidity: UidValidity(row.uidvalidity),
            uids: self.target_uids(row),
        }]
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

    /// `t` tags the cursor row, `T` every cached message of its thread; again untags.
    pub(super) fn tag(&mut self, thread: bool, sources: &dyn Sources) {
        let (Some(row), Some(folder)) = (self.list.current().cloned(), self.list.folder.as_ref())
        else {
            return;
        };
        let uids = if thread {
            let found = self
                .list_reads(sources)
                .thread_uids(folder.id, row.thread_id);
            let Some(uids) = self.report(found) else {
                return;
            };
            uids
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
        self.list.last_tagged = (!untag).then_some(row.uid);
        self.note_tagged();
        // `t` moves on (as in mutt), so a run of messages is tagged with t t t.
        if !thread && self.tag_advances {
            let result = self.list.move_by(1, self.source(sources));
            self.report(result);
        }
    }

    /// Tags every message between the one tagged last and the cursor, both included.
    pub(super) fn tag_range(&mut self, sources: &dyn Sources) {
        let (Some(start), Some(folder)) = (self.list.last_tagged, self.list.folder.as_ref()) else {
            self.status
                .error("tag a message first (t), then move and tag the range");
            return;
        };
        let (id, sort, cursor) = (folder.id, self.list.sort, self.list.cursor);
        let source = self.list_reads(sources);
        let found = source.index_of(id, sort, self.list.query().as_ref(), start);
        let Some(found) = self.report(found) else {
            return;
        };
        let Some(from) = found else {
            self.status
                .error("the message tagged last is no longer in the list");
            return;
        };
        let (lo, hi) = (from.min(cursor), from.max(cursor));
        let uids = source.uids(id, sort, self.list.query().as_ref(), lo, hi - lo + 1);
        if let Some(uids) = self.report(uids) {
            self.list.tagged.extend(uids);
            self.note_tagged();
        }
    }

    /// Tags every message the list shows (the filter's matches, or the whole folder); when
    /// all are tagged already, untags them.
    pub(super) fn tag_all(&mut self, sources: &dyn Sources) {
        let Some(folder) = self.list.folder.as_ref() else {
            return;
        };
        let (id, sort, total) = (folder.id, self.list.sort, self.list.total);
        let uids = self
            .list_reads(sources)
            .uids(id, sort, self.list.query().as_ref(), 0, total);
        let Some(uids) = self.report(uids) else {
            return;
        };
        if !uids.is_empty() && uids.iter().all(|uid| self.list.tagged.contains(uid)) {
            for uid in &uids {
                self.list.tagged.remove(uid);
            }
        } else {
            self.list.tagged.extend(uids);
        }
        self.note_tagged();
    }

    fn note_tagged(&mut self) {
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
        let groups = self.target_groups(account, folder, &row);
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
        let what = match (flag, set) {
            ("\\Seen", false) => "marked read",
            ("\\Seen", true) => "marked unread",
            (_, false) => "flagged",
            (_, true) => "unflagged",
        };
        let n: usize = groups.iter().map(|g| g.uids.len()).sum();
        if n == 0 {
            return;
        }
        let accounts = groups
            .iter()
            .map(|g| g.account)
            .collect::<HashSet<_>>()
            .len();
        self.status
            .note(undo_note(format!("{n} {what}"), groups.len(), accounts));
        let first = fx.len();
        for g in groups {
            let (add, remove) = (add.clone(), remove.clone());
            self.change_flags(g.account, g.folder, g.uidvalidity, g.uids, add, remove, fx);
        }
        join_parts(&mut fx[first..]);
    }

    /// Delete, archive, move or copy the target; the list re-reads once it is done.
    /// Deleting for good is asked first.
    pub(super) fn file_away(&mut self, act: Act, fx: &mut Vec<Effect>) {
        let Some((account, folder, row)) = self.target() else {
            self.status.error("no message to act on");
            return;
        };
        let from_tags = self.apply_to_tagged && !self.list.tagged.is_empty();
        let named = matches!(act, Act::Move { .. } | Act::Copy { .. });
        if named && from_tags && self.tagged_accounts().len() > 1 {
            // The picker offered the target's account's folders only; the tags stay.
            self.apply_to_tagged = false;
            self.status
                .error("these results are in several accounts: move or copy them per account");
            return;
        }
        let mut groups = self.target_groups(account, folder, &row);
        if groups.len() > 1 {
            // Search results in several folders: one action (and journal entry) each.
            let asks = act == Act::Delete
                && groups
                    .iter()
                    .any(|g| self.delete_question(g.account, &g.folder, 1).is_some());
            if asks {
                self.status.error(
                    "some of these would be deleted for good: delete them from their folder",
                );
                return;
            }
            let (n, folders) = (
                groups.iter().map(|g| g.uids.len()).sum::<usize>(),
                groups.len(),
            );
            let accounts = groups
                .iter()
                .map(|g| g.account)
                .collect::<HashSet<_>>()
                .len();
            let first = fx.len();
            for g in groups {
                let pending = PendingAct {
                    account: g.account,
                    folder: g.folder,
                    uidvalidity: g.uidvalidity,
                    uids: g.uids,
                    act: act.clone(),
                };
                self.send_act(pending, fx);
            }
            join_parts(&mut fx[first..]);
            self.status
                .note(undo_note(format!("{n} done"), folders, accounts));
            return;
        }
        let Some(g) = groups.pop() else {
            return;
        };
        let pending = PendingAct {
            account: g.account,
            folder: g.folder,
            uidvalidity: g.uidvalidity,
            uids: g.uids,
            act,
        };
        if pending.act == Act::Delete
            && let Some(question) =
                self.delete_question(account, &pending.folder, pending.uids.len())
        {
            // A yes chooses exactly "for good": the engine must not decide it again.
            self.overlays.push(Overlay::Confirm {
                question,
                act: PendingAct {
                    act: Act::Expunge,
                    ..pending
                },
                from_tags,
            });
            return;
        }
        self.send_act(pending, fx);
    }

    /// The question to ask before a delete that removes for good (`delete = "expunge"`,
    /// inside the Trash, or no Trash at all); None when it goes to the Trash.
    fn delete_question(&self, account: usize, folder: &str, n: usize) -> Option<String> {
        let expunges = self.filing.get(account).is_some_and(|f| f.delete_expunges);
        let messages = match n {
            1 => "1 message".to_string(),
            n => format!("{n} messages"),
        };
        let trash = self.role_folder(account, "trash", |f| f.trash.clone());
        match trash {
            _ if expunges => Some(format!("Delete {messages} for good? y/n")),
            None => Some(format!(
                "No Trash folder: delete {messages} for good? y/n (set trash = \"...\" to move instead)"
            )),
            Some(trash) if trash == folder => Some(format!("Delete {messages} for good? y/n")),
            Some(_) => None,
        }
    }

    /// The folder of `role` for `account`: the configured name, else the folder the server
    /// (or the cache) gives that role.
    fn role_folder(
        &self,
        account: usize,
        role: &str,
        configured: impl Fn(&crate::config::Filing) -> Option<String>,
    ) -> Option<String> {
        self.filing.get(account).and_then(configured).or_else(|| {
            self.folders
                .rows
                .iter()
                .find(|r| r.account == account && r.selectable() && r.role.as_deref() == Some(role))
                .map(|r| r.name.clone())
        })
    }

    /// The answer to a `Confirm`: `y` sends the action, anything else drops it (and gives
    /// back the tags it would have used).
    pub(super) fn confirmed(
        &mut self,
        yes: bool,
        pending: PendingAct,
        from_tags: bool,
        fx: &mut Vec<Effect>,
    ) {
        if yes {
            self.send_act(pending, fx);
        } else {
            if from_tags {
                self.list.tagged.extend(pending.uids);
            }
            self.status.note("nothing deleted");
        }
    }

    /// Has the runtime record and send `pending`, and says what it did.
    fn send_act(&mut self, pending: PendingAct, fx: &mut Vec<Effect>) {
        let PendingAct {
            account,
            folder,
            uidvalidity,
            uids,
            act,
        } = pending;
        let leaves = !matches!(act, Act::Copy { .. } | Act::Flags { .. });
        // The reader showed one of these messages; it is leaving the folder.
        if leaves && self.reader.as_ref().is_some_and(|r| uids.contains(&r.uid)) {
            self.reader = None;
            self.focus = Focus::List;
        }
        let n = uids.len();
        let done = match &act {
            Act::Expunge => format!("{n} deleted for good"),
            Act::Delete => format!("{n} deleted · u undo"),
            Act::Archive => match self.role_folder(account, "archive", |f| f.archive.clone()) {
                Some(to) => format!("{n} moved to {to} · u undo"),
                None => format!("{n} archived · u undo"),
            },
            Act::Junk => match self.role_folder(account, "junk", |f| f.junk.clone()) {
                Some(to) => format!("{n} moved to {to} · u undo"),
                None => format!("{n} filed as junk · u undo"),
            },
            Act::Move { to } => format!("{n} moved to {to} · u undo"),
            Act::Copy { to } => format!("{n} copied to {to} · u undo"),
            Act::Flags { .. } => String::new(),
        };
        if !done.is_empty() {
            self.status.note(done);
        }
        let op = self.next_op();
        fx.push(Effect::Act {
            op,
            account: AccountId(account),
            folder,
            uidvalidity,
            uids,
            act,
            joins: false,
        });
    }

    /// `m` / `c`: the picker, for the open folder's account.
    pub(super) fn open_picker(&mut self, copy: bool) {
        let Some((account, folder, _)) = self.target() else {
            self.status.error("no message to act on");
            return;
        };
        self.overlays
            .push(Overlay::Picker(FolderPicker::new(copy, account, &folder)));
    }

    /// The picker chose `to`: move (or copy) the target there.
    pub(super) fn picked(&mut self, copy: bool, to: String, fx: &mut Vec<Effect>) {
        let act = if copy {
            Act::Copy { to }
        } else {
            Act::Move { to }
        };
        self.file_away(act, fx);
    }

    /// The keyword prompt was submitted: words to add (or remove) on the target.
    pub(super) fn keywords(&mut self, add: bool, text: &str, fx: &mut Vec<Effect>) {
        if add {
            self.keyword_change(text, "", fx);
        } else {
            self.keyword_change("", text, fx);
        }
    }

    /// Adds and removes the flags named by the space-separated words on the target.
    pub(super) fn keyword_change(&mut self, add: &str, remove: &str, fx: &mut Vec<Effect>) {
        let parse = |text: &str| -> Result<Vec<String>, String> {
            text.split_whitespace()
                .map(crate::domain::flag_word::imap_flag)
                .collect()
        };
        let (add, remove) = match (parse(add), parse(remove)) {
            (Ok(add), Ok(remove)) if !add.is_empty() || !remove.is_empty() => (add, remove),
            (Err(why), _) | (_, Err(why)) => {
                self.apply_to_tagged = false;
                self.status.error(why);
                return;
            }
            _ => {
                self.apply_to_tagged = false;
                self.status.error("no keyword given; nothing changed");
                return;
            }
        };
        let Some((account, folder, row)) = self.target() else {
            self.status.error("no message to act on");
            return;
        };
        for g in self.target_groups(account, folder, &row) {
            let (add, remove) = (add.clone(), remove.clone());
            self.change_flags(g.account, g.folder, g.uidvalidity, g.uids, add, remove, fx);
        }
    }

    /// Marks every cached message of the target's thread read.
    pub(super) fn mark_thread_read(&mut self, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        let Some((account, folder, row)) = self.target() else {
            self.status.error("no message to act on");
            return;
        };
        let Some(id) = self.folders.state(account, &folder).map(|f| f.id) else {
            return;
        };
        let found = source_of(sources, account).thread_uids(id, row.thread_id);
        if let Some(uids) = self.report_for(account, found) {
            let uidvalidity = UidValidity(row.uidvalidity);
            self.mark_read(account, folder, uidvalidity, uids, fx);
        }
    }

    /// Marks every unread message of the open folder read (one command for the server).
    pub(super) fn mark_folder_read(&mut self, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        if self.list.results.is_some() {
            self.status
                .error("search results are no folder: tag them (T all), then ; and the action");
            return;
        }
        let Some(folder) = self.list.folder.clone() else {
            return;
        };
        let unread = Filter {
            text: String::new(),
            unread_only: true,
            flagged_only: false,
            folds: Default::default(),
        };
        let source = source_of(sources, folder.account);
        let found = source
            .count(folder.id, Some(&unread))
            .and_then(|n| source.uids(folder.id, self.list.sort, Some(&unread), 0, n));
        let Some(uids) = self.report_for(folder.account, found) else {
            return;
        };
        // The folder as the list shows it; one never synced has no messages to mark.
        let shown = self.folders.state(folder.account, &folder.name);
        match shown.and_then(|f| f.uidvalidity) {
            Some(uidvalidity) => {
                let uidvalidity = UidValidity(uidvalidity);
                self.mark_read(folder.account, folder.name, uidvalidity, uids, fx);
            }
            None => self.status.note = Some("nothing unread".into()),
        }
    }

    fn mark_read(
        &mut self,
        account: usize,
        folder: String,
        uidvalidity: UidValidity,
        uids: Vec<u32>,
        fx: &mut Vec<Effect>,
    ) {
        if uids.is_empty() {
            self.status.note = Some("nothing unread".into());
            return;
        }
        self.status
            .note(format!("{} marked read · u undo", uids.len()));
        self.change_flags(
            account,
            folder,
            uidvalidity,
            uids,
            seen_flag(),
            Vec::new(),
            fx,
        );
    }

    /// Shows a flag change at once and has the runtime record and send it.
    #[allow(clippy::too_many_arguments)]
    fn change_flags(
        &mut self,
        account: usize,
        folder: String,
        uidvalidity: UidValidity,
        uids: Vec<u32>,
        add: Vec<String>,
        remove: Vec<String>,
        fx: &mut Vec<Effect>,
    ) {
        for &uid in &uids {
            self.note_flags(uid, &add, &remove);
        }
        let op = self.next_op();
        fx.push(Effect::Act {
            op,
            account: AccountId(account),
            folder,
            uidvalidity,
            uids,
            act: Act::Flags { add, remove },
            joins: false,
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
        self.fetch_preferred_part(fx);
        let (Some(reader), Some(delay)) = (&self.reader, self.mark_read_after) else {
            return;
        };
        if reader.row.flags.seen() {
            return;
        }
        let (account, folder, uid) = (reader.account, reader.folder.clone(), reader.uid);
        if delay == Duration::ZERO {
            let uidvalidity = UidValidity(reader.row.uidvalidity);
            let uids = vec![uid];
            self.change_flags(
                account,
                folder,
                uidvalidity,
                uids,
                seen_flag(),
                Vec::new(),
                fx,
            );
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
            let (folder, uids) = (folder.to_string(), vec![uid]);
            let uidvalidity = UidValidity(reader.row.uidvalidity);
            self.change_flags(
                account,
                folder,
                uidvalidity,
                uids,
                seen_flag(),
                Vec::new(),
                fx,
            );
        }
    }
}

/// "N flagged · u undo". `u` takes back the last account's part: every folder of it.
fn undo_note(done: String, folders: usize, accounts: usize) -> String {
    match (folders, accounts) {
        (0 | 1, _) => format!("{done} · u undo"),
        (k, 0 | 1) => format!("{done} in {k} folders · u undo"),
        (k, _) => format!("{done} in {k} folders · u undoes the last account's part"),
    }
}

/// The `Act`s of one key press: each after the first of its account joins that one's undo.
fn join_parts(fx: &mut [Effect]) {
    let mut seen = HashSet::new();
    for effect in fx {
        if let Effect::Act { account, joins, .. } = effect {
            *joins = !seen.insert(account.0);
        }
    }
}

fn seen_flag() -> Vec<String> {
    vec!["\\Seen".to_string()]
}
