//! `tern sync`: bring the cache in step (progress on stderr), optionally keep following.

use tokio::sync::{mpsc, watch};

use crate::bus::{ConnState, EngineEvent};
use crate::config::{AccountConfig, Config};
use crate::connect;
use crate::store::Store;
use crate::sync::{Folders, folder::FolderReport, sync_account, watch as watcher};

pub async fn run(
    config: &Config,
    account: &AccountConfig,
    store: Store,
    folders: Folders,
    follow: bool,
) -> anyhow::Result<Vec<FolderReport>> {
    let (events, mut received) = mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        while let Some(event) = received.recv().await {
            print_event(&event);
        }
    });
    let result = if follow {
        let folder = match &folders {
            Folders::One(name) => name.clone(),
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
    prefetch: u32,
) -> anyhow::Result<Vec<FolderReport>> {
    let mut client = connect::connect(account).await?;
    // Actions queued while offline (or by a killed tern) go first.
    crate::sync::journal::replay(&mut client, store, events).await?;
    let reports = sync_account(&mut client, store, folders, events).await?;
    if prefetch > 0 {
        for report in &reports {
            client
                .select(&report.folder, true, None, &mut |_| {})
                .await?;
            crate::sync::body::prefetch_bodies(&mut client, store, &report.folder, prefetch)
                .await?;
        }
    }
    let _ = client.logout().await;
    Ok(reports)
}

fn print_event(event: &EngineEvent) {
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
        | EngineEvent::Conn(ConnState::Connecting) => return,
    };
    super::say(&line);
}

pub fn summary(reports: &[FolderReport]) -> String {
    reports
        .iter()
        .map(|r| {
            format!(
                "{}: {} new, {} flag changes, {} removed\n",
                crate::domain::text::sanitize(&r.folder),
                r.fetched,
                r.flags_changed,
                r.removed
            )
        })
        .collect()
}
