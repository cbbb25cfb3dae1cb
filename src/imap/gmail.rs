//! Gmail's IMAP extensions (X-GM-EXT-1): a query sent in Gmail's own search language
//! (`UID SEARCH X-GM-RAW "..."`, which also searches bodies on the server), and the
//! X-GM-MSGID that names one mail in every label (folder) it shows in. imap-codec knows
//! neither: the search goes out as a raw line and the FETCH answer is read here from the
//! bytes the codec skipped.

use chrono::NaiveDate;
use imap_codec::imap_types::core::Vec1;

use super::esearch::{Cursor, criteria_text};
use super::search::{ServerSearch, server_search};
use crate::domain::query::{DateSpec, Field, Query, Status, Term};

/// The capability that says a server speaks Gmail's extensions.
pub const CAPABILITY: &str = "X-GM-EXT-1";

/// The `UID SEARCH` line for a Gmail server: what Gmail's language can say goes into
/// X-GM-RAW, the top-level conditions it cannot say (`is:answered`, `keyword:`) stay
/// standard search keys beside it. None when nothing goes to X-GM-RAW, the folder is ruled
/// out, or the line would need a literal (non-ASCII): the standard translation
/// (`search::server_search`) then answers alone.
pub fn raw_search_line(
    query: &Query,
    today: NaiveDate,
    scope: &dyn Fn(&Term) -> Option<bool>,
) -> Option<String> {
    let parts = match query {
        Query::And(parts) => parts.as_slice(),
        single => std::slice::from_ref(single),
    };
    let mut raw = Vec::new();
    let mut standard = Vec::new();
    for part in parts {
        match say(part, today, scope) {
            Ok(Said::Always) => {}
            Ok(Said::Never) => return None,
            Ok(Said::Text(text)) => raw.push(text),
            Err(CannotSay) => match server_search(part, today, scope) {
                Ok(ServerSearch::Key { key, utf8: false }) => {
                    standard.extend(ServerSearch::criteria(key).into_inner());
                }
                _ => return None,
            },
        }
    }
    if raw.is_empty() {
        return None;
    }
    let mut line = format!("UID SEARCH X-GM-RAW {}", quoted(&raw.join(" "))?);
    if let Ok(standard) = Vec1::try_from(standard) {
        line.push(' ');
        line.push_str(&criteria_text(standard)?);
    }
    Some(line)
}

/// What a condition is in Gmail's language.
enum Said {
    Always,
    Never,
    Text(String),
}

/// A condition Gmail's language has no word for.
struct CannotSay;

fn say(
    query: &Query,
    today: NaiveDate,
    scope: &dyn Fn(&Term) -> Option<bool>,
) -> Result<Said, CannotSay> {
    Ok(match query {
        Query::Term(term) => match scope(term) {
            Some(true) => Said::Always,
            Some(false) => Said::Never,
            None => match term {
                // Unanswered by `scope`: every folder and account matches.
                Term::Folder(_) | Term::Account(_) => Said::Always,
                term => Said::Text(word(term, today)?),
            },
        },
        Query::Not(inner) => match say(inner, today, scope)? {
            Said::Always => Said::Never,
            Said::Never => Said::Always,
            Said::Text(text) => match text.strip_prefix('-') {
                Some(twice_negated) => Said::Text(twice_negated.to_string()),
                None => Said::Text(format!("-{text}")),
            },
        },
        Query::And(parts) => {
            let mut texts = Vec::new();
            for part in parts {
                match say(part, today, scope)? {
                    Said::Never => return Ok(Said::Never),
                    Said::Always => {}
                    Said::Text(text) => texts.push(text),
                }
            }
            match texts.len() {
                0 => Said::Always,
                1 => Said::Text(texts.remove(0)),
                _ => Said::Text(format!("({})", texts.join(" "))),
            }
        }
        Query::Or(parts) => {
            let mut texts = Vec::new();
            for part in parts {
                match say(part, today, scope)? {
                    Said::Always => return Ok(Said::Always),
                    Said::Never => {}
                    Said::Text(text) => texts.push(text),
                }
            }
            match texts.len() {
                0 => Said::Never,
                1 => Said::Text(texts.remove(0)),
                // Gmail's braces: any of these.
                _ => Said::Text(format!("{{{}}}", texts.join(" "))),
            }
        }
    })
}

