//! The message list: a virtual list over the cache. Only the visible rows plus a margin are
//! held; the cursor is anchored by UID so it stays on its message when rows come and go.

use super::source::{Filter, MailSource, SourceResult};
use crate::domain::folder::{FolderId, SortOrder};
use crate::domain::message::MessageRow;

/// Rows kept above and below the visible ones, so small moves need no query.
pub const MARGIN: u32 = 16;
/// Thread guides deeper than this are drawn at this depth.
pub const MAX_GUIDE_DEPTH: u32 = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFolder {
    /// Index of the account whose cache holds the folder.
    pub account: usize,
    pub id: FolderId,
    pub name: String,
}

/// A contiguous slice of the sorted list: rows `offset..offset + rows.len()`.
#[derive(Debug, Clone, Default)]
pub struct RowWindow {
    pub offset: u32,
    pub rows: Vec<MessageRow>,
    /// Thread guide prefix per row (empty in flat mode and for thread roots).
    pub guides: Vec<String>,
    /// Per row: (messages, unread) of the thread it stands for when folded.
    pub folded: Vec<Option<(u32, u32)>>,
}

impl RowWindow {
    fn contains(&self, start: u32, end: u32) -> bool {
        start >= self.offset && end <= self.offset + self.rows.len() as u32
    }

    pub fn get(&self, index: u32) -> Option<(&MessageRow, &str)> {
        let i = index.checked_sub(self.offset)? as usize;
        Some((
            self.rows.get(i)?,
            self.guides.get(i).map_or("", String::as_str),
        ))
    }
}

#[derive(Debug, Clone)]
pub struct ListPane {
    pub folder: Option<OpenFolder>,
    pub sort: SortOrder,
    pub filter: Option<Filter>,
    /// Rows in the (filtered) list.
    pub total: u32,
    pub cursor: u32,
    /// Index of the top visible row.
    pub scroll: u32,
    /// Visible rows.
    pub height: u32,
    pub window: RowWindow,
    /// UID under the cursor: what the cursor follows across refreshes.
    pub anchor: Option<u32>,
    /// Tagged messages of this folder (t, T), for `;` to act on together.
    pub tagged: std::collections::BTreeSet<u32>,
    /// The message `t` tagged last: where `tag_range` starts.
    pub last_tagged: Option<u32>,
    /// Messages that arrived above the view while it was scrolled down ("↑ 3 new");
    /// cleared when the view reaches the top.
    pub new_above: u32,
    /// Folded threads (threaded sort only).
    pub folds: super::fold::Folds,
    /// Search results shown instead of a folder: read from here, not from the cache.
    pub results: Option<std::sync::Arc<super::search::ResultSet>>,
}

/// The source the list reads: its results while it holds some, else the folder's cache.
fn reads<'a>(
    held: &'a Option<std::sync::Arc<super::search::ResultSet>>,
    source: &'a dyn MailSource,
) -> &'a dyn MailSource {
    match held {
        Some(set) => set.as_ref(),
        None => source,
    }
}

impl ListPane {
    pub fn new(sort: SortOrder) -> Self {
        Self {
            folder: None,
            sort,
            filter: None,
            total: 0,
            cursor: 0,
            scroll: 0,
            height: 1,
            window: RowWindow::default(),
            anchor: None,
            tagged: std::collections::BTreeSet::new(),
            last_tagged: None,
            new_above: 0,
            folds: super::fold::Folds::default(),
            results: None,
        }
    }

    /// The filter the cache is asked with: the typed one plus the folded threads.
    pub fn query(&self) -> Option<Filter> {
        if self.sort != SortOrder::Threaded || self.folds.is_empty() {
            return self.filter.clone();
        }
        let mut query = self.filter.clone().unwrap_or_default();
        query.folds = self.folds.clone();
        Some(query)
    }

    /// (messages, unread) when the row at `index` stands for a folded thread.
    pub fn folded_at(&self, index: u32) -> Option<(u32, u32)> {
        let i = index.checked_sub(self.window.offset)? as usize;
        self.window.folded.get(i).copied().flatten()
    }

    pub fn open(&mut self, folder: OpenFolder, source: &dyn MailSource) -> SourceResult<()> {
        self.results = None;
        self.open_scope(folder, source)
    }

    /// Shows search results as the list (`folder` names them; no cache holds it).
    pub fn open_results(
        &mut self,
        folder: OpenFolder,
        results: std::sync::Arc<super::search::ResultSet>,
        source: &dyn MailSource,
    ) -> SourceResult<()> {
        self.results = Some(results);
        self.open_scope(folder, source)
    }

    /// A new snapshot of the results shown; the cursor stays on its message.
    pub fn set_results(
        &mut self,
        results: std::sync::Arc<super::search::ResultSet>,
        source: &dyn MailSource,
    ) -> SourceResult<()> {
        self.results = Some(results);
        self.refresh(source)
    }

