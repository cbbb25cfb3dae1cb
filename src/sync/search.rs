//! Search through the server: the query as UID SEARCH in each folder it may match, and the
//! headers of hits the cache does not hold fetched for the result list (not stored: the
//! folder's own sync fills the cache, in order). On Gmail (X-GM-EXT-1) the query goes in
//! Gmail's own language (X-GM-RAW) and each hit carries its X-GM-MSGID, so that a mail in
//! several labels is listed once.

use chrono::NaiveDate;

use super::apply::RawMessage;
use super::error::Result;
use super::folder::header_items;
use crate::bus::{EngineEvent, ErrorKind, EventSender, OpId, ServerFound};
use crate::domain::message::{MessageRow, NewMessage};
use crate::domain::query::{Query, Term};
use crate::domain::uidset::UidSet;
use crate::imap::gmail::{self, raw_search_line};
use crate::imap::search::{ServerSearch, server_search};
use crate::imap::{ImapClient, Update};
use crate::store::Store;

/// Which folders to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every folder: for what only the server can see (bodies not cached).
    Everywhere,
    /// Folders the cache does not fully hold (never synced, or a first sync cut short).
    Uncached,
}

/// A message the server found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHit {
    pub folder: String,
    pub row: MessageRow,
    /// The row comes from the cache; otherwise its headers were fetched just now.
    pub cached: bool,
    /// Gmail's X-GM-MSGID (X-GM-EXT-1 servers only).
    pub gmail_id: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerResults {
    pub hits: Vec<ServerHit>,
    /// Folders that could not be searched, with the reason.
    pub skipped: Vec<(String, String)>,
    pub asked: usize,
}

pub struct ServerQuery<'a> {
    pub query: &'a Query,
    pub account: &'a str,
    pub today: NaiveDate,
    pub reach: Reach,
    /// Uncached hits fetched per folder, newest first.
    pub limit: usize,
}

pub async fn search_server(
    client: &mut ImapClient,
    store: &Store,
    ask: &ServerQuery<'_>,
) -> Result<ServerResults> {
    let mut results = ServerResults::default();
    let on_gmail = client.has_capability(gmail::CAPABILITY);
    for folder in folders_to_ask(client, store, ask.reach).await? {
        let scope = |term: &Term| match term {
            Term::Folder(name) => Some(name.eq_ignore_ascii_case(&folder)),
            Term::Account(name) => Some(name.eq_ignore_ascii_case(ask.account)),
            _ => None,
        };
        let criteria = match server_search(ask.query, ask.today, &scope) {
            Ok(ServerSearch::Nothing) => continue,
            Ok(ServerSearch::Key { key, utf8 }) => {
                match on_gmail
                    .then(|| raw_search_line(ask.query, ask.today, &scope))
                    .flatten()
                {
                    Some(line) => Criteria::Line(line),
                    None => Criteria::Key { key, utf8 },
                }
            }
            Err(e) => {
                results.skipped.push((folder, e.to_string()));
                continue;
            }
        };
        results.asked += 1;
        let found = search_folder(client, store, &folder, criteria, ask.limit).await;
        let found = match found {
            Ok(hits) if on_gmail => with_gmail_ids(client, hits).await,
            found => found,
        };
        match found {
            Ok(hits) => results.hits.extend(hits),
            // A folder the server refuses (gone, no rights) is named; the others go on.
            Err(e) if !e.is_transient() => results.skipped.push((folder, e.to_string())),
            Err(e) => return Err(e),
        }
    }
    Ok(results)
}

async fn folders_to_ask(
    client: &mut ImapClient,
    store: &Store,
    reach: Reach,
) -> Result<Vec<String>> {
    let cached = store.reader()?.folders()?;
    if cached.is_empty() {
        let listed = client.list(&mut |_| {}).await?;
        return Ok(listed
            .into_iter()
            .filter(|entry| entry.selectable())
            .map(|entry| entry.name)
            .collect());
    }
    Ok(cached
        .into_iter()
        .filter(|f| f.selectable)
        .filter(|f| reach == Reach::Everywhere || f.uidvalidity.is_none() || !f.complete)
        .map(|f| f.name)
        .collect())
}

/// How one folder is asked.
enum Criteria {
    Key {
        key: imap_codec::imap_types::search::SearchKey<'static>,
        utf8: bool,
    },
    /// A whole `UID SEARCH` line the codec cannot build (X-GM-RAW).
    Line(String),
}

