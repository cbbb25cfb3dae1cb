//! The app driven by key strings against `FakeSource` (no terminal, no engine).

use std::time::Duration;

use ratatui::crossterm::event::{KeyModifiers, MouseEvent, MouseEventKind};

use super::fake::{generated, generated_row};
use super::testkit::*;
use super::*;
use crate::bus::{ConnState, EngineEvent, OpId};
use crate::domain::folder::SortOrder;
use crate::domain::ids::{AccountId, UidValidity};

#[test]
fn first_paint_comes_from_the_cache() {
    let s = source();
    let m = model(&s, (100, 30));
    assert_eq!(m.list.folder.as_ref().unwrap().name, "INBOX");
    assert_eq!(m.list.total, 12);
    assert_eq!(cursor_uid(&m), Some(4), "newest first");
    assert_eq!(m.folders.current().unwrap().name, "INBOX");
}

#[test]
fn navigation() {
    let s = source();
    let mut m = model(&s, (100, 30));
    assert!(keys(&mut m, &s, "j j").is_empty());
    assert_eq!((m.list.cursor, cursor_uid(&m)), (2, Some(5)));
    keys(&mut m, &s, "k");
    assert_eq!(m.list.cursor, 1);
    keys(&mut m, &s, "G");
    assert_eq!((m.list.cursor, cursor_uid(&m)), (11, Some(9)));
    keys(&mut m, &s, "g");
    assert_eq!(m.list.cursor, 0);
    keys(&mut m, &s, "Down Down Up");
    assert_eq!(m.list.cursor, 1);
    // Next unread from uid 2 (index 1, unread): uid 6 at index 4.
    keys(&mut m, &s, "J");
    assert_eq!(cursor_uid(&m), Some(6));
    keys(&mut m, &s, "K");
    assert_eq!(cursor_uid(&m), Some(2));
    keys(&mut m, &s, "K");
    assert_eq!(cursor_uid(&m), Some(2), "no unread above");
    assert!(m.status.note.is_some());
}

#[test]
fn open_message_fetches_after_debounce_then_reads_the_cache() {
    let mut s = source();
    let mut m = model(&s, (100, 30));
    // uid 4 (top row) has no cached body.
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        fx,
        [Effect::FetchBodyAfter {
            delay: Duration::ZERO,
            account: 0,
            folder: "INBOX".into(),
            uid: 4
        }]
    );
    assert!(m.reader.as_ref().unwrap().is_loading());
    // Due and still not cached: ask the engine.
    let fx = m.update(
        Msg::BodyDue {
            account: 0,
            folder: "INBOX".into(),
            uid: 4,
        },
        &s,
    );
    assert_eq!(fetches_of(&fx), [Some((0, "INBOX".to_string(), 1, 4))]);
    // The engine stored it: rendered from the cache.
    let id = inbox(&s);
    s.set_body(id, 4, QUOTED_BODY);
    let fx = m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::BodyReady {
                folder: "INBOX".into(),
                uid: 4,
            },
        ),
        &s,
    );
    assert!(fx.is_empty());
    let rendered = m.reader.as_ref().unwrap().rendered().unwrap();
    assert_eq!(rendered.headers.subject, "Re: engine notes");
    // A body already cached shows at once, with no fetch.
    let fx = keys(&mut m, &s, "j");
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(m.reader.as_ref().unwrap().uid, 2);
    assert!(m.reader.as_ref().unwrap().rendered().is_some());
}

#[test]
fn a_refused_body_fetch_shows_why_in_the_reader_and_the_status_line() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter");
    let due = Msg::BodyDue {
        account: 0,
        folder: "INBOX".into(),
        uid: 4,
    };
    let fx = m.update(due, &s);
    let [Effect::Engine(_, EngineCommand::FetchBody { op, .. })] = fx[..] else {
        panic!("want one fetch: {fx:?}");
    };
    let failed = |op, message: &str| {
        Msg::Engine(
            AccountId(0),
            EngineEvent::OpFailed {
                op,
                kind: crate::bus::ErrorKind::StaleUidValidity,
                message: message.into(),
            },
        )
    };
    // Another request's failure leaves the reader waiting.
    m.update(failed(OpId(op.0 + 100), "other"), &s);
    assert!(m.reader.as_ref().unwrap().is_loading());
    m.update(failed(op, "INBOX was renumbered"), &s);
    assert_eq!(
        m.reader.as_ref().unwrap().body,
        Body::Error("INBOX was renumbered".into())
    );
    assert_eq!(m.status.error.as_deref(), Some("INBOX was renumbered"));
}

#[test]
fn body_due_after_the_engine_cached_it_needs_no_fetch() {
    let mut s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Enter");
    let id = inbox(&s);
    s.set_body(id, 4, QUOTED_BODY);
    let fx = m.update(
        Msg::BodyDue {
            account: 0,
            folder: "INBOX".into(),
            uid: 4,
        },
        &s,
    );
    assert!(fx.is_empty());
    assert!(m.reader.as_ref().unwrap().rendered().is_some());
}

#[test]
fn latest_wins_only_the_last_message_is_fetched() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "G k k k");
    let uid0 = cursor_uid(&m).unwrap();
    let mut due = keys(&mut m, &s, "Enter j j j");
    let last = cursor_uid(&m).unwrap();
    assert_eq!(due.len(), 4, "{due:?}");
    assert!(due.iter().skip(1).all(|e| matches!(
        e,
        Effect::FetchBodyAfter { delay, .. } if *delay == BODY_DEBOUNCE
    )));
    // The runtime sends every due message back; only the last one leads to a fetch.
    let mut fetches = Vec::new();
    for e in due.drain(..) {
        if let Effect::FetchBodyAfter {
            account,
            folder,
            uid,
            ..
        } = e
        {
            fetches.extend(m.update(
                Msg::BodyDue {
                    account,
                    folder,
                    uid,
                },
                &s,
            ));
        }
    }
    assert_ne!(uid0, last);
    assert_eq!(
        fetches_of(&fetches),
        [Some((0, "INBOX".to_string(), 1, last))]
    );
}

