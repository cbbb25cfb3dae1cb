//! A message's MIME structure as the server describes it (BODYSTRUCTURE), flattened to a
//! list of parts in document order, and what the reader makes of it: which part to show,
//! which are attachments, and a one-part message to render from a fetched part.
//! The structure comes from the network: every count, depth and string is bounded.

/// More parts than this are dropped (a message cannot usefully show more).
pub const MAX_PARTS: usize = 256;
/// Deeper nesting is not followed.
pub const MAX_DEPTH: usize = 16;
/// A text part larger than this shows its beginning first (the rest on demand).
pub const DISPLAY_CHUNK: u32 = 256 * 1024;
/// Names, types and parameter values are cut to this many characters.
const TEXT_CAP: usize = 200;

/// One node of the structure. `section` is the IMAP part specifier ("1", "2.1"); a
/// multipart node has the empty section at the top (its body is `TEXT`) and a
/// `.TEXT`-suffixed one inside an attached message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    pub section: String,
    pub depth: u8,
    /// Lower case: "text", "image", "multipart", "message".
    pub mime_type: String,
    /// Lower case: "plain", "html", "mixed".
    pub subtype: String,
    pub charset: Option<String>,
    /// The `name` content-type parameter.
    pub name: Option<String>,
    /// "attachment" or "inline", lower case, when given.
    pub disposition: Option<String>,
    pub filename: Option<String>,
    /// Lower case: "7bit", "base64", "quoted-printable".
    pub encoding: String,
    /// Octets as transferred (before decoding).
    pub size: u32,
    /// `format=flowed` and its `delsp=yes`.
    pub flowed: bool,
    pub delsp: bool,
}

impl Part {
    /// The part as its cached bytes are: a part sent decoded (BINARY) has no transfer
    /// encoding left to undo, only its charset.
    pub fn as_cached(&self, decoded: bool) -> Part {
        if decoded {
            Part {
                encoding: "8bit".into(),
                ..self.clone()
            }
        } else {
            self.clone()
        }
    }

    pub fn is_multipart(&self) -> bool {
        self.mime_type == "multipart"
    }

    pub fn is_message(&self) -> bool {
        self.mime_type == "message" && self.subtype == "rfc822"
    }

    pub fn content_type(&self) -> String {
        format!("{}/{}", self.mime_type, self.subtype)
    }

    /// The name to save it under: filename, else name, else one made of the section.
    pub fn file_name(&self) -> String {
        let given = self
            .filename
            .as_deref()
            .or(self.name.as_deref())
            .map(safe_file_name)
            .filter(|n| !n.is_empty());
        given.unwrap_or_else(|| format!("part-{}.{}", self.section, extension(&self.subtype)))
    }

    fn is_attachment(&self) -> bool {
        self.disposition.as_deref() == Some("attachment")
    }
}

/// The whole structure, in document order (a node before its children).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Structure {
    pub parts: Vec<Part>,
}

impl Structure {
    /// The part the reader shows: the first text/plain that is not an attachment, else
    /// the first such text/html (`prefer_html` swaps the two). Parts inside an attached
    /// message are not the message's own text.
    pub fn display_part(&self, prefer_html: bool) -> Option<&Part> {
        let (first, second) = if prefer_html {
            ("html", "plain")
        } else {
            ("plain", "html")
        };
        let own = || {
            self.parts
                .iter()
                .filter(|p| !self.inside_message(p))
                .filter(|p| p.mime_type == "text" && !p.is_attachment())
        };
        own()
            .find(|p| p.subtype == first)
            .or_else(|| own().find(|p| p.subtype == second))
    }

    /// Whether a message of `size` octets is better fetched whole: it is small, and it has
    /// no text of its own or attached messages (which the reader shows inline).
    pub fn needs_whole(&self, size: u32) -> bool {
        size <= DISPLAY_CHUNK
            && (self.display_part(false).is_none() || self.parts.iter().any(Part::is_message))
    }

    /// Whether the message offers both a plain and an HTML text (`p` switches).
    pub fn has_alternative(&self) -> bool {
        self.display_part(false).map(|p| &p.subtype) != self.display_part(true).map(|p| &p.subtype)
    }

    /// What the part list shows and `tern save` saves: every leaf that is not the shown
    /// text, attached messages as one part (their insides are theirs).
    pub fn attachments(&self) -> Vec<&Part> {
        let shown = [self.display_part(false), self.display_part(true)];
        self.parts
            .iter()
            .filter(|p| !p.is_multipart() && !self.inside_message(p))
            .filter(|p| !shown.iter().flatten().any(|s| s.section == p.section))
            .filter(|p| !p.section.ends_with(".TEXT"))
            .collect()
    }

    pub fn part(&self, section: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.section == section)
    }

    fn inside_message(&self, part: &Part) -> bool {
        self.parts.iter().any(|m| {
            m.is_message()
                && part.section.len() > m.section.len()
                && part.section.starts_with(&m.section)
                && part.section.as_bytes().get(m.section.len()) == Some(&b'.')
        })
    }
}

