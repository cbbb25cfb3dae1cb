//! Reading (issue 9): headers cycle, find in the message, top / end, folded threads, the
//! HTML / plain choice and the pipe, through keys as a person types them.

use super::testkit::*;
use super::*;
use crate::app::reader::HeaderMode;

fn reader(m: &Model) -> &ReaderState {
    m.reader.as_ref().expect("reader open")
}

fn inbox(s: &FakeSource) -> i64 {
    s.folders().unwrap()[0].id
}

/// uid 2 (QUOTED_BODY) open full screen.
fn open_quoted(size: (u16, u16)) -> (FakeSource, Model) {
    let s = source();
    let mut m = model(&s, size);
    keys(&mut m, &s, "j Enter Enter");
    assert_eq!(reader(&m).uid, 2);
    assert!(m.reader_fullscreen());
    (s, m)
}

const LIST_BODY: &str = "From: Ada Lovelace <ada@example.com>\r\n\
To: me@example.com\r\n\
Reply-To: list@example.com\r\n\
List-Id: Engine talk <engine.example.com>\r\n\
Message-ID: <1@example.com>\r\n\
Received: from a.example.com\r\n\tby b.example.com\r\n\
Subject: =?UTF-8?B?w6l0w6k=?=\r\n\
Content-Type: text/plain\r\n\
\r\n\
hello\r\n";

#[test]
fn h_cycles_short_headers_all_headers_and_the_raw_source() {
    let mut s = source();
    let id = inbox(&s);
    s.set_body(id, 2, LIST_BODY);
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "j Enter");
    assert_eq!(reader(&m).headers, HeaderMode::Short);
    keys(&mut m, &s, "H");
    assert_eq!(reader(&m).headers, HeaderMode::All);
    let names: Vec<&str> = reader(&m)
        .all_headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(names.contains(&"List-Id") && names.contains(&"Reply-To"));
    assert!(reader(&m).all_headers.contains(&(
        "Received".into(),
        "from a.example.com by b.example.com".into()
    )));
    assert_eq!(m.status.note.as_deref(), Some("all headers"));
    keys(&mut m, &s, "H");
    assert_eq!(reader(&m).headers, HeaderMode::Raw);
    assert!(
        reader(&m)
            .source
            .iter()
            .any(|l| l == "Message-ID: <1@example.com>")
    );
    assert!(
        reader(&m)
            .source
            .iter()
            .any(|l| l == "Subject: =?UTF-8?B?w6l0w6k=?=")
    );
    // The mode stays while reading on, and H goes round.
    keys(&mut m, &s, "Tab Tab j");
    keys(&mut m, &s, "H");
    assert_eq!(reader(&m).headers, HeaderMode::Short);
}

#[test]
fn g_and_shift_g_go_to_the_top_and_end_of_the_message() {
    let (s, mut m) = open_quoted((60, 12));
    keys(&mut m, &s, "G");
    let (total, height) = m.reader_extent();
    assert!(total > height, "the body must be longer than the screen");
    assert_eq!(reader(&m).scroll, total - height);
    assert_eq!(reader(&m).uid, 2, "G stays in the message");
    keys(&mut m, &s, "g");
    assert_eq!(reader(&m).scroll, 0);
    keys(&mut m, &s, "End");
    assert_eq!(reader(&m).scroll, total - height);
    keys(&mut m, &s, "Home");
    assert_eq!(reader(&m).scroll, 0);
}

