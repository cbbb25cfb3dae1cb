//! `tern search QUERY`: the search language over every folder of every account (or the one
//! `--account` names). The cache answers first; the server is asked for the folders the
//! cache does not fully hold, or for every folder with `--server`.

use std::path::Path;

use serde::Serialize;

use super::list::{rfc3339, to_listed};
use crate::config::AccountConfig;
use crate::domain::message::MessageRow;
use crate::domain::query::Query;
use crate::domain::query::hits::{HitView, newest_once};
use crate::domain::text::{display_width, sanitize};
use crate::store::SearchScope;
use crate::sync::search::{Reach, ServerQuery, search_server};

/// One result line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub account: String,
    pub folder: String,
    pub row: MessageRow,
    /// False: found by the server, headers fetched for this list, not in the cache yet.
    pub cached: bool,
    /// Gmail's X-GM-MSGID, for the server's hits on Gmail.
    pub gmail_id: Option<u64>,
}

pub struct Search<'a> {
    pub query: &'a Query,
    pub limit: usize,
    /// Ask the server in every folder, not only those the cache lacks.
    pub server: bool,
}

/// Results newest first, a message once; the notes (offline accounts, skipped folders) are
/// for stderr.
pub async fn run(
    accounts: &[&AccountConfig],
    cache_dir: Option<&Path>,
    search: &Search<'_>,
) -> anyhow::Result<(Vec<Found>, Vec<String>)> {
    let today = chrono::Local::now().date_naive();
    let mut found = Vec::new();
    let mut notes = Vec::new();
    for account in accounts {
        let store = super::open_store(cache_dir, account)?;
        let scope = SearchScope {
            account: &account.name,
            today,
            limit: search.limit,
        };
        let local = store.reader()?.search(search.query, scope)?;
        found.extend(local.into_iter().map(|hit| Found {
            account: account.name.clone(),
            folder: hit.folder_name,
            row: hit.row,
            cached: true,
            gmail_id: None,
        }));
        let reach = if search.server {
            Reach::Everywhere
        } else {
            Reach::Uncached
        };
        if reach == Reach::Uncached && crate::sync::search::cache_holds_everything(&store)? {
            continue;
        }
        let mut client = match crate::connect::connect(account).await {
            Ok(client) => client,
            Err(err) if err.is_transient() => {
                notes.push(format!(
                    "{}: offline ({err}); searched the cache only",
                    account.name
                ));
                continue;
            }
            Err(err) => return Err(err.into()),
        };
        let ask = ServerQuery {
            query: search.query,
            account: &account.name,
            today,
            reach,
            limit: search.limit,
        };
        let results = search_server(&mut client, &store, &ask).await;
        // A failed LOGOUT changes nothing for the user.
        let _ = client.logout().await;
        let results = results?;
        for (folder, reason) in results.skipped {
            notes.push(format!("{}: {folder} not searched: {reason}", account.name));
        }
        found.extend(results.hits.into_iter().map(|hit| Found {
            account: account.name.clone(),
            folder: hit.folder,
            row: hit.row,
            cached: hit.cached,
            gmail_id: hit.gmail_id,
        }));
    }
    Ok((merge(found, search.limit), notes))
}

/// Newest first; the same message once, the cached copy preferred.
fn merge(mut found: Vec<Found>, limit: usize) -> Vec<Found> {
    newest_once(&mut found, limit, |f| HitView {
        row: &f.row,
        cached: f.cached,
        place: (f.account.clone(), &f.folder),
        gmail_id: f.gmail_id,
    });
    found
}

#[derive(Serialize)]
struct FoundJson<'a> {
    account: &'a str,
    folder: String,
    uid: u32,
    date: String,
    from: String,
    subject: String,
    flags: Vec<String>,
    size: u32,
    cached: bool,
}

pub fn to_json(found: &[Found]) -> String {
    let rows: Vec<FoundJson<'_>> = found
        .iter()
        .map(|f| {
            let listed = to_listed(&f.row);
            FoundJson {
                account: &f.account,
                folder: sanitize(&f.folder),
                uid: f.row.uid,
                date: listed.date,
                from: listed.from,
                subject: listed.subject,
                flags: listed.flags,
                size: listed.size,
                cached: f.cached,
            }
        })
        .collect();
    crate::domain::text::json_safe(
        &serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_string()),
    )
}

/// `account/folder  UID  marks date  from  subject`; `+` marks a hit not in the cache yet.
pub fn to_text(found: &[Found], many_accounts: bool) -> String {
    let places: Vec<String> = found
        .iter()
        .map(|f| {
            let folder = sanitize(&f.folder);
            if many_accounts {
                format!("{}/{folder}", f.account)
            } else {
                folder
            }
        })
        .collect();
    let width = places.iter().map(|p| display_width(p)).max().unwrap_or(0);
    let mut out = String::new();
    for (f, place) in found.iter().zip(&places) {
        let listed = to_listed(&f.row);
        let pad = width.saturating_sub(display_width(place));
        let date = rfc3339(f.row.date);
        out.push_str(&format!(
            "{place}{:pad$} {:>7} {}{}{} {} {}  {}\n",
            "",
            f.row.uid,
            if f.row.flags.seen() { ' ' } else { 'N' },
            if f.row.flags.flagged() { '*' } else { ' ' },
            if f.cached { ' ' } else { '+' },
            &date[..16.min(date.len())].replace('T', " "),
            listed.from,
            listed.subject
        ));
    }
    out
}
