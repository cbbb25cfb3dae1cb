//! `|`: the open message's raw source piped to a command the user types (`git am`,
//! `urlscan -n`). The runtime runs it; what it prints comes back sanitized and bounded and
//! is shown in an overlay, or only summed up on the status line when the command starts
//! with `!` (output discarded).

use super::reader::PromptKind;
use super::{Effect, Model, Overlay, TextInput};
use crate::domain::text::sanitize;

/// What a piped command printed (stdout and stderr, each cut at a bound) and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit code; None when killed by a signal.
    pub code: Option<i32>,
    /// Some output was over the bound and cut.
    pub truncated: bool,
}

/// Lines the output overlay keeps.
const MAX_OUTPUT_LINES: usize = 5_000;

impl Model {
    /// `|`: ask for the command on the status line.
    pub(super) fn start_pipe(&mut self) {
        if self.reader.as_ref().and_then(|r| r.raw()).is_none() {
            self.status.note("open a message to pipe it");
            return;
        }
        self.overlays.push(Overlay::Prompt {
            kind: PromptKind::Pipe { part: None },
            input: TextInput::default(),
        });
    }

    /// What the status-line prompt gave.
    pub(super) fn prompted(
        &mut self,
        kind: PromptKind,
        text: &str,
        sources: &dyn super::Sources,
        fx: &mut Vec<Effect>,
    ) {
        match kind {
            PromptKind::Find => self.find(text),
            PromptKind::Pipe { part: None } => self.pipe(text, fx),
            PromptKind::Pipe { part: Some(part) } => self.pipe_part(part, text, sources, fx),
            // Handled where the sources are at hand (app/input.rs).
            PromptKind::Search => {}
        }
    }

    /// `|` in the attachment list: ask for the command for the selected part.
    pub(super) fn start_pipe_part(&mut self, part: usize) {
        self.overlays.push(Overlay::Prompt {
            kind: PromptKind::Pipe { part: Some(part) },
            input: TextInput::default(),
        });
    }

    /// Sends the raw message to `command`; a message shown in parts is fetched whole first.
    pub(super) fn pipe(&mut self, command: &str, fx: &mut Vec<Effect>) {
        let Some(reader) = self.reader.as_ref() else {
            return self.run_pipe(command, None, fx);
        };
        if !reader.whole && reader.raw().is_some() && !command.trim().is_empty() {
            self.status.note("fetching the whole message to pipe it…");
            let then = super::reader::AfterPart::Pipe(command.trim().to_string());
            self.fetch_part("", then, fx);
            return;
        }
        let raw = reader.raw().map(<[u8]>::to_vec);
        self.run_pipe(command, raw, fx);
    }

    /// Sends attachment `part`, decoded, to `command` (fetched first if it is not here).
    fn pipe_part(
        &mut self,
        part: usize,
        command: &str,
        sources: &dyn super::Sources,
        fx: &mut Vec<Effect>,
    ) {
        match self.attachment_data(part, sources) {
            Some(Err(section)) if !command.trim().is_empty() => {
                self.status.note("fetching the attachment to pipe it…");
                let then = super::reader::AfterPart::Pipe(command.trim().to_string());
                self.fetch_part(&section, then, fx);
            }
            data => {
                let bytes = data.and_then(Result::ok);
                self.run_pipe(command, bytes, fx);
            }
        }
    }

    fn run_pipe(&mut self, command: &str, input: Option<Vec<u8>>, fx: &mut Vec<Effect>) {
        let command = command.trim();
        if command.trim_start_matches('!').trim().is_empty() {
            self.status.note("no command given; nothing piped");
            return;
        }
        let Some(input) = input else {
            self.status
                .error("nothing to pipe: the message is not loaded");
            return;
        };
        self.status.note(format!(
            "running: {}",
            sanitize(command.trim_start_matches('!'))
        ));
        fx.push(Effect::Pipe {
            command: command.to_string(),
            input,
        });
    }

    /// A piped command ended: show its output (or, for `!cmd`, only how it ended).
    pub(super) fn piped(&mut self, command: &str, result: Result<PipeOutput, String>) {
        let (discard, shown) = match command.strip_prefix('!') {
            Some(rest) => (true, sanitize(rest.trim())),
            None => (false, sanitize(command)),
        };
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                self.status
                    .error(format!("{shown}: could not run: {}", sanitize(&e)));
                return;
            }
        };
        let ended = match out.code {
            Some(0) => "exit 0".to_string(),
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".to_string(),
        };
        if out.code == Some(0) {
            self.status.note(format!("{shown}: {ended}"));
        } else {
            self.status.error(format!("{shown}: {ended}"));
        }
        if discard {
            return;
        }
        let mut lines = output_lines(&out.stdout);
        let err = output_lines(&out.stderr);
        if !err.is_empty() {
            if !lines.is_empty() {
                lines.push(String::new());
            }
            lines.push("stderr:".into());
            lines.extend(err);
        }
        if out.truncated || lines.len() > MAX_OUTPUT_LINES {
            lines.truncate(MAX_OUTPUT_LINES);
            lines.push(crate::domain::mime::TRUNCATED.into());
        }
        if lines.is_empty() {
            lines.push("(no output)".into());
        }
        self.overlays.push(Overlay::Output {
            title: format!("| {shown} · {ended}"),
            lines,
            scroll: 0,
        });
    }
}

/// Bytes a command printed as display lines: sanitized, tabs expanded.
fn output_lines(bytes: &[u8]) -> Vec<String> {
    let text = crate::domain::rfc2047::bytes_to_text(bytes);
    let mut lines: Vec<String> = text
        .lines()
        .take(MAX_OUTPUT_LINES + 1)
        .map(|l| sanitize(&l.replace('\t', "    ")))
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}