#[test]
fn cursor_stays_on_its_message_when_mail_arrives_or_vanishes() {
    let mut s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "j j");
    assert_eq!(cursor_uid(&m), Some(5));
    let id = inbox(&s);
    s.push(id, row(50, 60, "New Sender", "fresh", 0, 100, false, 50, 0));
    let fx = m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::FolderChanged {
                folder: "INBOX".into(),
            },
        ),
        &s,
    );
    assert_eq!((m.list.cursor, cursor_uid(&m)), (3, Some(5)));
    assert_eq!(m.list.total, 13);
    // New unread mail in the inbox: bell and title.
    assert!(fx.contains(&Effect::Bell), "{fx:?}");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SetTitle(t) if t.contains("5 unread")))
    );
    // The message under the cursor vanishes: same index.
    s.remove(id, 5);
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::FolderChanged {
                folder: "INBOX".into(),
            },
        ),
        &s,
    );
    assert_eq!((m.list.cursor, cursor_uid(&m)), (3, Some(3)));
    // Everything goes: clamped, no panic.
    for uid in [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 50] {
        s.remove(id, uid);
    }
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::FolderChanged {
                folder: "INBOX".into(),
            },
        ),
        &s,
    );
    assert_eq!((m.list.total, m.list.cursor, cursor_uid(&m)), (0, 0, None));
    keys(&mut m, &s, "j G Enter");
}

#[test]
fn filter_narrows_as_you_type_and_esc_restores() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "j");
    keys(&mut m, &s, "/");
    type_text(&mut m, &s, "eng");
    assert_eq!(m.list.total, 4);
    type_text(&mut m, &s, " ~N");
    assert_eq!(m.list.total, 1, "unread and matching");
    assert_eq!(cursor_uid(&m), Some(2), "the cursor kept its message");
    keys(&mut m, &s, "Esc");
    assert_eq!(m.list.total, 12);
    assert!(m.overlays.is_empty() && m.list.filter.is_none());
    // Enter keeps it; Esc (back) clears it, and never quits.
    keys(&mut m, &s, "/");
    type_text(&mut m, &s, "~F");
    keys(&mut m, &s, "Enter");
    assert_eq!(m.list.total, 2);
    assert!(keys(&mut m, &s, "Esc").is_empty());
    assert_eq!(m.list.total, 12);
    assert!(keys(&mut m, &s, "Esc Esc").is_empty());
    assert_eq!(keys(&mut m, &s, "q"), [Effect::Quit]);
}

#[test]
fn q_closes_the_reader_then_quits() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "j Enter");
    assert!(m.reader.is_some());
    assert!(!m.reader_fullscreen());
    // Enter again on the open message: full screen, reader keys.
    keys(&mut m, &s, "Enter");
    assert!(m.reader_fullscreen());
    assert_eq!(m.focus, Focus::Reader);
    m.update(Msg::Resize(100, 14), &s);
    keys(&mut m, &s, "j j");
    assert_eq!(
        m.reader.as_ref().unwrap().scroll,
        2,
        "j scrolls in the reader"
    );
    // Space at the end of the message reads on into the next one.
    keys(&mut m, &s, "Space Space");
    assert_eq!(m.reader.as_ref().unwrap().uid, 5);
    assert!(keys(&mut m, &s, "q").is_empty());
    assert!(m.reader.is_none());
    assert_eq!(m.focus, Focus::List);
    assert_eq!(keys(&mut m, &s, "q"), [Effect::Quit]);
    assert_eq!(keys(&mut m, &s, "Q"), [Effect::Quit]);
}

#[test]
fn folders_focus_and_select() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "Tab");
    assert_eq!(m.focus, Focus::Folders);
    let fx = keys(&mut m, &s, "j Enter");
    assert_eq!(
        fx,
        [Effect::Engine(
            AccountId(0),
            EngineCommand::SelectFolder("Drafts".into())
        )]
    );
    assert_eq!(m.focus, Focus::List);
    assert_eq!(m.list.total, 0);
    let fx = keys(&mut m, &s, "Tab G Enter");
    assert_eq!(
        fx,
        [Effect::Engine(
            AccountId(0),
            EngineCommand::SelectFolder("Lists/rust".into())
        )]
    );
    let fx = keys(&mut m, &s, "Tab k Enter");
    assert_eq!(
        fx,
        [Effect::Engine(
            AccountId(0),
            EngineCommand::SelectFolder("Lists/dev".into())
        )]
    );
    assert_eq!(m.list.total, 1);
    // `:folder NAME` does the same.
    let fx = keys(&mut m, &s, ":");
    assert!(fx.is_empty());
    type_text(&mut m, &s, "folder Archive");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        fx,
        [Effect::Engine(
            AccountId(0),
            EngineCommand::SelectFolder("Archive".into())
        )]
    );
    assert_eq!(m.list.total, 3);
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

#[test]
fn mouse_wheel_scrolls_and_click_selects() {
    let s = generated(500, NOW - 1000 * 60);
    let mut m = Model::new(options((100, 30)), crate::keymap::Keymap::default(), &s);
    let list = super::layout::areas(&m.view()).list_inner.unwrap();
    m.update(
        mouse(MouseEventKind::ScrollDown, list.x + 5, list.y + 2),
        &s,
    );
    assert_eq!(m.list.scroll, 3);
    assert_eq!(m.list.cursor, 3, "the cursor is dragged into view");
    m.update(mouse(MouseEventKind::ScrollUp, list.x + 5, list.y + 2), &s);
    assert_eq!(m.list.scroll, 0);
    m.update(
        mouse(
            MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left),
            list.x + 5,
            list.y + 7,
        ),
        &s,
    );
    assert_eq!(m.list.cursor, 7);
    // A click on a folder opens it.
    let s = source();
    let mut m = model(&s, (100, 30));
    let folders = super::layout::areas(&m.view()).folders_inner.unwrap();
    let fx = m.update(
        mouse(
            MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left),
            folders.x + 2,
            folders.y + 4,
        ),
        &s,
    );
    assert_eq!(
        fx,
        [Effect::Engine(
            AccountId(0),
            EngineCommand::SelectFolder("Archive".into())
        )]
    );
}

