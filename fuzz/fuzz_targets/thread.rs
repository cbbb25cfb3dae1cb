//! Threading at write time through the real cache: messages with colliding, missing,
//! self-referencing and cyclic Message-IDs, In-Reply-To and References, written in one or
//! two batches (arrival order must not matter), then some removed. After each step the
//! threaded list must hold every message once, each thread in one piece starting at depth
//! 0, and messages that share an id in one thread.

#![no_main]

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use tern::domain::message::{HeaderFields, NewMessage};
use tern::domain::uidset::UidSet;
use tern::store::{Reader, SortOrder, Store, Window};

const UIDVALIDITY: u32 = 7;
/// Few ids, so links collide, repeat and form cycles.
const IDS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

static STORE: OnceLock<Store> = OnceLock::new();
static NEXT_FOLDER: AtomicU64 = AtomicU64::new(0);
thread_local! {
    static READER: RefCell<Option<Reader>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let messages: Vec<NewMessage> = rest.chunks_exact(4).take(40).map(message).collect();
    let split = usize::from(split).min(messages.len());
    let removed: Vec<u32> = rest
        .chunks_exact(4)
        .remainder()
        .iter()
        .map(|b| u32::from(b % 32) + 1)
        .collect();
    let store = STORE.get_or_init(|| {
        let dir = tern_fuzz_support::scratch_dir("thread");
        match Store::open(&dir.join("cache.sqlite")) {
            Ok(store) => store,
            Err(err) => panic!("cannot open the fuzz cache: {err}"),
        }
    });
    let name = format!("f{}", NEXT_FOLDER.fetch_add(1, Ordering::Relaxed));
    let (first, second) = (messages[..split].to_vec(), messages[split..].to_vec());
    let folder_name = name.clone();
    let folder = write(store, move |tx| {
        let id = tx.upsert_folder(&folder_name, None, Some('/'))?;
        tx.upsert_messages(id, UIDVALIDITY, &first)?;
        Ok(id)
    });
    write(store, move |tx| {
        tx.upsert_messages(folder, UIDVALIDITY, &second)
    });
    let mut expected: BTreeSet<u32> = messages.iter().map(|m| m.uid).collect();
    check(folder, &expected);
    if !removed.is_empty() {
        let mut gone = UidSet::new();
        for uid in &removed {
            gone.insert(*uid);
            expected.remove(uid);
        }
        write(store, move |tx| {
            tx.remove_uids(folder, UIDVALIDITY, &gone).map(|_| ())
        });
        check(folder, &expected);
    }
    write(store, move |tx| tx.delete_folder(&name));
});

fn message(bytes: &[u8]) -> NewMessage {
    let id = |n: u8| IDS[usize::from(n % 8)].to_string();
    let (uid, date, links, refs) = (bytes[0], bytes[1], bytes[2], bytes[3]);
    NewMessage {
        uid: u32::from(uid % 32) + 1,
        internal_date: Some(i64::from(date % 16)),
        headers: HeaderFields {
            // Dates collide too: ties are broken by UID.
            date: (date & 0x80 != 0).then_some(i64::from(date % 8)),
            message_id: (links & 0x40 == 0).then(|| id(links)),
            in_reply_to: (links & 0x80 == 0).then(|| id(links >> 3)),
            references: (0..refs >> 6).map(|i| id(refs >> (i * 3))).collect(),
            ..HeaderFields::default()
        },
        ..NewMessage::default()
    }
}

fn write<R: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&mut tern::store::WriteTx<'_>) -> tern::store::Result<R> + Send + 'static,
) -> R {
    match store.write(f) {
        Ok(value) => value,
        Err(err) => panic!("a valid write failed: {err}"),
    }
}

fn check(folder: tern::store::FolderId, expected: &BTreeSet<u32>) {
    let rows = READER.with(|cell| {
        let mut reader = cell.borrow_mut();
        if reader.is_none() {
            let path = STORE.get().map(|s| s.path().to_path_buf());
            *reader = path.and_then(|p| Reader::open(&p).ok());
        }
        reader.as_ref().and_then(|r| {
            r.window(folder, SortOrder::Threaded, Window::Offset(0), 1000)
                .ok()
        })
    });
    let Some(rows) = rows else {
        panic!("the threaded list could not be read");
    };
    let uids: BTreeSet<u32> = rows.iter().map(|r| r.uid).collect();
    assert_eq!(uids.len(), rows.len(), "a message listed twice: {rows:#?}");
    assert_eq!(&uids, expected, "listed UIDs");
    let mut finished = HashSet::new();
    let mut previous: Option<(i64, u32)> = None;
    for row in &rows {
        match previous {
            Some((thread, depth)) if thread == row.thread_id => {
                assert!(row.depth <= depth + 1, "depth jumps: {rows:#?}");
            }
            _ => {
                if let Some((thread, _)) = previous {
                    finished.insert(thread);
                }
                assert!(
                    !finished.contains(&row.thread_id),
                    "thread in pieces: {rows:#?}"
                );
                assert_eq!(row.depth, 0, "a thread starts at a root: {rows:#?}");
            }
        }
        previous = Some((row.thread_id, row.depth));
    }
    let mut thread_of_id: HashMap<&str, i64> = HashMap::new();
    for row in &rows {
        let links = row
            .message_id
            .iter()
            .chain(row.in_reply_to.iter())
            .chain(row.references.iter());
        for id in links {
            let thread = *thread_of_id.entry(id.as_str()).or_insert(row.thread_id);
            assert_eq!(thread, row.thread_id, "id {id} in two threads: {rows:#?}");
        }
    }
}
