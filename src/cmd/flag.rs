//! `tern flag UID... --add seen|flagged|KEYWORD --remove ...`: applied to the cache and the
//! journal at once, then sent; when the server is unreachable it stays queued for the next
//! tern that connects.

use crate::bus::EngineEvent;
use crate::config::AccountConfig;
use crate::connect;
use crate::domain::uidset::UidSet;
use crate::store::Store;
use crate::sync::journal;

/// User words to IMAP flags: the system flags by name, anything else as a keyword.
pub fn imap_flags(words: &[String]) -> anyhow::Result<Vec<String>> {
    words
        .iter()
        .map(|word| {
            let flag = match word.to_ascii_lowercase().trim_start_matches('\\') {
                "seen" | "read" => "\\Seen".to_string(),
                "flagged" | "star" | "starred" => "\\Flagged".to_string(),
                "answered" => "\\Answered".to_string(),
                "deleted" => "\\Deleted".to_string(),
                "draft" => "\\Draft".to_string(),
                _ if word.starts_with('\\') => anyhow::bail!("unknown system flag {word:?}"),
                _ if word.is_empty()
                    || word.chars().any(|c| {
                        c.is_control() || c.is_whitespace() || "(){%*\"\\]".contains(c)
                    }) =>
                {
                    anyhow::bail!("{word:?} is not a valid keyword")
                }
                _ => word.clone(),
            };
            Ok(flag)
        })
        .collect()
}

pub async fn run(
    account: &AccountConfig,
    store: &Store,
    folder: &str,
    uids: &[u32],
    add: &[String],
    remove: &[String],
) -> anyhow::Result<String> {
    let (add, remove) = (imap_flags(add)?, imap_flags(remove)?);
    if add.is_empty() && remove.is_empty() {
        anyhow::bail!("nothing to do: give --add or --remove");
    }
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
    let waiting = journal::record_flags(store, folder, set, add, remove).await?;
    let (events, mut errors) = tokio::sync::mpsc::unbounded_channel();
    let sent = match connect::connect(account).await {
        Ok(mut client) => {
            let sent = journal::replay(&mut client, store, &events).await;
            let _ = client.logout().await;
            sent
        }
        Err(err) if err.is_transient() => {
            eprintln!(
                "tern: {}: offline ({err}); queued, {waiting} action(s) wait for the server",
                account.name
            );
            return Ok(String::new());
        }
        Err(err) => {
            anyhow::bail!(
                "{err} (the change is queued and will be sent by the next tern that connects)"
            )
        }
    };
    drop(events);
    let mut failures = Vec::new();
    while let Ok(event) = errors.try_recv() {
        if let EngineEvent::Error(message) = event {
            failures.push(message);
        }
    }
    match sent {
        Ok(_) if failures.is_empty() => Ok(String::new()),
        Ok(_) => anyhow::bail!("{}", failures.join("; ")),
        Err(err) if err.is_transient() => {
            eprintln!(
                "tern: {}: connection lost ({err}); the change stays queued",
                account.name
            );
            Ok(String::new())
        }
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_imap_flags() {
        let words: Vec<String> = ["seen", "Flagged", "\\Answered", "Work", "$label1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            imap_flags(&words).unwrap(),
            ["\\Seen", "\\Flagged", "\\Answered", "Work", "$label1"]
        );
        assert!(imap_flags(&["\\Bogus".into()]).is_err());
        assert!(imap_flags(&["two words".into()]).is_err());
        assert!(imap_flags(&["evil)".into()]).is_err());
    }
}
