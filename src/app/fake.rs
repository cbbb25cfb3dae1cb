//! `FakeSource`: an in-memory `MailSource` over plain rows, for app tests only. It counts
//! what it is asked for, so tests can check the UI reads only a window. Its filter must mean
//! what the store's SQL means; `tui::source` tests compare the two on the same rows.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::source::{Filter, MailSource, SearchScope, SourceError, SourceHit, SourceResult};
use crate::domain::folder::{FolderId, FolderState, SortOrder};
use crate::domain::message::{Flags, MessageRow, SystemFlags};
use crate::domain::query::{DateSpec, Field, Query, Status, Term};

/// What the UI asked of the source since the last `reset_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeStats {
    pub window_calls: u32,
    /// The most rows one `window` call returned.
    pub max_window_rows: usize,
    pub rows_returned: usize,
    pub count_calls: u32,
    pub index_calls: u32,
    pub body_calls: u32,
}

type OrderKey = (FolderId, bool, Option<Filter>);
/// A cut display part: its section and whole size.
type Cut = (String, u32);

#[derive(Default)]
pub struct FakeSource {
    folders: Vec<FolderState>,
    /// Per folder, in insertion order; threads must be inserted in tree (DFS) order.
    rows: HashMap<FolderId, Vec<MessageRow>>,
    bodies: HashMap<(FolderId, u32), Vec<u8>>,
    /// Messages in parts: structures, shown messages (raw, cut) and whole parts.
    structures: HashMap<(FolderId, u32), crate::domain::parts::Structure>,
    shown: HashMap<(FolderId, u32), (Vec<u8>, Option<Cut>)>,
    parts: HashMap<(FolderId, u32, String), Vec<u8>>,
    /// Sorted (and filtered) positions, rebuilt after a mutation.
    orders: RefCell<HashMap<OrderKey, Rc<Vec<usize>>>>,
    stats: RefCell<FakeStats>,
    /// Every read fails, like a broken cache.
    pub broken: bool,
}

impl FakeSource {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a folder (counts are derived from its rows) and returns its id.
    pub fn add_folder(&mut self, name: &str, role: Option<&str>, delimiter: Option<char>) -> i64 {
        let id = self.folders.len() as i64 + 1;
        self.folders.push(FolderState {
            id,
            name: name.to_string(),
            role: role.map(str::to_string),
            delimiter,
            uidvalidity: Some(1),
            uidnext: None,
            highestmodseq: None,
            messages: 0,
            unseen: 0,
            synced_at: None,
            complete: true,
            oldest_uid: None,
            selectable: true,
            last_error: None,
            subscribed: true,
        });
        self.rows.insert(id, Vec::new());
        id
    }

    pub fn folder_mut(&mut self, id: FolderId) -> Option<&mut FolderState> {
        self.folders.iter_mut().find(|f| f.id == id)
    }

    pub fn push(&mut self, folder: FolderId, row: MessageRow) {
        self.rows.entry(folder).or_default().push(row);
        self.changed();
    }

    pub fn extend(&mut self, folder: FolderId, rows: impl IntoIterator<Item = MessageRow>) {
        self.rows.entry(folder).or_default().extend(rows);
        self.changed();
    }

    pub fn remove(&mut self, folder: FolderId, uid: u32) {
        if let Some(rows) = self.rows.get_mut(&folder) {
            rows.retain(|r| r.uid != uid);
        }
        self.changed();
    }

    pub fn set_flags(&mut self, folder: FolderId, uid: u32, flags: Flags) {
        if let Some(row) = self
            .rows
            .get_mut(&folder)
            .and_then(|rows| rows.iter_mut().find(|r| r.uid == uid))
        {
            row.flags = flags;
        }
        self.changed();
    }

    pub fn set_body(&mut self, folder: FolderId, uid: u32, raw: impl Into<Vec<u8>>) {
        self.bodies.insert((folder, uid), raw.into());
    }

    pub fn set_structure(
        &mut self,
        folder: FolderId,
        uid: u32,
        structure: crate::domain::parts::Structure,
    ) {
        self.structures.insert((folder, uid), structure);
    }

