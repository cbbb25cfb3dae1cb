//! A parsed query (`domain::query`) as an IMAP SEARCH key for one folder. `folder:` and
//! `account:` are not server keys: the caller decides them per folder, and the key folds
//! them to constants, so a folder the query rules out is never asked.

use chrono::NaiveDate;
use imap_codec::imap_types::{
    core::{AString, Atom, Vec1},
    search::SearchKey,
};

use crate::domain::query::{Field, Query, Status, Term};

/// What the server should be asked in one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSearch {
    /// The query rules this folder out: ask nothing.
    Nothing,
    /// Ask this key; `utf8` when a value is not ASCII (send `CHARSET UTF-8`).
    Key { key: SearchKey<'static>, utf8: bool },
}

/// A value the server cannot be sent (e.g. a keyword with spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable(pub String);

impl std::fmt::Display for Untranslatable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl ServerSearch {
    /// The top-level keys (an AND is a plain list at the top, parentheses only inside).
    pub fn criteria(key: SearchKey<'static>) -> Vec1<SearchKey<'static>> {
        match key {
            SearchKey::And(keys) => keys,
            key => Vec1::from(key),
        }
    }
}

enum Folded {
    Always,
    Never,
    Key(SearchKey<'static>),
}

/// `scope` answers the terms only the caller knows (folder, account): Some(matches) or None.
pub fn server_search(
    query: &Query,
    today: NaiveDate,
    scope: &dyn Fn(&Term) -> Option<bool>,
) -> Result<ServerSearch, Untranslatable> {
    let mut utf8 = false;
    let folded = fold(query, today, scope, &mut utf8)?;
    Ok(match folded {
        Folded::Never => ServerSearch::Nothing,
        Folded::Always => ServerSearch::Key {
            key: SearchKey::All,
            utf8,
        },
        Folded::Key(key) => ServerSearch::Key { key, utf8 },
    })
}

fn fold(
    query: &Query,
    today: NaiveDate,
    scope: &dyn Fn(&Term) -> Option<bool>,
    utf8: &mut bool,
) -> Result<Folded, Untranslatable> {
    Ok(match query {
        Query::Term(term) => match scope(term) {
            Some(true) => Folded::Always,
            Some(false) => Folded::Never,
            None => Folded::Key(key(term, today, utf8)?),
        },
        Query::Not(inner) => match fold(inner, today, scope, utf8)? {
            Folded::Always => Folded::Never,
            Folded::Never => Folded::Always,
            Folded::Key(key) => Folded::Key(SearchKey::Not(Box::new(key))),
        },
        Query::And(parts) => {
            let mut keys = Vec::new();
            for part in parts {
                match fold(part, today, scope, utf8)? {
                    Folded::Never => return Ok(Folded::Never),
                    Folded::Always => {}
                    Folded::Key(key) => keys.push(key),
                }
            }
            match Vec1::try_from(keys) {
                Err(_) => Folded::Always,
                Ok(keys) if keys.as_ref().len() == 1 => Folded::Key(keys.into_inner().remove(0)),
                Ok(keys) => Folded::Key(SearchKey::And(keys)),
            }
        }
        Query::Or(parts) => {
            let mut keys = Vec::new();
            for part in parts {
                match fold(part, today, scope, utf8)? {
                    Folded::Always => return Ok(Folded::Always),
                    Folded::Never => {}
                    Folded::Key(key) => keys.push(key),
                }
            }
            match any_of(keys) {
                None => Folded::Never,
                Some(key) => Folded::Key(key),
            }
        }
    })
}

/// IMAP's OR takes two keys: nest them.
fn any_of(keys: Vec<SearchKey<'static>>) -> Option<SearchKey<'static>> {
    keys.into_iter()
        .rev()
        .reduce(|right, left| SearchKey::Or(Box::new(left), Box::new(right)))
}

fn key(
    term: &Term,
    today: NaiveDate,
    utf8: &mut bool,
) -> Result<SearchKey<'static>, Untranslatable> {
    let mut text = |value: &str| -> Result<AString<'static>, Untranslatable> {
        *utf8 |= !value.is_ascii();
        AString::try_from(value.to_string())
            .map_err(|e| Untranslatable(format!("{value:?} cannot be sent to the server: {e}")))
    };
    let day = |spec: &crate::domain::query::DateSpec| {
        spec.resolve(today)
            .and_then(|day| imap_codec::imap_types::datetime::NaiveDate::try_from(day).ok())
            .ok_or_else(|| Untranslatable("that date is out of range for a server search".into()))
    };
    Ok(match term {
        Term::Text(value) => any_of(vec![
            SearchKey::From(text(value)?),
            SearchKey::Subject(text(value)?),
            SearchKey::To(text(value)?),
        ])
        .unwrap_or(SearchKey::All),
        Term::Field(Field::From, value) => SearchKey::From(text(value)?),
        Term::Field(Field::To, value) => SearchKey::To(text(value)?),
        Term::Field(Field::Cc, value) => SearchKey::Cc(text(value)?),
        Term::Field(Field::Subject, value) => SearchKey::Subject(text(value)?),
        Term::Field(Field::Body, value) => SearchKey::Body(text(value)?),
        // Unanswered by `scope`: every folder and account matches.
        Term::Folder(_) | Term::Account(_) => SearchKey::All,
        Term::Before(spec) => SearchKey::Before(day(spec)?),
        Term::After(spec) => SearchKey::Since(day(spec)?),
        Term::On(spec) => SearchKey::On(day(spec)?),
        Term::Is(Status::Unread) => SearchKey::Unseen,
        Term::Is(Status::Read) => SearchKey::Seen,
        Term::Is(Status::Flagged) => SearchKey::Flagged,
        Term::Is(Status::Answered) => SearchKey::Answered,
        Term::Is(Status::Deleted) => SearchKey::Deleted,
        // The same sign the cache uses for the 📎 column: a multipart/mixed message.
        Term::HasAttachment => SearchKey::Header(
            AString::try_from("Content-Type").map_err(|e| Untranslatable(e.to_string()))?,
            AString::try_from("multipart/mixed").map_err(|e| Untranslatable(e.to_string()))?,
        ),
        Term::Keyword(word) => {
            SearchKey::Keyword(Atom::try_from(word.clone()).map_err(|_| {
                Untranslatable(format!("{word:?} is not a keyword a server accepts"))
            })?)
        }
        // SEARCH sizes are 32-bit: a bigger bound is "none" / "all".
        Term::Larger(bytes) => match u32::try_from(*bytes) {
            Ok(bytes) => SearchKey::Larger(bytes),
            Err(_) => SearchKey::Not(Box::new(SearchKey::All)),
        },
        Term::Smaller(bytes) => match u32::try_from(*bytes) {
            Ok(bytes) => SearchKey::Smaller(bytes),
            Err(_) => SearchKey::All,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::parse;
    use imap_codec::{
        CommandCodec,
        encode::Encoder,
        imap_types::command::{Command, CommandBody},
    };

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    /// The command line as sent, for a folder named `folder` in account "work".
    fn wire(query: &str, folder: &str) -> Option<String> {
        let scope = |term: &Term| match term {
            Term::Folder(name) => Some(name.eq_ignore_ascii_case(folder)),
            Term::Account(name) => Some(name == "work"),
            _ => None,
        };
        match server_search(&parse(query).unwrap(), today(), &scope).unwrap() {
            ServerSearch::Nothing => None,
            ServerSearch::Key { key, utf8 } => {
                let charset = utf8.then(|| "UTF-8".try_into().unwrap());
                let body = CommandBody::search(charset, ServerSearch::criteria(key), true);
                let command = Command::new("A1", body).unwrap();
                let bytes = CommandCodec::default().encode(&command).dump();
                Some(String::from_utf8(bytes).unwrap().trim_end().to_string())
            }
        }
    }

    #[test]
    fn each_operator_becomes_its_key() {
        let cases = [
            ("", "A1 UID SEARCH ALL"),
            ("ada", "A1 UID SEARCH OR FROM ada OR SUBJECT ada TO ada"),
            ("from:ada to:grace", "A1 UID SEARCH FROM ada TO grace"),
            (
                "cc:x subject:\"patch v3\"",
                "A1 UID SEARCH CC x SUBJECT \"patch v3\"",
            ),
            ("body:invoice", "A1 UID SEARCH BODY invoice"),
            ("before:2026-11-02", "A1 UID SEARCH BEFORE \"02-Nov-2026\""),
            ("after:7d", "A1 UID SEARCH SINCE \"25-Nov-2026\""),
            ("on:2026-11-02", "A1 UID SEARCH ON \"02-Nov-2026\""),
            ("is:unread is:flagged", "A1 UID SEARCH UNSEEN FLAGGED"),
            ("-is:read", "A1 UID SEARCH NOT SEEN"),
            (
                "is:answered or is:deleted",
                "A1 UID SEARCH OR ANSWERED DELETED",
            ),
            ("keyword:$label1", "A1 UID SEARCH KEYWORD $label1"),
            (
                "larger:10k smaller:1M",
                "A1 UID SEARCH LARGER 10240 SMALLER 1048576",
            ),
            (
                "has:attachment",
                "A1 UID SEARCH HEADER Content-Type multipart/mixed",
            ),
            (
                "a or b or c",
                "A1 UID SEARCH OR OR FROM a OR SUBJECT a TO a OR OR FROM b OR SUBJECT b TO b OR FROM c OR SUBJECT c TO c",
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(wire(query, "INBOX").as_deref(), Some(expected), "{query}");
        }
    }

    #[test]
    fn folder_and_account_terms_pick_folders() {
        assert_eq!(wire("folder:Archive is:unread", "INBOX"), None);
        assert_eq!(
            wire("folder:inbox is:unread", "INBOX").as_deref(),
            Some("A1 UID SEARCH UNSEEN")
        );
        assert_eq!(wire("-folder:INBOX", "INBOX"), None);
        assert_eq!(
            wire("folder:Archive or folder:INBOX", "INBOX").as_deref(),
            Some("A1 UID SEARCH ALL")
        );
        assert_eq!(wire("account:home", "INBOX"), None);
        assert_eq!(
            wire("(account:home or is:flagged) account:work", "INBOX").as_deref(),
            Some("A1 UID SEARCH FLAGGED")
        );
    }

    #[test]
    fn non_ascii_values_ask_for_utf8() {
        let line = wire("subject:Grüße", "INBOX").unwrap();
        assert!(
            line.starts_with("A1 UID SEARCH CHARSET UTF-8 SUBJECT {"),
            "{line}"
        );
        assert!(line.ends_with("Grüße"), "{line}");
    }

    #[test]
    fn values_the_server_cannot_take_are_refused() {
        let query = parse("keyword:\"two words\"").unwrap();
        assert!(server_search(&query, today(), &|_| None).is_err());
        assert_eq!(
            wire(&format!("larger:{}", u64::from(u32::MAX) + 1), "INBOX").as_deref(),
            Some("A1 UID SEARCH NOT ALL")
        );
    }
}
