//! The folder picker of `m` (move) and `c` (copy): type a few letters, fuzzy matching
//! narrows the account's folders, Enter picks the highlighted one.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::folders::FoldersPane;
use super::overlay::{InputOutcome, TextInput};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPicker {
    /// Copy instead of move.
    pub copy: bool,
    pub account: usize,
    /// The folder the messages are in: not offered.
    pub from: String,
    pub input: TextInput,
    /// Index into `matches()`.
    pub selected: usize,
}

/// What a key did to the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerOutcome {
    Pending,
    Picked(String),
    Cancel,
}

impl FolderPicker {
    pub fn new(copy: bool, account: usize, from: &str) -> Self {
        Self {
            copy,
            account,
            from: from.to_string(),
            input: TextInput::default(),
            selected: 0,
        }
    }

    /// The account's folders that match what was typed, best first (sidebar order on ties).
    pub fn matches(&self, folders: &FoldersPane) -> Vec<String> {
        let mut scored: Vec<(i64, usize, &str)> = folders
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.account == self.account && r.selectable() && r.name != self.from)
            .filter_map(|(i, r)| fuzzy_score(&self.input.text, &r.name).map(|s| (s, i, &*r.name)))
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .into_iter()
            .map(|(_, _, name)| name.to_string())
            .collect()
    }

    pub fn handle(&mut self, key: KeyEvent, folders: &FoldersPane) -> PickerOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let count = self.matches(folders).len();
        match key.code {
            KeyCode::Down | KeyCode::Tab => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1))
            }
            KeyCode::Char('n') if ctrl => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1));
            }
            KeyCode::Up | KeyCode::BackTab => self.selected = self.selected.saturating_sub(1),
            KeyCode::Char('p') if ctrl => self.selected = self.selected.saturating_sub(1),
            _ => match self.input.handle(key) {
                InputOutcome::Submit => {
                    return match self.matches(folders).into_iter().nth(self.selected) {
                        Some(name) => PickerOutcome::Picked(name),
                        None => PickerOutcome::Pending,
                    };
                }
                InputOutcome::Cancel => return PickerOutcome::Cancel,
                InputOutcome::Edited => self.selected = 0,
                InputOutcome::Moved | InputOutcome::Ignored => {}
            },
        }
        PickerOutcome::Pending
    }
}

/// How well `query` matches `candidate` as a subsequence, ignoring case and spaces; None
/// when it does not. Letters in a row and letters starting a path segment or word count
/// more; shorter candidates win ties.
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<i64> {
    let chars: Vec<char> = candidate.chars().collect();
    let mut score: i64 = 0;
    let mut at = 0;
    let mut previous: Option<usize> = None;
    for q in query.chars().filter(|c| !c.is_whitespace()) {
        let found = (at..chars.len()).find(|&i| same_letter(chars[i], q))?;
        score += 1;
        if previous.is_some_and(|p| p + 1 == found) {
            score += 5;
        }
        if found == 0 || chars.get(found - 1).is_some_and(|c| "/.-_ ".contains(*c)) {
            score += 8;
        }
        previous = Some(found);
        at = found + 1;
    }
    Some(score * 1000 - chars.len() as i64)
}

fn same_letter(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequences_match_and_word_starts_rank_first() {
        assert!(fuzzy_score("arc", "Archive").is_some());
        assert!(fuzzy_score("xyz", "Archive").is_none());
        assert!(fuzzy_score("", "Archive").is_some());
        let names = ["Lists/rust-dev", "Drafts", "Lists/debian", "Trash"];
        let mut ranked: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| fuzzy_score("ld", n).is_some())
            .collect();
        ranked.sort_by_key(|n| std::cmp::Reverse(fuzzy_score("ld", n)));
        assert_eq!(ranked, ["Lists/debian", "Lists/rust-dev"]);
        // Case and spaces are ignored; consecutive letters beat scattered ones.
        assert!(fuzzy_score("TR", "Trash") > fuzzy_score("tr", "Lists/rust-dev"));
        assert!(fuzzy_score("d r", "Drafts").is_some());
    }
}
