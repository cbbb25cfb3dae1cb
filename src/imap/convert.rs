//! Turns imap-types responses into tern's owned [`Update`]s. Pure: no session state.

use imap_codec::imap_types::{
    core::{IString, NString, NString8},
    extensions::uidplus::{UidElement, UidSet as WireUidSet},
    fetch::{MessageDataItem, Section},
    flag::{FlagFetch, FlagPerm},
    response::{Code as WireCode, Data, StatusBody, StatusKind as WireStatusKind},
    sequence::{SeqOrUid, Sequence, SequenceSet},
    status::StatusDataItem,
};

use super::mutf7;
use super::types::{
    Address, Code, Envelope, FetchData, FetchedSection, ListEntry, StatusEntry, StatusInfo,
    StatusKind, Update, unparsed_fetch_uid,
};
use crate::domain::rfc2047::{bytes_to_text, decode_header_text};
use crate::domain::uidset::UidSet;

pub fn data_to_update(data: Data<'_>) -> Option<Update> {
    let update = match data {
        Data::Capability(caps) => {
            Update::Capabilities(caps.as_ref().iter().map(|c| c.to_string()).collect())
        }
        Data::List {
            items,
            delimiter,
            mailbox,
        }
        | Data::Lsub {
            items,
            delimiter,
            mailbox,
        } => {
            let wire_name = mailbox_bytes(&mailbox);
            Update::List(ListEntry {
                name: mutf7::decode(&wire_name),
                wire_name,
                delimiter: delimiter.map(|d| d.inner()),
                attributes: items.iter().map(|a| a.to_string()).collect(),
            })
        }
        Data::Status { mailbox, items } => {
            let mut entry = StatusEntry {
                name: mutf7::decode(&mailbox_bytes(&mailbox)),
                ..StatusEntry::default()
            };
            for item in items.iter() {
                match item {
                    StatusDataItem::Messages(n) => entry.messages = Some(*n),
                    StatusDataItem::Unseen(n) => entry.unseen = Some(*n),
                    StatusDataItem::UidNext(n) => entry.uid_next = Some(n.get()),
                    StatusDataItem::UidValidity(n) => entry.uid_validity = Some(n.get()),
                    StatusDataItem::HighestModSeq(n) => entry.highest_modseq = Some(*n),
                    StatusDataItem::Recent(n) => entry.recent = Some(*n),
                    _ => {}
                }
            }
            Update::Status(entry)
        }
        Data::Search(ids, modseq) => Update::Search {
            ids: ids.iter().map(|n| n.get()).collect(),
            modseq: modseq.map(|m| m.get()),
        },
        Data::Sort(ids, modseq) => Update::Search {
            ids: ids.iter().map(|n| n.get()).collect(),
            modseq: modseq.map(|m| m.get()),
        },
        Data::Flags(flags) => Update::Flags(flags.iter().map(|f| f.to_string()).collect()),
        Data::Exists(n) => Update::Exists(n),
        Data::Recent(n) => Update::Recent(n),
        Data::Expunge(seq) => Update::Expunge {
            seq: seq.get(),
            uid: None,
        },
        Data::Fetch { seq, items } => Update::Fetch(Box::new(fetch_data(seq.get(), items))),
        Data::Enabled { capabilities } => {
            Update::Enabled(capabilities.iter().map(|c| c.to_string()).collect())
        }
        Data::Id { parameters } => Update::Id(
            parameters
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (istring_text(&k), nstring_text(&v)))
                .collect(),
        ),
        Data::Vanished {
            earlier,
            known_uids,
        } => Update::Vanished {
            earlier,
            uids: sequence_set_to_uids(&known_uids),
        },
        _ => return None,
    };
    Some(update)
}

