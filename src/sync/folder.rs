//! Brings one folder of the cache in step with the server, one transaction per step, so a
//! kill at any moment leaves a cache the next run resumes from.

use tokio::task::JoinHandle;

use super::apply::{Applied, RawMessage, apply_updates, parse_all};
use super::error::Result;
use super::plan::{CachedState, Plan, ServerCaps, plan};
use crate::domain::headers::HEADER_FIELDS;
use crate::domain::uidset::UidSet;
use crate::imap::{
    FetchItem, ImapClient, QresyncParams, SearchQuery, SelectInfo, Update, convert::salvage_fetch,
};
use crate::store::{FolderId, PLACEHOLDER_BASE, Store};

/// The first batch is small so the newest page lands in the cache at once.
const FIRST_BATCH: usize = 200;
/// 10k, not 5k: fewer commits and larger FTS segments; a first sync of a million messages
/// 32-36 s -> 26-32 s here, peak memory under 100 MB with three batches in flight.
const BATCH: usize = 10_000;
/// The last batches halve down to this: what is still to parse and write once the last
/// FETCH is in stays small.
const LAST_BATCH: usize = 500;
/// UIDs per FETCH of flags alone (about 60 bytes each on the wire, a few hundred parsed).
const FLAGS_CHUNK: u64 = 10_000;

/// The size of the next batch with `left` messages to go.
fn batch_size(first: bool, left: usize) -> usize {
    let size = if first {
        FIRST_BATCH
    } else {
        BATCH.min(left.div_ceil(2).max(LAST_BATCH))
    };
    size.min(left)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderReport {
    pub folder: String,
    pub plan: String,
    pub fetched: usize,
    pub flags_changed: usize,
    pub removed: usize,
    /// Messages listed as placeholder rows: their FETCH or headers could not be read.
    pub unreadable: usize,
}

/// Progress callback: (messages fetched so far, messages to fetch).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

pub fn header_items() -> Vec<FetchItem> {
    vec![
        FetchItem::Uid,
        FetchItem::Flags,
        FetchItem::InternalDate,
        FetchItem::Size,
        FetchItem::HeaderFields(HEADER_FIELDS.iter().map(|f| f.to_string()).collect()),
    ]
}

fn with_modseq(mut items: Vec<FetchItem>, client: &ImapClient) -> Vec<FetchItem> {
    if client.has_capability("CONDSTORE") || client.is_enabled("QRESYNC") {
        items.push(FetchItem::ModSeq);
    }
    items
}

pub struct FolderSync<'a> {
    pub client: &'a mut ImapClient,
    pub store: &'a Store,
    pub progress: Progress<'a>,
}