async fn search_folder(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    criteria: Criteria,
    limit: usize,
) -> Result<Vec<ServerHit>> {
    let info = client.select(folder, true, None, &mut |_| {}).await?;
    let uids = match criteria {
        Criteria::Key { key, utf8 } => {
            client
                .uid_search_key(ServerSearch::criteria(key), utf8, &mut |_| {})
                .await?
        }
        Criteria::Line(line) => client.uid_search_line(&line, &mut |_| {}).await?,
    };
    let reader = store.reader()?;
    let state = reader.folder(folder)?;
    let mut hits = Vec::new();
    let mut missing = Vec::new();
    for uid in uids {
        let cached = match &state {
            Some(state)
                if state.uidvalidity.is_some() && state.uidvalidity == info.uid_validity =>
            {
                reader.message(state.id, uid)?
            }
            _ => None,
        };
        match cached {
            Some(row) => hits.push(ServerHit {
                folder: folder.to_string(),
                row,
                cached: true,
                gmail_id: None,
            }),
            None => missing.push(uid),
        }
    }
    drop(reader);
    missing.sort_unstable_by(|a, b| b.cmp(a));
    missing.truncate(limit);
    if missing.is_empty() {
        return Ok(hits);
    }
    let set: UidSet = missing.iter().copied().collect();
    let mut fetched = Vec::new();
    client
        .uid_fetch(&set.to_string(), &header_items(), None, &mut |u| {
            if let Update::Fetch(fetch) = u
                && let Some(raw) = RawMessage::from_fetch(*fetch)
            {
                fetched.push(raw);
            }
        })
        .await?;
    let uidvalidity = info.uid_validity.unwrap_or(0);
    hits.extend(fetched.into_iter().map(|raw| ServerHit {
        folder: folder.to_string(),
        row: row_of(raw.parse(), uidvalidity),
        cached: false,
        gmail_id: None,
    }));
    Ok(hits)
}

/// The hits of the folder still selected, each with its X-GM-MSGID where the server
/// gives one (without, it is told apart by Message-ID as elsewhere). A refused FETCH
/// keeps the hits: they are found either way.
async fn with_gmail_ids(
    client: &mut ImapClient,
    mut hits: Vec<ServerHit>,
) -> Result<Vec<ServerHit>> {
    let uids: UidSet = hits.iter().map(|hit| hit.row.uid).collect();
    let ids = match client.uid_fetch_gmail_ids(&uids, &mut |_| {}).await {
        Ok(ids) => ids,
        Err(e) if !e.kind.is_transient() => {
            tracing::warn!("X-GM-MSGID refused, hits told apart by Message-ID: {e}");
            return Ok(hits);
        }
        Err(e) => return Err(e.into()),
    };
    let ids: std::collections::HashMap<u32, u64> =
        ids.into_iter().map(|id| (id.uid, id.msgid)).collect();
    for hit in &mut hits {
        hit.gmail_id = ids.get(&hit.row.uid).copied();
    }
    Ok(hits)
}

/// A fetched message as a list row (unthreaded: threads are the cache's work).
fn row_of(message: NewMessage, uidvalidity: u32) -> MessageRow {
    let h = message.headers;
    MessageRow {
        uid: message.uid,
        uidvalidity,
        date: h.date.or(message.internal_date).unwrap_or(0),
        from_name: h.from_name,
        from_addr: h.from_addr,
        to: h.to,
        cc: h.cc,
        subject: h.subject,
        message_id: h.message_id,
        in_reply_to: h.in_reply_to,
        references: h.references,
        flags: message.flags,
        size: message.size.unwrap_or(0),
        modseq: message.modseq,
        has_attachment: h.has_attachment,
        thread_id: 0,
        depth: 0,
    }
}

/// Every folder is in the cache, whole: the cache alone answers (no connection needed).
pub fn cache_holds_everything(store: &Store) -> Result<bool> {
    let folders = store.reader()?.folders()?;
    Ok(!folders.is_empty()
        && folders
            .iter()
            .filter(|f| f.selectable)
            .all(|f| f.uidvalidity.is_some() && f.complete))
}

/// Hits the server returns per folder for the TUI's result list, newest first.
const ANSWER_LIMIT: usize = 200;

/// `EngineCommand::Search`: the folders the cache does not fully hold, searched on the
/// server; the answer is `SearchFound` (or `OpFailed`). A lost connection is answered too,
/// then returned so the session reconnects.
pub(super) async fn answer(
    client: &mut ImapClient,
    store: &Store,
    events: &EventSender,
    op: OpId,
    account: &str,
    text: &str,
) -> Result<()> {
    let query = match crate::domain::query::parse(text) {
        Ok(query) => query,
        Err(e) => {
            let message = format!("search: {e}");
            let _ = events.send(EngineEvent::OpFailed {
                op,
                kind: ErrorKind::Refused,
                message,
            });
            return Ok(());
        }
    };
    if cache_holds_everything(store)? {
        let found = EngineEvent::SearchFound {
            op,
            hits: Vec::new(),
            skipped: Vec::new(),
        };
        let _ = events.send(found);
        return Ok(());
    }
    let ask = ServerQuery {
        query: &query,
        account,
        today: chrono::Local::now().date_naive(),
        reach: Reach::Uncached,
        limit: ANSWER_LIMIT,
    };
    match search_server(client, store, &ask).await {
        Ok(results) => {
            let hits = results
                .hits
                .into_iter()
                .map(|hit| ServerFound {
                    folder: hit.folder,
                    row: hit.row,
                    cached: hit.cached,
                    gmail_id: hit.gmail_id,
                })
                .collect();
            let skipped = results
                .skipped
                .into_iter()
                .map(|(folder, why)| format!("{folder}: {why}"))
                .collect();
            let _ = events.send(EngineEvent::SearchFound { op, hits, skipped });
            Ok(())
        }
        Err(err) => {
            let _ = events.send(EngineEvent::OpFailed {
                op,
                kind: super::kind::error_kind(&err),
                message: format!("server search: {err}"),
            });
            if err.is_transient() { Err(err) } else { Ok(()) }
        }
    }
}
