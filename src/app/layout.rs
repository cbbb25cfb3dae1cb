//! Where each pane goes for a terminal size. Shared by rendering and by the app (mouse hit
//! tests, page sizes), so both always agree. Neighbouring panes share their border lines.

use ratatui::layout::Rect;

/// Below this width only one of folders and list is shown.
pub const NARROW: u16 = 50;
pub const SIDEBAR_MIN: u16 = 16;
/// Below this height the reader is never split with the list.
pub const SPLIT_MIN_HEIGHT: u16 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderView {
    Closed,
    Split,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub size: (u16, u16),
    pub reader: ReaderView,
    pub folders_focused: bool,
}

/// Blocks (with borders) and their inner areas; `None` when not shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    pub folders: Option<Rect>,
    pub folders_inner: Option<Rect>,
    pub list: Option<Rect>,
    pub list_inner: Option<Rect>,
    pub reader: Option<Rect>,
    pub reader_inner: Option<Rect>,
    pub status: Rect,
    /// The list's left border is the sidebar's right one.
    pub list_joins_sidebar: bool,
}

pub fn split_too_small(size: (u16, u16)) -> bool {
    size.1 < SPLIT_MIN_HEIGHT
}

fn inner(r: Rect, bottom_border: bool) -> Rect {
    Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(if bottom_border { 2 } else { 1 }),
    }
}

pub fn areas(view: &View) -> Areas {
    let (w, h) = view.size;
    let status = Rect::new(0, h.saturating_sub(1), w, h.min(1));
    let main = Rect::new(0, 0, w, h.saturating_sub(1));
    let mut out = Areas {
        status,
        ..Areas::default()
    };
    if view.reader == ReaderView::Full {
        out.reader = Some(main);
        out.reader_inner = Some(inner(main, true));
        return out;
    }
    let (folders, list) = if w < NARROW {
        if view.folders_focused {
            (Some(main), None)
        } else {
            (None, Some(main))
        }
    } else {
        let sidebar = (w / 5).max(SIDEBAR_MIN).min(w / 2);
        // The list starts on the sidebar's right border column.
        let left = sidebar.saturating_sub(1);
        (
            Some(Rect::new(0, 0, sidebar, main.height)),
            Some(Rect::new(left, 0, w - left, main.height)),
        )
    };
    out.list_joins_sidebar = folders.is_some() && list.is_some();
    out.folders = folders;
    out.folders_inner = folders.map(|r| inner(r, true));
    let Some(list) = list else {
        return out;
    };
    if view.reader == ReaderView::Split {
        let list_h = (list.height * 2 / 5).max(4).min(list.height);
        let list_block = Rect {
            height: list_h,
            ..list
        };
        // The reader's top border is the line under the list.
        let reader = Rect {
            y: list.y + list_h,
            height: list.height - list_h,
            ..list
        };
        out.list = Some(list_block);
        out.list_inner = Some(inner(list_block, false));
        out.reader = Some(reader);
        out.reader_inner = Some(inner(reader, true));
    } else {
        out.list = Some(list);
        out.list_inner = Some(inner(list, true));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_share_borders_and_fit() {
        let a = areas(&View {
            size: (100, 30),
            reader: ReaderView::Split,
            folders_focused: false,
        });
        let (f, l, r) = (a.folders.unwrap(), a.list.unwrap(), a.reader.unwrap());
        assert_eq!(f.width, 20);
        assert_eq!(l.x, 19);
        assert_eq!(l.right(), 100);
        assert_eq!(r.y, l.bottom());
        assert_eq!(r.bottom(), 29);
        assert_eq!(a.status, Rect::new(0, 29, 100, 1));
        let narrow = areas(&View {
            size: (40, 12),
            reader: ReaderView::Closed,
            folders_focused: false,
        });
        assert!(narrow.folders.is_none());
        assert_eq!(narrow.list_inner.unwrap(), Rect::new(1, 1, 38, 9));
    }
}
