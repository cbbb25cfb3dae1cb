//! Links in the text the reader shows (http, https, mailto), numbered in order of first
//! appearance. Found in the rendered, sanitized lines, never in raw mail: what is opened
//! or hyperlinked is exactly what the user can read. A URL the reader hard-wrapped over
//! several lines is joined back (see `continues`).

use std::collections::HashMap;

use crate::domain::width::display_width;

/// Longer "URLs" are not links anyone reads; they are dropped.
pub const MAX_URL_LEN: usize = 4096;
/// Links listed per message at most.
pub const MAX_LINKS: usize = 1000;
/// Terminals cap OSC 8 targets (VTE at 2083 bytes): longer ones are not hyperlinked.
pub const MAX_OSC8_LEN: usize = 2048;

const SCHEMES: &[&str] = &["https://", "http://", "mailto:"];

/// Where a link shows: bytes `start..end` of line `line`, part of link `link` (an index
/// of `Links::urls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSpan {
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub link: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// Each URL once, in order of first appearance: `[1]` is `urls[0]`.
    pub urls: Vec<String>,
    pub spans: Vec<LinkSpan>,
}

/// The links of `lines`, which were wrapped to `width` columns.
pub fn extract(lines: &[&str], width: usize) -> Links {
    let mut links = Links::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    // Where scanning goes on: a line, and a byte in it.
    let (mut line, mut from) = (0, 0);
    while line < lines.len() {
        let text = lines[line];
        let Some((start, end)) = find_url(text, from) else {
            (line, from) = (line + 1, 0);
            continue;
        };
        let mut url = text[start..end].to_string();
        let mut spans = vec![LinkSpan {
            line,
            start,
            end,
            link: 0,
        }];
        // A URL running to the end of a full line may go on below; the word it is part
        // of begins after the last space before it.
        let (mut at, mut at_end) = (line, end);
        let mut word_from = text[..start].rfind(' ').map_or(0, |i| i + 1);
        while at_end == lines[at].len()
            && url.len() <= MAX_URL_LEN
            && let Some((cont_start, cont_end)) = continues(lines, at, width, word_from)
        {
            at += 1;
            (at_end, word_from) = (cont_end, cont_start);
            url.push_str(&lines[at][cont_start..cont_end]);
            spans.push(LinkSpan {
                line: at,
                start: cont_start,
                end: cont_end,
                link: 0,
            });
        }
        (line, from) = (at, at_end);
        let kept = trim_trailing(cut_at_stray_bracket(&url)).len();
        cut_spans(&mut spans, url.len() - kept);
        url.truncate(kept);
        if url.len() > MAX_URL_LEN || !plausible(&url) {
            continue;
        }
        let link = match index.get(&url) {
            Some(&i) => i,
            None if links.urls.len() < MAX_LINKS => {
                index.insert(url.clone(), links.urls.len());
                links.urls.push(url);
                links.urls.len() - 1
            }
            None => continue,
        };
        links
            .spans
            .extend(spans.into_iter().map(|s| LinkSpan { link, ..s }));
    }
    links
}

/// The next scheme at or after byte `from` and the run of URL characters it starts.
fn find_url(text: &str, from: usize) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut at = from;
    while at < text.len() {
        let hit = SCHEMES
            .iter()
            .filter_map(|s| lower.get(at..)?.find(s).map(|i| (at + i, s.len())))
            .min_by_key(|&(i, _)| i)?;
        let (start, scheme_len) = hit;
        let after = start + scheme_len;
        // "xhttp://" is not a link start; "(http://" and "<http://" are.
        let bounded = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let end = after + url_run(&text[after..]);
        if bounded && end > after {
            return Some((start, end));
        }
        at = after;
    }
    None
}

/// Bytes of URL characters at the start of `text`.
fn url_run(text: &str) -> usize {
    text.char_indices()
        .find(|&(_, c)| !is_url_char(c))
        .map_or(text.len(), |(i, _)| i)
}

/// Printable ASCII but the characters that end a URL in prose; letters and digits of any
/// script (IRIs). Never a control character, ESC or BEL.
fn is_url_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '`' | '\\' | '^' | '{' | '}' | '|')
    } else {
        c.is_alphanumeric()
    }
}

/// A `]` with no `[` before it ends the URL: html2text writes a link as `[URL][1]`, and
/// Markdown-style text does the same; `?a[]=1` keeps its brackets.
fn cut_at_stray_bracket(url: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in url.char_indices() {
        match c {
            '[' => depth += 1,
            ']' if depth == 0 => return &url[..i],
            ']' => depth -= 1,
            _ => {}
        }
    }
    url
}

