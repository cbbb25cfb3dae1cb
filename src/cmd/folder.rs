//! `tern folder create|rename|delete|subscribe|unsubscribe`: changes to the folder list.
//! These need the server: offline, nothing is queued and nothing is changed.

use anyhow::{Context, bail};

use crate::config::{AccountConfig, Filing};
use crate::connect;
use crate::imap::{FolderRoles, ImapClient, ListEntry, discard};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderOp {
    Create {
        name: String,
    },
    Rename {
        old: String,
        new: String,
    },
    Delete {
        name: String,
        /// Delete even when it holds messages.
        yes: bool,
        /// Delete even a folder with a role (trash, sent...).
        force: bool,
    },
    Subscribe {
        name: String,
    },
    Unsubscribe {
        name: String,
    },
}

pub async fn run(account: &AccountConfig, store: &Store, op: FolderOp) -> anyhow::Result<String> {
    let mut client = match connect::connect(account).await {
        Ok(client) => client,
        Err(err) if err.is_transient() => {
            bail!("folder operations need the server; nothing was changed ({err})")
        }
        Err(err) => return Err(err.into()),
    };
    let result = apply(&mut client, store, &account.filing, op).await;
    // A failed LOGOUT changes nothing for the user.
    let _ = client.logout().await;
    result
}

async fn apply(
    client: &mut ImapClient,
    store: &Store,
    filing: &Filing,
    op: FolderOp,
) -> anyhow::Result<String> {
    match op {
        FolderOp::Create { name } => {
            client.create(&name, &mut discard()).await?;
            Ok(format!("created {name}\n"))
        }
        FolderOp::Subscribe { name } => {
            client.subscribe(&name, &mut discard()).await?;
            Ok(format!("subscribed to {name}\n"))
        }
        FolderOp::Unsubscribe { name } => {
            client.unsubscribe(&name, &mut discard()).await?;
            Ok(format!("unsubscribed from {name}\n"))
        }
        FolderOp::Delete { name, yes, force } => {
            delete(client, store, filing, &name, yes, force).await
        }
        FolderOp::Rename { old, new } => rename(client, store, &old, &new).await,
    }
}

/// The server's entry for `name` (INBOX in any case), or a clear error.
async fn find(client: &mut ImapClient, name: &str) -> anyhow::Result<(ListEntry, FolderRoles)> {
    let entries = client.list(&mut discard()).await?;
    let roles = FolderRoles::new(&entries);
    let entry = entries
        .into_iter()
        .find(|e| same_name(&e.name, name))
        .with_context(|| format!("no folder {name} on the server (see `tern folders`)"))?;
    Ok((entry, roles))
}

fn same_name(a: &str, b: &str) -> bool {
    a == b || (a.eq_ignore_ascii_case("INBOX") && b.eq_ignore_ascii_case("INBOX"))
}

async fn delete(
    client: &mut ImapClient,
    store: &Store,
    filing: &Filing,
    name: &str,
    yes: bool,
    force: bool,
) -> anyhow::Result<String> {
    let (entry, roles) = find(client, name).await?;
    let cached = store.reader()?.folder(&entry.name)?;
    let role = roles
        .role(&entry.name)
        .map(|r| r.as_str().to_string())
        .or_else(|| cached.as_ref().and_then(|f| f.role.clone()))
        .or_else(|| configured_role(filing, &entry.name).map(str::to_string));
    if let Some(role) = role
        && !force
    {
        bail!("{name} is the {role} folder; give --force to delete it anyway");
    }
    if entry.selectable() && !yes {
        let status = client.status(&entry.name, &mut discard()).await?;
        let messages = status
            .messages
            .or_else(|| cached.as_ref().map(|f| f.messages))
            .unwrap_or(0);
        if messages > 0 {
            bail!("{name} holds {messages} message(s); give --yes to delete them with it");
        }
    }
    client.delete(&entry.name, &mut discard()).await?;
    let cache_name = entry.name.clone();
    let dropped = store
        .write_async(move |tx| {
            let dropped = tx.drop_folder_actions(&cache_name)?;
            tx.delete_folder(&cache_name)?;
            Ok(dropped)
        })
        .await
        .context("deleted on the server, but the cache could not follow; run `tern sync`")?;
    Ok(format!(
        "deleted {name}; {dropped} waiting action(s) on it dropped\n"
    ))
}

/// The role the config gives the folder (`trash = "..."` and the like).
fn configured_role(filing: &Filing, name: &str) -> Option<&'static str> {
    [
        ("trash", &filing.trash),
        ("archive", &filing.archive),
        ("junk", &filing.junk),
    ]
    .into_iter()
    .find(|(_, folder)| folder.as_deref() == Some(name))
    .map(|(role, _)| role)
}

async fn rename(
    client: &mut ImapClient,
    store: &Store,
    old: &str,
    new: &str,
) -> anyhow::Result<String> {
    let (entry, _) = find(client, old).await?;
    client.rename(&entry.name, new, &mut discard()).await?;
    let (from, to, delimiter) = (entry.name.clone(), new.to_string(), entry.delimiter);
    store
        .write_async(move |tx| tx.rename_folder(&from, &to, delimiter))
        .await
        .context("renamed on the server, but the cache could not follow; run `tern sync`")?;
    check_uidvalidity(client, store, new, entry.delimiter).await?;
    Ok(format!("renamed {old} to {new}\n"))
}

/// The cache kept the renamed folders' messages; a server that gave a folder a new
/// UIDVALIDITY in the rename makes those UIDs meaningless, so that folder starts over.
async fn check_uidvalidity(
    client: &mut ImapClient,
    store: &Store,
    new: &str,
    delimiter: Option<char>,
) -> anyhow::Result<()> {
    let prefix = delimiter.map(|d| format!("{new}{d}"));
    let renamed: Vec<_> = store
        .reader()?
        .folders()?
        .into_iter()
        .filter(|f| f.name == new || prefix.as_ref().is_some_and(|p| f.name.starts_with(p)))
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
}