/// Builds a structure while walking a server's tree: each `push` is bounded, and the
/// builder says when to stop descending.
#[derive(Debug, Default)]
pub struct StructureBuilder {
    parts: Vec<Part>,
}

impl StructureBuilder {
    /// Whether a node at `depth` may still be added.
    pub fn room(&self, depth: usize) -> bool {
        depth < MAX_DEPTH && self.parts.len() < MAX_PARTS
    }

    pub fn push(&mut self, mut part: Part) {
        if !self.room(usize::from(part.depth)) {
            return;
        }
        for text in [&mut part.mime_type, &mut part.subtype, &mut part.encoding] {
            *text = cap(&text.to_ascii_lowercase());
        }
        for text in [
            &mut part.charset,
            &mut part.name,
            &mut part.disposition,
            &mut part.filename,
        ]
        .into_iter()
        .flatten()
        {
            *text = cap(text);
        }
        if let Some(d) = &mut part.disposition {
            *d = d.to_ascii_lowercase();
        }
        self.parts.push(part);
    }

    pub fn finish(self) -> Structure {
        Structure { parts: self.parts }
    }
}

/// The section of child `index` (0-based) of a multipart at `parent`.
pub fn child_section(parent: &str, index: usize) -> String {
    let parent = parent.strip_suffix(".TEXT").unwrap_or(parent);
    if parent.is_empty() {
        (index + 1).to_string()
    } else {
        format!("{parent}.{}", index + 1)
    }
}

fn cap(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    match clean.char_indices().nth(TEXT_CAP) {
        Some((at, _)) => clean[..at].to_string(),
        None => clean,
    }
}

/// A file name with no directory part and nothing a shell or terminal would trip on.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_string();
    cap(&clean)
}

fn extension(subtype: &str) -> &str {
    match subtype {
        "plain" => "txt",
        "html" => "html",
        "rfc822" => "eml",
        "" => "bin",
        other if other.chars().all(|c| c.is_ascii_alphanumeric()) && other.len() <= 8 => other,
        _ => "bin",
    }
}