impl FolderSync<'_> {
    /// SELECTs `name` (leaving it selected, ready for IDLE) and syncs it.
    pub async fn run(&mut self, name: &str) -> Result<(FolderReport, SelectInfo)> {
        let reader = self.store.reader()?;
        // A folder the cache does not know yet is added once SELECT proved it exists.
        let known = reader.folder(name)?;
        if known.as_ref().is_some_and(|f| !f.selectable) {
            return Err(crate::imap::ImapError::new(
                crate::imap::ErrorKind::Command,
                format!("{name} only holds other folders (\\Noselect); it cannot be opened"),
            )
            .into());
        }
        let cached = match &known {
            Some(state) => CachedState {
                uidvalidity: state.uidvalidity,
                uidnext: state.uidnext,
                highestmodseq: state.highestmodseq,
                complete: state.complete,
                count: reader.count(state.id)?,
            },
            None => CachedState::default(),
        };
        drop(reader);
        let qresync = match (cached.uidvalidity, cached.highestmodseq) {
            (Some(uid_validity), Some(modseq))
                if cached.complete && self.client.is_enabled("QRESYNC") =>
            {
                Some(QresyncParams {
                    uid_validity,
                    modseq,
                    known_uids: None,
                })
            }
            _ => None,
        };
        let mut pushes = Vec::new();
        let info = self
            .client
            .select(name, false, qresync.as_ref(), &mut |u| pushes.push(u))
            .await?;
        let folder = match known {
            Some(state) => state.id,
            None => {
                let owned = name.to_string();
                self.store
                    .write_async(move |tx| tx.upsert_folder(&owned, None, None))
                    .await?
            }
        };
        let caps = ServerCaps {
            qresync: qresync.is_some(),
            condstore: self.client.has_capability("CONDSTORE") || self.client.is_enabled("QRESYNC"),
        };
        let Some(uidvalidity) = info.uid_validity else {
            return Err(crate::imap::ImapError::protocol(format!(
                "{name}: the server gave no UIDVALIDITY"
            ))
            .into());
        };
        let plan = plan(&cached, &info, caps);
        let mut report = FolderReport {
            folder: name.to_string(),
            plan: format!("{plan:?}"),
            ..FolderReport::default()
        };
        let mut step = Step {
            client: &mut *self.client,
            store: self.store,
            folder,
            uidvalidity,
            progress: self.progress,
            report: &mut report,
        };
        match plan {
            Plan::Full { reset } => {
                // Also on a first sync, so an empty folder records its UIDVALIDITY too.
                if reset || cached.uidvalidity.is_none() {
                    step.store
                        .write_async(move |tx| tx.reset_folder(folder, uidvalidity))
                        .await?;
                }
                step.apply(pushes).await?;
                let cold = cached.count == 0 || reset;
                let newest = if cold && info.exists > 0 {
                    step.fetch_newest_page(info.exists).await?
                } else {
                    // A page a cut first sync left without sizes is fetched again whole.
                    step.store
                        .write_async(move |tx| tx.uids_without_size(folder, uidvalidity))
                        .await?
                };
                let kept = step.fetch_missing(&newest).await?;
                // Flags of rows kept from an interrupted first sync may be stale.
                if cached.count > 0 && !reset {
                    step.refresh_flags_of(&kept).await?;
                }
            }
            Plan::Qresync { new_from } => {
                step.apply(pushes).await?;
                step.fetch_new(new_from).await?;
                step.check_count(info.exists).await?;
            }
            Plan::Condstore { since, new_from } => {
                step.apply(pushes).await?;
                step.fetch_changed_flags(since).await?;
                step.fetch_new(new_from).await?;
                step.check_count(info.exists).await?;
            }
            Plan::Plain {
                known_below,
                new_from,
            } => {
                step.apply(pushes).await?;
                step.refresh_all_flags(known_below).await?;
                step.fetch_new(new_from).await?;
                step.check_count(info.exists).await?;
            }
            Plan::UpToDate => {
                step.apply(pushes).await?;
            }
        }
        let (uidnext, modseq) = (info.uid_next, info.highest_modseq);
        self.store
            .write_async(move |tx| {
                tx.set_sync_state(folder, uidnext, modseq)?;
                tx.set_progress(folder, None, true)?;
                tx.refresh_counts(folder)?;
                Ok(())
            })
            .await?;
        Ok((report, info))
    }
}

/// New mail a push announced in the folder `client` has selected: its headers fetched
/// without SELECTing again (under NOTIFY a maildir Dovecot rescans the folder on every
/// SELECT: 4 s at a million messages). False when this cannot stand for a resync: the
/// folder is not the one selected, its first sync is not complete, or the counts then
/// differ (an expunge was missed).
pub async fn fetch_pushed_new(client: &mut ImapClient, store: &Store, name: &str) -> Result<bool> {
    let Some(state) = store.reader()?.folder(name)? else {
        return Ok(false);
    };
    // Without QRESYNC the sequence map (for EXPUNGE pushes) is rebuilt by a resync.
    let selected_here = client.is_enabled("QRESYNC")
        && client.selected().is_some_and(|(n, _)| n == name)
        && client.selected_uid_validity() == state.uidvalidity;
    let (Some(uidvalidity), Some(from), true, true) = (
        state.uidvalidity,
        state.uidnext,
        state.complete,
        selected_here,
    ) else {
        return Ok(false);
    };
    let quiet = |_: usize, _: usize| {};
    let mut report = FolderReport::default();
    let mut step = Step {
        client: &mut *client,
        store,
        folder: state.id,
        uidvalidity,
        progress: &quiet,
        report: &mut report,
    };
    let newest = step.fetch_new(Some(from)).await?;
    let (folder, modseq) = (state.id, state.highestmodseq);
    let uidnext = newest.map_or(from, |uid| uid.saturating_add(1));
    let (count, _) = store
        .write_async(move |tx| {
            // HIGHESTMODSEQ stays: the next resync asks for changes since the last full one.
            tx.set_sync_state(folder, Some(uidnext), modseq)?;
            tx.refresh_counts(folder)
        })
        .await?;
    Ok(client.exists() == Some(count))
}

