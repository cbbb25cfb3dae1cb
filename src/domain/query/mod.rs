//! The search language, one parser for the TUI and the CLI (README "Searching"):
//! free words, `field:value`, quoting, `-` for not, `or`, parentheses. Errors name the
//! byte range of the word that is wrong so both front ends can point at it.

pub mod hits;
mod lex;
mod parse;
#[cfg(test)]
mod tests;
mod value;

pub use parse::parse;
pub use value::{DateSpec, Status};

/// A parsed query. `And` of nothing matches everything (the empty query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
    Term(Term),
}

/// One condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A free word or phrase: matched against subject, from and to.
    Text(String),
    Field(Field, String),
    Folder(String),
    Account(String),
    /// Received before the start of that day.
    Before(DateSpec),
    /// Received on or after that day (IMAP SINCE): `after:7d` is the last week.
    After(DateSpec),
    On(DateSpec),
    Is(Status),
    HasAttachment,
    Keyword(String),
    /// Size in bytes, strictly larger / smaller.
    Larger(u64),
    Smaller(u64),
}

/// Header fields (and the body) a word can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    From,
    To,
    Cc,
    Subject,
    Body,
}

/// A query that does not parse: what is wrong, and where (byte offsets into the input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub message: String,
    pub span: std::ops::Range<usize>,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at column {})", self.message, self.span.start + 1)
    }
}

impl std::error::Error for QueryError {}

impl QueryError {
    pub(super) fn at(span: std::ops::Range<usize>, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span,
        }
    }

    /// The input with a caret line under the wrong word, for the CLI's stderr.
    pub fn pointed(&self, input: &str) -> String {
        let start = input[..self.span.start.min(input.len())].chars().count();
        let width = input
            .get(self.span.clone())
            .map_or(1, |s| s.chars().count().max(1));
        format!(
            "{input}\n{}{}\n{}",
            " ".repeat(start),
            "^".repeat(width),
            self.message
        )
    }
}

impl Query {
    /// The query that matches everything.
    pub fn all() -> Self {
        Query::And(Vec::new())
    }

    /// Every term, depth first: what a planner checks (e.g. "does it name a folder?").
    pub fn terms(&self) -> Vec<&Term> {
        let mut out = Vec::new();
        self.collect_terms(&mut out);
        out
    }

    fn collect_terms<'a>(&'a self, out: &mut Vec<&'a Term>) {
        match self {
            Query::And(parts) | Query::Or(parts) => {
                for part in parts {
                    part.collect_terms(out);
                }
            }
            Query::Not(inner) => inner.collect_terms(out),
            Query::Term(term) => out.push(term),
        }
    }
}
