//! Threading at write time (docs/ARCHITECTURE.md rule 5). Threads are the connected components of
//! Message-ID links (own id, In-Reply-To, References), kept in `thread_ids` as a
//! union-find by relabelling, so arrival order does not matter. Each batch of upserts (and
//! each write transaction) lays out every thread it touched once, at the end, and only then
//! writes its new rows, so a row is written once: parent = In-Reply-To, else the
//! last Reference present in the folder; DFS order by date; `thread_latest` = max date.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use rusqlite::{OptionalExtension, Transaction, params};

use super::FolderId;
use super::error::{Result, StoreError};
use crate::domain::message::{NewMessage, SystemFlags};

/// Stable 64-bit FNV-1a of a Message-ID. Stored on disk, so it must never change
/// (std's hasher may). A collision only merges two unrelated threads' display.
pub(crate) fn msgid_hash(id: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// Threading state of one write transaction.
#[derive(Debug, Default)]
pub(crate) struct Threads {
    /// Threads whose layout is stale.
    touched: BTreeSet<(FolderId, i64)>,
    /// Threads started since the last layout with no rows in the table yet: their layout
    /// needs no query.
    fresh: HashSet<(FolderId, i64)>,
    /// Next thread id per folder, counted here and stored at layout time (one UPDATE
    /// per batch instead of one per new thread).
    next: HashMap<FolderId, i64>,
}

/// A new message waiting for its thread's layout, so its row is written once.
pub(crate) struct NewRow<'m> {
    pub msg: &'m NewMessage,
    pub uidvalidity: u32,
    pub date: i64,
    pub modseq: Option<i64>,
    pub refs: String,
}

/// One batch of upserts: new rows waiting for their thread's layout, and the batch's view
/// of `thread_ids`, loaded in one query, so linking needs no lookup per Message-ID.
#[derive(Default)]
pub(crate) struct Batch<'m> {
    rows: HashMap<(FolderId, i64), Vec<NewRow<'m>>>,
    /// The folder `ids` describes.
    folder: Option<FolderId>,
    /// Message-ID hash -> thread, as loaded or linked in this batch; a thread merged since
    /// is found through `merged`.
    ids: HashMap<i64, i64>,
    merged: HashMap<i64, i64>,
    /// Hashes new to `thread_ids`, stored at layout time in key order (the keys are
    /// random: sorted, the inserts walk the tree once).
    new_ids: Vec<i64>,
    /// `ids` holds every hash of the batch that `thread_ids` has: a miss needs no query.
    complete: bool,
}

impl<'m> Batch<'m> {
    /// Loads the threads of every Message-ID the messages name, in one query.
    pub fn load(
        tx: &Transaction<'_>,
        folder: FolderId,
        messages: impl Iterator<Item = &'m NewMessage>,
    ) -> Result<Self> {
        let hashes: Vec<i64> = messages.flat_map(|m| link_ids(m).map(msgid_hash)).collect();
        Ok(Self {
            folder: Some(folder),
            ids: stored_threads(tx, folder, hashes)?,
            complete: true,
            ..Self::default()
        })
    }

    pub fn push(&mut self, folder: FolderId, thread: i64, row: NewRow<'m>) {
        self.rows.entry((folder, thread)).or_default().push(row);
    }

    fn resolve(&self, mut thread: i64) -> i64 {
        // Merges only go to lower ids, so this ends.
        while let Some(&to) = self.merged.get(&thread) {
            thread = to;
        }
        thread
    }

    /// The thread a Message-ID hash belongs to, if any.
    fn find(&mut self, tx: &Transaction<'_>, folder: FolderId, hash: i64) -> Result<Option<i64>> {
        let mine = self.folder == Some(folder);
        if mine && let Some(&t) = self.ids.get(&hash) {
            return Ok(Some(self.resolve(t)));
        }
        if mine && self.complete {
            return Ok(None);
        }
        let found = tx
            .prepare_cached(
                "SELECT thread_id FROM thread_ids WHERE folder_id = ?1 AND msgid_hash = ?2",
            )?
            .query_row(params![folder, hash], |r| r.get::<_, i64>(0))
            .optional()?;
        if mine && let Some(t) = found {
            self.ids.insert(hash, t);
        }
        Ok(found)
    }

