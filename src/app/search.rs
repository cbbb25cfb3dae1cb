//! Search everywhere (`S`, or a saved view): the search language over every account's cache
//! at once, then each server for the folders its cache does not fully hold. The results are
//! a list scope of their own (`results::ResultSet`); actions go to each hit's own folder and
//! account.

use std::collections::HashMap;
use std::sync::Arc;

use super::list::OpenFolder;
use super::overlay::{Overlay, TextInput};
use super::reader::PromptKind;
pub use super::results::{Hit, RESULT_LIMIT, RESULTS_FOLDER, ResultSet};
use super::source::{MailSource, SearchScope};
use super::{Effect, Focus, Model, Sources, source_of};
use crate::bus::{ConnState, EngineCommand, OpId, ServerFound};
use crate::domain::ids::{AccountId, UidValidity};
use crate::domain::message::MessageRow;
use crate::domain::query::hits::{HitView, newest_once};
use crate::domain::query::{Query, QueryError, parse};

/// Where a hit lives: what its number is kept by across refreshes.
type HitKey = (usize, String, u32, u32);

fn key_of(hit: &Hit) -> HitKey {
    (
        hit.account,
        hit.folder.clone(),
        hit.row.uidvalidity,
        hit.row.uid,
    )
}

/// A search in progress or shown: what the caches and the servers found so far.
#[derive(Debug)]
pub struct SearchState {
    pub text: String,
    title: String,
    query: Query,
    /// Server answers awaited: op -> account.
    waiting: HashMap<OpId, usize>,
    local: Vec<Hit>,
    server: Vec<Hit>,
    numbers: HashMap<HitKey, u32>,
    next_number: u32,
}

impl SearchState {
    fn new(text: &str, title: &str, query: Query) -> Self {
        Self {
            text: text.to_string(),
            title: title.to_string(),
            query,
            waiting: HashMap::new(),
            local: Vec::new(),
            server: Vec::new(),
            numbers: HashMap::new(),
            next_number: 1,
        }
    }

    /// Cache and server hits merged: newest first, a message once (Message-ID, or Gmail's
    /// X-GM-MSGID, else its place), the cached copy preferred.
    fn snapshot(&mut self) -> ResultSet {
        let mut all: Vec<Hit> = self.local.iter().chain(&self.server).cloned().collect();
        // Accounts are config positions: padded so that they sort as numbers.
        newest_once(&mut all, RESULT_LIMIT, |h| HitView {
            row: &h.row,
            cached: h.cached,
            place: (format!("{:08}", h.account), &h.folder),
            gmail_id: h.gmail_id,
        });
        let hits = all
            .into_iter()
            .map(|hit| {
                let number = *self.numbers.entry(key_of(&hit)).or_insert_with(|| {
                    self.next_number += 1;
                    self.next_number - 1
                });
                (number, hit)
            })
            .collect();
        ResultSet::new(self.title.clone(), hits, self.waiting.len())
    }
}

/// A folder-grouped piece of an action on results: one `Effect::Act` each.
pub(super) struct Group {
    pub account: usize,
    pub folder: String,
    pub uidvalidity: UidValidity,
    pub uids: Vec<u32>,
}

/// What the list reads: its result set while it shows one, else a cache.
pub(super) enum ListReads<'s> {
    Cache(&'s dyn MailSource),
    Results(Arc<ResultSet>),
}

impl<'s> std::ops::Deref for ListReads<'s> {
    type Target = dyn MailSource + 's;

    fn deref(&self) -> &Self::Target {
        match self {
            ListReads::Cache(source) => *source,
            ListReads::Results(set) => set.as_ref(),
        }
    }
}

impl Model {
    /// `S`: the query prompt, with the last query to edit.
    pub(super) fn start_search(&mut self) {
        let text = self.search.as_ref().map_or("", |s| s.text.as_str());
        self.search_error = None;
        self.overlays.push(Overlay::Prompt {
            kind: PromptKind::Search,
            input: TextInput::with_text(text),
        });
    }

    /// The query was edited: a mistake shows at once, pointed at.
    pub(super) fn search_edited(&mut self, text: &str) {
        self.search_error = parse(text).err();
    }