/// One folder's sync in progress.
pub struct Step<'a> {
    pub client: &'a mut ImapClient,
    pub store: &'a Store,
    pub folder: FolderId,
    pub uidvalidity: u32,
    pub progress: Progress<'a>,
    pub report: &'a mut FolderReport,
}

impl Step<'_> {
    /// Applies untagged updates in one transaction.
    pub async fn apply(&mut self, updates: Vec<Update>) -> Result<Applied> {
        if updates.is_empty() {
            return Ok(Applied::default());
        }
        let (folder, uidvalidity) = (self.folder, self.uidvalidity);
        let applied = self
            .store
            .write_async(move |tx| apply_updates(tx, folder, uidvalidity, &updates))
            .await?;
        self.report.flags_changed += applied.flags_changed;
        self.report.removed += applied.removed;
        Ok(applied)
    }

    /// A first sync's newest page, before any UID list: by sequence number, and without
    /// RFC822.SIZE, which costs a maildir server a read of the folder's whole UID list
    /// (1.5 s at a million messages). Returns the UIDs stored, to be fetched again whole.
    async fn fetch_newest_page(&mut self, exists: u32) -> Result<UidSet> {
        let first = exists.saturating_sub(FIRST_BATCH as u32 - 1).max(1);
        let items: Vec<FetchItem> = with_modseq(header_items(), self.client)
            .into_iter()
            .filter(|item| *item != FetchItem::Size)
            .collect();
        let mut messages = Vec::new();
        let mut others = Vec::new();
        self.client
            .fetch_by_seq(first, exists, &items, &mut |u| {
                sort_header_answer(u, |_| true, &mut messages, &mut others);
            })
            .await?;
        self.apply(others).await?;
        let page: UidSet = messages.iter().map(|m| m.uid).collect();
        // Placeholders here are counted when the page is fetched again.
        self.write_raw(messages).await?;
        (self.progress)(page.len() as usize, exists as usize);
        Ok(page)
    }

    /// Parses and stores fetched messages in one transaction; how many became placeholders.
    async fn write_raw(&self, messages: Vec<RawMessage>) -> Result<usize> {
        let (folder, uidvalidity) = (self.folder, self.uidvalidity);
        Ok(self
            .store
            .write_async(move |tx| {
                let (parsed, unreadable) = parse_all(messages);
                tx.upsert_messages(folder, uidvalidity, &parsed)?;
                Ok(unreadable)
            })
            .await?)
    }

    /// Everything on the server the cache lacks, newest first, in batches; UIDs the server
    /// no longer has are dropped first. `again` were stored without their size: they are
    /// fetched again with the first batch. Returns the cached UIDs the server still has.
    async fn fetch_missing(&mut self, again: &UidSet) -> Result<UidSet> {
        let mut pushes = Vec::new();
        let server: UidSet = self
            .client
            .uid_search(SearchQuery::All, &mut |u| pushes.push(u))
            .await?
            .into_iter()
            .collect();
        self.apply(pushes).await?;
        let (folder, uidvalidity) = (self.folder, self.uidvalidity);
        // Moved-away messages wait in the journal: they must not come back before the
        // server has them gone; placeholders are ours, not the server's.
        let (cached, pending) = self
            .store
            .write_async(move |tx| {
                Ok((
                    tx.uids(folder, uidvalidity)?,
                    tx.pending_uids(folder, uidvalidity)?,
                ))
            })
            .await?;
        let stale: UidSet = cached
            .iter()
            .filter(|&u| u < PLACEHOLDER_BASE && !server.contains(u))
            .collect();
        if !stale.is_empty() {
            let removed = self
                .store
                .write_async(move |tx| tx.remove_uids(folder, uidvalidity, &stale))
                .await?;
            self.report.removed += removed;
        }
        let mut missing: Vec<u32> = server
            .iter()
            .filter(|&u| (!cached.contains(u) || again.contains(u)) && !pending.contains(u))
            .collect();
        missing.reverse();
        self.fetch_batches(&missing, again.is_empty()).await?;
        Ok(cached.intersection(&server))
    }

    /// Fetches the given UIDs (newest first) in batches, committing each batch while the
    /// next one is on the wire.
    async fn fetch_batches(&mut self, newest_first: &[u32], small_first: bool) -> Result<()> {
        let total = newest_first.len();
        let items = with_modseq(header_items(), self.client);
        let mut pending: Vec<JoinHandle<Result<usize, crate::store::StoreError>>> = Vec::new();
        let mut done = 0;
        let mut rest = newest_first;
        let mut first = small_first;
        while !rest.is_empty() {
            let size = batch_size(first, rest.len());
            first = false;
            let (batch, tail) = rest.split_at(size);
            rest = tail;
            let set: UidSet = batch.iter().copied().collect();
            let mut messages = Vec::with_capacity(batch.len());
            let mut others = Vec::new();
            self.client
                .uid_fetch(&set.to_string(), &items, None, &mut |u| match u {
                    Update::Fetch(fetch) if fetch.header.is_some() => {
                        if let Some(raw) = RawMessage::from_fetch(*fetch) {
                            messages.push(raw);
                        }
                    }
                    Update::Unparsed(preview) => {
                        let salvaged = salvage_fetch(&preview).and_then(RawMessage::unreadable);
                        messages.extend(salvaged.filter(|m| set.contains(m.uid)));
                    }
                    other => others.push(other),
                })
                .await?;
            done += messages.len();
            self.report.fetched += messages.len();
            self.apply(others).await?;
            let store = self.store.clone();
            let (folder, uidvalidity) = (self.folder, self.uidvalidity);
            pending.push(tokio::spawn(async move {
                // Header parsing runs beside both the network and the cache writer.
                let (parsed, unreadable) = tokio::task::spawn_blocking(move || parse_all(messages))
                    .await
                    .map_err(|e| {
                        crate::store::StoreError::Bug(format!("header parser failed: {e}"))
                    })?;
                store
                    .write_async(move |tx| tx.upsert_messages(folder, uidvalidity, &parsed))
                    .await?;
                Ok(unreadable)
            }));
            // Up to three batches in flight (one parsing, one writing, one waiting) keeps the
            // network, the parser and the writer busy at once; memory stays bounded.
            if pending.len() > 2 {
                let oldest = pending.remove(0);
                self.report.unreadable += join(oldest).await?;
            }
            (self.progress)(done, total);
        }
        for handle in pending {
            self.report.unreadable += join(handle).await?;
        }
        Ok(())
    }

    /// Headers of messages with UID >= `from`; the newest UID stored, if any.
    async fn fetch_new(&mut self, from: Option<u32>) -> Result<Option<u32>> {
        let Some(from) = from else { return Ok(None) };
        let items = with_modseq(header_items(), self.client);
        let mut messages = Vec::new();
        let mut others = Vec::new();
        self.client
            .uid_fetch(&format!("{from}:*"), &items, None, &mut |u| {
                // `n:*` also names the last message when no UID >= n exists.
                sort_header_answer(u, |uid| uid >= from, &mut messages, &mut others);
            })
            .await?;
        self.apply(others).await?;
        if messages.is_empty() {
            return Ok(None);
        }
        let newest = messages.iter().map(|m| m.uid).max();
        self.report.fetched += messages.len();
        self.report.unreadable += self.write_raw(messages).await?;
        Ok(newest)
    }

    /// CONDSTORE: flags changed since `since`.
    async fn fetch_changed_flags(&mut self, since: u64) -> Result<()> {
        let mut updates = Vec::new();
        self.client
            .uid_fetch(
                "1:*",
                &[FetchItem::Uid, FetchItem::Flags, FetchItem::ModSeq],
                Some(since),
                &mut |u| updates.push(u),
            )
            .await?;
        self.apply(updates).await?;
        Ok(())
    }

    /// The flags of `uids`, in chunks applied as they come: a resumed first sync of a
    /// million messages must not hold every FETCH in memory at once.
    async fn refresh_flags_of(&mut self, uids: &UidSet) -> Result<()> {
        let mut chunk = UidSet::new();
        let mut in_chunk = 0;
        for uid in uids.iter() {
            chunk.insert(uid);
            in_chunk += 1;
            if in_chunk == FLAGS_CHUNK {
                self.fetch_flags(&std::mem::take(&mut chunk)).await?;
                in_chunk = 0;
            }
        }
        if !chunk.is_empty() {
            self.fetch_flags(&chunk).await?;
        }
        Ok(())
    }

    async fn fetch_flags(&mut self, uids: &UidSet) -> Result<()> {
        let items = with_modseq(vec![FetchItem::Uid, FetchItem::Flags], self.client);
        let mut updates = Vec::new();
        self.client
            .uid_fetch(&uids.to_string(), &items, None, &mut |u| updates.push(u))
            .await?;
        self.apply(updates).await?;
        Ok(())
    }

    /// No extensions: every flag of the cached range, and the UIDs that disappeared from it.
    async fn refresh_all_flags(&mut self, below: u32) -> Result<()> {
        let range = if below == u32::MAX {
            "1:*".to_string()
        } else if below > 1 {
            format!("1:{}", below - 1)
        } else {
            return Ok(());
        };
        let mut updates = Vec::new();
        let mut seen = UidSet::new();
        self.client
            .uid_fetch(
                &range,
                &[FetchItem::Uid, FetchItem::Flags],
                None,
                &mut |u| {
                    if let Update::Fetch(fetch) = &u
                        && let Some(uid) = fetch.uid
                    {
                        seen.insert(uid);
                    }
                    updates.push(u);
                },
            )
            .await?;
        self.apply(updates).await?;
        let (folder, uidvalidity) = (self.folder, self.uidvalidity);
        let removed = self
            .store
            .write_async(move |tx| {
                let cached = tx.uids(folder, uidvalidity)?;
                let gone: UidSet = cached
                    .iter()
                    .filter(|&u| u < below && u < PLACEHOLDER_BASE && !seen.contains(u))
                    .collect();
                if gone.is_empty() {
                    Ok(0)
                } else {
                    tx.remove_uids(folder, uidvalidity, &gone)
                }
            })
            .await?;
        self.report.removed += removed;
        Ok(())
    }

    /// If the cache and the server disagree on the number of messages, expunges were
    /// missed (no QRESYNC) or messages are missing: reconcile with the UID list.
    async fn check_count(&mut self, exists_at_select: u32) -> Result<()> {
        let exists = self.client.exists().unwrap_or(exists_at_select);
        if self.store.reader()?.count(self.folder)? == exists {
            return Ok(());
        }
        self.fetch_missing(&UidSet::new()).await?;
        Ok(())
    }
}

