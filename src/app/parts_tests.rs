//! Messages in parts in the reader: the part list before the text, attachments fetched
//! when saved or piped, a cut text part and its rest, through keys as a person types them.

use super::reader::AfterPart;
use super::reader_lines::Row;
use super::reader_lines::tail_rows;
use super::testkit::*;
use super::*;
use crate::domain::parts::{Part, Structure, StructureBuilder};

fn structure() -> Structure {
    let mut b = StructureBuilder::default();
    let part = |section: &str, depth: u8, ty: &str, sub: &str| Part {
        section: section.into(),
        depth,
        mime_type: ty.into(),
        subtype: sub.into(),
        encoding: "7bit".into(),
        size: 40,
        ..Part::default()
    };
    b.push(part("", 0, "multipart", "mixed"));
    b.push(part("1", 1, "text", "plain"));
    b.push(Part {
        disposition: Some("attachment".into()),
        filename: Some("report.pdf".into()),
        encoding: "base64".into(),
        size: 4_000_000,
        ..part("2", 1, "application", "pdf")
    });
    b.finish()
}

const SHOWN: &str = "From: Ada <ada@example.com>\r\nSubject: Report\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n\r\nSee the report.\r\n";

fn texts(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| match r {
            Row::Text { text, .. } => text.clone(),
            Row::Header { value, .. } => value.clone(),
        })
        .collect()
}

fn part_fetch(fx: &[Effect]) -> (OpId, String) {
    let found = fx.iter().find_map(|e| match e {
        Effect::Engine(_, EngineCommand::FetchPart { op, section, .. }) => {
            Some((*op, section.clone()))
        }
        _ => None,
    });
    found.unwrap_or_else(|| panic!("no part fetch in {fx:?}"))
}

fn part_ready(m: &mut Model, s: &FakeSource, op: OpId, section: &str) -> Vec<Effect> {
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::PartReady {
                op,
                folder: "INBOX".into(),
                uid: 4,
                section: section.into(),
            },
        ),
        s,
    )
}

#[test]
fn the_part_list_shows_before_the_text_arrives() {
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, structure());
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter");
    m.update(
        Msg::BodyDue {
            account: 0,
            folder: "INBOX".into(),
            uid: 4,
        },
        &s,
    );
    let r = m.reader.as_ref().unwrap();
    assert!(r.is_loading());
    let tail = texts(&tail_rows(r, false));
    assert!(tail.iter().any(|t| t == "Loading…"), "{tail:?}");
    assert!(
        tail.iter()
            .any(|t| t.contains("report.pdf") && t.contains("application/pdf")),
        "{tail:?}"
    );
    assert!(
        !tail.iter().any(|t| t.contains("text/plain")),
        "the text is not an attachment"
    );
}

#[test]
fn the_structure_arriving_shows_the_part_list_while_the_text_loads() {
    let mut s = source();
    let id = inbox(&s);
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter");
    assert!(m.reader.as_ref().unwrap().structure.is_none());
    s.set_structure(id, 4, structure());
    let fx = m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::StructureReady {
                folder: "INBOX".into(),
                uid: 4,
            },
        ),
        &s,
    );
    assert!(fx.is_empty(), "{fx:?}");
    let r = m.reader.as_ref().unwrap();
    assert!(r.is_loading());
    let tail = texts(&tail_rows(r, false));
    assert!(tail.iter().any(|t| t.contains("report.pdf")), "{tail:?}");
}

