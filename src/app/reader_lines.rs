//! The reader's lines as text: headers, body lines by kind, attachments. The app scrolls
//! and finds by these line numbers and the ui draws them, so both count the same lines.

use crate::app::reader::{Body, HeaderMode, ReaderState};
use crate::domain::mime::{self, LineKind};
use crate::domain::source_view::shown_keywords;
use crate::domain::text::sanitize;
use crate::domain::units::size;
use crate::domain::width::{display_width, wrap};
use crate::theme::scopes;

/// One display line: a header (name shown on its first line only) or styled text.
pub enum Row {
    Header {
        name: String,
        value: String,
        first: bool,
        scope: &'static str,
    },
    Text {
        scope: &'static str,
        text: String,
    },
}

/// Header name column width ("Subject: ").
const NAME_W: usize = 9;
/// Longer names ("Authentication-Results") are cut to this.
const NAME_W_MAX: usize = 24;

/// A header to show: name, value and the value's scope.
type HeaderLine = (String, String, &'static str);

fn short_headers(r: &ReaderState) -> Vec<HeaderLine> {
    let (from, to, cc, date, subject) = match &r.body {
        Body::Ready(m) => (
            m.headers.from.clone(),
            m.headers.to.clone(),
            m.headers.cc.clone(),
            m.headers.date.clone(),
            m.headers.subject.clone(),
        ),
        // While loading: what the list row knows.
        _ => {
            let from = match (&r.row.from_name, &r.row.from_addr) {
                (Some(n), Some(a)) if !n.is_empty() => format!("{n} <{a}>"),
                (_, Some(a)) => a.clone(),
                (Some(n), None) => n.clone(),
                (None, None) => String::new(),
            };
            let date = chrono::DateTime::from_timestamp(r.row.date, 0)
                .map(|d| d.format("%a, %d %b %Y %H:%M:%S +0000").to_string())
                .unwrap_or_default();
            (
                from,
                r.row.to.clone(),
                r.row.cc.clone(),
                date,
                r.row.subject.clone(),
            )
        }
    };
    let keywords: Vec<&str> = shown_keywords(&r.row.flags.keywords).collect();
    let value = scopes::READER_HEADER_VALUE;
    let mut out = vec![
        ("From".to_string(), from, value),
        ("To".into(), to, value),
        ("Cc".into(), cc, value),
        ("Date".into(), date, value),
        ("Subject".into(), subject, value),
        (
            "Keywords".into(),
            keywords.join(" "),
            scopes::READER_KEYWORDS,
        ),
    ];
    if let Some(m) = r.rendered().filter(|m| m.has_alternative) {
        let part = if m.shows_html {
            "HTML (p: plain)"
        } else {
            "plain (p: HTML)"
        };
        out.push(("Part".into(), part.into(), scopes::STATUS_HINT));
    }
    out.retain(|(_, v, _)| !v.is_empty());
    out
}

/// The headers to show and the width of their name column.
fn header_list(r: &ReaderState) -> Option<(Vec<HeaderLine>, usize)> {
    let list: Vec<_> = match r.headers {
        HeaderMode::Raw if r.raw().is_some() => return None,
        HeaderMode::All if !r.all_headers.is_empty() => r
            .all_headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone(), scopes::READER_HEADER_VALUE))
            .collect(),
        _ => short_headers(r),
    };
    let longest = list
        .iter()
        .map(|(n, _, _)| display_width(n))
        .max()
        .unwrap_or(0);
    Some((list, (longest + 2).clamp(NAME_W, NAME_W_MAX)))
}

pub fn header_rows(r: &ReaderState) -> Vec<Row> {
    let Some((list, name_w)) = header_list(r) else {
        return Vec::new();
    };
    let room = usize::from(r.width).saturating_sub(name_w).max(8);
    let mut rows = Vec::new();
    for (name, value, scope) in list {
        for (i, piece) in wrap(&sanitize(&value), room).into_iter().enumerate() {
            rows.push(Row::Header {
                name: if i == 0 { name.clone() } else { String::new() },
                value: piece,
                first: i == 0,
                scope,
            });
        }
    }
    rows.push(Row::Text {
        scope: scopes::READER_BODY,
        text: "".into(),
    });
    rows
}

