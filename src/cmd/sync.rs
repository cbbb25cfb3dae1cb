//! `tern sync`: bring the cache in step (progress on stderr), optionally keep following.

use tokio::sync::{mpsc, watch};

use crate::bus::{ConnState, EngineEvent};
use crate::config::{AccountConfig, Config, Prefetch};
use crate::connect;
use crate::imap::ResponseProblems;
use crate::imap::session::process_problems;
use crate::store::Store;
use crate::sync::{Folders, body, folder::FolderReport, sync_account, watch as watcher};

pub async fn run(
    config: &Config,
    account: &AccountConfig,
    store: Store,
    folders: Folders,
    follow: bool,
) -> anyhow::Result<Vec<FolderReport>> {
    let (events, mut received) = mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        let mut countdown = None;
        let mut problems = UnsaidProblems::since(process_problems());
        while let Some(event) = received.recv().await {
            print_event(&event, &mut countdown);
            // `once` says them at its end; a watch has no end to wait for.
            if let Some(new) = problems
                .after(&event, process_problems())
                .filter(|_| follow)
            {
                super::read::warn_about_responses(new);
            }
        }
    });
    let result = if follow {
        let folder = match &folders {
            Folders::One(name) | Folders::Only(name) => name.clone(),
            Folders::All => "INBOX".to_string(),
        };
        let options = watcher::WatchOptions {
            folder,
            folders,
            idle_refresh: account.idle_refresh,
            status_interval: config.sync.status_interval,
            prefetch_bodies: config.sync.prefetch_bodies,
            replay_journal: true,
        };
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = stop.send(true);
            }
        });
        watcher::run(account, &store, &options, &events, stopped)
            .await
            .map(|()| Vec::new())
            .map_err(anyhow::Error::from)
    } else {
        once(
            account,
            &store,
            &folders,
            &events,
            config.sync.prefetch_bodies,
        )
        .await
    };
    drop(events);
    let _ = printer.await;
    result
}

