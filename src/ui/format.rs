//! Dates, sizes and counts as the list and status line show them.

use chrono::{DateTime, Datelike, NaiveDateTime};

use crate::app::Clock;
pub use crate::domain::units::size;

fn local(ts: i64, clock: Clock) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(ts.saturating_add(i64::from(clock.utc_offset)), 0)
        .map(|d| d.naive_utc())
}

/// Today: `10:42`; the past week: `Wed`; this year: `Mar 04`; older: `2019-03-04`.
pub fn list_date(ts: i64, clock: Clock) -> String {
    let (Some(date), Some(now)) = (local(ts, clock), local(clock.now, clock)) else {
        return String::new();
    };
    let days = (now.date() - date.date()).num_days();
    if days == 0 {
        date.format("%H:%M").to_string()
    } else if (1..7).contains(&days) {
        date.format("%a").to_string()
    } else if date.year() == now.year() {
        date.format("%b %d").to_string()
    } else {
        date.format("%Y-%m-%d").to_string()
    }
}

/// `100,000`.
pub fn count(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_by_age() {
        // 2024-03-14 (Thursday) 12:00 UTC.
        let clock = Clock {
            now: 1_710_417_600,
            utc_offset: 0,
        };
        let hour = 3600;
        assert_eq!(list_date(clock.now - 2 * hour, clock), "10:00");
        assert_eq!(list_date(clock.now - 24 * hour, clock), "Wed");
        assert_eq!(list_date(clock.now - 10 * 24 * hour, clock), "Mar 04");
        assert_eq!(list_date(clock.now - 400 * 24 * hour, clock), "2023-02-08");
        let east = Clock {
            utc_offset: 13 * hour as i32,
            ..clock
        };
        // 23:00 on the 14th local time, seen at 01:00 on the 15th.
        assert_eq!(list_date(clock.now - 2 * hour, east), "Thu");
        assert_eq!(list_date(clock.now - 10 * 60, east), "00:50");
    }

    #[test]
    fn sizes_and_counts() {
        assert_eq!(size(980), "980");
        assert_eq!(size(4200), "4.1K");
        assert_eq!(size(3_400_000), "3.2M");
        assert_eq!(count(100_000), "100,000");
        assert_eq!(count(2431), "2,431");
        assert_eq!(count(12), "12");
    }
}