#[test]
fn resize_refits_the_list_and_rewraps_the_reader() {
    let s = generated(1000, NOW - 2000 * 60);
    let mut m = Model::new(options((100, 30)), crate::keymap::Keymap::default(), &s);
    keys(&mut m, &s, "G");
    assert_eq!(m.list.height, 27);
    m.update(Msg::Resize(60, 10), &s);
    assert_eq!(m.list.height, 7);
    assert_eq!(m.list.cursor, 999);
    assert!(m.list.scroll <= 999 && 999 < m.list.scroll + 7);
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "j Enter");
    let w = m.reader.as_ref().unwrap().width;
    m.update(Msg::Resize(50, 30), &s);
    assert!(m.reader.as_ref().unwrap().width < w);
    let body = &m.reader.as_ref().unwrap().rendered().unwrap().body;
    assert!(
        body.iter()
            .all(|l| crate::domain::width::display_width(&l.text) <= 48)
    );
    // Tiny terminals do not panic.
    m.update(Msg::Resize(1, 1), &s);
    m.update(Msg::Resize(0, 0), &s);
    keys(&mut m, &s, "j k q");
}

#[test]
fn threads_toggle_keeps_the_cursor_message() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "j j");
    assert_eq!(cursor_uid(&m), Some(5));
    keys(&mut m, &s, "Z");
    assert_eq!(m.list.sort, SortOrder::Threaded);
    assert_eq!(cursor_uid(&m), Some(5));
    let guides: Vec<&str> = m.list.window.guides.iter().map(String::as_str).collect();
    assert_eq!(&guides[..4], ["", "├─ ", "│ └─ ", "└─ "]);
}

#[test]
fn attachments_are_saved_to_the_typed_path() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "j j Enter v");
    assert!(matches!(
        m.overlays.last(),
        Some(Overlay::Attachments { prompt: None, .. })
    ));
    keys(&mut m, &s, "Enter");
    let Some(Overlay::Attachments {
        prompt: Some(p), ..
    }) = m.overlays.last()
    else {
        panic!("no prompt");
    };
    assert_eq!(p.text, "v3.patch");
    keys(&mut m, &s, "Ctrl-u");
    type_text(&mut m, &s, "/tmp/x.patch");
    let fx = keys(&mut m, &s, "Enter");
    let [Effect::SaveAttachment { path, bytes }] = &fx[..] else {
        panic!("{fx:?}");
    };
    assert_eq!(path, &std::path::PathBuf::from("/tmp/x.patch"));
    assert!(String::from_utf8_lossy(bytes).contains("+++ b/x"));
    assert!(m.overlays.is_empty());
    // No attachments: a note, no overlay.
    keys(&mut m, &s, "q k v");
    assert!(m.overlays.is_empty());
}

#[test]
fn command_line_runs_actions_and_errors_last_until_a_key() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "sync_now");
    assert_eq!(
        keys(&mut m, &s, "Enter"),
        [Effect::Engine(AccountId(0), EngineCommand::SyncNow)]
    );
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "bogus");
    keys(&mut m, &s, "Enter");
    assert!(m.status.error.as_deref().unwrap().contains("bogus"));
    keys(&mut m, &s, "j");
    assert!(m.status.error.is_none());
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "messages");
    keys(&mut m, &s, "Enter");
    assert!(matches!(m.overlays.last(), Some(Overlay::Messages { .. })));
    keys(&mut m, &s, "Esc ?");
    assert!(matches!(m.overlays.last(), Some(Overlay::Help { .. })));
    keys(&mut m, &s, "j j ?");
    assert!(m.overlays.is_empty());
    assert_eq!(keys(&mut m, &s, "Ctrl-l"), [Effect::Redraw]);
}

#[test]
fn engine_events_update_status_and_errors_are_sanitized() {
    let s = source();
    let mut m = model(&s, (100, 30));
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::Conn(ConnState::Reconnecting {
                in_secs: 8,
                reason: "reset".into(),
            }),
        ),
        &s,
    );
    assert!(matches!(
        *m.conn(),
        ConnState::Reconnecting { in_secs: 8, .. }
    ));
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Error("bad\x1b[2Jthing".into())),
        &s,
    );
    assert_eq!(m.status.error.as_deref(), Some("badthing"));
    // A due body for a closed reader is ignored.
    let fx = m.update(
        Msg::BodyDue {
            account: 0,
            folder: "INBOX".into(),
            uid: 4,
        },
        &s,
    );
    assert!(fx.is_empty());
}

#[test]
fn a_broken_cache_is_reported_not_fatal() {
    let mut s = source();
    s.broken = true;
    let mut m = model(&s, (100, 30));
    assert!(m.status.error.as_deref().unwrap().contains("cache"));
    keys(&mut m, &s, "j J G Enter / a Esc Tab j Enter Z");
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::FolderChanged {
                folder: "INBOX".into(),
            },
        ),
        &s,
    );
    assert!(m.status.error.is_some());
}

#[test]
fn a_cold_cache_opens_the_folder_once_the_first_sync_brings_it() {
    let mut s = FakeSource::new();
    let mut m = model(&s, (100, 30));
    assert!(m.list.folder.is_none(), "nothing to show yet");
    assert!(m.status.error.is_none(), "an empty cache is not an error");
    let inbox = s.add_folder("INBOX", Some("inbox"), Some('/'));
    s.push(inbox, super::fake::generated_row(1, NOW));
    m.update(Msg::Engine(AccountId(0), EngineEvent::FoldersChanged), &s);
    assert_eq!(
        m.list.folder.as_ref().map(|f| f.name.as_str()),
        Some("INBOX")
    );
    assert_eq!(m.list.total, 1);
}

// ---- several accounts ----

fn sidebar(m: &Model) -> Vec<(usize, String)> {
    m.folders
        .rows
        .iter()
        .map(|r| {
            let label = match r.kind {
                folders::FolderRowKind::Account => format!("[{}]", r.label),
                _ => format!("{}{}", "  ".repeat(r.depth as usize), r.label),
            };
            (r.account, label)
        })
        .collect()
}

/// `j` presses from work's INBOX to home's INBOX: work's other selectable folders, plus one.
const WORK_TO_HOME: &str = "j j j j j j j";

#[test]
fn every_account_is_a_section_in_config_order() {
    let (work, home) = (source(), home_source());
    let s = both(&work, &home);
    let m = Model::new(
        two_options("work", (100, 30)),
        crate::keymap::Keymap::default(),
        &s,
    );
    let rows = sidebar(&m);
    let labels: Vec<&str> = rows.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "[work]", "INBOX", "Drafts", "Sent", "Archive", "Trash", "Lists", "  dev", "  rust",
            "[home]", "INBOX", "Sent", "Family", "  Photos",
        ]
    );
    assert!(rows[..9].iter().all(|(a, _)| *a == 0));
    assert!(rows[9..].iter().all(|(a, _)| *a == 1));
    // The first account's INBOX is open; the list reads work's cache.
    assert_eq!(m.account, 0);
    assert_eq!(m.account_name(), "work");
    assert_eq!(m.list.total, 12);
    assert_eq!(
        m.folders.current().map(|r| (r.account, r.name.as_str())),
        Some((0, "INBOX"))
    );
}

