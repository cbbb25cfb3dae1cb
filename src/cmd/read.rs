//! `tern read`: a message's text, from the cache or fetched (BODY.PEEK) and cached: only
//! its text part unless `--raw` asks for the whole message.

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

/// The message as the reader shows it (header and whole text part), from the cache or
/// fetched in parts and cached; the attachments stay on the server.
pub async fn text_message(
    account: &AccountConfig,
    store: &Store,
    folder: &str,
    uid: u32,
) -> anyhow::Result<Vec<u8>> {
    let (id, validity) = cached_folder(store, folder, uid)?;
    if let Some(shown) = store.reader()?.shown_message(id, validity, uid, false)?
        && shown.cut.is_none()
    {
        return Ok(shown.raw);
    }
    let mut client = connect::connect(account).await?;
    let fetched = async {
        crate::sync::parts::fetch_display(&mut client, store, folder, uid).await?;
        let cut = store
            .reader()?
            .shown_message(id, validity, uid, false)?
            .and_then(|s| s.cut);
        if let Some((section, _)) = cut {
            crate::sync::parts::fetch_part(&mut client, store, folder, uid, &section).await?;
        }
        Ok::<_, crate::sync::SyncError>(())
    }
    .await;
    warn_about_responses(client.response_problems());
    let _ = client.logout().await;
    fetched?;
    store
        .reader()?
        .shown_message(id, validity, uid, false)?
        .map(|s| s.raw)
        .ok_or_else(|| anyhow::anyhow!("message {uid} in {folder} could not be cached"))
}

/// The folder's cache id and UIDVALIDITY, with the message known to the cache.
pub(super) fn cached_folder(
    store: &Store,
    folder: &str,
    uid: u32,
) -> anyhow::Result<(crate::store::FolderId, u32)> {
    let reader = store.reader()?;
    let state = reader.folder(folder)?.ok_or_else(|| {
        anyhow::anyhow!("{folder} is not in the cache; run `tern sync --folder {folder}`")
    })?;
    let validity = state
        .uidvalidity
        .ok_or_else(|| anyhow::anyhow!("{folder} has not been synced yet; run `tern sync`"))?;
    if reader.message(state.id, uid)?.is_none() {
        anyhow::bail!("no message with UID {uid} in {folder} (cache); run `tern sync`");
    }
    Ok((state.id, validity))
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
