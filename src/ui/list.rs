//! The message list: only the visible rows are drawn (the window the model holds), so a
//! frame costs the same at 100 or 100,000 messages.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::format::{count, list_date, size};
use super::text::{fit, fit_right, safe};
use crate::app::Model;
use crate::domain::folder::SortOrder;
use crate::domain::message::{MessageRow, SystemFlags};
use crate::domain::source_view::shown_keywords;
use crate::domain::text::sanitize;
use crate::theme::{Theme, scopes};

const FLAGS_W: usize = 3;
/// `2019-03-04`; narrow lists use 6 cells and show old dates as the year.
const DATE_W: usize = 10;
const DATE_W_NARROW: usize = 6;
const SIZE_W: usize = 6;
/// Subject cells kept when keywords share its column.
const SUBJECT_MIN_W: usize = 16;
/// 📎 is two cells wide.
const ATTACH_W: usize = 2;

/// `INBOX  2,431 unread / 100,000`, or with a filter `INBOX  /~N ada  12 of 100,000`.
pub fn title<'a>(model: &Model, theme: &Theme) -> Line<'a> {
    let list = &model.list;
    let Some(folder) = &list.folder else {
        return Line::from(Span::styled(" (no folder) ", theme.style(scopes::TITLE)));
    };
    if let Some(results) = &list.results {
        return results_title(list, results, theme);
    }
    let state = model.folders.state(folder.account, &folder.name);
    let name = sanitize(&folder.name);
    let mut spans = vec![Span::styled(
        format!(" {name} "),
        theme.style(scopes::TITLE),
    )];
    match &list.filter {
        Some(filter) => {
            spans.push(Span::styled(
                format!(" /{} ", sanitize(&filter.to_input())),
                theme.style(scopes::FILTER),
            ));
            spans.push(Span::styled(
                format!(
                    " {} of {} ",
                    count(list.total),
                    count(state.map_or(0, |s| s.messages))
                ),
                theme.style(scopes::TITLE),
            ));
        }
        None => {
            let unseen = state.map_or(0, |s| s.unseen);
            // Folded threads hide rows, not messages: count the folder's.
            let folded = list.sort == SortOrder::Threaded && !list.folds.is_empty();
            let total = match state {
                Some(s) if folded => s.messages,
                _ => list.total,
            };
            spans.push(Span::styled(
                format!(" {} unread / {} ", count(unseen), count(total)),
                theme.style(scopes::TITLE),
            ));
        }
    }
    if list.sort == SortOrder::Threaded {
        spans.push(Span::styled(" threads ", theme.style(scopes::STATUS_HINT)));
    }
    if list.new_above > 0 {
        spans.push(Span::styled(
            format!(" ↑ {} new ", count(list.new_above)),
            theme.style(scopes::LIST_ROW_UNREAD),
        ));
    }
    Line::from(spans)
}

/// `Search: is:unread  12 found · asking the server`.
fn results_title<'a>(
    list: &crate::app::ListPane,
    results: &crate::app::search::ResultSet,
    theme: &Theme,
) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!(" Search: {} ", sanitize(&results.title)),
        theme.style(scopes::TITLE),
    )];
    if let Some(filter) = &list.filter {
        spans.push(Span::styled(
            format!(" /{} ", sanitize(&filter.to_input())),
            theme.style(scopes::FILTER),
        ));
    }
    spans.push(Span::styled(
        format!(" {} found ", count(list.total)),
        theme.style(scopes::TITLE),
    ));
    if results.asking > 0 {
        spans.push(Span::styled(
            " · asking the server ",
            theme.style(scopes::STATUS_HINT),
        ));
    }
    if list.sort == SortOrder::Threaded {
        spans.push(Span::styled(" threads ", theme.style(scopes::STATUS_HINT)));
    }
    Line::from(spans)
}

/// Where a search result lives, for its row: `folder`, `account/folder` with several
/// accounts, and whether the cache holds it yet.
fn result_place(model: &Model, row: &MessageRow) -> Option<(String, bool)> {
    let hit = model.list.results.as_ref()?.hit(row.uid)?;
    let place = match model.accounts.get(hit.account) {
        Some(a) if model.accounts.len() > 1 => format!("{}/{}", a.name, hit.folder),
        _ => hit.folder.clone(),
    };
    Some((place, hit.cached))
}

struct Columns {
    date: usize,
    from: usize,
    subject: usize,
    size: bool,
}

fn columns(width: usize) -> Columns {
    let from = (width / 4).clamp(8, 22);
    let size = width >= 60;
    let date = if size { DATE_W } else { DATE_W_NARROW };
    let fixed = 1 + FLAGS_W + 1 + date + 1 + from + 1;
    let tail = if size { 1 + SIZE_W + 1 + ATTACH_W } else { 0 };
    Columns {
        date,
        from,
        subject: width.saturating_sub(fixed + tail),
        size,
    }
}

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let list = &model.list;
    if list.total == 0 {
        let text = if list.filter.is_some() {
            "No messages match the filter"
        } else {
            "No messages"
        };
        let line = Line::from(Span::styled(
            fit(&format!("  {text}"), usize::from(area.width)),
            theme.style(scopes::LIST_EMPTY),
        ));
        buf.set_line(area.x, area.y, &line, area.width);
        return;
    }
    let cols = columns(usize::from(area.width));
    for (index, row, guide) in list.visible() {
        let Some(line) = index.checked_sub(list.scroll) else {
            continue;
        };
        if line >= u32::from(area.height) {
            break;
        }
        let selected = index == list.cursor;
        let folded = list.folded_at(index);
        let line_widget = row_line(model, theme, row, (guide, folded), selected, &cols);
        buf.set_line(area.x, area.y + line as u16, &line_widget, area.width);
    }
}

