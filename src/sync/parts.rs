//! Messages in parts: opening a message fetches its structure (once), its header and the
//! one text part the reader shows, never the attachments; a very large text part comes
//! as its first `DISPLAY_CHUNK` octets, the rest on demand. Attachments are fetched when
//! saved or opened (`fetch_part`).

use super::error::Result;
use crate::domain::parts::{Part, Structure};
use crate::imap::{FetchItem, FetchedSection, ImapClient, ImapError, Update};
use crate::store::{FolderId, Store};

pub use crate::domain::parts::DISPLAY_CHUNK;

/// The section key of the top header in the cache.
pub const HEADER: &str = "HEADER";

/// The folder's cache id and UIDVALIDITY, with the folder selected (read-only when it was
/// not the selected one) and checked to be the one cached.
pub async fn select_cached(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
) -> Result<(FolderId, u32)> {
    let state = store.reader()?.folder(folder)?.ok_or_else(|| {
        ImapError::protocol(format!("{folder} is not in the cache; sync it first"))
    })?;
    let uidvalidity = state
        .uidvalidity
        .ok_or_else(|| ImapError::protocol(format!("{folder} has not been synced yet")))?;
    if client.selected().map(|(name, _)| name) != Some(folder) {
        let info = client.select(folder, true, None, &mut |_| {}).await?;
        if info.uid_validity != Some(uidvalidity) {
            return Err(ImapError::protocol(format!(
                "{folder} changed on the server (UIDVALIDITY); sync it again"
            ))
            .into());
        }
    }
    Ok((state.id, uidvalidity))
}

/// What the reader shows of `uid`, in the cache: its structure, header and display part
/// (or its start). Nothing is fetched that is already cached, and a whole cached body
/// needs nothing more.
pub async fn fetch_display(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    uid: u32,
) -> Result<()> {
    fetch_display_then(client, store, folder, uid, &mut || {}).await
}

/// `fetch_display`, calling `structure_stored` once a newly fetched structure is in the
/// cache (before the text is asked for), so the part list can show first.
pub async fn fetch_display_then(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    uid: u32,
    structure_stored: &mut (dyn FnMut() + Send),
) -> Result<()> {
    let (id, uidvalidity) = select_cached(client, store, folder).await?;
    let reader = store.reader()?;
    if reader.shown_ready(id, uidvalidity, uid)? {
        return Ok(());
    }
    let structure = match reader.structure(id, uidvalidity, uid)? {
        Some(structure) => structure,
        None => {
            let structure = match fetch_structure(client, folder, uid).await {
                Ok(structure) => structure,
                // A structure the server cannot give or we cannot read: the whole message,
                // as before parts, rather than nothing.
                Err(err) if !err.is_transient() => {
                    tracing::debug!(uid, "no usable structure ({err}); fetching it whole");
                    drop(reader);
                    super::body::fetch_body(client, store, folder, uid).await?;
                    return Ok(());
                }
                Err(err) => return Err(err),
            };
            let stored = structure.clone();
            store
                .write_async(move |tx| tx.put_structure(id, uidvalidity, uid, &stored))
                .await?;
            structure_stored();
            structure
        }
    };
    if structure.needs_whole(reader.message_size(id, uidvalidity, uid)?) {
        drop(reader);
        super::body::fetch_body(client, store, folder, uid).await?;
        return Ok(());
    }
    let mut items = vec![FetchItem::Uid];
    if reader.section(id, uidvalidity, uid, HEADER)?.is_none() {
        items.push(FetchItem::Header);
    }
    let shown = structure.display_part(false).cloned();
    if let Some(part) = &shown
        && reader
            .section(id, uidvalidity, uid, &part.section)?
            .is_none()
    {
        items.push(display_item(part));
    }
    drop(reader);
    if items.len() == 1 {
        return Ok(());
    }
    let sections = fetch_sections(client, folder, uid, &items).await?;
    store_sections(store, id, uidvalidity, uid, &structure, sections).await
}

