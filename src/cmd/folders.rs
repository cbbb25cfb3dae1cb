//! `tern folders`: every folder with its role (announced by the server, or recognised by its
//! usual name) and counts.

use serde::Serialize;

use crate::config::AccountConfig;
use crate::connect::{self, ConnectError};
use crate::imap::{ErrorKind, FolderRoles, ImapClient, ImapError, ListEntry, Role, discard};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FolderRow {
    pub name: String,
    pub role: Option<String>,
    /// The role was recognised by the folder's name; the server announced none.
    pub role_by_name: bool,
    pub messages: Option<u32>,
    pub unseen: Option<u32>,
    /// Subscribed on the server (true for all when the server reports no subscriptions).
    pub subscribed: bool,
    /// Bytes of this folder's bodies and parts in the cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_bytes: Option<u64>,
    /// The account's body-cache limit (`[cache] body_limit`), for scripts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_limit: Option<u64>,
}

/// `all`: the unsubscribed folders too (INBOX and role folders are always shown).
pub async fn run(account: &AccountConfig, json: bool, all: bool) -> Result<String, ConnectError> {
    Ok(render(&run_rows(account, all).await?, json))
}

/// The folder rows from the server (`all`: the unsubscribed ones too).
pub async fn run_rows(account: &AccountConfig, all: bool) -> Result<Vec<FolderRow>, ConnectError> {
    let mut client = connect::connect(account).await?;
    let mut rows = fetch(&mut client).await.map_err(ConnectError::Imap)?;
    if !all {
        rows.retain(shown_by_default);
    }
    // A failed LOGOUT changes nothing for the user.
    let _ = client.logout().await;
    Ok(rows)
}

pub fn render(rows: &[FolderRow], json: bool) -> String {
    if json {
        format!("{}\n", to_json(rows))
    } else {
        to_table(rows)
    }
}

/// Without `--all`: subscribed folders, INBOX and role folders.
pub fn shown_by_default(row: &FolderRow) -> bool {
    row.subscribed || row.role.is_some() || row.name.eq_ignore_ascii_case("INBOX")
}

/// Adds what the cache holds of each folder and the limit, and says the total under the
/// table (the JSON stays a list of folders: each row carries its bytes and the limit).
pub fn render_with_cache(
    rows: &mut [FolderRow],
    reader: &crate::store::Reader,
    limit: u64,
    json: bool,
) -> Result<String, crate::store::StoreError> {
    let by_folder = reader.cache_bytes_by_folder()?;
    for row in rows.iter_mut() {
        row.cache_bytes = Some(by_folder.get(&row.name).copied().unwrap_or(0));
        row.cache_limit = Some(limit);
    }
    let mut out = render(rows, json);
    if !json {
        let used = reader.cache_bytes()?;
        out.push_str(&format!(
            "cache: {} of {} for message bodies and parts ([cache] body_limit)\n",
            crate::domain::units::bytes(used),
            crate::domain::units::bytes(limit)
        ));
    }
    Ok(out)
}

/// The folder list as the cache last saw it, in the same order as online.
pub fn from_cache(
    reader: &crate::store::Reader,
) -> Result<Vec<FolderRow>, crate::store::StoreError> {
    let mut folders = reader.folders()?;
    let rank = |role: Option<&str>| role.and_then(Role::parse).map_or(u8::MAX, role_rank);
    folders.sort_by(|a, b| {
        rank(a.role.as_deref())
            .cmp(&rank(b.role.as_deref()))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(folders
        .into_iter()
        .map(|f| FolderRow {
            // A `\Noselect` parent has no counts, as online.
            messages: f.selectable.then_some(f.messages),
            unseen: f.selectable.then_some(f.unseen),
            subscribed: f.subscribed,
            name: f.name,
            role: f.role,
            // The cache keeps the role, not where it came from.
            role_by_name: false,
            cache_bytes: None,
            cache_limit: None,
        })
        .collect())
}

pub async fn fetch(client: &mut ImapClient) -> Result<Vec<FolderRow>, ImapError> {
    let mut entries = client.list(&mut discard()).await?;
    let subscribed = client.subscriptions().await?;
    let roles = FolderRoles::new(&entries);
    sort_folders(&mut entries, &roles);
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        let (messages, unseen) = if entry.selectable() {
            match client.status(&entry.name, &mut discard()).await {
                Ok(status) => (status.messages, status.unseen),
                // Refused (e.g. deleted by another client since LIST): listed, no counts.
                Err(e) if matches!(e.kind, ErrorKind::Command | ErrorKind::Protocol) => {
                    (None, None)
                }
                Err(e) => return Err(e),
            }
        } else {
            (None, None)
        };
        let assigned = roles.get(&entry.name);
        rows.push(FolderRow {
            role: assigned.map(|a| a.role.as_str().to_string()),
            role_by_name: assigned.is_some_and(|a| a.by_name),
            subscribed: subscribed.as_ref().is_none_or(|s| s.contains(&entry.name)),
            name: entry.name,
            messages,
            unseen,
            cache_bytes: None,
            cache_limit: None,
        });
    }
    Ok(rows)
}

/// INBOX first, then folders with a role in a fixed order, then the rest by name.
pub fn sort_folders(entries: &mut [ListEntry], roles: &FolderRoles) {
    entries.sort_by(|a, b| {
        let rank = |e: &ListEntry| roles.role(&e.name).map_or(u8::MAX, role_rank);
        rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name))
    });
}

