//! Config errors. Their text never quotes a string value except enum-like ones (security, auth,
//! keymap...), so a password in the file cannot leak into a message.

use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with the file, at a line and a key path like `accounts[0].security`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based; `None` when the problem is about something missing from the whole file.
    pub line: Option<usize>,
    /// Dotted key path; empty for syntax errors that are not about one key.
    pub key: String,
    pub message: String,
}

impl Problem {
    /// `file:line: key: message`, the format editors and `check-config` users expect.
    pub fn render(&self, file: &Path) -> String {
        let mut out = file.display().to_string();
        if let Some(line) = self.line {
            out.push_str(&format!(":{line}"));
        }
        out.push_str(": ");
        if !self.key.is_empty() {
            out.push_str(&self.key);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", not_found(looked_at))]
    NotFound { looked_at: Vec<PathBuf> },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// One line per problem, sorted by line.
    #[error("{}", Problems { path, problems })]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("no account named \"{name}\"; known accounts: {}", quote_list(known))]
    UnknownAccount { name: String, known: Vec<String> },
    #[error("cannot find the home directory to place tern's {what}; pass {flag}")]
    NoHomeDir {
        what: &'static str,
        flag: &'static str,
    },
}

struct Problems<'a> {
    path: &'a Path,
    problems: &'a [Problem],
}

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&problem.render(self.path))?;
        }
        Ok(())
    }
}

fn not_found(looked_at: &[PathBuf]) -> String {
    if looked_at.is_empty() {
        return "no config file found, and no home directory to look in; pass --config".into();
    }
    let shown: Vec<String> = looked_at.iter().map(|p| p.display().to_string()).collect();
    format!("no config file found (looked at {})", shown.join(", "))
}

pub(super) fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_renders_one_line_per_problem() {
        let err = ConfigError::Invalid {
            path: PathBuf::from("/c/config.toml"),
            problems: vec![
                Problem {
                    line: Some(3),
                    key: "accounts[0].port".into(),
                    message: "must be between 1 and 65535".into(),
                },
                Problem {
                    line: None,
                    key: "accounts".into(),
                    message: "missing".into(),
                },
            ],
        };
        assert_eq!(
            err.to_string(),
            "/c/config.toml:3: accounts[0].port: must be between 1 and 65535\n\
             /c/config.toml: accounts: missing"
        );
    }

    #[test]
    fn not_found_lists_every_path() {
        let err = ConfigError::NotFound {
            looked_at: vec![PathBuf::from("/a.toml"), PathBuf::from("/b.toml")],
        };
        assert_eq!(
            err.to_string(),
            "no config file found (looked at /a.toml, /b.toml)"
        );
    }
}