/// One term in Gmail's language.
fn word(term: &Term, today: NaiveDate) -> Result<String, CannotSay> {
    let day = |spec: &DateSpec| spec.resolve(today).ok_or(CannotSay);
    let date = |day: NaiveDate| day.format("%Y/%m/%d").to_string();
    Ok(match term {
        // Free words mean subject, from or to, as in the cache and in standard SEARCH
        // (a bare Gmail word would match bodies too).
        Term::Text(value) => {
            let value = value_of(value)?;
            format!("{{from:{value} subject:{value} to:{value}}}")
        }
        Term::Field(Field::From, value) => format!("from:{}", value_of(value)?),
        Term::Field(Field::To, value) => format!("to:{}", value_of(value)?),
        Term::Field(Field::Cc, value) => format!("cc:{}", value_of(value)?),
        Term::Field(Field::Subject, value) => format!("subject:{}", value_of(value)?),
        // Gmail has no body-only operator: a bare word searches the body (and headers).
        Term::Field(Field::Body, value) => value_of(value)?,
        Term::Folder(_) | Term::Account(_) => return Err(CannotSay),
        // Gmail's before: is exclusive and after: inclusive, like IMAP BEFORE and SINCE.
        Term::Before(spec) => format!("before:{}", date(day(spec)?)),
        Term::After(spec) => format!("after:{}", date(day(spec)?)),
        Term::On(spec) => {
            let first = day(spec)?;
            let next = first.succ_opt().ok_or(CannotSay)?;
            format!("(after:{} before:{})", date(first), date(next))
        }
        Term::Is(Status::Unread) => "is:unread".into(),
        Term::Is(Status::Read) => "is:read".into(),
        Term::Is(Status::Flagged) => "is:starred".into(),
        Term::Is(Status::Answered | Status::Deleted) => return Err(CannotSay),
        Term::HasAttachment => "has:attachment".into(),
        Term::Keyword(_) => return Err(CannotSay),
        // Exact bytes: Gmail takes plain numbers as bytes, its "M" may not be ours.
        Term::Larger(bytes) => format!("larger:{bytes}"),
        Term::Smaller(bytes) => format!("smaller:{bytes}"),
    })
}

/// A value as Gmail reads it: bare when it is a plain word, else a quoted phrase. Gmail
/// cannot escape a `"` inside a phrase.
fn value_of(value: &str) -> Result<String, CannotSay> {
    let plain = |c: char| c.is_alphanumeric() || matches!(c, '@' | '.' | '_' | '+' | '\'');
    let operator = ["OR", "AND", "AROUND"].contains(&value);
    if value.is_empty() || value.contains('"') || value.chars().any(char::is_control) {
        Err(CannotSay)
    } else if value.chars().all(plain) && !operator {
        Ok(value.to_string())
    } else {
        Ok(format!("\"{value}\""))
    }
}