    fn open_scope(&mut self, folder: OpenFolder, source: &dyn MailSource) -> SourceResult<()> {
        self.folder = Some(folder);
        self.filter = None;
        self.tagged.clear();
        self.last_tagged = None;
        self.folds = super::fold::Folds::default();
        self.cursor = 0;
        self.scroll = 0;
        self.anchor = None;
        self.new_above = 0;
        self.reload(source)
    }

    pub fn current(&self) -> Option<&MessageRow> {
        self.window.get(self.cursor).map(|(row, _)| row)
    }

    /// Visible rows with their screen line, for drawing.
    pub fn visible(&self) -> impl Iterator<Item = (u32, &MessageRow, &str)> {
        let end = (self.scroll + self.height).min(self.total);
        (self.scroll..end).filter_map(|i| self.window.get(i).map(|(r, g)| (i, r, g)))
    }

    /// Re-reads count and rows after a filter or sort change, keeping the cursor on its UID,
    /// or at the same index if that message is gone.
    pub fn reload(&mut self, source: &dyn MailSource) -> SourceResult<()> {
        let held = self.results.clone();
        let source = reads(&held, source);
        self.new_above = 0;
        self.reread(source).map(|_| ())
    }

    /// Re-reads after the folder changed (new mail, moves, flags). A view at the top stays at
    /// the top, so new rows show there; a view scrolled down keeps its place and counts the
    /// rows that arrived above it. The cursor stays on its message either way.
    pub fn refresh(&mut self, source: &dyn MailSource) -> SourceResult<()> {
        let held = self.results.clone();
        let source = reads(&held, source);
        let moved = self.reread(source)?;
        let rows = u32::try_from(moved.unsigned_abs()).unwrap_or(u32::MAX);
        if self.scroll == 0 {
            self.new_above = 0;
        } else if moved > 0 {
            self.new_above = self.new_above.saturating_add(rows);
        } else {
            self.new_above = self.new_above.saturating_sub(rows);
        }
        Ok(())
    }

    /// Re-reads count and rows; returns how far the cursor's message moved down (rows
    /// inserted above it minus rows removed above it).
    fn reread(&mut self, source: &dyn MailSource) -> SourceResult<i64> {
        let Some(folder) = &self.folder else {
            self.total = 0;
            self.window = RowWindow::default();
            return Ok(0);
        };
        let id = folder.id;
        let at_top = self.scroll == 0;
        let screen_line = self.cursor.saturating_sub(self.scroll);
        let before = self.cursor;
        let query = self.query();
        self.total = source.count(id, query.as_ref())?;
        let mut moved = 0;
        if let Some(uid) = self.anchor
            && let Some(i) = source.index_of(id, self.sort, query.as_ref(), uid)?
        {
            moved = i64::from(i) - i64::from(before);
            self.cursor = i;
        }
        self.cursor = self.cursor.min(self.total.saturating_sub(1));
        self.scroll = if at_top {
            0
        } else {
            self.cursor.saturating_sub(screen_line)
        };
        self.window = RowWindow::default();
        self.fit(source)?;
        Ok(moved)
    }

    pub fn set_height(&mut self, height: u32, source: &dyn MailSource) -> SourceResult<()> {
        let held = self.results.clone();
        let source = reads(&held, source);
        self.height = height.max(1);
        self.fit(source)
    }

    /// Moves the cursor to `index` (clamped) and scrolls it into view.
    pub fn move_to(&mut self, index: i64, source: &dyn MailSource) -> SourceResult<()> {
        let held = self.results.clone();
        let source = reads(&held, source);
        let last = i64::from(self.total.saturating_sub(1));
        self.cursor = index.clamp(0, last) as u32;
        self.fit(source)
    }

    pub fn move_by(&mut self, delta: i64, source: &dyn MailSource) -> SourceResult<()> {
        self.move_to(i64::from(self.cursor) + delta, source)
    }

    /// Scrolls the view (mouse wheel); the cursor is dragged along only if it would leave it.
    pub fn scroll_by(&mut self, delta: i64, source: &dyn MailSource) -> SourceResult<()> {
        let held = self.results.clone();
        let source = reads(&held, source);
        let max = i64::from(self.total.saturating_sub(self.height));
        self.scroll = (i64::from(self.scroll) + delta).clamp(0, max.max(0)) as u32;
        let bottom = self.scroll + self.height - 1;
        self.cursor = self.cursor.clamp(self.scroll, bottom.max(self.scroll));
        self.cursor = self.cursor.min(self.total.saturating_sub(1));
        self.fit(source)
    }

    /// Scrolls so the cursor is in the middle of the view.
    pub fn center(&mut self, source: &dyn MailSource) -> SourceResult<()> {
        let held = self.results.clone();
        let source = reads(&held, source);
        self.scroll = self.cursor.saturating_sub(self.height / 2);
        self.fit(source)
    }

