//! Folded threads as a list filter: only the first row of a folded thread is kept, and
//! `thread_counts` says what the folded row stands for.

use super::{fixture, msg};
use crate::store::{RowFilter, SortOrder};

#[test]
fn folded_threads_keep_their_first_row_and_count_the_rest() {
    let f = fixture();
    // root a(1) <- b(2) <- d(4); a <- c(3); and an unrelated x(5).
    f.insert(vec![
        msg(1, 100, "a", None),
        msg(2, 300, "b", Some("a")),
        msg(3, 200, "c", Some("a")),
        msg(4, 400, "d", Some("b")),
        msg(5, 350, "x", None),
    ]);
    let r = f.store.reader().unwrap();
    let thread = r.message(f.folder, 4).unwrap().unwrap().thread_id;
    assert_eq!(r.thread_counts(f.folder, thread).unwrap(), (4, 4));
    let uids = |filter: &RowFilter| -> Vec<u32> {
        r.uids_filtered(f.folder, SortOrder::Threaded, filter, 0, 100)
            .unwrap()
    };
    let one = RowFilter {
        fold_except: vec![thread],
        ..RowFilter::default()
    };
    assert_eq!(uids(&one), [1, 5]);
    assert_eq!(r.count_filtered(f.folder, &one).unwrap(), 2);
    assert_eq!(
        r.index_of(f.folder, SortOrder::Threaded, &one, 5).unwrap(),
        Some(1)
    );
    assert_eq!(
        r.index_of(f.folder, SortOrder::Threaded, &one, 4).unwrap(),
        None,
        "a hidden message has no place in the list"
    );
    let all = RowFilter {
        fold_all: true,
        ..RowFilter::default()
    };
    assert_eq!(uids(&all), [1, 5]);
    let all_but_one = RowFilter {
        fold_all: true,
        fold_except: vec![thread],
        ..RowFilter::default()
    };
    assert_eq!(uids(&all_but_one), [1, 3, 2, 4, 5]);
    // Folds combine with the other conditions.
    let unread_folded = RowFilter {
        unread_only: true,
        ..one.clone()
    };
    assert_eq!(uids(&unread_folded), [1, 5]);
}
