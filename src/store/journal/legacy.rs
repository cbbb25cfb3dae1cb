//! Schema 3's journal kept an action's details in one text `argument`. Migration 4 reads
//! those rows once into explicit columns; a row that cannot be read becomes a failed entry
//! with the reason (reported by the next replay), never a failed migration or a lost row.

use rusqlite::Transaction;

use super::table::{self, NewRow};
use super::{JournalOp, parse_uids};
use crate::domain::uidset::UidSet;
use crate::store::error::Result;

/// Moves every row of `journal_v3` into the new `journal`, keeping ids, then drops it.
pub(crate) fn migrate_v3_journal(tx: &Transaction<'_>) -> Result<()> {
    type Old = (i64, i64, i64, String, String, Option<String>, i64, String);
    let old: Vec<Old> = tx
        .prepare(
            "SELECT id, folder_id, uidvalidity, uids, action, argument, created_at, state
             FROM journal_v3 ORDER BY id",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut folder_exists = tx.prepare("SELECT count(*) FROM folders WHERE id = ?1")?;
    for (id, folder_id, uidvalidity, uids, action, argument, created_at, state) in old {
        let exists: i64 = folder_exists.query_row([folder_id], |r| r.get(0))?;
        if exists == 0 {
            // Only a hand-edited file gets here (the key cascades): no folder to send to,
            // and none to attach a failure to. Said in the log, not a failed migration.
            tracing::warn!(
                id,
                folder_id,
                action,
                "old journal entry of a missing folder left out"
            );
            continue;
        }
        let argument = argument.unwrap_or_default();
        let op = decode(&action, &argument).filter(|_| parse_uids(&uids).is_some());
        let uidvalidity = u32::try_from(uidvalidity).ok();
        let known_state = ["pending", "sending", "done", "failed"].contains(&state.as_str());
        let unreadable = format!(
            "an action queued by an older tern could not be read ({action} {argument:?} \
             on UIDs {uids:?}); it was not sent"
        );
        let (state, failure, reported, op) = match (op, uidvalidity, known_state) {
            (Some(op), Some(_), true) if state == "failed" => (
                "failed",
                Some("the server refused it".to_string()),
                true,
                Some(op),
            ),
            (Some(op), Some(_), true) => (state.as_str(), None, false, Some(op)),
            _ => ("failed", Some(unreadable), false, None),
        };
        let row = NewRow {
            id: Some(id),
            folder_id,
            uidvalidity: uidvalidity.unwrap_or(0),
            uids: &uids,
            state,
            failure: failure.as_deref(),
            reported,
            created_at,
        };
        table::insert(tx, &row, op.as_ref())?;
    }
    drop(folder_exists);
    tx.execute_batch("DROP TABLE journal_v3")?;
    Ok(())
}

/// The schema-3 text encoding, for tests that build old caches.
#[cfg(test)]
pub(crate) fn encode(op: &JournalOp) -> (&'static str, String) {
    match op {
        JournalOp::Move {
            to,
            copy,
            placeholders,
            landed_in,
            sent_uidnext,
            spare,
        } => {
            let pairs: Vec<String> = placeholders
                .iter()
                .map(|(a, b)| format!("{a}={b}"))
                .collect();
            let mut notes: Vec<String> = [("landed", landed_in), ("uidnext", sent_uidnext)]
                .into_iter()
                .filter_map(|(key, value)| value.map(|v| format!("{key}={v}")))
                .collect();
            if !spare.is_empty() {
                notes.push(format!("spare={spare}"));
            }
            let mut argument = format!("{to}\n{}", pairs.join(" "));
            if !notes.is_empty() {
                argument.push_str(&format!("\n{}", notes.join(" ")));
            }
            (if *copy { "copy" } else { "move" }, argument)
        }
        JournalOp::Expunge { spare } if spare.is_empty() => ("expunge", String::new()),
        JournalOp::Expunge { spare } => ("expunge", format!("spare={spare}")),
        JournalOp::Flags { add, remove } => {
            let words: Vec<String> = add
                .iter()
                .map(|f| format!("+{f}"))
                .chain(remove.iter().map(|f| format!("-{f}")))
                .collect();
            ("flags", words.join(" "))
        }
    }
}

/// Reads a schema-3 `action` + `argument`; None for anything this build does not know.
pub(super) fn decode(action: &str, argument: &str) -> Option<JournalOp> {
    match action {
        "move" | "copy" => {
            let (to, rest) = argument.split_once('\n')?;
            let (pairs, notes) = rest.split_once('\n').unwrap_or((rest, ""));
            let placeholders = pairs
                .split_whitespace()
                .map(|pair| {
                    let (a, b) = pair.split_once('=')?;
                    Some((a.parse().ok()?, b.parse().ok()?))
                })
                .collect::<Option<Vec<(u32, u32)>>>()?;
            let (mut landed_in, mut sent_uidnext, mut spare) = (None, None, UidSet::new());
            for note in notes.split_whitespace() {
                match note.split_once('=')? {
                    ("landed", v) => landed_in = Some(v.parse().ok()?),
                    ("uidnext", v) => sent_uidnext = Some(v.parse().ok()?),
                    ("spare", v) => spare = parse_uids(v)?,
                    _ => return None,
                }
            }
            Some(JournalOp::Move {
                to: to.to_string(),
                copy: action == "copy",
                placeholders,
                landed_in,
                sent_uidnext,
                spare,
            })
        }
        "expunge" => {
            let spare = match argument.strip_prefix("spare=") {
                Some(set) => parse_uids(set)?,
                None if argument.is_empty() => UidSet::new(),
                None => return None,
            };
            Some(JournalOp::Expunge { spare })
        }
        "flags" => {
            let mut add = Vec::new();
            let mut remove = Vec::new();
            for word in argument.split_whitespace() {
                match word.split_at_checked(1) {
                    Some(("+", flag)) => add.push(flag.to_string()),
                    Some(("-", flag)) => remove.push(flag.to_string()),
                    _ => return None,
                }
            }
            Some(JournalOp::Flags { add, remove })
        }
        _ => None,
    }
}