    /// The header and text part of a message in parts (`cut`: only its start).
    pub fn set_shown(
        &mut self,
        folder: FolderId,
        uid: u32,
        raw: impl Into<Vec<u8>>,
        cut: Option<(String, u32)>,
    ) {
        self.shown.insert((folder, uid), (raw.into(), cut));
    }

    pub fn set_part(
        &mut self,
        folder: FolderId,
        uid: u32,
        section: &str,
        data: impl Into<Vec<u8>>,
    ) {
        self.parts
            .insert((folder, uid, section.to_string()), data.into());
    }

    pub fn stats(&self) -> FakeStats {
        self.stats.borrow().clone()
    }

    pub fn reset_stats(&self) {
        *self.stats.borrow_mut() = FakeStats::default();
    }

    fn changed(&mut self) {
        self.orders.borrow_mut().clear();
    }

    fn check(&self) -> SourceResult<()> {
        if self.broken {
            Err(SourceError("cache unreadable (fake)".into()))
        } else {
            Ok(())
        }
    }

    fn order(&self, folder: FolderId, sort: SortOrder, filter: Option<&Filter>) -> Rc<Vec<usize>> {
        let key = (folder, sort == SortOrder::Threaded, filter.cloned());
        if let Some(order) = self.orders.borrow().get(&key) {
            return order.clone();
        }
        let empty = Vec::new();
        let rows = self.rows.get(&folder).unwrap_or(&empty);
        let mut idx: Vec<usize> = (0..rows.len()).collect();
        match sort {
            SortOrder::DateDesc => {
                idx.sort_by(|&a, &b| (rows[b].date, rows[b].uid).cmp(&(rows[a].date, rows[a].uid)));
            }
            SortOrder::Threaded => {
                let mut latest: HashMap<i64, i64> = HashMap::new();
                for r in rows {
                    let e = latest.entry(r.thread_id).or_insert(r.date);
                    *e = (*e).max(r.date);
                }
                // Stable: messages of a thread keep their (tree) insertion order.
                idx.sort_by(|&a, &b| {
                    let ka = (latest[&rows[a].thread_id], rows[a].thread_id);
                    let kb = (latest[&rows[b].thread_id], rows[b].thread_id);
                    kb.cmp(&ka)
                });
            }
        }
        if let Some(f) = filter {
            // A folded thread keeps its first row (the store's `thread_pos = 0`).
            let mut seen = std::collections::HashSet::new();
            let first: Vec<bool> = (0..rows.len())
                .map(|i| seen.insert(rows[i].thread_id))
                .collect();
            idx.retain(|&i| {
                matches(f, &rows[i]) && (first[i] || !f.folds.is_folded(rows[i].thread_id))
            });
        }
        let order = Rc::new(idx);
        self.orders.borrow_mut().insert(key, order.clone());
        order
    }
}

impl MailSource for FakeSource {
    fn folders(&self) -> SourceResult<Vec<FolderState>> {
        self.check()?;
        Ok(self
            .folders
            .iter()
            .map(|f| {
                let mut f = f.clone();
                if let Some(rows) = self.rows.get(&f.id).filter(|r| !r.is_empty()) {
                    f.messages = rows.len() as u32;
                    f.unseen = rows.iter().filter(|r| !r.flags.seen()).count() as u32;
                }
                f
            })
            .collect())
    }

    fn count(&self, folder: FolderId, filter: Option<&Filter>) -> SourceResult<u32> {
        self.check()?;
        self.stats.borrow_mut().count_calls += 1;
        Ok(self.order(folder, SortOrder::DateDesc, filter).len() as u32)
    }

