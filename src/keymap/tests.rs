use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};

use super::*;

fn builtin(name: &str) -> Keymap {
    let mut problems = Vec::new();
    let keymap = Keymap::builtin_with_problems(name, &mut problems);
    assert!(problems.is_empty(), "{name}: {problems:#?}");
    keymap.unwrap_or_else(|| unreachable!("builtin {name}"))
}

fn load_text(base: &str, user: &str) -> (Keymap, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keymap.toml");
    std::fs::write(&path, user).unwrap();
    let (keymap, problems) = Keymap::load(&BuiltinOrFile::Builtin(base.into()), Some(&path));
    let label = path.display().to_string();
    let problems = problems
        .into_iter()
        .map(|p| p.replace(&label, "USER"))
        .collect();
    (keymap, problems)
}

/// Feeds a key string like "g g" or "Ctrl-r" and returns what each key produced.
fn press(keymap: &Keymap, context: Context, keys: &str) -> Vec<KeyOutcome> {
    let mut sequence = KeySequence::default();
    parse_key(keys)
        .unwrap()
        .into_iter()
        .map(|chord| sequence.feed_chord(keymap, context, chord))
        .collect()
}

fn action(keymap: &Keymap, context: Context, keys: &str) -> Option<Action> {
    match press(keymap, context, keys).last() {
        Some(KeyOutcome::Action(action)) => Some(*action),
        _ => None,
    }
}

#[test]
fn every_action_has_a_default_key() {
    let keymap = builtin("default");
    let bound: Vec<Action> = Context::ALL
        .iter()
        .flat_map(|c| keymap.bindings(*c))
        .map(|(_, a)| a)
        .collect();
    let missing: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| !bound.contains(a))
        .map(|a| a.name())
        .collect();
    assert!(missing.is_empty(), "no key in default.toml for {missing:?}");
}

