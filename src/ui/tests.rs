//! Snapshots of every screen (TestBackend + insta) over the fixture mailbox, with a fixed
//! clock. Review `src/ui/snapshots/*.snap` when one changes.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::fake::{generated, generated_row};
use crate::app::testkit::{
    HOSTILE_BODY, HOUR, NOW, acts, both, cursor_uid, folder_changed, home_source, inbox, keys,
    model, options, question, row, source, two_options, type_text,
};
use crate::app::{Effect, FakeSource, Model, Msg, list};
use crate::bus::{ConnState, EngineEvent};
use crate::domain::ids::AccountId;
use crate::theme::{Theme, scopes};

fn theme() -> Theme {
    Theme::builtin("default").unwrap()
}

fn draw(m: &Model) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| super::render(m, &theme(), f)).unwrap();
    assert_clean(&t);
    t
}

/// Nothing that could drive the terminal reached the buffer.
fn assert_clean(t: &Terminal<TestBackend>) {
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "control character in {:?}",
            cell.symbol()
        );
    }
}

fn at(size: (u16, u16), script: &str) -> (FakeSource, Model) {
    let s = source();
    let mut m = model(&s, size);
    keys(&mut m, &s, script);
    (s, m)
}

#[test]
fn folders_and_flat_list() {
    let (_, m) = at((100, 20), "");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn threaded_list() {
    let (_, m) = at((100, 20), "Z j");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn split_reader() {
    let (_, m) = at((100, 30), "j Enter");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn fullscreen_reader_with_quotes_and_signature() {
    let (_, m) = at((72, 24), "j Enter Enter");
    let t = draw(&m);
    insta::assert_snapshot!(t.backend());
    // Quote depths and the signature get their own styles.
    let th = theme();
    let buf = t.backend().buffer();
    let style_of = |needle: &str| {
        (0..buf.area.height)
            .find_map(|y| {
                let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
                // Cells here are one char each: a char index is a column.
                let i = line.find(needle)?;
                let x = line[..i].chars().count() + 1;
                Some(buf[(x as u16, y)].style())
            })
            .unwrap()
    };
    assert_eq!(
        style_of("│>> It jams").fg,
        th.style(scopes::READER_QUOTE_2).fg
    );
    assert_eq!(
        style_of("│>>> Only").fg,
        th.style(scopes::READER_QUOTE_3).fg
    );
    assert_eq!(style_of("│Ada ").fg, th.style(scopes::READER_SIGNATURE).fg);
}

#[test]
fn loading_reader() {
    let (_, m) = at((100, 30), "Enter");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn reader_with_attachments_and_picker() {
    let (_, m) = at((100, 30), "j j Enter v Enter");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn move_picker_and_keyword_prompt() {
    let (s, mut m) = at((100, 24), "m");
    type_text(&mut m, &s, "li");
    let picker = draw(&m);
    keys(&mut m, &s, "Esc +");
    type_text(&mut m, &s, "Work");
    let prompt = draw(&m);
    insta::assert_snapshot!(format!("{}\n{}", picker.backend(), prompt.backend()));
}

#[test]
fn help_overlay() {
    let (_, m) = at((100, 50), "?");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn filter_typing_and_active() {
    let (s, mut m) = at((100, 16), "/");
    type_text(&mut m, &s, "eng");
    let typing = draw(&m);
    keys(&mut m, &s, "Enter");
    let active = draw(&m);
    insta::assert_snapshot!(format!("{}\n{}", typing.backend(), active.backend()));
}

#[test]
fn command_line() {
    let (s, mut m) = at((100, 12), ":");
    type_text(&mut m, &s, "sync_n");
    insta::assert_snapshot!(draw(&m).backend());
}

fn status_line(m: &Model) -> String {
    let t = draw(m);
    let buf = t.backend().buffer();
    let y = buf.area.height - 1;
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

#[test]
fn status_bar_states() {
    let (s, mut m) = at((100, 8), "");
    let mut lines = Vec::new();
    for state in [
        ConnState::Connecting,
        ConnState::Online,
        ConnState::Syncing {
            folder: "INBOX".into(),
            done: 41_200,
            total: 100_000,
        },
        ConnState::Offline {
            reason: "no route".into(),
        },
        ConnState::Reconnecting {
            in_secs: 8,
            reason: "reset".into(),
        },
    ] {
        m.update(Msg::Engine(AccountId(0), EngineEvent::Conn(state)), &s);
        lines.push(status_line(&m));
    }
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::Error("LOGIN failed: \x1b[31mauthentication\x1b[0m rejected".into()),
        ),
        &s,
    );
    lines.push(status_line(&m));
    keys(&mut m, &s, "g");
    lines.push(status_line(&m));
    insta::assert_snapshot!(lines.join("\n"));
    // The error is drawn in the error style.
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Error("boom".into())),
        &s,
    );
    let t = draw(&m);
    let buf = t.backend().buffer();
    let y = buf.area.height - 1;
    let x = (0..buf.area.width)
        .find(|&x| buf[(x, y)].symbol() == "b")
        .unwrap();
    assert_eq!(
        buf[(x, y)].fg,
        theme().style(scopes::STATUS_ERROR).fg.unwrap()
    );
}

#[test]
fn empty_folder() {
    let (_, m) = at((100, 12), "Tab j Enter");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn narrow_terminal() {
    let (s, mut m) = at((40, 12), "");
    let list = draw(&m);
    keys(&mut m, &s, "Tab");
    let folders = draw(&m);
    keys(&mut m, &s, "Tab j Enter");
    let reader = draw(&m);
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        list.backend(),
        folders.backend(),
        reader.backend()
    ));
}

#[test]
fn wide_terminal() {
    let (_, m) = at((160, 40), "j j Enter");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn hostile_escapes_and_wide_text() {
    let (_, m) = at((100, 30), "j j j j Enter");
    assert!(HOSTILE_BODY.contains('\x1b'));
    assert_eq!(m.reader.as_ref().unwrap().uid, 6);
    let t = draw(&m);
    let text = t.backend().to_string();
    assert!(!text.contains('\x1b') && !text.contains('\u{9b}'));
    assert!(text.contains("URGENT"));
    // (The OSC payload in From shows as plain text: harmless, and mail-parser's doing.)
    insta::assert_snapshot!(t.backend());
}

#[test]
fn messages_log() {
    let (s, mut m) = at((80, 14), "");
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Error("first".into())),
        &s,
    );
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Error("second".into())),
        &s,
    );
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "messages");
    keys(&mut m, &s, "Enter");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn every_theme_draws_every_screen() {
    for name in ["default", "light", "mono"] {
        let th = Theme::builtin(name).unwrap();
        for script in ["", "Z", "j Enter", "j Enter Enter", "?", "/", ":"] {
            let (_, m) = at((80, 24), script);
            let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
            t.draw(|f| super::render(&m, &th, f)).unwrap();
        }
    }
}

