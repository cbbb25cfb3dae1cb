//! How to bring one folder in step, decided from what the cache holds, what SELECT said
//! and what the server can do. Pure, so every path is unit-tested without a server.

use crate::imap::SelectInfo;

/// What the cache knows of a folder before the sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CachedState {
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    /// The first full sync finished; otherwise it is resumed.
    pub complete: bool,
    /// How many messages the cache holds for this folder.
    pub count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerCaps {
    /// QRESYNC is enabled on the connection (SELECT carried our cached state).
    pub qresync: bool,
    /// CONDSTORE is usable for this mailbox (the server did not say NOMODSEQ).
    pub condstore: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Fetch everything the cache lacks, newest first; `reset` drops the folder's rows
    /// first (new UIDVALIDITY).
    Full { reset: bool },
    /// SELECT (QRESYNC) already reported changed flags and vanished UIDs; fetch the
    /// headers of new messages only.
    Qresync { new_from: Option<u32> },
    /// Flags changed since `since` (CONDSTORE), then new messages; expunges are found by
    /// comparing counts and, if they differ, the UID list.
    Condstore { since: u64, new_from: Option<u32> },
    /// No extensions: every flag for the known range, new messages, and the UID list.
    Plain {
        known_below: u32,
        new_from: Option<u32>,
    },
    /// Nothing changed since the last sync.
    UpToDate,
}

pub fn plan(cached: &CachedState, select: &SelectInfo, caps: ServerCaps) -> Plan {
    if cached.uidvalidity.is_none() || cached.uidvalidity != select.uid_validity {
        return Plan::Full {
            reset: cached.uidvalidity.is_some(),
        };
    }
    if !cached.complete {
        return Plan::Full { reset: false };
    }
    let new_from = match (cached.uidnext, select.uid_next) {
        (Some(old), Some(new)) if new > old => Some(old),
        (Some(_), Some(_)) => None,
        // Without UIDNEXT we cannot know; look from the cached point (or the start).
        (old, _) => Some(old.unwrap_or(1)),
    };
    let condstore_usable = caps.condstore && !select.no_modseq && select.highest_modseq.is_some();
    if caps.qresync && condstore_usable && cached.highestmodseq.is_some() {
        return Plan::Qresync { new_from };
    }
    if condstore_usable && let Some(since) = cached.highestmodseq {
        let unchanged = select.highest_modseq == Some(since)
            && new_from.is_none()
            && select.exists == cached.count;
        if unchanged {
            return Plan::UpToDate;
        }
        return Plan::Condstore { since, new_from };
    }
    Plan::Plain {
        known_below: cached.uidnext.unwrap_or(u32::MAX),
        new_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(validity: u32, uidnext: u32, modseq: Option<u64>, exists: u32) -> SelectInfo {
        SelectInfo {
            exists,
            uid_validity: Some(validity),
            uid_next: Some(uidnext),
            highest_modseq: modseq,
            ..SelectInfo::default()
        }
    }

    fn cached(validity: u32, uidnext: u32, modseq: Option<u64>, count: u32) -> CachedState {
        CachedState {
            uidvalidity: Some(validity),
            uidnext: Some(uidnext),
            highestmodseq: modseq,
            complete: true,
            count,
        }
    }

    const ALL: ServerCaps = ServerCaps {
        qresync: true,
        condstore: true,
    };
    const CONDSTORE: ServerCaps = ServerCaps {
        qresync: false,
        condstore: true,
    };
    const NONE: ServerCaps = ServerCaps {
        qresync: false,
        condstore: false,
    };

    #[test]
    fn empty_cache_is_a_first_sync() {
        let plan = plan(&CachedState::default(), &select(7, 10, Some(5), 9), ALL);
        assert_eq!(plan, Plan::Full { reset: false });
    }

    #[test]
    fn uidvalidity_change_resets() {
        let plan = plan(&cached(7, 10, Some(5), 9), &select(8, 10, Some(5), 9), ALL);
        assert_eq!(plan, Plan::Full { reset: true });
    }

    #[test]
    fn an_interrupted_first_sync_resumes() {
        let mut state = cached(7, 10, Some(5), 3);
        state.complete = false;
        assert_eq!(
            plan(&state, &select(7, 10, Some(5), 9), ALL),
            Plan::Full { reset: false }
        );
    }

    #[test]
    fn qresync_fetches_only_new_uids() {
        assert_eq!(
            plan(&cached(7, 10, Some(5), 9), &select(7, 12, Some(8), 11), ALL),
            Plan::Qresync { new_from: Some(10) }
        );
        assert_eq!(
            plan(&cached(7, 10, Some(5), 9), &select(7, 10, Some(8), 9), ALL),
            Plan::Qresync { new_from: None }
        );
    }

    #[test]
    fn condstore_asks_for_changes_since_the_cached_modseq() {
        assert_eq!(
            plan(
                &cached(7, 10, Some(5), 9),
                &select(7, 11, Some(8), 10),
                CONDSTORE
            ),
            Plan::Condstore {
                since: 5,
                new_from: Some(10)
            }
        );
    }

    #[test]
    fn condstore_with_nothing_new_is_up_to_date() {
        assert_eq!(
            plan(
                &cached(7, 10, Some(5), 9),
                &select(7, 10, Some(5), 9),
                CONDSTORE
            ),
            Plan::UpToDate
        );
        // Same modseq but fewer messages: an expunge (modseq does not move on some servers).
        assert_eq!(
            plan(
                &cached(7, 10, Some(5), 9),
                &select(7, 10, Some(5), 8),
                CONDSTORE
            ),
            Plan::Condstore {
                since: 5,
                new_from: None
            }
        );
    }

    #[test]
    fn nomodseq_or_no_extensions_fall_back_to_plain() {
        let mut info = select(7, 12, Some(8), 11);
        info.no_modseq = true;
        assert_eq!(
            plan(&cached(7, 10, Some(5), 9), &info, ALL),
            Plan::Plain {
                known_below: 10,
                new_from: Some(10)
            }
        );
        assert_eq!(
            plan(&cached(7, 10, None, 9), &select(7, 10, None, 9), NONE),
            Plan::Plain {
                known_below: 10,
                new_from: None
            }
        );
    }

    #[test]
    fn missing_uidnext_looks_for_new_mail_anyway() {
        let mut info = select(7, 10, None, 9);
        info.uid_next = None;
        assert_eq!(
            plan(&cached(7, 10, None, 9), &info, NONE),
            Plan::Plain {
                known_below: 10,
                new_from: Some(10)
            }
        );
    }
}
