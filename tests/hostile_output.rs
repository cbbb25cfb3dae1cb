//! Hostile servers against the real binary: whatever text a server sends (NO and BYE text,
//! XOAUTH2 error JSON, folder names), nothing that could drive the terminal reaches stdout or
//! stderr. Scripted servers, since no real server sends these.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;

/// A clipboard write (OSC 52), a title change (OSC 0), a screen clear (CSI) and a bare BEL:
/// what an attacker would put in server text. All 7-bit, so it parses as IMAP text.
const EVIL: &str = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\x1b[2J\x07evil";
/// The same with a C1 CSI, where 8-bit text is allowed (literals, base64 payloads).
const EVIL_8BIT: &str = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\x1b[2J\u{9b}31m\x07evil";

/// Serves connections one after another: greets with `greeting`, then answers each command
/// line with what `reply` returns (None: hang up).
fn scripted(
    greeting: &'static str,
    reply: impl Fn(&str, &str, &str) -> Option<String> + Send + Clone + 'static,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let reply = reply.clone();
            thread::spawn(move || serve(stream, greeting, reply));
        }
    });
    port
}

fn serve(
    mut stream: TcpStream,
    greeting: &str,
    reply: impl Fn(&str, &str, &str) -> Option<String>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    if stream.write_all(greeting.as_bytes()).is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if !read_command(&mut reader, &mut stream, &mut line) {
            return;
        }
        let (tag, rest) = line
            .trim_end()
            .split_once(' ')
            .unwrap_or(("", line.trim_end()));
        let (verb, args) = rest.split_once(' ').unwrap_or((rest, ""));
        let Some(answer) = reply(tag, &verb.to_ascii_uppercase(), args) else {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        };
        if stream.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// One command line, with synchronizing literals read in (after a `+`) as part of it.
fn read_command(reader: &mut impl BufRead, stream: &mut TcpStream, command: &mut String) -> bool {
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
            return false;
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        let announced = text
            .trim_end()
            .strip_suffix('}')
            .and_then(|head| head.rsplit_once('{'))
            .and_then(|(_, n)| n.parse::<usize>().ok());
        let Some(len) = announced else {
            command.push_str(&text);
            return true;
        };
        command.push_str(text.trim_end());
        if stream.write_all(b"+ go on\r\n").is_err() {
            return false;
        }
        let mut literal = vec![0; len];
        if reader.read_exact(&mut literal).is_err() {
            return false;
        }
        command.push_str(&String::from_utf8_lossy(&literal));
    }
}

fn config(dir: &Path, port: u16, security: &str, extra: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[[accounts]]\nname = \"evil\"\nhost = \"127.0.0.1\"\nport = {port}\n\
             security = \"{security}\"\nusername = \"u\"\n{extra}\n"
        ),
    )
    .unwrap();
    path
}

fn tern(dir: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("--config")
        .arg(config)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(args)
        .env_remove("TERN_LOG")
        .output()
        .unwrap()
}

/// No ESC, no other C0 or C1 control (but newline and tab), no BEL in what tern printed.
fn assert_inert(output: &Output, what: &str) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let bad: Vec<char> = text
            .chars()
            .filter(|&c| c.is_control() && c != '\n' && c != '\t')
            .collect();
        assert!(
            bad.is_empty(),
            "{what}: control characters {bad:?} on {stream}: {text:?}"
        );
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const PLAIN_GREETING: &str = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n";

fn login_ok(tag: &str) -> String {
    format!("{tag} OK [CAPABILITY IMAP4rev1] logged in\r\n")
}

