//! Test fixtures shared by app and ui tests: a small realistic mailbox, a fixed clock, and
//! the key-string harness ("j j Enter").

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fake::FakeSource;
use super::overlay::Overlay;
use super::{AccountSources, Clock, Effect, MailSource, Model, Msg, Options, Sources};
use crate::bus::EngineEvent;
use crate::domain::ids::AccountId;
use crate::domain::message::{Flags, MessageRow, SystemFlags};
use crate::keymap::Keymap;

/// Thursday 2024-03-14 12:00 UTC.
pub const NOW: i64 = 1_710_417_600;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 24 * HOUR;

pub fn clock() -> Clock {
    Clock {
        now: NOW,
        utc_offset: 0,
    }
}

/// One key written as in keymap files: "j", "G", "Enter", "Ctrl-r", "Alt-r", "Space".
pub fn key_event(token: &str) -> KeyEvent {
    let (mods, name) = match (token.strip_prefix("Ctrl-"), token.strip_prefix("Alt-")) {
        (Some(rest), _) if !rest.is_empty() => (KeyModifiers::CONTROL, rest),
        (_, Some(rest)) if !rest.is_empty() => (KeyModifiers::ALT, rest),
        _ => (KeyModifiers::NONE, token),
    };
    let code = match name {
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Tab" => KeyCode::Tab,
        "BackTab" => KeyCode::BackTab,
        "Space" => KeyCode::Char(' '),
        "Backspace" => KeyCode::Backspace,
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "PageUp" => KeyCode::PageUp,
        "PageDown" => KeyCode::PageDown,
        "Home" => KeyCode::Home,
        "End" => KeyCode::End,
        s if s.chars().count() == 1 => KeyCode::Char(s.chars().next().unwrap()),
        s => panic!("unknown key {s:?}"),
    };
    let mods = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => mods | KeyModifiers::SHIFT,
        _ => mods,
    };
    KeyEvent::new(code, mods)
}

/// Feeds space-separated keys to the model; returns every effect, in order.
pub fn keys(model: &mut Model, source: &dyn Sources, keys: &str) -> Vec<Effect> {
    keys.split_whitespace()
        .flat_map(|k| model.update(Msg::Key(key_event(k)), source))
        .collect()
}

/// Types text into whatever has the keys (filter, command line, prompt).
pub fn type_text(model: &mut Model, source: &dyn Sources, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| {
            let code = KeyCode::Char(c);
            model.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), source)
        })
        .collect()
}

pub fn flags(bits: u8) -> Flags {
    Flags {
        system: SystemFlags(bits),
        keywords: Vec::new(),
    }
}

pub const SEEN: u8 = SystemFlags::SEEN;
pub const FLAGGED: u8 = SystemFlags::FLAGGED;
pub const ANSWERED: u8 = SystemFlags::ANSWERED;

#[allow(clippy::too_many_arguments)]
pub fn row(
    uid: u32,
    age: i64,
    name: &str,
    subject: &str,
    bits: u8,
    size: u32,
    attachment: bool,
    thread: i64,
    depth: u32,
) -> MessageRow {
    MessageRow {
        uid,
        uidvalidity: 1,
        date: NOW - age,
        from_name: Some(name.to_string()),
        from_addr: Some(format!(
            "{}@example.com",
            name.split(' ').next().unwrap_or("x").to_lowercase()
        )),
        to: "me@example.com".into(),
        subject: subject.to_string(),
        flags: flags(bits),
        size,
        has_attachment: attachment,
        thread_id: thread,
        depth,
        ..Default::default()
    }
}

pub const QUOTED_BODY: &str = "From: Ada Lovelace <ada@example.com>\r\n\
To: Charles Babbage <charles@example.com>\r\n\
Cc: Grace Hopper <grace@example.com>\r\n\
Date: Thu, 14 Mar 2024 10:42:00 +0000\r\n\
Subject: Re: engine notes\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Thanks, the numbers look right to me.\r\n\
\r\n\
> Have you checked the carry mechanism?\r\n\
>> It jams above forty digits.\r\n\
>>> Only in the cold.\r\n\
\r\n\
This line is long enough that it has to be wrapped by the reader to fit inside a narrow terminal window.\r\n\
\r\n\
-- \r\n\
Ada\r\n";

