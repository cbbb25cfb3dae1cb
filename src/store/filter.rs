//! The list filter as SQL: unread/flagged bits and words matched against the sender and
//! subject (LIKE: case-insensitive for ASCII). Same meaning as `app::source::Filter::matches`.

use rusqlite::{OptionalExtension, ToSql, params_from_iter};

use super::error::Result;
use super::read::Reader;
use super::{FolderId, SortOrder, rows};
use crate::domain::message::{MessageRow, SystemFlags};

/// What to keep: words that must each appear, and flag conditions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub words: Vec<String>,
    pub unread_only: bool,
    pub flagged_only: bool,
    /// Folded threads show only their first row (`thread_pos = 0`): every thread but
    /// `fold_except` when `fold_all`, else only those in `fold_except`.
    pub fold_all: bool,
    pub fold_except: Vec<i64>,
}

impl RowFilter {
    /// Folded threads and nothing else.
    fn only_folds(&self) -> bool {
        self.words.is_empty() && !self.unread_only && !self.flagged_only
    }
}

struct Sql {
    conditions: String,
    params: Vec<Box<dyn ToSql>>,
}

fn build(folder: FolderId, filter: &RowFilter) -> Sql {
    let mut conditions = String::from("folder_id = ?1");
    let mut params: Vec<Box<dyn ToSql>> = vec![Box::new(folder)];
    if filter.unread_only {
        conditions.push_str(&format!(" AND sys_flags & {} = 0", SystemFlags::SEEN));
    }
    if filter.flagged_only {
        conditions.push_str(&format!(" AND sys_flags & {} != 0", SystemFlags::FLAGGED));
    }
    if filter.fold_all || !filter.fold_except.is_empty() {
        // Thread ids are integers, written in place: no quoting to get wrong.
        let ids: Vec<String> = filter.fold_except.iter().map(i64::to_string).collect();
        let ids = ids.join(",");
        conditions.push_str(&match (filter.fold_all, ids.is_empty()) {
            (true, true) => " AND thread_pos = 0".to_string(),
            (true, false) => format!(" AND (thread_pos = 0 OR thread_id IN ({ids}))"),
            (false, _) => format!(" AND (thread_pos = 0 OR thread_id NOT IN ({ids}))"),
        });
    }
    for word in &filter.words {
        params.push(Box::new(format!("%{}%", escape_like(word))));
        let n = params.len();
        conditions.push_str(&format!(
            " AND (from_name LIKE ?{n} ESCAPE '\\' OR from_addr LIKE ?{n} ESCAPE '\\' \
             OR subject LIKE ?{n} ESCAPE '\\')"
        ));
    }
    Sql { conditions, params }
}

pub(super) fn escape_like(word: &str) -> String {
    word.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

fn order(sort: SortOrder) -> &'static str {
    match sort {
        SortOrder::DateDesc => "date DESC, uid DESC",
        SortOrder::Threaded => "thread_latest DESC, thread_id DESC, thread_pos",
    }
}

/// `columns` of the sorted, filtered rows from `offset`, at most `limit`.
fn page(
    columns: &str,
    folder: FolderId,
    sort: SortOrder,
    filter: &RowFilter,
    offset: u32,
    limit: u32,
) -> (String, Vec<Box<dyn ToSql>>) {
    let mut sql = build(folder, filter);
    sql.params.push(Box::new(limit));
    sql.params.push(Box::new(offset));
    let n = sql.params.len();
    if sort == SortOrder::Threaded && filter.only_folds() {
        // Folds test only columns of the threaded index: walk it alone for the page's
        // keys (cheap at any OFFSET), then read the `limit` rows, as `Reader::window` does.
        let columns = if columns == "uid" {
            "m.uid"
        } else {
            rows::MESSAGE_COLUMNS_M
        };
        let query = format!(
            "SELECT {columns} FROM (SELECT uidvalidity, uid FROM messages INDEXED BY messages_threaded
             WHERE {} ORDER BY {} LIMIT ?{} OFFSET ?{n}) AS k CROSS JOIN messages AS m
             ON m.folder_id = ?1 AND m.uidvalidity = k.uidvalidity AND m.uid = k.uid
             ORDER BY m.thread_latest DESC, m.thread_id DESC, m.thread_pos",
            sql.conditions,
            order(sort),
            n - 1
        );
        return (query, sql.params);
    }
    let query = format!(
        "SELECT {columns} FROM messages WHERE {} ORDER BY {} LIMIT ?{} OFFSET ?{n}",
        sql.conditions,
        order(sort),
        n - 1
    );
    (query, sql.params)
}

