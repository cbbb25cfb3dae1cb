//! New mail announced outside the list: the user's `new_mail_command` (an argv, never a
//! shell string) and a desktop notification through the terminal (OSC 9 or OSC 777). Text
//! from mail is sanitized first: no control characters reach the command or the terminal.

use std::process::Stdio;

use crate::app::NewMail;
use crate::config::TerminalNotify;
use crate::domain::text::sanitize;

/// Longest sender or subject passed on, in characters.
const MAX_FIELD: usize = 200;

/// One line of plain text: no escapes, no controls (newlines included), bounded.
fn clean(text: &str) -> String {
    let text = sanitize(text);
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_FIELD)
        .collect();
    text.trim().to_string()
}

/// The notification's title and body.
fn title_and_body(news: &NewMail) -> (String, String) {
    let title = match news.count {
        1 => format!("New mail in {}", clean(&news.folder)),
        n => format!("{n} new messages in {}", clean(&news.folder)),
    };
    let body = format!("{}: {}", clean(&news.from), clean(&news.subject));
    (title, body)
}

/// The escape sequence for `kind`, or None when off. OSC 777 separates its fields with `;`,
/// so none may appear inside one (it would start a field of its own).
pub fn osc(kind: TerminalNotify, news: &NewMail) -> Option<String> {
    let (title, body) = title_and_body(news);
    match kind {
        TerminalNotify::Off => None,
        // A leading digit and `;` would make OSC 9 a ConEmu sub-command; the text starts
        // with a letter or a count followed by a space.
        TerminalNotify::Osc9 => Some(format!("\x1b]9;{title}: {body}\x1b\\")),
        TerminalNotify::Osc777 => Some(format!(
            "\x1b]777;notify;{};{}\x1b\\",
            title.replace(';', ","),
            body.replace(';', ",")
        )),
    }
}

/// The hook's argv with `{folder}`, `{from}`, `{subject}`, `{count}` and `{account}`
/// filled in, each argument on its own (no shell ever sees them). One pass: a subject that
/// contains "{from}" stays as it is.
pub fn hook_args(argv: &[String], news: &NewMail) -> Vec<String> {
    let fields = [
        ("{folder}", clean(&news.folder)),
        ("{from}", clean(&news.from)),
        ("{subject}", clean(&news.subject)),
        ("{count}", news.count.to_string()),
        ("{account}", clean(&news.account)),
    ];
    argv.iter()
        .map(|arg| {
            let mut out = String::with_capacity(arg.len());
            let mut rest = arg.as_str();
            'scan: while !rest.is_empty() {
                for (name, value) in &fields {
                    if let Some(after) = rest.strip_prefix(name) {
                        out.push_str(value);
                        rest = after;
                        continue 'scan;
                    }
                }
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    out.push(c);
                }
                rest = chars.as_str();
            }
            out
        })
        .collect()
}

/// The environment the hook gets besides tern's own.
pub fn hook_env(news: &NewMail) -> [(&'static str, String); 5] {
    [
        ("TERN_ACCOUNT", clean(&news.account)),
        ("TERN_FOLDER", clean(&news.folder)),
        ("TERN_FROM", clean(&news.from)),
        ("TERN_SUBJECT", clean(&news.subject)),
        ("TERN_COUNT", news.count.to_string()),
    ]
}

/// Starts the hook without waiting for it (its output is discarded; a background task
/// reaps it). An error is for the status line.
pub fn run_hook(argv: &[String], news: &NewMail) -> Result<(), String> {
    let args = hook_args(argv, news);
    let Some((program, rest)) = args.split_first() else {
        return Ok(());
    };
    let mut child = tokio::process::Command::new(program)
        .args(rest)
        .envs(hook_env(news))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("new_mail_command {}: {e}", clean(program)))?;
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news(from: &str, subject: &str) -> NewMail {
        NewMail {
            account: "work".into(),
            folder: "INBOX".into(),
            count: 1,
            from: from.into(),
            subject: subject.into(),
        }
    }

    #[test]
    fn osc_sequences_carry_clean_text_only() {
        let n = news("Ada", "lunch?");
        assert_eq!(
            osc(TerminalNotify::Osc9, &n).unwrap(),
            "\x1b]9;New mail in INBOX: Ada: lunch?\x1b\\"
        );
        assert_eq!(
            osc(TerminalNotify::Osc777, &n).unwrap(),
            "\x1b]777;notify;New mail in INBOX;Ada: lunch?\x1b\\"
        );
        assert_eq!(osc(TerminalNotify::Off, &n), None);
        // Hostile mail: an escape that would end the OSC and type into the shell, a BEL,
        // newlines, and `;` to forge another OSC 777 field.
        let evil = news("Eve\x07\x1b]0;pwned\x07", "a;b\x1b\\\nrm -rf ~\r");
        for kind in [TerminalNotify::Osc9, TerminalNotify::Osc777] {
            let seq = osc(kind, &evil).unwrap();
            let inner = &seq[2..seq.len() - 2];
            assert!(!inner.chars().any(|c| c.is_control()), "{seq:?}");
            assert!(!inner.contains('\x1b'), "{seq:?}");
        }
        let seq = osc(TerminalNotify::Osc777, &evil).unwrap();
        assert_eq!(seq.matches(';').count(), 3, "only the separators: {seq:?}");
        assert!(seq.contains("a,b"), "{seq:?}");
    }

    #[test]
    fn hook_arguments_are_filled_in_one_by_one() {
        let argv: Vec<String> = [
            "notify-send",
            "{count} new in {folder}",
            "{from}: {subject}",
        ]
        .map(String::from)
        .into();
        let n = news("Ada $(id)", "`x`; \"y\"\n");
        assert_eq!(
            hook_args(&argv, &n),
            ["notify-send", "1 new in INBOX", "Ada $(id): `x`; \"y\""]
        );
        let sneaky = news("{subject}", "{from}");
        assert_eq!(hook_args(&argv, &sneaky)[2], "{subject}: {from}");
        let env = hook_env(&n);
        assert!(env.contains(&("TERN_SUBJECT", "`x`; \"y\"".to_string())));
        assert!(env.contains(&("TERN_FOLDER", "INBOX".to_string())));
    }
}