#[test]
fn slash_finds_in_the_message_and_n_shift_n_step_until_esc() {
    let (s, mut m) = open_quoted((60, 10));
    let filter_before = m.list.filter.clone();
    keys(&mut m, &s, "/");
    assert!(matches!(
        m.overlays.last(),
        Some(Overlay::Prompt {
            kind: reader::PromptKind::Find,
            ..
        })
    ));
    type_text(&mut m, &s, "the");
    keys(&mut m, &s, "Enter");
    assert_eq!(m.list.filter, filter_before, "the list filter is untouched");
    let find = reader(&m).find.clone().expect("find active");
    // "the numbers", "the carry", "the cold", "the reader".
    assert_eq!(find.matches.len(), 4);
    assert_eq!(find.current, 0);
    keys(&mut m, &s, "n n n");
    let find = reader(&m).find.clone().unwrap();
    assert_eq!(find.current, 3);
    // The current match is on screen.
    let head = super::reader_lines::head_len(reader(&m)) as u32;
    let line = head + find.matches[3].line as u32;
    let (_, height) = m.reader_extent();
    assert!(line >= reader(&m).scroll && line < reader(&m).scroll + height);
    keys(&mut m, &s, "n");
    assert_eq!(reader(&m).find.as_ref().unwrap().current, 0, "wraps");
    assert_eq!(m.status.note.as_deref(), Some("search wrapped to the top"));
    keys(&mut m, &s, "N");
    assert_eq!(reader(&m).find.as_ref().unwrap().current, 3);
    // n moved through matches only: no flag change was sent.
    let fx = keys(&mut m, &s, "Esc");
    assert!(fx.is_empty());
    assert!(reader(&m).find.is_none(), "Esc ends the find");
    assert!(m.reader.is_some(), "and keeps the reader open");
    // Without a find, n marks read / unread again.
    let fx = keys(&mut m, &s, "n");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Act { uids, .. } if uids == &[2])),
        "{fx:?}"
    );
    // A find with no match says so.
    keys(&mut m, &s, "/");
    type_text(&mut m, &s, "zebra");
    keys(&mut m, &s, "Enter");
    assert!(
        m.status
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not found"))
    );
}

#[test]
fn z_folds_the_thread_under_the_cursor_and_alt_z_folds_all() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Z");
    let total = m.list.total;
    // Thread 1: 4 messages (uid 2 unread), its first message uid 1; cursor on its third.
    let start = (0..total)
        .find(|&i| m.list.window.get(i).is_some_and(|(r, _)| r.thread_id == 1))
        .unwrap();
    m.list.move_to(i64::from(start + 2), &s).unwrap();
    assert_eq!(m.list.current().map(|r| r.thread_id), Some(1));
    keys(&mut m, &s, "z");
    assert_eq!(m.list.total, total - 3);
    assert_eq!(m.list.cursor, start, "the cursor goes to the folded row");
    assert_eq!(m.list.current().map(|r| r.uid), Some(1));
    assert_eq!(m.list.folded_at(start), Some((4, 1)));
    // Navigation skips the hidden messages.
    keys(&mut m, &s, "j");
    assert_ne!(m.list.current().map(|r| r.thread_id), Some(1));
    keys(&mut m, &s, "k z");
    assert_eq!(m.list.total, total);
    assert_eq!(m.list.folded_at(start), None);
    // All threads: only the single-message threads and thread 1's first row remain.
    keys(&mut m, &s, "Alt-z");
    assert_eq!(m.list.total, total - 3);
    keys(&mut m, &s, "Alt-z");
    assert_eq!(m.list.total, total, "again: every thread unfolded");
    keys(&mut m, &s, "Alt-z z");
    assert_eq!(m.list.total, total, "z unfolds one thread of all folded");
    keys(&mut m, &s, "Alt-Z");
    assert!(m.list.folds.is_empty());
    // Flat lists have no threads to fold.
    keys(&mut m, &s, "Z z");
    assert_eq!(m.list.total, total);
    assert!(m.list.folds.is_empty());
}

const ALTERNATIVE_BODY: &str = "From: News <news@example.com>\r\n\
To: me@example.com\r\n\
Subject: letter\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"alt\"\r\n\
\r\n\
--alt\r\n\
Content-Type: text/plain\r\n\
\r\n\
plain words\r\n\
--alt\r\n\
Content-Type: text/html\r\n\
\r\n\
<p>html <b>words</b></p>\r\n\
--alt--\r\n";