#[test]
fn tiny_terminals_do_not_panic() {
    let th = theme();
    for (w, h) in [(1, 1), (2, 3), (10, 4), (20, 5), (49, 13), (50, 14)] {
        for script in [
            "",
            "j Enter",
            "j Enter Enter",
            "?",
            "/",
            "Tab",
            "j j Enter v Enter",
        ] {
            let (_, m) = at((w, h), script);
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| super::render(&m, &th, f)).unwrap();
        }
    }
}

#[test]
fn two_accounts_sidebar() {
    let (work, home) = (source(), home_source());
    let s = both(&work, &home);
    let mut m = Model::new(
        two_options("work", (100, 24)),
        crate::keymap::Keymap::default(),
        &s,
    );
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Conn(ConnState::Online)),
        &s,
    );
    // Home's INBOX open: its list, its name and state in the status line.
    keys(&mut m, &s, "Tab j j j j j j j Enter");
    m.update(
        Msg::Engine(
            AccountId(1),
            EngineEvent::Conn(ConnState::Reconnecting {
                in_secs: 8,
                reason: "reset".into(),
            }),
        ),
        &s,
    );
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Error("quota warning".into())),
        &s,
    );
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn tagged_rows_show_a_plus() {
    let (_s, m) = at((100, 30), "t");
    let t = draw(&m);
    let buffer = t.backend().buffer();
    let uid_row: String = (0..buffer.area.width)
        .map(|x| buffer[(x, 1)].symbol().to_string())
        .collect();
    assert!(uid_row.contains('+'), "{uid_row}");
    assert_eq!(m.list.tagged.len(), 1);
}

#[test]
fn spoofed_subject_and_sender_show_only_visible_text() {
    use crate::app::testkit::{NOW, row};
    let mut s = FakeSource::new();
    let inbox = s.add_folder("INBOX", Some("inbox"), Some('/'));
    // A right-to-left override turning "gpj.exe" into a harmless-looking "exe.jpg", a
    // zero-width space inside a brand, and tag characters carrying hidden text.
    let mut spoof = row(
        1,
        0,
        "Pay\u{200b}Pal\u{200f} Support",
        "invoice\u{202e}gpj.exe\u{202c} \u{e0069}\u{e0067}\u{e006e}ok\u{2066}x\u{2069}",
        0,
        100,
        false,
        1,
        0,
    );
    spoof.date = NOW;
    s.push(inbox, spoof);
    let m = model(&s, (100, 8));
    let t = draw(&m);
    let screen = t.backend().to_string();
    assert!(screen.contains("PayPal Support"), "{screen}");
    assert!(screen.contains("invoicegpj.exe okx"), "{screen}");
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(|c| matches!(c,
                '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                | '\u{e0000}'..='\u{e007f}')),
            "invisible character in {:?}",
            cell.symbol()
        );
    }
    insta::assert_snapshot!(t.backend());
}

