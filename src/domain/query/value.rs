//! Values after `key:`: dates, sizes and message states.

use chrono::{Days, Months, NaiveDate};

/// A day, given as a date or as an age (`7d`, `2w`, `3m`, `1y`) resolved against today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSpec {
    Day(NaiveDate),
    DaysAgo(u32),
    WeeksAgo(u32),
    MonthsAgo(u32),
    YearsAgo(u32),
}

impl DateSpec {
    /// The calendar day meant; None when it falls outside chrono's range.
    pub fn resolve(self, today: NaiveDate) -> Option<NaiveDate> {
        match self {
            DateSpec::Day(day) => Some(day),
            DateSpec::DaysAgo(n) => today.checked_sub_days(Days::new(n.into())),
            DateSpec::WeeksAgo(n) => today.checked_sub_days(Days::new(u64::from(n) * 7)),
            DateSpec::MonthsAgo(n) => today.checked_sub_months(Months::new(n)),
            DateSpec::YearsAgo(n) => today.checked_sub_months(Months::new(n.checked_mul(12)?)),
        }
    }
}

/// `is:` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Unread,
    Read,
    Flagged,
    Answered,
    Deleted,
}

pub(super) fn date(text: &str) -> Result<DateSpec, String> {
    if let Some(split) = text.find(|c: char| !c.is_ascii_digit())
        && split > 0
        && split + 1 == text.len()
    {
        let count: u32 = text[..split]
            .parse()
            .map_err(|_| format!("\"{text}\" is too far back"))?;
        return match &text[split..] {
            "d" => Ok(DateSpec::DaysAgo(count)),
            "w" => Ok(DateSpec::WeeksAgo(count)),
            "m" => Ok(DateSpec::MonthsAgo(count)),
            "y" => Ok(DateSpec::YearsAgo(count)),
            _ => Err(date_help(text)),
        };
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(DateSpec::Day)
        .map_err(|_| date_help(text))
}

fn date_help(text: &str) -> String {
    format!("\"{text}\" is not a date: use 2026-11-02, or an age like 7d, 2w, 3m, 1y")
}

/// `10k`, `5M`, `1G`, `500` (bytes); K is 1024 as in mutt.
pub(super) fn size(text: &str) -> Result<u64, String> {
    let lower = text.to_ascii_lowercase();
    let trimmed = lower.strip_suffix('b').unwrap_or(&lower);
    let (digits, unit) = match trimmed.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&trimmed[..i], Some(c)),
        _ => (trimmed, None),
    };
    let multiplier: u64 = match unit {
        None => 1,
        Some('k') => 1 << 10,
        Some('m') => 1 << 20,
        Some('g') => 1 << 30,
        Some(_) => return Err(size_help(text)),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| size_help(text))
}

fn size_help(text: &str) -> String {
    format!("\"{text}\" is not a size: use a number of bytes or 10k, 5M, 1G")
}

pub(super) fn status(text: &str) -> Result<Status, String> {
    match text.to_ascii_lowercase().as_str() {
        "unread" | "unseen" | "new" => Ok(Status::Unread),
        "read" | "seen" => Ok(Status::Read),
        "flagged" | "starred" => Ok(Status::Flagged),
        "answered" | "replied" => Ok(Status::Answered),
        "deleted" => Ok(Status::Deleted),
        _ => Err(format!(
            "\"{text}\" is not a state: use unread, read, flagged, answered or deleted"
        )),
    }
}
