//! ESEARCH (RFC 4731): `UID SEARCH RETURN (ALL)` answers with ranges (`* ESEARCH (TAG "t5")
//! UID ALL 1:5,9`) instead of every UID spelled out. imap-codec knows neither the RETURN
//! option nor the response, so the command goes out as a raw line and the answer is read
//! here from the bytes the codec skipped.

use imap_codec::CommandCodec;
use imap_codec::encode::{Encoder, Fragment};
use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::search::SearchKey;

use crate::domain::uidset::UidSet;

/// `UID SEARCH RETURN (ALL) <criteria>`, or None when the criteria need a literal (a raw
/// line cannot wait for the server's go-ahead), which plain UID SEARCH handles.
pub(crate) fn command_line(criteria: Vec1<SearchKey<'static>>) -> Option<String> {
    criteria_text(criteria).map(|criteria| format!("UID SEARCH RETURN (ALL) {criteria}"))
}

/// The criteria as the codec writes them after `UID SEARCH`, when they fit on one ASCII
/// line (no literal).
pub(crate) fn criteria_text(criteria: Vec1<SearchKey<'static>>) -> Option<String> {
    const PREFIX: &str = "x UID SEARCH ";
    let command = Command::new("x", CommandBody::search(None, criteria, true)).ok()?;
    let mut line = Vec::new();
    for fragment in CommandCodec::default().encode(&command) {
        match fragment {
            Fragment::Line { data } => line.extend_from_slice(&data),
            Fragment::Literal { .. } => return None,
        }
    }
    let line = String::from_utf8(line).ok()?;
    let criteria = line.strip_prefix(PREFIX)?.strip_suffix("\r\n")?;
    if !criteria.is_ascii() || criteria.contains(['\r', '\n']) {
        return None;
    }
    Some(criteria.to_string())
}

/// One `* ESEARCH` response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ESearch {
    /// The command it answers, when the server says.
    pub tag: Option<String>,
    /// The numbers are UIDs (always so for a UID SEARCH).
    pub uid: bool,
    /// What ALL returned; empty when nothing matched.
    pub all: UidSet,
}

/// Whether the bytes are an ESEARCH response (readable or not).
pub(crate) fn is_esearch(bytes: &[u8]) -> bool {
    const NAME: &[u8] = b"* ESEARCH";
    bytes.len() >= NAME.len()
        && bytes[..NAME.len()].eq_ignore_ascii_case(NAME)
        && matches!(bytes.get(NAME.len()), None | Some(b' ' | b'\r' | b'\n'))
}

/// Why an ESEARCH response cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// ALL names more UIDs than the mailbox can hold: a hostile server.
    TooMany {
        limit: u64,
    },
    Garbled(String),
}

impl From<String> for Unusable {
    fn from(why: String) -> Self {
        Unusable::Garbled(why)
    }
}

impl From<&str> for Unusable {
    fn from(why: &str) -> Self {
        Unusable::Garbled(why.to_string())
    }
}

/// Reads an ESEARCH response. ALL may name at most `max_uids` UIDs: a hostile
/// `ALL 1:4294967295` is refused before anything is expanded.
pub(crate) fn parse(bytes: &[u8], max_uids: u64) -> Result<ESearch, Unusable> {
    if !is_esearch(bytes) {
        return Err("not an ESEARCH response".into());
    }
    let line = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let mut cursor = Cursor {
        bytes: line,
        at: b"* ESEARCH".len(),
    };
    let mut found = ESearch {
        tag: None,
        uid: false,
        all: UidSet::new(),
    };
    cursor.skip_spaces();
    if cursor.peek() == Some(b'(') {
        found.tag = correlator_tag(&cursor.value()?)?;
        cursor.skip_spaces();
    }
    let before_uid = cursor.at;
    if !cursor.at_end() && cursor.atom()?.eq_ignore_ascii_case(b"UID") {
        found.uid = true;
        cursor.skip_spaces();
    } else {
        cursor.at = before_uid;
    }
    let mut ranges = Vec::new();
    let mut named = 0u64;
    while !cursor.at_end() {
        let name = cursor.atom()?;
        cursor.skip_spaces();
        let value = cursor.value()?;
        cursor.skip_spaces();
        if name.eq_ignore_ascii_case(b"ALL") {
            read_set(&value, max_uids, &mut named, &mut ranges)?;
        }
        // MIN, MAX, COUNT, MODSEQ and the like: not asked for, so not needed.
    }
    found.all = UidSet::from_ranges(ranges);
    Ok(found)
}

