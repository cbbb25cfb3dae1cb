//! Typed, span-aware access to a parsed TOML table. Every lookup records the key as known, so
//! whatever is left at `finish` is a typo and gets reported with its line.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::Problem;

/// Byte offset -> 1-based line number.
pub(super) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(super) fn new(text: &str) -> Self {
        let newlines = text.match_indices('\n').map(|(at, _)| at + 1);
        Self {
            starts: std::iter::once(0).chain(newlines).collect(),
        }
    }

    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }
}

pub(super) struct Problems<'l> {
    lines: &'l Lines,
    list: Vec<Problem>,
}

impl<'l> Problems<'l> {
    pub(super) fn new(lines: &'l Lines) -> Self {
        Self {
            lines,
            list: Vec::new(),
        }
    }

    pub(super) fn at(&mut self, span: &Range<usize>, key: &str, message: impl Into<String>) {
        self.list.push(Problem {
            line: Some(self.lines.line_of(span.start)),
            key: key.to_string(),
            message: message.into(),
        });
    }

    /// For something absent from the whole file, where no line would be honest.
    pub(super) fn nowhere(&mut self, key: &str, message: impl Into<String>) {
        self.list.push(Problem {
            line: None,
            key: key.to_string(),
            message: message.into(),
        });
    }

    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(super) fn into_sorted(mut self) -> Vec<Problem> {
        // Stable: problems on one line keep the order they were found in.
        self.list.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        self.list
    }
}

/// A value together with the span of its key, for pointing at it later.
pub(super) struct Field<T> {
    pub(super) value: T,
    pub(super) span: Range<usize>,
}

pub(super) struct TableReader<'t, 'i> {
    table: &'t DeTable<'i>,
    path: String,
    span: Range<usize>,
    known: &'static [&'static str],
    used: Vec<&'t str>,
}