    fn window(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        offset: u32,
        limit: u32,
    ) -> SourceResult<Vec<MessageRow>> {
        self.check()?;
        let order = self.order(folder, sort, filter);
        let rows = match self.rows.get(&folder) {
            Some(rows) => order
                .iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|&i| rows[i].clone())
                .collect(),
            None => Vec::new(),
        };
        let mut stats = self.stats.borrow_mut();
        stats.window_calls += 1;
        stats.rows_returned += rows.len();
        stats.max_window_rows = stats.max_window_rows.max(rows.len());
        Ok(rows)
    }

    fn index_of(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        uid: u32,
    ) -> SourceResult<Option<u32>> {
        self.check()?;
        self.stats.borrow_mut().index_calls += 1;
        let order = self.order(folder, sort, filter);
        let Some(rows) = self.rows.get(&folder) else {
            return Ok(None);
        };
        Ok(order
            .iter()
            .position(|&i| rows[i].uid == uid)
            .map(|p| p as u32))
    }

    fn body(&self, folder: FolderId, uid: u32) -> SourceResult<Option<Vec<u8>>> {
        self.check()?;
        self.stats.borrow_mut().body_calls += 1;
        Ok(self.bodies.get(&(folder, uid)).cloned())
    }

    fn shown(
        &self,
        folder: FolderId,
        uid: u32,
        _prefer_html: bool,
    ) -> SourceResult<Option<super::source::Shown>> {
        let structure = self.structure(folder, uid)?;
        if let Some(raw) = self.body(folder, uid)? {
            return Ok(Some(super::source::Shown {
                raw,
                structure,
                whole: true,
                cut: None,
            }));
        }
        Ok(self
            .shown
            .get(&(folder, uid))
            .map(|(raw, cut)| super::source::Shown {
                raw: raw.clone(),
                structure,
                whole: false,
                cut: cut.clone(),
            }))
    }

    fn structure(
        &self,
        folder: FolderId,
        uid: u32,
    ) -> SourceResult<Option<crate::domain::parts::Structure>> {
        self.check()?;
        Ok(self.structures.get(&(folder, uid)).cloned())
    }

    fn part(&self, folder: FolderId, uid: u32, section: &str) -> SourceResult<Option<Vec<u8>>> {
        self.check()?;
        Ok(self.parts.get(&(folder, uid, section.to_string())).cloned())
    }

    fn uids(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        offset: u32,
        limit: u32,
    ) -> SourceResult<Vec<u32>> {
        self.check()?;
        let order = self.order(folder, sort, filter);
        Ok(match self.rows.get(&folder) {
            Some(rows) => order
                .iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|&i| rows[i].uid)
                .collect(),
            None => Vec::new(),
        })
    }

    fn thread_counts(&self, folder: FolderId, thread_id: i64) -> SourceResult<(u32, u32)> {
        self.check()?;
        let rows = self.rows.get(&folder).map_or(&[][..], |r| &r[..]);
        let thread = rows.iter().filter(|r| r.thread_id == thread_id);
        let (n, unread) = thread.fold((0, 0), |(n, u), r| (n + 1, u + u32::from(!r.flags.seen())));
        Ok((n, unread))
    }

    fn thread_uids(&self, folder: FolderId, thread_id: i64) -> SourceResult<Vec<u32>> {
        self.check()?;
        Ok(self.rows.get(&folder).map_or_else(Vec::new, |rows| {
            rows.iter()
                .filter(|r| r.thread_id == thread_id)
                .map(|r| r.uid)
                .collect()
        }))
    }

    /// The language over headers held in memory (no bodies: `body:` finds nothing), dates
    /// in UTC; the store's FTS rules are tested against Dovecot in tests/search.rs.
    fn search(&self, query: &Query, scope: SearchScope<'_>) -> SourceResult<Vec<SourceHit>> {
        self.check()?;
        let mut hits = Vec::new();
        for folder in &self.folders {
            for row in self.rows.get(&folder.id).into_iter().flatten() {
                if query_matches(query, &folder.name, row, &scope) {
                    hits.push(SourceHit {
                        folder: folder.id,
                        folder_name: folder.name.clone(),
                        row: row.clone(),
                    });
                }
            }
        }
        hits.sort_by_key(|h| std::cmp::Reverse((h.row.date, h.row.uid)));
        hits.truncate(scope.limit);
        Ok(hits)
    }
}

fn query_matches(query: &Query, folder: &str, row: &MessageRow, scope: &SearchScope<'_>) -> bool {
    match query {
        Query::And(parts) => parts.iter().all(|q| query_matches(q, folder, row, scope)),
        Query::Or(parts) => parts.iter().any(|q| query_matches(q, folder, row, scope)),
        Query::Not(inner) => !query_matches(inner, folder, row, scope),
        Query::Term(term) => term_matches(term, folder, row, scope),
    }
}

