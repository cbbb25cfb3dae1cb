//! Decoding of header text that may carry RFC 2047 encoded words.

use mail_parser::parsers::MessageStream;

/// Decodes encoded words (`=?UTF-8?B?...?=`) in an unstructured header value; raw 8-bit
/// bytes that are not UTF-8 are read as Latin-1 rather than dropped.
pub fn decode_header_text(raw: &[u8]) -> String {
    if !raw.windows(2).any(|w| w == b"=?") {
        return bytes_to_text(raw);
    }
    let mut input = Vec::with_capacity(raw.len() + 2);
    input.extend_from_slice(raw);
    input.extend_from_slice(b"\r\n");
    match MessageStream::new(&input).parse_unstructured().as_text() {
        Some(text) => text.to_string(),
        None => bytes_to_text(raw),
    }
}

/// UTF-8 when valid, else Latin-1: every byte maps to a character, nothing is lost.
pub fn bytes_to_text(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(text) => text.to_string(),
        Err(_) => raw.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_mixed_charsets() {
        let raw = b"=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?= =?ISO-8859-1?Q?_und_K=F6ln?=";
        assert_eq!(decode_header_text(raw), "Grüße aus München und Köln");
    }

    #[test]
    fn plain_and_latin1_pass_through() {
        assert_eq!(decode_header_text(b"hello world"), "hello world");
        assert_eq!(decode_header_text(b"caf\xe9"), "café");
    }
}
