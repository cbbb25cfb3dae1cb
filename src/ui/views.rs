//! Saved searches above the folder tree: one line each, the count of cached hits on the
//! right, then a blank line. Returns the area left for the folders.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{display_width, safe};
use crate::app::Model;
use crate::app::views::COUNT_LIMIT;
use crate::theme::{Theme, scopes};

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) -> Rect {
    let lines = model.views.lines(usize::from(area.height));
    let width = usize::from(area.width);
    let shown = model
        .views
        .list
        .iter()
        .enumerate()
        .take(lines.saturating_sub(1));
    for (i, view) in shown {
        let selected = model.views.cursor == Some(i);
        let count = match view.count {
            Some(n) if n >= COUNT_LIMIT => format!(" {COUNT_LIMIT}+"),
            Some(0) | None => String::new(),
            Some(n) => format!(" {n}"),
        };
        let room = width.saturating_sub(2 + display_width(&count));
        let name = safe(&view.name, room);
        let gap = room.saturating_sub(display_width(&name));
        let style = theme.style(if selected {
            scopes::FOLDERS_ROW_SELECTED
        } else {
            scopes::FOLDERS_ROW
        });
        let line = Line::from(vec![
            Span::raw("◆ "),
            Span::raw(name),
            Span::raw(" ".repeat(gap)),
            Span::styled(count, theme.style(scopes::FOLDERS_COUNT)),
        ])
        .style(style);
        buf.set_line(area.x, area.y + i as u16, &line, area.width);
    }
    let used = lines as u16;
    Rect {
        y: area.y + used,
        height: area.height - used,
        ..area
    }
}
