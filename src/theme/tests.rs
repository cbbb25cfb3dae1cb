use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

use super::*;

fn builtin(name: &str) -> Theme {
    let mut problems = Vec::new();
    let theme = Theme::builtin_with_problems(name, &mut problems);
    assert!(problems.is_empty(), "{name}: {problems:#?}");
    theme.unwrap_or_else(|| unreachable!("builtin {name}"))
}

fn with_user_file(choice: BuiltinOrFile, no_color: bool, user: &str) -> (Theme, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("theme.toml");
    std::fs::write(&path, user).unwrap();
    let (theme, problems) = Theme::load(&choice, no_color, Some(&path));
    let label = path.display().to_string();
    let problems = problems
        .into_iter()
        .map(|p| p.replace(&label, "USER"))
        .collect();
    (theme, problems)
}

fn default_choice() -> BuiltinOrFile {
    BuiltinOrFile::Builtin("default".into())
}

fn is_colour(colour: Option<Color>) -> bool {
    !matches!(colour, None | Some(Color::Reset))
}

#[test]
fn shipped_themes_parse_and_cover_every_scope() {
    for name in crate::config::BUILTIN_THEMES {
        let theme = builtin(name);
        assert!(
            theme.scopes.contains_key(scopes::DEFAULT),
            "{name}: no default"
        );
        let uncovered: Vec<&str> = scopes::ALL
            .iter()
            .copied()
            .filter(|s| *s != scopes::DEFAULT && !theme.covers(s))
            .collect();
        assert!(
            uncovered.is_empty(),
            "{name} leaves these to `default`: {uncovered:?}"
        );
        let (_, problems) = Theme::load(&BuiltinOrFile::Builtin(name.to_string()), false, None);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
    assert!(Theme::builtin("solarized").is_none());
}

#[test]
fn scope_constants_are_all_listed() {
    // scopes::ALL is what the tests check; a constant missing from it would escape them.
    let source = include_str!("scopes.rs");
    let declared = source.matches("pub const ").count() - 1; // minus ALL itself
    assert_eq!(declared, scopes::ALL.len());
}

#[test]
fn selected_rows_have_a_background_in_colour_themes() {
    let selected = [
        scopes::FOLDERS_ROW_SELECTED,
        scopes::LIST_ROW_SELECTED,
        scopes::LIST_ROW_UNREAD_SELECTED,
        scopes::OVERLAY_SELECTED,
    ];
    for name in ["default", "light"] {
        let theme = builtin(name);
        for scope in selected {
            let style = theme.style(scope);
            assert!(is_colour(style.bg), "{name}: {scope} has no background");
            assert!(
                !style.add_modifier.contains(Modifier::REVERSED),
                "{name}: {scope}"
            );
        }
        let row = theme.style(scopes::LIST_ROW).bg;
        assert_ne!(theme.style(scopes::LIST_ROW_SELECTED).bg, row, "{name}");
    }
    let mono = builtin("mono");
    for scope in selected {
        assert!(
            mono.style(scope).add_modifier.contains(Modifier::REVERSED),
            "mono: {scope}"
        );
    }
}

#[test]
fn mono_has_no_colours() {
    let theme = builtin("mono");
    for scope in scopes::ALL {
        let style = theme.style(scope);
        assert!(
            !is_colour(style.fg) && !is_colour(style.bg) && !is_colour(style.underline_color),
            "mono: {scope} = {style:?}"
        );
    }
}

#[test]
fn no_color_forces_mono_and_strips_user_colours() {
    let (theme, problems) = with_user_file(
        BuiltinOrFile::Builtin("light".into()),
        true,
        "[scopes]\n\"list.date\" = { fg = \"red\", bold = true }\n",
    );
    assert!(problems.is_empty(), "{problems:#?}");
    let date = theme.style(scopes::LIST_DATE);
    assert_eq!(date.fg, None);
    assert!(date.add_modifier.contains(Modifier::BOLD));
    assert_eq!(
        theme.style(scopes::LIST_ROW_SELECTED),
        builtin("mono").style(scopes::LIST_ROW_SELECTED)
    );
}

#[test]
fn fallback_patches_along_the_dots() {
    let (theme, problems) = with_user_file(
        default_choice(),
        false,
        r##"
[scopes]
"default" = { fg = "white" }
"list.row" = { bg = "#102030", italic = true }
"list.row.unread" = { fg = "yellow", bold = true }
"list.row.unread.selected" = { bold = false, bg = 17 }
"##,
    );
    assert!(problems.is_empty(), "{problems:#?}");
    let style = theme.style(scopes::LIST_ROW_UNREAD_SELECTED);
    assert_eq!(style.fg, Some(Color::Yellow));
    assert_eq!(style.bg, Some(Color::Indexed(17)));
    assert!(style.add_modifier.contains(Modifier::ITALIC));
    assert!(!style.add_modifier.contains(Modifier::BOLD));
    // An unknown deeper scope asked for at run time still falls back.
    assert_eq!(theme.style("list.row.unread.selected.extra"), style);
    assert_eq!(theme.style("nothing.here").fg, Some(Color::White));
}

#[test]
fn overlay_replaces_and_unsets_scopes() {
    let base = builtin("default");
    let (theme, problems) = with_user_file(
        default_choice(),
        false,
        r##"
[palette]
pink = "#ff00ff"
[scopes]
"list.date" = "pink"
"list.row.flagged" = false
"status.error" = { fg = "lightred" }
"##,
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        theme.style(scopes::LIST_DATE).fg,
        Some(Color::Rgb(255, 0, 255))
    );
    // Unset: falls back to list.row.
    assert_eq!(
        theme.style(scopes::LIST_ROW_FLAGGED),
        base.style(scopes::LIST_ROW)
    );
    // Replaced: the entry's own bold is gone, the parent's background stays.
    let error = theme.style(scopes::STATUS_ERROR);
    assert_eq!(error.fg, Some(Color::LightRed));
    assert!(!error.add_modifier.contains(Modifier::BOLD));
    assert_eq!(error.bg, base.style(scopes::STATUS_BAR).bg);
    // The base palette is usable from the overlay.
    let (theme, problems) = with_user_file(
        default_choice(),
        false,
        "[scopes]\n\"list.size\" = \"accent\"\n",
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(theme.style(scopes::LIST_SIZE).fg, Some(Color::Indexed(75)));
}

#[test]
fn problems_name_file_and_line_and_defaults_stay() {
    let base = builtin("default");
    let (theme, problems) = with_user_file(
        default_choice(),
        false,
        r#"[scopes]
"list.row.unred" = { bold = true }
"list.date" = { fg = "chartreuse-ish" }
"list.from" = { fg = "red", blink = true }
"list.size" = { bold = "yes" }
"list.subject" = 300
[colours]
"#,
    );
    let expected = [
        "USER:2: scopes.\"list.row.unred\": unknown scope; known: list.row,",
        "USER:3: scopes.\"list.date\".fg: unknown colour \"chartreuse-ish\"",
        "USER:4: scopes.\"list.from\".blink: unknown style key",
        "USER:5: scopes.\"list.size\".bold: expected true or false",
        "USER:6: scopes.\"list.subject\": colour index out of range",
        "USER:7: colours: unknown table",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    let mut sorted = problems.clone();
    sorted.sort_by_key(|p| p.split(':').nth(1).map(str::to_string));
    for (problem, start) in sorted.iter().zip(expected) {
        assert!(problem.starts_with(start), "{problem}\n  expected {start}");
    }
    for scope in [
        scopes::LIST_DATE,
        scopes::LIST_FROM,
        scopes::LIST_SIZE,
        scopes::LIST_SUBJECT,
    ] {
        assert_eq!(
            theme.style(scope),
            base.style(scope),
            "{scope} keeps the default"
        );
    }
}

#[test]
fn syntax_errors_and_missing_files() {
    let (theme, problems) =
        with_user_file(default_choice(), false, "[scopes]\n\"list.date\" = {\n");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("USER:2: invalid TOML"),
        "{}",
        problems[0]
    );
    assert_eq!(theme, builtin("default"));

    let (theme, problems) = Theme::load(
        &BuiltinOrFile::File("/nonexistent/mine.toml".into()),
        false,
        Some(Path::new("/nonexistent/theme.toml")),
    );
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("/nonexistent/mine.toml: cannot read"),
        "{}",
        problems[0]
    );
    assert_eq!(theme, builtin("default"));

    let (theme, problems) = Theme::load(&BuiltinOrFile::Builtin("solarized".into()), false, None);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("no built-in theme \"solarized\""),
        "{}",
        problems[0]
    );
    assert_eq!(theme, builtin("default"));
}

#[test]
fn configured_file_overlays_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "[scopes]\n\"title\" = { fg = \"green\" }\n").unwrap();
    let (theme, problems) = Theme::load(&BuiltinOrFile::File(path), false, None);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(theme.style(scopes::TITLE), Style::new().fg(Color::Green));
    assert_eq!(
        theme.style(scopes::LIST_DATE),
        builtin("default").style(scopes::LIST_DATE)
    );
    assert_eq!(
        Theme::user_file(Path::new("/c/tern/config.toml")),
        Path::new("/c/tern/theme.toml")
    );
}

#[test]
fn palette_names_cannot_shadow_colours() {
    let (theme, problems) = with_user_file(
        default_choice(),
        false,
        "[palette]\nred = 22\n[scopes]\n\"title\" = \"red\"\n",
    );
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("USER:2: palette.red: palette names must not"),
        "{}",
        problems[0]
    );
    assert_eq!(theme.style(scopes::TITLE).fg, Some(Color::Red));
}
