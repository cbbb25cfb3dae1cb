//! Opening things from the reader: the links overlay (`L`, a number or Enter opens one),
//! opening the selected attachment (`o`) and saving all of them (`A`). What is opened
//! leaves through `Effect::Open` / `Effect::OpenUrl`; the runtime runs the program.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::overlay::Overlay;
use super::reader::{AfterPart, ReaderState};
use super::{Effect, Model};
use crate::domain::links::{self, Links};
use crate::keymap::action::Action;

/// The links of the reader's message, from its rendered body (never the raw source, even
/// while `H` shows it).
pub fn reader_links(r: &ReaderState) -> Links {
    let Some(m) = r.rendered() else {
        return Links::default();
    };
    let lines: Vec<&str> = m.body.iter().map(|l| l.text.as_str()).collect();
    links::extract(&lines, usize::from(r.width))
}

impl Model {
    /// `L`: the numbered links of the open message.
    pub(super) fn open_links(&mut self) {
        let urls = self
            .reader
            .as_ref()
            .map_or_else(Vec::new, |r| reader_links(r).urls);
        if urls.is_empty() {
            let what = if self.reader.is_some() {
                "no links in this message"
            } else {
                "open a message to list its links"
            };
            self.status.note(what);
            return;
        }
        self.overlays.push(Overlay::Links {
            urls,
            selected: 0,
            typed: String::new(),
        });
    }

