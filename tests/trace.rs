//! Recorded-looking IMAP traces fed through the sans-I/O [`Session`], byte by byte where it
//! matters: what the server says must come out as the right events, in the server's order,
//! whatever the chunking of the input, and hostile input must neither hang nor panic.

// The harness helpers are not `#[test]` functions, so clippy's in-test allowances miss them.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use imap_codec::imap_types::{
    auth::AuthMechanism,
    command::CommandBody,
    fetch::MessageDataItemName,
    flag::{Flag, StoreResponse, StoreType},
};
use tern::domain::uidset::UidSet;
use tern::imap::session::{Session, SessionEvent, Step};
use tern::imap::{Address, Code, ErrorKind, FetchData, ImapError, StatusInfo, StatusKind, Update};

// ----- harness -----

/// Every way the tests cut the server's bytes: whole, one byte at a time, odd-sized pieces
/// that split CRLFs and literal announcements, and a TCP-segment-like size.
const CHUNKINGS: [usize; 4] = [usize::MAX, 1, 7, 64];

const GREETING: &[u8] = b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE \
LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n";

#[derive(Debug, Default)]
struct Out {
    events: Vec<SessionEvent>,
    written: Vec<u8>,
}

impl Out {
    fn updates(&self) -> Vec<Update> {
        self.events
            .iter()
            .filter_map(|e| match e {
                SessionEvent::Update(u) => Some(u.clone()),
                _ => None,
            })
            .collect()
    }

    fn done(&self, tag: &str) -> StatusInfo {
        let found: Vec<&StatusInfo> = self
            .events
            .iter()
            .filter_map(|e| match e {
                SessionEvent::Done { tag: t, status } if t == tag => Some(status),
                _ => None,
            })
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one Done for {tag}: {:#?}",
            self.events
        );
        found[0].clone()
    }

    fn has_done(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, SessionEvent::Done { .. }))
    }

    fn fetches(&self) -> Vec<FetchData> {
        self.updates()
            .into_iter()
            .filter_map(|u| match u {
                Update::Fetch(f) => Some(*f),
                _ => None,
            })
            .collect()
    }

    fn written_text(&self) -> String {
        String::from_utf8_lossy(&self.written).into_owned()
    }
}

/// Runs the session until it needs input, collecting events and output.
fn drain(session: &mut Session, out: &mut Out) -> Result<(), ImapError> {
    // A generous bound: a session that keeps producing without input is looping.
    for _ in 0..100_000 {
        match session.step()? {
            Step::Event(event) => out.events.push(event),
            Step::Write(bytes) => out.written.extend(bytes),
            Step::Read => return Ok(()),
        }
    }
    panic!("session never asked for more input");
}

/// Feeds `input` in pieces of `chunk` bytes, draining after each.
fn try_feed_chunked(session: &mut Session, input: &[u8], chunk: usize) -> Result<Out, ImapError> {
    let mut out = Out::default();
    drain(session, &mut out)?;
    for piece in input.chunks(chunk.max(1)) {
        session.feed(piece);
        drain(session, &mut out)?;
    }
    Ok(out)
}

fn feed_chunked(session: &mut Session, input: &[u8], chunk: usize) -> Out {
    match try_feed_chunked(session, input, chunk) {
        Ok(out) => out,
        Err(e) => panic!("session failed ({:?}): {}", e.kind, e.message),
    }
}

fn feed(session: &mut Session, input: &[u8]) -> Out {
    feed_chunked(session, input, usize::MAX)
}

/// Runs the pending output only (after enqueue, idle_done, set_auth_response...).
fn flush(session: &mut Session) -> Out {
    feed(session, b"")
}

fn greeted() -> Session {
    let mut session = Session::new();
    let out = feed(&mut session, GREETING);
    assert!(matches!(out.events[..], [SessionEvent::Greeting { .. }]));
    session
}

/// Enqueues a command and returns its tag and the bytes written for it.
fn send(session: &mut Session, body: CommandBody<'static>) -> (String, String) {
    let tag = session.enqueue(body).expect("enqueue");
    let out = flush(session);
    assert!(out.events.is_empty(), "{:?}", out.events);
    (tag, out.written_text())
}

/// A session with INBOX selected and the given complete sequence map.
fn selected(map: Vec<u32>) -> Session {
    let mut session = greeted();
    session.begin_select();
    session.set_seq_map(map);
    session
}

fn noop(session: &mut Session) -> String {
    send(session, CommandBody::Noop).0
}

fn uid_fetch_flags() -> CommandBody<'static> {
    CommandBody::fetch(
        "1:*",
        vec![MessageDataItemName::Uid, MessageDataItemName::Flags],
        true,
    )
    .expect("fetch command")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn uids(ranges: &[(u32, u32)]) -> UidSet {
    UidSet::from_ranges(ranges.iter().copied())
}

// ----- 1. greeting -----

#[test]
fn greeting_capabilities_are_recorded() {
    for chunk in CHUNKINGS {
        let mut session = Session::new();
        let out = feed_chunked(&mut session, GREETING, chunk);
        assert_eq!(
            out.events,
            vec![SessionEvent::Greeting {
                preauth: false,
                text: "Dovecot ready.".into()
            }]
        );
        assert!(session.has_capability("IMAP4rev1"));
        assert!(session.has_capability("idle"));
        assert!(session.has_capability("AUTH=PLAIN"));
        assert!(session.has_capability("LITERAL+"));
        assert!(!session.has_capability("QRESYNC"));
        assert!(out.written.is_empty());
    }
}

#[test]
fn preauth_greeting() {
    let mut session = Session::new();
    let out = feed(
        &mut session,
        b"* PREAUTH [CAPABILITY IMAP4rev1 CONDSTORE] Logged in as joe\r\n",
    );
    assert_eq!(
        out.events,
        vec![SessionEvent::Greeting {
            preauth: true,
            text: "Logged in as joe".into()
        }]
    );
    assert!(session.has_capability("CONDSTORE"));
}

#[test]
fn bye_greeting_is_a_bye_error() {
    for chunk in CHUNKINGS {
        let mut session = Session::new();
        let err = try_feed_chunked(
            &mut session,
            b"* BYE Too many connections from your IP\r\n",
            chunk,
        )
        .expect_err("BYE greeting must fail");
        assert_eq!(err.kind, ErrorKind::Bye);
        assert!(
            err.message.contains("Too many connections"),
            "{}",
            err.message
        );
    }
}

#[test]
fn commands_wait_for_the_greeting() {
    let mut session = Session::new();
    let tag = session.enqueue(CommandBody::Capability).expect("enqueue");
    assert_eq!(tag, "t1");
    let out = flush(&mut session);
    assert!(
        out.written.is_empty(),
        "sent before greeting: {}",
        out.written_text()
    );
    let out = feed(&mut session, b"* OK ready\r\n");
    assert_eq!(out.written_text(), "t1 CAPABILITY\r\n");
    let out = feed(
        &mut session,
        b"* CAPABILITY IMAP4rev1 MOVE UIDPLUS\r\nt1 OK Capability completed.\r\n",
    );
    assert_eq!(
        out.updates(),
        vec![Update::Capabilities(strings(&[
            "IMAP4REV1",
            "MOVE",
            "UIDPLUS"
        ]))]
    );
    assert_eq!(out.done("t1").kind, StatusKind::Ok);
    assert!(session.has_capability("move"));
    assert_eq!(session.in_flight(), 0);
}

