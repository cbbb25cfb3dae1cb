//! A fetched header block (`BODY[HEADER.FIELDS (...)]`) turned into the `HeaderFields` the
//! cache keeps. Input is untrusted: anything malformed degrades to empty fields, never a panic.

use std::borrow::Cow;

use mail_parser::{Address, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders};

use crate::domain::message::HeaderFields;
use crate::domain::rfc2047::bytes_to_text;
use crate::domain::text::sanitize;

/// The fields the sync engine fetches with `BODY.PEEK[HEADER.FIELDS (...)]`.
pub const HEADER_FIELDS: &[&str] = &[
    "DATE",
    "FROM",
    "TO",
    "CC",
    "SUBJECT",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "CONTENT-TYPE",
];

/// Display caps, in bytes: a 5,000-recipient To: must not bloat every cached row.
pub(crate) const ADDRESS_LIST_CAP: usize = 1000;
const SUBJECT_CAP: usize = 2000;
const NAME_CAP: usize = 500;
const ID_CAP: usize = 998;
/// Threading needs the root (first) and the recent ancestry (last); the middle can go.
const MAX_REFERENCES: usize = 100;

pub fn parse_header_fields(raw: &[u8]) -> HeaderFields {
    let block = header_block_to_utf8(raw);
    let Some(msg) = MessageParser::new().parse_headers(block.as_ref()) else {
        return HeaderFields::default();
    };
    let (from_name, from_addr) = first_address(msg.from());
    HeaderFields {
        date: date_seconds(&msg),
        from_name,
        from_addr,
        to: address_list(msg.to(), ADDRESS_LIST_CAP),
        cc: address_list(msg.cc(), ADDRESS_LIST_CAP),
        subject: subject(&msg),
        message_id: msg
            .header(HeaderName::MessageId)
            .and_then(|v| ids(v).into_iter().next()),
        in_reply_to: ids(msg.in_reply_to()).into_iter().next(),
        references: cap_references(ids(msg.references())),
        has_attachment: msg
            .content_type()
            .is_some_and(|ct| is_type(ct.ctype(), ct.subtype(), "multipart", "mixed")),
    }
}

/// Header lines that are not UTF-8 are read as Latin-1, line by line, so raw 8-bit text
/// survives instead of turning into U+FFFD inside the parser.
pub(crate) fn header_block_to_utf8(raw: &[u8]) -> Cow<'_, [u8]> {
    if std::str::from_utf8(raw).is_ok() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 4);
    for line in raw.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(bytes_to_text(line).as_bytes());
    }
    Cow::Owned(out)
}

pub(crate) fn date_seconds(msg: &Message<'_>) -> Option<i64> {
    msg.date()
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp())
}

pub(crate) fn subject(msg: &Message<'_>) -> String {
    clean_text(msg.subject().unwrap_or(""), SUBJECT_CAP)
}

/// Folding, tabs and runs of spaces become one space; escapes and controls go.
pub(crate) fn clean_text(text: &str, cap: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let clean = sanitize(&spaced);
    let mut out = String::with_capacity(clean.len().min(cap + 4));
    for word in clean.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > cap {
            truncate_with_ellipsis(&mut out, cap);
            break;
        }
    }
    out
}

fn truncate_with_ellipsis(text: &mut String, cap: usize) {
    if text.len() <= cap {
        return;
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('…');
}

/// The first mailbox: (display name, address), each None when absent or empty.
pub(crate) fn first_address(addr: Option<&Address<'_>>) -> (Option<String>, Option<String>) {
    let Some(first) = addr.and_then(Address::first) else {
        return (None, None);
    };
    let name = first
        .name
        .as_deref()
        .map(|n| clean_text(n, NAME_CAP))
        .filter(|n| !n.is_empty());
    let address = first
        .address
        .as_deref()
        .map(|a| clean_text(a, NAME_CAP))
        .filter(|a| !a.is_empty());
    (name, address)
}

/// `Name <addr>, addr2, Empty Group:;` capped near `cap` bytes with a trailing `…`.
pub(crate) fn address_list(addr: Option<&Address<'_>>, cap: usize) -> String {
    let Some(addr) = addr else {
        return String::new();
    };
    let mut items: Vec<String> = Vec::new();
    let mut len = 0;
    let mut push = |item: String, items: &mut Vec<String>| -> bool {
        if item.is_empty() {
            return true;
        }
        len += item.len() + 2;
        items.push(item);
        len <= cap
    };
    match addr {
        Address::List(list) => {
            for a in list {
                if !push(
                    one_address(a.name.as_deref(), a.address.as_deref()),
                    &mut items,
                ) {
                    break;
                }
            }
        }
        Address::Group(groups) => {
            'groups: for group in groups {
                if group.addresses.is_empty() {
                    // "Undisclosed recipients:;" is all some mail has to say.
                    if let Some(name) = group.name.as_deref() {
                        let name = clean_text(name, NAME_CAP);
                        if !name.is_empty() && !push(format!("{name}:;"), &mut items) {
                            break;
                        }
                    }
                    continue;
                }
                for a in &group.addresses {
                    if !push(
                        one_address(a.name.as_deref(), a.address.as_deref()),
                        &mut items,
                    ) {
                        break 'groups;
                    }
                }
            }
        }
    }
    let mut out = items.join(", ");
    truncate_with_ellipsis(&mut out, cap);
    out
}