impl<'t, 'i> TableReader<'t, 'i> {
    /// `path` is the dotted path of this table (empty for the root); `known` lists its keys.
    pub(super) fn new(
        table: &'t DeTable<'i>,
        path: impl Into<String>,
        span: Range<usize>,
        known: &'static [&'static str],
    ) -> Self {
        Self {
            table,
            path: path.into(),
            span,
            known,
            used: Vec::new(),
        }
    }

    pub(super) fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Whether the key is written at all, whatever its type.
    pub(super) fn table_has(&self, key: &str) -> bool {
        self.table.get(key).is_some()
    }

    pub(super) fn value(&mut self, key: &str) -> Option<Field<&'t Spanned<DeValue<'i>>>> {
        let (found_key, value) = self.table.get_key_value(key)?;
        self.used.push(found_key.get_ref().as_ref());
        Some(Field {
            value,
            span: found_key.span(),
        })
    }

    pub(super) fn string(&mut self, key: &str, problems: &mut Problems) -> Option<Field<&'t str>> {
        let field = self.value(key)?;
        match field.value.get_ref() {
            DeValue::String(text) => Some(Field {
                value: text.as_ref(),
                span: field.span,
            }),
            other => {
                self.wrong_type(key, &field.span, "a string", other, problems);
                None
            }
        }
    }

    pub(super) fn integer(&mut self, key: &str, problems: &mut Problems) -> Option<Field<i64>> {
        let field = self.value(key)?;
        match field.value.get_ref() {
            DeValue::Integer(int) => match i64::from_str_radix(int.as_str(), int.radix()) {
                Ok(value) => Some(Field {
                    value,
                    span: field.span,
                }),
                Err(_) => {
                    problems.at(&field.span, &self.key_path(key), "integer out of range");
                    None
                }
            },
            other => {
                self.wrong_type(key, &field.span, "an integer", other, problems);
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, key: &str, problems: &mut Problems) -> Option<Field<bool>> {
        let field = self.value(key)?;
        match field.value.get_ref() {
            DeValue::Boolean(value) => Some(Field {
                value: *value,
                span: field.span,
            }),
            other => {
                self.wrong_type(key, &field.span, "true or false", other, problems);
                None
            }
        }
    }

    /// A string that must be one of `options`; the value is quoted back only because it is
    /// one of a fixed set of words, never free text such as a password.
    pub(super) fn choice<T: Copy>(
        &mut self,
        key: &str,
        options: &[(&str, T)],
        problems: &mut Problems,
    ) -> Option<Field<T>> {
        let field = self.string(key, problems)?;
        let found = options.iter().find(|(word, _)| *word == field.value);
        match found {
            Some((_, value)) => Some(Field {
                value: *value,
                span: field.span,
            }),
            None => {
                let words: Vec<&str> = options.iter().map(|(word, _)| *word).collect();
                let message = format!(
                    "unknown value \"{}\", expected one of {}",
                    field.value.escape_debug(),
                    super::error::quote_list(&words)
                );
                problems.at(&field.span, &self.key_path(key), message);
                None
            }
        }
    }

    /// A string that must not be empty.
    pub(super) fn text(&mut self, key: &str, problems: &mut Problems) -> Option<Field<&'t str>> {
        let field = self.string(key, problems)?;
        if field.value.trim().is_empty() {
            problems.at(&field.span, &self.key_path(key), "must not be empty");
            return None;
        }
        Some(field)
    }

    /// An integer within `range`; `hint` explains the range to the user.
    pub(super) fn integer_in(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        hint: &str,
        problems: &mut Problems,
    ) -> Option<Field<i64>> {
        let field = self.integer(key, problems)?;
        if !range.contains(&field.value) {
            problems.at(&field.span, &self.key_path(key), hint);
            return None;
        }
        Some(field)
    }

    /// A sub-table such as `[ui]`, read with its own known keys.
    pub(super) fn table(
        &mut self,
        key: &str,
        known: &'static [&'static str],
        problems: &mut Problems,
    ) -> Option<TableReader<'t, 'i>> {
        let field = self.value(key)?;
        match field.value.get_ref() {
            DeValue::Table(table) => Some(TableReader::new(
                table,
                self.key_path(key),
                field.value.span(),
                known,
            )),
            other => {
                self.wrong_type(key, &field.span, "a table", other, problems);
                None
            }
        }
    }

    /// Reports a required key that is absent, pointing at the table it belongs in.
    pub(super) fn require<T>(
        &self,
        field: Option<T>,
        key: &str,
        problems: &mut Problems,
    ) -> Option<T> {
        if field.is_none() && !self.table_has(key) {
            problems.at(&self.span, &self.key_path(key), "missing (required)");
        }
        field
    }

    /// Reports every key nobody asked for: typos must not be silently ignored.
    pub(super) fn finish(self, problems: &mut Problems) {
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref().as_ref();
            if self.used.contains(&name) {
                continue;
            }
            let hint = match closest(name, self.known) {
                Some(guess) => format!("unknown key; did you mean \"{guess}\"?"),
                None => format!("unknown key; expected one of {}", self.known.join(", ")),
            };
            problems.at(&key.span(), &self.key_path(name), hint);
        }
    }

    fn wrong_type(
        &self,
        key: &str,
        span: &Range<usize>,
        expected: &str,
        found: &DeValue<'_>,
        problems: &mut Problems,
    ) {
        // The type name only: the value itself might be a password.
        let message = format!("expected {expected}, found {}", found.type_str());
        problems.at(span, &self.key_path(key), message);
    }
}

/// The known key within edit distance 2 of a typo, if any.
fn closest(typo: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|candidate| (edit_distance(typo, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            let insert = current[j] + 1;
            let delete = previous[j + 1] + 1;
            current.push(substitute.min(insert).min(delete));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_counts_from_one() {
        let lines = Lines::new("a\nbb\n\nc");
        assert_eq!(lines.line_of(0), 1);
        assert_eq!(lines.line_of(2), 2);
        assert_eq!(lines.line_of(5), 3);
        assert_eq!(lines.line_of(6), 4);
    }

    #[test]
    fn closest_suggests_near_typos_only() {
        let known = &["password", "password_command", "host"];
        assert_eq!(closest("pasword", known), Some("password"));
        assert_eq!(closest("hots", known), Some("host"));
        assert_eq!(closest("colour", known), None);
    }
}
