use tempfile::TempDir;

use super::{UV, msg};
use crate::domain::uidset::UidSet;
use crate::store::{BodyLimits, FolderId, Store};

fn small_store(limits: BodyLimits) -> (TempDir, Store, FolderId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("b.sqlite"), limits).unwrap();
    let id = store
        .write(|tx| {
            let id = tx.upsert_folder("INBOX", None, None)?;
            tx.upsert_messages(
                id,
                UV,
                &(1..=5)
                    .map(|u| msg(u, 1, &format!("m{u}"), None))
                    .collect::<Vec<_>>(),
            )?;
            Ok(id)
        })
        .unwrap();
    (dir, store, id)
}

#[test]
fn put_get_and_per_body_cap() {
    let (_dir, store, id) = small_store(BodyLimits {
        max_body: 100,
        max_total: 10_000,
    });
    store
        .write(move |tx| {
            tx.put_body(id, UV, 1, b"Subject: hi\r\n\r\nbody")?;
            tx.put_body(id, UV, 2, &[b'x'; 101])?; // over the cap: skipped
            tx.put_body(id, UV, 99, b"unknown uid")?; // not cached: skipped
            tx.put_body(id, UV + 1, 3, b"stale uidvalidity") // skipped
        })
        .unwrap();
    let reader = store.reader().unwrap();
    assert_eq!(
        reader.body(id, UV, 1).unwrap().as_deref(),
        Some(&b"Subject: hi\r\n\r\nbody"[..])
    );
    assert!(reader.has_body(id, UV, 1).unwrap());
    assert_eq!(reader.body(id, UV, 2).unwrap(), None);
    assert!(!reader.has_body(id, UV, 2).unwrap());
    assert_eq!(reader.body(id, UV, 99).unwrap(), None);
    assert_eq!(reader.body(id, UV + 1, 3).unwrap(), None);
    // Removing the message removes its body.
    store
        .write(move |tx| tx.remove_uids(id, UV, &UidSet::from_ranges([(1, 1)])))
        .unwrap();
    assert_eq!(reader.body(id, UV, 1).unwrap(), None);
}

#[test]
fn total_cap_evicts_least_recently_used() {
    let (_dir, store, id) = small_store(BodyLimits {
        max_body: 100,
        max_total: 250,
    });
    store
        .write(move |tx| {
            tx.put_body(id, UV, 1, &[1; 100])?;
            tx.put_body(id, UV, 2, &[2; 100])?;
            tx.touch_body(id, UV, 1) // 2 is now the least recently used
        })
        .unwrap();
    store
        .write(move |tx| tx.put_body(id, UV, 3, &[3; 100]))
        .unwrap();
    let reader = store.reader().unwrap();
    let present: Vec<u32> = (1..=3)
        .filter(|&u| reader.body(id, UV, u).unwrap().is_some())
        .collect();
    assert_eq!(present, [1, 3]);
}

fn section<'a>(name: &'a str, data: &'a [u8], partial: bool) -> crate::store::NewSection<'a> {
    crate::store::NewSection {
        section: name,
        data,
        partial,
        decoded: false,
    }
}

#[test]
fn parts_and_bodies_share_the_limit_and_the_oldest_goes_first() {
    let (_dir, store, id) = small_store(BodyLimits {
        max_body: 100,
        max_total: 250,
    });
    let structure = crate::domain::parts::Structure {
        parts: vec![crate::domain::parts::Part {
            section: "1".into(),
            mime_type: "text".into(),
            subtype: "plain".into(),
            encoding: "7bit".into(),
            size: 100,
            ..Default::default()
        }],
    };
    store
        .write(move |tx| {
            tx.put_structure(id, UV, 1, &structure)?;
            tx.put_section(id, UV, 1, &section("HEADER", &[0; 20], false))?;
            tx.put_section(id, UV, 1, &section("1", &[1; 80], true))?;
            tx.put_body(id, UV, 2, &[2; 100])?;
            tx.put_section(id, UV, 3, &section("1", &[3; 101], false)) // over the per-part cap
        })
        .unwrap();
    let reader = store.reader().unwrap();
    assert_eq!(reader.cache_bytes().unwrap(), 200);
    let cut = reader.section(id, UV, 1, "1").unwrap().unwrap();
    assert!(cut.partial);
    assert_eq!(reader.section(id, UV, 3, "1").unwrap(), None);
    // 100 more: over 250, so the oldest (message 1's header, then its part) go.
    store
        .write(move |tx| tx.put_body(id, UV, 4, &[4; 100]))
        .unwrap();
    assert_eq!(reader.section(id, UV, 1, "HEADER").unwrap(), None);
    assert_eq!(reader.section(id, UV, 1, "1").unwrap(), None);
    assert!(reader.has_body(id, UV, 2).unwrap());
    assert!(reader.has_body(id, UV, 4).unwrap());
    assert!(reader.cache_bytes().unwrap() <= 250);
    // The structure stays (it is not body data); the message is no longer shown ready.
    assert!(reader.structure(id, UV, 1).unwrap().is_some());
    assert!(!reader.shown_ready(id, UV, 1).unwrap());
    // A removed message takes its structure and parts with it.
    store
        .write(move |tx| tx.remove_uids(id, UV, &UidSet::from_ranges([(1, 1)])))
        .unwrap();
    assert!(reader.structure(id, UV, 1).unwrap().is_none());
}
