//! The post-draw OSC 8 pass: ratatui cells cannot carry escape sequences, so after each
//! draw the cells that show a link are written again, as they were drawn, between
//! `ESC ] 8 ; ; URL ESC \` and `ESC ] 8 ; ; ESC \`. Terminals without OSC 8 ignore it.
//! Only `links::osc8_target` output (printable ASCII) goes inside the sequence.

use std::io::{self, Write};

use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::{Buffer, Cell};
use unicode_width::UnicodeWidthStr;

use crate::ui::links::Hyperlink;

/// A link's cells, copied from the frame just drawn.
pub struct Marked {
    target: String,
    cells: Vec<(u16, u16, Cell)>,
}

/// Copies the cells of each link out of `buffer` (skipping the hidden halves of wide
/// characters, as ratatui's own diff does).
pub fn cells_of(buffer: &Buffer, links: Vec<Hyperlink>) -> Vec<Marked> {
    let area = buffer.area;
    links
        .into_iter()
        .filter(|l| l.target.bytes().all(|b| (0x21..=0x7e).contains(&b)) && !l.target.is_empty())
        .map(|l| {
            let mut cells = Vec::with_capacity(usize::from(l.width));
            let mut hidden = 0;
            for x in l.x..l.x.saturating_add(l.width) {
                if x >= area.right() || l.y >= area.bottom() {
                    break;
                }
                let cell = &buffer[(x, l.y)];
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                hidden = cell.symbol().width().saturating_sub(1);
                cells.push((x, l.y, cell.clone()));
            }
            Marked {
                target: l.target,
                cells,
            }
        })
        .filter(|m| !m.cells.is_empty())
        .collect()
}

/// Writes each link's cells again inside an OSC 8 hyperlink.
pub fn write<W: Write>(backend: &mut CrosstermBackend<W>, marked: &[Marked]) -> io::Result<()> {
    for m in marked {
        write!(backend, "\x1b]8;;{}\x1b\\", m.target)?;
        backend.draw(m.cells.iter().map(|(x, y, cell)| (*x, *y, cell)))?;
        backend.write_all(b"\x1b]8;;\x1b\\")?;
    }
    if !marked.is_empty() {
        Write::flush(backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};

    #[test]
    fn each_link_is_rewritten_inside_osc8_with_its_style() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 40, 3));
        buffer.set_string(
            2,
            1,
            "日 https://a.example/x",
            Style::default().fg(Color::Blue),
        );
        let links = vec![
            Hyperlink {
                x: 5,
                y: 1,
                width: 19,
                target: "https://a.example/x".into(),
            },
            // Anything not printable ASCII is refused, whatever made it.
            Hyperlink {
                x: 0,
                y: 0,
                width: 3,
                target: "https://b.example/\x1b]0;x\x07".into(),
            },
        ];
        let marked = cells_of(&buffer, links);
        assert_eq!(marked.len(), 1);
        let mut out = Vec::new();
        write(&mut CrosstermBackend::new(&mut out), &marked).unwrap();
        let text = String::from_utf8(out).unwrap();
        let open = "\x1b]8;;https://a.example/x\x1b\\";
        let close = "\x1b]8;;\x1b\\";
        assert!(text.starts_with(open), "{text:?}");
        assert!(text.ends_with(close), "{text:?}");
        let inside = &text[open.len()..text.len() - close.len()];
        // Moved to the link's first cell, in its colour, then its text.
        assert!(inside.starts_with("\x1b[2;6H"), "{inside:?}");
        // Only the link's cells, then the colours reset.
        assert!(
            inside.contains("\x1b[38;5;4;49mhttps://a.example/x\x1b[39m"),
            "{inside:?}"
        );
        assert_eq!(
            text.matches("\x1b]8;;").count(),
            2,
            "one link, opened and closed"
        );
    }

    #[test]
    fn wide_characters_are_written_once() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 10, 1));
        buffer.set_string(0, 0, "日本x", Style::default());
        let marked = cells_of(
            &buffer,
            vec![Hyperlink {
                x: 0,
                y: 0,
                width: 5,
                target: "https://x.example".into(),
            }],
        );
        let symbols: Vec<&str> = marked[0].cells.iter().map(|(_, _, c)| c.symbol()).collect();
        assert_eq!(symbols, ["日", "本", "x"]);
    }
}
