//! The message as sent, for `H`: every top-level header decoded, and the raw source as
//! lines. Hostile input: every string is sanitized and the work is bounded.

use unicode_width::UnicodeWidthChar;

use crate::domain::rfc2047::{bytes_to_text, decode_header_text};
use crate::domain::text::sanitize;

/// A header block longer than this is cut (a message may carry thousands of Received lines).
const MAX_HEADERS: usize = 500;
const MAX_VALUE_CHARS: usize = 4000;
/// The source view shows at most this much of the message.
const MAX_SOURCE_BYTES: usize = 2 * 1024 * 1024;
const MAX_SOURCE_LINES: usize = 50_000;

/// Every header of the top-level block, in order: (name, decoded and unfolded value).
pub fn all_headers(raw: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current: Option<(Vec<u8>, Vec<u8>)> = None;
    let finish = |field: Option<(Vec<u8>, Vec<u8>)>, out: &mut Vec<(String, String)>| {
        if let Some((name, value)) = field
            && out.len() < MAX_HEADERS
        {
            let value = decode_header_text(trim_ascii(&value));
            let value: String = sanitize(&value).chars().take(MAX_VALUE_CHARS).collect();
            out.push((sanitize(&bytes_to_text(&name)), value));
        }
    };
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            // A folded continuation of the header before.
            if let Some((_, value)) = &mut current
                && value.len() < MAX_VALUE_CHARS * 4
            {
                value.push(b' ');
                value.extend_from_slice(trim_ascii(line));
            }
            continue;
        }
        finish(current.take(), &mut out);
        current = line
            .iter()
            .position(|&b| b == b':')
            .map(|colon| (line[..colon].to_vec(), line[colon + 1..].to_vec()));
    }
    finish(current, &mut out);
    out
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// The raw message as display lines, hard-wrapped at `width` cells; control sequences are
/// stripped, and a cut says so.
pub fn source_lines(raw: &[u8], width: usize) -> Vec<String> {
    let width = width.max(8);
    let shown = &raw[..raw.len().min(MAX_SOURCE_BYTES)];
    let text = bytes_to_text(shown);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = sanitize(line.strip_suffix('\r').unwrap_or(line));
        let mut piece = String::new();
        let mut cells = 0;
        for c in line.chars() {
            let w = c.width().unwrap_or(0);
            if cells + w > width {
                out.push(std::mem::take(&mut piece));
                cells = 0;
            }
            piece.push(c);
            cells += w;
        }
        out.push(piece);
        if out.len() >= MAX_SOURCE_LINES {
            out.truncate(MAX_SOURCE_LINES);
            out.push(crate::domain::mime::TRUNCATED.to_string());
            return out;
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    if raw.len() > MAX_SOURCE_BYTES {
        out.push(crate::domain::mime::TRUNCATED.to_string());
    }
    out
}

/// Keywords worth showing: the user's labels, not the protocol bookkeeping some clients set.
pub fn shown_keywords(keywords: &[String]) -> impl Iterator<Item = &str> {
    const HIDDEN: &[&str] = &[
        "$Forwarded",
        "$MDNSent",
        "$Junk",
        "$NotJunk",
        "Junk",
        "NonJunk",
        "$Phishing",
        "$SubmitPending",
        "$Submitted",
        "$HasAttachment",
        "$HasNoAttachment",
        "$seen",
    ];
    keywords
        .iter()
        .map(String::as_str)
        .filter(|k| !HIDDEN.iter().any(|h| h.eq_ignore_ascii_case(k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_unfolded_decoded_and_sanitized() {
        let raw = b"Received: from a\r\n\tby b\r\nSubject: =?UTF-8?B?w6l0w6k=?=\r\nX-Evil: a\x1b]0;t\x07b\r\nList-Id: <dev.example.com>\r\n\r\nBody: not a header\r\n";
        let h = all_headers(raw);
        assert_eq!(
            h,
            vec![
                ("Received".into(), "from a by b".into()),
                ("Subject".into(), "été".into()),
                ("X-Evil".into(), "ab".into()),
                ("List-Id".into(), "<dev.example.com>".into()),
            ]
        );
    }

    #[test]
    fn source_is_wrapped_sanitized_and_bounded() {
        let raw = b"Subject: x\r\n\r\n0123456789abc\x1b[31mred\r\n";
        let lines = source_lines(raw, 10);
        assert_eq!(lines, ["Subject: x", "", "0123456789", "abcred"]);
        let big = vec![b'a'; MAX_SOURCE_BYTES + 10];
        assert_eq!(
            source_lines(&big, 1000).last().map(String::as_str),
            Some(crate::domain::mime::TRUNCATED)
        );
    }

    #[test]
    fn bookkeeping_keywords_are_hidden() {
        let k = vec!["$Label1".to_string(), "$Forwarded".into(), "work".into()];
        assert_eq!(shown_keywords(&k).collect::<Vec<_>>(), ["$Label1", "work"]);
    }
}
