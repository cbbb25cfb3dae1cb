//! Changes to an account's folder list on the server (create, rename, delete, subscribe),
//! with the cache following. Shared by `tern folder` and the engine (for the TUI). Never
//! queued: these need the server, so offline they are refused and nothing changes.

use super::error::SyncError;
use super::kind::error_kind;
use crate::bus::{EngineEvent, EventSender, FolderAction, OpId};
use crate::config::Filing;
use crate::imap::{FolderRoles, ImapClient, ListEntry, discard};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum FolderOpError {
    /// tern said no before changing anything (a role folder, messages, an unknown name).
    #[error("{0}")]
    Refused(String),
    /// The server refused, or the link or the cache failed.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The server did it; the cache could not follow.
    #[error("{done} on the server, but the cache could not follow ({source}); run `tern sync`")]
    CacheBehind { done: String, source: SyncError },
}

impl From<crate::imap::ImapError> for FolderOpError {
    fn from(err: crate::imap::ImapError) -> Self {
        Self::Sync(err.into())
    }
}

impl From<crate::store::StoreError> for FolderOpError {
    fn from(err: crate::store::StoreError) -> Self {
        Self::Sync(err.into())
    }
}

impl FolderOpError {
    /// Whether the link failed: the engine reconnects, and the operation may or may not
    /// have reached the server.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Sync(err) if err.is_transient())
    }

    fn kind(&self) -> crate::bus::ErrorKind {
        match self {
            Self::Refused(_) => crate::bus::ErrorKind::Refused,
            Self::Sync(err) => error_kind(err),
            Self::CacheBehind { .. } => crate::bus::ErrorKind::Store,
        }
    }
}

/// What the user has agreed to beyond naming the folder.
#[derive(Debug, Clone, Copy, Default)]
pub struct Consent<'a> {
    /// A delete may take the folder's messages with it.
    pub messages: bool,
    /// Roles the config gives folders (`trash = "..."`), on top of the server's.
    pub filing: Option<&'a Filing>,
    /// How the user forces the delete of a role folder ("give --force"), for the refusal.
    pub force_hint: &'a str,
}

type Result<T> = std::result::Result<T, FolderOpError>;

/// Does `action` on the server, then brings the cache's folder list in step. Returns what
/// happened, for the user.
pub async fn apply(
    client: &mut ImapClient,
    store: &Store,
    action: &FolderAction,
    consent: Consent<'_>,
) -> Result<String> {
    let summary = match action {
        FolderAction::Create { name } => create(client, name).await?,
        FolderAction::Subscribe { name } => {
            client.subscribe(name, &mut discard()).await?;
            format!("subscribed to {name}")
        }
        FolderAction::Unsubscribe { name } => {
            client.unsubscribe(name, &mut discard()).await?;
            format!("unsubscribed from {name}")
        }
        FolderAction::Delete { name, force } => {
            delete(client, store, name, *force, consent).await?
        }
        FolderAction::Rename { from, to } => rename(client, store, from, to).await?,
    };
    super::account::sync_folder_list(client, store)
        .await
        .map_err(|source| FolderOpError::CacheBehind {
            done: summary.clone(),
            source,
        })?;
    Ok(summary)
}

/// The engine's side of `EngineCommand::Folder`: does it, answers `op`, and keeps the
/// engine's `selected` folder pointing at a folder that still exists. Only a lost link is
/// returned (after answering), so the session reconnects.
pub(super) async fn answer(
    client: &mut ImapClient,
    store: &Store,
    events: &EventSender,
    op: OpId,
    action: &FolderAction,
    selected: &mut String,
) -> super::error::Result<()> {
    let consent = Consent {
        messages: true,
        filing: None,
        force_hint: "F in the sidebar's delete question",
    };
    // Read before a rename moves the cache row.
    let delimiter = delimiter_of(store, selected);
    match apply(client, store, action, consent).await {
        Ok(summary) => {
            follow(selected, action, delimiter);
            let _ = events.send(EngineEvent::OpDone {
                op,
                summary,
                folders: Vec::new(),
            });
            let _ = events.send(EngineEvent::FoldersChanged);
            Ok(())
        }
        Err(err) => {
            let message = match &err {
                err if err.is_transient() => {
                    format!("{err}; the folder list will show whether it was done")
                }
                err => err.to_string(),
            };
            let kind = err.kind();
            let _ = events.send(EngineEvent::OpFailed { op, kind, message });
            let _ = events.send(EngineEvent::FoldersChanged);
            // A lost link (before or after the server did it) is the session's to retry.
            match err {
                FolderOpError::Sync(err) | FolderOpError::CacheBehind { source: err, .. }
                    if err.is_transient() =>
                {
                    Err(err)
                }
                _ => Ok(()),
            }
        }
    }
}