    /// Index of the list row at screen line `line`, if there is one.
    pub fn row_at(&self, line: u32) -> Option<u32> {
        let i = self.scroll + line;
        (line < self.height && i < self.total).then_some(i)
    }

    /// Keeps the cursor in view and the visible rows loaded; records the anchor.
    fn fit(&mut self, source: &dyn MailSource) -> SourceResult<()> {
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + self.height {
            self.scroll = self.cursor + 1 - self.height;
        }
        self.scroll = self
            .scroll
            .min(self.total.saturating_sub(self.height))
            .min(self.cursor);
        if self.scroll == 0 {
            self.new_above = 0;
        }
        let end = (self.scroll + self.height).min(self.total);
        if !self.window.contains(self.scroll, end) {
            self.load(source)?;
        }
        self.anchor = self.current().map(|r| r.uid);
        Ok(())
    }

    fn load(&mut self, source: &dyn MailSource) -> SourceResult<()> {
        let Some(folder) = &self.folder else {
            return Ok(());
        };
        let offset = self.scroll.saturating_sub(MARGIN);
        let limit = self.height + 2 * MARGIN;
        let rows = source.window(folder.id, self.sort, self.query().as_ref(), offset, limit)?;
        let guides = match self.sort {
            SortOrder::Threaded => thread_guides(&rows),
            SortOrder::DateDesc => Vec::new(),
        };
        let mut folded = Vec::with_capacity(rows.len());
        for row in &rows {
            let fold = self.sort == SortOrder::Threaded && self.folds.is_folded(row.thread_id);
            folded.push(match fold {
                true => Some(source.thread_counts(folder.id, row.thread_id)?).filter(|c| c.0 > 1),
                false => None,
            });
        }
        self.window = RowWindow {
            offset,
            rows,
            guides,
            folded,
        };
        Ok(())
    }

    /// Index of the next (`forward`) or previous unread row from the cursor: a binary
    /// search over the unread-only list, so it costs O(log n) small queries at any size.
    pub fn find_unread(&self, forward: bool, source: &dyn MailSource) -> SourceResult<Option<u32>> {
        let source = reads(&self.results, source);
        let Some(folder) = &self.folder else {
            return Ok(None);
        };
        let query = self.query();
        let mut unread = query.clone().unwrap_or_default();
        unread.unread_only = true;
        let n = source.count(folder.id, Some(&unread))?;
        let position = |k: u32| -> SourceResult<Option<u32>> {
            let rows = source.window(folder.id, self.sort, Some(&unread), k, 1)?;
            match rows.first() {
                Some(row) => source.index_of(folder.id, self.sort, query.as_ref(), row.uid),
                None => Ok(None),
            }
        };
        // Unread rows appear in list order: find the first with position > cursor.
        let (mut lo, mut hi) = (0u32, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match position(mid)? {
                Some(p) if p > self.cursor => hi = mid,
                Some(p) if p == self.cursor && !forward => hi = mid,
                Some(_) => lo = mid + 1,
                None => return Ok(None),
            }
        }
        if forward {
            if lo < n { position(lo) } else { Ok(None) }
        } else if lo > 0 {
            position(lo - 1)
        } else {
            Ok(None)
        }
    }
}

/// `├─`, `└─` and `│` prefixes for rows in thread (DFS) order: worked backwards, a row's
/// branch continues while a later row of the same thread sits at its depth before any
/// shallower one.
pub fn thread_guides(rows: &[MessageRow]) -> Vec<String> {
    let mut out = vec![String::new(); rows.len()];
    let mut open: Vec<bool> = Vec::new();
    let mut thread = None;
    for (i, row) in rows.iter().enumerate().rev() {
        if thread != Some(row.thread_id) {
            open.clear();
            thread = Some(row.thread_id);
        }
        let depth = row.depth.min(MAX_GUIDE_DEPTH) as usize;
        if open.len() <= depth {
            open.resize(depth + 1, false);
        }
        if depth > 0 {
            let mut guide = String::with_capacity(depth * 6);
            for &continues in &open[1..depth] {
                guide.push_str(if continues { "│ " } else { "  " });
            }
            guide.push_str(if open[depth] { "├─" } else { "└─" });
            guide.push(' ');
            out[i] = guide;
        }
        open[depth] = true;
        open.truncate(depth + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(thread: i64, depth: u32) -> MessageRow {
        MessageRow {
            thread_id: thread,
            depth,
            ..Default::default()
        }
    }

    #[test]
    fn guides_follow_the_tree() {
        let rows = [
            row(1, 0),
            row(1, 1),
            row(1, 2),
            row(1, 2),
            row(1, 1),
            row(2, 0),
            row(2, 1),
        ];
        assert_eq!(
            thread_guides(&rows),
            ["", "├─ ", "│ ├─ ", "│ └─ ", "└─ ", "", "└─ "]
        );
    }
}
