//! Theme files -> styles, with every problem reported at its line. A broken entry is skipped
//! whole, so what was there before (the default) stays in force.

use std::ops::Range;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use toml::de::{DeTable, DeValue};

use super::{Theme, is_known_scope, scopes};
use crate::keymap::datafile::{self, Report};

const ROOT_KEYS: &[&str] = &["palette", "scopes"];

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underline", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed_out", Modifier::CROSSED_OUT),
];

impl Theme {
    pub(super) fn overlay_text(&mut self, label: &str, text: &str, problems: &mut Vec<String>) {
        let mut report = Report::new(label, text, problems);
        let Some(root) = datafile::parse(text, &mut report) else {
            return;
        };
        let root = root.get_ref();
        for (key, _) in datafile::in_file_order(root) {
            let name: &str = key.get_ref();
            if !ROOT_KEYS.contains(&name) {
                report.at(
                    &key.span(),
                    &datafile::key_path("", name),
                    "unknown table; expected [palette] or [scopes]",
                );
            }
        }
        // The palette first, wherever it is in the file, so scopes can use its names.
        if let Some(palette) = sub_table(root, "palette", &mut report) {
            self.read_palette(palette, &mut report);
        }
        if let Some(table) = sub_table(root, "scopes", &mut report) {
            self.read_scopes(table, &mut report);
        }
    }

    fn read_palette(&mut self, table: &DeTable<'_>, report: &mut Report<'_>) {
        for (key, value) in datafile::in_file_order(table) {
            let name: &str = key.get_ref();
            let path = datafile::key_path("palette", name);
            if Color::from_str(name).is_ok() {
                // "green" = 114 would silently change what "green" means in every later file.
                report.at(
                    &key.span(),
                    &path,
                    "palette names must not be colour names or numbers",
                );
                continue;
            }
            // Palette entries are literal colours: no names defined in terms of each other.
            match colour(value.get_ref(), &Default::default()) {
                Ok(colour) => {
                    self.palette.insert(name.to_string(), colour);
                }
                Err(message) => report.at(&key.span(), &path, message),
            }
        }
    }

    fn read_scopes(&mut self, table: &DeTable<'_>, report: &mut Report<'_>) {
        for (key, value) in datafile::in_file_order(table) {
            let scope: &str = key.get_ref();
            let path = datafile::key_path("scopes", scope);
            if !is_known_scope(scope) {
                report.at(&key.span(), &path, unknown_scope(scope));
                continue;
            }
            match self.read_style(value.get_ref(), &key.span(), &path, report) {
                Some(Some(style)) => {
                    self.scopes.insert(scope.to_string(), style);
                }
                Some(None) => {
                    self.scopes.remove(scope);
                }
                None => {}
            }
        }
    }

    /// `Some(None)` removes the scope (it falls back to its parent); `None` was a problem.
    fn read_style(
        &self,
        value: &DeValue<'_>,
        span: &Range<usize>,
        path: &str,
        report: &mut Report<'_>,
    ) -> Option<Option<Style>> {
        let table = match value {
            DeValue::Boolean(false) => return Some(None),
            DeValue::String(text) if text == "none" => return Some(None),
            // Shorthand: a bare colour is the foreground.
            DeValue::String(_) | DeValue::Integer(_) => {
                return match colour(value, &self.palette) {
                    Ok(fg) => Some(Some(Style::new().fg(fg))),
                    Err(message) => {
                        report.at(span, path, message);
                        None
                    }
                };
            }
            DeValue::Table(table) => table,
            other => {
                report.at(
                    span,
                    path,
                    format!(
                        "expected a style table, a colour, or false, found {}",
                        other.type_str()
                    ),
                );
                return None;
            }
        };
        let mut style = Style::new();
        let mut ok = true;
        for (key, value) in datafile::in_file_order(table) {
            let name: &str = key.get_ref();
            let field_path = format!("{path}.{name}");
            let mut problem = |message: String| {
                report.at(&key.span(), &field_path, message);
                ok = false;
            };
            let value = value.get_ref();
            if name == "fg" || name == "bg" {
                match colour(value, &self.palette) {
                    Ok(c) if name == "fg" => style.fg = Some(c),
                    Ok(c) => style.bg = Some(c),
                    Err(message) => problem(message),
                }
            } else if let Some((_, modifier)) = MODIFIERS.iter().find(|(n, _)| *n == name) {
                match value {
                    DeValue::Boolean(true) => style = style.add_modifier(*modifier),
                    // Explicitly off: removes the modifier a parent scope set.
                    DeValue::Boolean(false) => style = style.remove_modifier(*modifier),
                    other => problem(format!(
                        "expected true or false, found {}",
                        other.type_str()
                    )),
                }
            } else {
                let names: Vec<&str> = ["fg", "bg"]
                    .into_iter()
                    .chain(MODIFIERS.iter().map(|(n, _)| *n))
                    .collect();
                let mut message =
                    format!("unknown style key; expected one of {}", names.join(", "));
                if value.is_table() {
                    message.push_str("; quote dotted scopes: \"list.row\" = { ... }");
                }
                problem(message);
            }
        }
        ok.then_some(Some(style))
    }
}

fn sub_table<'t, 'i>(
    root: &'t DeTable<'i>,
    name: &str,
    report: &mut Report<'_>,
) -> Option<&'t DeTable<'i>> {
    let (key, value) = root.get_key_value(name)?;
    match value.get_ref() {
        DeValue::Table(table) => Some(table),
        other => {
            report.at(
                &key.span(),
                name,
                format!("expected a [{name}] table, found {}", other.type_str()),
            );
            None
        }
    }
}

/// "#rrggbb", 0-255 (as a number or a string), an ANSI name, "reset", or a palette name.
fn colour(
    value: &DeValue<'_>,
    palette: &std::collections::HashMap<String, Color>,
) -> Result<Color, String> {
    let hint =
        "use \"#rrggbb\", 0-255, an ANSI name like \"lightblue\", \"reset\", or a [palette] name";
    match value {
        DeValue::String(text) => {
            if let Some(colour) = palette.get(text.as_ref()) {
                return Ok(*colour);
            }
            Color::from_str(text)
                .map_err(|_| format!("unknown colour \"{}\"; {hint}", text.escape_debug()))
        }
        DeValue::Integer(int) => i64::from_str_radix(int.as_str(), int.radix())
            .ok()
            .and_then(|n| u8::try_from(n).ok())
            .map(Color::Indexed)
            .ok_or_else(|| format!("colour index out of range; {hint}")),
        other => Err(format!(
            "expected a colour, found {}; {hint}",
            other.type_str()
        )),
    }
}

/// Names the known scopes of the same family, so a typo is easy to fix.
fn unknown_scope(scope: &str) -> String {
    let family = scope.split('.').next().unwrap_or(scope);
    let mut siblings: Vec<&str> = scopes::ALL
        .iter()
        .copied()
        .filter(|s| s.split('.').next() == Some(family))
        .collect();
    if siblings.is_empty() {
        let mut families: Vec<&str> = scopes::ALL
            .iter()
            .filter_map(|s| s.split('.').next())
            .collect();
        families.sort_unstable();
        families.dedup();
        siblings = families;
    }
    format!("unknown scope; known: {}", siblings.join(", "))
}
