//! What one command may collect. A hostile server can answer a command with an endless
//! stream of untagged responses; each command gets a budget proportional to what it asked
//! for, and a server that exceeds it ends the command with a protocol error.

use super::types::Update;
use crate::domain::uidset::UidSet;

/// Untagged responses any command may receive beyond what it asked for: pushes about
/// other messages (EXISTS, EXPUNGE, flag changes by other clients), "Hang in there" lines.
pub const SLACK: u64 = 10_000;
/// A mailbox size claimed beyond this buys no more budget: a hostile EXISTS must not
/// unlock gigabytes.
pub const MAX_BUDGET_EXISTS: u64 = 1_000_000;
/// Mailboxes a LIST may name.
pub const MAX_LIST_ENTRIES: u64 = 100_000;

/// What a command asked for, which sizes its budget.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Messages the command names: its deadline grows with them.
    pub messages: u64,
    /// Untagged responses the command itself asks for (LIST entries).
    pub wanted: u64,
    /// For UID FETCH: the UIDs asked for. Each answers once with its data; other FETCH
    /// responses are pushes and lose any header or body they carry.
    pub fetch: Option<UidSet>,
}

impl Expect {
    pub fn small() -> Self {
        Self::default()
    }

    pub fn messages(messages: u64) -> Self {
        Self {
            messages,
            ..Self::default()
        }
    }

    pub fn list() -> Self {
        Self {
            wanted: MAX_LIST_ENTRIES,
            ..Self::default()
        }
    }

    /// A UID FETCH of `uids`; a range ending in `*` may answer with any UID (`n:*` names
    /// the last message even below n).
    pub fn fetch(uids: &UidSet, exists: Option<u32>) -> Self {
        let open = uids.max() == Some(u32::MAX);
        let set = if open {
            UidSet::from_ranges([(1, u32::MAX)])
        } else {
            uids.clone()
        };
        let named = uids.len();
        let messages = match exists {
            Some(n) => named.min(u64::from(n)),
            None if open => 0,
            None => named,
        };
        Self {
            messages,
            wanted: 0,
            fetch: Some(set),
        }
    }
}

/// Counts what a running command received against its [`Expect`].
#[derive(Debug)]
pub struct Budget {
    fetch: Option<UidSet>,
    delivered: UidSet,
    delivered_count: u64,
    messages: u64,
    extra: u64,
    wanted: u64,
    exists_at_start: u64,
    outside: u64,
    search_ids: u64,
}

impl Budget {
    /// `exists` is the selected mailbox's size when the command starts.
    pub fn new(expect: Expect, exists: Option<u32>) -> Self {
        Self {
            fetch: expect.fetch,
            delivered: UidSet::new(),
            delivered_count: 0,
            messages: expect.messages,
            extra: 0,
            wanted: expect.wanted,
            exists_at_start: u64::from(exists.unwrap_or(0)),
            outside: 0,
            search_ids: 0,
        }
    }

    /// The mailbox size that sizes the budget: a SELECT learns it as it goes, and new
    /// mail may arrive during a command.
    fn mailbox_size(&self, exists: Option<u32>) -> u64 {
        self.exists_at_start
            .max(u64::from(exists.unwrap_or(0)))
            .min(MAX_BUDGET_EXISTS)
    }

