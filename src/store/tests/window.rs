use super::{fixture, msg};
use crate::domain::message::NewMessage;
use crate::store::{SortOrder, Window};

fn corpus() -> Vec<NewMessage> {
    // 60 messages, dates with ties, threads of three.
    (1..=60u32)
        .map(|u| {
            let date = i64::from(u / 2) * 10; // pairs share a date
            let parent = (u % 3 != 1).then(|| format!("m{}", u - 1));
            msg(u, date, &format!("m{u}"), parent.as_deref())
        })
        .collect()
}

#[test]
fn date_desc_order_and_keyset_pages() {
    let f = fixture();
    f.insert(corpus());
    let reader = f.store.reader().unwrap();
    let all = reader
        .window(f.folder, SortOrder::DateDesc, Window::Offset(0), 1000)
        .unwrap();
    assert_eq!(all.len(), 60);
    assert!(
        all.windows(2)
            .all(|w| (w[0].date, w[0].uid) > (w[1].date, w[1].uid))
    );
    assert_eq!(all[0].uid, 60);

    let mut keyset = Vec::new();
    let mut window = Window::Offset(0);
    loop {
        let page = reader
            .window(f.folder, SortOrder::DateDesc, window, 7)
            .unwrap();
        let Some(last) = page.last() else { break };
        window = Window::After {
            date: last.date,
            uid: last.uid,
        };
        keyset.extend(page);
    }
    assert_eq!(keyset, all);
    let offset = reader
        .window(f.folder, SortOrder::DateDesc, Window::Offset(55), 10)
        .unwrap();
    assert_eq!(offset, all[55..]);
}

#[test]
fn threaded_order_and_pages() {
    let f = fixture();
    f.insert(corpus());
    let reader = f.store.reader().unwrap();
    let all = reader
        .window(f.folder, SortOrder::Threaded, Window::Offset(0), 1000)
        .unwrap();
    assert_eq!(all.len(), 60);
    // Newest thread first: m58 <- m59 <- m60, each a reply to the previous.
    let head: Vec<(u32, u32)> = all[..4].iter().map(|r| (r.uid, r.depth)).collect();
    assert_eq!(head, [(58, 0), (59, 1), (60, 2), (55, 0)]);
    // Threads are contiguous.
    let mut seen = std::collections::HashSet::new();
    for w in all.windows(2) {
        if w[0].thread_id != w[1].thread_id {
            assert!(seen.insert(w[0].thread_id), "thread split");
        }
    }
    let mut keyset = Vec::new();
    let mut window = Window::Offset(0);
    loop {
        let page = reader
            .window(f.folder, SortOrder::Threaded, window, 8)
            .unwrap();
        let Some(last) = page.last() else { break };
        window = Window::After {
            date: last.date,
            uid: last.uid,
        };
        keyset.extend(page);
    }
    assert_eq!(keyset, all);
    let page = reader
        .window(f.folder, SortOrder::Threaded, Window::Offset(10), 5)
        .unwrap();
    assert_eq!(page, all[10..15]);
}

#[test]
fn window_of_unknown_folder_is_empty() {
    let f = fixture();
    f.insert(corpus());
    let reader = f.store.reader().unwrap();
    let rows = reader
        .window(f.folder + 100, SortOrder::DateDesc, Window::Offset(0), 10)
        .unwrap();
    assert!(rows.is_empty());
    assert_eq!(reader.count(f.folder).unwrap(), 60);
}
