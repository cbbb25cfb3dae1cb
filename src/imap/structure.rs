//! BODYSTRUCTURE to tern's flat, bounded part list (`domain::parts`). Iterative, so a
//! hostile nesting cannot exhaust the stack whatever the codec let through.

use imap_codec::imap_types::{
    body::{BasicFields, BodyStructure, Disposition, SpecificFields},
    core::IString,
};

use crate::domain::parts::{Part, Structure, StructureBuilder, child_section};
use crate::domain::rfc2047::{bytes_to_text, decode_header_text};

pub fn convert(root: &BodyStructure<'_>) -> Structure {
    let mut builder = StructureBuilder::default();
    let top = match root {
        BodyStructure::Multi { .. } => String::new(),
        BodyStructure::Single { .. } => "1".to_string(),
    };
    // Depth-first, children pushed in reverse so they come out in document order.
    let mut stack: Vec<(&BodyStructure<'_>, String, usize)> = vec![(root, top, 0)];
    while let Some((node, section, depth)) = stack.pop() {
        if !builder.room(depth) {
            continue;
        }
        match node {
            BodyStructure::Multi {
                bodies,
                subtype,
                extension_data,
            } => {
                let disposition = extension_data.as_ref().and_then(|e| e.tail.as_ref());
                let mut part = Part {
                    section: section.clone(),
                    depth: depth as u8,
                    mime_type: "multipart".into(),
                    subtype: text(subtype),
                    ..Part::default()
                };
                apply_disposition(&mut part, disposition);
                builder.push(part);
                for (i, child) in bodies.as_ref().iter().enumerate().rev() {
                    stack.push((child, child_section(&section, i), depth + 1));
                }
            }
            BodyStructure::Single {
                body,
                extension_data,
            } => {
                let (mime_type, subtype, inner) = match &body.specific {
                    SpecificFields::Basic { r#type, subtype } => {
                        (text(r#type), text(subtype), None)
                    }
                    SpecificFields::Text { subtype, .. } => ("text".into(), text(subtype), None),
                    SpecificFields::Message { body_structure, .. } => {
                        ("message".into(), "rfc822".into(), Some(body_structure))
                    }
                };
                let mut part = Part {
                    section: section.clone(),
                    depth: depth as u8,
                    mime_type,
                    subtype,
                    ..Part::default()
                };
                apply_basic(&mut part, &body.basic);
                apply_disposition(
                    &mut part,
                    extension_data.as_ref().and_then(|e| e.tail.as_ref()),
                );
                builder.push(part);
                if let Some(inner) = inner {
                    // An attached message's own text is `S.1`, or `S.1`, `S.2`... of its
                    // multipart, which itself is only addressable as `S.TEXT`.
                    let inner_section = match inner.as_ref() {
                        BodyStructure::Multi { .. } => format!("{section}.TEXT"),
                        BodyStructure::Single { .. } => format!("{section}.1"),
                    };
                    stack.push((inner.as_ref(), inner_section, depth + 1));
                }
            }
        }
    }
    builder.finish()
}

fn apply_basic(part: &mut Part, basic: &BasicFields<'_>) {
    for (key, value) in &basic.parameter_list {
        let key = text(key);
        let value = bytes_to_text(value.as_ref());
        match key.as_str() {
            "charset" => part.charset = Some(value),
            "name" => part.name = Some(decode_header_text(value.as_bytes())),
            "format" => part.flowed = value.eq_ignore_ascii_case("flowed"),
            "delsp" => part.delsp = value.eq_ignore_ascii_case("yes"),
            _ => {}
        }
    }
    part.encoding = text(&basic.content_transfer_encoding);
    part.size = basic.size;
}

fn apply_disposition(part: &mut Part, disposition: Option<&Disposition<'_>>) {
    let Some((kind, params)) = disposition.and_then(|d| d.disposition.as_ref()) else {
        return;
    };
    part.disposition = Some(text(kind));
    for (key, value) in params {
        if text(key) == "filename" {
            part.filename = Some(decode_header_text(value.as_ref()));
        }
    }
}

fn text(value: &IString<'_>) -> String {
    bytes_to_text(value.as_ref()).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use imap_codec::{ResponseCodec, decode::Decoder, imap_types::response::Response};

    use super::*;
    use crate::imap::Update;

    fn structure_of(line: &[u8]) -> Structure {
        let (_, response) = ResponseCodec::default().decode(line).unwrap();
        let Response::Data(data) = response else {
            panic!("not data")
        };
        let Some(Update::Fetch(fetch)) = crate::imap::convert::data_to_update(data) else {
            panic!("not a fetch")
        };
        fetch.structure.unwrap()
    }

    #[test]
    fn a_mixed_message_flattens_in_order() {
        let s = structure_of(
            b"* 1 FETCH (UID 5 BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"ISO-8859-1\") NIL NIL \"QUOTED-PRINTABLE\" 120 3 NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 300 9 NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"b2\") NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=\") NIL NIL \"BASE64\" 5000 NIL (\"ATTACHMENT\" (\"FILENAME\" \"cv.pdf\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL))\r\n",
        );
        let sections: Vec<&str> = s.parts.iter().map(|p| p.section.as_str()).collect();
        assert_eq!(sections, ["", "1", "1.1", "1.2", "2"]);
        let plain = s.display_part(false).unwrap();
        assert_eq!(plain.section, "1.1");
        assert_eq!(plain.charset.as_deref(), Some("ISO-8859-1"));
        assert_eq!(plain.encoding, "quoted-printable");
        let pdf = s.part("2").unwrap();
        assert_eq!(pdf.name.as_deref(), Some("résumé.pdf"));
        assert_eq!(pdf.filename.as_deref(), Some("cv.pdf"));
        assert_eq!(pdf.disposition.as_deref(), Some("attachment"));
        assert_eq!(pdf.size, 5000);
    }

    #[test]
    fn a_single_part_message_is_part_one() {
        let s = structure_of(
            b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\" \"FORMAT\" \"flowed\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL))\r\n",
        );
        assert_eq!(s.parts.len(), 1);
        assert_eq!(s.parts[0].section, "1");
        assert!(s.parts[0].flowed);
    }

    #[test]
    fn an_attached_message_keeps_its_sections() {
        let s = structure_of(
            b"* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 400 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1)(\"IMAGE\" \"PNG\" NIL NIL NIL \"BASE64\" 50) \"MIXED\") 20) \"MIXED\"))\r\n",
        );
        let sections: Vec<&str> = s.parts.iter().map(|p| p.section.as_str()).collect();
        assert_eq!(sections, ["", "1", "2", "2.TEXT", "2.1", "2.2"]);
        assert_eq!(s.display_part(false).unwrap().section, "1");
        let att: Vec<&str> = s.attachments().iter().map(|p| p.section.as_str()).collect();
        assert_eq!(att, ["2"]);
    }

    #[test]
    fn hostile_structures_are_bounded_and_never_panic() {
        // Wide: thousands of parts.
        let mut wide = b"* 1 FETCH (BODYSTRUCTURE (".to_vec();
        for _ in 0..5000 {
            wide.extend_from_slice(b"(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)");
        }
        wide.extend_from_slice(b" \"MIXED\"))\r\n");
        let s = structure_of(&wide);
        assert!(s.parts.len() <= crate::domain::parts::MAX_PARTS);
        // Deep: the codec refuses past its own limit; whatever it accepts stays bounded.
        let mut deep = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
        deep.extend(std::iter::repeat_n(b'(', 200));
        deep.extend_from_slice(b"\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)");
        for _ in 0..199 {
            deep.extend_from_slice(b" \"MIXED\")");
        }
        deep.extend_from_slice(b")\r\n");
        if let Ok((_, Response::Data(data))) = ResponseCodec::default().decode(&deep)
            && let Some(Update::Fetch(fetch)) = crate::imap::convert::data_to_update(data)
            && let Some(s) = fetch.structure
        {
            assert!(s.parts.len() <= crate::domain::parts::MAX_PARTS);
        }
        // Absurd sizes and control characters in names.
        let s = structure_of(
            b"* 1 FETCH (BODYSTRUCTURE (\"APPLICATION\" \"X\" (\"NAME\" \"a\\\"b\") NIL NIL \"X-UNKNOWN\" 4294967295 NIL NIL NIL NIL))\r\n",
        );
        assert_eq!(s.parts[0].size, u32::MAX);
        assert_eq!(s.parts[0].encoding, "x-unknown");
    }
}
