//! Keys as written in keymap files ("J", "Ctrl-r", "PageDown", "g g") and as crossterm reports
//! them, normalised so both compare equal.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// `' '` is written "Space".
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

/// One key press with its modifiers. Normalised on construction: Shift is folded into
/// characters ("J", never "Shift-j"), Ctrl-letters are lower case (terminals send the same
/// byte for Ctrl-r and Ctrl-R), and Shift-Tab is `BackTab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    key: Key,
    ctrl: bool,
    alt: bool,
    shift: bool,
}

/// Names accepted in files (case-insensitive); the first of each key is how it is shown.
const NAMES: &[(&str, Key)] = &[
    ("Enter", Key::Enter),
    ("Return", Key::Enter),
    ("Esc", Key::Esc),
    ("Escape", Key::Esc),
    ("Tab", Key::Tab),
    ("BackTab", Key::BackTab),
    ("Space", Key::Char(' ')),
    ("Backspace", Key::Backspace),
    ("Delete", Key::Delete),
    ("Del", Key::Delete),
    ("Insert", Key::Insert),
    ("Up", Key::Up),
    ("Down", Key::Down),
    ("Left", Key::Left),
    ("Right", Key::Right),
    ("PageUp", Key::PageUp),
    ("PgUp", Key::PageUp),
    ("PageDown", Key::PageDown),
    ("PgDn", Key::PageDown),
    ("Home", Key::Home),
    ("End", Key::End),
];

impl KeyChord {
    pub fn new(key: Key, ctrl: bool, alt: bool, shift: bool) -> Self {
        let (key, shift) = match key {
            Key::Char(c) if shift => (Key::Char(upper(c)), false),
            Key::Tab if shift => (Key::BackTab, false),
            Key::BackTab => (Key::BackTab, false),
            other => (other, shift),
        };
        let key = match key {
            Key::Char(c) if ctrl && c.is_ascii_alphabetic() => Key::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Self {
            key,
            ctrl,
            alt,
            shift,
        }
    }

    pub fn plain(key: Key) -> Self {
        Self::new(key, false, false, false)
    }

    pub fn key(&self) -> Key {
        self.key
    }

    /// `None` for releases and keys no keymap can name (lone modifiers, media keys).
    pub fn from_event(event: &KeyEvent) -> Option<Self> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let key = match event.code {
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Delete => Key::Delete,
            KeyCode::Insert => Key::Insert,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::F(n) => Key::F(n),
            _ => return None,
        };
        let m = event.modifiers;
        Some(Self::new(
            key,
            m.contains(KeyModifiers::CONTROL),
            m.contains(KeyModifiers::ALT),
            m.contains(KeyModifiers::SHIFT),
        ))
    }

    fn parse(text: &str) -> Result<Self, String> {
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = text;
        // A prefix before '-' is a modifier only if the part after it is non-empty, so "-" and
        // "Ctrl--" (Ctrl and minus) both work.
        while let Some((prefix, after)) = rest.split_once('-')
            && !prefix.is_empty()
            && !after.is_empty()
        {
            let flag = match prefix.to_ascii_lowercase().as_str() {
                "ctrl" | "control" | "c" => &mut ctrl,
                "alt" | "meta" | "a" | "m" => &mut alt,
                "shift" | "s" => &mut shift,
                _ => break,
            };
            if *flag {
                return Err(format!("modifier \"{prefix}\" given twice"));
            }
            *flag = true;
            rest = after;
        }
        let key = parse_key_name(rest)?;
        if shift
            && let Key::Char(c) = key
            && !c.is_alphabetic()
        {
            return Err(format!(
                "write the shifted character itself instead of \"Shift-{c}\""
            ));
        }
        Ok(Self::new(key, ctrl, alt, shift))
    }
}

fn upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn parse_key_name(text: &str) -> Result<Key, String> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (None, _) => return Err("missing key after the modifier".into()),
        (Some(c), None) => return Ok(Key::Char(c)),
        _ => {}
    }
    if let Some((_, key)) = NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Ok(*key);
    }
    if let Some(number) = text.strip_prefix(['F', 'f'])
        && let Ok(n) = number.parse::<u8>()
        && (1..=24).contains(&n)
    {
        return Ok(Key::F(n));
    }
    Err(format!(
        "unknown key \"{}\"; expected a single character, F1-F24 or one of {}",
        text.escape_debug(),
        canonical_names().join(", ")
    ))
}

