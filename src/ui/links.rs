//! Links on screen: the numbered list of `L`, and where the reader shows each link so the
//! runtime can mark those cells as OSC 8 hyperlinks after drawing (ratatui cells cannot
//! carry escape sequences).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{display_width, safe};
use crate::app::Model;
use crate::app::reader::HeaderMode;
use crate::app::reader_lines::{content_len, header_rows};
use crate::domain::links::{self, osc8_target};
use crate::theme::{Theme, scopes};

/// Lines above the screen read too, so a URL wrapped down onto the first visible line
/// still has its whole target (a 4 KB URL at 32 columns).
const LOOK_AROUND: usize = 128;

/// A run of cells on one screen row that shows (part of) a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperlink {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    /// Printable ASCII only (`links::osc8_target`): safe inside an escape sequence.
    pub target: String,
}

/// The links overlay: `[n] url`, the selected one highlighted, the number typed so far.
pub fn render_overlay(
    theme: &Theme,
    screen: Rect,
    frame: &mut Frame,
    urls: &[String],
    selected: usize,
    typed: &str,
) {
    let room = usize::from(screen.height.saturating_sub(5)).max(1);
    let first = selected.saturating_sub(room - 1);
    let digits = urls.len().to_string().len();
    let mut lines: Vec<Line> = urls
        .iter()
        .enumerate()
        .skip(first)
        .take(room)
        .map(|(i, url)| {
            let scope = if i == selected {
                scopes::OVERLAY_SELECTED
            } else {
                scopes::OVERLAY
            };
            let label = format!(" [{:>digits$}] ", i + 1);
            let width = 96usize.saturating_sub(label.len() + 2);
            Line::from(vec![
                Span::styled(label, theme.style(scopes::OVERLAY_KEY)),
                Span::styled(safe(url, width), theme.style(scope)),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(if typed.is_empty() {
        Span::styled(
            " number or Enter: open   j/k: move   Esc: close",
            theme.style(scopes::STATUS_HINT),
        )
    } else {
        Span::styled(
            format!(" open [{typed}]"),
            theme.style(scopes::COMMAND_LINE),
        )
    }));
    let title = format!(" Links ({}) ", urls.len());
    super::overlay::popup(frame, theme, screen, &title, 100, &lines, 0);
}

/// Where the reader shows links right now, for the post-draw OSC 8 pass: none while an
/// overlay is up (its cells would be marked) or when the raw source is shown.
pub fn hyperlinks(model: &Model) -> Vec<Hyperlink> {
    let Some(r) = &model.reader else {
        return Vec::new();
    };
    if !model.overlays.is_empty() || r.headers == HeaderMode::Raw {
        return Vec::new();
    }
    let Some(body) = r.rendered().map(|m| &m.body) else {
        return Vec::new();
    };
    let Some(area) = crate::app::layout::areas(&model.view()).reader_inner else {
        return Vec::new();
    };
    let head = header_rows(r).len();
    let total = head + content_len(r);
    // As ui::reader draws: the first row shown, and which body lines are on screen.
    let top = (r.scroll as usize).min(total.saturating_sub(1));
    let first = top.saturating_sub(head);
    let last = (top + usize::from(area.height))
        .saturating_sub(head)
        .min(body.len());
    if first >= last {
        return Vec::new();
    }
    let from = first.saturating_sub(LOOK_AROUND);
    let to = (last + LOOK_AROUND).min(body.len());
    let lines: Vec<&str> = body[from..to].iter().map(|l| l.text.as_str()).collect();
    let found = links::extract(&lines, usize::from(r.width));
    let mut out = Vec::new();
    for span in &found.spans {
        let line = from + span.line;
        if line < first || line >= last {
            continue;
        }
        let row = head + line - top;
        let Some(text) = lines.get(span.line) else {
            continue;
        };
        let Some(target) = found.urls.get(span.link).and_then(|u| osc8_target(u)) else {
            continue;
        };
        // A line wider than the pane ends in "…": that cell is not the link's.
        let room = if display_width(text) > usize::from(area.width) {
            usize::from(area.width).saturating_sub(1)
        } else {
            usize::from(area.width)
        };
        let x = display_width(&text[..span.start]);
        let end = (x + display_width(&text[span.start..span.end])).min(room);
        if x >= end {
            continue;
        }
        out.push(Hyperlink {
            x: area.x + x as u16,
            y: area.y + row as u16,
            width: (end - x) as u16,
            target,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testkit::*;
    use crate::app::{FakeSource, MailSource};

    const BODY: &str = "From: a@example.com\r\nSubject: l\r\nContent-Type: text/plain\r\n\r\n\
        Read https://docs.example.com/x today.\r\n\
        \u{65e5}\u{672c} https://b.example/\x1b]8;;https://phish.example\x07\r\n";

    fn open(size: (u16, u16)) -> (FakeSource, Model) {
        let mut s = source();
        let id = s.folders().unwrap()[0].id;
        s.set_body(id, 2, BODY);
        let mut m = model(&s, size);
        keys(&mut m, &s, "j Enter Enter");
        (s, m)
    }

    #[test]
    fn links_are_placed_where_the_reader_draws_them() {
        let (s, mut m) = open((100, 30));
        let found = hyperlinks(&m);
        let theme = crate::theme::Theme::builtin("default").unwrap();
        let backend = ratatui::backend::TestBackend::new(100, 30);
        let mut terminal = ratatui::Terminal::new(backend).unwrap();
        terminal.draw(|f| crate::ui::render(&m, &theme, f)).unwrap();
        let buffer = terminal.backend().buffer();
        let cells = |h: &Hyperlink| -> String {
            (h.x..h.x + h.width)
                .map(|x| buffer[(x, h.y)].symbol().to_string())
                .collect()
        };
        let shown: Vec<(String, &str)> = found
            .iter()
            .map(|h| (cells(h), h.target.as_str()))
            .collect();
        // The wide characters before the second link take two cells each, and the escape
        // sequence never made it into the text.
        assert_eq!(
            shown,
            [
                (
                    "https://docs.example.com/x".to_string(),
                    "https://docs.example.com/x"
                ),
                ("https://b.example/".to_string(), "https://b.example/"),
            ]
        );
        // "日本 " is two wide characters and a space: as wide as "Read ".
        assert_eq!(found[1].x, found[0].x);
        assert_eq!(found[1].y, found[0].y + 1);
        // Under an overlay, nothing is marked.
        keys(&mut m, &s, "?");
        assert!(hyperlinks(&m).is_empty());
    }

    #[test]
    fn scrolled_past_the_body_marks_nothing_and_does_not_panic() {
        let s = source();
        let mut m = model(&s, (100, 30));
        // uid 5 has an attachment: the rows under the body list it.
        keys(&mut m, &s, "j j Enter");
        if let Some(r) = &mut m.reader {
            r.scroll = 10_000;
        }
        assert!(hyperlinks(&m).is_empty());
    }
}
