//! What the UI reads: the cache, through bounded, synchronous queries. The runtime implements
//! `MailSource` over the store's read-only connection; app tests use `FakeSource`.

use crate::domain::folder::{FolderId, FolderState, SortOrder};
use crate::domain::message::MessageRow;
use crate::domain::parts::Structure;
use crate::domain::query::Query;

/// A cache read that failed; the UI shows it in the status line and carries on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError(pub String);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub type SourceResult<T> = Result<T, SourceError>;

/// What the reader shows of a message from the cache (messages in parts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The whole message, or one made of its header and display part.
    pub raw: Vec<u8>,
    /// The message's parts, when the structure was fetched.
    pub structure: Option<Structure>,
    /// `raw` is the whole message (the raw source, every attachment inside).
    pub whole: bool,
    /// The display part is only its start: its section and whole (transferred) size.
    pub cut: Option<(String, u32)>,
}

/// Reads must be local and fast (indexed); the UI calls them from `update`.
pub trait MailSource {
    fn folders(&self) -> SourceResult<Vec<FolderState>>;
    /// Rows in the folder matching the filter.
    fn count(&self, folder: FolderId, filter: Option<&Filter>) -> SourceResult<u32>;
    /// Up to `limit` rows from position `offset` in the sorted, filtered list.
    fn window(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        offset: u32,
        limit: u32,
    ) -> SourceResult<Vec<MessageRow>>;
    /// Position of `uid` in the sorted, filtered list.
    fn index_of(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        uid: u32,
    ) -> SourceResult<Option<u32>>;
    /// The raw message, if cached.
    fn body(&self, folder: FolderId, uid: u32) -> SourceResult<Option<Vec<u8>>>;
    /// What the reader shows: the whole message, or its header and text part.
    fn shown(&self, folder: FolderId, uid: u32, prefer_html: bool) -> SourceResult<Option<Shown>> {
        let _ = prefer_html;
        Ok(self.body(folder, uid)?.map(|raw| Shown {
            raw,
            structure: None,
            whole: true,
            cut: None,
        }))
    }
    /// The message's structure, when fetched (before any text is).
    fn structure(&self, folder: FolderId, uid: u32) -> SourceResult<Option<Structure>> {
        let _ = (folder, uid);
        Ok(None)
    }
    /// A whole part ("1.2"), its transfer encoding undone, if cached.
    fn part(&self, folder: FolderId, uid: u32, section: &str) -> SourceResult<Option<Vec<u8>>> {
        let _ = (folder, uid, section);
        Ok(None)
    }
    /// UIDs of up to `limit` rows from position `offset` in the sorted, filtered list.
    fn uids(
        &self,
        folder: FolderId,
        sort: SortOrder,
        filter: Option<&Filter>,
        offset: u32,
        limit: u32,
    ) -> SourceResult<Vec<u32>>;
    /// UIDs of every cached message of the thread.
    fn thread_uids(&self, folder: FolderId, thread_id: i64) -> SourceResult<Vec<u32>>;
    /// Messages of the thread and how many are unread (what a folded thread's row says).
    fn thread_counts(&self, folder: FolderId, thread_id: i64) -> SourceResult<(u32, u32)> {
        Ok((self.thread_uids(folder, thread_id)?.len() as u32, 0))
    }
    /// User actions still waiting for the server (the status line's "N pending").
    fn pending(&self) -> SourceResult<u32> {
        Ok(0)
    }
    /// Up to `limit` cached messages of every folder matching the search language `query`,
    /// newest first, a message once (README "Searching"). `account` is this cache's account.
    fn search(&self, _query: &Query, _scope: SearchScope<'_>) -> SourceResult<Vec<SourceHit>> {
        Ok(Vec::new())
    }
}

/// What a search runs against besides the query.
#[derive(Debug, Clone, Copy)]
pub struct SearchScope<'a> {
    /// This cache's account, for `account:` terms.
    pub account: &'a str,
    /// `7d` and friends count back from this day.
    pub today: chrono::NaiveDate,
    pub limit: usize,
}

/// A cached message a search found, and its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceHit {
    pub folder: FolderId,
    pub folder_name: String,
    pub row: MessageRow,
}

/// Every account's `MailSource`, by account index (the sidebar's section order). Each
/// account has its own cache; the model reads the one of the folder it shows. A single
/// `MailSource` is the one-account case.
pub trait Sources {
    /// How many accounts there are.
    fn accounts(&self) -> usize;
    /// The cache of account `index`, if there is one.
    fn account(&self, index: usize) -> Option<&dyn MailSource>;
}

impl<T: MailSource> Sources for T {
    fn accounts(&self) -> usize {
        1
    }