fn body_text(m: &Model) -> String {
    reader(m)
        .rendered()
        .unwrap()
        .body
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn p_switches_html_and_plain_and_remembers_the_sender() {
    let mut s = source();
    let id = inbox(&s);
    s.set_body(id, 2, ALTERNATIVE_BODY);
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "j Enter");
    assert!(body_text(&m).contains("plain words"));
    let fx = keys(&mut m, &s, "p");
    assert!(
        body_text(&m).contains("html **words**"),
        "{}",
        body_text(&m)
    );
    assert!(reader(&m).rendered().unwrap().shows_html);
    // Remembered for the row's sender (the list row: ada@example.com).
    assert_eq!(
        fx,
        [Effect::RememberPart {
            sender: "ada@example.com".into(),
            html: true
        }]
    );
    // Another model that knows the choice opens the message on its HTML part.
    let mut options = options((100, 30));
    options.parts.by_sender = m.parts.by_sender.clone();
    let mut m2 = Model::new(options, crate::keymap::Keymap::default(), &s);
    keys(&mut m2, &s, "j Enter");
    assert!(body_text(&m2).contains("html **words**"));
    // The global default, and a message with no choice.
    let mut options = super::testkit::options((100, 30));
    options.parts.prefer_html = true;
    let mut m3 = Model::new(options, crate::keymap::Keymap::default(), &s);
    keys(&mut m3, &s, "j Enter");
    assert!(body_text(&m3).contains("html **words**"));
    keys(&mut m3, &s, "k");
    let fx = keys(&mut m3, &s, "p");
    assert!(fx.is_empty());
}

#[test]
fn pipe_sends_the_raw_message_and_shows_sanitized_output() {
    let (s, mut m) = open_quoted((100, 30));
    keys(&mut m, &s, "|");
    type_text(&mut m, &s, "git am");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        fx,
        [Effect::Pipe {
            command: "git am".into(),
            input: QUOTED_BODY.as_bytes().to_vec()
        }]
    );
    m.update(
        Msg::Piped {
            command: "git am".into(),
            result: Ok(PipeOutput {
                stdout: b"Applying: \x1b]0;pwned\x07engine\n".to_vec(),
                stderr: b"warning\n".to_vec(),
                code: Some(1),
                truncated: false,
            }),
        },
        &s,
    );
    let Some(Overlay::Output { title, lines, .. }) = m.overlays.last() else {
        panic!("no output overlay: {:?}", m.overlays);
    };
    assert!(
        title.contains("git am") && title.contains("exit 1"),
        "{title}"
    );
    assert_eq!(lines, &["Applying: engine", "", "stderr:", "warning"]);
    assert!(
        m.status
            .error
            .as_deref()
            .is_some_and(|e| e.contains("exit 1"))
    );
    keys(&mut m, &s, "q");
    assert!(m.overlays.is_empty());
    assert!(m.reader.is_some(), "q closed the output, not the reader");
    // `!cmd` discards the output: only how it ended shows.
    m.update(
        Msg::Piped {
            command: "!urlscan -n".into(),
            result: Ok(PipeOutput {
                stdout: b"https://example.com\n".to_vec(),
                stderr: Vec::new(),
                code: Some(0),
                truncated: false,
            }),
        },
        &s,
    );
    assert!(m.overlays.is_empty());
    assert_eq!(m.status.note.as_deref(), Some("urlscan -n: exit 0"));
    // Nothing typed: nothing run.
    keys(&mut m, &s, "|");
    let fx = keys(&mut m, &s, "Enter");
    assert!(fx.is_empty());
}

#[test]
fn pipe_from_the_attachment_list_sends_that_part_decoded() {
    let s = source();
    let mut m = model(&s, (100, 30));
    // uid 5 (patch v3, with v3.patch attached) is the third row.
    keys(&mut m, &s, "j j Enter v |");
    assert!(matches!(
        m.overlays.last(),
        Some(Overlay::Prompt {
            kind: reader::PromptKind::Pipe { part: Some(0) },
            ..
        })
    ));
    type_text(&mut m, &s, "git apply --check");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        fx,
        [Effect::Pipe {
            command: "git apply --check".into(),
            input: b"--- a/x\r\n+++ b/x".to_vec()
        }]
    );
    assert!(
        matches!(m.overlays.last(), Some(Overlay::Attachments { .. })),
        "back on the attachment list"
    );
}