/// One answer to a header FETCH: a message (readable or salvaged as a placeholder) whose
/// UID `keep` accepts, or an update for `Step::apply`.
fn sort_header_answer(
    update: Update,
    keep: impl Fn(u32) -> bool,
    messages: &mut Vec<RawMessage>,
    others: &mut Vec<Update>,
) {
    let message = match update {
        Update::Fetch(fetch) if fetch.header.is_some() => RawMessage::from_fetch(*fetch),
        Update::Unparsed(preview) => salvage_fetch(&preview).and_then(RawMessage::unreadable),
        other => {
            others.push(other);
            return;
        }
    };
    messages.extend(message.filter(|m| keep(m.uid)));
}

/// Waits for a batch's parse and write; its count of placeholder rows.
async fn join(handle: JoinHandle<Result<usize, crate::store::StoreError>>) -> Result<usize> {
    match handle.await {
        Ok(result) => Ok(result?),
        Err(e) => Err(crate::imap::ImapError::bug(format!("cache writer task failed: {e}")).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_start_small_then_halve_down_at_the_end() {
        let mut sizes = Vec::new();
        let mut left = 23_000;
        while left > 0 {
            let size = batch_size(sizes.is_empty(), left);
            sizes.push(size);
            left -= size;
        }
        assert_eq!(sizes, [200, 10_000, 6400, 3200, 1600, 800, 500, 300]);
        assert_eq!(batch_size(true, 50), 50);
        assert_eq!(batch_size(false, 1), 1);
    }
}
