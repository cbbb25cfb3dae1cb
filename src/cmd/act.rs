//! `tern flag|move|copy|delete UID...`: applied to the cache and the journal at once, then
//! sent; when the server is unreachable it stays queued for the next tern that connects.

use crate::bus::EngineEvent;
use crate::config::AccountConfig;
use crate::connect;
use crate::domain::uidset::UidSet;
use crate::store::Store;
use crate::sync::journal;
pub use crate::sync::journal::Act;

pub async fn run(
    account: &AccountConfig,
    store: &Store,
    folder: &str,
    uids: &[u32],
    act: Act,
) -> anyhow::Result<String> {
    let reader = store.reader()?;
    let state = reader.folder(folder)?.ok_or_else(|| {
        anyhow::anyhow!("{folder} is not in the cache; run `tern sync --folder {folder}`")
    })?;
    for &uid in uids {
        if reader.message(state.id, uid)?.is_none() {
            anyhow::bail!("no message with UID {uid} in {folder} (cache); run `tern sync`");
        }
    }
    let set: UidSet = uids.iter().copied().collect();
    let act = match act {
        Act::Flags { add, remove } => {
            let (add, remove) = (
                super::flag::imap_flags(&add)?,
                super::flag::imap_flags(&remove)?,
            );
            if add.is_empty() && remove.is_empty() {
                anyhow::bail!("nothing to do: give --add or --remove");
            }
            Act::Flags { add, remove }
        }
        other => other,
    };
    // The UIDs were picked from the cache as it is now: its UIDVALIDITY is the one shown.
    let uidvalidity = state
        .uidvalidity
        .ok_or_else(|| anyhow::anyhow!("{folder} has not been synced; run `tern sync`"))?;
    let recorded = journal::record(store, folder, uidvalidity, set, act, &account.filing).await?;
    send_or_queue(account, store, recorded.pending).await
}

/// Sends the journal now; offline, says what waits and succeeds.
async fn send_or_queue(
    account: &AccountConfig,
    store: &Store,
    waiting: u32,
) -> anyhow::Result<String> {
    let (events, mut errors) = tokio::sync::mpsc::unbounded_channel();
    let sent = match connect::connect(account).await {
        Ok(mut client) => {
            let sent = journal::replay(&mut client, store, &events).await;
            let _ = client.logout().await;
            sent
        }
        Err(err) if err.is_transient() => {
            super::say(&format!(
                "tern: {}: offline ({err}); queued, {waiting} action(s) wait for the server",
                account.name
            ));
            return Ok(String::new());
        }
        Err(err) => anyhow::bail!(
            "{err} (the change is queued and will be sent by the next tern that connects)"
        ),
    };
    drop(events);
    let mut failures = Vec::new();
    while let Ok(event) = errors.try_recv() {
        if let EngineEvent::Error(message) = event {
            failures.push(message);
        }
    }
    let still_waiting = store.reader()?.journal_count()?;
    if sent.is_ok() && failures.is_empty() && still_waiting > 0 {
        // Another tern held the send lock and is still sending: it (or the next) will.
        super::say(&format!(
            "tern: {}: {still_waiting} action(s) wait for the server (another tern is sending)",
            account.name
        ));
    }
    match sent {
        Ok(_) if failures.is_empty() => Ok(String::new()),
        Ok(_) => anyhow::bail!("{}", failures.join("; ")),
        Err(err) if err.is_transient() => {
            super::say(&format!(
                "tern: {}: connection lost ({err}); the change stays queued",
                account.name
            ));
            Ok(String::new())
        }
        Err(err) => Err(err.into()),
    }
}