async fn once(
    account: &AccountConfig,
    store: &Store,
    folders: &Folders,
    events: &crate::bus::EventSender,
    prefetch: Prefetch,
) -> anyhow::Result<Vec<FolderReport>> {
    let mut client = connect::connect(account).await?;
    // Actions queued while offline (or by a killed tern) go first.
    crate::sync::journal::replay(&mut client, store, events).await?;
    let before_folders = client.response_problems().unparsed;
    let reports = sync_account(&mut client, store, folders, events).await?;
    // The folders said their own unparsed responses; the summary says only the rest.
    let said_by_folders = client
        .response_problems()
        .unparsed
        .saturating_sub(before_folders);
    let inbox = reports
        .iter()
        .find(|r| r.folder.eq_ignore_ascii_case("INBOX"));
    if let Some(inbox) = inbox.filter(|_| prefetch.messages > 0) {
        // The sync leaves it selected as a rule; opening it again costs a maildir Dovecot a
        // rescan (1 s at a million messages).
        if client.selected().map(|(name, _)| name) != Some(inbox.folder.as_str()) {
            client
                .select(&inbox.folder, true, None, &mut |_| {})
                .await?;
        }
        loop {
            let round = body::prefetch_bodies(
                &mut client,
                store,
                &inbox.folder,
                prefetch,
                4 * body::PREFETCH_BATCH,
            )
            .await?;
            if round.missing == 0 || round.fetched == 0 {
                break;
            }
        }
    }
    let mut unsaid = client.response_problems();
    unsaid.unparsed = unsaid.unparsed.saturating_sub(said_by_folders);
    super::read::warn_about_responses(unsaid);
    let _ = client.logout().await;
    // The others were synced; the ones the server refused are named (their errors went
    // to stderr as they happened) and make the exit status say so.
    let failed: Vec<String> = store
        .reader()?
        .folders()?
        .into_iter()
        .filter(|f| f.selectable && f.last_error.is_some())
        .map(|f| crate::domain::text::sanitize(&f.name))
        .collect();
    if !failed.is_empty() {
        super::print_result(&summary(&reports));
        anyhow::bail!(
            "{} folder(s) could not be synced: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    Ok(reports)
}

fn print_event(event: &EngineEvent, countdown: &mut Option<u64>) {
    if let Some(line) = event_line(event, countdown) {
        super::say(&line);
    }
}

/// The stderr line for an event worth telling, sanitized (reasons and folder names come
/// from the server); a backoff's countdown (sent every second for the TUI) once per pause.
/// `countdown` is the last second seen of the current pause.
fn event_line(event: &EngineEvent, countdown: &mut Option<u64>) -> Option<String> {
    if let EngineEvent::Conn(state) = event {
        let last = countdown.take();
        if let ConnState::Reconnecting { in_secs, .. } = state {
            *countdown = Some(*in_secs);
            if last.is_some_and(|last| *in_secs <= last) {
                return None;
            }
        }
    }
    let line = match event {
        EngineEvent::Conn(ConnState::Syncing {
            folder,
            done,
            total,
        }) => format!("{folder}: {done}/{total}"),
        EngineEvent::Conn(ConnState::Reconnecting { in_secs, reason }) => {
            format!("{reason}; reconnecting in {in_secs} s")
        }
        EngineEvent::Conn(ConnState::Offline { reason }) => format!("offline: {reason}"),
        EngineEvent::Conn(ConnState::Online) => "online".to_string(),
        EngineEvent::Error(message) => format!("error: {message}"),
        EngineEvent::FolderChanged { .. }
        | EngineEvent::FoldersChanged
        | EngineEvent::BodyReady { .. }
        | EngineEvent::PartReady { .. }
        | EngineEvent::StructureReady { .. }
        | EngineEvent::OpDone { .. }
        | EngineEvent::OpFailed { .. }
        | EngineEvent::SearchFound { .. }
        | EngineEvent::Conn(ConnState::Connecting) => return None,
    };
    Some(crate::domain::text::sanitize(&line))
}

/// Server responses that could not be read as sent, told as a watch goes on: after each
/// resync, push or poll that saw new ones. A first sync after (re)connecting says its
/// unparsable responses per folder itself, so those are only taken as said.
struct UnsaidProblems {
    said: ResponseProblems,
    first_sync: bool,
}

impl UnsaidProblems {
    fn since(start: ResponseProblems) -> Self {
        Self {
            said: start,
            first_sync: false,
        }
    }

    /// What to say after `event`, given the process's problems `now`.
    fn after(&mut self, event: &EngineEvent, now: ResponseProblems) -> Option<ResponseProblems> {
        let mut new = now.since(self.said);
        match event {
            EngineEvent::Conn(ConnState::Connecting) => {
                self.first_sync = true;
                return None;
            }
            EngineEvent::Conn(ConnState::Online) => {
                self.first_sync = false;
                // The folders' own messages counted only the unparsed ones.
                new.unparsed = 0;
            }
            EngineEvent::FolderChanged { .. }
            | EngineEvent::FoldersChanged
            | EngineEvent::BodyReady { .. }
            | EngineEvent::Error(_)
                if !self.first_sync => {}
            _ => return None,
        }
        self.said = now;
        (!new.is_empty()).then_some(new)
    }
}

pub fn summary(reports: &[FolderReport]) -> String {
    reports
        .iter()
        .map(|r| {
            let unreadable = match r.unreadable {
                0 => String::new(),
                n => format!(" ({n} unreadable)"),
            };
            format!(
                "{}: {} new{unreadable}, {} flag changes, {} removed\n",
                crate::domain::text::sanitize(&r.folder),
                r.fetched,
                r.flags_changed,
                r.removed
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconnecting(in_secs: u64) -> EngineEvent {
        EngineEvent::Conn(ConnState::Reconnecting {
            in_secs,
            reason: "connection refused\x1b[2J".into(),
        })
    }

    fn problems(unparsed: u64, repaired: u64) -> ResponseProblems {
        ResponseProblems { unparsed, repaired }
    }

    #[test]
    fn a_watch_tells_new_problems_once_and_leaves_the_first_sync_its_own() {
        let changed = EngineEvent::FolderChanged {
            folder: "INBOX".into(),
        };
        let online = EngineEvent::Conn(ConnState::Online);
        let connecting = EngineEvent::Conn(ConnState::Connecting);
        let mut unsaid = UnsaidProblems::since(problems(2, 0));
        // Nothing new since the start.
        assert_eq!(unsaid.after(&changed, problems(2, 0)), None);
        // The first sync says its unparsed responses per folder; a repair it never says.
        assert_eq!(unsaid.after(&connecting, problems(2, 0)), None);
        assert_eq!(unsaid.after(&changed, problems(5, 1)), None);
        assert_eq!(unsaid.after(&online, problems(5, 1)), Some(problems(0, 1)));
        // A resync after a push saw two more: said once.
        assert_eq!(unsaid.after(&changed, problems(7, 1)), Some(problems(2, 0)));
        assert_eq!(unsaid.after(&changed, problems(7, 1)), None);
        assert_eq!(
            unsaid.after(&EngineEvent::FoldersChanged, problems(8, 2)),
            Some(problems(1, 1))
        );
    }

    #[test]
    fn a_backoff_is_told_once_per_pause_and_sanitized() {
        let mut countdown = None;
        let mut lines = Vec::new();
        for event in [
            reconnecting(2),
            reconnecting(1),
            EngineEvent::Conn(ConnState::Connecting),
            reconnecting(4),
            reconnecting(3),
            reconnecting(2),
            reconnecting(8),
        ] {
            lines.extend(event_line(&event, &mut countdown));
        }
        assert_eq!(
            lines,
            [
                "connection refused; reconnecting in 2 s",
                "connection refused; reconnecting in 4 s",
                "connection refused; reconnecting in 8 s",
            ]
        );
    }
}
