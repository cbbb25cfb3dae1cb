//! `tern save UID [--part SECTION] [--dir D]`: one attachment, or all of them, fetched
//! part by part (never the whole message) and written without overwriting anything.

use std::path::{Path, PathBuf};

use crate::config::AccountConfig;
use crate::connect;
use crate::domain::parts::{Part, Structure};
use crate::imap::ImapClient;
use crate::store::{FolderId, Store};

/// One part written: its section, the name it had and where it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub section: String,
    pub name: String,
    pub path: PathBuf,
    pub bytes: usize,
}

/// Saves `part` (a section as `tern save` lists it, "2" or "1.2"), or every attachment.
pub async fn run(
    account: &AccountConfig,
    store: &Store,
    folder: &str,
    uid: u32,
    part: Option<&str>,
    dir: &Path,
) -> anyhow::Result<Vec<Saved>> {
    let (id, validity) = super::read::cached_folder(store, folder, uid)?;
    let mut client: Option<ImapClient> = None;
    let result = save_parts(
        account,
        store,
        &mut client,
        (folder, id, validity, uid),
        part,
        dir,
    )
    .await;
    if let Some(client) = client {
        super::read::warn_about_responses(client.response_problems());
        let _ = client.logout().await;
    }
    result
}

async fn save_parts(
    account: &AccountConfig,
    store: &Store,
    client: &mut Option<ImapClient>,
    (folder, id, validity, uid): (&str, FolderId, u32, u32),
    part: Option<&str>,
    dir: &Path,
) -> anyhow::Result<Vec<Saved>> {
    let structure = match store.reader()?.structure(id, validity, uid)? {
        Some(structure) => structure,
        None => {
            let c = connected(account, client).await?;
            crate::sync::parts::fetch_display(c, store, folder, uid).await?;
            store
                .reader()?
                .structure(id, validity, uid)?
                .ok_or_else(|| anyhow::anyhow!("the server gave no structure for {uid}"))?
        }
    };
    let wanted = chosen(&structure, part)?;
    let mut saved = Vec::new();
    for part in wanted {
        let cached = store.reader()?.section(id, validity, uid, &part.section)?;
        let bytes = match cached.filter(|c| !c.partial) {
            Some(c) => c.content(&part.encoding),
            None => {
                let c = connected(account, client).await?;
                crate::sync::parts::fetch_part(c, store, folder, uid, &part.section).await?
            }
        };
        let name = part.file_name();
        let path = crate::tui::save::save_new(&dir.join(&name), &bytes)
            .map_err(|e| anyhow::anyhow!("cannot save {name} in {}: {e}", dir.display()))?;
        saved.push(Saved {
            section: part.section.clone(),
            name,
            path,
            bytes: bytes.len(),
        });
    }
    Ok(saved)
}

fn chosen<'a>(structure: &'a Structure, part: Option<&str>) -> anyhow::Result<Vec<&'a Part>> {
    let attachments = structure.attachments();
    match part {
        None if attachments.is_empty() => anyhow::bail!("the message has no attachments"),
        None => Ok(attachments),
        Some(section) => {
            let found = structure
                .part(section)
                .filter(|p| !p.is_multipart() && !p.section.ends_with(".TEXT"));
            match found {
                Some(p) => Ok(vec![p]),
                None => {
                    let known: Vec<&str> = attachments.iter().map(|p| p.section.as_str()).collect();
                    anyhow::bail!(
                        "no part {section}; the attachments are: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    )
                }
            }
        }
    }
}

async fn connected<'a>(
    account: &AccountConfig,
    client: &'a mut Option<ImapClient>,
) -> anyhow::Result<&'a mut ImapClient> {
    if client.is_none() {
        *client = Some(connect::connect(account).await?);
    }
    client
        .as_mut()
        .ok_or_else(|| anyhow::anyhow!("not connected"))
}

pub fn to_text(saved: &[Saved]) -> String {
    saved
        .iter()
        .map(|s| {
            format!(
                "saved part {} ({} bytes) to {}\n",
                s.section,
                s.bytes,
                s.path.display()
            )
        })
        .collect()
}

pub fn to_json(saved: &[Saved]) -> String {
    let items: Vec<serde_json::Value> = saved
        .iter()
        .map(|s| {
            serde_json::json!({
                "part": s.section,
                "name": s.name,
                "path": s.path.display().to_string(),
                "bytes": s.bytes,
            })
        })
        .collect();
    let json = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string());
    format!("{}\n", crate::domain::text::json_safe(&json))
}