#[test]
fn saving_an_attachment_not_cached_fetches_its_part_then_saves_it_decoded() {
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, structure());
    s.set_shown(id, 4, SHOWN, None);
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter");
    let r = m.reader.as_ref().unwrap();
    assert!(!r.whole);
    let shown = r.rendered().unwrap();
    assert_eq!(shown.body[0].text, "See the report.");
    assert_eq!(shown.attachments.len(), 1);
    assert_eq!(shown.attachments[0].section.as_deref(), Some("2"));

    keys(&mut m, &s, "v Enter");
    let Some(Overlay::Attachments {
        prompt: Some(p), ..
    }) = m.overlays.last()
    else {
        panic!("no prompt");
    };
    assert_eq!(p.text, "report.pdf");
    keys(&mut m, &s, "Ctrl-u");
    type_text(&mut m, &s, "/tmp/r.pdf");
    let fx = keys(&mut m, &s, "Enter");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::SaveAttachment { .. })),
        "nothing to save yet: {fx:?}"
    );
    let (op, section) = part_fetch(&fx);
    assert_eq!(section, "2");
    assert_eq!(
        m.part_jobs.get(&op).map(|j| &j.then),
        Some(&AfterPart::Save("/tmp/r.pdf".into()))
    );
    // The engine cached it; the source hands it over decoded.
    s.set_part(id, 4, "2", "%PDF-");
    let fx = part_ready(&mut m, &s, op, "2");
    assert_eq!(
        fx,
        [Effect::SaveAttachment {
            path: "/tmp/r.pdf".into(),
            bytes: b"%PDF-".to_vec(),
        }]
    );
    assert!(m.part_jobs.is_empty());
    // An answer nobody waits for does nothing.
    assert!(part_ready(&mut m, &s, op, "2").is_empty());
}

#[test]
fn a_cut_text_part_says_so_and_x_fetches_the_rest() {
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, structure());
    s.set_shown(id, 4, SHOWN, Some(("1".into(), 900_000)));
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter");
    let tail = texts(&tail_rows(m.reader.as_ref().unwrap(), false));
    assert!(
        tail.iter()
            .any(|t| t.contains("message truncated") && t.contains("X")),
        "{tail:?}"
    );
    let fx = keys(&mut m, &s, "X");
    let (op, section) = part_fetch(&fx);
    assert_eq!(section, "1");
    // The rest arrived: shown whole, no more truncation line.
    s.set_shown(id, 4, SHOWN.replace("report.", "whole report."), None);
    part_ready(&mut m, &s, op, "1");
    let r = m.reader.as_ref().unwrap();
    assert_eq!(r.cut, None);
    assert_eq!(r.rendered().unwrap().body[0].text, "See the whole report.");
    let tail = texts(&tail_rows(r, false));
    assert!(!tail.iter().any(|t| t.contains("truncated")));
    // With nothing cut, X only says so.
    let fx = keys(&mut m, &s, "X");
    assert!(fx.is_empty());
}

#[test]
fn the_raw_source_of_a_message_in_parts_fetches_the_whole_message() {
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, structure());
    s.set_shown(id, 4, SHOWN, None);
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter");
    keys(&mut m, &s, "H");
    let fx = keys(&mut m, &s, "H");
    let (op, section) = part_fetch(&fx);
    assert_eq!(section, "", "the whole message");
    s.set_body(id, 4, SHOWN.replace("See", "Raw: see"));
    part_ready(&mut m, &s, op, "");
    let r = m.reader.as_ref().unwrap();
    assert!(r.whole);
    assert!(
        r.source.iter().any(|l| l.contains("Raw: see")),
        "{:?}",
        r.source
    );
}

#[test]
fn piping_a_message_in_parts_fetches_it_whole_first() {
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, structure());
    s.set_shown(id, 4, SHOWN, None);
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter |");
    type_text(&mut m, &s, "wc -c");
    let fx = keys(&mut m, &s, "Enter");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Pipe { .. })),
        "not the text part alone: {fx:?}"
    );
    let (op, section) = part_fetch(&fx);
    assert_eq!(section, "");
    s.set_body(id, 4, "whole message");
    let fx = part_ready(&mut m, &s, op, "");
    assert_eq!(
        fx,
        [Effect::Pipe {
            command: "wc -c".into(),
            input: b"whole message".to_vec(),
        }]
    );
}