fn fetch_data(
    seq: u32,
    items: imap_codec::imap_types::core::Vec1<MessageDataItem<'_>>,
) -> FetchData {
    let mut out = FetchData {
        seq,
        ..FetchData::default()
    };
    for item in items.into_inner() {
        match item {
            MessageDataItem::Uid(uid) => out.uid = Some(uid.get()),
            MessageDataItem::Flags(flags) => {
                out.flags = Some(
                    flags
                        .iter()
                        .filter_map(|f| match f {
                            FlagFetch::Flag(flag) => Some(flag.to_string()),
                            FlagFetch::Recent => None,
                        })
                        .collect(),
                );
            }
            MessageDataItem::ModSeq(m) => out.modseq = Some(m.get()),
            MessageDataItem::InternalDate(date) => {
                out.internal_date = Some(date.as_ref().timestamp())
            }
            MessageDataItem::Rfc822Size(size) => out.size = Some(size),
            MessageDataItem::Envelope(env) => {
                out.envelope = Some(Envelope {
                    date: nstring_text(&env.date),
                    subject: nstring_bytes(&env.subject).map(|s| decode_header_text(&s)),
                    from: addresses(&env.from),
                    to: addresses(&env.to),
                    cc: addresses(&env.cc),
                    reply_to: addresses(&env.reply_to),
                    in_reply_to: nstring_text(&env.in_reply_to),
                    message_id: nstring_text(&env.message_id),
                });
            }
            MessageDataItem::BodyExt {
                section,
                data,
                origin,
            } => {
                let bytes = nstring_bytes(&data).unwrap_or_default();
                match section {
                    Some(Section::Header(None)) => {
                        out.sections.push(FetchedSection {
                            section: "HEADER".into(),
                            origin,
                            binary: false,
                            data: bytes.clone(),
                        });
                        out.header = Some(bytes);
                    }
                    Some(
                        Section::Header(_)
                        | Section::HeaderFields(..)
                        | Section::HeaderFieldsNot(..),
                    ) => out.header = Some(bytes),
                    Some(Section::Part(part)) => out.sections.push(FetchedSection {
                        section: part_path(part.0.as_ref()),
                        origin,
                        binary: false,
                        data: bytes,
                    }),
                    Some(Section::Mime(part)) => out.sections.push(FetchedSection {
                        section: format!("{}.MIME", part_path(part.0.as_ref())),
                        origin,
                        binary: false,
                        data: bytes,
                    }),
                    _ => out.body = Some(bytes),
                }
            }
            MessageDataItem::Binary { section, value } => {
                let data = match value {
                    NString8::NString(n) => nstring_bytes(&n).unwrap_or_default(),
                    NString8::Literal8(l) => l.data.as_ref().to_vec(),
                };
                out.sections.push(FetchedSection {
                    section: part_path(&section),
                    origin: None,
                    binary: true,
                    data,
                });
            }
            MessageDataItem::BodyStructure(structure) | MessageDataItem::Body(structure) => {
                out.structure = Some(super::structure::convert(&structure));
            }
            MessageDataItem::Rfc822(data) => out.body = nstring_bytes(&data),
            MessageDataItem::Rfc822Header(data) => out.header = nstring_bytes(&data),
            _ => {}
        }
    }
    out
}

/// What can still be read from the first bytes of a FETCH the codec rejected: its UID, and
/// FLAGS and INTERNALDATE when they come before any literal (whose text is the sender's).
pub fn salvage_fetch(preview: &str) -> Option<FetchData> {
    let uid = unparsed_fetch_uid(preview)?;
    let head = preview.split('{').next().unwrap_or_default();
    let flags = item_value(head, "FLAGS (").and_then(|rest| {
        let inner = rest.split(')').next().filter(|_| rest.contains(')'))?;
        Some(inner.split_whitespace().map(str::to_string).collect())
    });
    let internal_date = item_value(head, "INTERNALDATE \"").and_then(|rest| {
        let date = rest.split('"').next()?.trim();
        chrono::DateTime::parse_from_str(date, "%d-%b-%Y %H:%M:%S %z")
            .ok()
            .map(|d| d.timestamp())
    });
    Some(FetchData {
        uid: Some(uid),
        flags,
        internal_date,
        ..FetchData::default()
    })
}

/// The text after `name` where it starts an item (after a space or a parenthesis).
fn item_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    let upper = head.to_ascii_uppercase();
    let mut from = 0;
    while let Some(found) = upper[from..].find(name) {
        let at = from + found;
        if at > 0 && matches!(upper.as_bytes()[at - 1], b' ' | b'(') {
            return head.get(at + name.len()..);
        }
        from = at + name.len();
    }
    None
}

