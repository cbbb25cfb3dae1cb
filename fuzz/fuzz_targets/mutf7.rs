//! Modified UTF-7 mailbox names: decoding arbitrary wire bytes never fails, and any name
//! we encode decodes back to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tern::imap::mutf7;

fuzz_target!(|data: &[u8]| {
    let _ = mutf7::decode(data);
    if let Ok(name) = std::str::from_utf8(data) {
        let wire = mutf7::encode(name);
        assert!(wire.is_ascii(), "encoded names are ASCII: {wire:?}");
        assert_eq!(
            mutf7::decode(wire.as_bytes()),
            name,
            "round trip of {wire:?}"
        );
    }
});