/// Lines above the content (headers and the blank line after them): where find's line
/// numbers start.
pub fn head_len(r: &ReaderState) -> usize {
    header_rows(r).len()
}

pub fn name_width(r: &ReaderState) -> usize {
    header_list(r).map_or(NAME_W, |(_, w)| w)
}

pub fn tail_rows(r: &ReaderState, offline: bool) -> Vec<Row> {
    match &r.body {
        Body::Loading => {
            let mut rows = vec![Row::Text {
                scope: scopes::READER_LOADING,
                text: if offline {
                    "Not in the cache yet; it loads when the connection is back.".into()
                } else {
                    "Loading…".into()
                },
            }];
            // The part list is known before the text arrives.
            if let Some(structure) = &r.structure {
                rows.extend(attachment_rows(&mime::structure_attachments(structure)));
            }
            rows
        }
        Body::Error(e) => vec![Row::Text {
            scope: scopes::STATUS_ERROR,
            text: sanitize(e),
        }],
        Body::Ready(_) if r.headers == HeaderMode::Raw => Vec::new(),
        Body::Ready(m) => {
            let mut rows = Vec::new();
            if let Some((_, whole)) = &r.cut {
                rows.push(Row::Text {
                    scope: scopes::READER_BODY,
                    text: "".into(),
                });
                rows.push(Row::Text {
                    scope: scopes::STATUS_HINT,
                    text: format!(
                        "[message truncated: the first {} of {} shown; X (or :rest) fetches the rest]",
                        size(crate::domain::parts::DISPLAY_CHUNK),
                        size(*whole)
                    ),
                });
            }
            rows.extend(attachment_rows(&m.attachments));
            rows
        }
    }
}

fn attachment_rows(attachments: &[mime::AttachmentInfo]) -> Vec<Row> {
    if attachments.is_empty() {
        return Vec::new();
    }
    let mut rows = vec![
        Row::Text {
            scope: scopes::READER_BODY,
            text: "".into(),
        },
        Row::Text {
            scope: scopes::READER_HEADER_NAME,
            text: "Attachments (v to save):".into(),
        },
    ];
    rows.extend(attachments.iter().map(|a| Row::Text {
        scope: scopes::READER_ATTACHMENT,
        text: format!(
            "  [{}] {} ({}, {})",
            a.index + 1,
            sanitize(&a.filename),
            sanitize(&a.content_type),
            size(u32::try_from(a.size).unwrap_or(u32::MAX))
        ),
    }));
    rows
}

pub fn body_scope(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Text => scopes::READER_BODY,
        LineKind::Quote(0 | 1) => scopes::READER_QUOTE_1,
        LineKind::Quote(2) => scopes::READER_QUOTE_2,
        LineKind::Quote(_) => scopes::READER_QUOTE_3,
        LineKind::Signature => scopes::READER_SIGNATURE,
        LineKind::Header => scopes::READER_HEADER_VALUE,
    }
}

/// Total display lines (for scrolling).
pub fn line_count(r: &ReaderState) -> usize {
    header_rows(r).len() + content_len(r) + tail_rows(r, false).len()
}

pub fn content_len(r: &ReaderState) -> usize {
    if r.headers == HeaderMode::Raw {
        r.source.len()
    } else {
        r.rendered().map_or(0, |m| m.body.len())
    }
}

/// Content line `i`: its text and scope.
pub fn content_line(r: &ReaderState, i: usize) -> Option<(&str, &'static str)> {
    if r.headers == HeaderMode::Raw {
        return r.source.get(i).map(|l| (l.as_str(), scopes::READER_BODY));
    }
    r.rendered()
        .and_then(|m| m.body.get(i))
        .map(|b| (b.text.as_str(), body_scope(b.kind)))
}
