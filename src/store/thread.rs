//! Threading at write time (DESIGN rule 5). Threads are the connected components of
//! Message-ID links (own id, In-Reply-To, References), kept in `thread_ids` as a
//! union-find by relabelling, so arrival order does not matter. Each batch of upserts (and
//! each write transaction) lays out every thread it touched once, at the end, and only then
//! writes its new rows, so a row is written once: parent = In-Reply-To, else the
//! last Reference present in the folder; DFS order by date; `thread_latest` = max date.

use std::collections::{BTreeSet, HashMap, HashSet};

use rusqlite::{OptionalExtension, Transaction, params};

use super::FolderId;
use super::error::{Result, StoreError};
use crate::domain::message::NewMessage;

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

/// New rows by thread, written when the threads are laid out.
pub(crate) type Pending<'m> = HashMap<(FolderId, i64), Vec<NewRow<'m>>>;

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
        pending: &mut Pending<'_>,
        folder: FolderId,
        ids: &[&str],
    ) -> Result<i64> {
        let mut hashes: Vec<i64> = ids
            .iter()
            .map(|id| id.trim())
            .filter(|id| !id.is_empty())
            .map(msgid_hash)
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let mut threads = BTreeSet::new();
        // Ids not yet in the map; the others already point at a thread merged below.
        let mut unknown = Vec::with_capacity(hashes.len());
        {
            let mut find = tx.prepare_cached(
                "SELECT thread_id FROM thread_ids WHERE folder_id = ?1 AND msgid_hash = ?2",
            )?;
            for &h in &hashes {
                match find
                    .query_row(params![folder, h], |r| r.get::<_, i64>(0))
                    .optional()?
                {
                    Some(t) => {
                        threads.insert(t);
                    }
                    None => unknown.push(h),
                }
            }
        }
        let thread = match threads.pop_first() {
            Some(t) => t,
            None => self.new_thread(tx, folder)?,
        };
        for other in threads {
            self.relabel(tx, pending, folder, other, thread)?;
        }
        let mut add = tx.prepare_cached(
            "INSERT OR IGNORE INTO thread_ids (folder_id, msgid_hash, thread_id) VALUES (?1, ?2, ?3)",
        )?;
        for h in unknown {
            add.execute(params![folder, h, thread])?;
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
        pending: &mut Pending<'_>,
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
        if let Some(rows) = pending.remove(&(folder, from)) {
            pending.entry((folder, to)).or_default().extend(rows);
        }
        self.touched.remove(&(folder, from));
        Ok(())
    }

    /// Lays out every touched thread, writes the pending rows with their final places
    /// and stores the thread counters.
    pub fn flush(&mut self, tx: &Transaction<'_>, pending: &mut Pending<'_>) -> Result<()> {
        for (folder, next) in self.next.drain() {
            tx.prepare_cached("UPDATE folders SET next_thread = ?2 WHERE id = ?1")?
                .execute(params![folder, next])?;
        }
        let mut threads = std::mem::take(&mut self.touched);
        threads.extend(pending.keys().copied());
        let mut inserts = Vec::new();
        for (folder, thread) in threads {
            let new = pending.remove(&(folder, thread)).unwrap_or_default();
            let fresh = self.fresh.contains(&(folder, thread));
            layout_thread(tx, folder, thread, fresh, new, &mut inserts)?;
        }
        self.fresh.clear();
        // In key order: appends to the same leaf pages instead of scattered inserts.
        inserts.sort_unstable_by_key(|(row, _, _, _)| (row.0, row.1.uidvalidity, row.1.msg.uid));
        for ((folder, row), thread, latest, place) in inserts {
            super::write::write_row(tx, folder, &row, thread, latest, place)?;
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
            nodes.push(Node {
                uid: r.get(1)?,
                date: r.get(2)?,
                message_id: r.get(3)?,
                in_reply_to: r.get(4)?,
                refs: refs.split_whitespace().map(str::to_string).collect(),
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
    use super::*;

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

    #[test]
    fn hash_is_stable() {
        // On disk: must never change between builds.
        assert_eq!(msgid_hash(""), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_eq!(msgid_hash("a"), 0xaf63_dc4c_8601_ec8c_u64 as i64);
    }
}
