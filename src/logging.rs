//! `TERN_LOG=...` logging to stderr. Two guarantees on top of tracing-subscriber's fmt:
//! the IMAP wire trace (imap-next's `fragment` events) never shows credentials, and nothing
//! logged can drive the terminal (server text is sanitized like everything else tern prints).

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Installs the subscriber when `TERN_LOG` is set (a filter such as `debug` or `trace`).
pub fn init() {
    let Ok(filter) = std::env::var("TERN_LOG") else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(false)
        .event_format(RedactingFormat::default())
        .with_writer(|| SanitizingStderr)
        .try_init();
}

/// For CLI commands, in place of Rust's default hook, which prints the raw panic text. A
/// panic caught by `domain::contain` (a third-party parser fed hostile bytes) is reported
/// by its caller, so it only goes to the log; any other is a bug, said once on stderr.
/// Both go through the sanitizer. The TUI's terminal-restoring hook wraps this one.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = panic_text(info.payload_as_str(), info.location());
        if crate::domain::contain::is_contained() {
            tracing::warn!("a parser panicked (contained): {what}");
            return;
        }
        tracing::error!("tern panicked: {what}");
        crate::cmd::say(&format!("tern: internal error: {what}; please report it"));
    }));
}

fn panic_text(message: Option<&str>, location: Option<&std::panic::Location<'_>>) -> String {
    let message = message.unwrap_or("a panic without a message");
    match location {
        Some(at) => format!("{message} ({}:{})", at.file(), at.line()),
        None => message.to_string(),
    }
}

/// Stderr through the sanitizer. The fmt layer writes each event in one piece.
struct SanitizingStderr;

impl Write for SanitizingStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = crate::domain::text::sanitize_lines(&String::from_utf8_lossy(buf));
        io::stderr().write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// The usual format, except that wire fragments go through the [`Redactor`].
#[derive(Default)]
struct RedactingFormat {
    usual: Format,
    redactor: Mutex<Redactor>,
}

impl<S, N> FormatEvent<S, N> for RedactingFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let target = event.metadata().target();
        if !target.starts_with("imap_next") {
            return self.usual.format_event(ctx, writer, event);
        }
        let mut fields = WireFields::default();
        event.record(&mut fields);
        let Some(data) = fields.data else {
            return self.usual.format_event(ctx, writer, event);
        };
        let direction = direction(ctx);
        let literal = fields.kind.as_deref() == Some("Literal");
        let shown = match self.redactor.lock() {
            Ok(mut redactor) => redactor.show(direction, literal, &data),
            Err(_) => REDACTED.to_string(),
        };
        let arrow = match direction {
            Direction::Read => "S:",
            Direction::Write => "C:",
            Direction::Unknown => "?:",
        };
        SystemTime.format_time(&mut writer)?;
        let kind = if literal { "literal" } else { "line" };
        writeln!(
            writer,
            " {:>5} {target}: {arrow} {kind} {shown}",
            event.metadata().level()
        )
    }
}

/// imap-next wraps each fragment event in a `fragment` span whose `action` says which way
/// the bytes went.
fn direction<S, N>(ctx: &FmtContext<'_, S, N>) -> Direction
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let Some(scope) = ctx.event_scope() else {
        return Direction::Unknown;
    };
    for span in scope {
        if span.name() != "fragment" {
            continue;
        }
        let extensions = span.extensions();
        let Some(fields) = extensions.get::<FormattedFields<N>>() else {
            continue;
        };
        if fields.fields.contains("\"write\"") {
            return Direction::Write;
        }
        if fields.fields.contains("\"read\"") {
            return Direction::Read;
        }
    }
    Direction::Unknown
}

#[derive(Default)]
struct WireFields {
    kind: Option<String>,
    data: Option<String>,
}

impl Visit for WireFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "data" => self.data = Some(value.to_string()),
            "type" => self.kind = Some(value.to_string()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "data" => self.data = Some(format!("{value:?}")),
            "type" => self.kind = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Read,
    Write,
    Unknown,
}

const REDACTED: &str = "<redacted>";

/// Follows the conversation just enough to hide credentials: LOGIN's arguments, the initial
/// response of AUTHENTICATE (SASL-IR), and everything the client sends while a LOGIN or
/// AUTHENTICATE is open (continuation payloads for PLAIN, XOAUTH2, OAUTHBEARER; literals).
/// Data is imap-next's escaped text (`\r\n` written out). Errs on the side of hiding:
/// several connections may interleave, so a command stays open until its tagged reply.
#[derive(Debug, Default)]
struct Redactor {
    /// Tags of LOGIN and AUTHENTICATE commands sent and not yet answered.
    open: Vec<String>,
}

impl Redactor {
    fn show(&mut self, direction: Direction, literal: bool, data: &str) -> String {
        match direction {
            Direction::Read => {
                self.read(data);
                data.to_string()
            }
            Direction::Write if literal => {
                // SASL payloads travel as literal fragments; one word ending the line is one.
                let payload_like = data.ends_with("\\r\\n") && !data.contains(' ');
                if self.open.is_empty() && !payload_like {
                    data.to_string()
                } else {
                    REDACTED.to_string()
                }
            }
            Direction::Write => self.written_line(data),
            // Not a fragment we know: do not guess.
            Direction::Unknown => REDACTED.to_string(),
        }
    }

    /// A tagged reply closes the command it answers.
    fn read(&mut self, line: &str) {
        let tag = line.split(' ').next().unwrap_or("");
        if let Some(i) = self.open.iter().position(|open| open == tag) {
            self.open.remove(i);
        }
    }

