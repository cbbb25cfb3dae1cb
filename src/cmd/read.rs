//! `tern read`: a message's text, from the cache or fetched (BODY.PEEK) and cached.

use crate::config::AccountConfig;
use crate::connect;
use crate::imap::ResponseProblems;
use crate::store::Store;

/// The raw message: cached, else fetched from the server and cached.
pub async fn raw_message(
    account: &AccountConfig,
    store: &Store,
    folder: &str,
    uid: u32,
) -> anyhow::Result<Vec<u8>> {
    let reader = store.reader()?;
    let state = reader.folder(folder)?.ok_or_else(|| {
        anyhow::anyhow!("{folder} is not in the cache; run `tern sync --folder {folder}`")
    })?;
    if let Some(validity) = state.uidvalidity
        && let Some(body) = reader.body(state.id, validity, uid)?
    {
        return Ok(body);
    }
    if reader.message(state.id, uid)?.is_none() {
        anyhow::bail!("no message with UID {uid} in {folder} (cache); run `tern sync`");
    }
    let mut client = connect::connect(account).await?;
    let body = crate::sync::body::fetch_body(&mut client, store, folder, uid).await;
    warn_about_responses(client.response_problems());
    let _ = client.logout().await;
    Ok(body?)
}

/// Says what the server sent that could not be read as sent, so nothing vanishes silently.
pub(super) fn warn_about_responses(problems: ResponseProblems) {
    if problems.repaired > 0 {
        eprintln!(
            "warning: {} server response(s) contained NUL bytes, which IMAP forbids; \
             they are shown as U+FFFD",
            problems.repaired
        );
    }
    if problems.unparsed > 0 {
        eprintln!(
            "warning: {} server response(s) could not be parsed and were skipped",
            problems.unparsed
        );
    }
}
