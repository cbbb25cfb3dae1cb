//! Popups over the panes: help (generated from the keymap and the action docs), the
//! attachment picker with its save prompt, and the error log.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};

use super::format::size;
use super::text::{display_width, fit, safe};
use crate::app::picker::FolderPicker;
use crate::app::{Model, Overlay};
use crate::keymap::Context;
use crate::keymap::action::Action;
use crate::theme::{Theme, scopes};

pub fn render(model: &Model, theme: &Theme, frame: &mut Frame) {
    let Some(top) = model.overlays.last() else {
        return;
    };
    let (w, h) = model.size;
    let screen = Rect::new(0, 0, w, h.saturating_sub(1));
    match top {
        Overlay::Help { scroll } => {
            let lines = help_lines(model, theme);
            popup(
                frame,
                theme,
                screen,
                " Keys  (j/k scroll, q close) ",
                90,
                &lines,
                *scroll,
            );
        }
        Overlay::Messages { scroll } => {
            let mut lines: Vec<Line> = model
                .status
                .log
                .iter()
                .rev()
                .map(|e| Line::from(Span::styled(e.clone(), theme.style(scopes::STATUS_ERROR))))
                .collect();
            if lines.is_empty() {
                lines.push(Line::from(Span::styled(
                    "No errors.",
                    theme.style(scopes::OVERLAY),
                )));
            }
            popup(
                frame,
                theme,
                screen,
                " Messages (newest first) ",
                90,
                &lines,
                *scroll,
            );
        }
        Overlay::Attachments { selected, prompt } => {
            let Some(m) = model.reader.as_ref().and_then(|r| r.rendered()) else {
                return;
            };
            let mut lines: Vec<Line> = m
                .attachments
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let scope = if i == *selected {
                        scopes::OVERLAY_SELECTED
                    } else {
                        scopes::OVERLAY
                    };
                    Line::from(Span::styled(
                        format!(
                            " [{}] {}  {}  {}",
                            a.index + 1,
                            safe(&a.filename, 40),
                            safe(&a.content_type, 30),
                            size(u32::try_from(a.size).unwrap_or(u32::MAX))
                        ),
                        theme.style(scope),
                    ))
                })
                .collect();
            lines.push(Line::from(""));
            let prompt_line = lines.len();
            match prompt {
                Some(input) => lines.push(Line::from(vec![
                    Span::styled(" Save to: ", theme.style(scopes::OVERLAY_KEY)),
                    Span::styled(safe(&input.text, 200), theme.style(scopes::COMMAND_LINE)),
                ])),
                None => lines.push(Line::from(Span::styled(
                    " Enter: save   o: open   A: save all   |: pipe   Esc: close",
                    theme.style(scopes::STATUS_HINT),
                ))),
            }
            let area = popup(frame, theme, screen, " Attachments ", 72, &lines, 0);
            if let Some(input) = prompt {
                let before: String = input.text.chars().take(input.cursor).collect();
                let x = area.x + 1 + (10 + display_width(&before)) as u16;
                let y = area.y + 1 + prompt_line as u16;
                if x < area.right().saturating_sub(1) && y < area.bottom().saturating_sub(1) {
                    frame.set_cursor_position(Position::new(x, y));
                }
            }
        }
        Overlay::Picker(picker) => picker_popup(model, picker, theme, screen, frame),
        Overlay::Links {
            urls,
            selected,
            typed,
        } => super::links::render_overlay(theme, screen, frame, urls, *selected, typed),
        Overlay::Output {
            title,
            lines,
            scroll,
        } => {
            let lines: Vec<Line> = lines
                .iter()
                .map(|l| Line::from(Span::styled(l.clone(), theme.style(scopes::OVERLAY))))
                .collect();
            let title = format!(" {}  (j/k scroll, q close) ", safe(title, 60));
            popup(frame, theme, screen, &title, 100, &lines, *scroll);
        }
        // Drawn on the status line.
        Overlay::Command(_)
        | Overlay::Filter { .. }
        | Overlay::Keyword { .. }
        | Overlay::Prompt { .. }
        | Overlay::FolderName(_) => {}
        // Asked on the status line, over whatever it showed.
        Overlay::Confirm { question, .. }
        | Overlay::FolderConfirm(crate::app::FolderQuestion { question, .. }) => {
            let area = Rect::new(0, h.saturating_sub(1), w, 1.min(h));
            frame.render_widget(Clear, area);
            let line = Line::from(Span::styled(
                fit(question, usize::from(w)),
                theme.style(scopes::COMMAND_LINE),
            ));
            frame.buffer_mut().set_line(0, area.y, &line, w);
            let x = (display_width(question) as u16).min(w.saturating_sub(1));
            if h > 0 {
                frame.set_cursor_position(Position::new(x, area.y));
            }
        }
    }
}

/// Most folders the picker lists at once.
const PICKER_ROWS: usize = 12;