pub const ATTACHMENT_BODY: &str = "From: Linus T. <linus@example.com>\r\n\
To: me@example.com\r\n\
Date: Wed, 13 Mar 2024 09:00:00 +0000\r\n\
Subject: patch v3\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
Patch attached.\r\n\
--b1\r\n\
Content-Type: text/x-diff; name=\"v3.patch\"\r\n\
Content-Disposition: attachment; filename=\"v3.patch\"\r\n\
\r\n\
--- a/x\r\n\
+++ b/x\r\n\
--b1--\r\n";

/// Escape sequences in headers and body: OSC title, CSI colours and clear, C1 CSI.
pub const HOSTILE_BODY: &str = "From: \x1b]0;pwned\x07Mallory <m@evil.example>\r\n\
To: me@example.com\r\n\
Date: Tue, 12 Mar 2024 08:00:00 +0000\r\n\
Subject: \x1b[2J\x1b[31mURGENT\x1b[0m 日本語の件名 🎉\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello \x1b[5mblink\x1b[0m and \u{9b}2J clear; e\u{301} 日本語 🎉 end\r\n";

/// INBOX (12 messages: a thread, flags, attachments, hostile text), plus the usual folders.
pub fn source() -> FakeSource {
    let mut s = FakeSource::new();
    let inbox = s.add_folder("INBOX", Some("inbox"), Some('/'));
    s.add_folder("Drafts", Some("drafts"), Some('/'));
    s.add_folder("Sent", Some("sent"), Some('/'));
    let archive = s.add_folder("Archive", Some("archive"), Some('/'));
    s.add_folder("Trash", Some("trash"), Some('/'));
    let dev = s.add_folder("Lists/dev", None, Some('/'));
    s.add_folder("Lists/rust", None, Some('/'));
    if let Some(f) = s.folder_mut(inbox) {
        f.synced_at = Some(NOW - 17 * 60);
    }
    s.extend(
        inbox,
        [
            // Thread 1, in tree order.
            row(
                1,
                3 * DAY,
                "Charles Babbage",
                "engine notes",
                SEEN | ANSWERED,
                2100,
                false,
                1,
                0,
            ),
            row(
                2,
                2 * HOUR,
                "Ada Lovelace",
                "Re: engine notes",
                0,
                4200,
                true,
                1,
                1,
            ),
            row(
                3,
                2 * DAY,
                "Grace Hopper",
                "Re: engine notes",
                SEEN,
                2050,
                false,
                1,
                2,
            ),
            row(
                4,
                HOUR + 20 * 60,
                "Charles Babbage",
                "Re: engine notes",
                SEEN,
                1800,
                false,
                1,
                1,
            ),
            row(
                5,
                DAY,
                "Linus T.",
                "patch v3",
                SEEN | FLAGGED,
                13_000,
                true,
                5,
                0,
            ),
            row(
                6,
                2 * DAY + HOUR,
                "Mallory",
                "\x1b[2J\x1b[31mURGENT\x1b[0m 日本語の件名 🎉",
                0,
                900,
                false,
                6,
                0,
            ),
            row(
                7,
                9 * DAY,
                "Barbara Liskov",
                "substitution, again",
                SEEN,
                5300,
                false,
                7,
                0,
            ),
            row(
                8,
                40 * DAY,
                "Ken Thompson",
                "Reflections on trusting trust",
                SEEN | FLAGGED,
                31_000,
                false,
                8,
                0,
            ),
            row(
                9,
                400 * DAY,
                "Margaret Hamilton",
                "Apollo guidance: priority displays",
                SEEN,
                1_500_000,
                true,
                9,
                0,
            ),
            row(
                10,
                5 * DAY,
                "山田太郎",
                "会議の議事録について",
                0,
                3100,
                false,
                10,
                0,
            ),
            row(
                11,
                4 * DAY,
                "Dennis Ritchie",
                "a very long subject line that goes on and on past any reasonable column width",
                SEEN,
                700,
                false,
                11,
                0,
            ),
            row(
                12,
                6 * DAY,
                "Emoji Fan 🎉",
                "🎉🎉 party 🎉🎉",
                0,
                1200,
                false,
                12,
                0,
            ),
        ],
    );
    s.set_body(inbox, 2, QUOTED_BODY);
    s.set_body(inbox, 5, ATTACHMENT_BODY);
    s.set_body(inbox, 6, HOSTILE_BODY);
    s.extend(
        archive,
        (0..3).map(|i| {
            row(
                100 + i,
                (20 + i64::from(i)) * DAY,
                "Old Friend",
                "archived",
                SEEN,
                1000,
                false,
                100 + i64::from(i),
                0,
            )
        }),
    );
    s.extend(
        dev,
        [row(200, HOUR, "Bot", "CI passed", 0, 500, false, 200, 0)],
    );
    s
}

