//! `tern folder create|rename|delete|subscribe|unsubscribe`: changes to the folder list.
//! These need the server: offline, nothing is queued and nothing is changed. The work is
//! `sync::folder_ops`, which the TUI's engine shares.

use anyhow::bail;

use crate::bus::FolderAction;
use crate::config::AccountConfig;
use crate::connect;
use crate::store::Store;
use crate::sync::folder_ops::{self, Consent};

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

impl FolderOp {
    /// The engine's action, and whether the user agreed to lose messages.
    fn action(self) -> (FolderAction, bool) {
        match self {
            FolderOp::Create { name } => (FolderAction::Create { name }, false),
            FolderOp::Rename { old, new } => (FolderAction::Rename { from: old, to: new }, false),
            FolderOp::Delete { name, yes, force } => (FolderAction::Delete { name, force }, yes),
            FolderOp::Subscribe { name } => (FolderAction::Subscribe { name }, false),
            FolderOp::Unsubscribe { name } => (FolderAction::Unsubscribe { name }, false),
        }
    }
}

pub async fn run(account: &AccountConfig, store: &Store, op: FolderOp) -> anyhow::Result<String> {
    let mut client = match connect::connect(account).await {
        Ok(client) => client,
        Err(err) if err.is_transient() => {
            bail!("folder operations need the server; nothing was changed ({err})")
        }
        Err(err) => return Err(err.into()),
    };
    let (action, messages) = op.action();
    let consent = Consent {
        messages,
        filing: Some(&account.filing),
        force_hint: "--force",
    };
    let result = folder_ops::apply(&mut client, store, &action, consent).await;
    // A failed LOGOUT changes nothing for the user.
    let _ = client.logout().await;
    Ok(format!("{}\n", result?))
}
