//! The UI's view of the cache: `MailSource` over a read-only store connection.

use crate::app::{Filter, MailSource, SourceError, SourceResult};
use crate::domain::message::MessageRow;
use crate::store::{FolderId, FolderState, Reader, RowFilter, SortOrder, StoreError, Window};

pub struct StoreSource {
    reader: Reader,
}

impl StoreSource {
    pub fn new(reader: Reader) -> Self {
        Self { reader }
    }
}

fn err(e: StoreError) -> SourceError {
    SourceError(format!("cache: {e}"))
}

fn row_filter(filter: Option<&Filter>) -> RowFilter {
    match filter {
        Some(f) => RowFilter {
            words: f.text.split_whitespace().map(str::to_string).collect(),
            unread_only: f.unread_only,
            flagged_only: f.flagged_only,
            fold_all: f.folds.all,
            fold_except: f.folds.except.iter().copied().collect(),
        },
        None => RowFilter::default(),
    }
}

impl MailSource for StoreSource {
    fn folders(&self) -> SourceResult<Vec<FolderState>> {
        self.reader.folders().map_err(err)
    }

    fn count(&self, folder: FolderId, filter: Option<&Filter>) -> SourceResult<u32> {
        match filter {
            None => self.reader.count(folder),
            Some(_) => self.reader.count_filtered(folder, &row_filter(filter)),
        }
        .map_err(err)
    }

    fn window(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        offset: u32,
        limit: u32,
    ) -> SourceResult<Vec<MessageRow>> {
        match filter {
            None => self
                .reader
                .window(folder, sort, Window::Offset(offset), limit),
            Some(_) => {
                self.reader
                    .window_filtered(folder, sort, &row_filter(filter), offset, limit)
            }
        }
        .map_err(err)
    }

    fn index_of(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        uid: u32,
    ) -> SourceResult<Option<u32>> {
        self.reader
            .index_of(folder, sort, &row_filter(filter), uid)
            .map_err(err)
    }

    fn uids(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        offset: u32,
        limit: u32,
    ) -> SourceResult<Vec<u32>> {
        self.reader
            .uids_filtered(folder, sort, &row_filter(filter), offset, limit)
            .map_err(err)
    }

    fn thread_uids(&self, folder: FolderId, thread_id: i64) -> SourceResult<Vec<u32>> {
        self.reader.thread_uids(folder, thread_id).map_err(err)
    }

    fn thread_counts(&self, folder: FolderId, thread_id: i64) -> SourceResult<(u32, u32)> {
        self.reader.thread_counts(folder, thread_id).map_err(err)
    }

    fn pending(&self) -> SourceResult<u32> {
        self.reader.journal_count().map_err(err)
    }

    fn body(&self, folder: FolderId, uid: u32) -> SourceResult<Option<Vec<u8>>> {
        let Some(row) = self.reader.message(folder, uid).map_err(err)? else {
            return Ok(None);
        };
        self.reader.body(folder, row.uidvalidity, uid).map_err(err)
    }
}