impl Reader {
    pub fn count_filtered(&self, folder: FolderId, filter: &RowFilter) -> Result<u32> {
        let sql = build(folder, filter);
        let query = format!("SELECT count(*) FROM messages WHERE {}", sql.conditions);
        Ok(self
            .conn()
            .prepare_cached(&query)?
            .query_row(params_from_iter(sql.params.iter()), |r| r.get(0))?)
    }

    pub fn window_filtered(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: &RowFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<MessageRow>> {
        let (query, params) = page(rows::MESSAGE_COLUMNS, folder, sort, filter, offset, limit);
        let mut stmt = self.conn().prepare_cached(&query)?;
        let rows = stmt
            .query_map(params_from_iter(params.iter()), rows::message)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// UIDs of up to `limit` rows from `offset` in the sorted, filtered list: selections
    /// of many messages without reading whole rows.
    pub fn uids_filtered(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: &RowFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<u32>> {
        let (query, params) = page("uid", folder, sort, filter, offset, limit);
        let mut stmt = self.conn().prepare_cached(&query)?;
        let uids = stmt
            .query_map(params_from_iter(params.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(uids)
    }

    /// UIDs of every cached message of a thread, in thread order.
    pub fn thread_uids(&self, folder: FolderId, thread_id: i64) -> Result<Vec<u32>> {
        let mut stmt = self.conn().prepare_cached(
            // Without statistics SQLite would walk the whole folder by primary key.
            "SELECT uid FROM messages INDEXED BY messages_thread
             WHERE folder_id = ?1 AND thread_id = ?2 ORDER BY thread_pos",
        )?;
        let uids = stmt
            .query_map(rusqlite::params![folder, thread_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(uids)
    }

    /// Position of `uid` in the sorted (optionally filtered) list; None when it is not
    /// there (gone, or filtered out).
    pub fn index_of(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: &RowFilter,
        uid: u32,
    ) -> Result<Option<u32>> {
        let sql = build(folder, filter);
        let anchor_query = format!(
            "SELECT date, thread_latest, thread_id, thread_pos FROM messages
             WHERE {} AND uid = ?{} AND uidvalidity = (SELECT uidvalidity FROM folders WHERE id = ?1)",
            sql.conditions,
            sql.params.len() + 1
        );
        let mut params = sql.params;
        params.push(Box::new(uid));
        let anchor: Option<(i64, i64, i64, i64)> = self
            .conn()
            .prepare_cached(&anchor_query)?
            .query_row(params_from_iter(params.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((date, latest, thread, pos)) = anchor else {
            return Ok(None);
        };
        params.pop();
        let base = params.len();
        let before = match sort {
            SortOrder::DateDesc => {
                params.push(Box::new(date));
                params.push(Box::new(uid));
                format!(
                    "(date > ?{a} OR (date = ?{a} AND uid > ?{b}))",
                    a = base + 1,
                    b = base + 2
                )
            }
            SortOrder::Threaded => {
                params.push(Box::new(latest));
                params.push(Box::new(thread));
                params.push(Box::new(pos));
                format!(
                    "(thread_latest > ?{a} OR (thread_latest = ?{a} AND (thread_id > ?{b} \
                     OR (thread_id = ?{b} AND thread_pos < ?{c}))))",
                    a = base + 1,
                    b = base + 2,
                    c = base + 3
                )
            }
        };
        let sql = build(folder, filter);
        let query = format!(
            "SELECT count(*) FROM messages WHERE {} AND {before}",
            sql.conditions
        );
        let position: u32 = self
            .conn()
            .prepare_cached(&query)?
            .query_row(params_from_iter(params.iter()), |r| r.get(0))?;
        Ok(Some(position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{Flags, HeaderFields, NewMessage};
    use crate::store::{Store, Window};

    fn message(uid: u32, from: &str, subject: &str, flags: &[&str], date: i64) -> NewMessage {
        NewMessage {
            uid,
            flags: Flags::from_imap(flags),
            internal_date: Some(date),
            size: Some(100),
            headers: HeaderFields {
                date: Some(date),
                from_name: Some(from.to_string()),
                from_addr: Some(format!("{}@example.com", from.to_lowercase())),
                subject: subject.to_string(),
                message_id: Some(format!("m{uid}@x")),
                ..HeaderFields::default()
            },
            ..NewMessage::default()
        }
    }

    fn store() -> (tempfile::TempDir, Store, FolderId) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.sqlite")).unwrap();
        let folder = store
            .write(|tx| {
                let id = tx.upsert_folder("INBOX", Some("inbox"), Some('/'))?;
                tx.reset_folder(id, 7)?;
                tx.upsert_messages(
                    id,
                    7,
                    &[
                        message(1, "Ada", "Engine notes", &["\\Seen"], 100),
                        message(2, "Grace", "Compiler 100%_done", &[], 200),
                        message(3, "Ada", "Re: Engine notes", &["\\Flagged"], 300),
                        message(4, "Linus", "patch v3", &["\\Seen", "\\Flagged"], 400),
                    ],
                )?;
                Ok(id)
            })
            .unwrap();
        (dir, store, folder)
    }

    fn uids(rows: &[MessageRow]) -> Vec<u32> {
        rows.iter().map(|r| r.uid).collect()
    }

    #[test]
    fn words_and_flags_narrow_the_list() {
        let (_dir, store, folder) = store();
        let reader = store.reader().unwrap();
        let ada = RowFilter {
            words: vec!["ada".into()],
            ..RowFilter::default()
        };
        assert_eq!(reader.count_filtered(folder, &ada).unwrap(), 2);
        let rows = reader
            .window_filtered(folder, SortOrder::DateDesc, &ada, 0, 10)
            .unwrap();
        assert_eq!(uids(&rows), [3, 1]);
        let unread = RowFilter {
            unread_only: true,
            ..RowFilter::default()
        };
        assert_eq!(reader.count_filtered(folder, &unread).unwrap(), 2);
        let flagged_engine = RowFilter {
            words: vec!["engine".into()],
            flagged_only: true,
            ..RowFilter::default()
        };
        let rows = reader
            .window_filtered(folder, SortOrder::DateDesc, &flagged_engine, 0, 10)
            .unwrap();
        assert_eq!(uids(&rows), [3]);
        // LIKE wildcards in the input are literal.
        let percent = RowFilter {
            words: vec!["100%_".into()],
            ..RowFilter::default()
        };
        assert_eq!(reader.count_filtered(folder, &percent).unwrap(), 1);
        let none = RowFilter {
            words: vec!["%".into(), "zzz".into()],
            ..RowFilter::default()
        };
        assert_eq!(reader.count_filtered(folder, &none).unwrap(), 0);
        // No filter: the same as the plain window.
        let all = reader
            .window_filtered(folder, SortOrder::DateDesc, &RowFilter::default(), 1, 2)
            .unwrap();
        let plain = reader
            .window(folder, SortOrder::DateDesc, Window::Offset(1), 2)
            .unwrap();
        assert_eq!(uids(&all), uids(&plain));
    }

    #[test]
    fn selections_read_uids_in_list_order_and_whole_threads() {
        let (_dir, store, folder) = store();
        let reader = store.reader().unwrap();
        let unread_or_ada = [
            RowFilter::default(),
            RowFilter {
                words: vec!["ada".into()],
                ..RowFilter::default()
            },
        ];
        for sort in [SortOrder::DateDesc, SortOrder::Threaded] {
            for filter in &unread_or_ada {
                let rows = reader.window_filtered(folder, sort, filter, 1, 2).unwrap();
                let picked = reader.uids_filtered(folder, sort, filter, 1, 2).unwrap();
                assert_eq!(picked, uids(&rows), "{sort:?} {filter:?}");
            }
        }
        let all = reader
            .window(folder, SortOrder::Threaded, Window::Offset(0), 10)
            .unwrap();
        for row in &all {
            let members: Vec<u32> = all
                .iter()
                .filter(|r| r.thread_id == row.thread_id)
                .map(|r| r.uid)
                .collect();
            assert_eq!(reader.thread_uids(folder, row.thread_id).unwrap(), members);
        }
        assert!(reader.thread_uids(folder, -5).unwrap().is_empty());
    }

    #[test]
    fn index_of_agrees_with_the_window() {
        let (_dir, store, folder) = store();
        let reader = store.reader().unwrap();
        for sort in [SortOrder::DateDesc, SortOrder::Threaded] {
            let rows = reader.window(folder, sort, Window::Offset(0), 10).unwrap();
            for (i, row) in rows.iter().enumerate() {
                assert_eq!(
                    reader
                        .index_of(folder, sort, &RowFilter::default(), row.uid)
                        .unwrap(),
                    Some(i as u32),
                    "{sort:?} uid {}",
                    row.uid
                );
            }
        }
        let ada = RowFilter {
            words: vec!["ada".into()],
            ..RowFilter::default()
        };
        assert_eq!(
            reader
                .index_of(folder, SortOrder::DateDesc, &ada, 1)
                .unwrap(),
            Some(1)
        );
        assert_eq!(
            reader
                .index_of(folder, SortOrder::DateDesc, &ada, 2)
                .unwrap(),
            None,
            "filtered out"
        );
        assert_eq!(
            reader
                .index_of(folder, SortOrder::DateDesc, &RowFilter::default(), 99)
                .unwrap(),
            None
        );
    }
}