    /// Records a new id of `thread`; false if it is not this batch's folder's (the caller
    /// stores it at once).
    fn linked(&mut self, folder: FolderId, hash: i64, thread: i64) -> bool {
        if self.folder != Some(folder) {
            return false;
        }
        self.ids.insert(hash, thread);
        self.new_ids.push(hash);
        true
    }

    /// Stores the new ids with their threads as merged by now.
    fn store_ids(&mut self, tx: &Transaction<'_>) -> Result<()> {
        let (Some(folder), false) = (self.folder, self.new_ids.is_empty()) else {
            return Ok(());
        };
        let mut hashes = std::mem::take(&mut self.new_ids);
        hashes.sort_unstable();
        let mut add = tx.prepare_cached(ADD_ID)?;
        for h in hashes {
            if let Some(&t) = self.ids.get(&h) {
                add.execute(params![folder, h, self.resolve(t)])?;
            }
        }
        Ok(())
    }

    fn merge(&mut self, folder: FolderId, from: i64, to: i64) {
        if self.folder == Some(folder) {
            self.merged.insert(from, to);
        }
        if let Some(rows) = self.rows.remove(&(folder, from)) {
            self.rows.entry((folder, to)).or_default().extend(rows);
        }
    }
}

/// The threads `thread_ids` holds for these hashes, in one query.
fn stored_threads(
    tx: &Transaction<'_>,
    folder: FolderId,
    mut hashes: Vec<i64>,
) -> Result<HashMap<i64, i64>> {
    hashes.sort_unstable();
    hashes.dedup();
    let mut list = String::with_capacity(hashes.len() * 21 + 2);
    list.push('[');
    for (i, h) in hashes.iter().enumerate() {
        let sep = if i > 0 { "," } else { "" };
        // Writing to a String cannot fail.
        let _ = write!(list, "{sep}{h}");
    }
    list.push(']');
    let mut ids = HashMap::with_capacity(hashes.len());
    // As a join the planner may scan the folder's ids once per list entry; IN keeps it
    // to one primary-key search per entry.
    let mut stmt = tx.prepare_cached(
        "SELECT msgid_hash, thread_id FROM thread_ids
         WHERE folder_id = ?1 AND msgid_hash IN (SELECT value FROM json_each(?2))",
    )?;
    let mut q = stmt.query(params![folder, list])?;
    while let Some(r) = q.next()? {
        ids.insert(r.get::<_, i64>(0)?, r.get::<_, i64>(1)?);
    }
    Ok(ids)
}

const ADD_ID: &str =
    "INSERT OR IGNORE INTO thread_ids (folder_id, msgid_hash, thread_id) VALUES (?1, ?2, ?3)";

/// The Message-IDs that link a message into a thread: its own, In-Reply-To, References.
pub(crate) fn link_ids(m: &NewMessage) -> impl Iterator<Item = &str> {
    let h = &m.headers;
    h.message_id
        .iter()
        .chain(h.in_reply_to.iter())
        .chain(h.references.iter())
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
}

impl Threads {
    pub fn touch(&mut self, folder: FolderId, thread: i64) {
        self.touched.insert((folder, thread));
    }

    /// A row of `thread` was written to the table.
    pub fn has_rows(&mut self, folder: FolderId, thread: i64) {
        self.fresh.remove(&(folder, thread));
    }

    /// The folder's rows and thread ids are gone (deleted or reset).
    pub fn forget_folder(&mut self, folder: FolderId) {
        self.touched.retain(|&(f, _)| f != folder);
        self.fresh.retain(|&(f, _)| f != folder);
    }

    pub fn is_idle(&self) -> bool {
        self.touched.is_empty() && self.next.is_empty()
    }

