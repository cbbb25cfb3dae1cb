//! Splitting a query into tokens, each with the byte range it came from.

use super::QueryError;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    Open,
    Close,
    /// `-` directly before a word, a pair or `(`.
    Not,
    Or,
    /// A free word or a quoted phrase.
    Word(String),
    /// `key:value`; `value_span` locates the value for errors about it.
    Pair {
        key: String,
        value: String,
        value_span: Range<usize>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spanned {
    pub token: Token,
    pub span: Range<usize>,
}

pub(super) fn tokens(input: &str) -> Result<Vec<Spanned>, QueryError> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let single = match c {
            '(' => Some(Token::Open),
            ')' => Some(Token::Close),
            '-' => Some(Token::Not),
            _ => None,
        };
        if let Some(token) = single {
            chars.next();
            let negates_something = chars
                .peek()
                .is_some_and(|&(_, next)| !next.is_whitespace() && next != ')');
            if token == Token::Not && !negates_something {
                return Err(QueryError::at(
                    start..start + 1,
                    "nothing after \"-\" to leave out",
                ));
            }
            out.push(Spanned {
                token,
                span: start..start + 1,
            });
            continue;
        }
        if c == '"' {
            let (text, end) = quoted(input, start)?;
            skip_to(&mut chars, end);
            out.push(Spanned {
                token: Token::Word(text),
                span: start..end,
            });
            continue;
        }
        let end = word_end(input, start);
        let word = &input[start..end];
        skip_to(&mut chars, end);
        out.push(bare(input, word, start, &mut chars)?);
    }
    Ok(out)
}

/// A bare word: `or`, a `key:value` pair (the value may be quoted), or a free word.
fn bare(
    input: &str,
    word: &str,
    start: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Result<Spanned, QueryError> {
    let end = start + word.len();
    if word.eq_ignore_ascii_case("or") {
        return Ok(Spanned {
            token: Token::Or,
            span: start..end,
        });
    }
    let Some(colon) = word.find(':') else {
        return Ok(Spanned {
            token: Token::Word(word.to_string()),
            span: start..end,
        });
    };
    let key = word[..colon].to_ascii_lowercase();
    let value_start = start + colon + 1;
    if value_start == end && input[end..].starts_with('"') {
        let (value, quoted_end) = quoted(input, end)?;
        skip_to(chars, quoted_end);
        return Ok(Spanned {
            token: Token::Pair {
                key,
                value,
                value_span: end..quoted_end,
            },
            span: start..quoted_end,
        });
    }
    Ok(Spanned {
        token: Token::Pair {
            key,
            value: word[colon + 1..].to_string(),
            value_span: value_start..end,
        },
        span: start..end,
    })
}

/// A word runs to whitespace, a parenthesis or a quote.
fn word_end(input: &str, start: usize) -> usize {
    input[start..]
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
        .map_or(input.len(), |(i, _)| start + i)
}

/// The phrase of a `"..."` starting at `start` (`\"` and `\\` escape), and the byte after it.
fn quoted(input: &str, start: usize) -> Result<(String, usize), QueryError> {
    let mut text = String::new();
    let mut escaped = false;
    for (i, c) in input[start + 1..].char_indices() {
        let at = start + 1 + i;
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, '"') => return Ok((text, at + 1)),
            _ => {
                text.push(c);
                escaped = false;
            }
        }
    }
    Err(QueryError::at(
        start..input.len(),
        "this quote is never closed",
    ))
}

fn skip_to(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, end: usize) {
    while chars.peek().is_some_and(|&(i, _)| i < end) {
        chars.next();
    }
}