/// Punctuation that ends a sentence rather than the URL; a closing bracket only when it
/// has no opening partner inside the URL ("(see https://x.example/a_(b))").
fn trim_trailing(url: &str) -> &str {
    let mut url = url;
    loop {
        let Some(last) = url.chars().next_back() else {
            return url;
        };
        let unbalanced = |open: char, close: char| {
            url.chars().filter(|&c| c == close).count() > url.chars().filter(|&c| c == open).count()
        };
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' => true,
            ')' => unbalanced('(', ')'),
            ']' => unbalanced('[', ']'),
            _ => false,
        };
        if !drop {
            return url;
        }
        url = &url[..url.len() - last.len_utf8()];
    }
}

/// Something after the scheme that can be a host (or an address, for mailto).
fn plausible(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let Some(scheme) = SCHEMES.iter().find(|s| lower.starts_with(*s)) else {
        return false;
    };
    let rest = &url[scheme.len()..];
    if *scheme == "mailto:" {
        return rest.contains('@') && !rest.starts_with('@');
    }
    rest.chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '[')
}

/// Removes `cut` bytes from the end of the pieces (trimmed punctuation), dropping emptied
/// pieces.
fn cut_spans(spans: &mut Vec<LinkSpan>, mut cut: usize) {
    while cut > 0 {
        let Some(last) = spans.last_mut() else { return };
        let len = last.end - last.start;
        if len > cut {
            last.end -= cut;
            return;
        }
        cut -= len;
        spans.pop();
    }
}

/// Where line `at + 1` carries on a URL that ran to the end of line `at`, whose word
/// starts at byte `word_from` of that line: only when `at` is full and the word could not
/// have fitted on a line of its own, i.e. the reader hard-broke it. Quote markers of
/// continuation lines are skipped. A URL exactly as wide as a line and followed by a word
/// is indistinguishable from a broken one; it is joined.
fn continues(lines: &[&str], at: usize, width: usize, word_from: usize) -> Option<(usize, usize)> {
    let this = lines[at];
    let next = lines.get(at + 1)?;
    if display_width(this) + 1 < width {
        return None;
    }
    let prefix = quote_prefix(this);
    let start = if prefix.is_empty() {
        0
    } else {
        next.strip_prefix(prefix.as_str()).map(|_| prefix.len())?
    };
    let run = url_run(&next[start..]);
    if run == 0 {
        return None;
    }
    let here = display_width(this.get(word_from..).unwrap_or(""));
    let below = display_width(&next[start..start + run]);
    let room = width.saturating_sub(display_width(&prefix));
    (here + below > room).then_some((start, start + run))
}

/// The `>` markers the reader puts before continuation lines of quoted text ("> ", ">> ").
fn quote_prefix(line: &str) -> String {
    let lead: String = line.chars().take_while(|&c| c == '>' || c == ' ').collect();
    let depth = lead.chars().filter(|&c| c == '>').count();
    if depth == 0 {
        String::new()
    } else {
        format!("{} ", ">".repeat(depth.min(32)))
    }
}

