//! Undo of a recorded action while it can still be reversed: a pending action is
//! cancelled before the server sees it; a sent one is reversed by a new action (a flag
//! change flips back, a move or delete-to-Trash moves back, a copy is removed).

use super::error::{Result, SyncError};
use super::journal::{changed, shown};
use crate::domain::uidset::UidSet;
use crate::store::{FlagChange, JournalOp, PLACEHOLDER_BASE, Store, WriteTx};

/// How to take back one recorded action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Flip back exactly these flag changes in `folder`, as long as it still has the
    /// UIDVALIDITY they were made under (else the UIDs name other messages).
    Flags {
        folder: String,
        uidvalidity: u32,
        changes: Vec<FlagChange>,
    },
    /// The journal entry of a move, copy or expunge.
    Entry { id: i64 },
    /// One user action over several folders (search results): taken back whole or not at all.
    Group(Vec<Undo>),
}

impl Undo {
    /// `self` followed by `next`, as one undo.
    pub fn then(self, next: Undo) -> Undo {
        let mut parts = match self {
            Undo::Group(parts) => parts,
            single => vec![single],
        };
        parts.push(next);
        Undo::Group(parts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undone {
    /// How to undo the undo, if it was itself an action.
    pub redo: Option<Undo>,
    /// For the status line.
    pub summary: String,
    /// Folders whose cached rows changed.
    pub folders: Vec<String>,
    /// Some rows come back only with the next sync of the first folder.
    pub needs_sync: bool,
}

pub async fn undo(store: &Store, undo: Undo) -> Result<Undone> {
    match undo {
        // An error rolls the whole group back, so no part is taken back twice on a retry;
        // the store needs its own error for that, the real one comes out beside it.
        Undo::Group(parts) => {
            let failure = std::sync::Arc::new(std::sync::Mutex::new(None));
            let stash = failure.clone();
            let done = store
                .write_async(move |tx| match undo_group(tx, parts) {
                    Ok(done) => Ok(done),
                    Err(err) => {
                        if let Ok(mut slot) = stash.lock() {
                            *slot = Some(err);
                        }
                        Err(crate::store::StoreError::Invalid("undo rolled back".into()))
                    }
                })
                .await;
            let failed = failure.lock().ok().and_then(|mut slot| slot.take());
            match (done, failed) {
                (_, Some(err)) => Err(err),
                (done, None) => Ok(done?),
            }
        }
        single => store.write_async(move |tx| Ok(undo_in(tx, single))).await?,
    }
}

fn undo_in(tx: &mut WriteTx<'_>, undo: Undo) -> Result<Undone> {
    match undo {
        Undo::Flags {
            folder,
            uidvalidity,
            changes,
        } => flip_back(tx, folder, uidvalidity, &changes),
        Undo::Entry { id } => undo_entry(tx, id),
        Undo::Group(parts) => undo_group(tx, parts),
    }
}

/// The parts newest first; their redos make one redo.
fn undo_group(tx: &mut WriteTx<'_>, parts: Vec<Undo>) -> Result<Undone> {
    let mut redo: Option<Undo> = None;
    let mut summaries = Vec::new();
    let mut folders: Vec<String> = Vec::new();
    let mut needs_sync = false;
    for part in parts.into_iter().rev() {
        let done = undo_in(tx, part)?;
        if let Some(again) = done.redo {
            redo = Some(match redo {
                Some(so_far) => so_far.then(again),
                None => again,
            });
        }
        summaries.push(done.summary);
        for folder in done.folders {
            if !folders.contains(&folder) {
                folders.push(folder);
            }
        }
        needs_sync |= done.needs_sync;
    }
    Ok(Undone {
        redo,
        summary: summaries.join("; "),
        folders,
        needs_sync,
    })
}

fn flip_back(
    tx: &mut WriteTx<'_>,
    folder: String,
    uidvalidity: u32,
    changes: &[FlagChange],
) -> Result<Undone> {
    let Some(id) = shown(tx, &folder, uidvalidity)? else {
        return Err(changed(&folder));
    };
    let mut redo = Vec::new();
    for change in changes {
        let flag = [change.flag.clone()];
        let (add, remove): (&[String], &[String]) = if change.added {
            (&[], &flag)
        } else {
            (&flag, &[])
        };
        redo.extend(
            tx.journal_flags(id, uidvalidity, &change.uids, add, remove)?
                .1,
        );
    }
    let count: u64 = changes.iter().map(|c| c.uids.len()).max().unwrap_or(0);
    Ok(Undone {
        summary: format!("undone: flags of {count} message(s) restored"),
        redo: (!redo.is_empty()).then(|| Undo::Flags {
            folder: folder.clone(),
            uidvalidity,
            changes: redo,
        }),
        folders: vec![folder],
        needs_sync: false,
    })
}

fn undo_entry(tx: &mut WriteTx<'_>, id: i64) -> Result<Undone> {
    let refuse = |why: &str| Err(SyncError::Undo(why.to_string()));
    let Some((entry, state)) = tx.journal_entry(id)? else {
        return refuse("the action is no longer in the journal");
    };
    let target = match &entry.op {
        JournalOp::Move { to, .. } => Some(to.clone()),
        _ => None,
    };
    let mut folders = vec![entry.folder.clone()];
    folders.extend(target.clone());
    match state.as_str() {
        "pending" => {
            let restored = tx.journal_cancel(&entry)?;
            return Ok(Undone {
                redo: None,
                summary: if restored {
                    "undone before it reached the server".to_string()
                } else {
                    "undone; the messages come back with the next sync".to_string()
                },
                folders,
                needs_sync: !restored,
            });
        }
        // It may have reached the server (a connection can drop before the OK): only a
        // confirmed action can be reversed safely.
        "sending" => {
            return refuse("it was sent and the server has not confirmed it yet; try again then");
        }
        "failed" => return refuse("the server refused it, so nothing changed"),
        _ => {}
    }
    let JournalOp::Move {
        to,
        copy,
        placeholders,
        landed_in,
        ..
    } = &entry.op
    else {
        return refuse("the messages were removed for good");
    };
    let landed: UidSet = placeholders
        .iter()
        .map(|&(_, uid)| uid)
        .filter(|&uid| uid < PLACEHOLDER_BASE)
        .collect();
    if landed.is_empty() {
        return refuse("the server did not say where the messages went (no UIDPLUS)");
    }
    // The target need not be synced: COPYUID named its UIDVALIDITY.
    let target = tx
        .folder(to)?
        .ok_or_else(|| SyncError::Undo(format!("{to} is gone")))?;
    let Some(target_validity) = landed_in.or(target.uidvalidity) else {
        return refuse("the server did not say where the messages went (no UIDPLUS)");
    };
    let target_id = target.id;
    let (redo, summary) = if *copy {
        tx.journal_expunge(target_id, target_validity, &landed)?;
        (None, format!("undone: the copies in {to} are removed"))
    } else {
        let back = tx.journal_move(target_id, target_validity, &landed, &entry.folder, false)?;
        (
            Some(Undo::Entry { id: back }),
            format!("undone: moving back from {to} to {}", entry.folder),
        )
    };
    Ok(Undone {
        redo,
        summary,
        folders,
        needs_sync: false,
    })
}
