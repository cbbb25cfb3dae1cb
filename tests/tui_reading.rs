//! Reading keys (issue 9) in the real binary, in tmux, against a real Dovecot: keywords in
//! the list and the reader, folding a thread, top / end of a message, find, the header
//! cycle, the pipe and the HTML / plain switch, looked at as a person sees the screen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::{SeedMessage, TestDovecot, Tmux};

const HOUR: i64 = 3600;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

fn message(id: &str, parent: Option<&str>, subject: &str, at: i64, rest: &str) -> SeedMessage {
    let reply = parent.map_or(String::new(), |p| {
        format!("In-Reply-To: <{p}>\nReferences: <{p}>\n")
    });
    SeedMessage::new(format!(
        "From: Ada <ada@example.com>\nTo: me@example.com\nSubject: {subject}\n\
         Date: {}\nMessage-ID: <{id}>\n{reply}MIME-Version: 1.0\n{rest}",
        date(at)
    ))
    .with_date(at)
}

/// The reader's Subject header of the long message is on screen.
fn shows_long_notes(screen: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains("Subject:") && l.contains("Long notes"))
}

#[test]
fn reading_keys_on_a_real_terminal() {
    let server = TestDovecot::start();
    let t = now();
    let mut long_body =
        String::from("Content-Type: text/plain\nList-Id: Engine talk <engine.example.com>\n\n");
    for i in 1..=100 {
        if i == 80 {
            long_body.push_str("the needle is on this line\n");
        } else {
            long_body.push_str(&format!("filler line {i}\n"));
        }
    }
    let long = message(
        "long@example.com",
        None,
        "Long notes",
        t - 5 * HOUR,
        &long_body,
    )
    .with_flags(&["\\Seen", "$Label1", "work"]);
    let newsletter = SeedMessage::new(format!(
        "From: News <news@example.com>\nTo: me@example.com\nSubject: Newsletter\n\
         Date: {}\nMessage-ID: <news@example.com>\nMIME-Version: 1.0\n\
         Content-Type: multipart/alternative; boundary=\"alt\"\n\n\
         --alt\nContent-Type: text/plain\n\nPLAIN VERSION\n\
         --alt\nContent-Type: text/html\n\n<p>HTML VERSION</p>\n--alt--\n",
        date(t - 6 * HOUR)
    ))
    .with_date(t - 6 * HOUR)
    .with_flags(&["\\Seen"]);
    let plain = "Content-Type: text/plain\n\nx\n";
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            message(
                "root@example.com",
                None,
                "Engine plans",
                t - 3 * HOUR,
                plain,
            )
            .with_flags(&["\\Seen"]),
            message(
                "r1@example.com",
                Some("root@example.com"),
                "Re: Engine plans",
                t - 2 * HOUR,
                plain,
            )
            .with_flags(&["\\Seen"]),
            message(
                "r2@example.com",
                Some("r1@example.com"),
                "Re: Engine plans",
                t - HOUR,
                plain,
            ),
            long.clone(),
            newsletter,
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nname = \"e2e\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n\
             [ui]\nthreads = true\nmark_read_after_ms = -1\n",
            server.imap_port(),
            server.user(),
            server.password()
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let tmux = Tmux::start_sized(
        &format!(
            "{} --config {} --cache-dir {}",
            env!("CARGO_BIN_EXE_tern"),
            config.display(),
            cache.display()
        ),
        100,
        30,
    );
    let screen = tmux.wait_until("the threaded list online", |s| {
        s.contains("Newsletter")
            && s.contains("online")
            && s.matches("Re: Engine plans").count() == 2
    });
    // Keywords show in the list row.
    assert!(
        screen.contains("[$Label1]") && screen.contains("[work]"),
        "{screen}"
    );

    // z folds the thread under the cursor (the newest, on top) into one row with counts.
    tmux.keys(&["z"]);
    let screen = tmux.wait_for("▸3 ●1 Engine plans");
    assert!(!screen.contains("Re: Engine plans"), "{screen}");
    // j goes straight past the hidden messages to the next thread.
    tmux.keys(&["j", "Enter"]);
    tmux.wait_until("the long message", shows_long_notes);
    tmux.keys(&["q", "k", "z"]);
    tmux.wait_until("the thread unfolded", |s| {
        s.matches("Re: Engine plans").count() == 2
    });
    tmux.keys(&["M-z"]);
    tmux.wait_until("every thread folded", |s| {
        !s.contains("Re: Engine plans") && s.contains("▸3")
    });
    tmux.keys(&["M-z"]);
    tmux.wait_until("every thread unfolded", |s| {
        s.matches("Re: Engine plans").count() == 2
    });

    // The long message, full screen: keywords in its headers, G / g, find.
    tmux.keys(&["j", "j", "j", "Enter", "Enter"]);
    let screen = tmux.wait_until("the long message", shows_long_notes);
    let keywords = screen
        .lines()
        .find(|l| l.contains("Keywords:"))
        .unwrap_or("");
    assert!(
        keywords.contains("$Label1") && keywords.contains("work"),
        "{screen}"
    );
    assert!(!screen.contains("filler line 100"), "{screen}");
    tmux.keys(&["G"]);
    let screen = tmux.wait_for("filler line 100");
    assert!(!shows_long_notes(&screen), "{screen}");
    tmux.keys(&["g"]);
    tmux.wait_until("the top again", |s| {
        shows_long_notes(s) && !s.contains("filler line 100")
    });
    tmux.keys(&["/"]);
    tmux.wait_for("Find:");
    tmux.keys(&["needle", "Enter"]);
    let screen = tmux.wait_for("the needle is on this line");
    assert!(screen.contains("1 match"), "{screen}");
    assert!(
        !shows_long_notes(&screen),
        "scrolled to the match: {screen}"
    );
    // Esc ends the find, not the reader.
    tmux.keys(&["Escape"]);
    // Apart, or the terminal reads Escape + g as Alt-g.
    std::thread::sleep(std::time::Duration::from_millis(300));
    tmux.keys(&["g"]);
    tmux.wait_until("the long message", shows_long_notes);

    // H: every header, then the raw source, then the short set.
    tmux.keys(&["H"]);
    let screen = tmux.wait_for("List-Id:");
    assert!(screen.contains("Message-ID:"), "{screen}");
    tmux.keys(&["H"]);
    let screen = tmux.wait_for("raw source");
    assert!(screen.contains("Content-Type: text/plain"), "{screen}");
    assert!(
        screen.contains("Message-ID: <long@example.com>"),
        "{screen}"
    );
    tmux.keys(&["H"]);
    tmux.wait_for("Keywords:");

    // | pipes the raw message to a command; its output shows in an overlay.
    let lines = long.raw.iter().filter(|&&b| b == b'\n').count();
    tmux.keys(&["|"]);
    tmux.wait_for("Pipe to:");
    tmux.keys(&["wc -l", "Enter"]);
    let screen = tmux.wait_for("wc -l · exit 0");
    assert!(
        screen.contains(&lines.to_string()),
        "{lines} lines: {screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_until("the output closed", |s| {
        !s.contains("j/k scroll") && s.contains("Long notes")
    });

    // p shows the HTML part of the newsletter, and remembers it for that sender.
    tmux.keys(&["q", "j", "Enter"]);
    tmux.wait_for("PLAIN VERSION");
    tmux.keys(&["p"]);
    let screen = tmux.wait_for("HTML VERSION");
    assert!(!screen.contains("PLAIN VERSION"), "{screen}");
    tmux.keys(&["Q"]);
    assert!(tmux.exited(), "tern did not quit on Q:\n{}", tmux.screen());
    let saved = std::fs::read_to_string(cache.join("part-preference")).unwrap();
    assert!(saved.contains("html news@example.com"), "{saved}");
}