fn row_style(theme: &Theme, row: &MessageRow, selected: bool) -> Style {
    let unread = !row.flags.seen();
    let scope = match (unread, selected) {
        (true, true) => scopes::LIST_ROW_UNREAD_SELECTED,
        (true, false) => scopes::LIST_ROW_UNREAD,
        (false, true) => scopes::LIST_ROW_SELECTED,
        (false, false) => scopes::LIST_ROW,
    };
    let mut style = theme.style(scope);
    if row.flags.system.has(SystemFlags::DELETED) {
        style = style.patch(theme.style(scopes::LIST_ROW_DELETED));
    } else if row.flags.flagged() && !selected {
        style = style.patch(theme.style(scopes::LIST_ROW_FLAGGED));
    }
    style
}

fn row_line<'a>(
    model: &Model,
    theme: &Theme,
    row: &MessageRow,
    (guide, folded): (&str, Option<(u32, u32)>),
    selected: bool,
    cols: &Columns,
) -> Line<'a> {
    let base = row_style(theme, row, selected);
    // Columns set no background, so the row's (selection) background shows through.
    let col = |scope: &str| {
        let s = theme.style(scope);
        Style { bg: None, ..s }
    };
    let f = &row.flags;
    let tagged = model.list.tagged.contains(&row.uid);
    let flags: String = [
        if tagged {
            '+'
        } else if f.seen() {
            ' '
        } else {
            '●'
        },
        if f.flagged() { '★' } else { ' ' },
        if f.system.has(SystemFlags::ANSWERED) {
            '↩'
        } else {
            ' '
        },
    ]
    .into_iter()
    .collect();
    let mut date = list_date(row.date, model.clock);
    if date.len() > cols.date {
        date.truncate(4);
    }
    let guide_w = super::text::display_width(guide).min(cols.subject / 2);
    let guide = fit(guide, guide_w);
    // A folded thread: how many messages it hides, and how many are unread.
    let fold = match folded {
        Some((n, 0)) => format!("▸{n} "),
        Some((n, unread)) => format!("▸{n} ●{unread} "),
        None => String::new(),
    };
    let keywords: Vec<String> = shown_keywords(&row.flags.keywords)
        .map(|k| format!("[{}]", sanitize(k)))
        .collect();
    let keywords = if keywords.is_empty() {
        String::new()
    } else {
        format!("{} ", keywords.join(" "))
    };
    // A search result says where it is (and ↓ while only the server has it).
    let place = result_place(model, row);
    let place_w = match &place {
        Some((name, _)) => (super::text::display_width(name) + 3).min(cols.subject / 3),
        None => 0,
    };
    let place_span = match place {
        Some((name, cached)) => {
            let mark = if cached { ' ' } else { '↓' };
            let scope = if cached {
                scopes::LIST_FOLDER
            } else {
                scopes::LIST_UNCACHED
            };
            Span::styled(
                fit(&format!("{mark}{} ", safe(&name, place_w)), place_w),
                col(scope),
            )
        }
        None => Span::raw(""),
    };
    let room = cols.subject - guide_w - place_w;
    let fold_w = super::text::display_width(&fold).min(room / 2);
    // Keywords take what the subject can spare beyond a readable start.
    let keywords_w = super::text::display_width(&keywords).min(
        (room - fold_w)
            .saturating_sub(SUBJECT_MIN_W)
            .max((room - fold_w) / 3),
    );
    let subject_w = room - fold_w - keywords_w;
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(flags, col(scopes::LIST_FLAGS)),
        Span::raw(" "),
        Span::styled(fit(&date, cols.date), col(scopes::LIST_DATE)),
        Span::raw(" "),
        Span::styled(
            fit(&safe(row.sender(), cols.from), cols.from),
            col(scopes::LIST_FROM),
        ),
        Span::raw(" "),
        place_span,
        Span::styled(guide, col(scopes::LIST_THREAD_GUIDE)),
        Span::styled(fit(&fold, fold_w), col(scopes::LIST_FOLDED)),
        Span::styled(fit(&keywords, keywords_w), col(scopes::LIST_KEYWORDS)),
        Span::styled(
            fit(&safe(&row.subject, subject_w), subject_w),
            col(scopes::LIST_SUBJECT),
        ),
    ];
    if cols.size {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            // 0: not known yet (a first sync's newest page comes without sizes).
            fit_right(
                &if row.size == 0 {
                    String::new()
                } else {
                    size(row.size)
                },
                SIZE_W,
            ),
            col(scopes::LIST_SIZE),
        ));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            if row.has_attachment { "📎" } else { "  " },
            col(scopes::LIST_FLAGS),
        ));
    }
    Line::from(spans).style(base)
}
