//! The reader: headers, then the body lines styled by kind (quote depth, signature), then
//! the attachments. Lines are addressed by index so only the visible ones are built.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{display_width, fit};
use crate::app::Model;
use crate::app::reader::ReaderState;
use crate::app::reader_lines::{
    Row, content_len, content_line, header_rows, name_width, tail_rows,
};
use crate::bus::ConnState;
use crate::domain::text::sanitize;
use crate::theme::{Theme, scopes};

/// A content line with the find's matches highlighted.
fn content_spans<'a>(
    r: &ReaderState,
    i: usize,
    text: &str,
    scope: &'static str,
    theme: &Theme,
    width: usize,
) -> Vec<Span<'a>> {
    let base = theme.style(scope);
    let matches: Vec<_> = r
        .find
        .as_ref()
        .map_or_else(Vec::new, |f| f.in_line(i).collect());
    if matches.is_empty() {
        // mime::render already sanitized and wrapped; sanitize again is cheap insurance.
        let text = sanitize(text);
        let shown = if display_width(&text) > width {
            super::text::truncate(&text, width)
        } else {
            text
        };
        return vec![Span::styled(shown, base)];
    }
    let mut spans = Vec::new();
    let mut at = 0;
    for (m, current) in matches {
        let (Some(before), Some(hit)) = (text.get(at..m.start), text.get(m.start..m.end)) else {
            continue;
        };
        spans.push(Span::styled(sanitize(before), base));
        let hit_scope = if current {
            scopes::READER_FIND_CURRENT
        } else {
            scopes::READER_FIND
        };
        spans.push(Span::styled(sanitize(hit), theme.style(hit_scope)));
        at = m.end;
    }
    spans.push(Span::styled(sanitize(text.get(at..).unwrap_or("")), base));
    spans
}

pub fn render(r: &ReaderState, model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let offline = matches!(
        model.conn(),
        ConnState::Offline { .. } | ConnState::Reconnecting { .. }
    );
    let head = header_rows(r);
    let body_len = content_len(r);
    let tail = tail_rows(r, offline);
    let width = usize::from(area.width);
    let name_w = name_width(r);
    let total = head.len() + body_len + tail.len();
    let start = (r.scroll as usize).min(total.saturating_sub(1));
    for (line, i) in (start..total).take(usize::from(area.height)).enumerate() {
        let row = match head.get(i) {
            Some(row) => row,
            None if i < head.len() + body_len => {
                let c = i - head.len();
                if let Some((text, scope)) = content_line(r, c) {
                    let spans = content_spans(r, c, text, scope, theme, width);
                    buf.set_line(area.x, area.y + line as u16, &Line::from(spans), area.width);
                }
                continue;
            }
            None => match tail.get(i - head.len() - body_len) {
                Some(row) => row,
                None => continue,
            },
        };
        let spans = match row {
            Row::Header {
                name,
                value,
                first,
                scope,
            } => {
                let label = if *first {
                    format!("{name}:")
                } else {
                    String::new()
                };
                vec![
                    Span::styled(fit(&label, name_w), theme.style(scopes::READER_HEADER_NAME)),
                    Span::styled(fit(value, width.saturating_sub(name_w)), theme.style(scope)),
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
