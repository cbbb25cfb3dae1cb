//! Text from mail or servers is untrusted: strip what could drive the terminal, measure what
//! remains the way the terminal will draw it.

use unicode_width::UnicodeWidthStr;

/// Removes escape sequences and control characters (tabs become spaces), so the text
/// cannot move the cursor, change colours or retitle the terminal.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => skip_escape(&mut chars),
            '\t' => out.push(' '),
            // C1 controls include CSI (U+009B), which some terminals honour.
            c if c.is_control() => {}
            // Bidi overrides can make text lie about its order.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            // CSI: parameters and intermediates up to a final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        Some(']' | 'P' | '_' | '^') => {
            chars.next();
            // OSC/DCS/APC/PM: up to BEL or ST (ESC \)
            while let Some(c) = chars.next() {
                if c == '\x07' {
                    break;
                }
                if c == '\x1b' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

pub fn display_width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("x\x1b]0;pwned\x07y"), "xy");
        assert_eq!(sanitize("x\x1b]8;;http://e\x1b\\link"), "xlink");
        assert_eq!(sanitize("bell\x07\r\nline\u{9b}2J"), "bellline2J");
        assert_eq!(sanitize("tab\there"), "tab here");
        assert_eq!(sanitize("abc\u{202e}def"), "abcdef");
    }

    #[test]
    fn measures_wide_and_combining() {
        assert_eq!(display_width("日本語"), 6);
        assert_eq!(display_width("e\u{301}"), 1);
    }
}