/// The content of one part (`section` "1.2", transfer encoding undone), from the cache or
/// fetched and cached (unless over the cache's per-part cap): with BINARY.PEEK when the
/// server offers BINARY and the part is encoded (a quarter fewer bytes for base64), else
/// BODY.PEEK. The empty section is the whole message (the raw source), as sent.
pub async fn fetch_part(
    client: &mut ImapClient,
    store: &Store,
    folder: &str,
    uid: u32,
    section: &str,
) -> Result<Vec<u8>> {
    if section.is_empty() {
        return super::body::fetch_body(client, store, folder, uid).await;
    }
    let (id, uidvalidity) = select_cached(client, store, folder).await?;
    let reader = store.reader()?;
    let structure = reader.structure(id, uidvalidity, uid)?.unwrap_or_default();
    let encoding = structure
        .part(section)
        .map_or_else(String::new, |p| p.encoding.clone());
    let cached = reader.section(id, uidvalidity, uid, section)?;
    drop(reader);
    if let Some(cached) = cached.filter(|c| !c.partial) {
        return Ok(cached.content(&encoding));
    }
    let encoded = matches!(encoding.as_str(), "base64" | "quoted-printable");
    let item = if encoded && client.has_capability("BINARY") {
        FetchItem::Binary {
            section: section.to_string(),
            partial: None,
        }
    } else {
        FetchItem::Part {
            section: section.to_string(),
            partial: None,
        }
    };
    let sections = fetch_sections(client, folder, uid, &[FetchItem::Uid, item]).await?;
    let content = sections
        .iter()
        .find(|s| s.section == section)
        .map(|s| {
            if s.binary {
                s.data.clone()
            } else {
                crate::domain::parts::transfer_decode(&encoding, &s.data)
            }
        })
        .unwrap_or_default();
    store_sections(store, id, uidvalidity, uid, &structure, sections).await?;
    Ok(content)
}

fn display_item(part: &Part) -> FetchItem {
    FetchItem::Part {
        section: part.section.clone(),
        partial: (part.size > DISPLAY_CHUNK).then_some((0, DISPLAY_CHUNK)),
    }
}

async fn fetch_structure(client: &mut ImapClient, folder: &str, uid: u32) -> Result<Structure> {
    let mut structure = None;
    let mut unparsed = None;
    client
        .uid_fetch(
            &uid.to_string(),
            &[FetchItem::Uid, FetchItem::BodyStructure],
            None,
            &mut |u| match u {
                Update::Fetch(fetch) if fetch.uid == Some(uid) && fetch.structure.is_some() => {
                    structure = fetch.structure;
                }
                Update::Unparsed(preview) => {
                    unparsed.get_or_insert(preview);
                }
                _ => {}
            },
        )
        .await?;
    structure.ok_or_else(|| gone_or_unreadable(folder, uid, unparsed).into())
}

async fn fetch_sections(
    client: &mut ImapClient,
    folder: &str,
    uid: u32,
    items: &[FetchItem],
) -> Result<Vec<FetchedSection>> {
    let mut sections = Vec::new();
    let mut unparsed = None;
    client
        .uid_fetch(&uid.to_string(), items, None, &mut |u| match u {
            Update::Fetch(fetch) if fetch.uid == Some(uid) => sections.extend(fetch.sections),
            Update::Unparsed(preview) => {
                unparsed.get_or_insert(preview);
            }
            _ => {}
        })
        .await?;
    if sections.is_empty() {
        return Err(gone_or_unreadable(folder, uid, unparsed).into());
    }
    Ok(sections)
}

/// Stores what came; a part is partial when the server was asked for its start only and
/// the part is larger than what came.
async fn store_sections(
    store: &Store,
    id: FolderId,
    uidvalidity: u32,
    uid: u32,
    structure: &Structure,
    sections: Vec<FetchedSection>,
) -> Result<()> {
    let rows: Vec<(String, Vec<u8>, bool, bool)> = sections
        .into_iter()
        .map(|s| {
            let size = structure.part(&s.section).map_or(0, |p| p.size as usize);
            let partial = s.origin.is_some() && s.data.len() < size;
            (s.section, s.data, partial, s.binary)
        })
        .collect();
    store
        .write_async(move |tx| {
            for (section, data, partial, decoded) in &rows {
                let new = crate::store::NewSection {
                    section,
                    data,
                    partial: *partial,
                    decoded: *decoded,
                };
                tx.put_section(id, uidvalidity, uid, &new)?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

fn gone_or_unreadable(folder: &str, uid: u32, unparsed: Option<String>) -> ImapError {
    match unparsed {
        // The server did answer, in a form we cannot read: not the same as "gone".
        Some(preview) => ImapError::protocol(format!(
            "the server's answer for message {uid} in {folder} cannot be parsed: {preview}"
        )),
        None => ImapError::new(
            crate::imap::ErrorKind::Command,
            format!("message {uid} is no longer in {folder}"),
        ),
    }
}