#[test]
fn opening_a_folder_of_the_second_account_reads_its_cache_and_tells_its_engine() {
    let (work, home) = (source(), home_source());
    let s = both(&work, &home);
    let mut m = Model::new(
        two_options("work", (100, 30)),
        crate::keymap::Keymap::default(),
        &s,
    );
    keys(&mut m, &s, "Tab");
    keys(&mut m, &s, WORK_TO_HOME);
    assert_eq!(
        m.folders.current().map(|r| (r.account, r.name.as_str())),
        Some((1, "INBOX"))
    );
    work.reset_stats();
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        fx,
        [Effect::Engine(
            AccountId(1),
            EngineCommand::SelectFolder("INBOX".into())
        )]
    );
    assert_eq!(work.stats(), Default::default(), "work's cache is not read");
    assert_eq!(m.account, 1);
    assert_eq!(m.account_name(), "home");
    assert_eq!(m.list.folder.as_ref().map(|f| f.account), Some(1));
    assert_eq!(m.list.total, 3);
    assert_eq!(
        m.list.current().map(|r| r.subject.as_str()),
        Some("Sunday lunch")
    );
    // Commands go to home's engine, bodies come from home's cache.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "sync_now");
    assert_eq!(
        keys(&mut m, &s, "Enter"),
        [Effect::Engine(AccountId(1), EngineCommand::SyncNow)]
    );
    assert!(keys(&mut m, &s, "Enter").is_empty(), "uid 1 is cached");
    assert!(m.reader.as_ref().unwrap().rendered().is_some());
    let fx = keys(&mut m, &s, "j");
    assert_eq!(
        fx,
        [Effect::FetchBodyAfter {
            delay: BODY_DEBOUNCE,
            account: 1,
            folder: "INBOX".into(),
            uid: 2
        }]
    );
    let fx = m.update(
        Msg::BodyDue {
            account: 1,
            folder: "INBOX".into(),
            uid: 2,
        },
        &s,
    );
    assert_eq!(fetches_of(&fx), [Some((1, "INBOX".to_string(), 1, 2))]);
    // The same folder name and uid of the other account is another message.
    let fx = m.update(
        Msg::BodyDue {
            account: 0,
            folder: "INBOX".into(),
            uid: 2,
        },
        &s,
    );
    assert!(fx.is_empty());
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::BodyReady {
                folder: "INBOX".into(),
                uid: 2,
            },
        ),
        &s,
    );
    assert!(m.reader.as_ref().unwrap().is_loading());
    // And back: the first account's folder from its own cache, to its own engine.
    let fx = keys(&mut m, &s, "q Tab g j Enter");
    assert_eq!(
        fx,
        [Effect::Engine(
            AccountId(0),
            EngineCommand::SelectFolder("Drafts".into())
        )]
    );
    assert_eq!((m.account, m.list.total), (0, 0));
    // `:folder` works within the open folder's account.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "folder Archive");
    assert_eq!(
        keys(&mut m, &s, "Enter"),
        [Effect::Engine(
            AccountId(0),
            EngineCommand::SelectFolder("Archive".into())
        )]
    );
}

#[test]
fn events_of_one_account_do_not_touch_the_other() {
    let (mut work, mut home) = (source(), home_source());
    let mut m = {
        let s = both(&work, &home);
        let mut m = Model::new(
            two_options("home", (100, 30)),
            crate::keymap::Keymap::default(),
            &s,
        );
        keys(&mut m, &s, "j");
        m
    };
    // `--account home`: home's INBOX opened first.
    assert_eq!(m.account, 1);
    assert_eq!(cursor_uid(&m), Some(2));
    // New mail in work's INBOX (same folder id, same name): home's list is not re-read.
    let work_inbox = inbox(&work);
    work.push(
        work_inbox,
        row(50, 60, "New Sender", "fresh", 0, 100, false, 50, 0),
    );
    home.reset_stats();
    let s = both(&work, &home);
    let fx = m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::FolderChanged {
                folder: "INBOX".into(),
            },
        ),
        &s,
    );
    let stats = home.stats();
    assert_eq!(
        (stats.count_calls, stats.window_calls, stats.index_calls),
        (0, 0, 0),
        "{stats:?}"
    );
    assert_eq!((m.list.total, cursor_uid(&m)), (3, Some(2)));
    // work's counts did change, and new mail in any inbox rings: 5 + 2 unread.
    assert_eq!(
        m.folders.state(0, "INBOX").map(|f| (f.messages, f.unseen)),
        Some((13, 5))
    );
    assert!(fx.contains(&Effect::Bell), "{fx:?}");
    assert!(
        fx.contains(&Effect::SetTitle("tern · 7 unread".into())),
        "{fx:?}"
    );
    // Home's own change does reload, keeping the cursor on its message.
    let home_inbox = inbox(&home);
    home.push(
        home_inbox,
        row(4, 60, "Mum", "PS: bring cake", 0, 300, false, 4, 0),
    );
    let s = both(&work, &home);
    m.update(
        Msg::Engine(
            AccountId(1),
            EngineEvent::FolderChanged {
                folder: "INBOX".into(),
            },
        ),
        &s,
    );
    assert_eq!((m.list.total, cursor_uid(&m)), (4, Some(2)));
}

#[test]
fn connection_state_and_errors_are_per_account() {
    let (work, home) = (source(), home_source());
    let s = both(&work, &home);
    let mut m = Model::new(
        two_options("work", (100, 30)),
        crate::keymap::Keymap::default(),
        &s,
    );
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Conn(ConnState::Online)),
        &s,
    );
    m.update(
        Msg::Engine(
            AccountId(1),
            EngineEvent::Conn(ConnState::Offline {
                reason: "no route".into(),
            }),
        ),
        &s,
    );
    assert_eq!(*m.conn(), ConnState::Online, "the status shows work's");
    // Another account's error names it; the open account's does not need to.
    m.update(
        Msg::Engine(AccountId(1), EngineEvent::Error("LOGIN failed".into())),
        &s,
    );
    assert_eq!(m.status.error.as_deref(), Some("home: LOGIN failed"));
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Error("boom".into())),
        &s,
    );
    assert_eq!(m.status.error.as_deref(), Some("boom"));
    keys(&mut m, &s, "Tab");
    keys(&mut m, &s, WORK_TO_HOME);
    keys(&mut m, &s, "Enter");
    assert_eq!(m.account_name(), "home");
    assert!(matches!(m.conn(), ConnState::Offline { .. }));
    m.update(
        Msg::Engine(AccountId(0), EngineEvent::Error("boom".into())),
        &s,
    );
    assert_eq!(m.status.error.as_deref(), Some("work: boom"));
}