fn one_address(name: Option<&str>, address: Option<&str>) -> String {
    let name = name.map(|n| clean_text(n, NAME_CAP)).unwrap_or_default();
    let address = address.map(|a| clean_text(a, NAME_CAP)).unwrap_or_default();
    match (name.is_empty(), address.is_empty()) {
        (true, _) => address,
        (false, true) => name,
        (false, false) if name == address => address,
        (false, false) => {
            // Quote names that would otherwise read as list punctuation.
            if name.contains([',', ';', '<', '>', '"', ':', '@']) {
                format!("\"{}\" <{address}>", name.replace('"', "'"))
            } else {
                format!("{name} <{address}>")
            }
        }
    }
}

/// Message-IDs from a header value, brackets already gone. A lone bare word is taken as
/// an id; in a multi-word value (old "Your message of ..." phrasing) only `x@y` words are.
pub(crate) fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let items: &[Cow<'_, str>] = match value {
        HeaderValue::Text(id) => std::slice::from_ref(id),
        HeaderValue::TextList(list) => list,
        _ => &[],
    };
    items
        .iter()
        .flat_map(|item| {
            let words: Vec<&str> = item.split_whitespace().collect();
            let lone = words.len() == 1;
            words.into_iter().filter(move |w| lone || w.contains('@'))
        })
        .filter_map(clean_id)
        .collect()
}

fn clean_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let id = sanitize(id);
    let id: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    (!id.is_empty() && id.len() <= ID_CAP).then_some(id)
}

fn cap_references(mut refs: Vec<String>) -> Vec<String> {
    if refs.len() > MAX_REFERENCES {
        refs.drain(1..refs.len() - (MAX_REFERENCES - 1));
    }
    refs
}

