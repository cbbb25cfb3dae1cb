//! Attachments and links opened (issue 12), with the real binary in tmux against a real
//! Dovecot: `o` hands the attachment to the program `[open]` names for its type, from a
//! private file; `L` lists the links and a number opens one with `open_command`; `A` saves
//! every attachment; the link reaches the terminal as an OSC 8 hyperlink.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::{SeedMessage, TestDovecot, Tmux};

const URL: &str = "https://docs.example.com/guide?a=1&b=2";

fn message() -> SeedMessage {
    SeedMessage::new(format!(
        "From: Sender <sender@example.com>\nTo: alice@example.com\nSubject: Numbers inside\n\
         Date: Thu, 14 Mar 2024 10:01:00 +0000\nMessage-ID: <open.1@example.com>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
         --b\nContent-Type: text/plain\n\nThe guide is at {URL}.\n\
         --b\nContent-Type: text/plain; name=\"report.txt\"\n\
         Content-Disposition: attachment; filename=\"report.txt\"\n\nquarterly numbers\n--b--\n"
    ))
}

/// A program that writes its arguments (one a line), the last one's mode and content to
/// `<name>.argv`, `.mode`, `.content` in `dir`; `.argv` appears last, once all is written.
fn recorder(dir: &Path, name: &str) -> PathBuf {
    let script = dir.join(format!("{name}.sh"));
    let out = dir.join(name);
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nout='{out}'\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; f=\"$a\"; done > \"$out.tmp\"\n\
             if [ -f \"$f\" ]; then stat -c %a \"$f\" > \"$out.mode\"; cat \"$f\" > \"$out.content\"; fi\n\
             mv \"$out.tmp\" \"$out.argv\"\n",
            out = out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Waits (bounded, to fail rather than hang) for `path` to exist, and reads it.
fn read_when_there(path: &Path) -> String {
    for _ in 0..300 {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{} never appeared", path.display());
}

#[test]
fn attachments_and_links_open_with_the_configured_programs() {
    let server = TestDovecot::start();
    server.seed_maildir(server.user(), "INBOX", [message()]);
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let downloads = dir.path().join("dl");
    std::fs::create_dir(&downloads).unwrap();
    let opener = recorder(dir.path(), "attachment");
    let browser = recorder(dir.path(), "link");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nname = \"e2e\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n\n\
             [ui]\ndownload_dir = \"{}\"\nopen_command = \"'{}'\"\n\n\
             [open]\n\"text/*\" = \"'{}' --from-tern %s\"\n",
            server.imap_port(),
            server.user(),
            server.password(),
            downloads.display(),
            browser.display(),
            opener.display(),
        ),
    )
    .unwrap();
    let tmux = Tmux::start_sized(
        &format!(
            "env XDG_RUNTIME_DIR='{}' {} --config {} --cache-dir {}",
            runtime.display(),
            env!("CARGO_BIN_EXE_tern"),
            config.display(),
            dir.path().join("cache").display()
        ),
        120,
        30,
    );
    tmux.wait_until("online with the list", |s| {
        s.contains("Numbers inside") && s.contains("online")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("The guide is at");
    let pane = dir.path().join("pane.out");
    tmux.record_output(&pane);

    // `o` in the attachment list: the [open] entry for text/* gets a private file.
    tmux.keys(&["v"]);
    tmux.wait_for("o: open");
    tmux.keys(&["o"]);
    let argv = read_when_there(&dir.path().join("attachment.argv"));
    let argv: Vec<&str> = argv.lines().collect();
    assert_eq!(argv.len(), 2, "{argv:?}");
    assert_eq!(argv[0], "--from-tern");
    let file = Path::new(argv[1]);
    assert_eq!(file.file_name().unwrap(), "report.txt");
    let private = file.parent().unwrap();
    assert_eq!(private.parent().unwrap(), runtime);
    assert!(
        private
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("tern-open-"),
        "{}",
        private.display()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("attachment.mode"))
            .unwrap()
            .trim(),
        "600"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("attachment.content")).unwrap(),
        "quarterly numbers"
    );
    let mode = std::fs::metadata(private).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    tmux.wait_for("opened report.txt with");

    // `L` lists the link; its number opens it with open_command, as one argument.
    tmux.keys(&["q", "L"]);
    tmux.wait_for(&format!("[1] {URL}"));
    tmux.keys(&["1"]);
    let opened = read_when_there(&dir.path().join("link.argv"));
    assert_eq!(opened, format!("{URL}\n"));

    // `A` saves every attachment to the download directory.
    tmux.keys(&["A"]);
    tmux.wait_for("saved 1 attachment to");
    assert_eq!(
        std::fs::read_to_string(downloads.join("report.txt")).unwrap(),
        "quarterly numbers"
    );

    // The reader's link went out as an OSC 8 hyperlink around its text.
    let osc8 = format!("\x1b]8;;{URL}\x1b\\");
    let mut raw = String::new();
    for _ in 0..100 {
        raw = String::from_utf8_lossy(&std::fs::read(&pane).unwrap_or_default()).into_owned();
        if raw.contains(&osc8) {
            break;
        }
        // Any key redraws, and every draw marks the links on screen.
        tmux.keys(&["C-l"]);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let at = raw
        .find(&osc8)
        .unwrap_or_else(|| panic!("no OSC 8 for {URL} in {raw:?}"));
    let after = &raw[at + osc8.len()..];
    let close = after
        .find("\x1b]8;;\x1b\\")
        .expect("the hyperlink is closed");
    assert!(
        after[..close].contains("https://docs.example.com/guide"),
        "{:?}",
        &after[..close]
    );
}

#[test]
fn a_program_that_fails_or_is_missing_is_said_on_the_status_line() {
    let server = TestDovecot::start();
    server.seed_maildir(server.user(), "INBOX", [message()]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nname = \"e2e\"\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n\n\
             [ui]\nopen_command = \"/nonexistent/browser\"\n\n\
             [open]\n\"text/plain\" = \"sh -c 'echo no viewer here >&2; exit 4' viewer\"\n",
            server.imap_port(),
            server.user(),
            server.password(),
        ),
    )
    .unwrap();
    let tmux = Tmux::start_sized(
        &format!(
            "env XDG_RUNTIME_DIR='{}' {} --config {} --cache-dir {}",
            dir.path().display(),
            env!("CARGO_BIN_EXE_tern"),
            config.display(),
            dir.path().join("cache").display()
        ),
        120,
        30,
    );
    tmux.wait_until("online with the list", |s| {
        s.contains("Numbers inside") && s.contains("online")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("The guide is at");
    // Outside the list, `o` opens the message's only attachment.
    tmux.keys(&["o"]);
    tmux.wait_for("sh: exit 4: no viewer here");
    tmux.keys(&["L"]);
    tmux.wait_for(&format!("[1] {URL}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("cannot run /nonexistent/browser");
}