    /// Admits one untagged response (trimming a FETCH push of data nobody asked for), or
    /// says why the command must end. `exists` is the mailbox size now.
    pub fn admit(&mut self, update: &mut Update, exists: Option<u32>) -> Result<(), String> {
        match update {
            Update::Fetch(fetch) if self.fetch.is_some() => {
                let asked = match (fetch.uid, &self.fetch) {
                    (Some(uid), Some(set)) => set.contains(uid) && !self.delivered.contains(uid),
                    _ => false,
                };
                if let (true, Some(uid)) = (asked, fetch.uid) {
                    self.delivered.insert(uid);
                    self.delivered_count += 1;
                    // An open range (`1:*`) answers at most once per message there is.
                    let limit = self.messages.max(self.mailbox_size(exists)) + SLACK;
                    if self.delivered_count > limit {
                        return Err(format!(
                            "the server sent {} messages for a mailbox of {} messages",
                            self.delivered_count,
                            exists.unwrap_or(0)
                        ));
                    }
                    return Ok(());
                }
                if !fetch.uid.is_some_and(|uid| self.delivered.contains(uid)) {
                    self.outside += 1;
                }
                fetch.header = None;
                fetch.body = None;
                fetch.envelope = None;
            }
            Update::Search { ids, .. } => {
                self.search_ids += ids.len() as u64;
                if self.search_ids > self.mailbox_size(exists) + SLACK {
                    return Err(format!(
                        "the server returned {} search results for a mailbox of {} messages",
                        self.search_ids,
                        exists.unwrap_or(0)
                    ));
                }
            }
            _ => {}
        }
        self.extra += 1;
        let extra_limit = SLACK + self.wanted + self.mailbox_size(exists);
        if self.extra > extra_limit {
            let outside = if self.outside > 0 {
                format!(
                    ", {} of them FETCH responses for messages not asked for",
                    self.outside
                )
            } else {
                String::new()
            };
            return Err(format!(
                "the server sent more than {extra_limit} responses the command did not ask \
                 for{outside}"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::types::FetchData;

    fn fetch(uid: u32, body: &[u8]) -> Update {
        Update::Fetch(Box::new(FetchData {
            seq: 1,
            uid: Some(uid),
            body: Some(body.to_vec()),
            ..FetchData::default()
        }))
    }

    #[test]
    fn a_fetch_answers_each_uid_once_and_pushes_lose_their_data() {
        let asked = UidSet::from_ranges([(5, 6)]);
        let mut budget = Budget::new(Expect::fetch(&asked, Some(10)), Some(10));
        let mut first = fetch(5, b"body");
        budget.admit(&mut first, Some(10)).unwrap();
        assert!(matches!(&first, Update::Fetch(f) if f.body.is_some()));
        let mut again = fetch(5, b"body");
        budget.admit(&mut again, Some(10)).unwrap();
        assert!(
            matches!(&again, Update::Fetch(f) if f.body.is_none()),
            "a repeat is a push"
        );
        let mut outside = fetch(9, b"body");
        budget.admit(&mut outside, Some(10)).unwrap();
        assert!(matches!(&outside, Update::Fetch(f) if f.body.is_none() && f.uid == Some(9)));
    }

    #[test]
    fn an_endless_stream_ends_the_command() {
        let asked = UidSet::from_ranges([(1, 1)]);
        let mut budget = Budget::new(Expect::fetch(&asked, Some(3)), Some(3));
        let mut admitted = 0u64;
        let err = loop {
            match budget.admit(&mut fetch(1, b"x"), Some(3)) {
                Ok(()) => admitted += 1,
                Err(e) => break e,
            }
            assert!(admitted < 1_000_000, "never stopped");
        };
        assert_eq!(admitted, 1 + SLACK + 3);
        assert!(err.contains("did not ask for"), "{err}");
    }

    #[test]
    fn pushes_may_grow_with_the_mailbox_a_select_learns() {
        // A QRESYNC SELECT: EXISTS first, then a FETCH per changed message.
        let mut budget = Budget::new(Expect::small(), Some(0));
        budget
            .admit(&mut Update::Exists(50_000), Some(50_000))
            .unwrap();
        for _ in 0..50_000 {
            budget.admit(&mut fetch(1, b""), Some(50_000)).unwrap();
        }
        let mut huge = Budget::new(Expect::small(), Some(u32::MAX));
        let admitted = (0..MAX_BUDGET_EXISTS + SLACK + 10)
            .take_while(|_| huge.admit(&mut Update::Recent(1), Some(u32::MAX)).is_ok())
            .count() as u64;
        assert_eq!(
            admitted,
            MAX_BUDGET_EXISTS + SLACK,
            "a hostile EXISTS buys a bounded budget"
        );
    }

    #[test]
    fn search_results_are_bounded_by_the_mailbox_size() {
        let mut budget = Budget::new(Expect::messages(100), Some(100));
        let mut fine = Update::Search {
            ids: (1..=100).collect(),
            modseq: None,
        };
        budget.admit(&mut fine, Some(100)).unwrap();
        let mut flood = Update::Search {
            ids: vec![1; SLACK as usize + 1],
            modseq: None,
        };
        assert!(budget.admit(&mut flood, Some(100)).is_err());
    }

    #[test]
    fn an_open_range_accepts_any_uid_once() {
        let asked = UidSet::from_ranges([(50, u32::MAX)]);
        let mut budget = Budget::new(Expect::fetch(&asked, Some(10)), Some(10));
        let mut below = fetch(40, b"h");
        budget.admit(&mut below, Some(10)).unwrap();
        assert!(matches!(&below, Update::Fetch(f) if f.body.is_some()));
    }
}
