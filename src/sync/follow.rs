//! Changes made elsewhere (another device, another client) in folders other than the one
//! the engine IDLEs on, and to the folder list: told by NOTIFY pushes where the server
//! offers it (src/imap/notify.rs), else found by polling LIST and STATUS.

use std::time::Duration;

use tokio::time::Instant;

use super::account::{Folders, folder_outcome, refresh_status, sync_folder_list};
use super::error::Result;
use super::watch::{bring_in_step, moved};
use crate::bus::{EngineEvent, EventSender};
use crate::imap::{ErrorKind, ImapClient, Notified};
use crate::store::Store;

/// A poll round may take at most 1/(1+STRETCH) of the connection's time: on a big
/// account (many folders, a slow link) the interval grows instead of the load.
const STRETCH: u32 = 4;

/// How this session learns of changes elsewhere.
pub(super) struct Follow {
    /// Without NOTIFY: the poll interval, and when the next round is due.
    poll: Option<(Duration, Instant)>,
}

impl Follow {
    /// Asks the server for NOTIFY pushes; without them, polls every `poll_interval`. A
    /// connection that only watches one folder (the INBOX watch) follows nothing else.
    pub(super) async fn start(
        client: &mut ImapClient,
        folders: &Folders,
        poll_interval: Option<Duration>,
    ) -> Result<Self> {
        if matches!(folders, Folders::Only(_)) {
            return Ok(Self { poll: None });
        }
        if client.has_capability("NOTIFY") {
            match client.notify_set().await {
                Ok(()) => return Ok(Self { poll: None }),
                // Refused (a server that advertises more than it does): poll instead.
                Err(err) if err.kind == ErrorKind::Command => {
                    tracing::info!("NOTIFY refused, polling instead: {err}");
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok(Self {
            poll: poll_interval.map(|every| (every, Instant::now() + every)),
        })
    }

    /// When the next poll round is due; None with NOTIFY or polling off.
    pub(super) fn due_at(&self) -> Option<Instant> {
        self.poll.map(|(_, at)| at)
    }

    pub(super) fn is_due(&self) -> bool {
        self.due_at().is_some_and(|at| Instant::now() >= at)
    }

    /// A round ended that took `took`: the next waits the interval, or longer on an account
    /// where a round is slow.
    pub(super) fn polled(&mut self, took: Duration) {
        if let Some((every, at)) = &mut self.poll {
            *at = Instant::now() + (*every).max(took * STRETCH);
        }
    }
}

/// Applies what NOTIFY pushes said: the folder list read again if it changed, folders
/// whose pushed STATUS differs from the cache counted or brought in step. `watched` (and
/// `also_watched`, INBOX on its own connection) have IDLE for that.
pub(super) async fn apply_notified(
    client: &mut ImapClient,
    store: &Store,
    watched: &mut String,
    events: &EventSender,
    notified: Notified,
    also_watched: Option<&str>,
) -> Result<()> {
    let mut told = false;
    let mut fresh = Vec::new();
    if notified.folder_list {
        let before: Vec<String> = store
            .reader()?
            .folders()?
            .into_iter()
            .map(|f| f.name)
            .collect();
        let listed = sync_folder_list(client, store).await?;
        // Folders new to the cache get their counts now, not at the next STATUS poll.
        fresh = listed
            .into_iter()
            .filter(|e| e.selectable() && !before.contains(&e.name))
            .map(|e| e.name)
            .collect();
        told = true;
    }
    let cached = store.reader()?.folders()?;
    let mut changed = Vec::new();
    for status in &notified.statuses {
        let name = status.name.as_str();
        if name == watched.as_str() || also_watched == Some(name) || fresh.iter().any(|f| f == name)
        {
            continue;
        }
        let Some(folder) = cached.iter().find(|f| f.name == name && f.selectable) else {
            continue;
        };
        if !moved(status, folder) {
            continue;
        }
        if folder.complete {
            changed.push(folder.name.clone());
        } else {
            fresh.push(folder.name.clone());
        }
    }
    for name in &fresh {
        let result = refresh_status(client, store, name).await;
        folder_outcome(store, events, name, result).await?;
        told = true;
    }
    if told {
        let _ = events.send(EngineEvent::FoldersChanged);
    }
    if !changed.is_empty() {
        bring_in_step(client, store, watched, events, &changed).await?;
        let _ = events.send(EngineEvent::FoldersChanged);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::folder::FolderState;
    use crate::imap::StatusEntry;

    #[test]
    fn a_slow_round_stretches_the_next_wait() {
        let mut follow = Follow {
            poll: Some((Duration::from_secs(1), Instant::now())),
        };
        follow.polled(Duration::from_millis(100));
        let wait = follow.due_at().unwrap() - Instant::now();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::from_millis(500),
            "{wait:?}"
        );
        follow.polled(Duration::from_secs(2));
        let wait = follow.due_at().unwrap() - Instant::now();
        assert!(wait > Duration::from_secs(7), "{wait:?}");
        assert!(!follow.is_due());
        assert_eq!(Follow { poll: None }.due_at(), None, "NOTIFY: no poll");
    }

    #[test]
    fn only_what_a_status_says_is_compared() {
        let folder = FolderState {
            id: 1,
            name: "Archive".into(),
            role: None,
            delimiter: Some('/'),
            uidvalidity: Some(7),
            uidnext: Some(5),
            highestmodseq: Some(9),
            messages: 4,
            unseen: 1,
            synced_at: None,
            complete: true,
            oldest_uid: None,
            selectable: true,
            last_error: None,
            subscribed: true,
        };
        let same = StatusEntry {
            unseen: Some(1),
            highest_modseq: Some(9),
            ..StatusEntry::default()
        };
        assert!(!moved(&same, &folder), "missing items are no change");
        let seen_elsewhere = StatusEntry {
            unseen: Some(0),
            ..same.clone()
        };
        assert!(moved(&seen_elsewhere, &folder));
        let flagged_elsewhere = StatusEntry {
            highest_modseq: Some(10),
            ..same
        };
        assert!(moved(&flagged_elsewhere, &folder));
    }
}