#[test]
fn starttls_continues_tags_but_not_capabilities() {
    let mut plain = greeted();
    let (tag, wire) = send(&mut plain, CommandBody::StartTLS);
    assert_eq!(wire, "t1 STARTTLS\r\n");
    let out = feed(&mut plain, b"t1 OK Begin TLS negotiation now.\r\n");
    assert_eq!(out.done(&tag).kind, StatusKind::Ok);
    let mut tls = Session::without_greeting();
    tls.continue_from(plain);
    assert!(
        !tls.has_capability("IMAP4rev1"),
        "pre-TLS capabilities must be forgotten"
    );
    let (tag, wire) = send(&mut tls, CommandBody::Capability);
    assert_eq!(tag, "t2");
    assert_eq!(wire, "t2 CAPABILITY\r\n");
    let out = feed(
        &mut tls,
        b"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2\r\nt2 OK done\r\n",
    );
    assert_eq!(out.done("t2").kind, StatusKind::Ok);
    assert!(tls.has_capability("AUTH=XOAUTH2"));
}

#[test]
fn list_and_id_responses() {
    let mut session = greeted();
    let out = feed(
        &mut session,
        b"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n\
* LIST (\\HasChildren) \"/\" INBOX\r\n\
* LIST (\\Noselect \\HasChildren) \".\" Entw&APw-rfe\r\n\
* LIST (\\NonExistent) NIL {3}\r\na\"b\r\n\
* ID (\"name\" \"Dovecot\" \"version\" NIL)\r\n\
* ID NIL\r\n",
    );
    let updates = out.updates();
    assert_eq!(updates.len(), 6, "{updates:#?}");
    let lists: Vec<tern::imap::ListEntry> = updates
        .iter()
        .filter_map(|u| match u {
            Update::List(l) => Some(l.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(lists[0].name, "Sent Items");
    assert_eq!(lists[0].role(), Some(tern::imap::Role::Sent));
    assert_eq!(lists[0].delimiter, Some('/'));
    assert_eq!(lists[1].role(), Some(tern::imap::Role::Inbox));
    assert_eq!(lists[2].name, "Entwürfe");
    assert_eq!(lists[2].wire_name, b"Entw&APw-rfe");
    assert!(!lists[2].selectable());
    assert_eq!(lists[3].name, "a\"b");
    assert_eq!(lists[3].delimiter, None);
    assert_eq!(
        updates[4],
        Update::Id(vec![
            ("name".into(), Some("Dovecot".into())),
            ("version".into(), None)
        ])
    );
    assert_eq!(updates[5], Update::Id(vec![]));
}

// ----- 2. SELECT -----

const SELECT_REPLY: &[u8] = b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n\
* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted.\r\n\
* 172 EXISTS\r\n\
* 1 RECENT\r\n\
* OK [UNSEEN 12] Message 12 is first unseen\r\n\
* OK [UIDVALIDITY 3857529045] UIDs valid\r\n\
* OK [UIDNEXT 4392] Predicted next UID\r\n\
* OK [HIGHESTMODSEQ 715194045007] Highest\r\n\
t1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n";

fn info(code: Code, text: &str) -> Update {
    Update::Info(StatusInfo {
        kind: StatusKind::Ok,
        code: Some(code),
        text: text.into(),
    })
}

#[test]
fn select_sequence_arrives_in_order_with_codes() {
    for chunk in CHUNKINGS {
        let mut session = greeted();
        let (tag, wire) = send(&mut session, CommandBody::select("INBOX").expect("select"));
        assert_eq!(tag, "t1");
        assert_eq!(wire, "t1 SELECT INBOX\r\n");
        session.begin_select();
        let out = feed_chunked(&mut session, SELECT_REPLY, chunk);
        let flags = strings(&[
            "\\Answered",
            "\\Flagged",
            "\\Deleted",
            "\\Seen",
            "\\Draft",
            "$Forwarded",
        ]);
        let mut permanent = flags.clone();
        permanent.push("\\*".into());
        assert_eq!(
            out.updates(),
            vec![
                Update::Flags(flags),
                info(Code::PermanentFlags(permanent), "Flags permitted."),
                Update::Exists(172),
                Update::Recent(1),
                info(Code::Unseen(12), "Message 12 is first unseen"),
                info(Code::UidValidity(3_857_529_045), "UIDs valid"),
                info(Code::UidNext(4392), "Predicted next UID"),
                info(Code::HighestModSeq(715_194_045_007), "Highest"),
            ]
        );
        let done = out.done("t1");
        assert_eq!(done.kind, StatusKind::Ok);
        assert_eq!(done.code, Some(Code::ReadWrite));
        // The Done is the last event.
        assert!(matches!(out.events.last(), Some(SessionEvent::Done { .. })));
        assert_eq!(session.exists(), Some(172));
        assert!(!session.seq_map_complete(), "UIDs are not known yet");
        assert_eq!(session.in_flight(), 0);
    }
}

#[test]
fn examine_read_only_and_nomodseq() {
    let mut session = greeted();
    let (tag, wire) = send(
        &mut session,
        CommandBody::examine("Archive").expect("examine"),
    );
    assert_eq!(wire, format!("{tag} EXAMINE Archive\r\n"));
    session.begin_select();
    let out = feed(
        &mut session,
        b"* FLAGS (\\Seen)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] Ok\r\n\
* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n\
t1 OK [READ-ONLY] Examine completed.\r\n",
    );
    assert!(out.updates().contains(&info(
        Code::NoModSeq,
        "Sorry, this mailbox format doesn't support modsequences"
    )));
    assert_eq!(out.done(&tag).code, Some(Code::ReadOnly));
    assert_eq!(session.exists(), Some(0));
    assert!(
        session.seq_map_complete(),
        "an empty mailbox is fully known"
    );
}

// ----- 3. interleaved untagged responses -----

#[test]
fn pushes_interleaved_with_uid_fetch_keep_server_order() {
    let reply: &[u8] = b"* 1 FETCH (UID 101 FLAGS (\\Seen))\r\n\
* 2 FETCH (UID 102 FLAGS ())\r\n\
* 4 EXISTS\r\n\
* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\n\
* 3 FETCH (UID 103 FLAGS (\\Answered))\r\n\
* 1 RECENT\r\n\
* 4 FETCH (UID 104 FLAGS (\\Recent))\r\n\
t2 OK Fetch completed (0.002 + 0.000 secs).\r\n";
    for chunk in CHUNKINGS {
        let mut session = selected(vec![101, 102, 103]);
        let _ = noop(&mut session);
        let (tag, wire) = send(&mut session, uid_fetch_flags());
        assert_eq!(tag, "t2");
        assert_eq!(wire, "t2 UID FETCH 1:* (UID FLAGS)\r\n");
        let out = feed_chunked(&mut session, reply, chunk);
        let summary: Vec<String> = out
            .events
            .iter()
            .map(|e| match e {
                SessionEvent::Update(Update::Fetch(f)) => format!(
                    "fetch {} uid={:?} flags={:?}",
                    f.seq,
                    f.uid,
                    f.flags.as_deref().unwrap_or_default()
                ),
                SessionEvent::Update(Update::Exists(n)) => format!("exists {n}"),
                SessionEvent::Update(Update::Recent(n)) => format!("recent {n}"),
                SessionEvent::Done { tag, status } => format!("done {tag} {:?}", status.kind),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                r#"fetch 1 uid=Some(101) flags=["\\Seen"]"#,
                "fetch 2 uid=Some(102) flags=[]",
                "exists 4",
                r#"fetch 1 uid=Some(101) flags=["\\Seen", "\\Flagged"]"#,
                r#"fetch 3 uid=Some(103) flags=["\\Answered"]"#,
                "recent 1",
                // \Recent is not a flag tern stores.
                "fetch 4 uid=Some(104) flags=[]",
                "done t2 Ok",
            ],
            "chunk {chunk}"
        );
        assert!(session.seq_map_complete());
        assert_eq!(session.uid_of_seq(4), Some(104));
        // t1 (the NOOP) never completed: it is still in flight.
        assert_eq!(session.in_flight(), 1);
    }
}

#[test]
fn pipelined_commands_complete_independently() {
    let mut session = selected(vec![1, 2]);
    let t1 = noop(&mut session);
    let (t2, _) = send(&mut session, CommandBody::Check);
    assert_eq!(session.in_flight(), 2);
    // Completions may come in any order relative to untagged data.
    let out = feed(
        &mut session,
        b"* 3 EXISTS\r\nt1 OK NOOP completed.\r\n* 1 EXPUNGE\r\nt2 OK Check completed.\r\n",
    );
    assert_eq!(
        out.events,
        vec![
            SessionEvent::Update(Update::Exists(3)),
            SessionEvent::Done {
                tag: t1,
                status: StatusInfo {
                    kind: StatusKind::Ok,
                    code: None,
                    text: "NOOP completed.".into()
                }
            },
            SessionEvent::Update(Update::Expunge {
                seq: 1,
                uid: Some(1)
            }),
            SessionEvent::Done {
                tag: t2,
                status: StatusInfo {
                    kind: StatusKind::Ok,
                    code: None,
                    text: "Check completed.".into()
                }
            },
        ]
    );
    assert_eq!(session.in_flight(), 0);
    assert_eq!(session.exists(), Some(2));
    assert_eq!(session.uid_of_seq(1), Some(2));
    assert_eq!(
        session.uid_of_seq(2),
        None,
        "the new message's UID is unknown"
    );
}

// ----- 4. EXPUNGE and the sequence map -----

fn expunged_uids(out: &Out) -> Vec<Option<u32>> {
    out.updates()
        .into_iter()
        .filter_map(|u| match u {
            Update::Expunge { uid, .. } => Some(uid),
            _ => None,
        })
        .collect()
}

#[test]
fn expunge_descending_order_maps_uids() {
    for chunk in CHUNKINGS {
        let mut session = selected(vec![10, 20, 30, 40, 50]);
        let (tag, wire) = send(&mut session, CommandBody::Expunge);
        assert_eq!(wire, "t1 EXPUNGE\r\n");
        let out = feed_chunked(
            &mut session,
            b"* 4 EXPUNGE\r\n* 3 EXPUNGE\r\n* 2 EXPUNGE\r\nt1 OK Expunge completed.\r\n",
            chunk,
        );
        assert_eq!(out.done(&tag).kind, StatusKind::Ok);
        assert_eq!(expunged_uids(&out), vec![Some(40), Some(30), Some(20)]);
        assert_eq!(session.exists(), Some(2));
        assert_eq!(session.uid_of_seq(1), Some(10));
        assert_eq!(session.uid_of_seq(2), Some(50));
        assert_eq!(session.uid_of_seq(3), None);
        assert!(session.seq_map_complete());
    }
}

#[test]
fn expunge_ascending_order_maps_uids() {
    for chunk in CHUNKINGS {
        let mut session = selected(vec![10, 20, 30, 40, 50]);
        let _ = send(&mut session, CommandBody::Expunge);
        let out = feed_chunked(
            &mut session,
            b"* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n* 2 EXPUNGE\r\nt1 OK Expunge completed.\r\n",
            chunk,
        );
        assert_eq!(expunged_uids(&out), vec![Some(20), Some(30), Some(40)]);
        let seqs: Vec<u32> = out
            .updates()
            .into_iter()
            .filter_map(|u| match u {
                Update::Expunge { seq, .. } => Some(seq),
                _ => None,
            })
            .collect();
        assert_eq!(seqs, vec![2, 2, 2]);
        assert_eq!(session.exists(), Some(2));
        assert_eq!(session.uid_of_seq(1), Some(10));
        assert_eq!(session.uid_of_seq(2), Some(50));
    }
}

#[test]
fn expunge_outside_map_or_unselected_has_no_uid() {
    let mut session = selected(vec![10, 20]);
    let out = feed(&mut session, b"* 5 EXPUNGE\r\n");
    assert_eq!(out.updates(), vec![Update::Expunge { seq: 5, uid: None }]);
    assert_eq!(session.exists(), Some(2), "map untouched");

    let mut unselected = greeted();
    let out = feed(&mut unselected, b"* 1 EXPUNGE\r\n");
    assert_eq!(out.updates(), vec![Update::Expunge { seq: 1, uid: None }]);
    assert_eq!(unselected.uid_of_seq(1), None);
}

#[test]
fn exists_growth_and_fetch_fill_the_map() {
    for chunk in CHUNKINGS {
        let mut session = selected(vec![10, 20, 30]);
        assert!(session.seq_map_complete());
        let out = feed_chunked(&mut session, b"* 5 EXISTS\r\n* 1 RECENT\r\n", chunk);
        assert_eq!(out.updates(), vec![Update::Exists(5), Update::Recent(1)]);
        assert_eq!(session.exists(), Some(5));
        assert!(!session.seq_map_complete());
        assert_eq!(session.uid_of_seq(3), Some(30));
        assert_eq!(session.uid_of_seq(4), None);

        // A FETCH without UID for an unknown message cannot be given one.
        let out = feed_chunked(&mut session, b"* 4 FETCH (FLAGS (\\Seen))\r\n", chunk);
        assert_eq!(out.fetches()[0].uid, None);

        let out = feed_chunked(
            &mut session,
            b"* 4 FETCH (UID 41 FLAGS ())\r\n* 5 FETCH (FLAGS (\\Recent) UID 57)\r\n",
            chunk,
        );
        let fetched: Vec<(u32, Option<u32>)> =
            out.fetches().iter().map(|f| (f.seq, f.uid)).collect();
        assert_eq!(fetched, vec![(4, Some(41)), (5, Some(57))]);
        assert!(session.seq_map_complete());
        assert_eq!(session.uid_of_seq(5), Some(57));

        // Now a flag change without UID gets one from the map.
        let out = feed_chunked(
            &mut session,
            b"* 5 FETCH (FLAGS (\\Seen))\r\n* 2 FETCH (FLAGS (\\Deleted))\r\n",
            chunk,
        );
        let fetched: Vec<(u32, Option<u32>)> =
            out.fetches().iter().map(|f| (f.seq, f.uid)).collect();
        assert_eq!(fetched, vec![(5, Some(57)), (2, Some(20))]);

        // And the map stays right across an expunge in the middle.
        let out = feed_chunked(
            &mut session,
            b"* 2 EXPUNGE\r\n* 4 FETCH (FLAGS ())\r\n",
            chunk,
        );
        assert_eq!(expunged_uids(&out), vec![Some(20)]);
        assert_eq!(out.fetches()[0].uid, Some(57));
    }
}

#[test]
fn exists_shrinking_invalidates_the_map() {
    let mut session = selected(vec![10, 20, 30]);
    let _ = feed(&mut session, b"* 2 EXISTS\r\n");
    assert_eq!(session.exists(), Some(2));
    assert_eq!(
        session.uid_of_seq(1),
        None,
        "a missed EXPUNGE: nothing is trusted"
    );
    assert!(!session.seq_map_complete());
}

#[test]
fn uid_search_all_then_set_seq_map() {
    let mut session = greeted();
    session.begin_select();
    let _ = feed(&mut session, b"* 4 EXISTS\r\n");
    let out = feed(&mut session, b"* SEARCH 3 7 8 12\r\n");
    assert_eq!(
        out.updates(),
        vec![Update::Search {
            ids: vec![3, 7, 8, 12],
            modseq: None
        }]
    );
    session.set_seq_map(vec![3, 7, 8, 12]);
    assert!(session.seq_map_complete());
    assert_eq!(session.uid_of_seq(4), Some(12));
    session.end_select();
    assert_eq!(session.uid_of_seq(4), None);
    assert_eq!(session.exists(), None);
}

// ----- 5. CONDSTORE / QRESYNC -----

#[test]
fn enabled_qresync() {
    let mut session = greeted();
    assert!(!session.is_enabled("QRESYNC"));
    let out = feed(
        &mut session,
        b"* ENABLED CONDSTORE QRESYNC\r\nt1 OK Enabled.\r\n",
    );
    assert_eq!(
        out.updates(),
        vec![Update::Enabled(strings(&["CONDSTORE", "QRESYNC"]))]
    );
    assert!(session.is_enabled("qresync"));
    assert!(session.is_enabled("CONDSTORE"));
}

#[test]
fn vanished_earlier_and_live() {
    for chunk in CHUNKINGS {
        let mut session = selected((1..=8).collect());
        let out = feed_chunked(
            &mut session,
            b"* OK [CLOSED] Previous mailbox closed.\r\n\
* VANISHED (EARLIER) 1:3,7\r\n\
* VANISHED 5\r\n\
* VANISHED 41,43:116,118,120:211,214:540\r\n",
            chunk,
        );
        assert_eq!(
            out.updates(),
            vec![
                info(Code::Closed, "Previous mailbox closed."),
                Update::Vanished {
                    earlier: true,
                    uids: uids(&[(1, 3), (7, 7)])
                },
                Update::Vanished {
                    earlier: false,
                    uids: uids(&[(5, 5)])
                },
                Update::Vanished {
                    earlier: false,
                    uids: uids(&[(41, 41), (43, 116), (118, 118), (120, 211), (214, 540)])
                },
            ]
        );
        // EARLIER names messages the client knew of before; it does not change the
        // current mailbox. The live VANISHED 5 does.
        assert_eq!(session.exists(), Some(7));
        assert_eq!(session.uid_of_seq(1), Some(1));
        assert_eq!(session.uid_of_seq(5), Some(6));
        assert_eq!(session.uid_of_seq(7), Some(8));
    }
}

#[test]
fn fetch_modseq_and_big_highestmodseq() {
    let mut session = selected(vec![1, 2]);
    let out = feed(
        &mut session,
        b"* OK [HIGHESTMODSEQ 3] Highest\r\n\
* 1 FETCH (UID 1 MODSEQ (3) FLAGS (\\Seen))\r\n\
* 2 FETCH (MODSEQ (12345678901) FLAGS (\\Draft $NotJunk))\r\n\
* OK [HIGHESTMODSEQ 12345678901] Highest\r\n",
    );
    let fetches = out.fetches();
    assert_eq!(fetches[0].modseq, Some(3));
    assert_eq!(fetches[0].flags, Some(strings(&["\\Seen"])));
    assert_eq!(fetches[1].modseq, Some(12_345_678_901));
    assert_eq!(fetches[1].uid, Some(2));
    assert_eq!(fetches[1].flags, Some(strings(&["\\Draft", "$NotJunk"])));
    assert_eq!(
        out.updates().last(),
        Some(&info(Code::HighestModSeq(12_345_678_901), "Highest"))
    );
}

#[test]
fn store_unchangedsince_modified() {
    let mut session = selected((1..=10).collect());
    let (tag, wire) = send(
        &mut session,
        CommandBody::store(
            "7,9",
            StoreType::Add,
            StoreResponse::Answer,
            vec![Flag::Deleted],
            false,
        )
        .expect("store"),
    );
    assert_eq!(wire, format!("{tag} STORE 7,9 +FLAGS (\\Deleted)\r\n"));
    // RFC 7162 §3.1.3 example 10, shortened.
    let out = feed(
        &mut session,
        b"* 5 FETCH (MODSEQ (320172342) FLAGS (\\SEEN))\r\n\
* 3 FETCH (MODSEQ (320172342) FLAGS (\\SEEN))\r\n\
t1 OK [MODIFIED 7,9] Conditional STORE failed\r\n",
    );
    assert_eq!(out.fetches().len(), 2);
    assert_eq!(out.fetches()[0].uid, Some(5));
    let done = out.done(&tag);
    assert_eq!(done.kind, StatusKind::Ok);
    assert_eq!(done.code, Some(Code::Modified(uids(&[(7, 7), (9, 9)]))));
    assert_eq!(done.text, "Conditional STORE failed");
}

#[test]
fn search_with_modseq() {
    let mut session = selected(vec![]);
    let out = feed(
        &mut session,
        b"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n",
    );
    assert_eq!(
        out.updates(),
        vec![Update::Search {
            ids: vec![2, 5, 6, 7, 11, 12, 18, 19, 20, 23],
            modseq: Some(917_162_500)
        }]
    );
}

// ----- 6. UIDPLUS -----

#[test]
fn appenduid_and_copyuid_codes() {
    let mut session = selected(vec![304, 319, 320]);
    let t1 = noop(&mut session);
    let t2 = noop(&mut session);
    let out = feed(
        &mut session,
        b"t1 OK [APPENDUID 38505 3955] APPEND completed\r\n\
t2 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
    );
    assert_eq!(
        out.done(&t1).code,
        Some(Code::AppendUid {
            uid_validity: 38505,
            uid: 3955
        })
    );
    let code = out.done(&t2).code;
    assert_eq!(
        code,
        Some(Code::CopyUid {
            uid_validity: 38505,
            source: uids(&[(304, 304), (319, 320)]),
            destination: uids(&[(3956, 3958)]),
        })
    );
    if let Some(Code::CopyUid {
        uid_validity,
        source,
        destination,
    }) = code
    {
        let result = tern::imap::CopyResult {
            uid_validity,
            source,
            destination,
        };
        assert_eq!(result.pairs(), vec![(304, 3956), (319, 3957), (320, 3958)]);
    }
}

#[test]
fn uid_move_copyuid_before_expunges() {
    for chunk in CHUNKINGS {
        let mut session = selected(vec![40, 42, 43, 44, 50]);
        let (tag, wire) = send(
            &mut session,
            CommandBody::Move {
                sequence_set: "42:44".try_into().expect("set"),
                mailbox: "Trash".try_into().expect("mailbox"),
                uid: true,
            },
        );
        assert_eq!(wire, format!("{tag} UID MOVE 42:44 Trash\r\n"));
        // RFC 6851 §4.3 style.
        let out = feed_chunked(
            &mut session,
            b"* OK [COPYUID 432432 42:44 11:13] Moved UIDs.\r\n\
* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n\
t1 OK Move completed (0.001 + 0.000 secs).\r\n",
            chunk,
        );
        let updates = out.updates();
        assert_eq!(
            updates[0],
            info(
                Code::CopyUid {
                    uid_validity: 432_432,
                    source: uids(&[(42, 44)]),
                    destination: uids(&[(11, 13)]),
                },
                "Moved UIDs."
            )
        );
        assert_eq!(expunged_uids(&out), vec![Some(42), Some(43), Some(44)]);
        assert_eq!(out.done(&tag).kind, StatusKind::Ok);
        assert_eq!(session.uid_of_seq(2), Some(50));
        assert_eq!(session.exists(), Some(2));
    }
}

#[test]
fn trycreate_on_no() {
    let mut session = selected(vec![]);
    let tag = noop(&mut session);
    let out = feed(
        &mut session,
        b"t1 NO [TRYCREATE] Mailbox doesn't exist: Trash\r\n",
    );
    let done = out.done(&tag);
    assert_eq!(done.kind, StatusKind::No);
    assert_eq!(done.code, Some(Code::TryCreate));
}

// ----- 7. literals and envelopes -----

#[test]
fn header_fields_and_body_literals() {
    let body: &[u8] = b"Subject: hi\r\n\r\nline one\r\n* 5 EXPUNGE\r\nt1 OK fake completion\r\n\
+ not a continuation\r\n)\r\n";
    let header: &[u8] = b"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\n";
    let mut reply = Vec::new();
    reply.extend_from_slice(
        format!(
            "* 1 FETCH (UID 17 BODY[HEADER.FIELDS (SUBJECT)] {{{}}}\r\n",
            header.len()
        )
        .as_bytes(),
    );
    reply.extend_from_slice(header);
    reply.extend_from_slice(format!(" BODY[] {{{}}}\r\n", body.len()).as_bytes());
    reply.extend_from_slice(body);
    reply.extend_from_slice(b" FLAGS (\\Seen))\r\n* 2 EXPUNGE\r\nt1 OK Fetch completed.\r\n");
    for chunk in CHUNKINGS {
        let mut session = selected(vec![17, 18, 19, 20, 21]);
        let tag = noop(&mut session);
        let out = feed_chunked(&mut session, &reply, chunk);
        let updates = out.updates();
        assert_eq!(updates.len(), 2, "chunk {chunk}: {updates:#?}");
        let Update::Fetch(fetch) = &updates[0] else {
            panic!("not a fetch: {:?}", updates[0]);
        };
        assert_eq!(fetch.uid, Some(17));
        assert_eq!(fetch.header.as_deref(), Some(header));
        assert_eq!(fetch.body.as_deref(), Some(body));
        assert_eq!(fetch.flags, Some(strings(&["\\Seen"])));
        // Only the real EXPUNGE, after the literal, counts.
        assert_eq!(
            updates[1],
            Update::Expunge {
                seq: 2,
                uid: Some(18)
            }
        );
        let done = out.done(&tag);
        assert_eq!(done.text, "Fetch completed.");
        assert_eq!(session.exists(), Some(4));
    }
}

#[test]
fn literal_with_8bit_bytes_and_empty_literal() {
    let mut reply = b"* 3 FETCH (UID 9 RFC822.SIZE 4 BODY[] {4}\r\n".to_vec();
    reply.extend_from_slice(&[0xff, b'\r', 0x80, b'\n']);
    reply.extend_from_slice(b" BODY[HEADER] {0}\r\n)\r\n");
    for chunk in CHUNKINGS {
        let mut session = selected(vec![7, 8, 9]);
        let out = feed_chunked(&mut session, &reply, chunk);
        let fetch = &out.fetches()[0];
        assert_eq!(fetch.size, Some(4));
        assert_eq!(fetch.body.as_deref(), Some(&[0xff, b'\r', 0x80, b'\n'][..]));
        assert_eq!(fetch.header.as_deref(), Some(&b""[..]));
    }
}

#[test]
fn envelope_nil_fields_encoded_words_and_groups() {
    // RFC 3501 §8 envelope, then one with NIL fields, RFC 2047 words and a group.
    let reply: &[u8] = b"* 12 FETCH (UID 612 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\"))\r\n\
* 13 FETCH (UID 613 ENVELOPE (NIL \"=?UTF-8?B?R3LDvMOfZQ==?= aus =?ISO-8859-1?Q?K=F6ln?=\" \
((\"=?utf-8?q?J=C3=BCrgen_M=C3=BCller?=\" NIL \"jm\" \"example.de\")) NIL NIL \
((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) \
((NIL NIL \"team\" NIL)(\"Ann\" NIL \"ann\" \"a.example\") (\"\" NIL \"bob\" \"b.example\")(NIL NIL NIL NIL)) \
NIL \"<parent@x>\" NIL))\r\n";
    for chunk in CHUNKINGS {
        let mut session = selected((601..=613).collect());
        let out = feed_chunked(&mut session, reply, chunk);
        let fetches = out.fetches();
        assert_eq!(fetches.len(), 2, "chunk {chunk}: {:#?}", out.events);

        let first = &fetches[0];
        assert_eq!(first.size, Some(4286));
        assert_eq!(first.internal_date, Some(837_596_665));
        let env = first.envelope.clone().expect("envelope");
        assert_eq!(
            env.date.as_deref(),
            Some("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)")
        );
        assert_eq!(
            env.subject.as_deref(),
            Some("IMAP4rev1 WG mtg summary and minutes")
        );
        assert_eq!(
            env.from,
            vec![Address {
                name: Some("Terry Gray".into()),
                email: "gray@cac.washington.edu".into()
            }]
        );
        assert_eq!(env.to[0].email, "imap@cac.washington.edu");
        assert_eq!(env.to[0].name, None);
        assert_eq!(env.cc.len(), 2);
        assert_eq!(env.cc[1].email, "KLENSIN@MIT.EDU");
        assert_eq!(env.in_reply_to, None);
        assert_eq!(
            env.message_id.as_deref(),
            Some("<B27397-0100000@cac.washington.edu>")
        );

        let second = fetches[1].envelope.clone().expect("envelope");
        assert_eq!(second.date, None);
        assert_eq!(second.subject.as_deref(), Some("Grüße aus Köln"));
        assert_eq!(
            second.from,
            vec![Address {
                name: Some("Jürgen Müller".into()),
                email: "jm@example.de".into()
            }]
        );
        assert!(second.reply_to.is_empty(), "NIL sender/reply-to");
        // A group with no members leaves no address; group markers are never addresses.
        assert!(second.to.is_empty(), "{:?}", second.to);
        assert_eq!(
            second.cc,
            vec![
                Address {
                    name: Some("Ann".into()),
                    email: "ann@a.example".into()
                },
                Address {
                    name: None,
                    email: "bob@b.example".into()
                },
            ]
        );
        assert_eq!(second.in_reply_to.as_deref(), Some("<parent@x>"));
        assert_eq!(second.message_id, None);
    }
}

#[test]
fn envelope_subject_as_literal_with_8bit() {
    let mut reply = b"* 1 FETCH (ENVELOPE (NIL {5}\r\n".to_vec();
    reply.extend_from_slice(b"caf\xe9");
    reply.extend_from_slice(b"! NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");
    let mut session = selected(vec![5]);
    let out = feed(&mut session, &reply);
    let env = out.fetches()[0].envelope.clone().expect("envelope");
    assert_eq!(env.subject.as_deref(), Some("café!"));
    assert!(env.from.is_empty());
}

// ----- 8. imap-codec quirks -----

#[test]
fn quirk_missing_text_after_code() {
    let mut session = selected(vec![]);
    let tag = noop(&mut session);
    let out = feed(
        &mut session,
        b"* OK [UIDNEXT 5]\r\n* OK [UIDVALIDITY 9]\r\nt1 OK [READ-WRITE]\r\n",
    );
    let updates = out.updates();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert!(matches!(
        &updates[0],
        Update::Info(StatusInfo {
            code: Some(Code::UidNext(5)),
            ..
        })
    ));
    assert!(matches!(
        &updates[1],
        Update::Info(StatusInfo {
            code: Some(Code::UidValidity(9)),
            ..
        })
    ));
    assert_eq!(out.done(&tag).code, Some(Code::ReadWrite));
}

#[test]
fn quirk_trailing_spaces() {
    let mut session = selected(vec![]);
    let out = feed(
        &mut session,
        b"* CAPABILITY IMAP4rev1 IDLE MOVE \r\n\
* SEARCH 1 2 3 \r\n\
* STATUS INBOX (MESSAGES 100 UNSEEN 3 UIDNEXT 101 UIDVALIDITY 7 HIGHESTMODSEQ 99) \r\n",
    );
    assert_eq!(
        out.updates(),
        vec![
            Update::Capabilities(strings(&["IMAP4REV1", "IDLE", "MOVE"])),
            Update::Search {
                ids: vec![1, 2, 3],
                modseq: None
            },
            Update::Status(tern::imap::StatusEntry {
                name: "INBOX".into(),
                messages: Some(100),
                unseen: Some(3),
                uid_next: Some(101),
                uid_validity: Some(7),
                highest_modseq: Some(99),
                recent: None,
            }),
        ]
    );
    assert!(session.has_capability("MOVE"));
    assert!(
        !session.has_capability("AUTH=PLAIN"),
        "CAPABILITY replaces the set"
    );
}

#[test]
fn empty_search_results() {
    let mut session = selected(vec![]);
    let out = feed(&mut session, b"* SEARCH\r\n* SEARCH \r\n");
    assert_eq!(
        out.updates(),
        vec![
            Update::Search {
                ids: vec![],
                modseq: None
            };
            2
        ]
    );
}

#[test]
fn numbers_with_leading_zeros() {
    let mut session = selected(vec![]);
    let out = feed(
        &mut session,
        b"* 0003 EXISTS\r\n* 002 FETCH (UID 0042 RFC822.SIZE 0100)\r\n* OK [UIDNEXT 00043] next\r\n",
    );
    let updates = out.updates();
    assert_eq!(updates[0], Update::Exists(3));
    let fetch = &out.fetches()[0];
    assert_eq!((fetch.seq, fetch.uid, fetch.size), (2, Some(42), Some(100)));
    assert_eq!(updates[2], info(Code::UidNext(43), "next"));
}

#[test]
fn lf_only_line_endings() {
    for chunk in CHUNKINGS {
        let mut session = Session::new();
        let out = feed_chunked(
            &mut session,
            b"* OK [CAPABILITY IMAP4rev1 IDLE] hi\n",
            chunk,
        );
        assert!(matches!(out.events[..], [SessionEvent::Greeting { .. }]));
        assert!(session.has_capability("IDLE"));
        session.begin_select();
        session.set_seq_map(vec![1, 2]);
        let tag = noop(&mut session);
        let out = feed_chunked(
            &mut session,
            b"* 3 EXISTS\n* 1 FETCH (UID 1 BODY[] {5}\nhello)\n* 1 EXPUNGE\nt1 OK done\n",
            chunk,
        );
        let updates = out.updates();
        assert_eq!(updates[0], Update::Exists(3));
        assert_eq!(out.fetches()[0].body.as_deref(), Some(&b"hello"[..]));
        assert_eq!(
            updates[2],
            Update::Expunge {
                seq: 1,
                uid: Some(1)
            }
        );
        assert_eq!(out.done(&tag).text, "done");
    }
}

#[test]
fn empty_continuation_request() {
    let mut session = greeted();
    let out = feed(&mut session, b"+\r\n* 1 EXISTS\r\n");
    assert_eq!(
        out.events,
        vec![
            SessionEvent::Continuation,
            SessionEvent::Update(Update::Exists(1))
        ]
    );
}

#[test]
fn bodystructure_quirks_still_parse() {
    // NIL body-fld-enc (maddy), -1 octets (Dovecot), NIL parameter value (mail.ru).
    let reply: &[u8] = b"* 1 FETCH (UID 5 BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL NIL 12 1))\r\n\
* 2 FETCH (UID 6 BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" -1 0))\r\n\
* 3 FETCH (UID 7 BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" NIL) NIL NIL \"7bit\" 3 1))\r\n\
* 4 FETCH (UID 8 ENVELOPE (NIL NIL ((NIL NIL \"a\" \"b.org\") (NIL NIL \"c\" \"d.org\")) NIL NIL NIL NIL NIL NIL NIL))\r\n";
    let mut session = selected(vec![]);
    let out = feed(&mut session, reply);
    let updates = out.updates();
    assert!(
        !updates.iter().any(|u| matches!(u, Update::Unparsed(_))),
        "{updates:#?}"
    );
    let uids: Vec<Option<u32>> = out.fetches().iter().map(|f| f.uid).collect();
    assert_eq!(uids, vec![Some(5), Some(6), Some(7), Some(8)]);
    let from = &out.fetches()[3].envelope.clone().expect("envelope").from;
    assert_eq!(from.len(), 2, "spaces between addresses");
}

// ----- 9. hostile input -----

#[test]
fn garbage_untagged_line_is_skipped() {
    for chunk in CHUNKINGS {
        let mut session = selected(vec![1, 2, 3]);
        let tag = noop(&mut session);
        let out = feed_chunked(
            &mut session,
            b"* FOO (((\r\n* 2 EXPUNGE\r\n* 1 FETCH (UID)\r\n* 4294967296 EXISTS\r\nt1 OK NOOP completed.\r\n",
            chunk,
        );
        let updates = out.updates();
        assert_eq!(updates.len(), 4, "chunk {chunk}: {updates:#?}");
        assert!(matches!(&updates[0], Update::Unparsed(p) if p.starts_with("* FOO (((")));
        assert_eq!(
            updates[1],
            Update::Expunge {
                seq: 2,
                uid: Some(2)
            }
        );
        assert!(matches!(&updates[2], Update::Unparsed(p) if p.contains("FETCH")));
        assert!(matches!(&updates[3], Update::Unparsed(_)), "u32 overflow");
        assert_eq!(out.done(&tag).kind, StatusKind::Ok);
        assert_eq!(session.exists(), Some(2));
    }
}

#[test]
fn unparsed_preview_is_bounded_and_printable() {
    let mut session = greeted();
    let mut line = b"* XYZZY ".to_vec();
    line.extend(std::iter::repeat_n(b'\x07', 5000));
    line.extend_from_slice(b"\r\n");
    let out = feed(&mut session, &line);
    let [Update::Unparsed(preview)] = &out.updates()[..] else {
        panic!("{:?}", out.events);
    };
    assert!(preview.chars().count() <= 200);
    assert!(!preview.chars().any(char::is_control));
}

#[test]
fn malformed_tagged_code_completes_the_command() {
    for chunk in CHUNKINGS {
        let mut session = selected(vec![]);
        let tag = noop(&mut session);
        let out = feed_chunked(
            &mut session,
            b"t1 OK [UIDNEXT notanumber] x\r\n* 1 EXISTS\r\n",
            chunk,
        );
        // The codec reads an unknown code as text; either way t1 must be over.
        let done = out.done(&tag);
        assert!(
            done.kind == StatusKind::Bad || matches!(done.code, Some(Code::Other(_))),
            "{done:?}"
        );
        assert_eq!(session.in_flight(), 0);
        assert_eq!(out.updates(), vec![Update::Exists(1)]);
    }
}

#[test]
fn truncated_tagged_response_fails_the_command() {
    for garbage in [
        &b"t1 OK [UIDNEXT 5\r\n"[..],
        b"t1 OK\r\n",
        b"t1 FOO (((\r\n",
        b"t1 \r\n",
    ] {
        for chunk in CHUNKINGS {
            let mut session = selected(vec![]);
            let t1 = noop(&mut session);
            let t2 = noop(&mut session);
            let mut input = garbage.to_vec();
            input.extend_from_slice(b"* 2 EXISTS\r\nt2 OK fine\r\n");
            let out = feed_chunked(&mut session, &input, chunk);
            let done = out.done(&t1);
            assert_eq!(done.kind, StatusKind::Bad, "{garbage:?}: {done:?}");
            assert_eq!(done.code, None);
            assert_eq!(out.done(&t2).kind, StatusKind::Ok);
            assert_eq!(out.updates(), vec![Update::Exists(2)], "{garbage:?}");
            assert_eq!(session.in_flight(), 0);
        }
    }
}

#[test]

fn bare_tag_line_fails_the_command() {
    for garbage in [&b"t1\r\n"[..], b"t1\n", b"t1\tOK done\r\n"] {
        let mut session = selected(vec![]);
        let t1 = noop(&mut session);
        let out = feed(&mut session, garbage);
        assert!(
            out.has_done(),
            "{garbage:?} left t1 in flight: {:?}",
            out.events
        );
        assert_eq!(out.done(&t1).kind, StatusKind::Bad);
        assert_eq!(session.in_flight(), 0);
    }
}

#[test]
fn malformed_line_with_foreign_tag_is_only_logged() {
    let mut session = selected(vec![]);
    let t1 = noop(&mut session);
    let out = feed(&mut session, b"t9 FOO\r\nt1 OK done\r\n");
    assert!(matches!(&out.updates()[..], [Update::Unparsed(_)]));
    assert_eq!(out.done(&t1).kind, StatusKind::Ok);
}

#[test]
fn huge_exists_and_fetch_seq_do_not_break_the_session() {
    let mut session = selected(vec![1, 2, 3]);
    let out = feed(
        &mut session,
        b"* 4294967295 FETCH (UID 9 FLAGS ())\r\n* 1 FETCH (FLAGS (\\Seen))\r\n",
    );
    assert_eq!(
        session.exists(),
        Some(3),
        "a far FETCH must not grow the map"
    );
    assert_eq!(out.fetches()[1].uid, Some(1));

    let out = feed(
        &mut session,
        b"* 4294967295 EXISTS\r\n* 4294967295 EXPUNGE\r\n",
    );
    assert_eq!(
        out.updates(),
        vec![
            Update::Exists(u32::MAX),
            Update::Expunge {
                seq: u32::MAX,
                uid: None
            }
        ]
    );
    // The map is capped, not 16 GiB.
    assert!(session.exists().is_some_and(|n| n <= 20_000_000));
    assert_eq!(session.uid_of_seq(2), Some(2));
    let out = feed(&mut session, b"* 3 EXISTS\r\n* 2 FETCH (UID 2)\r\n");
    assert_eq!(out.updates()[0], Update::Exists(3));
    assert_eq!(session.exists(), Some(3));
}

#[test]
fn huge_literal_announcement_does_not_hang_on_small_input() {
    // The server announces 4 GiB but sends little: the session waits for more (the driver's
    // timeout ends it) without panicking or producing bogus events.
    let mut session = selected(vec![]);
    let mut input = b"* 1 FETCH (BODY[] {4294967295}\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 64 * 1024));
    let out = feed_chunked(&mut session, &input, 4096);
    assert!(
        out.updates()
            .iter()
            .all(|u| matches!(u, Update::Unparsed(_))),
        "{:?}",
        out.updates()
    );
}

#[test]
fn bye_during_session() {
    let mut session = selected(vec![]);
    let tag = send(&mut session, CommandBody::Logout).0;
    let out = feed(
        &mut session,
        b"* BYE Logging out\r\nt1 OK Logout completed (0.001 + 0.000 secs).\r\n",
    );
    assert_eq!(out.updates(), vec![Update::Bye("Logging out".into())]);
    assert_eq!(session.bye(), Some("Logging out"));
    assert_eq!(out.done(&tag).kind, StatusKind::Ok);

    let mut session = greeted();
    assert_eq!(session.bye(), None);
    let out = feed(&mut session, b"* BYE shutting down\r\n");
    assert_eq!(out.updates(), vec![Update::Bye("shutting down".into())]);
    assert_eq!(session.bye(), Some("shutting down"));
}

#[test]
fn alert_and_unknown_codes() {
    let mut session = greeted();
    let out = feed(
        &mut session,
        b"* OK [ALERT] System shutdown in 10 minutes\r\n\
* NO [OVERQUOTA] Quota exceeded\r\n\
* BAD [X-SOMETHING a b] weird\r\n",
    );
    let updates = out.updates();
    assert_eq!(
        updates[0],
        info(Code::Alert, "System shutdown in 10 minutes")
    );
    assert!(matches!(
        &updates[1],
        Update::Info(StatusInfo { kind: StatusKind::No, code: Some(Code::Other(_)), text })
            if text == "Quota exceeded"
    ));
    assert!(matches!(
        &updates[2],
        Update::Info(StatusInfo {
            kind: StatusKind::Bad,
            code: Some(Code::Other(_)),
            ..
        })
    ));
}

#[test]
fn nul_inside_a_literal_is_read_with_it_replaced_not_dropped() {
    // CHAR8 excludes NUL (BINARY's literal8 is not in use); the message is read with the
    // NUL replaced by 0x80, as Dovecot sends such mail, and the repair is counted.
    let mut reply = b"* 1 FETCH (UID 1 BODY[] {3}\r\na\x00b)\r\n".to_vec();
    reply.extend_from_slice(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n");
    for chunk in CHUNKINGS {
        let mut session = selected(vec![1]);
        let out = feed_chunked(&mut session, &reply, chunk);
        let updates = out.updates();
        assert_eq!(updates.len(), 2, "chunk {chunk}: {updates:?}");
        assert_eq!(out.fetches()[0].body.as_deref(), Some(&b"a\x80b"[..]));
        assert_eq!(out.fetches()[1].flags, Some(strings(&["\\Seen"])));
        assert_eq!(session.problems().repaired, 1);
        assert_eq!(session.problems().unparsed, 0);
    }
}

#[test]

fn vanished_uid_missing_from_an_incomplete_map() {
    let mut session = selected(vec![10, 20, 30]);
    // Two messages arrive; only the second one's UID is learned.
    let _ = feed(
        &mut session,
        b"* 5 EXISTS\r\n* 5 FETCH (UID 50 FLAGS ())\r\n",
    );
    assert_eq!(session.uid_of_seq(4), None);
    assert_eq!(session.uid_of_seq(5), Some(50));
    // The unfetched message (UID 40, seq 4) is expunged; QRESYNC reports it by UID.
    let _ = feed(&mut session, b"* VANISHED 40\r\n");
    assert_eq!(
        session.exists(),
        Some(4),
        "the mailbox now holds 4 messages"
    );
    assert_ne!(session.uid_of_seq(5), Some(50), "seq 5 no longer exists");
    // A new message arrives as seq 5 and gets flagged: it is not UID 50.
    let out = feed(
        &mut session,
        b"* 5 EXISTS\r\n* 5 FETCH (FLAGS (\\Flagged))\r\n",
    );
    assert_ne!(
        out.fetches()[0].uid,
        Some(50),
        "flag change pinned on the wrong message"
    );
}

#[test]
fn append_with_synchronizing_literal() {
    let mut session = greeted();
    let body = CommandBody::append(
        "Drafts",
        vec![Flag::Seen],
        None,
        b"Subject: x\r\n\r\nhi".to_vec(),
    )
    .expect("append");
    let (tag, wire) = send(&mut session, body);
    assert_eq!(wire, format!("{tag} APPEND Drafts (\\Seen) {{16}}\r\n"));
    let out = feed(&mut session, b"+ OK\r\n");
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.written_text(), "Subject: x\r\n\r\nhi\r\n");
    let out = feed(
        &mut session,
        b"t1 OK [APPENDUID 1700000000 7] Append completed.\r\n",
    );
    assert_eq!(
        out.done(&tag).code,
        Some(Code::AppendUid {
            uid_validity: 1_700_000_000,
            uid: 7
        })
    );
    let (t2, wire) = send(&mut session, CommandBody::Noop);
    assert_eq!(wire, format!("{t2} NOOP\r\n"));
}

#[test]
fn append_literal_rejected_with_bad() {
    let mut session = greeted();
    let body = CommandBody::append("Drafts", vec![], None, b"hi".to_vec()).expect("append");
    let (tag, _) = send(&mut session, body);
    let out = feed(&mut session, b"t1 BAD Message too large\r\n");
    assert_eq!(out.done(&tag).kind, StatusKind::Bad);
    assert!(
        out.written.is_empty(),
        "the literal must not follow a rejection"
    );
    assert_eq!(session.in_flight(), 0);
    let (t2, wire) = send(&mut session, CommandBody::Noop);
    assert_eq!(wire, format!("{t2} NOOP\r\n"));
}

/// With a synchronizing literal imap-next keeps waiting for `+` after a NO, so the client
/// sends APPEND with a non-synchronizing literal (LITERAL+) and poisons the connection
/// otherwise. With LITERAL+ a rejected APPEND leaves the session usable.
#[test]
fn append_non_sync_literal_rejected_with_trycreate() {
    use imap_codec::imap_types::{
        command::CommandBody, core::Literal, extensions::binary::LiteralOrLiteral8,
        mailbox::Mailbox,
    };
    let mut session = greeted();
    let literal = Literal::try_from(b"hi".to_vec())
        .expect("literal")
        .into_non_sync();
    let body = CommandBody::Append {
        mailbox: Mailbox::try_from("Nope").expect("mailbox"),
        flags: vec![],
        date: None,
        message: LiteralOrLiteral8::Literal(literal),
    };
    let (tag, wire) = send(&mut session, body);
    assert_eq!(wire, format!("{tag} APPEND Nope {{2+}}\r\nhi\r\n"));
    let out = feed(
        &mut session,
        b"t1 NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n",
    );
    let done = out.done(&tag);
    assert_eq!(done.kind, StatusKind::No);
    assert_eq!(done.code, Some(Code::TryCreate));
    assert_eq!(session.in_flight(), 0);
    // The caller reacts with CREATE: it must go out.
    let (t2, wire) = send(&mut session, CommandBody::create("Nope").expect("create"));
    assert_eq!(wire, format!("{t2} CREATE Nope\r\n"));
}

// ----- 10. IDLE -----

#[test]
fn idle_round_trip() {
    for chunk in CHUNKINGS {
        let mut session = selected(vec![1, 2, 3]);
        let (tag, wire) = send(&mut session, CommandBody::Idle);
        assert_eq!(wire, format!("{tag} IDLE\r\n"));
        assert!(!session.idle_done(), "not idling before the server accepts");
        let out = feed_chunked(&mut session, b"+ idling\r\n", chunk);
        assert_eq!(out.events, vec![SessionEvent::IdleAccepted]);

        let out = feed_chunked(
            &mut session,
            b"* 4 EXISTS\r\n* 2 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Seen))\r\n* OK Still here\r\n",
            chunk,
        );
        assert_eq!(
            out.updates()[..3],
            [
                Update::Exists(4),
                Update::Expunge {
                    seq: 2,
                    uid: Some(2)
                },
                Update::Fetch(Box::new(FetchData {
                    seq: 1,
                    uid: Some(1),
                    flags: Some(strings(&["\\Seen"])),
                    ..FetchData::default()
                })),
            ]
        );
        assert!(!out.has_done());
        assert!(out.written.is_empty());

        assert!(session.idle_done());
        let out = flush(&mut session);
        assert_eq!(out.written_text(), "DONE\r\n");
        assert_eq!(out.events, vec![SessionEvent::IdleDoneSent]);
        assert!(!session.idle_done(), "DONE only once");

        let out = feed_chunked(
            &mut session,
            b"* 3 EXISTS\r\nt1 OK Idle completed (0.001 + 10.000 secs).\r\n",
            chunk,
        );
        assert_eq!(out.updates(), vec![Update::Exists(3)]);
        assert_eq!(out.done(&tag).kind, StatusKind::Ok);
        assert_eq!(session.in_flight(), 0);

        // The session is usable again.
        let (t2, wire) = send(&mut session, CommandBody::Noop);
        assert_eq!(wire, format!("{t2} NOOP\r\n"));
    }
}

#[test]
fn idle_rejected() {
    let mut session = selected(vec![]);
    let (tag, _) = send(&mut session, CommandBody::Idle);
    let out = feed(&mut session, b"t1 NO IDLE not allowed now\r\n");
    assert_eq!(
        out.events,
        vec![SessionEvent::IdleRejected(StatusInfo {
            kind: StatusKind::No,
            code: None,
            text: "IDLE not allowed now".into()
        })]
    );
    assert_eq!(tag, "t1");
    assert_eq!(session.in_flight(), 0);
}

// ----- 11. AUTHENTICATE -----

#[test]
fn authenticate_plain_without_sasl_ir() {
    for continuation in [&b"+ \r\n"[..], b"+\r\n"] {
        for chunk in CHUNKINGS {
            let mut session = greeted();
            let (tag, wire) = send(
                &mut session,
                CommandBody::authenticate(AuthMechanism::Plain),
            );
            assert_eq!(wire, format!("{tag} AUTHENTICATE PLAIN\r\n"));
            let out = feed_chunked(&mut session, continuation, chunk);
            assert_eq!(
                out.events,
                vec![SessionEvent::AuthContinue {
                    tag: tag.clone(),
                    challenge: vec![]
                }]
            );
            session
                .set_auth_response(b"\0joe\0s3cr3t".to_vec())
                .expect("auth response");
            let out = flush(&mut session);
            assert_eq!(out.written_text(), "AGpvZQBzM2NyM3Q=\r\n");
            assert!(out.events.is_empty());

            let out = feed_chunked(
                &mut session,
                b"t1 OK [CAPABILITY IMAP4rev1 SORT THREAD=REFERENCES MOVE QRESYNC] Logged in\r\n",
                chunk,
            );
            let done = out.done(&tag);
            assert_eq!(done.kind, StatusKind::Ok);
            assert_eq!(done.text, "Logged in");
            assert!(session.has_capability("QRESYNC"));
            assert!(session.has_capability("THREAD=REFERENCES"));
            assert!(
                !session.has_capability("AUTH=PLAIN"),
                "replaced, not merged"
            );
            assert_eq!(session.in_flight(), 0);
        }
    }
}

#[test]
fn authenticate_base64_challenge_and_failure() {
    let mut session = greeted();
    let (tag, _) = send(
        &mut session,
        CommandBody::authenticate(AuthMechanism::Login),
    );
    let out = feed(&mut session, b"+ VXNlcm5hbWU6\r\n");
    assert_eq!(
        out.events,
        vec![SessionEvent::AuthContinue {
            tag: tag.clone(),
            challenge: b"Username:".to_vec()
        }]
    );
    session
        .set_auth_response(b"joe".to_vec())
        .expect("response");
    assert_eq!(flush(&mut session).written_text(), "am9l\r\n");
    let out = feed(&mut session, b"+ UGFzc3dvcmQ6\r\n");
    assert!(matches!(
        &out.events[..],
        [SessionEvent::AuthContinue { challenge, .. }] if challenge == b"Password:"
    ));
    session
        .set_auth_response(b"bad".to_vec())
        .expect("response");
    let _ = flush(&mut session);
    let out = feed(
        &mut session,
        b"t1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
    );
    let done = out.done(&tag);
    assert_eq!(done.kind, StatusKind::No);
    assert_eq!(done.text, "Authentication failed.");
    assert!(
        session.set_auth_response(vec![]).is_err(),
        "no auth in progress"
    );
    assert_eq!(session.in_flight(), 0);
}

#[test]
fn authenticate_cancel() {
    let mut session = greeted();
    let (tag, _) = send(
        &mut session,
        CommandBody::authenticate(AuthMechanism::Plain),
    );
    let _ = feed(&mut session, b"+ \r\n");
    session.cancel_auth().expect("cancel");
    assert_eq!(flush(&mut session).written_text(), "*\r\n");
    let out = feed(
        &mut session,
        b"t1 BAD Authentication aborted by client.\r\n",
    );
    assert_eq!(out.done(&tag).kind, StatusKind::Bad);
}