#[test]
fn shipped_keymaps_load_without_problems() {
    for name in crate::config::BUILTIN_KEYMAPS {
        builtin(name);
        let (_, problems) = Keymap::load(&BuiltinOrFile::Builtin(name.to_string()), None);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
    assert!(Keymap::builtin("emacs").is_none());
}

#[test]
fn ux_default_keys() {
    let k = builtin("default");
    let cases = [
        (Context::List, "j", Action::Next),
        (Context::List, "Down", Action::Next),
        (Context::List, "k", Action::Prev),
        (Context::List, "J", Action::NextUnread),
        (Context::List, "K", Action::PrevUnread),
        (Context::List, "PageDown", Action::PageDown),
        (Context::List, "Space", Action::PageDown),
        (Context::Reader, "Space", Action::PageDown),
        (Context::List, "g", Action::First),
        (Context::List, "G", Action::Last),
        (Context::List, "Enter", Action::Open),
        (Context::Folders, "Enter", Action::Open),
        (Context::List, "q", Action::Close),
        (Context::Reader, "Esc", Action::Back),
        (Context::Folders, "Q", Action::Quit),
        (Context::List, "Tab", Action::FocusNext),
        (Context::List, "/", Action::Filter),
        (Context::Reader, ":", Action::CommandLine),
        (Context::List, "?", Action::Help),
        (Context::List, "Ctrl-r", Action::SyncNow),
        (Context::Reader, "H", Action::ToggleHeaders),
        (Context::Reader, "v", Action::Attachments),
        (Context::List, "Z", Action::ToggleThreads),
        (Context::Reader, "j", Action::ScrollDown),
        (Context::Reader, "k", Action::ScrollUp),
        // Triage (UX.md): the same keys in the list and the reader.
        (Context::List, "n", Action::ToggleRead),
        (Context::List, "s", Action::ToggleFlagged),
        (Context::List, "d", Action::Delete),
        (Context::List, "a", Action::Archive),
        (Context::List, "m", Action::MoveTo),
        (Context::Reader, "m", Action::MoveTo),
        (Context::List, "c", Action::CopyTo),
        (Context::Reader, "c", Action::CopyTo),
        (Context::List, "u", Action::Undo),
        (Context::Reader, "u", Action::Undo),
        (Context::List, "t", Action::Tag),
        (Context::List, "T", Action::TagThread),
        (Context::List, ";", Action::ApplyToTagged),
    ];
    for (context, keys, expected) in cases {
        assert_eq!(
            action(&k, context, keys),
            Some(expected),
            "[{}] {keys}",
            context.name()
        );
    }
    // Reading (UX.md): top / end of the message, find, headers, parts, pipe, folds.
    let reading = [
        (Context::Reader, "g", Action::First),
        (Context::Reader, "Home", Action::First),
        (Context::Reader, "G", Action::Last),
        (Context::Reader, "End", Action::Last),
        (Context::Reader, "/", Action::Find),
        (Context::Reader, "n", Action::FindNext),
        (Context::Reader, "N", Action::FindPrev),
        (Context::Reader, "H", Action::ToggleHeaders),
        (Context::Reader, "p", Action::ToggleHtml),
        (Context::Reader, "|", Action::Pipe),
        (Context::List, "z", Action::FoldThread),
        (Context::List, "Alt-z", Action::FoldAll),
        (Context::List, "/", Action::Filter),
    ];
    for (context, keys, expected) in reading {
        assert_eq!(
            action(&k, context, keys),
            Some(expected),
            "[{}] {keys}",
            context.name()
        );
    }
}

#[test]
fn vim_sequences() {
    let k = builtin("vim");
    assert_eq!(
        press(&k, Context::List, "g g"),
        vec![KeyOutcome::Pending, KeyOutcome::Action(Action::First)]
    );
    assert_eq!(action(&k, Context::List, "z z"), Some(Action::CenterCursor));
    assert_eq!(action(&k, Context::List, "G"), Some(Action::Last));
    assert_eq!(
        action(&k, Context::List, "Ctrl-d"),
        Some(Action::HalfPageDown)
    );
    assert_eq!(
        action(&k, Context::Reader, "Ctrl-e"),
        Some(Action::ScrollDown)
    );
    // Defaults it does not touch still work.
    assert_eq!(action(&k, Context::List, "j"), Some(Action::Next));
    assert_eq!(action(&k, Context::List, "?"), Some(Action::Help));
}

#[test]
fn pending_shows_and_breaking_key_counts_alone() {
    let k = builtin("vim");
    let mut seq = KeySequence::default();
    let g = parse_key("g").unwrap()[0];
    let j = parse_key("j").unwrap()[0];
    let esc = parse_key("Esc").unwrap()[0];
    assert_eq!(seq.feed_chord(&k, Context::List, g), KeyOutcome::Pending);
    assert_eq!(seq.pending(), "g");
    assert_eq!(
        seq.feed_chord(&k, Context::List, j),
        KeyOutcome::Action(Action::Next)
    );
    assert_eq!(seq.pending(), "");
    // Esc cancels a pending sequence instead of going back.
    assert_eq!(seq.feed_chord(&k, Context::List, g), KeyOutcome::Pending);
    assert_eq!(seq.feed_chord(&k, Context::List, esc), KeyOutcome::Unbound);
    assert_eq!(seq.pending(), "");
    assert_eq!(
        seq.feed_chord(&k, Context::List, esc),
        KeyOutcome::Action(Action::Back)
    );
    seq.feed_chord(&k, Context::List, g);
    seq.reset();
    assert_eq!(seq.pending(), "");
}

#[test]
fn crossterm_events() {
    let k = builtin("default");
    let mut seq = KeySequence::default();
    let ev = |code, modifiers, kind| KeyEvent {
        code,
        modifiers,
        kind,
        state: KeyEventState::NONE,
    };
    let shift_j = ev(KeyCode::Char('J'), KeyModifiers::SHIFT, KeyEventKind::Press);
    assert_eq!(
        seq.feed(&k, Context::List, shift_j),
        KeyOutcome::Action(Action::NextUnread)
    );
    let ctrl_r = ev(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
        KeyEventKind::Press,
    );
    assert_eq!(
        seq.feed(&k, Context::Reader, ctrl_r),
        KeyOutcome::Action(Action::SyncNow)
    );
    let release = ev(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
    );
    assert_eq!(seq.feed(&k, Context::List, release), KeyOutcome::Unbound);
    let repeat = ev(KeyCode::Char('j'), KeyModifiers::NONE, KeyEventKind::Repeat);
    assert_eq!(
        seq.feed(&k, Context::List, repeat),
        KeyOutcome::Action(Action::Next)
    );
}

#[test]
fn user_overlay_rebinds_and_unbinds() {
    let (k, problems) = load_text(
        "default",
        r#"
[global]
"q" = "quit"
"Ctrl-r" = false
[list]
"j" = "none"
"x" = "next"
"?" = "none"
"#,
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(action(&k, Context::List, "x"), Some(Action::Next));
    assert_eq!(action(&k, Context::List, "j"), None);
    assert_eq!(action(&k, Context::Folders, "j"), Some(Action::Next));
    assert_eq!(action(&k, Context::List, "q"), Some(Action::Quit));
    assert_eq!(action(&k, Context::List, "Ctrl-r"), None);
    // A context-level unbind hides the global binding there only.
    assert_eq!(action(&k, Context::List, "?"), None);
    assert_eq!(action(&k, Context::Reader, "?"), Some(Action::Help));
    assert!(
        !k.bindings(Context::List)
            .iter()
            .any(|(keys, _)| keys == "j")
    );
}

#[test]
fn problems_name_file_and_line_and_defaults_stay() {
    let (k, problems) = load_text(
        "default",
        r#"[list]
"j" = "nxt"
"Hyper-x" = "next"
"k" = 3
[lsit]
"x" = "next"
[reader]
"J" = "scroll_down"
"#,
    );
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(
        problems[0].starts_with("USER:2: list.j: unknown action \"nxt\""),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].starts_with("USER:3: list.Hyper-x: unknown key"),
        "{}",
        problems[1]
    );
    assert!(
        problems[2].starts_with("USER:4: list.k: expected an action name"),
        "{}",
        problems[2]
    );
    assert!(
        problems[3].starts_with("USER:5: lsit: unknown context"),
        "{}",
        problems[3]
    );
    // Broken entries leave the defaults; good ones still apply.
    assert_eq!(action(&k, Context::List, "j"), Some(Action::Next));
    assert_eq!(action(&k, Context::List, "k"), Some(Action::Prev));
    assert_eq!(action(&k, Context::Reader, "J"), Some(Action::ScrollDown));
}

#[test]
fn syntax_error_ignores_the_file() {
    let (k, problems) = load_text("default", "[list]\n\"j\" = \"prev\"\n\"k\" = \n");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("USER:3: invalid TOML"),
        "{}",
        problems[0]
    );
    assert_eq!(action(&k, Context::List, "j"), Some(Action::Next));
}

