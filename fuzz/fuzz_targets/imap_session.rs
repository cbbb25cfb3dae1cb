//! Arbitrary server bytes into the sans-I/O IMAP session (imap-next, our conversion of
//! every response, the sequence map) and each command's response budget. The first byte
//! picks the set-up: greeting or not, compressed or not, how the bytes are cut into reads.

#![no_main]

use imap_codec::imap_types::command::CommandBody;
use libfuzzer_sys::fuzz_target;
use tern::domain::uidset::UidSet;
use tern::imap::budget::{Budget, Expect};
use tern::imap::compress::Deflate;
use tern::imap::session::{Session, SessionEvent, Step};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, input)) = data.split_first() else {
        return;
    };
    let mut session = if setup & 1 == 0 {
        Session::new()
    } else {
        Session::without_greeting()
    };
    // Tags t1..t4 in flight, so tagged replies complete something; a mailbox selected,
    // so EXISTS, EXPUNGE, VANISHED and FETCH move the sequence map.
    for body in [
        CommandBody::Capability,
        CommandBody::Noop,
        CommandBody::Check,
        CommandBody::Idle,
    ] {
        if session.enqueue(body).is_err() {
            return;
        }
    }
    session.begin_select();
    let mut budget = Budget::new(
        Expect::fetch(&UidSet::from_ranges([(1, 50), (100, u32::MAX)]), None),
        None,
    );
    let input = if setup & 2 != 0 {
        // COMPRESS=DEFLATE: a hostile stream must end in an error, not a panic.
        match Deflate::new().decompress(input) {
            Ok(bytes) => bytes,
            Err(_) => return,
        }
    } else {
        input.to_vec()
    };
    let read_size = match setup >> 2 {
        0 => input.len().max(1),
        n => usize::from(n),
    };
    for chunk in input.chunks(read_size) {
        session.feed(chunk);
        if !drain(&mut session, &mut budget) {
            return;
        }
        if setup & 0x80 != 0 {
            session.idle_done();
        }
    }
    let _ = session.seq_map_complete();
    if let Some(exists) = session.exists() {
        for seq in [0, 1, exists / 2, exists, exists.saturating_add(1), u32::MAX] {
            let _ = session.uid_of_seq(seq);
        }
    }
});

/// Steps until the session wants more input; false once it failed for good.
fn drain(session: &mut Session, budget: &mut Budget) -> bool {
    loop {
        match session.step() {
            Ok(Step::Read) => return true,
            Ok(Step::Write(_)) => {}
            Ok(Step::Event(SessionEvent::Update(mut update))) => {
                let exists = session.exists();
                let _ = budget.admit(&mut update, exists);
            }
            Ok(Step::Event(_)) => {}
            Err(_) => return false,
        }
    }
}