fn term_matches(term: &Term, folder: &str, row: &MessageRow, scope: &SearchScope<'_>) -> bool {
    let has = |field: &str, word: &str| field.to_lowercase().contains(&word.to_lowercase());
    let sender = format!(
        "{} {}",
        row.from_name.as_deref().unwrap_or(""),
        row.from_addr.as_deref().unwrap_or("")
    );
    let day = |spec: DateSpec, after: i64| {
        spec.resolve(scope.today)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(0, |t| t.and_utc().timestamp() + after)
    };
    match term {
        Term::Text(word) => has(&row.subject, word) || has(&sender, word) || has(&row.to, word),
        Term::Field(Field::From, word) => has(&sender, word),
        Term::Field(Field::To, word) => has(&row.to, word),
        Term::Field(Field::Cc, word) => has(&row.cc, word),
        Term::Field(Field::Subject, word) => has(&row.subject, word),
        Term::Field(Field::Body, _) => false,
        Term::Folder(name) => folder.eq_ignore_ascii_case(name),
        Term::Account(name) => scope.account.eq_ignore_ascii_case(name),
        Term::Before(spec) => row.date < day(*spec, 0),
        Term::After(spec) => row.date >= day(*spec, 0),
        Term::On(spec) => row.date >= day(*spec, 0) && row.date < day(*spec, 86_400),
        Term::Is(Status::Unread) => !row.flags.seen(),
        Term::Is(Status::Read) => row.flags.seen(),
        Term::Is(Status::Flagged) => row.flags.flagged(),
        Term::Is(Status::Answered) => row.flags.system.has(SystemFlags::ANSWERED),
        Term::Is(Status::Deleted) => row.flags.system.has(SystemFlags::DELETED),
        Term::HasAttachment => row.has_attachment,
        Term::Keyword(k) => row.flags.keywords.iter().any(|w| w.eq_ignore_ascii_case(k)),
        Term::Larger(n) => u64::from(row.size) > *n,
        Term::Smaller(n) => u64::from(row.size) < *n,
    }
}

/// A deterministic, plausible row for generated folders: `n` is its position, oldest first.
pub fn generated_row(n: u32, base_date: i64) -> MessageRow {
    const NAMES: &[&str] = &[
        "Ada Lovelace",
        "Grace Hopper",
        "Linus Torvalds",
        "Barbara Liskov",
        "Ken Thompson",
        "Margaret Hamilton",
        "Dennis Ritchie",
    ];
    const SUBJECTS: &[&str] = &[
        "engine notes",
        "patch v3",
        "lunch on Thursday?",
        "release checklist",
        "CI is red again",
        "design review",
    ];
    let name = NAMES[n as usize % NAMES.len()];
    let mut system = SystemFlags::default();
    system = system.with(SystemFlags::SEEN, !n.is_multiple_of(5));
    system = system.with(SystemFlags::FLAGGED, n.is_multiple_of(17));
    system = system.with(SystemFlags::ANSWERED, n.is_multiple_of(11));
    MessageRow {
        uid: n + 1,
        uidvalidity: 1,
        date: base_date + i64::from(n) * 60,
        from_name: Some(name.to_string()),
        from_addr: Some(format!(
            "{}@example.com",
            name.split(' ').next().unwrap_or("x").to_lowercase()
        )),
        to: "me@example.com".into(),
        subject: format!("{} #{n}", SUBJECTS[n as usize % SUBJECTS.len()]),
        flags: Flags {
            system,
            keywords: Vec::new(),
        },
        size: 800 + (n * 37) % 40_000,
        has_attachment: n.is_multiple_of(9),
        thread_id: i64::from(n),
        ..Default::default()
    }
}

/// A source with one INBOX of `n` generated messages (for benches and scale tests).
pub fn generated(n: u32, base_date: i64) -> FakeSource {
    let mut source = FakeSource::new();
    let inbox = source.add_folder("INBOX", Some("inbox"), Some('/'));
    source.extend(inbox, (0..n).map(|i| generated_row(i, base_date)));
    source
}

fn matches(filter: &Filter, row: &MessageRow) -> bool {
    filter.matches(row)
}
