//! NOTIFY (RFC 5465): the server tells of changes in folders other than the selected one
//! (STATUS) and of folders made, renamed, deleted or (un)subscribed (LIST), so another
//! device's changes show without polling. imap-codec has no NOTIFY command, so it goes out
//! as a raw line (`Session::enqueue_raw`). What comes back is plain STATUS and LIST data,
//! except a rename's `("OLDNAME" (...))` extension, which the codec cannot parse
//! (`salvage_list`).

use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::response::{Data, Response};
use imap_codec::{ResponseCodec, decode::Decoder};

use super::types::{StatusEntry, Update};

/// The selected folder keeps the usual rules (expunges only where IMAP allows them);
/// every personal folder reports new, expunged and re-flagged mail as STATUS, and the folder
/// list reports names and subscriptions as LIST.
pub const NOTIFY_SET: &str = "NOTIFY SET \
     (selected-delayed (MessageNew MessageExpunge FlagChange)) \
     (personal (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange))";

/// What NOTIFY pushes said changed, kept until the engine takes it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Notified {
    /// The latest pushed STATUS of each folder, in the order they first changed.
    pub statuses: Vec<StatusEntry>,
    /// A folder was made, renamed, deleted or (un)subscribed.
    pub folder_list: bool,
}

impl Notified {
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty() && !self.folder_list
    }

    /// Keeps `update` if it is a push and not part of the answer to `answering`.
    pub(crate) fn note(&mut self, update: &Update, answering: &Answering) {
        match update {
            Update::Status(status) => {
                if matches!(answering, Answering::Status(name) if *name == status.name) {
                    return;
                }
                match self.statuses.iter_mut().find(|s| s.name == status.name) {
                    Some(kept) => *kept = status.clone(),
                    None => self.statuses.push(status.clone()),
                }
            }
            Update::List(_) if !matches!(answering, Answering::List) => self.folder_list = true,
            _ => {}
        }
    }
}

/// A connection's NOTIFY state: whether it is on, and what was pushed.
#[derive(Debug, Default)]
pub(crate) struct Pushes {
    pub(crate) active: bool,
    /// Set by a STATUS or LIST just before it runs; taken when it starts.
    pub(crate) answering: Answering,
    pub(crate) notified: Notified,
}

impl Pushes {
    /// An untagged response that came during a command.
    pub(crate) fn note(&mut self, update: &Update, answering: &Answering) {
        if self.active {
            self.notified.note(update, answering);
        }
    }

    /// An untagged response that came during IDLE: all of it is pushed.
    pub(crate) fn note_pushed(&mut self, update: &Update) {
        self.note(update, &Answering::Other);
    }
}

/// The command whose own STATUS or LIST answer is arriving (those are no pushes).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum Answering {
    #[default]
    Other,
    Status(String),
    List,
}

/// A pushed LIST with extended data (`* LIST () "/" new ("OLDNAME" ("old"))`), read as the
/// plain LIST before that data: the codec has no LIST-EXTENDED. None for anything else.
pub(crate) fn salvage_list(bytes: &[u8]) -> Option<Data<'static>> {
    const PREFIX: &[u8] = b"* LIST ";
    if bytes.len() < PREFIX.len() || !bytes[..PREFIX.len()].eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let line = bytes.strip_suffix(b"\r\n").unwrap_or(bytes);
    // The extension is the last parenthesized part: try each " (" from the end.
    let cuts = line
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| *pair == b" (")
        .map(|(at, _)| at)
        .filter(|&at| at > PREFIX.len());
    for at in cuts.collect::<Vec<_>>().into_iter().rev() {
        let mut plain = line[..at].to_vec();
        plain.extend_from_slice(b"\r\n");
        if let Ok((rest, Response::Data(data @ Data::List { .. }))) =
            ResponseCodec::default().decode(&plain)
            && rest.is_empty()
        {
            return Some(data.into_static());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, messages: u32) -> Update {
        Update::Status(StatusEntry {
            name: name.to_string(),
            messages: Some(messages),
            ..StatusEntry::default()
        })
    }

    #[test]
    fn pushes_are_kept_latest_per_folder_and_answers_are_not() {
        let mut notified = Notified::default();
        notified.note(&status("Archive", 1), &Answering::Other);
        notified.note(&status("Archive", 2), &Answering::Other);
        notified.note(&status("Sent", 5), &Answering::Status("Sent".into()));
        assert_eq!(notified.statuses.len(), 1);
        assert_eq!(notified.statuses[0].messages, Some(2));
        assert!(!notified.folder_list);
        notified.note(&status("Drafts", 1), &Answering::Status("Sent".into()));
        assert_eq!(notified.statuses.len(), 2);
    }

    #[test]
    fn a_list_push_marks_the_folder_list_but_a_list_answer_does_not() {
        let entry = Update::List(super::super::types::ListEntry {
            name: "New".into(),
            wire_name: b"New".to_vec(),
            delimiter: Some('/'),
            attributes: Vec::new(),
        });
        let mut notified = Notified::default();
        notified.note(&entry, &Answering::List);
        assert!(notified.is_empty());
        notified.note(&entry, &Answering::Other);
        assert!(notified.folder_list);
    }

    #[test]
    fn notify_goes_out_raw_and_its_pushes_come_back_typed() {
        use super::super::session::{Session, SessionEvent, Step};
        let mut session = Session::without_greeting();
        let tag = session.enqueue_raw(NOTIFY_SET).unwrap();
        match session.step().unwrap() {
            Step::Write(bytes) => assert_eq!(bytes, format!("{tag} {NOTIFY_SET}\r\n").into_bytes()),
            other => panic!("{other:?}"),
        }
        assert!(session.enqueue_raw("NOOP").is_err(), "one at a time");
        session.feed(
            format!("* LIST () \"/\" Bar (\"OLDNAME\" (Foo))\r\n{tag} OK done\r\n").as_bytes(),
        );
        match session.step().unwrap() {
            Step::Event(SessionEvent::Update(Update::List(entry))) => assert_eq!(entry.name, "Bar"),
            other => panic!("{other:?}"),
        }
        match session.step().unwrap() {
            Step::Event(SessionEvent::Done { tag: done, .. }) => assert_eq!(done, tag),
            other => panic!("{other:?}"),
        }
        assert!(
            session.problems().is_empty(),
            "a rename push is no unparsed response"
        );
        assert_eq!(session.in_flight(), 0);
    }

    #[test]
    fn a_rename_push_is_read_as_the_new_name() {
        let data = salvage_list(b"* LIST () \"/\" \"Bar (x)\" (\"OLDNAME\" (\"Foo\"))\r\n");
        match data {
            Some(Data::List { mailbox, .. }) => {
                assert!(format!("{mailbox:?}").contains("Bar (x)"), "{mailbox:?}");
            }
            other => panic!("{other:?}"),
        }
        let atoms = salvage_list(b"* LIST () \"/\" Bar (\"OLDNAME\" (Foo))\r\n");
        assert!(matches!(atoms, Some(Data::List { .. })), "{atoms:?}");
        assert!(salvage_list(b"* STATUS x (MESSAGES 1) (junk)\r\n").is_none());
        assert!(salvage_list(b"* LIST (\\X) \"/\"\r\n").is_none());
    }
}
