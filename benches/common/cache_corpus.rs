//! Shared by the store and TUI benches: a deterministic 100k-message cache corpus and a
//! median timer. Included with `#[path = "common/cache_corpus.rs"] mod cache_corpus;`.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use anyhow::Result;
use tern::domain::headers::parse_header_fields;
use tern::domain::message::{Flags, HeaderFields, NewMessage};
use tern::store::{FolderId, Store};

#[path = "../../tests/support/corpus.rs"]
mod mail;

pub const UIDVALIDITY: u32 = 1;
pub const BATCH: usize = 500;

/// Deterministic xorshift64*, so every run measures the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
    fn sentence(&mut self, len: usize) -> String {
        let mut s = String::new();
        while s.len() < len {
            if !s.is_empty() {
                s.push(' ');
            }
            let w = 2 + self.below(8) as usize;
            s.push_str(&self.word(w));
        }
        s.truncate(len);
        s
    }
}

/// Realistic-ish rows: subject ~50, from ~40, to ~60, cc on a third, Message-ID ~45,
/// 3/4 of messages replies in threads of 2-12, References = ancestors (root + nearest 4).
pub fn corpus(n: u32) -> Vec<NewMessage> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out: Vec<NewMessage> = Vec::with_capacity(n as usize);
    // Open threads: members as (Message-ID, References).
    let mut open: Vec<Vec<(String, Vec<String>)>> = Vec::new();
    let base = 1_500_000_000i64;
    for uid in 1..=n {
        let date = base + i64::from(uid) * 600 + rng.below(300) as i64;
        let message_id = format!("CA{}@mail.example-provider.com", rng.hex(20));
        let (in_reply_to, references) = if !open.is_empty() && rng.below(100) < 75 {
            let t = rng.below(open.len() as u64) as usize;
            let members = &mut open[t];
            // Mostly answer the latest message, sometimes an earlier one.
            let pick = if rng.below(10) < 6 {
                members.len() - 1
            } else {
                rng.below(members.len() as u64) as usize
            };
            let (parent, parent_refs) = members[pick].clone();
            let mut refs = parent_refs;
            refs.push(parent.clone());
            if refs.len() > 5 {
                // Like real clients: keep the root and the nearest ancestors.
                refs.drain(1..refs.len() - 4);
            }
            members.push((message_id.clone(), refs.clone()));
            if members.len() >= 2 + rng.below(11) as usize {
                open.swap_remove(t);
            }
            (Some(parent), refs)
        } else {
            open.push(vec![(message_id.clone(), Vec::new())]);
            if open.len() > 200 {
                open.remove(0);
            }
            (None, Vec::new())
        };
        let name = rng.sentence(14);
        let subject_len = 30 + rng.below(40) as usize;
        let flags = if rng.below(10) < 8 {
            Flags::from_imap(&["\\Seen"])
        } else if rng.below(20) == 0 {
            Flags::from_imap(&["\\Flagged", "$Important"])
        } else {
            Flags::default()
        };
        out.push(NewMessage {
            uid,
            flags,
            modseq: Some(u64::from(uid) * 3),
            internal_date: Some(date + 2),
            size: Some(2_000 + rng.below(80_000) as u32),
            headers: HeaderFields {
                date: Some(date),
                from_name: Some(name),
                from_addr: Some(format!("{}@{}.org", rng.word(10), rng.word(10))),
                to: format!(
                    "{} <{}@{}.com>",
                    rng.sentence(28),
                    rng.word(12),
                    rng.word(12)
                ),
                cc: if rng.below(3) == 0 {
                    format!("{}@{}.net", rng.word(15), rng.word(20))
                } else {
                    String::new()
                },
                subject: rng.sentence(subject_len),
                message_id: Some(message_id),
                in_reply_to,
                references,
                has_attachment: rng.below(5) == 0,
            },
        });
    }
    out
}

/// Mail-shaped rows: the Dovecot benches' seeded corpus (tests/support/corpus.rs, the seed
/// of benches/sync.rs), its headers parsed as the sync parses them. Names, addresses and
/// words repeat as in real mail, so the search index's size is realistic, unlike `corpus`'s
/// random words. `TERN_BENCH_CORPUS=mail` picks it in the store benches.
pub fn mail_corpus(n: u32) -> Vec<NewMessage> {
    mail::Corpus::new(0x7e41, n as usize)
        .iter()
        .enumerate()
        .map(|(i, seed)| NewMessage {
            uid: i as u32 + 1,
            flags: Flags::from_imap(&seed.flags),
            modseq: Some(i as u64 + 1),
            internal_date: Some(seed.internal_date),
            size: Some(seed.raw.len() as u32),
            headers: parse_header_fields(&seed.raw),
        })
        .collect()
}

/// `mail_corpus` when `TERN_BENCH_CORPUS=mail`, else `corpus`.
pub fn chosen_corpus(n: u32) -> Vec<NewMessage> {
    if std::env::var("TERN_BENCH_CORPUS").is_ok_and(|v| v == "mail") {
        mail_corpus(n)
    } else {
        corpus(n)
    }
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

pub fn fill(store: &Store, messages: Vec<NewMessage>) -> Result<FolderId> {
    let folder = store.write(|tx| {
        let id = tx.upsert_folder("INBOX", Some("inbox"), Some('/'))?;
        tx.reset_folder(id, UIDVALIDITY)?;
        Ok(id)
    })?;
    // Newest first in batches, one transaction each, as the first sync does.
    let mut rest = messages;
    while !rest.is_empty() {
        let batch = rest.split_off(rest.len().saturating_sub(BATCH));
        let oldest = batch.first().map(|m| m.uid);
        store.write(move |tx| {
            tx.upsert_messages(folder, UIDVALIDITY, &batch)?;
            tx.set_progress(folder, oldest, false)
        })?;
    }
    store.write(move |tx| {
        tx.set_progress(folder, None, true)?;
        tx.refresh_counts(folder).map(drop)
    })?;
    Ok(folder)
}
