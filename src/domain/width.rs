//! Measuring and cutting text by terminal cells (not bytes or chars): wide characters take
//! two cells, combining marks none, and a cut never splits a wide character.

use unicode_width::UnicodeWidthChar;

use crate::domain::text::sanitize;

/// `text` cut to at most `width` cells, with `…` where it was cut.
pub fn truncate(text: &str, width: usize) -> String {
    let mut used = 0;
    let mut out = String::with_capacity(text.len().min(width * 4));
    let total: usize = text.chars().map(cell_width).sum();
    if total <= width {
        return text.to_string();
    }
    // Room for the ellipsis.
    let room = width.saturating_sub(1);
    for c in text.chars() {
        let w = cell_width(c);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        // A wide char that did not fit leaves a gap: fill it so columns stay aligned.
        out.extend(std::iter::repeat_n(' ', room - used));
        out.push('…');
    }
    out
}

/// `text` truncated and padded with spaces to exactly `width` cells.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = truncate(text, width);
    let used = display_width(&out);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// Right-aligned in `width` cells.
pub fn fit_right(text: &str, width: usize) -> String {
    let cut = truncate(text, width);
    let used = display_width(&cut);
    let mut out = " ".repeat(width.saturating_sub(used));
    out.push_str(&cut);
    out
}

/// Untrusted text made safe and cut to one line of `width` cells.
pub fn safe(text: &str, width: usize) -> String {
    truncate(&sanitize(text), width)
}

pub fn display_width(text: &str) -> usize {
    text.chars().map(cell_width).sum()
}

fn cell_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Splits `text` into lines of at most `width` cells, at spaces where possible.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split_inclusive(' ') {
        let w = display_width(word);
        // A trailing space may hang past the edge.
        if used + display_width(word.trim_end()) > width && used > 0 {
            lines.push(std::mem::take(&mut line).trim_end().to_string());
            used = 0;
        }
        if w > width {
            // A word longer than the line: hard-break it by cells.
            for c in word.chars() {
                let cw = cell_width(c);
                if used + cw > width && used > 0 {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += cw;
            }
        } else {
            line.push_str(word);
            used += w;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_by_cells_without_splitting_wide_chars() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello world", 6), "hello…");
        // 日本語 is 6 cells; 4 cells leave room for one wide char, a gap, and the ellipsis.
        assert_eq!(truncate("日本語", 4), "日 …");
        assert_eq!(display_width(&truncate("日本語", 4)), 4);
        assert_eq!(fit("e\u{301}x", 4), "e\u{301}x  ");
        assert_eq!(fit_right("4.1K", 6), "  4.1K");
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn wraps_at_spaces_and_hard_breaks_long_words() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), [""]);
    }
}