    /// Joins (or starts) the thread for a message with these ids; returns its thread id.
    /// Merges threads when the ids already belong to several.
    pub fn link(
        &mut self,
        tx: &Transaction<'_>,
        batch: &mut Batch<'_>,
        folder: FolderId,
        message: &NewMessage,
    ) -> Result<i64> {
        let mut hashes: Vec<i64> = link_ids(message).map(msgid_hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let mut threads = BTreeSet::new();
        // Ids not yet in the map; the others already point at a thread merged below.
        let mut unknown = Vec::with_capacity(hashes.len());
        for &h in &hashes {
            match batch.find(tx, folder, h)? {
                Some(t) => {
                    threads.insert(t);
                }
                None => unknown.push(h),
            }
        }
        let thread = match threads.pop_first() {
            Some(t) => t,
            None => self.new_thread(tx, folder)?,
        };
        for other in threads {
            self.relabel(tx, batch, folder, other, thread)?;
        }
        for h in unknown {
            if !batch.linked(folder, h, thread) {
                tx.prepare_cached(ADD_ID)?
                    .execute(params![folder, h, thread])?;
            }
        }
        self.touched.insert((folder, thread));
        Ok(thread)
    }

    fn new_thread(&mut self, tx: &Transaction<'_>, folder: FolderId) -> Result<i64> {
        let next = match self.next.get(&folder) {
            Some(&n) => n,
            None => tx
                .prepare_cached("SELECT next_thread FROM folders WHERE id = ?1")?
                .query_row([folder], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("folder id {folder}")))?,
        };
        self.next.insert(folder, next + 1);
        self.fresh.insert((folder, next));
        Ok(next)
    }

    // Without statistics SQLite prefers the WITHOUT ROWID primary key (a folder-wide scan)
    // over messages_thread for `folder_id = ? AND thread_id = ?`, hence INDEXED BY here and
    // in `layout_thread`.
    fn relabel(
        &mut self,
        tx: &Transaction<'_>,
        batch: &mut Batch<'_>,
        folder: FolderId,
        from: i64,
        to: i64,
    ) -> Result<()> {
        tx.prepare_cached(
            "UPDATE thread_ids SET thread_id = ?3 WHERE folder_id = ?1 AND thread_id = ?2",
        )?
        .execute(params![folder, from, to])?;
        if !self.fresh.remove(&(folder, from)) {
            tx.prepare_cached(
                "UPDATE messages INDEXED BY messages_thread SET thread_id = ?3
                 WHERE folder_id = ?1 AND thread_id = ?2",
            )?
            .execute(params![folder, from, to])?;
            self.fresh.remove(&(folder, to));
        }
        batch.merge(folder, from, to);
        self.touched.remove(&(folder, from));
        Ok(())
    }