// Model and screen together: what the user does, then what the screen shows.

#[test]
fn hundred_thousand_rows_are_read_a_window_at_a_time() {
    let s = generated(100_000, NOW - 100_000 * 60);
    s.reset_stats();
    let mut m = Model::new(options((160, 40)), crate::keymap::Keymap::default(), &s);
    keys(&mut m, &s, "G");
    assert_eq!(m.list.cursor, 99_999);
    keys(&mut m, &s, "k k k g j j PageDown Ctrl-d");
    let theme = crate::theme::Theme::builtin("default").unwrap();
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 40)).unwrap();
    t.draw(|f| crate::ui::render(&m, &theme, f)).unwrap();
    let stats = s.stats();
    let page = m.list.height as usize;
    assert!(
        stats.max_window_rows <= page + 2 * list::MARGIN as usize,
        "{stats:?}"
    );
    assert!(stats.window_calls <= 6, "{stats:?}");
    assert!(m.list.window.rows.len() <= page + 2 * list::MARGIN as usize);
    // Next unread is a binary search, not a scan.
    s.reset_stats();
    keys(&mut m, &s, "J");
    assert!(s.stats().window_calls < 40, "{:?}", s.stats());
}

#[test]
fn new_mail_above_a_scrolled_list_is_counted_not_scrolled_in() {
    let mut s = generated(100, NOW - 100 * 60);
    let mut m = Model::new(options((100, 20)), crate::keymap::Keymap::default(), &s);
    let id = inbox(&s);
    keys(&mut m, &s, "PageDown PageDown");
    let (scroll, line, kept) = (m.list.scroll, m.list.cursor - m.list.scroll, cursor_uid(&m));
    assert!(scroll > 0);
    for n in 500..503 {
        s.push(id, generated_row(n, NOW));
    }
    folder_changed(&mut m, &s);
    assert_eq!(cursor_uid(&m), kept, "the cursor stays on its message");
    assert_eq!(
        m.list.cursor - m.list.scroll,
        line,
        "and on its screen line"
    );
    assert_eq!(m.list.new_above, 3);
    let theme = crate::theme::Theme::builtin("default").unwrap();
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 20)).unwrap();
    t.draw(|f| crate::ui::render(&m, &theme, f)).unwrap();
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains("↑ 3 new"), "{screen}");
    // Going to the top shows them and clears the count.
    keys(&mut m, &s, "g");
    assert_eq!(m.list.new_above, 0);
    assert_eq!(cursor_uid(&m), Some(503));
}

#[test]
fn delete_expunge_and_a_missing_trash_ask_before_removing_for_good() {
    let s = source();
    let mut o = options((100, 30));
    o.filing = vec![crate::config::Filing {
        delete_expunges: true,
        ..Default::default()
    }];
    let mut m = Model::new(o, crate::keymap::Keymap::default(), &s);
    assert_eq!(acts(&keys(&mut m, &s, "d")), 0);
    assert_eq!(question(&m), Some("Delete 1 message for good? y/n"));
    keys(&mut m, &s, "n");
    // No folder with the Trash role and no `trash` set.
    let mut s = FakeSource::new();
    let inbox = s.add_folder("INBOX", Some("inbox"), Some('/'));
    s.push(inbox, row(1, HOUR, "A", "only", 0, 100, false, 1, 0));
    let mut m = model(&s, (100, 30));
    assert_eq!(acts(&keys(&mut m, &s, "d")), 0);
    assert_eq!(
        question(&m),
        Some(
            "No Trash folder: delete 1 message for good? y/n (set trash = \"...\" to move instead)"
        )
    );
    let theme = crate::theme::Theme::builtin("default").unwrap();
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    t.draw(|f| crate::ui::render(&m, &theme, f)).unwrap();
    let bottom: String = (0..100)
        .map(|x| t.backend().buffer()[(x, 29)].symbol().to_string())
        .collect();
    assert!(
        bottom.starts_with("No Trash folder: delete 1 message"),
        "{bottom}"
    );
    let fx = keys(&mut m, &s, "y");
    assert!(
        matches!(
            &fx[..],
            [Effect::Act {
                act: crate::bus::Act::Expunge,
                ..
            }]
        ),
        "a yes removes for good, which the engine would refuse as a plain delete: {fx:?}"
    );
    // A configured trash name moves without asking.
    let mut o = options((100, 30));
    o.filing = vec![crate::config::Filing {
        trash: Some("Deleted".into()),
        ..Default::default()
    }];
    let mut m = Model::new(o, crate::keymap::Keymap::default(), &s);
    assert_eq!(acts(&keys(&mut m, &s, "d")), 1);
    assert!(m.overlays.is_empty());
}