/// A message to render from one fetched part: the top header without its own MIME
/// fields, then MIME fields made from the structure, then the part as transferred.
/// A cut (partial) part ends at its last complete line, so no encoded unit is split.
pub fn one_part_message(top_header: &[u8], part: &Part, data: &[u8], partial: bool) -> Vec<u8> {
    let data = if partial {
        match data.iter().rposition(|&b| b == b'\n') {
            Some(end) => &data[..=end],
            None => &data[..0],
        }
    } else {
        data
    };
    let mut out = without_mime_fields(top_header);
    out.extend_from_slice(b"MIME-Version: 1.0\r\nContent-Type: ");
    out.extend_from_slice(part.content_type().as_bytes());
    if let Some(charset) = part.charset.as_deref().filter(|c| is_token(c)) {
        out.extend_from_slice(format!("; charset=\"{charset}\"").as_bytes());
    }
    if part.flowed {
        out.extend_from_slice(b"; format=flowed");
        if part.delsp {
            out.extend_from_slice(b"; delsp=yes");
        }
    }
    out.extend_from_slice(b"\r\n");
    if is_token(&part.encoding) && !part.encoding.is_empty() {
        out.extend_from_slice(b"Content-Transfer-Encoding: ");
        out.extend_from_slice(part.encoding.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out
}

fn is_token(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\' | b';' | b'='))
}

/// The header block minus Content-* and MIME-Version fields (with their continuation
/// lines) and minus the blank line that ends it.
fn without_mime_fields(header: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len());
    let mut skipping = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        let bare = line.strip_suffix(b"\n").unwrap_or(line);
        let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
        if bare.is_empty() {
            break;
        }
        let continued = matches!(bare.first(), Some(b' ' | b'\t'));
        if !continued {
            let lower = bare.to_ascii_lowercase();
            skipping = lower.starts_with(b"content-") || lower.starts_with(b"mime-version:");
        }
        if !skipping {
            out.extend_from_slice(bare);
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// Undoes a part's transfer encoding (base64, quoted-printable; others as they are).
/// Broken input decodes as far as it goes: an attachment is the user's to judge.
pub fn transfer_decode(encoding: &str, data: &[u8]) -> Vec<u8> {
    match encoding {
        "base64" => {
            let clean: Vec<u8> = data
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            decode_base64(&clean)
        }
        "quoted-printable" => decode_qp(data),
        _ => data.to_vec(),
    }
}

fn decode_base64(data: &[u8]) -> Vec<u8> {
    fn value(b: u8) -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for &b in data {
        if b == b'=' {
            break;
        }
        let Some(v) = value(b) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn decode_qp(data: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        match (data.get(i + 1), data.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// `1.2` -> [1, 2]; `None` for anything that is not a part number path.
pub fn section_numbers(section: &str) -> Option<Vec<u32>> {
    if section.is_empty() {
        return None;
    }
    section
        .split('.')
        .map(|n| n.parse::<u32>().ok().filter(|&n| n > 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(section: &str, ty: &str, sub: &str) -> Part {
        Part {
            section: section.into(),
            mime_type: ty.into(),
            subtype: sub.into(),
            encoding: "7bit".into(),
            ..Part::default()
        }
    }

    fn mixed() -> Structure {
        let mut b = StructureBuilder::default();
        b.push(part("", "multipart", "mixed"));
        b.push(Part {
            depth: 1,
            ..part("1", "multipart", "alternative")
        });
        b.push(Part {
            depth: 2,
            ..part("1.1", "text", "plain")
        });
        b.push(Part {
            depth: 2,
            ..part("1.2", "text", "html")
        });
        b.push(Part {
            depth: 1,
            disposition: Some("ATTACHMENT".into()),
            filename: Some("../../etc/passwd".into()),
            encoding: "BASE64".into(),
            ..part("2", "application", "pdf")
        });
        b.push(Part {
            depth: 1,
            ..part("3", "message", "rfc822")
        });
        b.push(Part {
            depth: 2,
            ..part("3.1", "text", "plain")
        });
        b.finish()
    }

    #[test]
    fn the_plain_part_shows_and_the_rest_are_attachments() {
        let s = mixed();
        assert_eq!(s.display_part(false).unwrap().section, "1.1");
        assert_eq!(s.display_part(true).unwrap().section, "1.2");
        assert!(s.has_alternative());
        let att: Vec<&str> = s.attachments().iter().map(|p| p.section.as_str()).collect();
        assert_eq!(att, ["2", "3"]);
        let pdf = s.part("2").unwrap();
        assert_eq!(pdf.encoding, "base64");
        assert_eq!(pdf.disposition.as_deref(), Some("attachment"));
        assert_eq!(pdf.file_name(), "passwd", "no directory part survives");
        assert_eq!(s.part("3").unwrap().file_name(), "part-3.eml");
    }

    #[test]
    fn small_messages_without_own_text_or_with_attached_messages_come_whole() {
        let s = mixed();
        assert!(s.needs_whole(10_000), "it attaches a message");
        assert!(!s.needs_whole(DISPLAY_CHUNK + 1), "large: in parts anyway");
        let only_image = Structure {
            parts: vec![part("1", "image", "png")],
        };
        assert!(only_image.needs_whole(5_000));
        let plain = Structure {
            parts: vec![part("1", "text", "plain")],
        };
        assert!(!plain.needs_whole(5_000));
    }

    #[test]
    fn hostile_counts_and_depths_are_bounded() {
        let mut b = StructureBuilder::default();
        for i in 0..10_000 {
            b.push(Part {
                depth: (i % 40) as u8,
                name: Some("x".repeat(10_000)),
                ..part(&i.to_string(), "text", "plain")
            });
        }
        let s = b.finish();
        assert!(s.parts.len() <= MAX_PARTS);
        assert!(s.parts.iter().all(|p| usize::from(p.depth) < MAX_DEPTH));
        assert!(
            s.parts
                .iter()
                .all(|p| p.name.as_ref().unwrap().len() <= 200)
        );
        assert!(!StructureBuilder::default().room(MAX_DEPTH));
    }

    #[test]
    fn a_part_becomes_a_message_with_its_own_mime_fields() {
        let top =
            b"From: a@b\r\nContent-Type: multipart/mixed;\r\n boundary=x\r\nSubject: hi\r\n\r\n";
        let p = Part {
            charset: Some("iso-8859-1".into()),
            encoding: "quoted-printable".into(),
            ..part("1", "text", "plain")
        };
        let msg = one_part_message(top, &p, b"caf=E9\r\nsecond line cut", true);
        let text = String::from_utf8_lossy(&msg);
        assert!(text.starts_with("From: a@b\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"));
        assert!(!text.contains("boundary"));
        assert!(text.contains("charset=\"iso-8859-1\""));
        assert!(text.ends_with("\r\n\r\ncaf=E9\r\n"), "{text}");
        // A hostile charset cannot add header fields.
        let evil = Part {
            charset: Some("x\"\r\nBcc: y".into()),
            ..p
        };
        assert!(
            !String::from_utf8_lossy(&one_part_message(top, &evil, b"", false)).contains("Bcc")
        );
    }

    #[test]
    fn transfer_encodings_decode() {
        assert_eq!(transfer_decode("base64", b"aGVs\r\nbG8=\r\n"), b"hello");
        assert_eq!(
            transfer_decode("quoted-printable", b"caf=E9=\r\n!"),
            b"caf\xe9!"
        );
        assert_eq!(transfer_decode("8bit", b"x"), b"x");
        assert_eq!(transfer_decode("base64", b"!!**"), b"");
    }

    #[test]
    fn sections_parse() {
        assert_eq!(section_numbers("1.2"), Some(vec![1, 2]));
        assert_eq!(section_numbers(""), None);
        assert_eq!(section_numbers("1.TEXT"), None);
        assert_eq!(section_numbers("0"), None);
        assert_eq!(child_section("", 0), "1");
        assert_eq!(child_section("3.TEXT", 1), "3.2");
    }
}