    /// Lays out every touched thread, writes the pending rows with their final places
    /// and stores the thread counters.
    pub fn flush(&mut self, tx: &Transaction<'_>, batch: &mut Batch<'_>) -> Result<()> {
        for (folder, next) in self.next.drain() {
            tx.prepare_cached("UPDATE folders SET next_thread = ?2 WHERE id = ?1")?
                .execute(params![folder, next])?;
        }
        let mut threads = std::mem::take(&mut self.touched);
        threads.extend(batch.rows.keys().copied());
        batch.store_ids(tx)?;
        // Emptied threads lose their ids below: the batch's view of them is stale.
        batch.ids.clear();
        batch.merged.clear();
        batch.complete = false;
        let mut inserts = Vec::new();
        for (folder, thread) in threads {
            let new = batch.rows.remove(&(folder, thread)).unwrap_or_default();
            let fresh = self.fresh.contains(&(folder, thread));
            layout_thread(tx, folder, thread, fresh, new, &mut inserts)?;
        }
        self.fresh.clear();
        // In key order: appends to the same leaf pages instead of scattered inserts.
        inserts.sort_unstable_by_key(|(row, _, _, _)| (row.0, row.1.uidvalidity, row.1.msg.uid));
        if !inserts.is_empty() {
            let mut insert = tx.prepare_cached(super::write::INSERT_ROW)?;
            // (folder, rows, unread rows) inserted: `folder_counts` (migration 0009).
            let mut added: Vec<(FolderId, u32, u32)> = Vec::new();
            for ((folder, row), thread, latest, place) in inserts {
                if super::write::bind_row(&mut insert, folder, &row, thread, latest, place)? == 1 {
                    super::search_index::index_new_row(tx, folder, &row)?;
                    let unread = u32::from(!row.msg.flags.system.has(SystemFlags::SEEN));
                    match added.iter_mut().find(|(f, _, _)| *f == folder) {
                        Some(entry) => {
                            entry.1 += 1;
                            entry.2 += unread;
                        }
                        None => added.push((folder, 1, unread)),
                    }
                } else {
                    // Already there (a batch holds only uncached UIDs, so never expected):
                    // updated in place, its index then kept by the header trigger.
                    let mut upsert = tx.prepare_cached(super::write::UPSERT_ROW)?;
                    super::write::bind_row(&mut upsert, folder, &row, thread, latest, place)?;
                }
            }
            let mut count = tx.prepare_cached(
                "INSERT INTO folder_counts (folder_id, rows, unseen) VALUES (?1, ?2, ?3)
                 ON CONFLICT (folder_id) DO UPDATE
                 SET rows = rows + excluded.rows, unseen = unseen + excluded.unseen",
            )?;
            for (folder, rows, unread) in added {
                count.execute(params![folder, rows, unread])?;
            }
        }
        Ok(())
    }
}

/// One message as the layout sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub uid: u32,
    pub date: i64,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub refs: Vec<String>,
}

/// Where a node goes: DFS position and depth, indexed like the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Place {
    pub pos: u32,
    pub depth: u32,
}

/// Pure tree layout of one thread. Robust to duplicate ids and reference cycles.
pub(crate) fn layout(nodes: &[Node]) -> Vec<Place> {
    let n = nodes.len();
    let key = |i: usize| (nodes[i].date, nodes[i].uid);
    // Duplicate Message-IDs: the lowest UID owns the id.
    let mut by_uid: Vec<usize> = (0..n).collect();
    by_uid.sort_by_key(|&i| nodes[i].uid);
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for &i in &by_uid {
        if let Some(id) = nodes[i].message_id.as_deref() {
            owner.entry(id).or_insert(i);
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut has_parent = vec![false; n];
    for (i, node) in nodes.iter().enumerate() {
        let parent = node
            .in_reply_to
            .iter()
            .chain(node.refs.iter().rev())
            .filter_map(|id| owner.get(id.as_str()).copied())
            .find(|&p| p != i);
        if let Some(p) = parent {
            children[p].push(i);
            has_parent[i] = true;
        }
    }
    for list in &mut children {
        list.sort_by_key(|&i| key(i));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| key(i));
    // Roots first, then (only with cycles) the earliest node not yet placed.
    let starts = order
        .iter()
        .copied()
        .filter(|&i| !has_parent[i])
        .chain(order.iter().copied().filter(|&i| has_parent[i]));
    let mut place = vec![Place::default(); n];
    let mut seen = vec![false; n];
    let mut pos = 0u32;
    let mut stack = Vec::new();
    for start in starts {
        if seen[start] {
            continue;
        }
        stack.push((start, 0u32));
        while let Some((i, depth)) = stack.pop() {
            if seen[i] {
                continue;
            }
            seen[i] = true;
            place[i] = Place { pos, depth };
            pos += 1;
            for &c in children[i].iter().rev() {
                if !seen[c] {
                    stack.push((c, depth + 1));
                }
            }
        }
    }
    place
}

/// A new row with its final place: ((folder, row), thread, latest, place).
type Insert<'m> = ((FolderId, NewRow<'m>), i64, i64, Place);