#[test]
fn p_in_parts_fetches_the_html_alternative() {
    let mut b = StructureBuilder::default();
    let part = |section: &str, ty: &str, sub: &str| Part {
        section: section.into(),
        depth: u8::from(!section.is_empty()),
        mime_type: ty.into(),
        subtype: sub.into(),
        encoding: "7bit".into(),
        ..Part::default()
    };
    b.push(part("", "multipart", "alternative"));
    b.push(part("1", "text", "plain"));
    b.push(part("2", "text", "html"));
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, b.finish());
    s.set_shown(id, 4, SHOWN, None);
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter");
    assert!(
        m.reader
            .as_ref()
            .unwrap()
            .rendered()
            .unwrap()
            .has_alternative
    );
    let fx = keys(&mut m, &s, "p");
    let (_, section) = part_fetch(&fx);
    assert_eq!(section, "2");
    assert!(m.reader.as_ref().unwrap().prefer_html);
}

#[test]
fn preferring_html_fetches_the_html_part_once_the_plain_one_shows() {
    let mut b = StructureBuilder::default();
    let part = |section: &str, ty: &str, sub: &str| Part {
        section: section.into(),
        depth: u8::from(!section.is_empty()),
        mime_type: ty.into(),
        subtype: sub.into(),
        encoding: "7bit".into(),
        ..Part::default()
    };
    b.push(part("", "multipart", "alternative"));
    b.push(part("1", "text", "plain"));
    b.push(part("2", "text", "html"));
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, b.finish());
    s.set_shown(id, 4, SHOWN, None);
    let mut m = model(&s, (100, 30));
    m.parts.prefer_html = true;
    let fx = keys(&mut m, &s, "Enter");
    let (op, section) = part_fetch(&fx);
    assert_eq!(section, "2");
    // Arrived, but still not shown as HTML (say the cache could not keep it): no second ask.
    let fx = part_ready(&mut m, &s, op, "2");
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn opening_or_saving_all_of_a_part_not_cached_fetches_it_first() {
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, structure());
    s.set_shown(id, 4, SHOWN, None);
    let mut m = model(&s, (100, 30));
    m.download_dir = Some("/tmp/dl".into());
    keys(&mut m, &s, "Enter");

    // `o` on the message's only attachment: fetched, then opened with its name and type.
    let fx = keys(&mut m, &s, "o");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Open { .. })),
        "{fx:?}"
    );
    let (op, section) = part_fetch(&fx);
    assert_eq!(section, "2");
    s.set_part(id, 4, "2", "%PDF-");
    let fx = part_ready(&mut m, &s, op, "2");
    let [Effect::Open { name, mime, bytes }] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!(
        (name.as_str(), bytes.as_slice()),
        ("report.pdf", &b"%PDF-"[..])
    );
    assert!(mime.starts_with("application/pdf"), "{mime}");

    // Cached now: `A` saves it at once, no fetch.
    let fx = keys(&mut m, &s, "A");
    assert_eq!(
        fx,
        [Effect::SaveAll {
            dir: "/tmp/dl".into(),
            files: vec![("report.pdf".to_string(), b"%PDF-".to_vec())],
        }]
    );
}

#[test]
fn save_all_fetches_what_is_missing_and_saves_each_as_it_arrives() {
    let mut s = source();
    let id = inbox(&s);
    s.set_structure(id, 4, structure());
    s.set_shown(id, 4, SHOWN, None);
    let mut m = model(&s, (100, 30));
    m.download_dir = Some("/tmp/dl".into());
    keys(&mut m, &s, "Enter");
    let fx = keys(&mut m, &s, "A");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::SaveAll { .. })),
        "{fx:?}"
    );
    let (op, section) = part_fetch(&fx);
    s.set_part(id, 4, &section, "%PDF-");
    let fx = part_ready(&mut m, &s, op, &section);
    assert_eq!(
        fx,
        [Effect::SaveAll {
            dir: "/tmp/dl".into(),
            files: vec![("report.pdf".to_string(), b"%PDF-".to_vec())],
        }]
    );
}
