//! Drawing: `render` is a pure function of the model (docs/ARCHITECTURE.md rule 12). Components have no
//! state; styles are asked for by scope (rule 15); text from mail is sanitized (rule 13).

pub(crate) mod folders;
pub(crate) mod format;
pub use crate::app::layout;
pub(crate) mod links;
pub(crate) mod list;
pub(crate) mod overlay;
pub(crate) mod reader;
pub(crate) mod status;
pub(crate) mod views;
pub use crate::domain::width as text;

use ratatui::Frame;
use ratatui::symbols::{border, line};
use ratatui::widgets::{Block, Borders};

use crate::app::{Focus, Model};
use crate::theme::{Theme, scopes};
use layout::{Areas, areas};

pub fn render(model: &Model, theme: &Theme, frame: &mut Frame) {
    let a: Areas = areas(&model.view());
    if let (Some(block), Some(inner)) = (a.folders, a.folders_inner) {
        let focused = model.focus == Focus::Folders;
        frame.render_widget(pane_block(theme, focused, border::PLAIN), block);
        let inner = views::render(model, theme, inner, frame.buffer_mut());
        folders::render(model, theme, inner, frame.buffer_mut());
    }
    if let (Some(block), Some(inner)) = (a.list, a.list_inner) {
        let focused = model.focus == Focus::List;
        let mut set = border::PLAIN;
        if a.list_joins_sidebar {
            set.top_left = line::HORIZONTAL_DOWN;
            set.bottom_left = line::HORIZONTAL_UP;
        }
        let mut b = pane_block(theme, focused, set);
        if a.reader.is_some() {
            b = b.borders(Borders::TOP | Borders::LEFT | Borders::RIGHT);
        }
        let b = b.title(list::title(model, theme));
        frame.render_widget(b, block);
        list::render(model, theme, inner, frame.buffer_mut());
    }
    if let (Some(block), Some(inner), Some(reader)) = (a.reader, a.reader_inner, &model.reader) {
        let focused = model.focus == Focus::Reader;
        let mut set = border::PLAIN;
        if a.list.is_some() {
            // The reader hangs under the list: its top border is the separator line.
            set.top_left = line::VERTICAL_RIGHT;
            set.top_right = line::VERTICAL_LEFT;
            if a.list_joins_sidebar {
                set.bottom_left = line::HORIZONTAL_UP;
            }
        }
        frame.render_widget(pane_block(theme, focused, set), block);
        reader::render(reader, model, theme, inner, frame.buffer_mut());
    }
    if model.focus == Focus::Folders
        && a.list_joins_sidebar
        && let Some(f) = a.folders
    {
        // The shared border column belongs to the focused sidebar too.
        let column = ratatui::layout::Rect::new(f.right().saturating_sub(1), f.y, 1, f.height);
        frame
            .buffer_mut()
            .set_style(column, theme.style(scopes::BORDER_FOCUSED));
    }
    status::render(model, theme, a.status, frame);
    overlay::render(model, theme, frame);
}

fn pane_block<'a>(theme: &Theme, focused: bool, set: border::Set<'a>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_set(set)
        .border_style(theme.style(if focused {
            scopes::BORDER_FOCUSED
        } else {
            scopes::BORDER
        }))
}

#[cfg(test)]
mod reading_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;