/// Recomputes position, depth and latest date of every row of one thread (those in the
/// table unless `fresh`, and `new`); updates the rows that moved and queues the new ones
/// for insertion. Forgets the thread's ids once it has no rows left.
fn layout_thread<'m>(
    tx: &Transaction<'_>,
    folder: FolderId,
    thread: i64,
    fresh: bool,
    new: Vec<NewRow<'m>>,
    inserts: &mut Vec<Insert<'m>>,
) -> Result<()> {
    struct Row {
        uidvalidity: u32,
        latest: i64,
        place: Place,
    }
    let mut rows = Vec::new();
    let mut nodes = Vec::new();
    if !fresh {
        let mut stmt = tx.prepare_cached(
            "SELECT uidvalidity, uid, date, message_id, in_reply_to, refs, thread_latest, thread_pos, depth
             FROM messages INDEXED BY messages_thread WHERE folder_id = ?1 AND thread_id = ?2",
        )?;
        let mut q = stmt.query(params![folder, thread])?;
        while let Some(r) = q.next()? {
            let refs: String = r.get(5)?;
            let refs: Vec<String> = refs.split_whitespace().map(str::to_string).collect();
            nodes.push(Node {
                uid: r.get(1)?,
                date: r.get(2)?,
                message_id: r.get(3)?,
                in_reply_to: super::rows::in_reply_to_from_sql(r.get(4)?, &refs),
                refs,
            });
            rows.push(Row {
                uidvalidity: r.get(0)?,
                latest: r.get(6)?,
                place: Place {
                    pos: r.get(7)?,
                    depth: r.get(8)?,
                },
            });
        }
    }
    if nodes.is_empty() && new.is_empty() {
        tx.prepare_cached("DELETE FROM thread_ids WHERE folder_id = ?1 AND thread_id = ?2")?
            .execute(params![folder, thread])?;
        return Ok(());
    }
    let stored = nodes.len();
    nodes.extend(new.iter().map(|row| {
        let h = &row.msg.headers;
        Node {
            uid: row.msg.uid,
            date: row.date,
            message_id: h.message_id.clone(),
            in_reply_to: h.in_reply_to.clone(),
            refs: h.references.clone(),
        }
    }));
    let latest = nodes.iter().map(|n| n.date).max().unwrap_or(0);
    let places = layout(&nodes);
    let mut update = tx.prepare_cached(
        "UPDATE messages SET thread_latest = ?4, thread_pos = ?5, depth = ?6
         WHERE folder_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
    )?;
    for ((node, row), &place) in nodes.iter().zip(&rows).zip(&places) {
        if row.latest != latest || row.place != place {
            update.execute(params![
                folder,
                row.uidvalidity,
                node.uid,
                latest,
                place.pos,
                place.depth
            ])?;
        }
    }
    for (row, &place) in new.into_iter().zip(&places[stored..]) {
        inserts.push(((folder, row), thread, latest, place));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::store::tests::{Fixture, UV, fixture, msg};

    fn node(uid: u32, date: i64, id: &str, parent: Option<&str>) -> Node {
        Node {
            uid,
            date,
            message_id: Some(id.to_string()),
            in_reply_to: parent.map(str::to_string),
            refs: parent.map(str::to_string).into_iter().collect(),
        }
    }

    #[test]
    fn layout_is_dfs_by_date() {
        // root a; b and c reply to a (c earlier); d replies to b.
        let nodes = [
            node(1, 10, "a", None),
            node(2, 30, "b", Some("a")),
            node(3, 20, "c", Some("a")),
            node(4, 40, "d", Some("b")),
        ];
        let p = layout(&nodes);
        let got: Vec<(u32, u32)> = p.iter().map(|p| (p.pos, p.depth)).collect();
        assert_eq!(got, [(0, 0), (2, 1), (1, 1), (3, 2)]);
    }

    #[test]
    fn layout_survives_cycles_and_duplicates() {
        let nodes = [
            node(1, 10, "a", Some("b")),
            node(2, 20, "b", Some("a")),
            node(3, 30, "a", Some("a")),
        ];
        let p = layout(&nodes);
        let mut pos: Vec<u32> = p.iter().map(|p| p.pos).collect();
        pos.sort_unstable();
        assert_eq!(pos, [0, 1, 2], "every node placed exactly once");
        assert_eq!(p[0].depth, 0, "earliest node of the cycle becomes the root");
    }

    /// Per uid: (lowest uid of its thread, thread_latest, thread_pos, depth); thread ids
    /// themselves depend on arrival order.
    fn snapshot(f: &Fixture) -> BTreeMap<u32, (u32, i64, u32, u32)> {
        let conn = rusqlite::Connection::open(&f.path).unwrap();
        let mut stmt = conn
            .prepare("SELECT uid, thread_id, thread_latest, thread_pos, depth FROM messages")
            .unwrap();
        let rows: Vec<(u32, i64, i64, u32, u32)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut first: HashMap<i64, u32> = HashMap::new();
        for &(uid, thread, ..) in &rows {
            let e = first.entry(thread).or_insert(uid);
            *e = (*e).min(uid);
        }
        rows.into_iter()
            .map(|(uid, t, latest, pos, depth)| (uid, (first[&t], latest, pos, depth)))
            .collect()
    }

    /// Every thread in the table is laid out: positions 0..n, one latest date, the max.
    fn assert_laid_out(f: &Fixture) {
        let conn = rusqlite::Connection::open(&f.path).unwrap();
        let mut stmt = conn
            .prepare("SELECT thread_id, date, thread_latest, thread_pos FROM messages")
            .unwrap();
        let mut threads: HashMap<i64, Vec<(i64, i64, u32)>> = HashMap::new();
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap();
        for row in rows {
            let (t, date, latest, pos) = row.unwrap();
            threads.entry(t).or_default().push((date, latest, pos));
        }
        for (t, rows) in threads {
            let max = rows.iter().map(|r| r.0).max().unwrap();
            assert!(rows.iter().all(|r| r.1 == max), "thread {t}: {rows:?}");
            let mut pos: Vec<u32> = rows.iter().map(|r| r.2).collect();
            pos.sort_unstable();
            assert_eq!(
                pos,
                (0..rows.len() as u32).collect::<Vec<_>>(),
                "thread {t}"
            );
        }
    }

    /// A small deterministic generator (no seeds to keep in sync with a crate).
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (self.0 >> 33) % n
        }
    }

    /// Replies with full, partial or no References, missing parents shared by unrelated
    /// messages (merges), messages without or with duplicate Message-IDs, date ties.
    fn corpus(n: u32, seed: u64) -> Vec<NewMessage> {
        let mut r = Lcg(seed);
        let mut out: Vec<NewMessage> = Vec::new();
        for uid in 1..=n {
            let date = 1000 + i64::from(uid / 3) * 10 + r.below(25) as i64;
            let id = match r.below(20) {
                0 => None,
                1 if uid > 1 => Some(format!("m{}", r.below(u64::from(uid - 1)) + 1)),
                _ => Some(format!("m{uid}")),
            };
            let mut m = msg(uid, date, id.as_deref().unwrap_or(""), None);
            m.headers.message_id = id;
            if uid > 1 && r.below(2) == 0 {
                let parent = &out[r.below(u64::from(uid - 1)) as usize];
                let mut refs = parent.headers.references.clone();
                refs.extend(parent.headers.message_id.clone());
                match r.below(4) {
                    0 => refs.clear(),
                    1 => {
                        refs.drain(..refs.len() / 2);
                    }
                    _ => {}
                }
                m.headers.in_reply_to = parent.headers.message_id.clone();
                m.headers.references = refs;
            } else if r.below(15) == 0 {
                let missing = format!("gone{}", r.below(5));
                m.headers.in_reply_to = Some(missing.clone());
                m.headers.references = vec![missing];
            }
            out.push(m);
        }
        out
    }

    fn insert_batches(f: &Fixture, batches: &[Vec<NewMessage>], check: bool) {
        for batch in batches {
            f.insert(batch.clone());
            if check {
                assert_laid_out(f);
            }
        }
    }

    #[test]
    fn batching_and_arrival_order_do_not_change_threads() {
        for seed in 1..=4 {
            let all = corpus(400, seed);
            let one_by_one = fixture();
            insert_batches(
                &one_by_one,
                &all.iter().map(|m| vec![m.clone()]).collect::<Vec<_>>(),
                false,
            );
            let want = snapshot(&one_by_one);
            assert_laid_out(&one_by_one);

            // As a first sync: newest first, a small batch, then big ones; every commit
            // (where a kill may stop it) leaves laid-out threads.
            let newest_first: Vec<NewMessage> = all.iter().rev().cloned().collect();
            let batches: Vec<Vec<NewMessage>> = [
                &newest_first[..20],
                &newest_first[20..170],
                &newest_first[170..],
            ]
            .iter()
            .map(|b| b.to_vec())
            .collect();
            let synced = fixture();
            insert_batches(&synced, &batches, true);
            assert_eq!(snapshot(&synced), want, "seed {seed}: newest-first batches");

            // Shuffled, uneven batches, some carrying a UID twice.
            let mut r = Lcg(seed * 7919);
            let mut shuffled = all.clone();
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, r.below(i as u64 + 1) as usize);
            }
            let mut batches = Vec::new();
            let mut rest = &shuffled[..];
            while !rest.is_empty() {
                let (b, tail) = rest.split_at((r.below(90) as usize + 1).min(rest.len()));
                let mut b = b.to_vec();
                if r.below(3) == 0 {
                    b.push(b[0].clone());
                }
                batches.push(b);
                rest = tail;
            }
            let mixed = fixture();
            insert_batches(&mixed, &batches, true);
            assert_eq!(snapshot(&mixed), want, "seed {seed}: shuffled batches");
        }
    }

    #[test]
    fn relinked_rows_in_a_batch_match_one_by_one() {
        let all = corpus(200, 11);
        // Later copies of some messages with other links, mixed with new messages.
        let mut r = Lcg(5);
        let mut later: Vec<NewMessage> = Vec::new();
        for m in all.iter().step_by(7) {
            let mut m = m.clone();
            let other = format!("m{}", r.below(200) + 1);
            m.headers.in_reply_to = Some(other.clone());
            m.headers.references = vec![other];
            m.headers.date = m.headers.date.map(|d| d + 1);
            later.push(m);
        }
        later.extend(corpus(260, 11).into_iter().skip(200));
        let a = fixture();
        a.insert(all.clone());
        insert_batches(
            &a,
            &later.iter().map(|m| vec![m.clone()]).collect::<Vec<_>>(),
            false,
        );
        let b = fixture();
        b.insert(all);
        b.insert(later);
        assert_laid_out(&b);
        assert_eq!(snapshot(&b), snapshot(&a));
        // The relinked copies replaced their rows: 200 first copies and 60 new messages.
        let count: u32 = rusqlite::Connection::open(&b.path)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM messages WHERE uidvalidity = ?1",
                [UV],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(count, 260);
    }

    #[test]
    fn stored_threads_finds_extreme_hashes() {
        // The list goes through JSON: 64-bit values must come back as exact integers.
        let f = fixture();
        let folder = f.folder;
        let hashes = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        let found = f
            .store
            .write(move |tx| {
                for (i, h) in hashes.iter().enumerate() {
                    tx.sql()
                        .execute(ADD_ID, params![folder, h, i as i64 + 10])?;
                }
                let mut asked = hashes.to_vec();
                asked.push(42);
                stored_threads(tx.sql(), folder, asked)
            })
            .unwrap();
        assert_eq!(found.len(), hashes.len());
        for (i, h) in hashes.iter().enumerate() {
            assert_eq!(found.get(h), Some(&(i as i64 + 10)), "hash {h}");
        }
    }

    #[test]
    fn hash_is_stable() {
        // On disk: must never change between builds.
        assert_eq!(msgid_hash(""), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_eq!(msgid_hash("a"), 0xaf63_dc4c_8601_ec8c_u64 as i64);
    }
}
