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

    fn search(
        &self,
        query: &crate::domain::query::Query,
        scope: crate::app::SearchScope<'_>,
    ) -> SourceResult<Vec<crate::app::SourceHit>> {
        let scope = crate::store::SearchScope {
            account: scope.account,
            today: scope.today,
            limit: scope.limit,
        };
        let hits = self.reader.search(query, scope).map_err(err)?;
        Ok(hits
            .into_iter()
            .map(|hit| crate::app::SourceHit {
                folder: hit.folder,
                folder_name: hit.folder_name,
                row: hit.row,
            })
            .collect())
    }

    fn body(&self, folder: FolderId, uid: u32) -> SourceResult<Option<Vec<u8>>> {
        let Some(row) = self.reader.message(folder, uid).map_err(err)? else {
            return Ok(None);
        };
        self.reader.body(folder, row.uidvalidity, uid).map_err(err)
    }

    fn shown(
        &self,
        folder: FolderId,
        uid: u32,
        prefer_html: bool,
    ) -> SourceResult<Option<crate::app::Shown>> {
        let Some(row) = self.reader.message(folder, uid).map_err(err)? else {
            return Ok(None);
        };
        let shown = self
            .reader
            .shown_message(folder, row.uidvalidity, uid, prefer_html)
            .map_err(err)?;
        Ok(shown.map(|s| crate::app::Shown {
            raw: s.raw,
            structure: s.structure,
            whole: s.whole,
            cut: s.cut,
        }))
    }

    fn structure(
        &self,
        folder: FolderId,
        uid: u32,
    ) -> SourceResult<Option<crate::domain::parts::Structure>> {
        let Some(row) = self.reader.message(folder, uid).map_err(err)? else {
            return Ok(None);
        };
        self.reader
            .structure(folder, row.uidvalidity, uid)
            .map_err(err)
    }

    fn part(&self, folder: FolderId, uid: u32, section: &str) -> SourceResult<Option<Vec<u8>>> {
        let Some(row) = self.reader.message(folder, uid).map_err(err)? else {
            return Ok(None);
        };
        let encoding = self
            .reader
            .structure(folder, row.uidvalidity, uid)
            .map_err(err)?
            .and_then(|s| s.part(section).map(|p| p.encoding.clone()))
            .unwrap_or_default();
        Ok(self
            .reader
            .section(folder, row.uidvalidity, uid, section)
            .map_err(err)?
            .filter(|s| !s.partial)
            .map(|s| s.content(&encoding)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FakeSource;
    use crate::domain::message::{Flags, HeaderFields, NewMessage};
    use crate::store::Store;

    /// (uid, sender, subject, flags): names and subjects in several scripts and cases.
    const ROWS: &[(u32, &str, &str, &[&str])] = &[
        (1, "Ada Lovelace", "Engine notes", &["\\Seen"]),
        (2, "Jörg Müller", "Über den Zähler", &[]),
        (3, "JÖRG MÜLLER", "ÜBER DEN ZÄHLER", &["\\Flagged"]),
        (4, "Grace Hopper", "100% done_now", &["\\Seen", "\\Flagged"]),
        (5, "Σωκράτης", "Ερώτηση", &[]),
        (6, "ada@example.com", "re: ENGINE", &[]),
    ];

    pub(super) fn sources() -> (
        tempfile::TempDir,
        StoreSource,
        FakeSource,
        FolderId,
        FolderId,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
        let messages: Vec<NewMessage> = ROWS
            .iter()
            .map(|&(uid, from, subject, flags)| NewMessage {
                uid,
                flags: Flags::from_imap(flags),
                internal_date: Some(1_000 + i64::from(uid)),
                headers: HeaderFields {
                    date: Some(1_000 + i64::from(uid)),
                    from_name: Some(from.into()),
                    subject: subject.into(),
                    ..HeaderFields::default()
                },
                ..NewMessage::default()
            })
            .collect();
        let stored = store
            .write(move |tx| {
                let id = tx.upsert_folder("INBOX", None, Some('/'))?;
                tx.reset_folder(id, 7)?;
                tx.upsert_messages(id, 7, &messages)?;
                Ok(id)
            })
            .unwrap();
        let real = StoreSource::new(store.reader().unwrap());
        let mut fake = FakeSource::new();
        let faked = fake.add_folder("INBOX", None, Some('/'));
        fake.extend(
            faked,
            real.window(stored, SortOrder::DateDesc, None, 0, 100)
                .unwrap(),
        );
        (dir, real, fake, stored, faked)
    }

    #[test]
    fn the_fake_filters_exactly_as_the_store_does() {
        let (_dir, real, fake, stored, faked) = sources();
        for input in [
            "ada",
            "ADA",
            "engine",
            "jörg",
            "JÖRG",
            "müller",
            "über",
            "ÜBER",
            "σωκράτης",
            "100%",
            "done_now",
            "d%e",
            "~N",
            "~F",
            "~N ~F",
            "~F jörg",
            "example.com",
            "nobody",
        ] {
            let filter = Filter::parse(input);
            let uids = |source: &dyn MailSource, folder| -> Vec<u32> {
                source
                    .window(folder, SortOrder::DateDesc, filter.as_ref(), 0, 100)
                    .unwrap()
                    .into_iter()
                    .map(|r| r.uid)
                    .collect()
            };
            assert_eq!(uids(&fake, faked), uids(&real, stored), "filter {input:?}");
            assert_eq!(
                fake.count(faked, filter.as_ref()).unwrap(),
                real.count(stored, filter.as_ref()).unwrap(),
                "count of {input:?}"
            );
        }
    }
}

#[cfg(test)]
mod search_tests {
    use super::tests::sources;
    use crate::app::{MailSource, SearchScope};

    /// The fake's search means what the store's does on what both can see (headers,
    /// flags): the app tests of search rely on it.
    #[test]
    fn the_fake_searches_as_the_store_does() {
        let (_dir, real, fake, _, _) = sources();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        for text in [
            "engine",
            "ENGINE",
            "from:ada",
            "subject:zähler",
            "is:unread",
            "is:flagged",
            "is:read or is:flagged",
            "-is:read from:jörg",
            "(from:grace or from:σωκράτης) -is:flagged",
            "folder:INBOX is:unread",
            "folder:Archive",
            "account:work engine",
            "account:home",
            "nobody",
        ] {
            let query = crate::domain::query::parse(text).unwrap();
            let scope = SearchScope {
                account: "work",
                today,
                limit: 100,
            };
            let uids = |source: &dyn MailSource| -> Vec<u32> {
                let mut uids: Vec<u32> = source
                    .search(&query, scope)
                    .unwrap()
                    .into_iter()
                    .map(|h| h.row.uid)
                    .collect();
                uids.sort();
                uids
            };
            assert_eq!(uids(&fake), uids(&real), "query {text:?}");
        }
    }
}
