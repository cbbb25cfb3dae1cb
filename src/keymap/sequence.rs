//! Multi-key sequences ("g g"). The pending keys live here, in the app's state, not in the
//! keymap, so one keymap can be shared and the status line can show what is pending.

use crossterm::event::KeyEvent;

use super::key::{Key, KeyChord, format_key};
use super::{Context, Keymap, Lookup};
use crate::keymap::action::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    Action(Action),
    /// The keys so far start a longer binding; wait for the next one.
    Pending,
    /// Nothing bound (also for key releases, lone modifiers, and Esc cancelling a sequence).
    Unbound,
}

#[derive(Debug, Clone, Default)]
pub struct KeySequence {
    keys: Vec<KeyChord>,
    shown: String,
}

impl KeySequence {
    pub fn feed(&mut self, keymap: &Keymap, context: Context, event: KeyEvent) -> KeyOutcome {
        match KeyChord::from_event(&event) {
            Some(chord) => self.feed_chord(keymap, context, chord),
            None => KeyOutcome::Unbound,
        }
    }

    /// Like `feed`, for a chord already normalised (tests, scripted key strings).
    pub fn feed_chord(&mut self, keymap: &Keymap, context: Context, chord: KeyChord) -> KeyOutcome {
        let was_pending = !self.keys.is_empty();
        self.keys.push(chord);
        match self.step(keymap, context) {
            KeyOutcome::Unbound if was_pending => {
                self.reset();
                if chord.key() == Key::Esc {
                    return KeyOutcome::Unbound;
                }
                // The key that broke the sequence counts on its own, so "g j" still moves.
                self.keys.push(chord);
                let outcome = self.step(keymap, context);
                if outcome == KeyOutcome::Unbound {
                    self.reset();
                }
                outcome
            }
            KeyOutcome::Unbound => {
                self.reset();
                KeyOutcome::Unbound
            }
            outcome => outcome,
        }
    }

    fn step(&mut self, keymap: &Keymap, context: Context) -> KeyOutcome {
        match keymap.lookup(context, &self.keys) {
            Lookup::Action(action) => {
                self.reset();
                KeyOutcome::Action(action)
            }
            Lookup::Prefix => {
                self.shown = format_key(&self.keys);
                KeyOutcome::Pending
            }
            Lookup::Unbound => KeyOutcome::Unbound,
        }
    }

    /// The keys typed so far of an unfinished sequence, e.g. "g"; empty when none.
    pub fn pending(&self) -> &str {
        &self.shown
    }

    pub fn reset(&mut self) {
        self.keys.clear();
        self.shown.clear();
    }
}