pub(crate) fn is_type(ctype: &str, subtype: Option<&str>, want: &str, want_sub: &str) -> bool {
    ctype.eq_ignore_ascii_case(want) && subtype.is_some_and(|s| s.eq_ignore_ascii_case(want_sub))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crlf(text: &str) -> Vec<u8> {
        text.replace('\n', "\r\n").into_bytes()
    }

    #[test]
    fn real_looking_block() {
        let raw = crlf(
            "Date: Tue, 1 Jul 2003 10:52:37 +0200\n\
             From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>\n\
             To: \"Doe, John\" <jdoe@example.com>, bob@example.org,\n \
             =?UTF-8?B?5pel5pys?= <nihon@example.jp>\n\
             Cc: carol@example.net\n\
             Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?_aus_K=F6ln?=\n \
             and =?Shift_JIS?B?k/qWe4zq?=\n\
             Message-ID: <1234@local.machine.example>\n\
             In-Reply-To: <parent@example.com> <other@example.com>\n\
             References: <root@example.com>\n\t<mid@example.com>\n <parent@example.com>\n\
             Content-Type: multipart/mixed; boundary=\"b1\"\n\n",
        );
        let h = parse_header_fields(&raw);
        assert_eq!(h.date, Some(1057049557));
        assert_eq!(h.from_name.as_deref(), Some("André Pirard"));
        assert_eq!(h.from_addr.as_deref(), Some("PIRARD@vm1.ulg.ac.be"));
        assert_eq!(
            h.to,
            "\"Doe, John\" <jdoe@example.com>, bob@example.org, 日本 <nihon@example.jp>"
        );
        assert_eq!(h.cc, "carol@example.net");
        assert_eq!(h.subject, "Grüße aus Köln and 日本語");
        assert_eq!(h.message_id.as_deref(), Some("1234@local.machine.example"));
        assert_eq!(h.in_reply_to.as_deref(), Some("parent@example.com"));
        assert_eq!(
            h.references,
            ["root@example.com", "mid@example.com", "parent@example.com"]
        );
        assert!(h.has_attachment);
    }

    #[test]
    fn lf_only_and_missing_fields() {
        let h = parse_header_fields(b"Subject:   hello\n\t  world  \nContent-Type: text/plain\n\n");
        assert_eq!(h.subject, "hello world");
        assert_eq!(h.date, None);
        assert_eq!((h.from_name, h.from_addr), (None, None));
        assert_eq!(h.to, "");
        assert_eq!(h.message_id, None);
        assert!(h.references.is_empty());
        assert!(!h.has_attachment);
    }

    #[test]
    fn garbage_date_is_none() {
        for date in [
            "yesterday-ish",
            "Tue, 99 Foo 20x3 99:99:99",
            "",
            "Mon, 32 Jan 1800",
        ] {
            let raw = format!("Date: {date}\r\nSubject: x\r\n\r\n");
            assert_eq!(parse_header_fields(raw.as_bytes()).date, None, "{date}");
        }
    }

    #[test]
    fn group_syntax_and_no_from() {
        let raw = crlf(
            "To: Undisclosed recipients:;\n\
             Cc: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, x@y.test\n\n",
        );
        let h = parse_header_fields(&raw);
        assert_eq!(h.to, "Undisclosed recipients:;");
        assert_eq!(
            h.cc,
            "Ed Jones <c@a.test>, joe@where.test, John <jdoe@one.test>, x@y.test"
        );
        assert_eq!((h.from_name, h.from_addr), (None, None));
    }

    #[test]
    fn raw_8bit_subject_falls_back_to_latin1() {
        let h =
            parse_header_fields(b"Subject: caf\xe9 cr\xe8me\r\nFrom: J\xfcrgen <j@x.de>\r\n\r\n");
        assert_eq!(h.subject, "café crème");
        assert_eq!(h.from_name.as_deref(), Some("Jürgen"));
        // Raw UTF-8 stays UTF-8.
        let h = parse_header_fields("Subject: naïve 日本\r\n\r\n".as_bytes());
        assert_eq!(h.subject, "naïve 日本");
    }

    #[test]
    fn huge_to_list_is_capped() {
        let mut raw = String::from("To: ");
        for i in 0..5000 {
            raw.push_str(&format!("Person {i} <person{i}@example.com>,\r\n "));
        }
        raw.push_str("last@example.com\r\n\r\n");
        let h = parse_header_fields(raw.as_bytes());
        assert!(h.to.len() <= ADDRESS_LIST_CAP + 4, "{}", h.to.len());
        assert!(h.to.starts_with("Person 0 <person0@example.com>, Person 1"));
        assert!(h.to.ends_with('…'));
    }

    #[test]
    fn many_references_keep_root_and_recent() {
        let mut raw = String::from("References:");
        for i in 0..500 {
            raw.push_str(&format!(" <r{i}@x>\r\n"));
        }
        raw.push_str("\r\n");
        let refs = parse_header_fields(raw.as_bytes()).references;
        assert_eq!(refs.len(), MAX_REFERENCES);
        assert_eq!(refs[0], "r0@x");
        assert_eq!(refs[1], "r401@x");
        assert_eq!(refs[MAX_REFERENCES - 1], "r499@x");
    }

    #[test]
    fn hostile_subject_and_name_are_sanitized() {
        let raw = b"Subject: a\x1b]0;pwned\x07b \x1b[2J c\xc2\x9b2J =?UTF-8?Q?=1B[31mred?=\r\n\
                    From: =?UTF-8?Q?Ev=1B]0;x=07il?= <e@x>\r\n\r\n";
        let h = parse_header_fields(raw);
        for text in [&h.subject, h.from_name.as_deref().unwrap_or("")] {
            assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
        }
        assert_eq!(h.subject, "ab c red");
        assert_eq!(h.from_name.as_deref(), Some("Evil"));
    }

    #[test]
    fn junk_ids_are_not_invented() {
        let h = parse_header_fields(
            b"Message-ID: <first@x> <second@x>\r\n\
              In-Reply-To: Your message of Tue, 1 Jul 2003\r\n\
              References: <no-at-sign> <a b@c>\r\n\r\n",
        );
        assert_eq!(h.message_id.as_deref(), Some("first@x"));
        assert_eq!(h.in_reply_to, None);
        assert_eq!(h.references, ["no-at-sign", "b@c"]);
        let h = parse_header_fields(b"In-Reply-To: Your message of Tue <abc@def>\r\n\r\n");
        assert_eq!(h.in_reply_to.as_deref(), Some("abc@def"));
    }

    #[test]
    fn header_fields_list() {
        assert_eq!(HEADER_FIELDS.len(), 9);
        assert!(HEADER_FIELDS.contains(&"REFERENCES"));
    }

    #[test]
    fn garbage_never_panics() {
        let base = crlf(
            "Date: Tue, 1 Jul 2003 10:52:37 +0200\n\
             From: \"=?UTF-8?B?w6k=?=\" <a@b>\n\
             To: g:a@b,<c@d>;\n\
             Subject: =?Shift_JIS?B?k/qWe4zq?= =?bogus?X?zz?=\n\
             References: <a@b> <c@d\n\
             Content-Type: multipart/mixed; boundary=\"\n\n",
        );
        for end in 0..base.len() {
            let _ = parse_header_fields(&base[..end]);
        }
        let mut junk = Vec::new();
        let mut x: u32 = 12345;
        for _ in 0..4096 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            junk.push((x >> 16) as u8);
        }
        for chunk in junk.chunks(97) {
            let _ = parse_header_fields(chunk);
        }
        let _ = parse_header_fields(b"");
        let _ = parse_header_fields(b"\r\n");
        let _ = parse_header_fields(b":::\r\n:\r\n");
    }
}