fn role_rank(role: Role) -> u8 {
    match role {
        Role::Inbox => 0,
        Role::Drafts => 1,
        Role::Sent => 2,
        Role::Archive => 3,
        Role::Junk => 4,
        Role::Trash => 5,
        Role::All => 6,
        Role::Flagged => 7,
    }
}

pub fn to_json(rows: &[FolderRow]) -> String {
    crate::domain::text::json_safe(
        &serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".to_string()),
    )
}

fn role_text(row: &FolderRow) -> String {
    match (&row.role, row.role_by_name) {
        (Some(role), true) => format!("{role} (by name)"),
        (Some(role), false) => role.clone(),
        (None, _) => "-".to_string(),
    }
}

pub fn to_table(rows: &[FolderRow]) -> String {
    let width = rows
        .iter()
        .map(|r| crate::domain::text::display_width(&crate::domain::text::sanitize(&r.name)))
        .max()
        .unwrap_or(6)
        .max(6);
    let role_width = rows
        .iter()
        .map(|r| role_text(r).len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = format!(
        "{:<width$}  {:<role_width$}  {:>8}  {:>8}\n",
        "FOLDER", "ROLE", "MESSAGES", "UNSEEN"
    );
    for row in rows {
        let name = crate::domain::text::sanitize(&row.name);
        let pad = width.saturating_sub(crate::domain::text::display_width(&name));
        out.push_str(&format!(
            "{name}{:pad$}  {:<role_width$}  {:>8}  {:>8}\n",
            "",
            role_text(row),
            row.messages.map_or("-".to_string(), |n| n.to_string()),
            row.unseen.map_or("-".to_string(), |n| n.to_string()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, attrs: &[&str]) -> ListEntry {
        ListEntry {
            name: name.into(),
            wire_name: name.as_bytes().to_vec(),
            delimiter: Some('/'),
            attributes: attrs.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn special_use_folders_come_first() {
        let mut entries = vec![
            entry("Lists", &[]),
            entry("Trash", &["\\Trash"]),
            entry("INBOX", &[]),
            entry("Sent", &["\\Sent"]),
        ];
        let roles = FolderRoles::new(&entries);
        sort_folders(&mut entries, &roles);
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["INBOX", "Sent", "Trash", "Lists"]);
    }

    #[test]
    fn json_has_the_documented_fields() {
        let rows = vec![FolderRow {
            name: "INBOX".into(),
            role: Some("inbox".into()),
            role_by_name: false,
            messages: Some(3),
            unseen: Some(1),
            subscribed: true,
            cache_bytes: None,
            cache_limit: None,
        }];
        let value: serde_json::Value = serde_json::from_str(&to_json(&rows)).unwrap();
        assert_eq!(value[0]["name"], "INBOX");
        assert_eq!(value[0]["role"], "inbox");
        assert_eq!(value[0]["messages"], 3);
        assert_eq!(value[0]["unseen"], 1);
        assert_eq!(value[0]["role_by_name"], false);
        assert_eq!(value[0]["subscribed"], true);
    }

    #[test]
    fn roles_recognised_by_name_are_marked_in_the_table() {
        let rows = vec![FolderRow {
            name: "INBOX.Trash".into(),
            role: Some("trash".into()),
            role_by_name: true,
            messages: Some(0),
            unseen: Some(0),
            subscribed: false,
            cache_bytes: None,
            cache_limit: None,
        }];
        let table = to_table(&rows);
        assert!(table.contains("trash (by name)"), "{table}");
        // A role folder is listed whether subscribed or not.
        assert!(shown_by_default(&rows[0]));
    }

    #[test]
    fn table_strips_control_characters_from_names() {
        let rows = vec![FolderRow {
            name: "evil\x1b[31mred".into(),
            role: None,
            role_by_name: false,
            messages: Some(1),
            unseen: Some(0),
            subscribed: false,
            cache_bytes: None,
            cache_limit: None,
        }];
        assert!(!to_table(&rows).contains('\x1b'));
    }
}
