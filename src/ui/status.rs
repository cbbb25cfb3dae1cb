//! The bottom line: account · folder · connection · synced time, then the last error (or a
//! note); key hints on the right. The `:` and `/` inputs take this line while open.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

use super::format::{count, list_date};
use super::text::{display_width, fit, safe};
use crate::app::reader::PromptKind;
use crate::app::{Model, Overlay};
use crate::bus::ConnState;
use crate::domain::text::sanitize;
use crate::keymap::action::Action;
use crate::theme::{Theme, scopes};

pub fn render(model: &Model, theme: &Theme, area: Rect, frame: &mut Frame) {
    if area.height == 0 {
        return;
    }
    let bar = theme.style(scopes::STATUS_BAR);
    let width = usize::from(area.width);
    if let Some(Overlay::Prompt {
        kind: PromptKind::Search,
        input,
    }) = model.overlays.last()
    {
        search_prompt(model, theme, area, frame, input);
        return;
    }
    // Text inputs live on the status line, like vim's and mutt's.
    let input = model.overlays.iter().rev().find_map(|o| match o {
        Overlay::Command(input) => Some((":", input, Some(completions(&input.text)))),
        Overlay::Filter { input, .. } => Some((
            "/",
            input,
            Some(format!("  {} matching", count(model.list.total))),
        )),
        Overlay::Keyword { add, input } => Some((
            if *add {
                "Add keywords: "
            } else {
                "Remove keywords: "
            },
            input,
            Some("  (space-separated; Enter applies, Esc cancels)".to_string()),
        )),
        Overlay::FolderName(prompt) => Some((prompt.label(), &prompt.input, Some(prompt.hint()))),
        Overlay::Prompt { kind, input } => Some(match kind {
            PromptKind::Find => ("Find: ", input, Some("  (Enter finds, Esc cancels)".into())),
            PromptKind::Pipe { part } => (
                if part.is_some() {
                    "Pipe attachment to: "
                } else {
                    "Pipe to: "
                },
                input,
                Some("  (sh -c, message on stdin; !cmd discards output)".into()),
            ),
            PromptKind::Search => ("Search: ", input, None),
        }),
        _ => None,
    });
    if let Some((prompt, input, info)) = input {
        let scope = if prompt == ":" {
            scopes::COMMAND_LINE
        } else {
            scopes::FILTER
        };
        let text = sanitize(&input.text);
        let info = info.unwrap_or_default();
        let line = Line::from(vec![
            Span::raw(prompt),
            Span::raw(text.clone()),
            Span::styled(info, theme.style(scopes::STATUS_HINT)),
        ])
        .style(theme.style(scope));
        frame
            .buffer_mut()
            .set_line(area.x, area.y, &line, area.width);
        let before: String = text.chars().take(input.cursor).collect();
        let x = area.x
            + (display_width(prompt) + display_width(&before)).min(width.saturating_sub(1)) as u16;
        frame.set_cursor_position(Position::new(x, area.y));
        return;
    }
    let (conn, conn_scope) = conn_text(model);
    let folder = model
        .list
        .folder
        .as_ref()
        .map(|f| f.name.as_str())
        .unwrap_or("");
    // Segments in order of importance; later ones are dropped when the line is short.
    let bar_scope = scopes::STATUS_BAR;
    let mut segments: Vec<Vec<(String, &str)>> = vec![
        vec![(format!(" {}", sanitize(model.account_name())), bar_scope)],
        vec![(format!(" · {}", sanitize(folder)), bar_scope)],
        vec![(" · ".to_string(), bar_scope), (conn, conn_scope)],
    ];
    if let Some(at) = model
        .folders
        .state(model.account, folder)
        .and_then(|f| f.synced_at)
    {
        let synced = format!(" · synced {}", list_date(at, model.clock));
        segments.push(vec![(synced, bar_scope)]);
    }
    let waiting = model.accounts.get(model.account).map_or(0, |a| a.pending);
    if waiting > 0 {
        segments.push(vec![(format!(" · {waiting} pending"), bar_scope)]);
    }
    let pending = model.pending_keys();
    if !pending.is_empty() {
        segments.push(vec![(format!("  {pending}-"), scopes::STATUS_HINT)]);
    }
    let mut left = Vec::new();
    let mut used = 0;
    for (i, segment) in segments.into_iter().enumerate() {
        let w: usize = segment.iter().map(|(t, _)| display_width(t)).sum();
        if used + w > width {
            // Account and folder are cut rather than dropped.
            if i < 2 {
                let text: String = segment.into_iter().map(|(t, _)| t).collect();
                left.push(Span::raw(fit(&text, width - used)));
                used = width;
            }
            break;
        }
        used += w;
        left.extend(
            segment
                .into_iter()
                .map(|(t, sc)| Span::styled(t, theme.style(sc))),
        );
    }
    let right = hints(model);
    let right_w = display_width(&right);
    let message = match (&model.status.error, &model.status.note, model.conn()) {
        (Some(e), _, _) => Some((e.as_str(), scopes::STATUS_ERROR)),
        (None, Some(n), _) => Some((n.as_str(), scopes::STATUS_BAR)),
        // Why the account is offline, until something newer takes the place.
        (None, None, ConnState::Offline { reason }) => {
            Some((reason.as_str(), scopes::STATUS_ERROR))
        }
        (None, None, ConnState::Reconnecting { reason, .. }) => {
            Some((reason.as_str(), scopes::STATUS_BAR))
        }
        // The open folder's own error (the server refused it), as the sidebar marks it.
        _ => model
            .folders
            .state(model.account, folder)
            .and_then(|f| f.last_error.as_deref())
            .map(|e| (e, scopes::STATUS_ERROR)),
    };
    let mut spans = left;
    if let Some((text, scope)) = message {
        // The message wins over the hints when space is short.
        let room = width.saturating_sub(used + 3);
        if room > 0 {
            let shown = safe(text, room);
            used += 3 + display_width(&shown);
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(shown, theme.style(scope)));
        }
    }
    if used + right_w < width {
        spans.push(Span::raw(" ".repeat(width - used - right_w)));
        spans.push(Span::styled(right, theme.style(scopes::STATUS_HINT)));
    } else {
        spans.push(Span::raw(fit("", width.saturating_sub(used))));
    }
    let line = Line::from(spans).style(bar);
    frame.buffer_mut().set_style(area, bar);
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
}