/// The tag in `(TAG "t5")` (RFC 9051 may add MAILBOX and UIDVALIDITY after it).
fn correlator_tag(value: &[u8]) -> Result<Option<String>, String> {
    let inner = value
        .strip_prefix(b"(")
        .and_then(|v| v.strip_suffix(b")"))
        .ok_or("a correlator that is no list")?;
    let mut cursor = Cursor {
        bytes: inner,
        at: 0,
    };
    cursor.skip_spaces();
    if !cursor.atom()?.eq_ignore_ascii_case(b"TAG") {
        return Err("a correlator without TAG".into());
    }
    cursor.skip_spaces();
    let tag = cursor.value()?;
    let tag = match tag.strip_prefix(b"\"").and_then(|t| t.strip_suffix(b"\"")) {
        Some(quoted) => unescape(quoted),
        None => tag,
    };
    String::from_utf8(tag)
        .map(Some)
        .map_err(|_| "a tag that is not text".into())
}

fn unescape(quoted: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(quoted.len());
    let mut escaped = false;
    for &b in quoted {
        if b == b'\\' && !escaped {
            escaped = true;
        } else {
            out.push(b);
            escaped = false;
        }
    }
    out
}

/// Adds the ranges of a sequence set (`1:5,9`), counting the UIDs they name so that too
/// many stop the reading early.
fn read_set(
    text: &[u8],
    max_uids: u64,
    named: &mut u64,
    ranges: &mut Vec<(u32, u32)>,
) -> Result<(), Unusable> {
    for part in text.split(|&b| b == b',') {
        let (lo, hi) = match part.iter().position(|&b| b == b':') {
            Some(colon) => (uid(&part[..colon])?, uid(&part[colon + 1..])?),
            None => {
                let one = uid(part)?;
                (one, one)
            }
        };
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        *named += u64::from(hi - lo) + 1;
        if *named > max_uids {
            return Err(Unusable::TooMany { limit: max_uids });
        }
        ranges.push((lo, hi));
    }
    Ok(())
}

/// A UID: a non-zero number (`*` means nothing in an answer).
fn uid(text: &[u8]) -> Result<u32, String> {
    let digits = std::str::from_utf8(text).map_err(|_| "a UID that is not text")?;
    match digits.parse::<u32>() {
        Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!("{digits:?} is no UID")),
    }
}

