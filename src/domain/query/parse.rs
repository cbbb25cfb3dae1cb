//! Recursive descent over the tokens: `or` binds looser than the implicit `and`, `-` binds
//! tightest, parentheses group.

use super::lex::{Spanned, Token, tokens};
use super::{Field, Query, QueryError, Term, value};

/// Deeper nesting is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 64;

/// Parses a whole query; empty input is the query that matches everything.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let tokens = tokens(input)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        end: input.len(),
    };
    let query = parser.or(0)?;
    match parser.peek() {
        None => Ok(query),
        Some(extra) => Err(QueryError::at(
            extra.span.clone(),
            "this \")\" closes nothing",
        )),
    }
}

struct Parser<'a> {
    tokens: &'a [Spanned],
    at: usize,
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Spanned> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&Spanned> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        token
    }

    fn or(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut alternatives = vec![self.and(depth)?];
        while let Some(or) = self.peek().filter(|t| t.token == Token::Or).cloned() {
            self.at += 1;
            let right = self.and(depth)?;
            if is_empty(&right) || alternatives.last().is_some_and(is_empty) {
                return Err(QueryError::at(
                    or.span,
                    "\"or\" needs a condition on each side (quote it to search for the word)",
                ));
            }
            alternatives.push(right);
        }
        Ok(if alternatives.len() == 1 {
            alternatives.remove(0)
        } else {
            Query::Or(alternatives)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut parts = Vec::new();
        while let Some(token) = self.peek() {
            if matches!(token.token, Token::Or | Token::Close) {
                break;
            }
            parts.push(self.unary(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::And(parts)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Query, QueryError> {
        let end = self.end;
        let Some(token) = self.next().cloned() else {
            return Err(QueryError::at(end..end, "the query ends too early"));
        };
        if depth >= MAX_DEPTH {
            return Err(QueryError::at(token.span, "the query is nested too deeply"));
        }
        match token.token {
            Token::Not => Ok(Query::Not(Box::new(self.unary(depth + 1)?))),
            Token::Open => {
                let inner = self.or(depth + 1)?;
                match self.next() {
                    Some(Spanned {
                        token: Token::Close,
                        ..
                    }) if !is_empty(&inner) => Ok(inner),
                    Some(Spanned {
                        token: Token::Close,
                        span,
                    }) => Err(QueryError::at(
                        token.span.start..span.end,
                        "nothing inside the parentheses",
                    )),
                    _ => Err(QueryError::at(token.span, "this \"(\" is never closed")),
                }
            }
            Token::Word(text) => Ok(Query::Term(Term::Text(text))),
            Token::Pair {
                key,
                value,
                value_span,
            } => {
                if value.is_empty() {
                    return Err(QueryError::at(token.span, format!("{key}: needs a value")));
                }
                let key_span = token.span.start..value_span.start;
                term(&key, value, key_span, value_span).map(Query::Term)
            }
            // `or` and `)` stop `and`; reaching one here means nothing came before it.
            Token::Or => Err(QueryError::at(
                token.span,
                "\"or\" needs a condition on each side (quote it to search for the word)",
            )),
            Token::Close => Err(QueryError::at(token.span, "this \")\" closes nothing")),
        }
    }
}

fn is_empty(query: &Query) -> bool {
    matches!(query, Query::And(parts) if parts.is_empty())
}

fn term(
    key: &str,
    value: String,
    key_span: std::ops::Range<usize>,
    value_span: std::ops::Range<usize>,
) -> Result<Term, QueryError> {
    let bad_value = |message: String| QueryError::at(value_span.clone(), message);
    Ok(match key {
        "from" => Term::Field(Field::From, value),
        "to" => Term::Field(Field::To, value),
        "cc" => Term::Field(Field::Cc, value),
        "subject" => Term::Field(Field::Subject, value),
        "body" => Term::Field(Field::Body, value),
        "folder" | "in" => Term::Folder(value),
        "account" => Term::Account(value),
        "keyword" | "tag" => Term::Keyword(value),
        "before" => Term::Before(value::date(&value).map_err(bad_value)?),
        "after" | "since" => Term::After(value::date(&value).map_err(bad_value)?),
        "on" | "date" => Term::On(value::date(&value).map_err(bad_value)?),
        "is" => Term::Is(value::status(&value).map_err(bad_value)?),
        "larger" => Term::Larger(value::size(&value).map_err(bad_value)?),
        "smaller" => Term::Smaller(value::size(&value).map_err(bad_value)?),
        "has"
            if matches!(
                value.to_ascii_lowercase().as_str(),
                "attachment" | "attachments"
            ) =>
        {
            Term::HasAttachment
        }
        "has" => {
            return Err(bad_value(format!(
                "\"{value}\": only has:attachment exists"
            )));
        }
        _ => {
            return Err(QueryError::at(
                key_span,
                format!(
                    "unknown field \"{key}:\" (fields: from to cc subject body folder account \
                     before after on is has keyword larger smaller; quote the word to search for it)"
                ),
            ));
        }
    })
}
