//! Shared by keymap and theme files: parse TOML with spans and report problems as
//! `file:line: key: message` (the config's `Problem` format), so `check-config` prints them alike.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::config::Problem;

pub(crate) type Entry<'t, 'i> = (&'t Spanned<DeString<'i>>, &'t Spanned<DeValue<'i>>);

/// Collects problems for one file. `label` is what the user sees: a path, or
/// `keymaps/vim.toml` for an embedded default.
pub(crate) struct Report<'p> {
    label: String,
    line_starts: Vec<usize>,
    problems: &'p mut Vec<String>,
}

impl<'p> Report<'p> {
    pub(crate) fn new(label: &str, text: &str, problems: &'p mut Vec<String>) -> Self {
        let newlines = text.match_indices('\n').map(|(at, _)| at + 1);
        Self {
            label: label.to_string(),
            line_starts: std::iter::once(0).chain(newlines).collect(),
            problems,
        }
    }

    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .max(1)
    }

    pub(crate) fn at(&mut self, span: &Range<usize>, key: &str, message: impl Into<String>) {
        let line = self.line_of(span.start);
        self.push(Some(line), key, message);
    }

    fn push(&mut self, line: Option<usize>, key: &str, message: impl Into<String>) {
        let problem = Problem {
            line,
            key: key.to_string(),
            message: message.into(),
        };
        self.problems.push(problem.render(Path::new(&self.label)));
    }
}

/// One problem about a whole file (unreadable, unknown built-in name).
pub(crate) fn file_problem(label: &str, message: impl Into<String>) -> String {
    let problem = Problem {
        line: None,
        key: String::new(),
        message: message.into(),
    };
    problem.render(Path::new(label))
}

/// One problem at a known line, for checks made after parsing (keymap conflicts).
pub(crate) fn line_problem(
    label: &str,
    line: usize,
    key: &str,
    message: impl Into<String>,
) -> String {
    let problem = Problem {
        line: Some(line),
        key: key.to_string(),
        message: message.into(),
    };
    problem.render(Path::new(label))
}

/// The document's root table, or `None` when toml cannot parse it. A file with syntax errors is
/// ignored as a whole: applying toml's best-effort recovery could put keys in the wrong table.
pub(crate) fn parse<'i>(text: &'i str, report: &mut Report<'_>) -> Option<Spanned<DeTable<'i>>> {
    let (root, errors) = DeTable::parse_recoverable(text);
    if errors.is_empty() {
        return Some(root);
    }
    for error in errors {
        let message = format!("invalid TOML (file ignored): {}", error.message());
        match error.span() {
            Some(span) => report.at(&span, "", message),
            None => report.push(None, "", message),
        }
    }
    None
}

/// Entries in the order they appear in the file (the table itself is sorted by key).
pub(crate) fn in_file_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<Entry<'t, 'i>> {
    let mut entries: Vec<Entry<'t, 'i>> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// A dotted key path for messages: bare segments stay bare, others are quoted as in TOML.
pub(crate) fn key_path(table: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("\"{}\"", key.escape_debug())
    };
    if table.is_empty() {
        key
    } else {
        format!("{table}.{key}")
    }
}

/// Reads a user file; the error is already a problem line.
pub(crate) fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|err| file_problem(&path.display().to_string(), format!("cannot read: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_paths() {
        let mut problems = Vec::new();
        let report = Report::new("f.toml", "a\nbb\n\nc", &mut problems);
        assert_eq!(report.line_of(0), 1);
        assert_eq!(report.line_of(2), 2);
        assert_eq!(report.line_of(6), 4);
        assert_eq!(key_path("list", "j"), "list.j");
        assert_eq!(key_path("list", "g g"), "list.\"g g\"");
        assert_eq!(key_path("scopes", "list.row"), "scopes.\"list.row\"");
    }

    #[test]
    fn syntax_errors_name_the_line_and_ignore_the_file() {
        let mut problems = Vec::new();
        let mut report = Report::new("f.toml", "[list]\n\"j\" = \n", &mut problems);
        assert!(parse("[list]\n\"j\" = \n", &mut report).is_none());
        assert!(
            problems[0].starts_with("f.toml:2: invalid TOML"),
            "{problems:?}"
        );
    }
}