#[test]
fn a_starttls_refusal_with_escapes_is_printed_inert() {
    let port = scripted(
        "* OK [CAPABILITY IMAP4rev1 STARTTLS] fake ready\r\n",
        |tag, verb, _| {
            Some(match verb {
                "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n"),
                "STARTTLS" => format!("{tag} NO {EVIL} no TLS today\r\n"),
                _ => format!("{tag} BAD {EVIL}\r\n"),
            })
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        port,
        "starttls",
        "password_command = \"echo p\"",
    );
    let output = tern(dir.path(), &config, &["folders"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("evil"), "{}", stderr(&output));
    assert_inert(&output, "STARTTLS NO");
}

#[test]
fn a_login_refusal_with_escapes_is_printed_inert() {
    let port = scripted(PLAIN_GREETING, |tag, verb, _| {
        Some(match verb {
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
            "LOGOUT" => format!("* BYE {EVIL}\r\n{tag} OK bye\r\n"),
            _ => format!("{tag} NO [AUTHENTICATIONFAILED] {EVIL} wrong password\r\n"),
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), port, "plain", "password_command = \"echo p\"");
    for args in [&["folders"][..], &["sync"], &["folders", "--json"]] {
        let output = tern(dir.path(), &config, args);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr(&output).contains("evil"), "{}", stderr(&output));
        assert_inert(&output, &format!("LOGIN NO, {args:?}"));
    }
}

#[test]
fn a_bye_greeting_with_escapes_is_printed_inert() {
    let port = scripted(
        "* BYE \x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07\x1b[31mtoo many connections\r\n",
        |_, _, _| None,
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), port, "plain", "password_command = \"echo p\"");
    let output = tern(dir.path(), &config, &["folders"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("too many"), "{}", stderr(&output));
    assert_inert(&output, "BYE greeting");
}

#[test]
fn xoauth2_error_json_with_escapes_is_printed_inert() {
    let json = format!(r#"{{"status":"401","schemes":"bearer","scope":"{EVIL_8BIT}"}}"#);
    let challenge = support::corpus::base64(json.as_bytes());
    let auth_tag = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let port = scripted(
        "* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] fake ready\r\n",
        move |tag, verb, _| {
            let mut auth_tag = auth_tag.lock().unwrap();
            Some(match (tag, verb) {
                (_, "CAPABILITY") => {
                    format!("* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n{tag} OK done\r\n")
                }
                (_, "AUTHENTICATE") => {
                    *auth_tag = tag.to_string();
                    "+ \r\n".to_string()
                }
                // The token, then the client's empty answer to the error challenge.
                ("", "") => format!("{auth_tag} NO {EVIL} auth failed\r\n"),
                ("", _) => format!("+ {challenge}\r\n"),
                _ => format!("{tag} NO {EVIL}\r\n"),
            })
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        port,
        "plain",
        "auth = \"xoauth2\"\noauth_token_command = \"echo token\"",
    );
    let output = tern(dir.path(), &config, &["folders"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("evil"), "{}", stderr(&output));
    assert_inert(&output, "XOAUTH2 error");
}

/// A LIST naming a folder with escapes in it (a literal: 8-bit allowed), which selects as
/// empty, so `folders` and `sync` print its name.
fn hostile_folders_server() -> u16 {
    scripted(
        "* OK [CAPABILITY IMAP4rev1] fake ready\r\n",
        |tag, verb, args| {
            Some(match verb {
                "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
                "LOGIN" => login_ok(tag),
                "LIST" => format!(
                    "* LIST () \"/\" INBOX\r\n\
                 * LIST () \"/\" {{{len}}}\r\n{name}\r\n{tag} OK listed\r\n",
                    name = format_args!("Evil{EVIL_8BIT}"),
                    len = "Evil".len() + EVIL_8BIT.len(),
                ),
                "STATUS" => format!(
                    "* STATUS {} (MESSAGES 0 UNSEEN 0)\r\n{tag} OK status\r\n",
                    if args.starts_with("INBOX") {
                        "INBOX"
                    } else {
                        "{0}\r\n"
                    }
                ),
                "SELECT" | "EXAMINE" => format!(
                    "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 2] n\r\n\
                 {tag} OK [READ-WRITE] selected {EVIL}\r\n"
                ),
                "UID" if args.to_ascii_uppercase().starts_with("SEARCH") => {
                    format!("* SEARCH 1\r\n{tag} OK searched\r\n")
                }
                "UID" if args.to_ascii_uppercase().starts_with("FETCH") => {
                    let header = format!(
                        "From: {EVIL_8BIT} <m@evil.example>\r\n\
                         Subject: {EVIL_8BIT}\u{202e}gpj.exe\r\n\r\n"
                    );
                    format!(
                        "* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2024 00:00:00 +0000\" \
                         RFC822.SIZE 20 BODY[HEADER] {{{}}}\r\n{header})\r\n{tag} OK fetched\r\n",
                        header.len()
                    )
                }
                "LOGOUT" => format!("* BYE {EVIL}\r\n{tag} OK bye\r\n"),
                _ => format!("{tag} OK {EVIL} fine\r\n"),
            })
        },
    )
}

#[test]
fn hostile_folder_names_and_headers_are_printed_inert() {
    let port = hostile_folders_server();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), port, "plain", "password_command = \"echo p\"");
    for args in [
        &["folders"][..],
        &["folders", "--json"],
        &["sync", "--all"],
        &["sync"],
        &["list"],
        &["list", "--json"],
    ] {
        let output = tern(dir.path(), &config, args);
        let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), stderr(&output));
        assert!(output.status.success(), "{args:?}: {stderr}");
        let shown = match args[0] {
            "list" => "evilgpj.exe",
            "sync" => "INBOX",
            _ => "Evil",
        };
        assert!(stdout.contains(shown), "{args:?}: {stdout}");
        if args == ["sync", "--all"] {
            // Progress names the folder on stderr.
            assert!(stderr.contains("Evil"), "{stderr}");
        }
        assert_inert(&output, &format!("{args:?}"));
    }
}