#[test]
fn a_second_account_with_a_cold_cache_fills_in_when_its_sync_lists_folders() {
    let work = source();
    let mut home = FakeSource::new();
    let mut m = {
        let s = both(&work, &home);
        Model::new(
            two_options("work", (100, 30)),
            crate::keymap::Keymap::default(),
            &s,
        )
    };
    assert_eq!(sidebar(&m).last(), Some(&(1, "[home]".to_string())));
    assert!(m.status.error.is_none());
    keys(&mut m, &both(&work, &home), "j");
    let inbox = home.add_folder("INBOX", Some("inbox"), Some('/'));
    home.push(inbox, super::fake::generated_row(1, NOW));
    let s = both(&work, &home);
    m.update(Msg::Engine(AccountId(1), EngineEvent::FoldersChanged), &s);
    assert_eq!(sidebar(&m).last(), Some(&(1, "INBOX".to_string())));
    // The open folder and its cursor stay where they were.
    assert_eq!((m.account, m.list.cursor), (0, 1));
    assert_eq!(m.folders.current().map(|r| r.account), Some(0));
}

#[test]
fn a_second_account_without_a_cache_says_why() {
    let work = source();
    let broken = FailedSource("cache: permission denied".into());
    let s = AccountSources(vec![&work as &dyn MailSource, &broken]);
    let mut m = Model::new(
        two_options("work", (100, 30)),
        crate::keymap::Keymap::default(),
        &s,
    );
    assert_eq!(
        m.status.error.as_deref(),
        Some("home: cache: permission denied")
    );
    assert_eq!(m.list.total, 12, "work is unaffected");
    keys(&mut m, &s, "j j Tab G Enter");
    assert_eq!(m.account, 0);
}

#[test]
fn n_and_s_toggle_read_and_flagged_on_the_cursor_row() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let row = m.list.current().unwrap().clone();
    let fx = keys(&mut m, &s, "s");
    let flag = if row.flags.flagged() { "remove" } else { "add" };
    match &fx[..] {
        [
            Effect::Act {
                uids,
                folder,
                act: crate::bus::Act::Flags { add, remove },
                ..
            },
        ] => {
            assert_eq!(uids, &vec![row.uid]);
            assert_eq!(folder, "INBOX");
            let changed = if flag == "add" { add } else { remove };
            assert_eq!(changed, &vec!["\\Flagged".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    let fx = keys(&mut m, &s, "n");
    assert!(matches!(&fx[..], [Effect::Act { .. }]), "{fx:?}");
}

#[test]
fn opening_an_unread_message_marks_it_read_when_shown() {
    let mut s = source();
    let mut options = options((100, 30));
    options.mark_read_after = Some(Duration::ZERO);
    let mut m = Model::new(options, Keymap::default(), &s);
    // Find an unread row and give it a cached body.
    let folder = inbox(&s);
    while m.list.current().is_some_and(|r| r.flags.seen()) {
        keys(&mut m, &s, "j");
    }
    let uid = cursor_uid(&m).unwrap();
    s.set_body(folder, uid, "Subject: x\r\n\r\nbody\r\n");
    let fx = keys(&mut m, &s, "Enter");
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Act { act: crate::bus::Act::Flags { add, .. }, uids, .. }
            if add == &vec!["\\Seen".to_string()] && uids == &vec![uid])
        ),
        "{fx:?}"
    );
    assert!(
        m.reader.as_ref().unwrap().row.flags.seen(),
        "shown as read at once"
    );
}

#[test]
fn a_mark_read_delay_only_marks_the_message_still_open() {
    let mut s = source();
    let mut options = options((100, 30));
    options.mark_read_after = Some(Duration::from_secs(2));
    let mut m = Model::new(options, Keymap::default(), &s);
    let folder = inbox(&s);
    while m.list.current().is_some_and(|r| r.flags.seen()) {
        keys(&mut m, &s, "j");
    }
    let uid = cursor_uid(&m).unwrap();
    s.set_body(folder, uid, "Subject: x\r\n\r\nbody\r\n");
    let fx = keys(&mut m, &s, "Enter");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::MarkReadAfter { uid: u, .. } if *u == uid)),
        "{fx:?}"
    );
    let due = Msg::MarkReadDue {
        account: 0,
        folder: "INBOX".into(),
        uid,
    };
    assert!(matches!(
        &m.update(due.clone(), &s)[..],
        [Effect::Act { .. }]
    ));
    // Once closed, a late timer does nothing.
    keys(&mut m, &s, "q");
    assert!(m.update(due, &s).is_empty());
}

#[test]
fn d_and_a_file_the_message_away_and_close_its_reader() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let uid = cursor_uid(&m).unwrap();
    keys(&mut m, &s, "Enter");
    assert!(m.reader.is_some());
    let fx = keys(&mut m, &s, "d");
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Act { act: crate::bus::Act::Delete, uids, .. }
            if uids == &vec![uid])
        ),
        "{fx:?}"
    );
    assert!(m.reader.is_none(), "the deleted message's reader closes");
    let fx = keys(&mut m, &s, "a");
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Act {
                act: crate::bus::Act::Archive,
                ..
            }
        )),
        "{fx:?}"
    );
}

#[test]
fn tagged_messages_take_the_next_action_together() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let first = cursor_uid(&m).unwrap();
    keys(&mut m, &s, "t j j t");
    let third = cursor_uid(&m).unwrap();
    assert_eq!(m.list.tagged.len(), 2);
    // Without `;` an action still applies to the cursor row only.
    let fx = keys(&mut m, &s, "s");
    assert!(
        matches!(&fx[..], [Effect::Act { uids, .. }] if uids == &vec![third]),
        "{fx:?}"
    );
    let fx = keys(&mut m, &s, "; d");
    match &fx[..] {
        [
            Effect::Act {
                uids,
                act: crate::bus::Act::Delete,
                ..
            },
        ] => {
            let mut expected = vec![first, third];
            expected.sort_unstable();
            assert_eq!(uids, &expected);
        }
        other => panic!("{other:?}"),
    }
    assert!(m.list.tagged.is_empty(), "tags are used up");
    // `;` with nothing tagged says so.
    keys(&mut m, &s, ";");
    assert!(m.status.error.is_some());
}

