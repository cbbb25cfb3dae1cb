//! Header text: RFC 2047 encoded words and charsets, then the terminal sanitizer, whose
//! promise (no control character survives, JSON escapes are lossless) is checked here.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tern::domain::{rfc2047, text};

fuzz_target!(|data: &[u8]| {
    let decoded = rfc2047::decode_header_text(data);
    let plain = rfc2047::bytes_to_text(data);
    for candidate in [&decoded, &plain] {
        let clean = text::sanitize(candidate);
        assert!(
            !clean.chars().any(char::is_control),
            "sanitize kept a control character: {clean:?}"
        );
        let _ = text::display_width(&clean);
        let lines = text::sanitize_lines(candidate);
        assert!(
            !lines.chars().any(|c| c.is_control() && c != '\n'),
            "sanitize_lines kept a control character: {lines:?}"
        );
        // `--json` output: escaped, yet the same value once parsed.
        if let Ok(json) = serde_json::to_string(candidate.as_str()) {
            let safe = text::json_safe(&json);
            let back: Result<String, _> = serde_json::from_str(&safe);
            assert_eq!(
                back.ok().as_deref(),
                Some(candidate.as_str()),
                "json_safe changed the value"
            );
        }
    }
});
