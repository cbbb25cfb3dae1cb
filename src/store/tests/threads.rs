use super::{Fixture, UV, fixture, msg};
use crate::domain::message::NewMessage;
use crate::domain::uidset::UidSet;
use crate::store::{SortOrder, Window};

/// (uid, depth) in Threaded order, and the thread id of every uid in that order.
fn threaded(f: &Fixture) -> (Vec<(u32, u32)>, Vec<i64>) {
    let rows = f
        .store
        .reader()
        .unwrap()
        .window(f.folder, SortOrder::Threaded, Window::Offset(0), 200)
        .unwrap();
    (
        rows.iter().map(|r| (r.uid, r.depth)).collect(),
        rows.iter().map(|r| r.thread_id).collect(),
    )
}

/// root a(1) <- b(2) <- d(4); a <- c(3); and an unrelated x(5).
fn family() -> Vec<NewMessage> {
    vec![
        msg(1, 100, "a", None),
        msg(2, 300, "b", Some("a")),
        msg(3, 200, "c", Some("a")),
        msg(4, 400, "d", Some("b")),
        msg(5, 350, "x", None),
    ]
}

#[test]
fn replies_before_parents_end_up_in_one_thread() {
    let f = fixture();
    // Newest first, one transaction per message, as a newest-first sync would.
    let mut list = family();
    list.sort_by_key(|m| std::cmp::Reverse(m.uid));
    for m in list {
        f.insert(vec![m]);
    }
    let (order, threads) = threaded(&f);
    // Thread {a,b,c,d} is latest (400) so first; DFS by date: a, c(200), b(300), d.
    assert_eq!(order, [(1, 0), (3, 1), (2, 1), (4, 2), (5, 0)]);
    assert!(threads[..4].iter().all(|&t| t == threads[0]));
    assert_ne!(threads[4], threads[0]);
}

#[test]
fn layout_does_not_depend_on_arrival_order() {
    let orders: [&[usize]; 4] = [
        &[0, 1, 2, 3, 4],
        &[4, 3, 2, 1, 0],
        &[3, 0, 4, 2, 1],
        &[1, 3, 0, 2, 4],
    ];
    let mut results = Vec::new();
    for order in orders {
        let f = fixture();
        let list = family();
        // Two batches in different transactions, each internally in the given order.
        let (first, second) = order.split_at(2);
        f.insert(first.iter().map(|&i| list[i].clone()).collect());
        f.insert(second.iter().map(|&i| list[i].clone()).collect());
        results.push(threaded(&f).0);
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
}

#[test]
fn a_message_referencing_two_threads_merges_them() {
    let f = fixture();
    f.insert(vec![msg(1, 100, "x1", None), msg(2, 110, "x2", Some("x1"))]);
    f.insert(vec![msg(3, 120, "y1", None), msg(4, 130, "y2", Some("y1"))]);
    let (_, threads) = threaded(&f);
    assert_ne!(threads[0], threads[3], "two threads before");
    let mut z = msg(5, 140, "z", Some("y2"));
    z.headers.references = vec!["x1".into(), "y1".into(), "y2".into()];
    f.insert(vec![z]);
    let (order, threads) = threaded(&f);
    assert!(threads.iter().all(|&t| t == threads[0]), "{threads:?}");
    // Two roots in one thread, ordered by date, z under y2.
    assert_eq!(order, [(1, 0), (2, 1), (3, 0), (4, 1), (5, 2)]);
}

#[test]
fn shared_missing_ancestor_groups_siblings() {
    let f = fixture();
    // Both reply to a message that is not in the folder.
    f.insert(vec![
        msg(1, 100, "a", Some("gone")),
        msg(2, 200, "b", Some("gone")),
    ]);
    let (order, threads) = threaded(&f);
    assert_eq!(threads[0], threads[1]);
    assert_eq!(order, [(1, 0), (2, 0)]);
}

#[test]
fn removing_a_parent_keeps_children_visible() {
    let f = fixture();
    f.insert(family());
    let id = f.folder;
    f.store
        .write(move |tx| tx.remove_uids(id, UV, &UidSet::from_ranges([(1, 1)])))
        .unwrap();
    let (order, threads) = threaded(&f);
    // c and b become roots of the same thread; d stays under b.
    assert_eq!(order, [(3, 0), (2, 0), (4, 1), (5, 0)]);
    assert!(threads[..3].iter().all(|&t| t == threads[0]));
    // The parent coming back restores the tree.
    f.insert(vec![msg(1, 100, "a", None)]);
    assert_eq!(threaded(&f).0, [(1, 0), (3, 1), (2, 1), (4, 2), (5, 0)]);
}

#[test]
fn thread_order_follows_latest_activity() {
    let f = fixture();
    f.insert(family());
    assert_eq!(threaded(&f).0[0].0, 1, "family thread first (latest 400)");
    // A reply to x at 500 moves x's thread to the top.
    f.insert(vec![msg(6, 500, "x-reply", Some("x"))]);
    assert_eq!(&threaded(&f).0[..2], [(5, 0), (6, 1)]);
}

#[test]
fn messages_without_ids_are_their_own_threads() {
    let f = fixture();
    let mut a = msg(1, 100, "a", None);
    a.headers.message_id = None;
    let mut b = msg(2, 200, "b", None);
    b.headers.message_id = None;
    f.insert(vec![a, b]);
    let (order, threads) = threaded(&f);
    assert_eq!(order, [(2, 0), (1, 0)]);
    assert_ne!(threads[0], threads[1]);
}
