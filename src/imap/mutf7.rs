//! Modified UTF-7 (RFC 3501 §5.1.3), the wire form of mailbox names. Decoding is lenient:
//! a malformed name is returned as-is rather than rejected, so a hostile server cannot make
//! a folder vanish.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn sextet(byte: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&c| c == byte)
        .and_then(|p| u32::try_from(p).ok())
}

pub fn decode(wire: &[u8]) -> String {
    try_decode(wire).unwrap_or_else(|| String::from_utf8_lossy(wire).into_owned())
}

fn try_decode(wire: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    while i < wire.len() {
        let byte = wire[i];
        if byte != b'&' {
            // Servers with UTF8=ACCEPT may send raw UTF-8; keep it.
            let end = wire[i..]
                .iter()
                .position(|&b| b == b'&')
                .map_or(wire.len(), |p| i + p);
            out.push_str(std::str::from_utf8(&wire[i..end]).ok()?);
            i = end;
            continue;
        }
        let end = i + 1 + wire[i + 1..].iter().position(|&b| b == b'-')?;
        let chunk = &wire[i + 1..end];
        if chunk.is_empty() {
            out.push('&');
        } else {
            out.push_str(&decode_utf16_base64(chunk)?);
        }
        i = end + 1;
    }
    Some(out)
}

fn decode_utf16_base64(chunk: &[u8]) -> Option<String> {
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut units = Vec::with_capacity(chunk.len() * 6 / 16);
    let mut pending: Option<u8> = None;
    for &c in chunk {
        bits = (bits << 6) | sextet(c)?;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            let byte = u8::try_from((bits >> nbits) & 0xff).ok()?;
            match pending.take() {
                None => pending = Some(byte),
                Some(high) => units.push(u16::from_be_bytes([high, byte])),
            }
        }
    }
    String::from_utf16(&units).ok()
}

pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut run: Vec<u16> = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush_run(&mut run, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            run.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush_run(&mut run, &mut out);
    out
}

fn flush_run(run: &mut Vec<u16>, out: &mut String) {
    if run.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
    let mut bits: u32 = 0;
    let mut nbits = 0;
    for byte in bytes {
        bits = (bits << 8) | u32::from(byte);
        nbits += 8;
        while nbits >= 6 {
            nbits -= 6;
            out.push(char::from(ALPHABET[((bits >> nbits) & 0x3f) as usize]));
        }
    }
    if nbits > 0 {
        out.push(char::from(
            ALPHABET[((bits << (6 - nbits)) & 0x3f) as usize],
        ));
    }
    out.push('-');
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc_examples() {
        assert_eq!(
            decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(decode(b"Tom &- Jerry"), "Tom & Jerry");
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(encode("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(decode(b"Entw&APw-rfe"), "Entwürfe");
        assert_eq!(decode(encode("emoji 🚀 ok").as_bytes()), "emoji 🚀 ok");
    }

    #[test]
    fn malformed_names_pass_through() {
        assert_eq!(decode(b"broken &AB"), "broken &AB");
        assert_eq!(decode(b"bad &!!-"), "bad &!!-");
    }
}
