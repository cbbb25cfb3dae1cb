//! Snapshots of the reading screens (issue 9): keywords and a folded thread in the list,
//! every header, the raw source, and find's highlights.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::testkit::{SEEN, flags, keys, model, source, type_text};
use crate::app::{MailSource, Model};
use crate::domain::message::Flags;
use crate::theme::{Theme, scopes};

fn theme() -> Theme {
    Theme::builtin("default").unwrap()
}

fn draw(m: &Model) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| super::render(m, &theme(), f)).unwrap();
    for cell in t.backend().buffer().content() {
        assert!(!cell.symbol().chars().any(|c| c.is_control()));
    }
    t
}

fn screen(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn keywords_and_a_folded_thread_in_the_list() {
    let mut s = source();
    let inbox = s.folders().unwrap()[0].id;
    s.set_flags(
        inbox,
        5,
        Flags {
            keywords: vec!["work".into(), "$Label1".into(), "$Forwarded".into()],
            ..flags(SEEN)
        },
    );
    let mut m = model(&s, (120, 20));
    // Threads, then fold every thread: thread 1 shows as one row with its counts.
    keys(&mut m, &s, "Z Alt-z");
    let t = draw(&m);
    let text = screen(&t);
    assert!(text.contains("[work] [$Label1]"), "{text}");
    assert!(
        !text.contains("$Forwarded"),
        "bookkeeping keywords are hidden"
    );
    assert!(text.contains("▸4 ●1 engine notes"), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn reader_shows_keywords_all_headers_and_the_raw_source() {
    let mut s = source();
    let inbox = s.folders().unwrap()[0].id;
    s.set_flags(
        inbox,
        5,
        Flags {
            keywords: vec!["work".into()],
            ..flags(SEEN)
        },
    );
    let mut m = model(&s, (90, 24));
    // uid 5 (patch v3) is the third row of the flat list.
    keys(&mut m, &s, "j j Enter Enter");
    let text = screen(&draw(&m));
    assert!(text.contains("Keywords: work"), "{text}");
    keys(&mut m, &s, "H");
    let t = draw(&m);
    insta::assert_snapshot!("reader_all_headers", t.backend());
    keys(&mut m, &s, "H");
    let t = draw(&m);
    let text = screen(&t);
    assert!(text.contains("Content-Type: multipart/mixed; boundary=\"b1\""));
    assert!(text.contains("--b1--"));
    insta::assert_snapshot!("reader_raw_source", t.backend());
}

#[test]
fn find_highlights_every_match_and_the_current_one() {
    let s = source();
    let mut m = model(&s, (80, 24));
    keys(&mut m, &s, "j Enter Enter /");
    type_text(&mut m, &s, "the");
    keys(&mut m, &s, "Enter n");
    let t = draw(&m);
    let buf = t.backend().buffer();
    let th = theme();
    let (find, current) = (
        th.style(scopes::READER_FIND),
        th.style(scopes::READER_FIND_CURRENT),
    );
    let mut hits = 0;
    let mut current_hits = 0;
    for cell in buf.content() {
        if cell.bg == current.bg.unwrap() {
            current_hits += 1;
        } else if cell.bg == find.bg.unwrap() {
            hits += 1;
        }
    }
    assert_eq!(current_hits, 3, "one match of 3 cells is current");
    assert_eq!(hits, 9, "three other matches");
    insta::assert_snapshot!(t.backend());
}
