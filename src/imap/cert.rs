//! What tern reads out of a server certificate itself: its SHA-256 fingerprint (for
//! `cert_fingerprint` pins) and its validity window (a pinned certificate still expires).

use std::fmt;

/// SHA-256 of a certificate's DER bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }

    /// `sha256:AB:CD:...` (64 hex digits; colons, spaces and case do not matter; the
    /// `sha256:` prefix may be left out).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let hex = match text.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("sha256:") => &text[7..],
            _ => text,
        };
        let digits: Vec<u8> = hex
            .bytes()
            .filter(|b| !matches!(b, b':' | b' '))
            .map(|b| {
                char::from(b)
                    .to_digit(16)
                    .and_then(|d| u8::try_from(d).ok())
            })
            .collect::<Option<_>>()?;
        if digits.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks(2)) {
            *byte = pair.iter().fold(0, |acc, d| acc << 4 | d);
        }
        Some(Self(bytes))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// notBefore and notAfter of an X.509 certificate, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: i64,
    pub not_after: i64,
}

/// Walks just far enough into the DER to reach the validity (RFC 5280 §4.1); `None` for
/// anything malformed.
pub fn validity(der: &[u8]) -> Option<Validity> {
    let (certificate, _) = element(der, 0x30)?;
    let (tbs, _) = element(certificate, 0x30)?;
    let mut rest = tbs;
    if rest.first() == Some(&0xA0) {
        rest = element(rest, 0xA0)?.1; // version
    }
    rest = element(rest, 0x02)?.1; // serialNumber
    rest = element(rest, 0x30)?.1; // signature algorithm
    rest = element(rest, 0x30)?.1; // issuer
    let (validity, _) = element(rest, 0x30)?;
    let (not_before, after) = time(validity)?;
    let (not_after, _) = time(after)?;
    Some(Validity {
        not_before,
        not_after,
    })
}

/// One DER element with the expected tag: (contents, what follows).
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    if *input.first()? != tag {
        return None;
    }
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = input.get(2..2 + count)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (len, 2 + count)
    };
    let body = input.get(header..header.checked_add(len)?)?;
    Some((body, &input[header + len..]))
}

/// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as Unix seconds.
fn time(input: &[u8]) -> Option<(i64, &[u8])> {
    let (text, rest, format) = match input.first()? {
        0x17 => {
            let (body, rest) = element(input, 0x17)?;
            let text = std::str::from_utf8(body).ok()?;
            // RFC 5280: two-digit years 50-99 are 19xx.
            let century = if text.get(..2)? >= "50" { "19" } else { "20" };
            (format!("{century}{text}"), rest, "%Y%m%d%H%M%SZ")
        }
        0x18 => {
            let (body, rest) = element(input, 0x18)?;
            (
                std::str::from_utf8(body).ok()?.to_string(),
                rest,
                "%Y%m%d%H%M%SZ",
            )
        }
        _ => return None,
    };
    let parsed = chrono::NaiveDateTime::parse_from_str(&text, format).ok()?;
    Some((parsed.and_utc().timestamp(), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons_and_prefix() {
        let fp = Fingerprint::of(b"certificate");
        let shown = fp.to_string();
        assert!(shown.starts_with("sha256:"), "{shown}");
        assert_eq!(Fingerprint::parse(&shown), Some(fp));
        assert_eq!(Fingerprint::parse(&shown.to_lowercase()), Some(fp));
        let bare: String = shown[7..].chars().filter(|c| *c != ':').collect();
        assert_eq!(Fingerprint::parse(&bare), Some(fp));
        assert_eq!(Fingerprint::parse("sha256:AB:CD"), None);
        assert_eq!(Fingerprint::parse(&format!("{bare}00")), None);
        assert_eq!(Fingerprint::parse(&shown.replace('A', "G")), None);
    }

    #[test]
    fn malformed_certificates_have_no_validity() {
        assert_eq!(validity(&[]), None);
        assert_eq!(validity(&[0x30, 0x82, 0xFF]), None);
        assert_eq!(validity(&[0x30, 0x03, 0x30, 0x01, 0x02]), None);
    }

    #[test]
    fn utc_and_generalized_times_read_alike() {
        let utc = [
            0x17, 13, b'2', b'1', b'0', b'1', b'0', b'1', b'0', b'0', b'0', b'0', b'0', b'0', b'Z',
        ];
        assert_eq!(time(&utc).map(|t| t.0), Some(1_609_459_200));
        let mut general = vec![0x18, 15];
        general.extend_from_slice(b"20210101000000Z");
        assert_eq!(time(&general).map(|t| t.0), Some(1_609_459_200));
    }
}
