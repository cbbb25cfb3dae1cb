//! Putting search hits from several places (caches, servers, accounts) into one list.

use std::collections::{HashMap, HashSet};

use crate::domain::message::MessageRow;

/// What ordering and de-duplication need to know of a hit.
pub struct HitView<'a> {
    pub row: &'a MessageRow,
    pub cached: bool,
    /// Account and folder, in the order places should sort when dates tie.
    pub place: (String, &'a str),
    /// Gmail's X-GM-MSGID, where the server offers it: one mail in several labels has one,
    /// two mails that share a Message-ID have two.
    pub gmail_id: Option<u64>,
}

/// Newest first; the same message once, the cached copy preferred; at most `limit`.
/// The same message: the same place and UID; in one account, the same X-GM-MSGID; else
/// the same Message-ID, unless both copies are in one account with different X-GM-MSGIDs.
/// A hit without an id learns it from a hit at the same place (the cache's copy of a
/// message the server also found).
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
    let at = |hit: &HitView<'_>| (hit.place.0.clone(), hit.place.1.to_string(), hit.row.uid);
    let known: HashMap<_, u64> = hits
        .iter()
        .map(&view)
        .filter_map(|hit| Some((at(&hit), hit.gmail_id?)))
        .collect();
    let mut places = HashSet::new();
    let mut gmail_ids = HashSet::new();
    let mut message_ids: HashMap<String, Vec<(String, Option<u64>)>> = HashMap::new();
    hits.retain(|hit| {
        let hit = view(hit);
        let place = at(&hit);
        let account = hit.place.0.clone();
        let gmail_id = hit.gmail_id.or_else(|| known.get(&place).copied());
        if places.contains(&place) {
            return false;
        }
        if let Some(id) = gmail_id
            && gmail_ids.contains(&(account.clone(), id))
        {
            return false;
        }
        if let Some(message_id) = &hit.row.message_id {
            let kept = message_ids.entry(message_id.clone()).or_default();
            let other_mail = |(a, g): &(String, Option<u64>)| {
                *a == account && g.is_some() && gmail_id.is_some() && *g != gmail_id
            };
            if !kept.iter().all(other_mail) {
                return false;
            }
            kept.push((account.clone(), gmail_id));
        }
        if let Some(id) = gmail_id {
            gmail_ids.insert((account, id));
        }
        places.insert(place);
        true
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
            gmail_id: None,
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
            gmail_id: None,
        });
        assert_eq!(hits.len(), 1);
    }

    /// (account, folder, uid, Message-ID, X-GM-MSGID)
    type Gm = (
        &'static str,
        &'static str,
        u32,
        Option<&'static str>,
        Option<u64>,
    );

    fn gmail_merge(hits: &[Gm]) -> Vec<(&'static str, &'static str, u32)> {
        let mut hits: Vec<(Gm, MessageRow)> = hits
            .iter()
            .map(|&hit| (hit, row(hit.2, 10, hit.3).1))
            .collect();
        newest_once(&mut hits, 10, |((account, folder, _, _, gmail_id), row)| {
            HitView {
                row,
                cached: true,
                place: (account.to_string(), folder),
                gmail_id: *gmail_id,
            }
        });
        hits.iter()
            .map(|((a, f, u, _, _), _)| (*a, *f, *u))
            .collect()
    }

    #[test]
    fn gmail_ids_decide_within_an_account() {
        // One mail in two labels: once, though the cache's copy has no id.
        assert_eq!(
            gmail_merge(&[
                ("g", "INBOX", 1, Some("a"), None),
                ("g", "INBOX", 1, Some("a"), Some(7)),
                ("g", "All Mail", 9, Some("a"), Some(7)),
            ]),
            [("g", "All Mail", 9)]
        );
        // Two mails sharing a Message-ID: both, even when one is the cache's copy.
        assert_eq!(
            gmail_merge(&[
                ("g", "INBOX", 1, Some("a"), None),
                ("g", "INBOX", 1, Some("a"), Some(7)),
                ("g", "INBOX", 2, Some("a"), Some(8)),
                ("g", "All Mail", 9, Some("a"), Some(8)),
            ]),
            [("g", "All Mail", 9), ("g", "INBOX", 1)]
        );
        // Same id without a Message-ID: once. Another account: Message-ID as ever.
        assert_eq!(
            gmail_merge(&[
                ("g", "INBOX", 3, None, Some(5)),
                ("g", "Work", 4, None, Some(5)),
                ("h", "INBOX", 1, Some("a"), Some(1)),
                ("g", "INBOX", 1, Some("a"), Some(2)),
                ("p", "INBOX", 1, Some("a"), None),
            ]),
            [("g", "INBOX", 3), ("g", "INBOX", 1)]
        );
    }
}
