//! The reader: headers, then the body lines styled by kind (quote depth, signature), then
//! the attachments. Lines are addressed by index so only the visible ones are built.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::format::size;
use super::text::{display_width, fit, wrap};
use crate::app::Model;
use crate::app::reader::{Body, ReaderState};
use crate::bus::ConnState;
use crate::domain::mime::LineKind;
use crate::domain::text::sanitize;
use crate::theme::{Theme, scopes};

/// One display line: a header (name shown on its first line only) or styled text.
enum Row {
    Header {
        name: &'static str,
        value: String,
        first: bool,
    },
    Text {
        scope: &'static str,
        text: String,
    },
}

/// Header name column width ("Subject: ").
const NAME_W: usize = 9;

fn headers(r: &ReaderState) -> Vec<(&'static str, String)> {
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
    let mut out = vec![("From", from)];
    if r.full_headers {
        out.push(("To", to));
        out.push(("Cc", cc));
    }
    out.push(("Date", date));
    out.push(("Subject", subject));
    out.retain(|(_, v)| !v.is_empty());
    out
}

fn header_rows(r: &ReaderState) -> Vec<Row> {
    let room = usize::from(r.width).saturating_sub(NAME_W).max(8);
    let mut rows = Vec::new();
    for (name, value) in headers(r) {
        for (i, piece) in wrap(&sanitize(&value), room).into_iter().enumerate() {
            rows.push(Row::Header {
                name,
                value: piece,
                first: i == 0,
            });
        }
    }
    rows.push(Row::Text {
        scope: scopes::READER_BODY,
        text: "".into(),
    });
    rows
}

fn tail_rows(r: &ReaderState, offline: bool) -> Vec<Row> {
    match &r.body {
        Body::Loading => vec![Row::Text {
            scope: scopes::READER_LOADING,
            text: if offline {
                "Not in the cache yet; it loads when the connection is back.".into()
            } else {
                "Loading…".into()
            },
        }],
        Body::Error(e) => vec![Row::Text {
            scope: scopes::STATUS_ERROR,
            text: sanitize(e),
        }],
        Body::Ready(m) if m.attachments.is_empty() => Vec::new(),
        Body::Ready(m) => {
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
            rows.extend(m.attachments.iter().map(|a| Row::Text {
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
    }
}

fn body_scope(kind: LineKind) -> &'static str {
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
    let body = r.rendered().map_or(0, |m| m.body.len());
    header_rows(r).len() + body + tail_rows(r, false).len()
}

pub fn render(r: &ReaderState, model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let offline = matches!(
        model.conn(),
        ConnState::Offline { .. } | ConnState::Reconnecting { .. }
    );
    let head = header_rows(r);
    let body = r.rendered().map_or(&[][..], |m| &m.body[..]);
    let tail = tail_rows(r, offline);
    let width = usize::from(area.width);
    let total = head.len() + body.len() + tail.len();
    let start = (r.scroll as usize).min(total.saturating_sub(1));
    for (line, i) in (start..total).take(usize::from(area.height)).enumerate() {
        let owned;
        let row = match head.get(i) {
            Some(row) => row,
            None if i < head.len() + body.len() => {
                let b = &body[i - head.len()];
                // mime::render already sanitized and wrapped; sanitize again is cheap insurance.
                owned = Row::Text {
                    scope: body_scope(b.kind),
                    text: sanitize(&b.text),
                };
                &owned
            }
            None => match tail.get(i - head.len() - body.len()) {
                Some(row) => row,
                None => continue,
            },
        };
        let spans = match row {
            Row::Header { name, value, first } => {
                let label = if *first {
                    format!("{name}:")
                } else {
                    String::new()
                };
                vec![
                    Span::styled(fit(&label, NAME_W), theme.style(scopes::READER_HEADER_NAME)),
                    Span::styled(
                        fit(value, width.saturating_sub(NAME_W)),
                        theme.style(scopes::READER_HEADER_VALUE),
                    ),
                ]
            }
            Row::Text { scope, text } => {
                let shown = if display_width(text) > width {
                    super::text::truncate(text, width)
                } else {
                    text.to_string()
                };
                vec![Span::styled(shown, theme.style(scope))]
            }
        };
        buf.set_line(area.x, area.y + line as u16, &Line::from(spans), area.width);
    }
}