/// The query line, then the matching folders with the selected one highlighted.
fn picker_popup(
    model: &Model,
    picker: &FolderPicker,
    theme: &Theme,
    screen: Rect,
    frame: &mut Frame,
) {
    let matches = picker.matches(&model.folders);
    let mut lines = vec![Line::from(vec![
        Span::styled(" > ", theme.style(scopes::OVERLAY_KEY)),
        Span::styled(
            safe(&picker.input.text, 200),
            theme.style(scopes::COMMAND_LINE),
        ),
    ])];
    let first = picker.selected.saturating_sub(PICKER_ROWS - 1);
    for (i, name) in matches.iter().enumerate().skip(first).take(PICKER_ROWS) {
        let scope = if i == picker.selected {
            scopes::OVERLAY_SELECTED
        } else {
            scopes::OVERLAY
        };
        lines.push(Line::from(Span::styled(
            format!(" {}", safe(name, 200)),
            theme.style(scope),
        )));
    }
    if matches.is_empty() {
        lines.push(Line::from(Span::styled(
            " no folder matches",
            theme.style(scopes::STATUS_HINT),
        )));
    }
    let title = if picker.copy {
        " Copy to  (type to narrow, Enter picks, Esc cancels) "
    } else {
        " Move to  (type to narrow, Enter picks, Esc cancels) "
    };
    let area = popup(frame, theme, screen, title, 60, &lines, 0);
    let before: String = picker
        .input
        .text
        .chars()
        .take(picker.input.cursor)
        .collect();
    let x = area.x + 1 + (3 + display_width(&before)) as u16;
    if x < area.right().saturating_sub(1) {
        frame.set_cursor_position(Position::new(x, area.y + 1));
    }
}

/// Per context, each action with all its keys; then the filter syntax and commands.
fn help_lines<'a>(model: &Model, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for (context, title) in [
        (Context::List, "Message list"),
        (Context::Reader, "Reader"),
        (Context::Folders, "Folders"),
        (Context::Global, "Everywhere"),
    ] {
        let mut grouped: Vec<(Action, Vec<String>)> = Vec::new();
        for (keys, action) in model.keymap.bindings(context) {
            match grouped.last_mut() {
                Some((a, k)) if *a == action => k.push(keys),
                _ => grouped.push((action, vec![keys])),
            }
        }
        if grouped.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(
            title,
            theme.style(scopes::OVERLAY_TITLE),
        )));
        for (action, keys) in grouped {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {}", fit(&keys.join(", "), 22)),
                    theme.style(scopes::OVERLAY_KEY),
                ),
                Span::styled(format!("  {}", action.doc()), theme.style(scopes::OVERLAY)),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(
        "Filter (/)",
        theme.style(scopes::OVERLAY_TITLE),
    )));
    lines.push(Line::from(Span::styled(
        "  words match sender or subject; ~N unread, ~F flagged",
        theme.style(scopes::OVERLAY),
    )));
    lines.push(Line::from(Span::styled(
        "Commands (:)",
        theme.style(scopes::OVERLAY_TITLE),
    )));
    lines.push(Line::from(Span::styled(
        "  any action name above, q, messages, folder NAME, filter TEXT,",
        theme.style(scopes::OVERLAY),
    )));
    lines.push(Line::from(Span::styled(
        "  move NAME, copy NAME, keyword +ADD -REMOVE",
        theme.style(scopes::OVERLAY),
    )));
    lines.push(Line::from(Span::styled(
        "  mkdir NAME, rename [OLD] NEW, rmdir [NAME], subscribe / unsubscribe [NAME],",
        theme.style(scopes::OVERLAY),
    )));
    lines.push(Line::from(Span::styled(
        "  folders [all]   (Tab completes folder names)",
        theme.style(scopes::OVERLAY),
    )));
    lines
}

/// A centred box of at most `max_w` columns; returns its area.
pub(super) fn popup(
    frame: &mut Frame,
    theme: &Theme,
    screen: Rect,
    title: &str,
    max_w: u16,
    lines: &[Line],
    scroll: u32,
) -> Rect {
    let w = max_w
        .min(screen.width.saturating_sub(2))
        .max(screen.width.min(10));
    let h = (lines.len() as u16 + 2)
        .min(screen.height.saturating_sub(2))
        .max(screen.height.min(3));
    let area = Rect::new(
        screen.x + (screen.width.saturating_sub(w)) / 2,
        screen.y + (screen.height.saturating_sub(h)) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(scopes::BORDER_FOCUSED))
        .title(Span::styled(
            title.to_string(),
            theme.style(scopes::OVERLAY_TITLE),
        ))
        .style(theme.style(scopes::OVERLAY));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let max_scroll = lines.len().saturating_sub(usize::from(inner.height));
    let start = (scroll as usize).min(max_scroll);
    for (i, line) in lines
        .iter()
        .skip(start)
        .take(usize::from(inner.height))
        .enumerate()
    {
        frame
            .buffer_mut()
            .set_line(inner.x, inner.y + i as u16, line, inner.width);
    }
    area
}