    /// Enter on the prompt: a query that does not parse stays in the prompt, pointed at.
    pub(super) fn search_submitted(
        &mut self,
        text: &str,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        match parse(text) {
            Ok(query) => {
                self.search_error = None;
                self.views.cursor = None;
                self.run_search(text, text, query, sources, fx);
            }
            Err(e) => {
                self.status.error(format!("search: {e}"));
                self.search_error = Some(e);
                self.overlays.push(Overlay::Prompt {
                    kind: PromptKind::Search,
                    input: TextInput::with_text(text),
                });
            }
        }
    }

    /// Shows what every cache holds at once, then asks each reachable server for the rest.
    pub(super) fn run_search(
        &mut self,
        text: &str,
        title: &str,
        query: Query,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        let mut state = SearchState::new(text, title, query);
        for account in 0..self.accounts.len() {
            state
                .local
                .extend(self.local_hits(account, &state.query, sources));
        }
        let mut offline = Vec::new();
        for (account, a) in self.accounts.iter().enumerate() {
            if matches!(
                a.conn,
                ConnState::Offline { .. } | ConnState::Reconnecting { .. }
            ) {
                offline.push(a.name.clone());
                continue;
            }
            self.last_op = OpId(self.last_op.0 + 1);
            state.waiting.insert(self.last_op, account);
            fx.push(Effect::Engine(
                AccountId(account),
                EngineCommand::Search {
                    op: self.last_op,
                    account: a.name.clone(),
                    query: text.to_string(),
                },
            ));
        }
        let set = state.snapshot();
        let found = set.len();
        self.search = Some(state);
        self.reader = None;
        self.focus = Focus::List;
        let folder = OpenFolder {
            account: self.account,
            id: RESULTS_FOLDER,
            name: title.to_string(),
        };
        let result = self
            .list
            .open_results(folder, Arc::new(set), self.source(sources));
        self.report(result);
        self.layout(sources);
        let mut note = format!("{found} found in the cache");
        if !offline.is_empty() {
            note.push_str(&format!(" · {} offline: cache only", offline.join(", ")));
        }
        self.status.note(note);
    }

    /// Up to `RESULT_LIMIT` hits from `account`'s cache; a failed read is said.
    fn local_hits(&mut self, account: usize, query: &Query, sources: &dyn Sources) -> Vec<Hit> {
        let name = self.accounts.get(account).map_or("", |a| a.name.as_str());
        let scope = SearchScope {
            account: name,
            today: self.today(),
            limit: RESULT_LIMIT,
        };
        let found = source_of(sources, account).search(query, scope);
        let Some(found) = self.report_for(account, found) else {
            return Vec::new();
        };
        found
            .into_iter()
            .map(|hit| Hit {
                account,
                folder: hit.folder_name,
                folder_id: Some(hit.folder),
                row: hit.row,
                cached: true,
                gmail_id: None,
            })
            .collect()
    }

    /// The local calendar day, for `7d` and friends.
    pub(super) fn today(&self) -> chrono::NaiveDate {
        let local = self.clock.now + i64::from(self.clock.utc_offset);
        chrono::DateTime::from_timestamp(local, 0)
            .unwrap_or_default()
            .date_naive()
    }

    /// A server's answer: merged into the list where the user is.
    pub(super) fn search_found(
        &mut self,
        account: usize,
        op: OpId,
        hits: Vec<ServerFound>,
        skipped: Vec<String>,
        sources: &dyn Sources,
    ) {
        let Some(state) = self.search.as_mut() else {
            return;
        };
        if state.waiting.remove(&op).is_none() {
            return;
        }
        let before = state.server.len();
        for found in hits {
            let folder_id = self.folders.state(account, &found.folder).map(|f| f.id);
            state.server.push(Hit {
                account,
                folder: found.folder,
                folder_id,
                row: found.row,
                cached: found.cached,
                gmail_id: found.gmail_id,
            });
        }
        let more = state.server.len() - before;
        for reason in skipped {
            self.account_error(account, &format!("not searched: {reason}"));
        }
        self.results_changed(sources);
        if more > 0 {
            self.status.note(format!("{more} more found on the server"));
        }
    }

    /// A search request failed (the status line has said why): stop waiting for it.
    pub(super) fn search_failed(&mut self, op: OpId, sources: &dyn Sources) {
        if let Some(state) = self.search.as_mut()
            && state.waiting.remove(&op).is_some()
        {
            self.results_changed(sources);
        }
    }

