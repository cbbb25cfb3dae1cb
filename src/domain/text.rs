//! Text from mail or servers is untrusted: strip what could drive the terminal, measure what
//! remains the way the terminal will draw it.
//!
//! Invisible characters are removed, not shown as placeholders: zero-width spaces and joiners,
//! direction marks, overrides and isolates, tag characters and the other invisible format
//! characters. What remains is exactly what the eye can check, in logical order, and every
//! character has the width we measure. A zero-width joiner survives only between two emoji,
//! where it builds one picture (family, profession) and cannot hide anything.

use unicode_width::UnicodeWidthStr;

/// Removes escape sequences, control characters and invisible format characters (tabs become
/// spaces), so the text cannot move the cursor, change colours, retitle the terminal or look
/// like something it is not.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => skip_escape(&mut chars),
            // The 8-bit forms of CSI and of OSC/DCS/PM/APC: drop their parameters too.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push(' '),
            // C1 controls include CSI (U+009B), which some terminals honour.
            c if c.is_control() => {}
            // Line and paragraph separators would break a row in some terminals.
            '\u{2028}' | '\u{2029}' => out.push(' '),
            ZERO_WIDTH_JOINER
                if out.chars().next_back().is_some_and(is_emoji)
                    && chars.peek().copied().is_some_and(is_emoji) =>
            {
                out.push(c);
            }
            c if is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Like [`sanitize`], line by line: keeps the line breaks (a CR before LF is dropped).
pub fn sanitize_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&sanitize(line));
    }
    out
}

/// JSON text (as serde_json writes it) with every character [`sanitize`] would drop written
/// as a `\uXXXX` escape instead: still the same JSON value, but inert on a terminal. serde_json
/// escapes C0 controls itself, not C1 controls or invisible characters.
pub fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let risky = (c.is_control() && c != '\n')
            || is_invisible(c)
            || matches!(c, '\u{2028}' | '\u{2029}');
        if risky {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

const ZERO_WIDTH_JOINER: char = '\u{200d}';

/// Characters that draw nothing (or nothing reliably) yet change what text means or how it
/// lines up: Unicode's invisible format characters (category Cf) and the invisible fillers
/// spoofers use. Variation selectors stay: they pick emoji or text style of what precedes.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}'                      // soft hyphen
        | '\u{034f}'                    // combining grapheme joiner
        | '\u{061c}'                    // Arabic letter mark
        | '\u{115f}' | '\u{1160}'       // Hangul fillers
        | '\u{180e}'                    // Mongolian vowel separator
        | '\u{200b}'..='\u{200f}'       // zero-width space, (non-)joiner, LRM, RLM
        | '\u{202a}'..='\u{202e}'       // embeddings and overrides
        | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
        | '\u{2066}'..='\u{206f}'       // isolates, deprecated format characters
        | '\u{3164}' | '\u{ffa0}'       // Hangul fillers
        | '\u{feff}'                    // zero-width no-break space (BOM)
        | '\u{fff9}'..='\u{fffb}'       // interlinear annotation
        | '\u{13430}'..='\u{1343f}'     // Egyptian hieroglyph format controls
        | '\u{1bca0}'..='\u{1bca3}'     // shorthand format controls
        | '\u{1d173}'..='\u{1d17a}'     // musical format controls
        | '\u{e0000}'..='\u{e007f}'     // tag characters
    )
}

/// Good enough to tell an emoji ZWJ sequence from a joiner hidden in words: the pictographic
/// blocks, skin-tone modifiers and the emoji presentation selector.
fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{2600}'..='\u{27bf}'
        | '\u{2b00}'..='\u{2bff}'
        | '\u{fe0f}'
        | '\u{1f000}'..='\u{1faff}'
    )
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | '_' | '^') => {
            chars.next();
            skip_string(chars);
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// CSI: parameters and intermediates up to a final byte in @..~
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/APC/PM: up to BEL or ST (ESC \ or U+009C).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        if c == '\x07' || c == '\u{9c}' {
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
        assert_eq!(sanitize("bell\x07\r\nline\u{9b}2J"), "bellline");
        assert_eq!(sanitize("a\u{9d}0;title\u{9c}b\u{9b}31mc"), "abc");
        assert_eq!(sanitize("tab\there"), "tab here");
        assert_eq!(sanitize("abc\u{202e}def"), "abcdef");
    }

    #[test]
    fn strips_invisible_and_direction_characters() {
        // Zero-width characters hidden in a name.
        assert_eq!(sanitize("pay\u{200b}pal\u{200c}\u{2060}\u{feff}"), "paypal");
        // Direction marks, overrides and isolates: logical order is what shows.
        assert_eq!(
            sanitize("\u{200e}invoice\u{202e}fdp.exe\u{202c}\u{2067}x\u{2069}\u{200f}\u{61c}"),
            "invoicefdp.exex"
        );
        // Tag characters can spell hidden text.
        assert_eq!(sanitize("hi\u{e0001}\u{e0069}\u{e0067}\u{e007f}"), "hi");
        // Soft hyphen, fillers, interlinear annotation.
        assert_eq!(sanitize("a\u{ad}b\u{3164}c\u{fff9}d\u{180e}"), "abcd");
        // Line separators become spaces rather than breaking a row.
        assert_eq!(sanitize("a\u{2028}b"), "a b");
    }

    #[test]
    fn keeps_zero_width_joiner_only_inside_emoji_sequences() {
        let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
        assert_eq!(sanitize(family), family);
        let technologist = "\u{1f469}\u{1f3fd}\u{200d}\u{1f4bb}";
        assert_eq!(sanitize(technologist), technologist);
        assert_eq!(
            sanitize("rainbow \u{1f3f3}\u{fe0f}\u{200d}\u{1f308}"),
            "rainbow \u{1f3f3}\u{fe0f}\u{200d}\u{1f308}"
        );
        assert_eq!(sanitize("ad\u{200d}min"), "admin");
        assert_eq!(sanitize("\u{200d}\u{1f600}"), "\u{1f600}");
        assert_eq!(sanitize("\u{1f600}\u{200d}x"), "\u{1f600}x");
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(
            sanitize_lines("a\x1b]52;c;aGk=\x07b\r\nc\u{9b}31m\n"),
            "ab\nc\n"
        );
    }

    #[test]
    fn json_keeps_the_value_but_escapes_what_would_be_dropped() {
        let json = serde_json::to_string("x\u{9b}2J\u{202e}\u{e0041}\x1b").unwrap();
        let safe = json_safe(&json);
        assert_eq!(safe, r#""x\u009b2J\u202e\udb40\udc41\u001b""#);
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "x\u{9b}2J\u{202e}\u{e0041}\x1b");
    }

    #[test]
    fn measures_wide_and_combining() {
        assert_eq!(display_width("日本語"), 6);
        assert_eq!(display_width("e\u{301}"), 1);
    }
}