fn delimiter_of(store: &Store, name: &str) -> Option<char> {
    let reader = store.reader().ok()?;
    reader.folder(name).ok().flatten().and_then(|f| f.delimiter)
}

/// The engine's folder after `action`: renamed along with its parent, INBOX once deleted.
fn follow(selected: &mut String, action: &FolderAction, delimiter: Option<char>) {
    match action {
        FolderAction::Rename { from, to } => {
            if let Some(renamed) = renamed_name(selected, from, to, delimiter) {
                *selected = renamed;
            }
        }
        FolderAction::Delete { name, .. } if *selected == *name => {
            *selected = "INBOX".to_string();
        }
        _ => {}
    }
}

use crate::domain::folder::{renamed as renamed_name, within};

/// CREATE, then SUBSCRIBE: other mail programs (and tern's sidebar) show subscribed folders.
async fn create(client: &mut ImapClient, name: &str) -> Result<String> {
    client.create(name, &mut discard()).await?;
    Ok(match client.subscribe(name, &mut discard()).await {
        Ok(()) => format!("created {name}"),
        Err(err) if err.kind.is_transient() => return Err(err.into()),
        Err(err) => format!("created {name} (not subscribed: {err})"),
    })
}

/// The server's entry for `name` (INBOX in any case), or a clear refusal.
async fn find(client: &mut ImapClient, name: &str) -> Result<(ListEntry, FolderRoles)> {
    let entries = client.list(&mut discard()).await?;
    let roles = FolderRoles::new(&entries);
    let entry = entries
        .into_iter()
        .find(|e| same_name(&e.name, name))
        .ok_or_else(|| {
            FolderOpError::Refused(format!(
                "no folder {name} on the server (see `tern folders`)"
            ))
        })?;
    Ok((entry, roles))
}

fn same_name(a: &str, b: &str) -> bool {
    a == b || (a.eq_ignore_ascii_case("INBOX") && b.eq_ignore_ascii_case("INBOX"))
}

/// A selected folder that is about to be renamed or deleted is left first (EXAMINE INBOX),
/// so the connection never holds a folder that no longer exists.
async fn leave(client: &mut ImapClient, name: &str, delimiter: Option<char>) -> Result<()> {
    let inside = client
        .selected()
        .is_some_and(|(selected, _)| within(selected, name, delimiter));
    if inside && !name.eq_ignore_ascii_case("INBOX") {
        client.select("INBOX", true, None, &mut discard()).await?;
    }
    Ok(())
}

async fn delete(
    client: &mut ImapClient,
    store: &Store,
    name: &str,
    force: bool,
    consent: Consent<'_>,
) -> Result<String> {
    let (entry, roles) = find(client, name).await?;
    if entry.name.eq_ignore_ascii_case("INBOX") {
        return Err(FolderOpError::Refused("INBOX cannot be deleted".into()));
    }
    let cached = store.reader()?.folder(&entry.name)?;
    let role = roles
        .role(&entry.name)
        .map(|r| r.as_str().to_string())
        .or_else(|| cached.as_ref().and_then(|f| f.role.clone()))
        .or_else(|| {
            consent
                .filing
                .and_then(|filing| configured_role(filing, &entry.name))
                .map(str::to_string)
        });
    if let Some(role) = role
        && !force
    {
        return Err(FolderOpError::Refused(format!(
            "{name} is the {role} folder; it is deleted only with {}",
            consent.force_hint
        )));
    }
    if entry.selectable() && !consent.messages {
        let status = client.status(&entry.name, &mut discard()).await?;
        let messages = status
            .messages
            .or_else(|| cached.as_ref().map(|f| f.messages))
            .unwrap_or(0);
        if messages > 0 {
            return Err(FolderOpError::Refused(format!(
                "{name} holds {messages} message(s); give --yes to delete them with it"
            )));
        }
    }
    leave(client, &entry.name, entry.delimiter).await?;
    client.delete(&entry.name, &mut discard()).await?;
    let cache_name = entry.name.clone();
    let dropped = store
        .write_async(move |tx| {
            let dropped = tx.drop_folder_actions(&cache_name)?;
            tx.delete_folder(&cache_name)?;
            Ok(dropped)
        })
        .await
        .map_err(|source| FolderOpError::CacheBehind {
            done: format!("deleted {name}"),
            source: source.into(),
        })?;
    Ok(format!(
        "deleted {name}; {dropped} waiting action(s) on it dropped"
    ))
}

