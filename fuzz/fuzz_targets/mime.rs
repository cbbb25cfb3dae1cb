//! Arbitrary bytes as a whole message: MIME parsing and rendering (plain, HTML, flowed,
//! attachments), the cached header fields and the source view. Panics inside
//! `domain::contain` are caught by design (third-party parsers); set
//! TERN_FUZZ_CONTAINED_FATAL=1 to make them crashes too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tern::domain::{headers, mime, source_view};

fuzz_target!(
    init: {
        tern_fuzz_support::tolerate_contained_panics();
    },
    |data: &[u8]| {
        let Some((&width, raw)) = data.split_first() else {
            return;
        };
        let width = usize::from(width);
        let plain = mime::render(raw, width);
        let html = mime::render_with(raw, width, true);
        let _ = mime::plain_text(raw, width);
        for index in 0..plain.attachments.len().max(html.attachments.len()).min(4) + 1 {
            let _ = mime::attachment_bytes(raw, index);
        }
        let _ = headers::parse_header_fields(raw);
        let _ = source_view::all_headers(raw);
        let _ = source_view::source_lines(raw, width);
    }
);