fn canonical_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    let mut seen: Vec<Key> = Vec::new();
    for (name, key) in NAMES {
        if !seen.contains(key) {
            seen.push(*key);
            names.push(name);
        }
    }
    names
}

/// Parses a key sequence: chords separated by spaces, e.g. "g g" or "Ctrl-w Left".
pub fn parse_key(text: &str) -> Result<Vec<KeyChord>, String> {
    let chords = text
        .split_whitespace()
        .map(KeyChord::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if chords.is_empty() {
        return Err("empty key; write a literal space as \"Space\"".into());
    }
    Ok(chords)
}

/// The display form of a sequence, which `parse_key` reads back: "g g", "Ctrl-r", "Space".
pub fn format_key(chords: &[KeyChord]) -> String {
    let parts: Vec<String> = chords.iter().map(ToString::to_string).collect();
    parts.join(" ")
}

impl std::fmt::Display for KeyChord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        if self.shift {
            f.write_str("Shift-")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("Space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::F(n) => write!(f, "F{n}"),
            key => {
                let name = NAMES
                    .iter()
                    .find(|(_, k)| *k == key)
                    .map_or("?", |(name, _)| name);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn one(text: &str) -> KeyChord {
        match parse_key(text) {
            Ok(chords) if chords.len() == 1 => chords[0],
            other => unreachable!("{text}: {other:?}"),
        }
    }

    fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    #[test]
    fn names_modifiers_and_case() {
        assert_eq!(one("j").key(), Key::Char('j'));
        assert_ne!(one("J"), one("j"));
        assert_eq!(one("Shift-j"), one("J"));
        assert_eq!(one("ctrl-R"), one("Ctrl-r"));
        assert_eq!(one("C-r"), one("Ctrl-r"));
        assert_eq!(one("enter"), KeyChord::plain(Key::Enter));
        assert_eq!(one("PgDn"), KeyChord::plain(Key::PageDown));
        assert_eq!(one("Shift-Tab"), KeyChord::plain(Key::BackTab));
        assert_eq!(one("Space"), KeyChord::plain(Key::Char(' ')));
        assert_eq!(one("F12"), KeyChord::plain(Key::F(12)));
        assert_eq!(one("-"), KeyChord::plain(Key::Char('-')));
        assert_eq!(
            one("Ctrl--"),
            KeyChord::new(Key::Char('-'), true, false, false)
        );
        assert_eq!(parse_key("g g").map(|k| k.len()), Ok(2));
    }

    #[test]
    fn bad_keys_are_errors() {
        for bad in [
            "",
            "  ",
            "Ctrl-",
            "Foo",
            "Ctrl-Ctrl-x",
            "F0",
            "F99",
            "Shift-1",
            "Hyper-x",
        ] {
            assert!(parse_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn format_round_trips() {
        for text in [
            "g g",
            "Ctrl-r",
            "J",
            "Space",
            "Alt-Enter",
            "Shift-Up",
            "F5",
            "Ctrl--",
            "?",
        ] {
            let parsed = parse_key(text);
            assert_eq!(parsed.as_deref().map(format_key), Ok(text.to_string()));
        }
    }

    #[test]
    fn events_normalise_like_files() {
        let from = |code, m| KeyChord::from_event(&event(code, m));
        assert_eq!(
            from(KeyCode::Char('J'), KeyModifiers::SHIFT),
            Some(one("J"))
        );
        // Terminals with the kitty protocol report the unshifted letter.
        assert_eq!(
            from(KeyCode::Char('j'), KeyModifiers::SHIFT),
            Some(one("J"))
        );
        assert_eq!(
            from(KeyCode::Char('r'), KeyModifiers::CONTROL),
            Some(one("Ctrl-r"))
        );
        assert_eq!(
            from(KeyCode::BackTab, KeyModifiers::SHIFT),
            Some(one("BackTab"))
        );
        assert_eq!(
            from(KeyCode::Char(' '), KeyModifiers::NONE),
            Some(one("Space"))
        );
        assert_eq!(from(KeyCode::CapsLock, KeyModifiers::NONE), None);
        let mut release = event(KeyCode::Char('j'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(KeyChord::from_event(&release), None);
    }
}