/// The role the config gives the folder (`trash = "..."` and the like).
pub fn configured_role(filing: &Filing, name: &str) -> Option<&'static str> {
    [
        ("trash", &filing.trash),
        ("archive", &filing.archive),
        ("junk", &filing.junk),
    ]
    .into_iter()
    .find(|(_, folder)| folder.as_deref() == Some(name))
    .map(|(role, _)| role)
}

async fn rename(client: &mut ImapClient, store: &Store, old: &str, new: &str) -> Result<String> {
    let (entry, _) = find(client, old).await?;
    leave(client, &entry.name, entry.delimiter).await?;
    client.rename(&entry.name, new, &mut discard()).await?;
    let done = format!("renamed {old} to {new}");
    let (from, to, delimiter) = (entry.name.clone(), new.to_string(), entry.delimiter);
    store
        .write_async(move |tx| tx.rename_folder(&from, &to, delimiter))
        .await
        .map_err(|source| FolderOpError::CacheBehind {
            done: done.clone(),
            source: source.into(),
        })?;
    check_uidvalidity(client, store, new, entry.delimiter).await?;
    // The server keeps a renamed folder's subscription only on some setups: keep it.
    if client.subscribe(new, &mut discard()).await.is_err() {
        tracing::info!("could not subscribe to renamed folder {new}");
    }
    Ok(done)
}

/// The cache kept the renamed folders' messages; a server that gave a folder a new
/// UIDVALIDITY in the rename makes those UIDs meaningless, so that folder starts over.
async fn check_uidvalidity(
    client: &mut ImapClient,
    store: &Store,
    new: &str,
    delimiter: Option<char>,
) -> Result<()> {
    let renamed: Vec<_> = store
        .reader()?
        .folders()?
        .into_iter()
        .filter(|f| within(&f.name, new, delimiter))
        .filter(|f| f.selectable && f.uidvalidity.is_some())
        .collect();
    for folder in renamed {
        let status = client.status(&folder.name, &mut discard()).await?;
        if let Some(now) = status.uid_validity
            && Some(now) != folder.uidvalidity
        {
            let id = folder.id;
            store
                .write_async(move |tx| tx.reset_folder(id, now))
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_the_config_files_into_have_their_role() {
        let filing = Filing {
            trash: Some("Bin".into()),
            junk: Some("INBOX.Spam".into()),
            ..Filing::default()
        };
        assert_eq!(configured_role(&filing, "Bin"), Some("trash"));
        assert_eq!(configured_role(&filing, "INBOX.Spam"), Some("junk"));
        assert_eq!(configured_role(&filing, "Binders"), None);
    }

    #[test]
    fn inbox_matches_in_any_case_other_names_exactly() {
        assert!(same_name("INBOX", "inbox"));
        assert!(same_name("Café", "Café"));
        assert!(!same_name("Work", "work"));
    }

    #[test]
    fn children_follow_a_rename_by_delimiter_only() {
        let dot = Some('.');
        assert_eq!(
            renamed_name("INBOX.Projekte.Ä", "INBOX.Projekte", "INBOX.Arbeit", dot).as_deref(),
            Some("INBOX.Arbeit.Ä")
        );
        assert_eq!(
            renamed_name("INBOX.Projekte", "INBOX.Projekte", "INBOX.Arbeit", dot).as_deref(),
            Some("INBOX.Arbeit")
        );
        assert_eq!(
            renamed_name("INBOX.Projekte2", "INBOX.Projekte", "x", dot),
            None
        );
        assert_eq!(renamed_name("A/b", "A", "B", None), None);
    }

    #[test]
    fn the_engine_follows_its_folder_through_a_rename_or_a_delete() {
        let mut selected = "Work/Alpha".to_string();
        let rename = FolderAction::Rename {
            from: "Work".into(),
            to: "Jobs".into(),
        };
        follow(&mut selected, &rename, Some('/'));
        assert_eq!(selected, "Jobs/Alpha");
        let delete = FolderAction::Delete {
            name: "Jobs/Alpha".into(),
            force: false,
        };
        follow(&mut selected, &delete, Some('/'));
        assert_eq!(selected, "INBOX");
    }
}
