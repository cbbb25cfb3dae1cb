//! Find in the open message (`/` in the reader): every match of the query in the shown
//! lines, and which one is current. Smart case, as in vim: a query with a capital letter
//! matches case; otherwise case is ignored.

/// One match: byte range `start..end` of content line `line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Find {
    pub query: String,
    /// In reading order.
    pub matches: Vec<Match>,
    /// Index into `matches`.
    pub current: usize,
}

/// Matches kept at most: a one-letter query in a huge message must stay cheap.
const MAX_MATCHES: usize = 10_000;

impl Find {
    pub fn new(query: &str, lines: &[&str]) -> Find {
        let mut matches = Vec::new();
        if !query.is_empty() {
            let fold = !query.chars().any(char::is_uppercase);
            let needle: Vec<char> = query.chars().map(|c| fold_char(c, fold)).collect();
            for (line, text) in lines.iter().enumerate() {
                for (start, end) in find_in(text, &needle, fold) {
                    matches.push(Match { line, start, end });
                }
                if matches.len() >= MAX_MATCHES {
                    matches.truncate(MAX_MATCHES);
                    break;
                }
            }
        }
        Find {
            query: query.to_string(),
            matches,
            current: 0,
        }
    }

    pub fn current(&self) -> Option<Match> {
        self.matches.get(self.current).copied()
    }

    /// Makes the first match on or after `line` current (wrapping to the first).
    pub fn start_at(&mut self, line: usize) {
        self.current = self
            .matches
            .iter()
            .position(|m| m.line >= line)
            .unwrap_or(0);
    }

    /// Next (or previous) match, wrapping around; true when it wrapped.
    pub fn step(&mut self, forward: bool) -> bool {
        let n = self.matches.len();
        if n == 0 {
            return false;
        }
        if forward {
            self.current = (self.current + 1) % n;
            self.current == 0
        } else {
            let wrapped = self.current == 0;
            self.current = (self.current + n - 1) % n;
            wrapped
        }
    }

    /// Matches on `line`, with whether each is the current one.
    pub fn in_line(&self, line: usize) -> impl Iterator<Item = (Match, bool)> + '_ {
        let first = self.matches.partition_point(|m| m.line < line);
        self.matches[first..]
            .iter()
            .take_while(move |m| m.line == line)
            .enumerate()
            .map(move |(i, m)| (*m, first + i == self.current))
    }
}

fn fold_char(c: char, fold: bool) -> char {
    if fold {
        c.to_lowercase().next().unwrap_or(c)
    } else {
        c
    }
}

/// Byte ranges of the non-overlapping matches of `needle` in `text`.
fn find_in(text: &str, needle: &[char], fold: bool) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text
        .char_indices()
        .map(|(i, c)| (i, fold_char(c, fold)))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        if chars[i..i + needle.len()]
            .iter()
            .zip(needle)
            .all(|((_, c), n)| c == n)
        {
            let start = chars[i].0;
            let end = chars.get(i + needle.len()).map_or(text.len(), |(b, _)| *b);
            out.push((start, end));
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_case_matches_and_steps_around() {
        let lines = ["Engine notes", "the engine, the ENGINE", "nothing"];
        let mut f = Find::new("engine", &lines);
        assert_eq!(f.matches.len(), 3);
        assert_eq!(
            f.current(),
            Some(Match {
                line: 0,
                start: 0,
                end: 6
            })
        );
        assert!(!f.step(true));
        assert_eq!(f.current().map(|m| (m.line, m.start)), Some((1, 4)));
        f.step(true);
        assert!(f.step(true), "wraps to the first");
        assert!(f.step(false), "wraps back to the last");
        assert_eq!(f.current().map(|m| (m.line, m.start)), Some((1, 16)));
        assert_eq!(Find::new("ENGINE", &lines).matches.len(), 1);
        let on_line: Vec<bool> = f.in_line(1).map(|(_, current)| current).collect();
        assert_eq!(on_line, [false, true]);
        assert!(Find::new("", &lines).matches.is_empty());
    }

    #[test]
    fn byte_ranges_follow_multibyte_text() {
        let f = Find::new("été", &["Un ÉTÉ chaud"]);
        assert_eq!(f.current().map(|m| (m.start, m.end)), Some((3, 8)));
        let mut f = Find::new("b", &["a", "b", "ab"]);
        f.start_at(2);
        assert_eq!(f.current().map(|m| m.line), Some(2));
    }
}