fn only_act(fx: &[Effect]) -> (&Vec<u32>, &str, &crate::bus::Act) {
    match fx {
        [
            Effect::Act {
                uids, folder, act, ..
            },
        ] => (uids, folder.as_str(), act),
        other => panic!("expected one action, got {other:?}"),
    }
}

#[test]
fn m_and_c_pick_the_target_folder_by_fuzzy_match() {
    use crate::bus::Act;
    let s = source();
    let mut m = model(&s, (100, 30));
    let uid = cursor_uid(&m).unwrap();
    keys(&mut m, &s, "m");
    let Some(Overlay::Picker(picker)) = m.overlays.last() else {
        panic!("no picker: {:?}", m.overlays);
    };
    let offered = picker.matches(&m.folders);
    assert!(
        !offered.contains(&"INBOX".to_string()),
        "not the folder it is in"
    );
    assert_eq!(offered.len(), 6);
    type_text(&mut m, &s, "lr");
    let fx = keys(&mut m, &s, "Enter");
    let (uids, folder, act) = only_act(&fx);
    assert_eq!((uids, folder), (&vec![uid], "INBOX"));
    assert_eq!(
        act,
        &Act::Move {
            to: "Lists/rust".into()
        }
    );
    assert!(m.overlays.is_empty());
    // Copy: Down moves to the second match; Esc cancels without acting.
    keys(&mut m, &s, "c");
    type_text(&mut m, &s, "s");
    let second = match m.overlays.last() {
        Some(Overlay::Picker(p)) => p.matches(&m.folders)[1].clone(),
        other => panic!("{other:?}"),
    };
    let fx = keys(&mut m, &s, "Down Enter");
    assert_eq!(only_act(&fx).2, &Act::Copy { to: second });
    assert!(keys(&mut m, &s, "c Esc").is_empty());
    assert!(m.overlays.is_empty());
}

#[test]
fn keywords_are_added_and_removed_through_a_prompt() {
    use crate::bus::Act;
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "+");
    type_text(&mut m, &s, "Work $label1");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        only_act(&fx).2,
        &Act::Flags {
            add: vec!["Work".into(), "$label1".into()],
            remove: Vec::new()
        }
    );
    keys(&mut m, &s, "-");
    type_text(&mut m, &s, "Work");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        only_act(&fx).2,
        &Act::Flags {
            add: Vec::new(),
            remove: vec!["Work".into()]
        }
    );
    // A word IMAP cannot carry is refused with a reason, nothing is sent.
    keys(&mut m, &s, "+");
    type_text(&mut m, &s, "bad)");
    assert!(keys(&mut m, &s, "Enter").is_empty());
    assert!(
        m.status
            .error
            .as_deref()
            .unwrap_or("")
            .contains("not a valid keyword")
    );
}

#[test]
fn ranges_and_everything_the_filter_shows_can_be_tagged() {
    let s = source();
    let mut m = model(&s, (100, 30));
    // V without a tagged start says how.
    keys(&mut m, &s, "V");
    assert!(m.status.error.is_some());
    keys(&mut m, &s, "j t j j j V");
    assert_eq!(m.list.tagged.len(), 4);
    // Ctrl-a tags everything shown; again untags it all.
    keys(&mut m, &s, "Ctrl-a");
    assert_eq!(m.list.tagged.len() as u32, m.list.total);
    keys(&mut m, &s, "Ctrl-a");
    assert!(m.list.tagged.is_empty());
    // Under a filter, only its matches.
    keys(&mut m, &s, "/");
    type_text(&mut m, &s, "~N");
    keys(&mut m, &s, "Enter Ctrl-a");
    let unread = s
        .count(inbox(&s), Some(&Filter::parse("~N").unwrap()))
        .unwrap();
    assert!(unread > 0 && unread < 12);
    assert_eq!(m.list.tagged.len() as u32, unread);
    let fx = keys(&mut m, &s, "; n");
    assert_eq!(only_act(&fx).0.len() as u32, unread);
}

#[test]
fn a_thread_is_tagged_and_marked_read_beyond_the_loaded_rows() {
    use crate::bus::Act;
    let mut s = generated(3000, NOW - 400 * DAY);
    let folder = inbox(&s);
    let mut m = model(&s, (100, 20));
    let newest = m.list.current().unwrap().clone();
    // Two old unread replies, thousands of rows below the loaded window.
    for uid in [9001, 9002] {
        let mut row = generated_row(0, NOW - 800 * DAY);
        row.uid = uid;
        row.thread_id = newest.thread_id;
        row.flags = flags(0);
        s.push(folder, row);
    }
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::FolderChanged {
                folder: "INBOX".into(),
            },
        ),
        &s,
    );
    assert!(!m.list.window.rows.iter().any(|r| r.uid == 9001));
    keys(&mut m, &s, "T");
    let expected: std::collections::BTreeSet<u32> = [newest.uid, 9001, 9002].into();
    assert_eq!(m.list.tagged, expected);
    let fx = keys(&mut m, &s, "M");
    let (uids, _, act) = only_act(&fx);
    let mut uids = uids.clone();
    uids.sort_unstable();
    assert_eq!(uids, expected.into_iter().collect::<Vec<_>>());
    assert!(matches!(act, Act::Flags { add, .. } if add == &vec!["\\Seen".to_string()]));
}

#[test]
fn alt_r_marks_every_unread_message_of_the_folder_in_one_action() {
    let s = generated(3000, NOW - 400 * DAY);
    let mut m = model(&s, (100, 20));
    let unread = s
        .count(inbox(&s), Some(&Filter::parse("~N").unwrap()))
        .unwrap();
    assert_eq!(unread, 600);
    let fx = keys(&mut m, &s, "Alt-r");
    let (uids, folder, _) = only_act(&fx);
    assert_eq!((uids.len() as u32, folder), (unread, "INBOX"));
}

