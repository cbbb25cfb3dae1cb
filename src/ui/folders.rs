//! The sidebar: account header, folders indented by depth, unread counts right-aligned.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{display_width, fit, safe};
use crate::app::Model;
use crate::app::folders::FolderRowKind;
use crate::theme::{Theme, scopes};

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let pane = &model.folders;
    let width = usize::from(area.width);
    for (line, (i, row)) in pane
        .rows
        .iter()
        .enumerate()
        .skip(pane.scroll)
        .take(usize::from(area.height))
        .enumerate()
    {
        let y = area.y + line as u16;
        // A saved view holds the sidebar's selection while one is chosen (ui/views.rs).
        let selected = i == pane.cursor && model.views.cursor.is_none();
        let base = theme.style(match (&row.kind, selected) {
            (FolderRowKind::Account, _) => scopes::FOLDERS_ACCOUNT,
            (_, true) => scopes::FOLDERS_ROW_SELECTED,
            (_, false) if row.unseen > 0 => scopes::FOLDERS_ROW_UNREAD,
            _ => scopes::FOLDERS_ROW,
        });
        let spans = match row.kind {
            FolderRowKind::Account => vec![Span::raw(fit(
                &format!("▸ {}", safe(&row.label, width)),
                width,
            ))],
            _ => {
                let count = if row.unseen > 0 {
                    format!(" {}", row.unseen)
                } else {
                    String::new()
                };
                // The server refused this folder last time; the status line says why.
                let failed = model
                    .folders
                    .state(row.account, &row.name)
                    .is_some_and(|f| f.selectable && f.last_error.is_some());
                let mark = if failed { " !" } else { "" };
                let indent = "  ".repeat(usize::from(row.depth) + 1);
                // The role, when the name does not already say it (e.g. "Sent Mail").
                let role = row
                    .role
                    .as_deref()
                    .filter(|r| !row.label.eq_ignore_ascii_case(r))
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default();
                let room = width.saturating_sub(
                    display_width(&indent) + display_width(&count) + display_width(mark),
                );
                let label = safe(&row.label, room);
                let role_room = room.saturating_sub(display_width(&label));
                let role = if display_width(&role) <= role_room {
                    role
                } else {
                    String::new()
                };
                let gap = room.saturating_sub(display_width(&label) + display_width(&role));
                vec![
                    Span::raw(indent),
                    Span::raw(label),
                    Span::styled(role, theme.style(scopes::FOLDERS_ROLE)),
                    Span::raw(" ".repeat(gap)),
                    Span::styled(mark, theme.style(scopes::STATUS_ERROR)),
                    Span::styled(count, theme.style(scopes::FOLDERS_COUNT)),
                ]
            }
        };
        buf.set_line(area.x, y, &Line::from(spans).style(base), area.width);
    }
}