pub fn options(size: (u16, u16)) -> Options {
    Options {
        account: "work".into(),
        accounts: Vec::new(),
        folder: "INBOX".into(),
        threads: false,
        notify: super::Notify {
            bell: true,
            title: true,
        },
        size,
        clock: clock(),
        parts: Default::default(),
        // Most tests look at fetches; mark-read has its own tests.
        mark_read_after: None,
        filing: Vec::new(),
        // Tag tests move by hand; `t` advancing has its own test.
        tag_advances: false,
        download_dir: None,
        announce_folders: Vec::new(),
        views: Vec::new(),
    }
}

pub fn model(source: &FakeSource, size: (u16, u16)) -> Model {
    Model::new(options(size), Keymap::default(), source)
}

/// A second account, "home": its own cache (folder ids overlap the first's on purpose),
/// `.` as delimiter, 2 unread in INBOX.
pub fn home_source() -> FakeSource {
    let mut s = FakeSource::new();
    let inbox = s.add_folder("INBOX", None, Some('.'));
    s.add_folder("Sent", Some("sent"), Some('.'));
    let photos = s.add_folder("Family.Photos", None, Some('.'));
    s.extend(
        inbox,
        [
            row(1, 3 * HOUR, "Mum", "Sunday lunch", 0, 1500, false, 1, 0),
            row(
                2,
                DAY,
                "Bank",
                "Your statement is ready",
                SEEN,
                9000,
                true,
                2,
                0,
            ),
            row(
                3,
                2 * DAY,
                "Neighbour",
                "Parcel for you",
                0,
                800,
                false,
                3,
                0,
            ),
        ],
    );
    s.set_body(inbox, 1, "Subject: Sunday lunch\r\n\r\nRoast at one.\r\n");
    s.extend(
        photos,
        [row(
            10,
            5 * DAY,
            "Dad",
            "holiday pictures",
            SEEN,
            2_000_000,
            true,
            10,
            0,
        )],
    );
    s
}

/// Both accounts' caches, "work" (`source()`) first.
pub fn both<'a>(work: &'a FakeSource, home: &'a FakeSource) -> AccountSources<'a> {
    AccountSources(vec![work as &dyn MailSource, home])
}

/// Options for "work" and "home", starting on `start`'s INBOX.
pub fn two_options(start: &str, size: (u16, u16)) -> Options {
    Options {
        account: start.into(),
        accounts: vec!["work".into(), "home".into()],
        ..options(size)
    }
}

pub fn cursor_uid(m: &Model) -> Option<u32> {
    m.list.current().map(|r| r.uid)
}

pub fn inbox(s: &FakeSource) -> i64 {
    s.folders().unwrap()[0].id
}

pub fn folder_changed(m: &mut Model, s: &dyn Sources) -> Vec<Effect> {
    m.update(
        Msg::Engine(
            AccountId(0),
            EngineEvent::FolderChanged {
                folder: "INBOX".into(),
            },
        ),
        s,
    )
}

pub fn acts(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::Act { .. }))
        .count()
}

pub fn question(m: &Model) -> Option<&str> {
    match m.overlays.last() {
        Some(Overlay::Confirm { question, .. }) => Some(question),
        _ => None,
    }
}