#[test]
fn colon_commands_move_copy_and_change_keywords() {
    use crate::bus::Act;
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "copy Archive");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        only_act(&fx).2,
        &Act::Copy {
            to: "Archive".into()
        }
    );
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "keyword +Work -$Junk");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        only_act(&fx).2,
        &Act::Flags {
            add: vec!["Work".into()],
            remove: vec!["$Junk".into()]
        }
    );
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "move Nowhere");
    assert!(keys(&mut m, &s, "Enter").is_empty());
    assert_eq!(m.status.error.as_deref(), Some("no folder Nowhere"));
}

#[test]
fn u_with_nothing_done_says_so() {
    let s = source();
    let mut m = model(&s, (100, 30));
    assert!(keys(&mut m, &s, "u").is_empty());
    assert_eq!(m.status.error.as_deref(), Some("nothing to undo"));
}

#[test]
fn u_goes_to_the_account_whose_action_was_done_and_shows_the_summary() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let fx = keys(&mut m, &s, "s");
    let [Effect::Act { op, account, .. }] = &fx[..] else {
        panic!("want one Act: {fx:?}");
    };
    let done = EngineEvent::OpDone {
        op: *op,
        summary: String::new(),
        folders: vec!["INBOX".into()],
    };
    m.update(Msg::Engine(*account, done), &s);
    // An empty summary keeps what the app said when it acted.
    assert_eq!(m.status.note.as_deref(), Some("1 flagged · u undo"));
    let fx = keys(&mut m, &s, "u");
    let [
        Effect::Undo {
            op: undo,
            account: AccountId(0),
        },
    ] = fx[..]
    else {
        panic!("want one Undo on account 0: {fx:?}");
    };
    assert_ne!(undo, *op, "every request has its own id");
    let summary = "undone: flags of 1 message(s) restored";
    let done = EngineEvent::OpDone {
        op: undo,
        summary: summary.into(),
        folders: vec!["INBOX".into()],
    };
    m.update(Msg::Engine(AccountId(0), done), &s);
    assert_eq!(m.status.note.as_deref(), Some(summary));
}

#[test]
fn a_failed_request_shows_its_message_in_the_status_line() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let fx = keys(&mut m, &s, "s");
    let [Effect::Act { op, .. }] = &fx[..] else {
        panic!("want one Act: {fx:?}");
    };
    let failed = EngineEvent::OpFailed {
        op: *op,
        kind: crate::bus::ErrorKind::Refused,
        message: "not done: the server said no".into(),
    };
    m.update(Msg::Engine(AccountId(0), failed), &s);
    assert_eq!(
        m.status.error.as_deref(),
        Some("not done: the server said no")
    );
    // Nothing was done, so there is nothing to take back.
    assert!(keys(&mut m, &s, "u").is_empty());
    assert_eq!(m.status.error.as_deref(), Some("nothing to undo"));
}

#[test]
fn an_act_carries_the_uidvalidity_the_list_showed() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let shown = m.list.current().unwrap().clone();
    let fx = keys(&mut m, &s, "d");
    let [
        Effect::Act {
            folder,
            uidvalidity,
            uids,
            ..
        },
    ] = &fx[..]
    else {
        panic!("want one Act: {fx:?}");
    };
    assert_eq!(folder, "INBOX");
    assert_eq!(*uidvalidity, UidValidity(shown.uidvalidity));
    assert_eq!(uids, &vec![shown.uid]);
}

