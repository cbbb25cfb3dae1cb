//! Themes: a style per semantic scope (see scopes.rs), read from TOML. The defaults are data
//! (`themes/*.toml`, embedded); user files overlay them (docs/ARCHITECTURE.md rule 15). The file
//! format is documented at the top of `themes/default.toml`.
//!
//! Resolution: `style("list.row.unread.selected")` starts from `default` and patches in
//! `list`, `list.row`, `list.row.unread`, then the scope itself, whichever are defined. A scope
//! inherits whatever it does not set (as in helix); `bold = false` removes an inherited bold.

mod parse;
pub mod scopes;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Style};

use crate::config::BuiltinOrFile;
use crate::keymap::datafile;

const BUILTINS: &[(&str, &str, &str)] = &[
    (
        "default",
        "themes/default.toml",
        include_str!("../../themes/default.toml"),
    ),
    (
        "light",
        "themes/light.toml",
        include_str!("../../themes/light.toml"),
    ),
    (
        "mono",
        "themes/mono.toml",
        include_str!("../../themes/mono.toml"),
    ),
];

/// Name of the user's overlay file, next to the config file.
pub const USER_FILE: &str = "theme.toml";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Theme {
    /// Styles as written, after overlays; keys are known scopes or their dotted parents.
    scopes: HashMap<String, Style>,
    /// Named colours, usable in `fg`/`bg` of this file and files read after it.
    palette: HashMap<String, Color>,
    /// `scopes::ALL` resolved once, since the UI asks for them on every frame.
    resolved: HashMap<&'static str, Style>,
}

impl Theme {
    /// "default", "light" or "mono".
    pub fn builtin(name: &str) -> Option<Theme> {
        // Shipped files have no problems; the tests hold them to it.
        Theme::builtin_with_problems(name, &mut Vec::new())
    }

    fn builtin_with_problems(name: &str, problems: &mut Vec<String>) -> Option<Theme> {
        let (_, label, text) = BUILTINS.iter().find(|(n, _, _)| *n == name)?;
        let mut theme = Theme::default();
        theme.overlay_text(label, text, problems);
        theme.resolve();
        Some(theme)
    }

    /// The configured theme (builtin, or a file overlaying the default), then the user's
    /// overlay file if it exists. `no_color` (NO_COLOR) selects mono and strips every colour,
    /// the overlay's too. Never fails: problems come back as `file:line: message` and the
    /// defaults stay in force for anything broken.
    pub fn load(
        choice: &BuiltinOrFile,
        no_color: bool,
        user_overlay: Option<&Path>,
    ) -> (Theme, Vec<String>) {
        let mut problems = Vec::new();
        let mono = BuiltinOrFile::Builtin("mono".into());
        let choice = if no_color { &mono } else { choice };
        let mut theme = match choice {
            BuiltinOrFile::Builtin(name) => {
                match Theme::builtin_with_problems(name, &mut problems) {
                    Some(theme) => theme,
                    None => {
                        problems.push(datafile::file_problem(
                            "ui.theme",
                            format!(
                                "no built-in theme \"{}\" (known: {}); using default",
                                name.escape_debug(),
                                crate::config::BUILTIN_THEMES.join(", ")
                            ),
                        ));
                        Theme::builtin_with_problems("default", &mut problems).unwrap_or_default()
                    }
                }
            }
            BuiltinOrFile::File(path) => {
                let mut theme =
                    Theme::builtin_with_problems("default", &mut problems).unwrap_or_default();
                theme.overlay_file(path, &mut problems);
                theme
            }
        };
        if let Some(path) = user_overlay
            && path.exists()
        {
            theme.overlay_file(path, &mut problems);
        }
        if no_color {
            theme.strip_colours();
        }
        theme.resolve();
        (theme, problems)
    }

    /// `<dir of config file>/theme.toml`.
    pub fn user_file(config_file: &Path) -> PathBuf {
        config_file
            .parent()
            .unwrap_or(Path::new(""))
            .join(USER_FILE)
    }

    /// The style for a scope from `scopes`, patched down from `default` along the dots.
    pub fn style(&self, scope: &str) -> Style {
        match self.resolved.get(scope) {
            Some(style) => *style,
            None => self.compute(scope),
        }
    }

    /// Whether the theme itself (not the fallback) styles this scope or a dotted parent of it
    /// other than `default`.
    pub fn covers(&self, scope: &str) -> bool {
        ancestors(scope).any(|s| s != scopes::DEFAULT && self.scopes.contains_key(s))
    }

    fn compute(&self, scope: &str) -> Style {
        let base = self
            .scopes
            .get(scopes::DEFAULT)
            .copied()
            .unwrap_or_default();
        let mut chain: Vec<&str> = ancestors(scope).collect();
        chain.reverse();
        chain
            .into_iter()
            .filter(|s| *s != scopes::DEFAULT)
            .filter_map(|s| self.scopes.get(s))
            .fold(base, |style, own| style.patch(*own))
    }

    fn resolve(&mut self) {
        self.resolved = scopes::ALL.iter().map(|s| (*s, self.compute(s))).collect();
    }

    fn strip_colours(&mut self) {
        for style in self.scopes.values_mut() {
            style.fg = None;
            style.bg = None;
            style.underline_color = None;
        }
    }

    fn overlay_file(&mut self, path: &Path, problems: &mut Vec<String>) {
        match datafile::read(path) {
            Ok(text) => self.overlay_text(&path.display().to_string(), &text, problems),
            Err(problem) => problems.push(problem),
        }
    }
}

/// `a.b.c`, `a.b`, `a`: the scope and its dotted parents, longest first.
fn ancestors(scope: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(scope), |s| {
        s.rsplit_once('.').map(|(parent, _)| parent)
    })
}

/// Scopes a file may name: the UI's, and their parents (to style a whole family at once).
fn is_known_scope(name: &str) -> bool {
    scopes::ALL
        .iter()
        .any(|s| ancestors(s).any(|ancestor| ancestor == name))
}

#[cfg(test)]
mod tests;