    fn account(&self, index: usize) -> Option<&dyn MailSource> {
        (index == 0).then_some(self as &dyn MailSource)
    }
}

/// Several accounts' sources, in sidebar order.
pub struct AccountSources<'a>(pub Vec<&'a dyn MailSource>);

impl Sources for AccountSources<'_> {
    fn accounts(&self) -> usize {
        self.0.len()
    }

    fn account(&self, index: usize) -> Option<&dyn MailSource> {
        self.0.get(index).copied()
    }
}

/// A source whose every read fails with `reason`: an account whose cache could not be
/// opened still gets its section, and says why.
pub struct FailedSource(pub std::borrow::Cow<'static, str>);

impl MailSource for FailedSource {
    fn folders(&self) -> SourceResult<Vec<FolderState>> {
        Err(SourceError(self.0.to_string()))
    }

    fn count(&self, _: FolderId, _: Option<&Filter>) -> SourceResult<u32> {
        Err(SourceError(self.0.to_string()))
    }

    fn window(
        &self,
        _: FolderId,
        _: SortOrder,
        _: Option<&Filter>,
        _: u32,
        _: u32,
    ) -> SourceResult<Vec<MessageRow>> {
        Err(SourceError(self.0.to_string()))
    }

    fn index_of(
        &self,
        _: FolderId,
        _: SortOrder,
        _: Option<&Filter>,
        _: u32,
    ) -> SourceResult<Option<u32>> {
        Err(SourceError(self.0.to_string()))
    }

    fn body(&self, _: FolderId, _: u32) -> SourceResult<Option<Vec<u8>>> {
        Err(SourceError(self.0.to_string()))
    }

    fn uids(
        &self,
        _: FolderId,
        _: SortOrder,
        _: Option<&Filter>,
        _: u32,
        _: u32,
    ) -> SourceResult<Vec<u32>> {
        Err(SourceError(self.0.to_string()))
    }

    fn thread_uids(&self, _: FolderId, _: i64) -> SourceResult<Vec<u32>> {
        Err(SourceError(self.0.to_string()))
    }

    fn search(&self, _: &Query, _: SearchScope<'_>) -> SourceResult<Vec<SourceHit>> {
        Err(SourceError(self.0.to_string()))
    }
}

/// The local list filter typed after `/`: `~N` (or `~U`) unread, `~F` flagged, like mutt;
/// the other words must all appear in the sender or subject (case-insensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    /// Words as typed; each must appear (ignoring case) in the from name/address or subject.
    pub text: String,
    pub unread_only: bool,
    pub flagged_only: bool,
    /// Folded threads (`z`): not typed, set by the list from its folds.
    pub folds: super::fold::Folds,
}

impl Filter {
    /// `None` when the input filters nothing.
    pub fn parse(input: &str) -> Option<Filter> {
        let mut filter = Filter::default();
        let mut words = Vec::new();
        for word in input.split_whitespace() {
            match word {
                "~N" | "~n" | "~U" | "~u" => filter.unread_only = true,
                "~F" | "~f" => filter.flagged_only = true,
                w => words.push(w),
            }
        }
        filter.text = words.join(" ");
        (!filter.is_empty()).then_some(filter)
    }

    /// Back to the input form (`~N ~F words`), to edit it again or show it.
    pub fn to_input(&self) -> String {
        let mut parts = Vec::new();
        if self.unread_only {
            parts.push("~N");
        }
        if self.flagged_only {
            parts.push("~F");
        }
        if !self.text.is_empty() {
            parts.push(&self.text);
        }
        parts.join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && !self.unread_only && !self.flagged_only && self.folds.is_empty()
    }

    /// The store's rule (`store::filter`) on one row held in memory (a search result): every
    /// word in sender name, address or subject, case folded for ASCII only, as SQLite's LIKE.
    pub fn matches(&self, row: &MessageRow) -> bool {
        if self.unread_only && row.flags.seen() {
            return false;
        }
        if self.flagged_only && !row.flags.flagged() {
            return false;
        }
        let fields = [
            row.from_name.as_deref().unwrap_or(""),
            row.from_addr.as_deref().unwrap_or(""),
            row.subject.as_str(),
        ]
        .map(str::to_ascii_lowercase);
        self.text
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .all(|word| fields.iter().any(|field| field.contains(&word)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags_and_words() {
        assert_eq!(Filter::parse("  "), None);
        let f = Filter::parse("~N Ada  ~F").unwrap();
        assert!(f.unread_only && f.flagged_only);
        assert_eq!(f.text, "Ada");
        assert_eq!(f.to_input(), "~N ~F Ada");
    }
}