/// Each effect as the body fetch it is (account, folder, UIDVALIDITY, UID), None if another.
fn fetches_of(fx: &[Effect]) -> Vec<Option<(usize, String, u32, u32)>> {
    fx.iter()
        .map(|e| match e {
            Effect::Engine(account, EngineCommand::FetchBody { key, .. }) => {
                Some((account.0, key.folder.clone(), key.uidvalidity.0, key.uid.0))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn new_mail_shows_at_the_top_of_a_list_at_its_top() {
    let mut s = generated(100, NOW - 100 * 60);
    let mut m = Model::new(options((100, 20)), crate::keymap::Keymap::default(), &s);
    let id = inbox(&s);
    // Cursor somewhere on the first screen.
    keys(&mut m, &s, "j j");
    let kept = cursor_uid(&m);
    let mut fresh = generated_row(500, NOW);
    fresh.subject = "brand new".into();
    s.push(id, fresh);
    folder_changed(&mut m, &s);
    assert_eq!(m.list.scroll, 0, "a list at its top stays at the top");
    assert_eq!(m.list.visible().next().map(|(_, r, _)| r.uid), Some(501));
    assert_eq!(cursor_uid(&m), kept, "the cursor stays on its message");
    assert_eq!(m.list.new_above, 0);
}

#[test]
fn esc_never_quits_q_quits_the_list_and_capital_q_quits_anywhere() {
    let s = source();
    let mut m = model(&s, (100, 30));
    // Esc closes the reader, then does nothing at all.
    keys(&mut m, &s, "Enter");
    assert!(m.reader.is_some());
    assert!(keys(&mut m, &s, "Esc").is_empty());
    assert!(m.reader.is_none());
    assert!(keys(&mut m, &s, "Esc Esc Esc").is_empty());
    // Overlays close with Esc or q; Q quits even from one.
    keys(&mut m, &s, "?");
    assert!(keys(&mut m, &s, "q").is_empty());
    assert!(m.overlays.is_empty());
    keys(&mut m, &s, "? Esc");
    assert!(m.overlays.is_empty());
    keys(&mut m, &s, "?");
    assert_eq!(keys(&mut m, &s, "Q"), [Effect::Quit]);
    m.overlays.clear();
    // q leaves the folders for the list, then quits.
    keys(&mut m, &s, "Tab");
    assert_eq!(m.focus, Focus::Folders);
    assert!(keys(&mut m, &s, "q").is_empty());
    assert_eq!(m.focus, Focus::List);
    assert!(keys(&mut m, &s, "Tab Esc").is_empty());
    assert_eq!(m.focus, Focus::List);
    assert_eq!(keys(&mut m, &s, "q"), [Effect::Quit]);
}

#[test]
fn deleting_for_good_inside_the_trash_asks_first_with_the_count() {
    let mut s = source();
    let trash = s
        .folders()
        .unwrap()
        .into_iter()
        .find(|f| f.name == "Trash")
        .unwrap()
        .id;
    s.extend(
        trash,
        [
            row(300, HOUR, "Old", "junk one", SEEN, 100, false, 300, 0),
            row(301, 2 * HOUR, "Old", "junk two", SEEN, 100, false, 301, 0),
        ],
    );
    let mut m = model(&s, (100, 30));
    // Outside the Trash, `d` moves at once and says so.
    let fx = keys(&mut m, &s, "d");
    assert_eq!(acts(&fx), 1);
    assert_eq!(m.status.note.as_deref(), Some("1 deleted · u undo"));
    // Inside it, both tagged: asked, and `n` removes nothing.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "folder Trash");
    keys(&mut m, &s, "Enter");
    keys(&mut m, &s, "t j t");
    let fx = keys(&mut m, &s, "; d");
    assert_eq!(acts(&fx), 0, "nothing before the answer");
    assert_eq!(question(&m), Some("Delete 2 messages for good? y/n"));
    let fx = keys(&mut m, &s, "n");
    assert_eq!(acts(&fx), 0);
    assert!(m.overlays.is_empty());
    assert_eq!(m.status.note.as_deref(), Some("nothing deleted"));
    assert_eq!(m.list.tagged.len(), 2, "a no gives the tags back");
    m.list.tagged.clear();
    // Esc is a no too; `y` sends it.
    keys(&mut m, &s, "d Esc");
    assert!(m.overlays.is_empty());
    keys(&mut m, &s, "d");
    assert_eq!(question(&m), Some("Delete 1 message for good? y/n"));
    let fx = keys(&mut m, &s, "y");
    assert!(
        matches!(&fx[..], [Effect::Act { folder, act: crate::bus::Act::Expunge, .. }] if folder == "Trash"),
        "{fx:?}"
    );
    assert_eq!(m.status.note.as_deref(), Some("1 deleted for good"));
}

#[test]
fn actions_say_what_they_did() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "a");
    assert_eq!(
        m.status.note.as_deref(),
        Some("1 moved to Archive · u undo")
    );
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "move Lists/dev");
    keys(&mut m, &s, "Enter");
    assert_eq!(
        m.status.note.as_deref(),
        Some("1 moved to Lists/dev · u undo")
    );
    keys(&mut m, &s, "t j t ; c");
    type_text(&mut m, &s, "arch");
    keys(&mut m, &s, "Enter");
    assert_eq!(
        m.status.note.as_deref(),
        Some("2 copied to Archive · u undo")
    );
    keys(&mut m, &s, "Alt-r");
    assert!(
        m.status
            .note
            .as_deref()
            .unwrap()
            .ends_with("marked read · u undo")
    );
    keys(&mut m, &s, "n");
    assert!(m.status.note.as_deref().unwrap().starts_with("1 marked "));
    keys(&mut m, &s, "s");
    assert!(
        m.status
            .note
            .as_deref()
            .unwrap()
            .contains("flagged · u undo")
    );
}

#[test]
fn t_tags_and_moves_on_unless_configured_not_to() {
    let s = source();
    let mut o = options((100, 30));
    o.tag_advances = true;
    let mut m = Model::new(o, crate::keymap::Keymap::default(), &s);
    let first = cursor_uid(&m);
    keys(&mut m, &s, "t t");
    assert_eq!(m.list.cursor, 2);
    assert_eq!(m.list.tagged.len(), 2);
    assert!(m.list.tagged.contains(&first.unwrap()));
    // Off: the cursor stays.
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "t");
    assert_eq!(m.list.cursor, 0);
}

#[test]
fn the_save_prompt_starts_in_the_download_directory() {
    let s = source();
    let mut o = options((100, 30));
    o.download_dir = Some("/home/me/Downloads".into());
    let mut m = Model::new(o, crate::keymap::Keymap::default(), &s);
    keys(&mut m, &s, "j j Enter v Enter");
    let Some(Overlay::Attachments {
        prompt: Some(p), ..
    }) = m.overlays.last()
    else {
        panic!("no prompt");
    };
    assert_eq!(p.text, "/home/me/Downloads/v3.patch");
}

#[test]
fn new_unread_mail_in_an_announced_folder_is_announced_once() {
    let mut s = source();
    let mut o = options((100, 30));
    o.announce_folders = vec!["INBOX".into()];
    let mut m = Model::new(o, crate::keymap::Keymap::default(), &s);
    let id = inbox(&s);
    // What was there at start is not news.
    assert!(
        !folder_changed(&mut m, &s)
            .iter()
            .any(|e| matches!(e, Effect::NewMail(_)))
    );
    s.push(
        id,
        row(
            60,
            30,
            "Grace Hopper",
            "compiler ready",
            SEEN,
            100,
            false,
            60,
            0,
        ),
    );
    s.push(
        id,
        row(61, 10, "Ada Lovelace", "numbers", 0, 100, false, 61, 0),
    );
    let fx = folder_changed(&mut m, &s);
    let news: Vec<&NewMail> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::NewMail(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(
        news,
        [&NewMail {
            account: "work".into(),
            folder: "INBOX".into(),
            count: 1,
            from: "Ada Lovelace".into(),
            subject: "numbers".into(),
        }],
        "only the unread one"
    );
    assert!(
        !folder_changed(&mut m, &s)
            .iter()
            .any(|e| matches!(e, Effect::NewMail(_)))
    );
    // A folder not in the list is never announced.
    let mut m = model(&s, (100, 30));
    s.push(id, row(62, 5, "X", "y", 0, 100, false, 62, 0));
    assert!(
        !folder_changed(&mut m, &s)
            .iter()
            .any(|e| matches!(e, Effect::NewMail(_)))
    );
}

#[test]
fn bang_files_the_message_as_junk_and_says_where() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let uid = cursor_uid(&m).unwrap();
    let fx = keys(&mut m, &s, "!");
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Act { act: crate::bus::Act::Junk, uids, .. } if uids == &vec![uid])
        ),
        "{fx:?}"
    );
    // No folder with the \Junk role in this cache: the engine finds one by name or says so.
    assert_eq!(m.status.note.as_deref(), Some("1 filed as junk · u undo"));

    let mut o = options((100, 30));
    o.filing = vec![crate::config::Filing {
        junk: Some("Lists/rust".into()),
        ..Default::default()
    }];
    let mut m = Model::new(o, crate::keymap::Keymap::default(), &s);
    keys(&mut m, &s, "!");
    assert_eq!(
        m.status.note.as_deref(),
        Some("1 moved to Lists/rust · u undo")
    );
}