    /// `account`'s cache changed: its hits are read again (flags, moves), the rest kept.
    pub(super) fn results_account_changed(&mut self, account: usize, sources: &dyn Sources) {
        if self.list.results.is_none() {
            return;
        }
        let Some(query) = self.search.as_ref().map(|s| s.query.clone()) else {
            return;
        };
        let hits = self.local_hits(account, &query, sources);
        if let Some(state) = self.search.as_mut() {
            state.local.retain(|h| h.account != account);
            state.local.extend(hits);
        }
        self.results_changed(sources);
    }

    /// Puts a new snapshot under the list, the cursor staying on its message.
    fn results_changed(&mut self, sources: &dyn Sources) {
        if self.list.results.is_none() {
            return;
        }
        let Some(state) = self.search.as_mut() else {
            return;
        };
        let set = Arc::new(state.snapshot());
        let result = self.list.set_results(set, self.source(sources));
        self.report(result);
    }

    /// The hit a list row stands for, while the list shows results.
    pub(super) fn hit_of(&self, row: &MessageRow) -> Option<Hit> {
        self.list.results.as_ref()?.hit(row.uid).cloned()
    }

    /// What the list reads (see `ListReads`).
    pub(super) fn list_reads<'s>(&self, sources: &'s dyn Sources) -> ListReads<'s> {
        match &self.list.results {
            Some(set) => ListReads::Results(set.clone()),
            None => ListReads::Cache(self.source(sources)),
        }
    }

    /// The reader shows the message of list row `row`.
    pub(super) fn reader_shows(&self, row: &MessageRow) -> bool {
        let Some(reader) = &self.reader else {
            return false;
        };
        match self.hit_of(row) {
            Some(hit) => {
                reader.account == hit.account
                    && reader.folder == hit.folder
                    && reader.uid == hit.row.uid
            }
            None => reader.uid == row.uid,
        }
    }

    /// Opening a hit the cache does not hold: its folder is synced, and the result list
    /// fills the hit in when the cache has it.
    pub(super) fn open_uncached(&mut self, hit: &Hit, fx: &mut Vec<Effect>) {
        self.status.note(format!(
            "not in the cache yet: syncing {} · open it again when it is",
            crate::domain::text::sanitize(&hit.folder)
        ));
        fx.push(Effect::Engine(
            AccountId(hit.account),
            EngineCommand::SelectFolder(hit.folder.clone()),
        ));
    }

    /// The accounts of the tagged results (empty outside results).
    pub(super) fn tagged_accounts(&self) -> std::collections::BTreeSet<usize> {
        let Some(set) = &self.list.results else {
            return Default::default();
        };
        self.list
            .tagged
            .iter()
            .filter_map(|n| set.hit(*n).map(|h| h.account))
            .collect()
    }

    /// The messages an action on results goes to, one group per folder: the tagged ones
    /// after `;`, else the cursor's. Hits not in the cache yet are left out, and said.
    pub(super) fn result_groups(&mut self, cursor: &Hit) -> Vec<Group> {
        let from_tags = std::mem::take(&mut self.apply_to_tagged) && !self.list.tagged.is_empty();
        let hits: Vec<Hit> = if from_tags {
            let numbers = std::mem::take(&mut self.list.tagged);
            let set = self.list.results.clone();
            numbers
                .iter()
                .filter_map(|n| set.as_ref().and_then(|s| s.hit(*n)).cloned())
                .collect()
        } else {
            vec![cursor.clone()]
        };
        let (cached, uncached): (Vec<Hit>, Vec<Hit>) = hits.into_iter().partition(|h| h.cached);
        if !uncached.is_empty() {
            self.status.error(format!(
                "{} not in the cache yet: left alone (open one to sync its folder)",
                uncached.len()
            ));
        }
        let mut groups: Vec<Group> = Vec::new();
        for hit in cached {
            let uidvalidity = UidValidity(hit.row.uidvalidity);
            match groups.iter_mut().find(|g| {
                g.account == hit.account && g.folder == hit.folder && g.uidvalidity == uidvalidity
            }) {
                Some(group) => group.uids.push(hit.row.uid),
                None => groups.push(Group {
                    account: hit.account,
                    folder: hit.folder.clone(),
                    uidvalidity,
                    uids: vec![hit.row.uid],
                }),
            }
        }
        groups
    }
}

/// Where a query is wrong, for the prompt to point at.
pub fn error_span(error: &QueryError, text: &str) -> std::ops::Range<usize> {
    let start = error.span.start.min(text.len());
    let end = error.span.end.clamp(start, text.len());
    if text.is_char_boundary(start) && text.is_char_boundary(end) {
        start..end
    } else {
        text.len()..text.len()
    }
}