/// Reads IMAP response words from a line the codec skipped (also `gmail`'s FETCH).
pub(crate) struct Cursor<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl Cursor<'_> {
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub(crate) fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }

    /// A word up to a space or parenthesis.
    pub(crate) fn atom(&mut self) -> Result<Vec<u8>, String> {
        let start = self.at;
        while let Some(b) = self.peek() {
            if matches!(b, b' ' | b'(' | b')' | b'"') || b.is_ascii_control() {
                break;
            }
            self.at += 1;
        }
        if self.at == start {
            return Err(format!("unexpected byte at {}", self.at));
        }
        Ok(self.bytes[start..self.at].to_vec())
    }

    /// An atom, a quoted string or a parenthesized list (nested any depth), as written.
    pub(crate) fn value(&mut self) -> Result<Vec<u8>, String> {
        match self.peek() {
            Some(b'(') => {
                let start = self.at;
                let mut depth = 0u64;
                let mut quoted = false;
                let mut escaped = false;
                while let Some(b) = self.peek() {
                    self.at += 1;
                    match b {
                        _ if escaped => escaped = false,
                        b'\\' if quoted => escaped = true,
                        b'"' => quoted = !quoted,
                        b'(' if !quoted => depth += 1,
                        b')' if !quoted => {
                            depth -= 1;
                            if depth == 0 {
                                return Ok(self.bytes[start..self.at].to_vec());
                            }
                        }
                        _ => {}
                    }
                }
                Err("an unclosed parenthesis".into())
            }
            Some(b'"') => {
                let start = self.at;
                self.at += 1;
                let mut escaped = false;
                while let Some(b) = self.peek() {
                    self.at += 1;
                    match b {
                        _ if escaped => escaped = false,
                        b'\\' => escaped = true,
                        b'"' => return Ok(self.bytes[start..self.at].to_vec()),
                        _ => {}
                    }
                }
                Err("an unclosed quoted string".into())
            }
            _ => self.atom(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(line: &str) -> Vec<u32> {
        parse(line.as_bytes(), 1000).unwrap().all.iter().collect()
    }

    #[test]
    fn ranges_and_single_uids_become_the_uid_list() {
        let got = parse(b"* ESEARCH (TAG \"t5\") UID ALL 1:5,9\r\n", 1000).unwrap();
        assert_eq!(got.tag.as_deref(), Some("t5"));
        assert!(got.uid);
        assert_eq!(got.all.iter().collect::<Vec<_>>(), [1, 2, 3, 4, 5, 9]);
        assert_eq!(
            all("* esearch (tag \"t5\") uid all 7:3,12"),
            [3, 4, 5, 6, 7, 12]
        );
    }

    #[test]
    fn nothing_matched_has_no_all() {
        let got = parse(b"* ESEARCH (TAG \"t5\") UID\r\n", 1000).unwrap();
        assert!(got.uid && got.all.is_empty());
        let bare = parse(b"* ESEARCH\r\n", 1000).unwrap();
        assert_eq!(bare.tag, None);
        assert!(!bare.uid && bare.all.is_empty());
    }

    #[test]
    fn other_return_items_are_skipped() {
        assert_eq!(
            all("* ESEARCH (TAG \"a\\\"b\") UID MIN 2 ALL 2,4 MAX 4 COUNT 2 MODSEQ 9"),
            [2, 4]
        );
        assert_eq!(
            all(
                "* ESEARCH (TAG \"t\" MAILBOX \"x (\" UIDVALIDITY 1) UID X-EXT (a (b \")\")) ALL 3"
            ),
            [3]
        );
        let tag = parse(b"* ESEARCH (TAG \"a\\\"b\") UID", 10).unwrap().tag;
        assert_eq!(tag.as_deref(), Some("a\"b"));
    }

    #[test]
    fn hostile_ranges_are_refused_before_expansion() {
        let huge = parse(b"* ESEARCH (TAG \"t1\") UID ALL 1:4294967295\r\n", 1000);
        assert_eq!(huge.unwrap_err(), Unusable::TooMany { limit: 1000 });
        let repeated = format!("* ESEARCH UID ALL {}\r\n", ["7"; 2000].join(","));
        assert!(parse(repeated.as_bytes(), 1000).is_err());
        let split = b"* ESEARCH UID ALL 1:600 ALL 601:1200\r\n";
        assert!(parse(split, 1000).is_err(), "ALL twice counts both");
        assert_eq!(all("* ESEARCH UID ALL 1:1000").len(), 1000);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for line in [
            "* ESEARCH UID ALL",
            "* ESEARCH UID ALL 0",
            "* ESEARCH UID ALL 1:*",
            "* ESEARCH UID ALL 4294967296",
            "* ESEARCH UID ALL 1,,2",
            "* ESEARCH UID ALL -1",
            "* ESEARCH UID ALL 1:2:3",
            "* ESEARCH (TAG \"t1\" UID ALL 1",
            "* ESEARCH (FOO \"t1\") UID ALL 1",
            "* ESEARCH (TAG \"t1) UID ALL 1",
            "* ESEARCH UID ALL (1 2",
            "* ESEARCH UID )",
            "* ESEARCH UID ALL 1 \"open",
            "* ESEARCH (TAG \"\u{ff}\") UID ALL \u{e9}",
        ] {
            assert!(parse(line.as_bytes(), 1000).is_err(), "{line}");
        }
        assert!(parse(b"* SEARCH 1 2", 1000).is_err());
        assert!(!is_esearch(b"* ESEARCHX UID"));
        assert!(is_esearch(b"* ESEARCH"));
    }

    #[test]
    fn the_session_reads_an_esearch_answer_as_search_results() {
        use super::super::session::{Session, SessionEvent, Step};
        use super::super::types::Update;
        let mut session = Session::without_greeting();
        let line = "UID SEARCH RETURN (ALL) UNSEEN";
        let tag = session.enqueue_raw(line).unwrap();
        assert!(matches!(session.step().unwrap(), Step::Write(_)));
        session.feed(
            format!(
                "* ESEARCH (TAG \"other\") UID ALL 4\r\n* ESEARCH (TAG \"{tag}\") UID ALL 2:3,7\r\n\
                 * ESEARCH (TAG \"{tag}\") ALL 5\r\n{tag} OK done\r\n"
            )
            .as_bytes(),
        );
        let mut events = Vec::new();
        while let Ok(Step::Event(event)) = session.step() {
            events.push(event);
        }
        assert!(
            matches!(&events[0], SessionEvent::Update(Update::Unparsed(p)) if p.contains("other")),
            "an answer to no command of ours is not taken: {events:?}"
        );
        assert_eq!(
            events[1],
            SessionEvent::Update(Update::Search {
                ids: vec![2, 3, 7],
                modseq: None
            })
        );
        assert!(
            matches!(&events[2], SessionEvent::Update(Update::Unparsed(p)) if p.ends_with("ALL 5..")),
            "sequence numbers are no UIDs: {events:?}"
        );
        assert!(matches!(&events[3], SessionEvent::Done { tag: done, .. } if *done == tag));
        assert_eq!(session.problems().unparsed, 2);

        // No mailbox selected: at most SLACK results, so four billion end the command.
        let tag = session.enqueue_raw(line).unwrap();
        assert!(matches!(session.step().unwrap(), Step::Write(_)));
        session.feed(format!("* ESEARCH (TAG \"{tag}\") UID ALL 1:4294967295\r\n").as_bytes());
        let err = session.step().unwrap_err();
        assert_eq!(err.kind, super::super::error::ErrorKind::Protocol);
        assert!(
            err.message.contains("more than 10000 search results"),
            "{err}"
        );
    }

    #[test]
    fn the_command_line_splices_return_all_into_the_codec_encoding() {
        let key = |k: SearchKey<'static>| Vec1::from(k);
        assert_eq!(
            command_line(key(SearchKey::All)).as_deref(),
            Some("UID SEARCH RETURN (ALL) ALL")
        );
        let subject = SearchKey::Subject("patch v3".try_into().unwrap());
        assert_eq!(
            command_line(key(subject)).as_deref(),
            Some("UID SEARCH RETURN (ALL) SUBJECT \"patch v3\"")
        );
        let both = Vec1::try_from(vec![
            SearchKey::Unseen,
            SearchKey::From("ada".try_into().unwrap()),
        ])
        .unwrap();
        assert_eq!(
            command_line(both).as_deref(),
            Some("UID SEARCH RETURN (ALL) UNSEEN FROM ada")
        );
        let line_break = SearchKey::Subject("two\r\nlines".try_into().unwrap());
        assert_eq!(command_line(key(line_break)), None, "needs a literal");
        let accented = SearchKey::Subject("café".try_into().unwrap());
        assert_eq!(command_line(key(accented)), None, "needs a literal");
    }
}