    /// Digits and Backspace while the links overlay is on top: the number being typed. A
    /// number no longer one can start opens at once; otherwise it selects and Enter opens.
    /// False when the key is not for the number.
    pub(super) fn link_number_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) -> bool {
        let Some(Overlay::Links {
            urls,
            selected,
            typed,
        }) = self.overlays.last_mut()
        else {
            return false;
        };
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return false;
        }
        match key.code {
            KeyCode::Char(c @ '0'..='9') => typed.push(c),
            KeyCode::Backspace if !typed.is_empty() => {
                typed.pop();
                return true;
            }
            _ => return false,
        }
        let count = urls.len();
        match typed.parse::<usize>() {
            Ok(n) if (1..=count).contains(&n) => {
                *selected = n - 1;
                // With 12 links, "1" may still become "12": wait for Enter or a digit.
                if n.saturating_mul(10) > count {
                    let url = urls[n - 1].clone();
                    self.open_url(url, fx);
                }
            }
            _ => {
                let wrong = std::mem::take(typed);
                self.status
                    .error(format!("no link [{wrong}]; there are {count}"));
            }
        }
        true
    }

    /// Actions while the links overlay is on top.
    pub(super) fn links_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let Some(Overlay::Links {
            urls,
            selected,
            typed,
        }) = self.overlays.last_mut()
        else {
            return;
        };
        let delta: i64 = match action {
            Action::Back | Action::Close | Action::Links => {
                self.overlays.pop();
                return;
            }
            Action::Open | Action::OpenAttachment => {
                let url = urls.get(*selected).cloned();
                if let Some(url) = url {
                    self.open_url(url, fx);
                }
                return;
            }
            Action::Next | Action::ScrollDown => 1,
            Action::Prev | Action::ScrollUp => -1,
            Action::PageDown | Action::HalfPageDown => 10,
            Action::PageUp | Action::HalfPageUp => -10,
            Action::First => i64::MIN / 2,
            Action::Last => i64::MAX / 2,
            _ => return,
        };
        typed.clear();
        let last = urls.len().saturating_sub(1) as i64;
        *selected = (*selected as i64 + delta).clamp(0, last.max(0)) as usize;
    }

    /// Closes the overlay and asks the runtime to open `url`.
    fn open_url(&mut self, url: String, fx: &mut Vec<Effect>) {
        self.overlays.pop();
        self.status
            .note(format!("opening {}", crate::domain::text::sanitize(&url)));
        fx.push(Effect::OpenUrl(url));
    }

    /// `o`: in the attachment list, opens the selected attachment; elsewhere, opens the only
    /// attachment of the message, or lists them when there are several. A part not cached
    /// yet is fetched first, then opened.
    pub(super) fn open_attachment(
        &mut self,
        selected: Option<usize>,
        sources: &dyn super::Sources,
        fx: &mut Vec<Effect>,
    ) {
        let count = self
            .reader
            .as_ref()
            .and_then(|r| r.rendered())
            .map_or(0, |m| m.attachments.len());
        let index = match (selected, count) {
            (Some(i), _) => i,
            (None, 1) => 0,
            (None, 0) => {
                self.status.note("no attachments");
                return;
            }
            (None, _) => {
                self.overlays.push(Overlay::Attachments {
                    selected: 0,
                    prompt: None,
                });
                return;
            }
        };
        let Some((name, mime)) = self.attachment_label(index) else {
            self.status.error("could not decode that attachment");
            return;
        };
        match self.attachment_data(index, sources) {
            Some(Ok(bytes)) => {
                self.status
                    .note(format!("opening {}", crate::domain::text::sanitize(&name)));
                fx.push(Effect::Open { name, mime, bytes });
            }
            Some(Err(section)) => {
                self.status.note(format!(
                    "fetching {} to open it…",
                    crate::domain::text::sanitize(&name)
                ));
                self.fetch_part(&section, AfterPart::Open { name, mime }, fx);
            }
            None => self.status.error("could not decode that attachment"),
        }
    }

    /// The attachment's file name and MIME type, as the reader lists it.
    fn attachment_label(&self, index: usize) -> Option<(String, String)> {
        let info = self.reader.as_ref()?.rendered()?.attachments.get(index)?;
        Some((info.filename.clone(), info.content_type.clone()))
    }

    /// `A`: every attachment of the open message to the download directory; those not
    /// cached yet are fetched first and saved as they arrive.
    pub(super) fn save_all_attachments(
        &mut self,
        sources: &dyn super::Sources,
        fx: &mut Vec<Effect>,
    ) {
        let Some(reader) = &self.reader else {
            self.status.note("open a message to save its attachments");
            return;
        };
        let count = reader.rendered().map_or(0, |m| m.attachments.len());
        if count == 0 {
            self.status.note("no attachments");
            return;
        }
        let dir = self
            .download_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        let mut files = Vec::new();
        let mut fetching = Vec::new();
        let mut failed = 0;
        for index in 0..count {
            let Some((name, _)) = self.attachment_label(index) else {
                failed += 1;
                continue;
            };
            match self.attachment_data(index, sources) {
                Some(Ok(bytes)) => files.push((name, bytes)),
                Some(Err(section)) => fetching.push((section, name)),
                None => failed += 1,
            }
        }
        for (section, name) in fetching.iter().cloned() {
            let then = AfterPart::SaveInto {
                dir: dir.clone(),
                name,
            };
            self.fetch_part(&section, then, fx);
        }
        if failed > 0 {
            self.status.error(format!(
                "{failed} of {count} attachments could not be decoded"
            ));
        } else {
            let noun = if count == 1 {
                "attachment"
            } else {
                "attachments"
            };
            let waiting = if fetching.is_empty() {
                String::new()
            } else {
                format!(" ({} fetched first)", fetching.len())
            };
            self.status.note(format!("saving {count} {noun}{waiting}"));
        }
        if !files.is_empty() {
            fx.push(Effect::SaveAll { dir, files });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::*;

    const LINKS_BODY: &str = "From: Ada Lovelace <ada@example.com>\r\n\
To: me@example.com\r\n\
Subject: links\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Docs at https://docs.example.com/engine. Mail mailto:ada@example.com or see\r\n\
(http://old.example.org/a_(b)) and https://docs.example.com/engine again.\r\n\
Evil: https://evil.example/\x1b]8;;https://phish.example\x07x\r\n";

    /// uid 2 of the fixture, with `body`, open in the reader.
    fn open_with(body: &str) -> (FakeSource, Model) {
        let mut s = source();
        let id = inbox(&s);
        s.set_body(id, 2, body);
        let mut m = model(&s, (100, 30));
        keys(&mut m, &s, "j Enter");
        assert_eq!(m.reader.as_ref().map(|r| r.uid), Some(2));
        (s, m)
    }

    fn listed(m: &Model) -> Vec<String> {
        match m.overlays.last() {
            Some(Overlay::Links { urls, .. }) => urls.clone(),
            other => panic!("no links overlay: {other:?}"),
        }
    }

    #[test]
    fn l_lists_the_links_and_a_number_opens_one() {
        let (s, mut m) = open_with(LINKS_BODY);
        keys(&mut m, &s, "L");
        // The escape sequence is gone before the links are found: no phish.example.
        assert_eq!(
            listed(&m),
            [
                "https://docs.example.com/engine",
                "mailto:ada@example.com",
                "http://old.example.org/a_(b)",
                "https://evil.example/x",
            ]
        );
        let fx = keys(&mut m, &s, "3");
        assert_eq!(fx, [Effect::OpenUrl("http://old.example.org/a_(b)".into())]);
        assert!(m.overlays.is_empty(), "opening closes the list");
        assert_eq!(
            m.status.note.as_deref(),
            Some("opening http://old.example.org/a_(b)")
        );
        // Enter opens the selection; j moves it; a number out of range says so.
        keys(&mut m, &s, "L j");
        assert_eq!(
            keys(&mut m, &s, "Enter"),
            [Effect::OpenUrl("mailto:ada@example.com".into())]
        );
        keys(&mut m, &s, "L");
        assert!(keys(&mut m, &s, "9").is_empty());
        assert_eq!(m.status.error.as_deref(), Some("no link [9]; there are 4"));
        assert!(keys(&mut m, &s, "q").is_empty());
        assert!(m.overlays.is_empty());
    }

    #[test]
    fn with_ten_or_more_links_a_first_digit_waits_for_the_next() {
        let mut body = String::from(
            "From: a@example.com\r\nSubject: many\r\nContent-Type: text/plain\r\n\r\n",
        );
        for i in 1..=12 {
            body.push_str(&format!("https://example.com/{i}\r\n"));
        }
        let (s, mut m) = open_with(&body);
        keys(&mut m, &s, "L");
        assert_eq!(listed(&m).len(), 12);
        assert!(keys(&mut m, &s, "1").is_empty(), "1 may become 12");
        assert_eq!(
            keys(&mut m, &s, "2"),
            [Effect::OpenUrl("https://example.com/12".into())]
        );
        keys(&mut m, &s, "L 1");
        assert_eq!(
            keys(&mut m, &s, "Enter"),
            [Effect::OpenUrl("https://example.com/1".into())]
        );
        // Backspace takes a digit back.
        keys(&mut m, &s, "L 1 Backspace 5");
        assert!(m.overlays.is_empty());
    }

    #[test]
    fn links_of_an_html_message_come_from_its_text_rendering() {
        let html = "From: a@example.com\r\nSubject: h\r\nContent-Type: text/html\r\n\r\n\
            <p>Read <a href=\"https://news.example.com/story?id=7\">the story</a>,\
            not <a href=\"javascript:alert(1)\">this</a>.</p>\r\n";
        let (s, mut m) = open_with(html);
        keys(&mut m, &s, "L");
        assert_eq!(listed(&m), ["https://news.example.com/story?id=7"]);
    }

    #[test]
    fn a_url_longer_than_the_reader_is_wide_is_listed_whole() {
        let long = format!("https://track.example.com/c/{}", "a1b2c3d4".repeat(20));
        let plain = format!(
            "From: a@example.com\r\nSubject: p\r\nContent-Type: text/plain\r\n\r\n\
             > Quoted: {long} end\r\n"
        );
        let html = format!(
            "From: a@example.com\r\nSubject: h\r\nContent-Type: text/html\r\n\r\n\
             <p>Go to <a href=\"{long}\">{long}</a> now</p>\r\n"
        );
        for body in [plain, html] {
            let (s, mut m) = open_with(&body);
            assert!(m.reader.as_ref().unwrap().width < 100, "the URL is wrapped");
            keys(&mut m, &s, "L");
            assert_eq!(listed(&m), std::slice::from_ref(&long), "{body}");
        }
    }

    #[test]
    fn no_links_says_so() {
        let s = source();
        let mut m = model(&s, (100, 30));
        keys(&mut m, &s, "L");
        assert!(m.overlays.is_empty());
        assert_eq!(
            m.status.note.as_deref(),
            Some("open a message to list its links")
        );
    }

    #[test]
    fn o_opens_the_selected_attachment_and_a_saves_them_all() {
        let s = source();
        let mut o = options((100, 30));
        o.download_dir = Some("/home/me/Downloads".into());
        let mut m = Model::new(o, crate::keymap::Keymap::default(), &s);
        // uid 5 (patch v3, with v3.patch attached) is the third row.
        keys(&mut m, &s, "j j Enter v");
        let fx = keys(&mut m, &s, "o");
        let [Effect::Open { name, mime, bytes }] = &fx[..] else {
            panic!("{fx:?}");
        };
        assert_eq!(name, "v3.patch");
        assert!(mime.starts_with("text/x-diff"), "{mime}");
        assert_eq!(bytes, b"--- a/x\r\n+++ b/x");
        // Outside the list, `o` opens the only attachment straight away.
        keys(&mut m, &s, "q");
        assert!(m.overlays.is_empty());
        let fx = keys(&mut m, &s, "o");
        assert!(matches!(&fx[..], [Effect::Open { name, .. }] if name == "v3.patch"));
        let fx = keys(&mut m, &s, "A");
        let [Effect::SaveAll { dir, files }] = &fx[..] else {
            panic!("{fx:?}");
        };
        assert_eq!(dir, &std::path::PathBuf::from("/home/me/Downloads"));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "v3.patch");
        assert_eq!(m.status.note.as_deref(), Some("saving 1 attachment"));
    }
}