#[test]
fn shadowed_sequence_is_reported_and_single_key_kept() {
    let (k, problems) = load_text("default", "[list]\n\"g g\" = \"last\"\n");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("USER:2: list.\"g g\": never fires in [list]: \"g\" alone is bound to first (keymaps/default.toml:"),
        "{}",
        problems[0]
    );
    assert_eq!(
        press(&k, Context::List, "g"),
        vec![KeyOutcome::Action(Action::First)]
    );
    // A global sequence shadowed only in one context still works elsewhere.
    let (k, problems) = load_text("default", "[global]\n\"z x\" = \"help\"\n");
    assert_eq!(problems.len(), 2, "list and folders: {problems:#?}");
    assert_eq!(action(&k, Context::Reader, "z x"), Some(Action::Help));
    assert_eq!(action(&k, Context::List, "z"), Some(Action::FoldThread));
}

#[test]
fn configured_file_and_unknown_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "[list]\n\"w\" = \"next\"\n").unwrap();
    let (k, problems) = Keymap::load(&BuiltinOrFile::File(path.clone()), None);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(action(&k, Context::List, "w"), Some(Action::Next));
    assert_eq!(action(&k, Context::List, "k"), Some(Action::Prev));

    let (k, problems) = Keymap::load(&BuiltinOrFile::Builtin("emacs".into()), None);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("no built-in keymap \"emacs\""),
        "{}",
        problems[0]
    );
    assert_eq!(k, builtin("default"));

    let missing = dir.path().join("gone.toml");
    let (k, problems) = Keymap::load(
        &BuiltinOrFile::File(missing),
        Some(Path::new("/nonexistent/keymap.toml")),
    );
    assert_eq!(
        problems.len(),
        1,
        "a missing user overlay is fine, a missing ui.keymap file is not"
    );
    assert!(
        problems[0].contains("gone.toml: cannot read"),
        "{}",
        problems[0]
    );
    assert_eq!(k, builtin("default"));
}

#[test]
fn bindings_for_help_are_sorted_by_action() {
    let k = builtin("vim");
    let list = k.bindings(Context::List);
    assert!(list.windows(2).all(|w| w[0].1 <= w[1].1));
    assert!(list.contains(&("g g".to_string(), Action::First)));
    assert!(!list.iter().any(|(keys, _)| keys == "g"));
    assert!(
        !list.iter().any(|(_, a)| *a == Action::Help),
        "global's are separate"
    );
    let effective = k.effective_bindings(Context::List);
    assert!(effective.contains(&("?".to_string(), Action::Help)));
    assert_eq!(
        k.keys_for(Context::List, Action::Help),
        vec!["?".to_string()]
    );
    assert_eq!(
        Keymap::user_file(Path::new("/home/me/.config/tern/config.toml")),
        Path::new("/home/me/.config/tern/keymap.toml")
    );
}