fn addresses(list: &[imap_codec::imap_types::envelope::Address<'_>]) -> Vec<Address> {
    list.iter()
        .filter_map(|a| {
            // A NIL host marks RFC 2822 group syntax; skip the group markers.
            let host = nstring_text(&a.host)?;
            let mailbox = nstring_text(&a.mailbox).unwrap_or_default();
            Some(Address {
                name: nstring_bytes(&a.name)
                    .map(|n| decode_header_text(&n))
                    .filter(|n| !n.is_empty()),
                email: format!("{mailbox}@{host}"),
            })
        })
        .collect()
}

fn part_path(numbers: &[std::num::NonZeroU32]) -> String {
    numbers
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

fn nstring_bytes(value: &NString<'_>) -> Option<Vec<u8>> {
    value.0.as_ref().map(|s| s.as_ref().to_vec())
}

fn nstring_text(value: &NString<'_>) -> Option<String> {
    value.0.as_ref().map(|s| bytes_to_text(s.as_ref()))
}

fn istring_text(value: &IString<'_>) -> String {
    bytes_to_text(value.as_ref())
}

pub fn mailbox_bytes(mailbox: &imap_codec::imap_types::mailbox::Mailbox<'_>) -> Vec<u8> {
    use imap_codec::imap_types::mailbox::Mailbox;
    match mailbox {
        Mailbox::Inbox => b"INBOX".to_vec(),
        Mailbox::Other(other) => other.as_ref().to_vec(),
    }
}

pub fn sequence_set_to_uids(set: &SequenceSet) -> UidSet {
    let value = |s: &SeqOrUid| match s {
        SeqOrUid::Value(v) => v.get(),
        SeqOrUid::Asterisk => u32::MAX,
    };
    UidSet::from_ranges(set.0.as_ref().iter().map(|seq| match seq {
        Sequence::Single(s) => (value(s), value(s)),
        Sequence::Range(a, b) => (value(a), value(b)),
    }))
}

fn wire_uid_set(set: &WireUidSet) -> UidSet {
    // Sorting keeps COPYUID pairs aligned: servers copy in ascending UID order, so both
    // sets ascend together.
    UidSet::from_ranges(set.0.as_ref().iter().map(|e| match e {
        UidElement::Single(v) => (v.get(), v.get()),
        UidElement::Range(a, b) => (a.get(), b.get()),
    }))
}

pub fn status_info(body: &StatusBody<'_>) -> StatusInfo {
    StatusInfo {
        kind: match body.kind {
            WireStatusKind::Ok => StatusKind::Ok,
            WireStatusKind::No => StatusKind::No,
            WireStatusKind::Bad => StatusKind::Bad,
        },
        code: body.code.as_ref().map(code),
        text: body.text.to_string(),
    }
}

pub fn code(code: &WireCode<'_>) -> Code {
    match code {
        WireCode::Alert => Code::Alert,
        WireCode::UidValidity(v) => Code::UidValidity(v.get()),
        WireCode::UidNext(v) => Code::UidNext(v.get()),
        WireCode::Unseen(v) => Code::Unseen(v.get()),
        WireCode::HighestModSeq(v) => Code::HighestModSeq(v.get()),
        WireCode::NoModSeq => Code::NoModSeq,
        WireCode::Closed => Code::Closed,
        WireCode::ReadOnly => Code::ReadOnly,
        WireCode::ReadWrite => Code::ReadWrite,
        WireCode::TryCreate => Code::TryCreate,
        WireCode::CompressionActive => Code::CompressionActive,
        WireCode::PermanentFlags(flags) => Code::PermanentFlags(
            flags
                .iter()
                .map(|f| match f {
                    FlagPerm::Flag(flag) => flag.to_string(),
                    FlagPerm::Asterisk => "\\*".to_string(),
                })
                .collect(),
        ),
        WireCode::Capability(caps) => {
            Code::Capability(caps.as_ref().iter().map(|c| c.to_string()).collect())
        }
        WireCode::AppendUid { uid_validity, uid } => Code::AppendUid {
            uid_validity: uid_validity.get(),
            uid: uid.get(),
        },
        WireCode::CopyUid {
            uid_validity,
            source,
            destination,
        } => Code::CopyUid {
            uid_validity: uid_validity.get(),
            source: wire_uid_set(source),
            destination: wire_uid_set(destination),
        },
        WireCode::Modified(set) => Code::Modified(sequence_set_to_uids(set)),
        other => Code::Other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_fetch_still_gives_its_uid_flags_and_internal_date() {
        let preview = "* 2 FETCH (UID 2 FLAGS (\\Seen \\Flagged) \
                       INTERNALDATE \" 2-Dec-2026 08:56:18 +0100\" RFC822.SIZE 40 \
                       BODY[HEADER.FIELDS (FROM SUBJECT)] (40}..Subject: x FLAGS (\\Deleted)";
        let fetch = salvage_fetch(preview).unwrap();
        assert_eq!(fetch.uid, Some(2));
        assert_eq!(
            fetch.flags,
            Some(vec!["\\Seen".to_string(), "\\Flagged".to_string()])
        );
        assert_eq!(fetch.internal_date, Some(1_796_198_178));
    }

    #[test]
    fn only_what_precedes_a_literal_is_trusted() {
        let fetch =
            salvage_fetch("* 9 FETCH (UID 9 BODY[] {5}..FLAGS (\\Seen) INTERNALDATE").unwrap();
        assert_eq!(fetch.uid, Some(9));
        assert_eq!(fetch.flags, None);
        assert_eq!(fetch.internal_date, None);
        assert!(salvage_fetch("* 9 FETCH (FLAGS (\\Seen))").is_none());
        // A cut-off list is not guessed at.
        assert_eq!(
            salvage_fetch("* 1 FETCH (UID 1 FLAGS (\\Se").unwrap().flags,
            None
        );
    }
}