/// An IMAP quoted string; None when it cannot be one on a raw line (not ASCII).
fn quoted(text: &str) -> Option<String> {
    if !text.is_ascii() || text.chars().any(|c| c.is_ascii_control()) {
        return None;
    }
    Some(format!(
        "\"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// `UID FETCH <uids> (UID X-GM-MSGID)`.
pub(crate) fn msgid_fetch_line(uids: &str) -> String {
    format!("UID FETCH {uids} (UID X-GM-MSGID)")
}

/// A FETCH response's UID and X-GM-MSGID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GmailId {
    pub uid: u32,
    pub msgid: u64,
}

/// Whether the bytes are a FETCH response naming X-GM-MSGID (readable or not).
pub(crate) fn is_msgid_fetch(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"* ") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let fetch = b" FETCH (";
    digits > 0
        && rest
            .get(digits..digits + fetch.len())
            .is_some_and(|word| word.eq_ignore_ascii_case(fetch))
        && rest
            .windows(b"X-GM-MSGID".len())
            .any(|w| w.eq_ignore_ascii_case(b"X-GM-MSGID"))
}

/// Reads `* 3 FETCH (X-GM-MSGID 1278455344230334865 UID 5)`; Gmail's other items
/// (X-GM-LABELS, X-GM-THRID) are skipped. Anything else (FLAGS, a body) is an error, so
/// that such a response stays the codec's unparsed one and no flag change is lost
/// unnoticed; so are a literal, a missing or repeated UID or id, and anything not a number
/// where one belongs.
pub(crate) fn parse_msgid_fetch(bytes: &[u8]) -> Result<GmailId, String> {
    if !is_msgid_fetch(bytes) {
        return Err("not a FETCH response with X-GM-MSGID".into());
    }
    let line = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
    let open = line
        .iter()
        .position(|&b| b == b'(')
        .ok_or("a FETCH without its list")?;
    let items = line[open + 1..]
        .strip_suffix(b")")
        .ok_or("a FETCH list that is not closed at the end of the line")?;
    let mut cursor = Cursor {
        bytes: items,
        at: 0,
    };
    let (mut uid, mut msgid) = (None, None);
    cursor.skip_spaces();
    while !cursor.at_end() {
        let name = cursor.atom()?;
        cursor.skip_spaces();
        if cursor.peek() == Some(b'{') {
            return Err("a literal where only numbers were asked for".into());
        }
        let value = cursor.value()?;
        cursor.skip_spaces();
        if name.eq_ignore_ascii_case(b"UID") {
            let number = number(&value).filter(|&n| n > 0);
            let number = number.and_then(|n| u32::try_from(n).ok());
            let number = number.ok_or_else(|| format!("{} is no UID", shown(&value)))?;
            if uid.replace(number).is_some() {
                return Err("UID given twice".into());
            }
        } else if name.eq_ignore_ascii_case(b"X-GM-MSGID") {
            let number = number(&value).ok_or_else(|| format!("{} is no id", shown(&value)))?;
            if msgid.replace(number).is_some() {
                return Err("X-GM-MSGID given twice".into());
            }
        } else if !name.to_ascii_uppercase().starts_with(b"X-GM-") {
            return Err(format!("{} beside X-GM-MSGID", shown(&name)));
        }
    }
    match (uid, msgid) {
        (Some(uid), Some(msgid)) => Ok(GmailId { uid, msgid }),
        (None, _) => Err("a FETCH without UID".into()),
        (_, None) => Err("a FETCH without a value for X-GM-MSGID".into()),
    }
}

/// A decimal number of up to 64 bits (no sign, no spaces).
fn number(text: &[u8]) -> Option<u64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// A server's word for an error message: printable and short.
fn shown(text: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(&text[..text.len().min(40)])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    format!("{text:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::parse;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    /// The line sent for `query` in folder INBOX of account "work".
    fn line(query: &str) -> Option<String> {
        let scope = |term: &Term| match term {
            Term::Folder(name) => Some(name.eq_ignore_ascii_case("INBOX")),
            Term::Account(name) => Some(name == "work"),
            _ => None,
        };
        raw_search_line(&parse(query).unwrap(), today(), &scope)
    }

    fn raw(query: &str) -> String {
        let line = line(query).unwrap_or_else(|| panic!("no X-GM-RAW for {query}"));
        line.strip_prefix("UID SEARCH X-GM-RAW ")
            .unwrap_or_else(|| panic!("{line}"))
            .to_string()
    }

    #[test]
    fn each_operator_in_gmails_words() {
        let cases = [
            ("ada", r#""{from:ada subject:ada to:ada}""#),
            ("from:ada to:grace", r#""from:ada to:grace""#),
            ("cc:bob@example.com", r#""cc:bob@example.com""#),
            ("subject:\"patch v3\"", r#""subject:\"patch v3\"""#),
            (
                "\"engine notes\"",
                r#""{from:\"engine notes\" subject:\"engine notes\" to:\"engine notes\"}""#,
            ),
            ("body:invoice", r#""invoice""#),
            ("before:2026-11-02", r#""before:2026/11/02""#),
            ("after:7d", r#""after:2026/11/25""#),
            ("on:2026-12-31", r#""(after:2026/12/31 before:2027/01/01)""#),
            ("is:unread", r#""is:unread""#),
            ("is:read", r#""is:read""#),
            ("is:flagged", r#""is:starred""#),
            ("has:attachment", r#""has:attachment""#),
            ("larger:10M", r#""larger:10485760""#),
            ("smaller:10k", r#""smaller:10240""#),
            ("-from:ada", r#""-from:ada""#),
            ("-(from:ada is:unread)", r#""-(from:ada is:unread)""#),
            ("--from:ada", r#""from:ada""#),
            ("from:ada or from:bob", r#""{from:ada from:bob}""#),
            (
                "(from:ada or is:unread) subject:x",
                r#""{from:ada is:unread} subject:x""#,
            ),
            ("-(from:a or from:b)", r#""-{from:a from:b}""#),
            ("from:\"a-b\"", r#""from:\"a-b\"""#),
            ("subject:\"OR\"", r#""subject:\"OR\"""#),
            ("subject:\"a\\\\b\"", r#""subject:\"a\\b\"""#),
        ];
        for (query, expected) in cases {
            assert_eq!(raw(query), expected, "{query}");
        }
    }

    #[test]
    fn what_gmail_cannot_say_stays_a_standard_key_beside_it() {
        assert_eq!(
            line("from:ada is:answered keyword:$label1").as_deref(),
            Some(r#"UID SEARCH X-GM-RAW "from:ada" ANSWERED KEYWORD $label1"#)
        );
        assert_eq!(
            line("body:x -is:deleted").as_deref(),
            Some(r#"UID SEARCH X-GM-RAW "x" NOT DELETED"#)
        );
        // Inside an OR the whole OR falls back.
        assert_eq!(
            line("subject:y (from:ada or is:answered)").as_deref(),
            Some(r#"UID SEARCH X-GM-RAW "subject:y" OR FROM ada ANSWERED"#)
        );
    }

    #[test]
    fn folder_and_account_terms_pick_folders_as_before() {
        assert_eq!(raw("folder:inbox from:ada"), r#""from:ada""#);
        assert_eq!(line("folder:Archive from:ada"), None);
        assert_eq!(
            raw("(folder:Archive or from:ada) account:work"),
            r#""from:ada""#
        );
        assert_eq!(line("account:home or -folder:inbox"), None);
    }

    #[test]
    fn the_standard_translation_answers_when_nothing_is_for_gmail() {
        for query in [
            "",
            "folder:inbox",
            "is:answered",
            "keyword:x",
            // Not ASCII: a raw line cannot carry the literal it needs.
            "subject:grüße",
            "from:ada subject:grüße",
        ] {
            assert_eq!(line(query), None, "{query}");
        }
        let quote_inside = parse("subject:\"say \\\"hi\\\"\"").unwrap();
        assert_eq!(raw_search_line(&quote_inside, today(), &|_| None), None);
    }

    #[test]
    fn msgid_fetches_are_read() {
        let got = parse_msgid_fetch(b"* 3 FETCH (X-GM-MSGID 1278455344230334865 UID 5)\r\n");
        assert_eq!(
            got,
            Ok(GmailId {
                uid: 5,
                msgid: 1_278_455_344_230_334_865
            })
        );
        let other_items = b"* 12 fetch (UID 7 X-GM-THRID 9 X-GM-LABELS (\"\\\\Inbox\" \"a (b\") x-gm-msgid 18446744073709551615)";
        assert_eq!(
            parse_msgid_fetch(other_items),
            Ok(GmailId {
                uid: 7,
                msgid: u64::MAX
            })
        );
    }

    #[test]
    fn hostile_msgid_fetches_are_errors_not_panics() {
        for line in [
            "* 3 FETCH (X-GM-MSGID 1 UID 0)",
            "* 3 FETCH (X-GM-MSGID 1 UID 4294967296)",
            "* 3 FETCH (X-GM-MSGID 18446744073709551616 UID 5)",
            "* 3 FETCH (X-GM-MSGID -1 UID 5)",
            "* 3 FETCH (X-GM-MSGID NIL UID 5)",
            "* 3 FETCH (X-GM-MSGID \"12\" UID 5)",
            "* 3 FETCH (X-GM-MSGID 12)",
            "* 3 FETCH (UID 5 X-GM-MSGID)",
            "* 3 FETCH (X-GM-MSGID 1 X-GM-MSGID 2 UID 5)",
            "* 3 FETCH (X-GM-MSGID 1 UID 5 UID 6)",
            "* 3 FETCH (X-GM-MSGID {2}\r\n12 UID 5)",
            "* 3 FETCH (X-GM-MSGID 1 UID 5",
            "* 3 FETCH (X-GM-MSGID 1 UID 5) trailing",
            "* 3 FETCH (X-GM-MSGID 1 UID (5 6)",
            "* 3 FETCH (X-GM-MSGID 1 UID \"5",
            "* 3 FETCH (X-GM-MSGID 1 UID 5 FLAGS (\\Seen)",
            "* 3 FETCH (X-GM-MSGID 1 UID 5 FLAGS (\\Seen))",
            "* 3 FETCH (BODY[] NIL X-GM-MSGID 1 UID 5)",
            "* 3 FETCH (X-GM-MSGID \u{e9} UID 5)",
            "* 3 FETCH ()",
            "* FETCH (X-GM-MSGID 1 UID 5)",
            "* 3 STATUS (X-GM-MSGID 1 UID 5)",
            "",
        ] {
            let got = parse_msgid_fetch(line.as_bytes());
            assert!(got.is_err(), "{line:?}: {got:?}");
            assert!(!got.unwrap_err().is_empty(), "{line:?}");
        }
        let long = format!("* 3 FETCH (X-GM-MSGID {} UID 5)", "9".repeat(5000));
        let why = parse_msgid_fetch(long.as_bytes()).unwrap_err();
        assert!(why.len() < 100, "the error quotes a short piece: {why}");
        assert!(!is_msgid_fetch(b"* 3 FETCH (UID 5 FLAGS ())"));
        assert!(is_msgid_fetch(b"* 3 FETCH (UID 5 X-GM-MSGID 1)"));
    }

    #[test]
    fn the_session_reads_msgid_fetches_and_counts_only_garbled_ones() {
        use super::super::session::{Session, SessionEvent, Step};
        use super::super::types::Update;
        let mut session = Session::without_greeting();
        let tag = session.enqueue_raw(&msgid_fetch_line("4:5")).unwrap();
        match session.step().unwrap() {
            Step::Write(bytes) => {
                assert_eq!(
                    bytes,
                    format!("{tag} UID FETCH 4:5 (UID X-GM-MSGID)\r\n").into_bytes()
                );
            }
            other => panic!("{other:?}"),
        }
        session.feed(
            format!(
                "* 1 FETCH (X-GM-MSGID 77 UID 4)\r\n* 2 FETCH (UID 5 X-GM-MSGID x)\r\n\
                 {tag} OK done\r\n"
            )
            .as_bytes(),
        );
        let mut events = Vec::new();
        while let Ok(Step::Event(event)) = session.step() {
            events.push(event);
        }
        assert_eq!(
            events[0],
            SessionEvent::Update(Update::GmailId(GmailId { uid: 4, msgid: 77 }))
        );
        assert!(
            matches!(&events[1], SessionEvent::Update(Update::Unparsed(p)) if p.contains("UID 5")),
            "{events:?}"
        );
        assert!(matches!(&events[2], SessionEvent::Done { tag: done, .. } if *done == tag));
        assert_eq!(session.problems().unparsed, 1);
    }
}