/// The URL as an OSC 8 target: bytes outside printable ASCII percent-encoded (so no ESC,
/// BEL or other control can end the sequence early); None for another scheme or when too
/// long for terminals.
pub fn osc8_target(url: &str) -> Option<String> {
    if !plausible(url) {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        if (0x21..=0x7e).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    (out.len() <= MAX_OSC8_LEN).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(lines: &[&str], width: usize) -> Vec<String> {
        extract(lines, width).urls
    }

    #[test]
    fn finds_http_https_and_mailto_in_order_once_each() {
        let lines = [
            "See https://example.com/a and http://b.example/x?y=1&z=2.",
            "Write to mailto:ada@example.com, or HTTPS://EXAMPLE.COM/C",
            "again https://example.com/a",
        ];
        let links = extract(&lines, 80);
        assert_eq!(
            links.urls,
            [
                "https://example.com/a",
                "http://b.example/x?y=1&z=2",
                "mailto:ada@example.com",
                "HTTPS://EXAMPLE.COM/C"
            ]
        );
        // The repeated URL is the same link, shown twice.
        let first: Vec<_> = links.spans.iter().filter(|s| s.link == 0).collect();
        assert_eq!(first.len(), 2);
        assert_eq!(
            &lines[2][first[1].start..first[1].end],
            "https://example.com/a"
        );
    }

    #[test]
    fn trailing_punctuation_and_brackets_are_not_part_of_the_url() {
        assert_eq!(
            urls(&["(see https://en.example.org/wiki/A_(b)), then"], 80),
            ["https://en.example.org/wiki/A_(b)"]
        );
        assert_eq!(
            urls(&["<https://x.example/p>."], 80),
            ["https://x.example/p"]
        );
        assert_eq!(
            urls(&["\"https://x.example/q\"!?"], 80),
            ["https://x.example/q"]
        );
        assert_eq!(
            urls(&["[1]: https://x.example/r]"], 80),
            ["https://x.example/r"]
        );
        assert_eq!(
            urls(
                &["[https://x.example/t][1] and https://x.example/u?a[]=1&b[c]=2"],
                80
            ),
            ["https://x.example/t", "https://x.example/u?a[]=1&b[c]=2"]
        );
        assert_eq!(
            urls(&["https://x.example/s...'"], 80),
            ["https://x.example/s"]
        );
    }

    #[test]
    fn not_links() {
        assert!(
            urls(
                &["xhttp://a.example", "http://", "https://.", "mailto:nobody"],
                80
            )
            .is_empty()
        );
        assert!(
            urls(
                &["ftp://a.example javascript:alert(1) file:///etc/passwd"],
                80
            )
            .is_empty()
        );
    }

    #[test]
    fn hostile_urls_stop_at_controls_and_never_carry_them() {
        let lines = [
            "https://evil.example/\x1b]8;;https://other.example\x07click",
            "https://a.example/\x07b https://c.example/\u{9b}31m",
            "https://d.example/x\u{202e}gpj.exe",
        ];
        let links = extract(&lines, 200);
        assert_eq!(
            links.urls,
            [
                "https://evil.example/",
                "https://other.example",
                "https://a.example/",
                "https://c.example/",
                "https://d.example/x"
            ]
        );
        for url in &links.urls {
            assert!(!url.chars().any(char::is_control), "{url:?}");
            let target = osc8_target(url).unwrap();
            assert!(
                target.bytes().all(|b| (0x21..=0x7e).contains(&b)),
                "{target}"
            );
        }
    }

    #[test]
    fn osc8_targets_are_printable_ascii_and_bounded() {
        assert_eq!(
            osc8_target("https://例え.jp/パス").unwrap(),
            "https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9"
        );
        assert_eq!(
            osc8_target("https://a.example/\x1b\\"),
            Some("https://a.example/%1B\\".into())
        );
        assert_eq!(osc8_target("javascript:alert(1)"), None);
        let long = format!("https://a.example/{}", "x".repeat(MAX_OSC8_LEN));
        assert_eq!(osc8_target(&long), None);
    }

    #[test]
    fn very_long_urls_are_bounded() {
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_LEN + 10));
        assert!(urls(&[long.as_str()], 100_000).is_empty());
        let ok = format!("https://a.example/{}", "y".repeat(1000));
        assert_eq!(urls(&[ok.as_str()], 100_000), [ok]);
        // Many links: at most MAX_LINKS, and no panic.
        let many: Vec<String> = (0..MAX_LINKS + 5)
            .map(|i| format!("https://a.example/{i}"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(urls(&refs, 80).len(), MAX_LINKS);
    }

    #[test]
    fn a_url_hard_wrapped_over_lines_is_joined_and_each_piece_marked() {
        // Wrapped at 20 columns by the reader, as mime::render does.
        let lines = [
            "go https://a.example",
            "/very/long/path/to/x",
            "yz. next",
            "> quoted https://b.e",
            "> xample/quoted/path",
            "> /end done",
        ];
        let links = extract(&lines, 20);
        assert_eq!(
            links.urls,
            [
                "https://a.example/very/long/path/to/xyz",
                "https://b.example/quoted/path/end"
            ]
        );
        let pieces: Vec<(usize, &str)> = links
            .spans
            .iter()
            .map(|s| (s.line, &lines[s.line][s.start..s.end]))
            .collect();
        assert_eq!(
            pieces,
            [
                (0, "https://a.example"),
                (1, "/very/long/path/to/x"),
                (2, "yz"),
                (3, "https://b.e"),
                (4, "xample/quoted/path"),
                (5, "/end"),
            ]
        );
    }

    #[test]
    fn a_url_that_just_fits_a_line_is_not_joined_with_the_next_word() {
        // "https://ab.ex/ok then" would have put "then" on a line of its own too.
        let lines = ["see https://ab.ex/ok", "then more"];
        assert_eq!(urls(&lines, 20), ["https://ab.ex/ok"]);
        // A short line never continues.
        assert_eq!(urls(&["see https://a.ex", "ample"], 40), ["https://a.ex"]);
    }
}
