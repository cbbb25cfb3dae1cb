//! A query of the search language (`domain::query`) over the whole cache: every folder,
//! header words and cached body text through the FTS5 index, flags, dates and sizes
//! through the message rows. Newest first; a message in several folders shows once.

use chrono::{Local, NaiveDate, TimeZone};
use rusqlite::{ToSql, params_from_iter};

use super::error::Result;
use super::filter::escape_like;
use super::read::Reader;
use super::{FolderId, rows};
use crate::domain::message::{MessageRow, SystemFlags};
use crate::domain::query::{DateSpec, Field, Query, Status, Term};

/// One result: the message and the folder it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub folder: FolderId,
    pub folder_name: String,
    pub row: MessageRow,
}

/// What a search runs against besides the query.
#[derive(Debug, Clone, Copy)]
pub struct SearchScope<'a> {
    /// This cache's account, for `account:` terms.
    pub account: &'a str,
    /// `7d` and friends count back from this day.
    pub today: NaiveDate,
    pub limit: usize,
}

struct Sql {
    text: String,
    params: Vec<Box<dyn ToSql>>,
}

impl Reader {
    pub fn search(&self, query: &Query, scope: SearchScope<'_>) -> Result<Vec<SearchHit>> {
        let mut sql = Sql {
            text: String::new(),
            params: Vec::new(),
        };
        condition(query, &scope, &mut sql);
        let statement = format!(
            "SELECT f.id, f.name, {} FROM messages m
             JOIN folders f ON f.id = m.folder_id AND f.uidvalidity = m.uidvalidity
             WHERE {}
             ORDER BY m.date DESC, m.folder_id, m.uid DESC",
            rows::MESSAGE_COLUMNS_M,
            sql.text
        );
        let mut stmt = self.conn().prepare(&statement)?;
        let mut found = stmt.query(params_from_iter(sql.params.iter()))?;
        let mut hits = Vec::new();
        let mut seen_ids = std::collections::HashSet::new();
        while hits.len() < scope.limit {
            let Some(r) = found.next()? else { break };
            let row = rows::message_from(r, 2)?;
            if let Some(id) = &row.message_id
                && !seen_ids.insert(id.clone())
            {
                continue;
            }
            hits.push(SearchHit {
                folder: r.get(0)?,
                folder_name: r.get(1)?,
                row,
            });
        }
        Ok(hits)
    }
}

fn condition(query: &Query, scope: &SearchScope<'_>, sql: &mut Sql) {
    match query {
        Query::And(parts) | Query::Or(parts) if parts.is_empty() => {
            // An empty AND is "everything"; an empty OR never comes out of the parser.
            sql.text.push_str(if matches!(query, Query::And(_)) {
                "1"
            } else {
                "0"
            });
        }
        Query::And(parts) | Query::Or(parts) => {
            let joiner = if matches!(query, Query::And(_)) {
                " AND "
            } else {
                " OR "
            };
            sql.text.push('(');
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    sql.text.push_str(joiner);
                }
                condition(part, scope, sql);
            }
            sql.text.push(')');
        }
        Query::Not(inner) => {
            sql.text.push_str("NOT (");
            condition(inner, scope, sql);
            sql.text.push(')');
        }
        Query::Term(term) => term_condition(term, scope, sql),
    }
}

fn term_condition(term: &Term, scope: &SearchScope<'_>, sql: &mut Sql) {
    let bind = |sql: &mut Sql, value: Box<dyn ToSql>| {
        sql.params.push(value);
        format!("?{}", sql.params.len())
    };
    let text = match term {
        Term::Text(words) => words_match(Index::Headers("{subject sender recipients}"), words, sql),
        Term::Field(field, words) => {
            let index = match field {
                Field::From => Index::Headers("sender"),
                Field::To => Index::Headers("recipients"),
                Field::Cc => Index::Headers("cc"),
                Field::Subject => Index::Headers("subject"),
                Field::Body => Index::Bodies,
            };
            words_match(index, words, sql)
        }
        Term::Folder(name) => {
            let p = bind(sql, Box::new(name.clone()));
            format!("f.name = {p} COLLATE NOCASE")
        }
        Term::Account(name) => if name.eq_ignore_ascii_case(scope.account) {
            "1"
        } else {
            "0"
        }
        .to_string(),
        Term::Before(spec) => format!("m.date < {}", day_start(*spec, scope.today, 0)),
        Term::After(spec) => format!("m.date >= {}", day_start(*spec, scope.today, 0)),
        Term::On(spec) => format!(
            "(m.date >= {} AND m.date < {})",
            day_start(*spec, scope.today, 0),
            day_start(*spec, scope.today, 1)
        ),
        Term::Is(status) => {
            let (bit, set) = match status {
                Status::Unread => (SystemFlags::SEEN, false),
                Status::Read => (SystemFlags::SEEN, true),
                Status::Flagged => (SystemFlags::FLAGGED, true),
                Status::Answered => (SystemFlags::ANSWERED, true),
                Status::Deleted => (SystemFlags::DELETED, true),
            };
            format!("m.sys_flags & {bit} {} 0", if set { "!=" } else { "=" })
        }
        Term::HasAttachment => "m.has_attachment != 0".to_string(),
        Term::Keyword(word) => {
            let p = bind(sql, Box::new(format!("% {} %", escape_like(word))));
            format!("(' ' || m.keywords || ' ') LIKE {p} ESCAPE '\\'")
        }
        Term::Larger(bytes) => format!("m.size > {}", i64::try_from(*bytes).unwrap_or(i64::MAX)),
        Term::Smaller(bytes) => format!("m.size < {}", i64::try_from(*bytes).unwrap_or(i64::MAX)),
    };
    sql.text.push_str(&text);
}

/// Which FTS5 table a term searches (migration 0008).
enum Index {
    /// `search_text`, restricted to these columns.
    Headers(&'static str),
    /// `search_bodies`: one column, kept without column lists, so no column filter.
    Bodies,
}

/// Words as an FTS5 match in `index`: each token a prefix, all of them required.
fn words_match(index: Index, words: &str, sql: &mut Sql) -> String {
    let tokens: Vec<String> = words
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect();
    if tokens.is_empty() {
        // Punctuation alone has no tokens: match it literally in the subject.
        sql.params
            .push(Box::new(format!("%{}%", escape_like(words))));
        return format!("m.subject LIKE ?{} ESCAPE '\\'", sql.params.len());
    }
    let all = tokens.join(" AND ");
    let (table, expression) = match index {
        Index::Headers(columns) => ("search_text", format!("{columns} : ({all})")),
        Index::Bodies => ("search_bodies", all),
    };
    sql.params.push(Box::new(expression));
    // Not correlated: SQLite runs the MATCH once, then looks each hit up by the primary key
    // (the document id splits back into folder and UID; the UIDVALIDITY is the folder's).
    format!(
        "(m.folder_id, m.uidvalidity, m.uid) IN (SELECT t.rowid >> 32,
             (SELECT f2.uidvalidity FROM folders f2 WHERE f2.id = t.rowid >> 32),
             t.rowid & 4294967295
             FROM {table} t WHERE {table} MATCH ?{})",
        sql.params.len()
    )
}

/// Unix seconds at the start (local time) of the day `spec` names, plus `days_after` days.
fn day_start(spec: DateSpec, today: NaiveDate, days_after: u64) -> i64 {
    let day = spec
        .resolve(today)
        .and_then(|d| d.checked_add_days(chrono::Days::new(days_after)));
    let Some(day) = day else {
        // Out of the calendar: before everything.
        return i64::MIN;
    };
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Local
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc().timestamp(), |t| t.timestamp())
}
