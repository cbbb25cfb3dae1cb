//! Overlays stacked over the panes: help, the `:` command line, the filter input, the
//! attachment picker with its path prompt, and the error log. The top one gets the keys.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::source::Filter;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help {
        scroll: u32,
    },
    Command(TextInput),
    /// The list filter being typed; `previous` comes back on Esc.
    Filter {
        input: TextInput,
        previous: Option<Filter>,
    },
    /// The open message's attachments; `prompt` asks where to save the selected one.
    Attachments {
        selected: usize,
        prompt: Option<TextInput>,
    },
    /// The links of the open message, numbered from 1 (`L`); `typed` is a number being
    /// typed.
    Links {
        urls: Vec<String>,
        selected: usize,
        typed: String,
    },
    /// Every error since start (`:messages`).
    Messages {
        scroll: u32,
    },
    /// Choosing the folder to move or copy to.
    Picker(super::picker::FolderPicker),
    /// Typing the keywords to add (or remove).
    Keyword {
        add: bool,
        input: TextInput,
    },
    /// A line typed on the status line for the reader: find text, or a pipe command.
    Prompt {
        kind: super::reader::PromptKind,
        input: TextInput,
    },
    /// What a piped command printed (sanitized, bounded).
    Output {
        title: String,
        lines: Vec<String>,
        scroll: u32,
    },
    /// A y/n question on the status line; `y` sends `act`, any other key drops it.
    Confirm {
        question: String,
        act: PendingAct,
        /// `act` took the tagged messages: a "no" tags them again.
        from_tags: bool,
    },
    /// A folder name typed on the status line (create or rename).
    FolderName(super::folder_edit::FolderPrompt),
    /// A folder delete asked on the status line.
    FolderConfirm(super::folder_edit::FolderQuestion),
}

/// An action held back until the user confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAct {
    pub account: usize,
    pub folder: String,
    pub uidvalidity: crate::domain::ids::UidValidity,
    pub uids: Vec<u32>,
    pub act: crate::bus::Act,
}

impl Overlay {
    /// Keys go to the text, not the keymap.
    pub fn takes_text(&self) -> bool {
        matches!(
            self,
            Overlay::Command(_)
                | Overlay::Filter { .. }
                | Overlay::Picker(_)
                | Overlay::Keyword { .. }
                | Overlay::Confirm { .. }
                | Overlay::Prompt { .. }
                | Overlay::FolderName(_)
                | Overlay::FolderConfirm(_)
                | Overlay::Attachments {
                    prompt: Some(_),
                    ..
                }
        )
    }
}

/// A one-line text field with a cursor (a char index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub text: String,
    pub cursor: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOutcome {
    Edited,
    /// Moved the cursor only.
    Moved,
    Submit,
    Cancel,
    Ignored,
}

impl TextInput {
    pub fn with_text(text: &str) -> Self {
        Self {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(b, _)| b)
    }

    pub fn handle(&mut self, key: KeyEvent) -> InputOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Esc => InputOutcome::Cancel,
            KeyCode::Char('c' | 'g') if ctrl => InputOutcome::Cancel,
            KeyCode::Enter => InputOutcome::Submit,
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                InputOutcome::Edited
            }
            KeyCode::Char('w') if ctrl => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
                }
                let (a, b) = (self.byte_at(start), self.byte_at(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor = start;
                InputOutcome::Edited
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                InputOutcome::Moved
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = len;
                InputOutcome::Moved
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                InputOutcome::Edited
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let (a, b) = (self.byte_at(self.cursor - 1), self.byte_at(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor -= 1;
                InputOutcome::Edited
            }
            KeyCode::Delete if self.cursor < len => {
                let (a, b) = (self.byte_at(self.cursor), self.byte_at(self.cursor + 1));
                self.text.replace_range(a..b, "");
                InputOutcome::Edited
            }
            KeyCode::Left if self.cursor > 0 => {
                self.cursor -= 1;
                InputOutcome::Moved
            }
            KeyCode::Right if self.cursor < len => {
                self.cursor += 1;
                InputOutcome::Moved
            }
            KeyCode::Home => {
                self.cursor = 0;
                InputOutcome::Moved
            }
            KeyCode::End => {
                self.cursor = len;
                InputOutcome::Moved
            }
            _ => InputOutcome::Ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_by_char_not_byte() {
        let mut t = TextInput::default();
        for c in "日本 x".chars() {
            t.handle(key(KeyCode::Char(c)));
        }
        t.handle(key(KeyCode::Left));
        t.handle(key(KeyCode::Left));
        assert_eq!(t.handle(key(KeyCode::Backspace)), InputOutcome::Edited);
        assert_eq!(t.text, "日 x");
        t.handle(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!((t.text.as_str(), t.cursor), (" x", 0));
        assert_eq!(t.handle(key(KeyCode::Esc)), InputOutcome::Cancel);
    }
}
