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
                // Shown only on request (`A`): said, so it is not mistaken for subscribed.
                let unsubscribed = pane.show_all
                    && pane
                        .state(row.account, &row.name)
                        .is_some_and(|f| !f.subscribed);
                // The role, when the name does not already say it (e.g. "Sent Mail").
                let role = row
                    .role
                    .as_deref()
                    .filter(|r| !row.label.eq_ignore_ascii_case(r))
                    .map(|r| format!(" {r}"))
                    .or_else(|| unsubscribed.then(|| " unsubscribed".to_string()))
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

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use crate::app::testkit::{keys, model, source};
    use crate::theme::Theme;

    fn sidebar(m: &crate::app::Model) -> Vec<String> {
        let area = Rect::new(0, 0, 30, 14);
        let mut buf = Buffer::empty(area);
        let theme = Theme::builtin("default").unwrap();
        super::render(m, &theme, area, &mut buf);
        (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn unsubscribed_folders_show_only_on_request_and_say_so() {
        let mut s = source();
        let old = s.add_folder("Old", None, Some('/'));
        s.folder_mut(old).unwrap().subscribed = false;
        let mut m = model(&s, (100, 30));
        assert!(!sidebar(&m).iter().any(|l| l.contains("Old")));
        keys(&mut m, &s, "Tab A");
        let lines = sidebar(&m);
        let row = lines.iter().find(|l| l.contains("Old")).unwrap();
        assert!(row.contains("unsubscribed"), "{lines:#?}");
        let rust = lines.iter().find(|l| l.contains("rust")).unwrap();
        assert!(!rust.contains("unsubscribed"), "{lines:#?}");
    }
}
