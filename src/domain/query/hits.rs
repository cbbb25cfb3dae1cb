//! Putting search hits from several places (caches, servers, accounts) into one list.

use std::collections::HashSet;

use crate::domain::message::MessageRow;

/// What ordering and de-duplication need to know of a hit.
pub struct HitView<'a> {
    pub row: &'a MessageRow,
    pub cached: bool,
    /// Account and folder, in the order places should sort when dates tie.
    pub place: (String, &'a str),
}

/// Newest first; the same message (Message-ID, else its place and UID) once, the cached
/// copy preferred; at most `limit`.
pub fn newest_once<T>(hits: &mut Vec<T>, limit: usize, view: impl Fn(&T) -> HitView<'_>) {
    hits.sort_by(|a, b| {
        let (a, b) = (view(a), view(b));
        b.row
            .date
            .cmp(&a.row.date)
            .then(b.cached.cmp(&a.cached))
            .then(a.place.cmp(&b.place))
            .then(b.row.uid.cmp(&a.row.uid))
    });
    let mut seen = HashSet::new();
    hits.retain(|hit| {
        let hit = view(hit);
        let key = match &hit.row.message_id {
            Some(id) => format!("id:{id}"),
            None => format!("at:{}\0{}\0{}", hit.place.0, hit.place.1, hit.row.uid),
        };
        seen.insert(key)
    });
    hits.truncate(limit);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(uid: u32, date: i64, id: Option<&str>) -> (String, MessageRow, bool) {
        let row = MessageRow {
            uid,
            date,
            message_id: id.map(str::to_string),
            ..MessageRow::default()
        };
        ("INBOX".to_string(), row, true)
    }

    #[test]
    fn newest_first_once_and_cached_preferred() {
        let mut hits = vec![
            row(1, 10, Some("a")),
            ("Archive".to_string(), row(7, 10, Some("a")).1, false),
            row(2, 30, None),
            row(3, 20, Some("b")),
            ("Archive".to_string(), row(2, 30, None).1, true),
        ];
        newest_once(&mut hits, 10, |(folder, row, cached)| HitView {
            row,
            cached: *cached,
            place: ("acct".to_string(), folder),
        });
        let got: Vec<(&str, u32)> = hits.iter().map(|(f, r, _)| (f.as_str(), r.uid)).collect();
        // Without a Message-ID, the same UID in two folders is two messages.
        assert_eq!(
            got,
            [("Archive", 2), ("INBOX", 2), ("INBOX", 3), ("INBOX", 1)]
        );
        newest_once(&mut hits, 1, |(folder, row, cached)| HitView {
            row,
            cached: *cached,
            place: ("acct".to_string(), folder),
        });
        assert_eq!(hits.len(), 1);
    }
}