fn conn_text(model: &Model) -> (String, &'static str) {
    // The key that retries now, as the keymap has it (Ctrl-r by default).
    let retry = || {
        model
            .keymap
            .keys_for(model.context(), Action::SyncNow)
            .into_iter()
            .next()
    };
    match model.conn() {
        ConnState::Connecting => ("connecting…".into(), scopes::STATUS_SYNCING),
        ConnState::Online => ("online".into(), scopes::STATUS_ONLINE),
        ConnState::Syncing { done, total, .. } => (
            format!("syncing {}/{}", count(*done), count(*total)),
            scopes::STATUS_SYNCING,
        ),
        ConnState::Offline { .. } => (
            match retry() {
                Some(key) => format!("offline · {key} retries"),
                None => "offline".into(),
            },
            scopes::STATUS_OFFLINE,
        ),
        ConnState::Reconnecting { in_secs, .. } => (
            match retry() {
                Some(key) => format!("reconnecting in {in_secs} s · {key} retries now"),
                None => format!("reconnecting in {in_secs} s"),
            },
            scopes::STATUS_OFFLINE,
        ),
    }
}

/// `? help  : command`, from the keymap so a rebinding shows.
fn hints(model: &Model) -> String {
    let context = model.context();
    let key = |a: Action| model.keymap.keys_for(context, a).into_iter().next();
    let mut parts = Vec::new();
    if let Some(k) = key(Action::Help) {
        parts.push(format!("{k} help"));
    }
    if let Some(k) = key(Action::CommandLine) {
        parts.push(format!("{k} command"));
    }
    let mut s = parts.join("  ");
    s.push(' ');
    s
}

/// Action names that complete the command typed so far.
fn completions(typed: &str) -> String {
    let typed = typed.trim_start();
    if typed.is_empty() || typed.contains(' ') {
        return String::new();
    }
    let names: Vec<&str> = Action::ALL
        .iter()
        .map(|a| a.name())
        .filter(|n| n.starts_with(typed) && *n != typed)
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!("   {}", names.join("  "))
    }
}

/// `S`'s query on the status line; a word the language does not take is marked where it
/// stands, and what is wrong follows.
fn search_prompt(
    model: &Model,
    theme: &Theme,
    area: Rect,
    frame: &mut Frame,
    input: &crate::app::TextInput,
) {
    const PROMPT: &str = "Search: ";
    let text = &input.text;
    let mut spans = vec![Span::raw(PROMPT)];
    match &model.search_error {
        Some(error) => {
            let bad = crate::app::search::error_span(error, text);
            let mut marked = bad.clone();
            if marked.is_empty() {
                // Nothing to underline (the query ends too soon): mark the end.
                marked = text.len()..text.len();
            }
            spans.push(Span::raw(sanitize(&text[..marked.start])));
            let word = sanitize(&text[marked.clone()]);
            let word = if word.is_empty() { " ".into() } else { word };
            spans.push(Span::styled(word, theme.style(scopes::STATUS_ERROR)));
            spans.push(Span::raw(sanitize(&text[marked.end..])));
            spans.push(Span::styled(
                format!("  ✗ {}", sanitize(&error.message)),
                theme.style(scopes::STATUS_ERROR),
            ));
        }
        None => {
            spans.push(Span::raw(sanitize(text)));
            spans.push(Span::styled(
                "  (Enter searches every folder, Esc cancels)",
                theme.style(scopes::STATUS_HINT),
            ));
        }
    }
    let line = Line::from(spans).style(theme.style(scopes::FILTER));
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
    let before: String = sanitize(text).chars().take(input.cursor).collect();
    let width = usize::from(area.width);
    let x = area.x
        + (display_width(PROMPT) + display_width(&before)).min(width.saturating_sub(1)) as u16;
    frame.set_cursor_position(Position::new(x, area.y));
}