    fn written_line(&mut self, line: &str) -> String {
        let (body, end) = match line.strip_suffix("\\r\\n") {
            Some(body) => (body, "\\r\\n"),
            None => (line, ""),
        };
        let mut words = body.splitn(3, ' ');
        let (tag, command, rest) = (
            words.next().unwrap_or(""),
            words.next().unwrap_or(""),
            words.next(),
        );
        if command.eq_ignore_ascii_case("LOGIN") && !tag.is_empty() {
            self.open.push(tag.to_string());
            return format!("{tag} {command} {REDACTED}{end}");
        }
        if command.eq_ignore_ascii_case("AUTHENTICATE") && !tag.is_empty() {
            self.open.push(tag.to_string());
            let mut rest = rest.unwrap_or("").splitn(2, ' ');
            let mechanism = rest.next().unwrap_or("");
            let initial = if rest.next().is_some() {
                format!(" {REDACTED}")
            } else {
                String::new()
            };
            return format!("{tag} {command} {mechanism}{initial}{end}");
        }
        // A line that is not `TAG COMMAND ...`: a SASL payload (one base64 word) or the rest
        // of a command after a literal. Only DONE (ending IDLE) is known to be harmless.
        let payload_like = !body.is_empty() && !body.contains(' ') && body != "DONE";
        let after_literal = body.is_empty() || body.starts_with(' ');
        if payload_like || (after_literal && !self.open.is_empty()) {
            return format!("{REDACTED}{end}");
        }
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(r: &mut Redactor, line: &str) -> String {
        r.show(Direction::Write, false, line)
    }

    #[test]
    fn login_arguments_are_hidden() {
        let mut r = Redactor::default();
        assert_eq!(
            write(&mut r, "t1 LOGIN alice hunter2\\r\\n"),
            "t1 LOGIN <redacted>\\r\\n"
        );
        assert_eq!(
            write(&mut r, "t1 login \"al ice\" \"hunter 2\"\\r\\n"),
            "t1 login <redacted>\\r\\n"
        );
    }

    #[test]
    fn login_literals_are_hidden_until_the_reply() {
        let mut r = Redactor::default();
        assert_eq!(
            write(&mut r, "t2 LOGIN {5}\\r\\n"),
            "t2 LOGIN <redacted>\\r\\n"
        );
        assert_eq!(r.show(Direction::Read, false, "+ OK\\r\\n"), "+ OK\\r\\n");
        assert_eq!(r.show(Direction::Write, true, "alice"), "<redacted>");
        assert_eq!(write(&mut r, " {7}\\r\\n"), "<redacted>\\r\\n");
        assert_eq!(r.show(Direction::Write, true, "hunter2"), "<redacted>");
        assert_eq!(write(&mut r, "\\r\\n"), "<redacted>\\r\\n");
        r.show(Direction::Read, false, "t2 OK logged in\\r\\n");
        // Afterwards literals are shown again (a folder name, say).
        assert_eq!(
            r.show(Direction::Write, true, "Entw\u{fc}rfe"),
            "Entw\u{fc}rfe"
        );
        assert_eq!(write(&mut r, " (MESSAGES)\\r\\n"), " (MESSAGES)\\r\\n");
    }

    #[test]
    fn sasl_initial_responses_and_payloads_are_hidden() {
        let mut r = Redactor::default();
        assert_eq!(
            write(&mut r, "t1 AUTHENTICATE PLAIN AGFsaWNlAGh1bnRlcjI=\\r\\n"),
            "t1 AUTHENTICATE PLAIN <redacted>\\r\\n"
        );
        r.show(Direction::Read, false, "t1 OK done\\r\\n");
        assert_eq!(
            write(&mut r, "t2 AUTHENTICATE XOAUTH2\\r\\n"),
            "t2 AUTHENTICATE XOAUTH2\\r\\n"
        );
        assert_eq!(
            write(&mut r, "dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sBAQ==\\r\\n"),
            "<redacted>\\r\\n"
        );
        // The error challenge's empty answer, then the tagged NO.
        assert_eq!(write(&mut r, "\\r\\n"), "<redacted>\\r\\n");
        r.show(Direction::Read, false, "t2 NO failed\\r\\n");
        assert_eq!(write(&mut r, "t3 NOOP\\r\\n"), "t3 NOOP\\r\\n");
        assert_eq!(write(&mut r, "DONE\\r\\n"), "DONE\\r\\n");
    }

    #[test]
    fn a_lone_payload_is_hidden_even_without_state() {
        let mut r = Redactor::default();
        assert_eq!(write(&mut r, "AGFsaWNl\\r\\n"), "<redacted>\\r\\n");
        assert_eq!(
            r.show(Direction::Write, true, "AGFsaWNl\\r\\n"),
            "<redacted>"
        );
    }

    #[test]
    fn interleaved_logins_stay_hidden_until_both_are_answered() {
        let mut r = Redactor::default();
        write(&mut r, "t1 LOGIN {5}\\r\\n");
        write(&mut r, "t1 LOGIN {3}\\r\\n");
        r.show(Direction::Read, false, "t1 OK in\\r\\n");
        assert_eq!(r.show(Direction::Write, true, "secret"), "<redacted>");
        r.show(Direction::Read, false, "t1 OK in\\r\\n");
        assert_eq!(r.show(Direction::Write, true, "body"), "body");
    }

    #[test]
    fn unknown_directions_are_hidden() {
        let mut r = Redactor::default();
        assert_eq!(r.show(Direction::Unknown, false, "x"), "<redacted>");
    }
}
