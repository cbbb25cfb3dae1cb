//! A search's results as a list source: `ResultSet` holds the hits (bounded, in memory)
//! and answers the list's reads like a folder's cache, each row's UID standing for the
//! hit's number, so the cursor, tags, filter, folds and threads work unchanged.

use std::collections::HashMap;

use super::source::{Filter, MailSource, SourceError, SourceResult};
use crate::domain::folder::{FolderId, FolderState, SortOrder};
use crate::domain::message::MessageRow;

/// Results kept per search (newest first): a list to read, not an export.
pub const RESULT_LIMIT: usize = 500;
/// The folder id the list holds while it shows results (no cache has it).
pub const RESULTS_FOLDER: FolderId = -1;

/// One message found, in its own folder and account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub account: usize,
    pub folder: String,
    /// The folder in the account's cache; None when the cache does not know it yet.
    pub folder_id: Option<FolderId>,
    /// As the cache (or the server) has it: the real UID.
    pub row: MessageRow,
    /// False: found by the server, not in the cache yet.
    pub cached: bool,
    /// Gmail's X-GM-MSGID, for a server's hit on Gmail.
    pub gmail_id: Option<u64>,
}

/// One snapshot of a result list, newest first. Replaced whole when anything changes.
#[derive(Debug, Default)]
pub struct ResultSet {
    /// What was searched for (the query, or the saved view's name).
    pub title: String,
    /// (number, hit); numbers start at 1 and stay with their message.
    hits: Vec<(u32, Hit)>,
    /// Server answers still awaited.
    pub asking: usize,
}

impl ResultSet {
    /// `hits` as (number, hit), newest first; `asking`: server answers still awaited.
    pub fn new(title: String, hits: Vec<(u32, Hit)>, asking: usize) -> Self {
        Self {
            title,
            hits,
            asking,
        }
    }

    pub fn hit(&self, number: u32) -> Option<&Hit> {
        self.hits.iter().find(|(n, _)| *n == number).map(|(_, h)| h)
    }

    pub fn len(&self) -> usize {
        self.hits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Hits in list order, as the list sees them (numbers for UIDs; in threaded order the
    /// thread is the account's thread, its first hit the root).
    fn ordered(&self, sort: SortOrder, filter: Option<&Filter>) -> Vec<MessageRow> {
        let mut rows: Vec<(i64, i64, MessageRow)> = Vec::with_capacity(self.hits.len());
        let mut threads: HashMap<(usize, i64), i64> = HashMap::new();
        for (number, hit) in &self.hits {
            let mut row = hit.row.clone();
            row.uid = *number;
            // A thread of results: the account's thread, or the hit alone (server rows
            // have no thread yet).
            let group = match hit.row.thread_id {
                0 => -i64::from(*number),
                id => *threads
                    .entry((hit.account, id))
                    .or_insert(-i64::from(*number)),
            };
            row.thread_id = group;
            row.depth = 0;
            rows.push((group, hit.row.date, row));
        }
        if sort == SortOrder::Threaded {
            let mut newest: HashMap<i64, i64> = HashMap::new();
            for (group, date, _) in &rows {
                let e = newest.entry(*group).or_insert(*date);
                *e = (*e).max(*date);
            }
            // Threads newest first; inside one, oldest first under its first message.
            let latest = |group: &i64| newest.get(group).copied().unwrap_or(i64::MIN);
            rows.sort_by(|a, b| {
                (latest(&b.0), b.0)
                    .cmp(&(latest(&a.0), a.0))
                    .then(a.1.cmp(&b.1))
            });
            let mut last = None;
            for (group, _, row) in &mut rows {
                row.depth = u32::from(last == Some(*group));
                last = Some(*group);
            }
        }
        let mut first = std::collections::HashSet::new();
        rows.into_iter()
            .map(|(_, _, row)| row)
            .filter(|row| {
                let leads = first.insert(row.thread_id);
                filter
                    .is_none_or(|f| f.matches(row) && (leads || !f.folds.is_folded(row.thread_id)))
            })
            .collect()
    }
}

impl MailSource for ResultSet {
    fn folders(&self) -> SourceResult<Vec<FolderState>> {
        Err(SourceError("search results have no folders".into()))
    }

    fn count(&self, _: FolderId, filter: Option<&Filter>) -> SourceResult<u32> {
        Ok(self.ordered(SortOrder::DateDesc, filter).len() as u32)
    }

    fn window(
        &self,
        _: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        offset: u32,
        limit: u32,
    ) -> SourceResult<Vec<MessageRow>> {
        let rows = self.ordered(sort, filter);
        Ok(rows
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect())
    }

    fn index_of(
        &self,
        _: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        uid: u32,
    ) -> SourceResult<Option<u32>> {
        let rows = self.ordered(sort, filter);
        Ok(rows.iter().position(|r| r.uid == uid).map(|p| p as u32))
    }

    fn body(&self, _: FolderId, _: u32) -> SourceResult<Option<Vec<u8>>> {
        Ok(None)
    }

    fn uids(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        offset: u32,
        limit: u32,
    ) -> SourceResult<Vec<u32>> {
        let rows = self.window(folder, sort, filter, offset, limit)?;
        Ok(rows.into_iter().map(|r| r.uid).collect())
    }

    fn thread_uids(&self, _: FolderId, thread_id: i64) -> SourceResult<Vec<u32>> {
        let rows = self.ordered(SortOrder::Threaded, None);
        Ok(rows
            .into_iter()
            .filter(|r| r.thread_id == thread_id)
            .map(|r| r.uid)
            .collect())
    }

    fn thread_counts(&self, _: FolderId, thread_id: i64) -> SourceResult<(u32, u32)> {
        let rows = self.ordered(SortOrder::Threaded, None);
        let thread = rows.iter().filter(|r| r.thread_id == thread_id);
        Ok(thread.fold((0, 0), |(n, u), r| (n + 1, u + u32::from(!r.flags.seen()))))
    }
}
