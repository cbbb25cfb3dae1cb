//! The sans-I/O IMAP session: bytes in, typed events out, no sockets. It wraps imap-next's
//! client and keeps what the protocol needs remembered: capabilities, tags of commands in
//! flight, and the sequence-number to UID map of the selected mailbox, so that sequence
//! numbers never leave this module's callers unexplained.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use imap_codec::imap_types::{
    auth::AuthenticateData,
    command::{Command, CommandBody},
    response::{Data, GreetingKind, Status},
    secret::Secret,
};
use imap_next::{
    Interrupt, Io, State,
    client::{Client, Event, Options},
};

use super::budget::{MAX_BUDGET_EXISTS, SLACK};
use super::convert::{code, data_to_update, status_info};
use super::error::{ErrorKind, ImapError, Result};
use super::types::{Code, StatusInfo, StatusKind, Update};

/// What the session needs from its driver, or has for it.
#[derive(Debug)]
pub enum Step {
    /// Write these bytes to the server.
    Write(Vec<u8>),
    /// Read more bytes and [`Session::feed`] them.
    Read,
    Event(SessionEvent),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    Greeting {
        preauth: bool,
        text: String,
    },
    Update(Update),
    /// The tagged completion of a command.
    Done {
        tag: String,
        status: StatusInfo,
    },
    /// The server wants more SASL data.
    AuthContinue {
        tag: String,
        challenge: Vec<u8>,
    },
    IdleAccepted,
    IdleRejected(StatusInfo),
    IdleDoneSent,
    /// An unexpected `+` continuation (ignored by callers).
    Continuation,
}

/// Larger sequence numbers are not tracked: a hostile EXISTS must not allocate gigabytes.
const MAX_TRACKED_MESSAGES: usize = 20_000_000;

/// The mailbox currently selected and its sequence map (index = seq - 1, 0 = UID not known).
#[derive(Debug, Clone, Default)]
struct Selected {
    seq_map: Vec<u32>,
}

pub struct Session {
    client: Client,
    next_tag: u64,
    capabilities: HashSet<String>,
    enabled: HashSet<String>,
    selected: Option<Selected>,
    /// Tags sent but not yet completed, oldest first.
    in_flight: VecDeque<String>,
    bye: Option<String>,
    /// Events produced by our own bookkeeping that must come out before new input.
    queued: VecDeque<SessionEvent>,
    problems: ResponseProblems,
    /// Raw command lines the codec cannot build (NOTIFY), written before anything else.
    raw_out: VecDeque<Vec<u8>>,
}

/// Responses the codec could not take as they came, since the session started: none is
/// dropped without being counted, so callers can say so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseProblems {
    /// Skipped: delivered as [`Update::Unparsed`] (or failing their command).
    pub unparsed: u64,
    /// Taken after replacing NUL bytes (not allowed in IMAP strings) with 0x80, as
    /// Dovecot does for the same mail.
    pub repaired: u64,
}

/// Every session's problems added up, for a caller that holds no client: `tern sync
/// --watch`, whose engine makes and replaces its own connections.
static PROCESS_UNPARSED: AtomicU64 = AtomicU64::new(0);
static PROCESS_REPAIRED: AtomicU64 = AtomicU64::new(0);

/// The problems of every session of this process so far.
pub fn process_problems() -> ResponseProblems {
    ResponseProblems {
        unparsed: PROCESS_UNPARSED.load(Ordering::Relaxed),
        repaired: PROCESS_REPAIRED.load(Ordering::Relaxed),
    }
}

impl ResponseProblems {
    /// What `self` has beyond `earlier`.
    pub fn since(self, earlier: ResponseProblems) -> ResponseProblems {
        ResponseProblems {
            unparsed: self.unparsed.saturating_sub(earlier.unparsed),
            repaired: self.repaired.saturating_sub(earlier.repaired),
        }
    }

    pub fn is_empty(self) -> bool {
        self == ResponseProblems::default()
    }
}

/// What a NUL becomes: not valid UTF-8, so it shows as U+FFFD rather than vanishing.
const NUL_STANDIN: u8 = 0x80;

impl Session {
    pub fn new() -> Self {
        Self::with_greeting(true)
    }

    /// A session that expects no greeting: used after STARTTLS.
    pub fn without_greeting() -> Self {
        Self::with_greeting(false)
    }

    fn with_greeting(expect_greeting: bool) -> Self {
        let mut options = Options::default();
        options.crlf_relaxed = true;
        options.discard_greeting = !expect_greeting;
        Self {
            client: Client::new(options),
            next_tag: 1,
            capabilities: HashSet::new(),
            enabled: HashSet::new(),
            selected: None,
            in_flight: VecDeque::new(),
            bye: None,
            queued: VecDeque::new(),
            problems: ResponseProblems::default(),
            raw_out: VecDeque::new(),
        }
    }

    /// Carries the knowledge over to a fresh session after the transport changed (STARTTLS).
    pub fn continue_from(&mut self, previous: Session) {
        self.next_tag = previous.next_tag;
        self.problems = previous.problems;
    }

    pub fn problems(&self) -> ResponseProblems {
        self.problems
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.contains(&name.to_ascii_uppercase())
    }

    pub fn capabilities(&self) -> Vec<String> {
        let mut caps: Vec<String> = self.capabilities.iter().cloned().collect();
        caps.sort();
        caps
    }

    pub fn is_enabled(&self, name: &str) -> bool {
        self.enabled.contains(&name.to_ascii_uppercase())
    }

    pub fn bye(&self) -> Option<&str> {
        self.bye.as_deref()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    pub fn enqueue(&mut self, body: CommandBody<'static>) -> Result<String> {
        let tag = format!("t{}", self.next_tag);
        self.next_tag += 1;
        let command = Command::new(tag.clone(), body)
            .map_err(|e| ImapError::bug(format!("invalid tag {tag}: {e}")))?;
        self.client.enqueue_command(command);
        self.in_flight.push_back(tag.clone());
        Ok(tag)
    }

    /// Sends `command` as typed (for one the codec cannot build: NOTIFY); its tagged answer
    /// arrives as `Done` like any other. Only between commands, so no write interleaves.
    pub fn enqueue_raw(&mut self, command: &str) -> Result<String> {
        if !self.in_flight.is_empty() || command.contains(['\r', '\n']) {
            return Err(ImapError::bug(
                "a raw command while another runs, or with a line break",
            ));
        }
        let tag = format!("t{}", self.next_tag);
        self.next_tag += 1;
        self.raw_out
            .push_back(format!("{tag} {command}\r\n").into_bytes());
        self.in_flight.push_back(tag.clone());
        Ok(tag)
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.client.enqueue_input(bytes);
    }

    pub fn set_auth_response(&mut self, data: Vec<u8>) -> Result<()> {
        self.client
            .set_authenticate_data(AuthenticateData::Continue(Secret::new(data.into())))
            .map(|_| ())
            .map_err(|_| ImapError::bug("no authentication in progress"))
    }

    pub fn cancel_auth(&mut self) -> Result<()> {
        self.client
            .set_authenticate_data(AuthenticateData::Cancel)
            .map(|_| ())
            .map_err(|_| ImapError::bug("no authentication in progress"))
    }

    /// Asks to leave IDLE; false when not idling.
    pub fn idle_done(&mut self) -> bool {
        self.client.set_idle_done().is_some()
    }

    /// A SELECT or EXAMINE is about to run: the old map no longer applies.
    pub fn begin_select(&mut self) {
        self.selected = Some(Selected::default());
    }

    pub fn end_select(&mut self) {
        self.selected = None;
    }

    /// Installs a complete map, e.g. from `UID SEARCH ALL` right after SELECT.
    pub fn set_seq_map(&mut self, uids: Vec<u32>) {
        if let Some(selected) = &mut self.selected {
            selected.seq_map = uids;
        }
    }

    /// Whether every sequence number of the selected mailbox maps to a known UID.
    pub fn seq_map_complete(&self) -> bool {
        self.selected
            .as_ref()
            .is_some_and(|s| s.seq_map.iter().all(|&uid| uid != 0))
    }

    pub fn exists(&self) -> Option<u32> {
        self.selected
            .as_ref()
            .and_then(|s| u32::try_from(s.seq_map.len()).ok())
    }

    pub fn uid_of_seq(&self, seq: u32) -> Option<u32> {
        let selected = self.selected.as_ref()?;
        let index = usize::try_from(seq).ok()?.checked_sub(1)?;
        selected.seq_map.get(index).copied().filter(|&uid| uid != 0)
    }

    pub fn step(&mut self) -> Result<Step> {
        if let Some(event) = self.queued.pop_front() {
            return Ok(Step::Event(event));
        }
        if let Some(line) = self.raw_out.pop_front() {
            return Ok(Step::Write(line));
        }
        loop {
            match self.client.next() {
                Ok(event) => {
                    if let Some(event) = self.handle(event)? {
                        return Ok(Step::Event(event));
                    }
                }
                Err(Interrupt::Io(Io::Output(bytes))) => return Ok(Step::Write(bytes)),
                Err(Interrupt::Io(Io::NeedMoreInput)) => return Ok(Step::Read),
                Err(Interrupt::Error(error)) => return self.malformed(error),
            }
        }
    }

    /// The codec skipped a response it could not parse. If it carried the tag of a command
    /// in flight, that command fails; otherwise the caller hears of it and we go on.
    fn malformed(&mut self, error: imap_next::client::Error) -> Result<Step> {
        let bytes: Vec<u8> = match &error {
            imap_next::client::Error::ExpectedCrlfGotLf { discarded_bytes }
            | imap_next::client::Error::MalformedMessage { discarded_bytes }
            | imap_next::client::Error::ResponseTooLong { discarded_bytes } => {
                discarded_bytes.declassify().to_vec()
            }
        };
        let preview: String = String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            .chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect();
        let first_word = bytes
            .split(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .next()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .unwrap_or_default();
        if bytes.contains(&0)
            && let Some(update) = self.repair_nul(&bytes)
        {
            self.problems.repaired += 1;
            PROCESS_REPAIRED.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                "a server response carried NUL bytes; read with them replaced: {preview}"
            );
            return Ok(Step::Event(SessionEvent::Update(update)));
        }
        // A NOTIFY rename push is a LIST with data the codec cannot read: the name it can.
        if let Some(update) = super::notify::salvage_list(&bytes).and_then(|d| self.data(d)) {
            return Ok(Step::Event(SessionEvent::Update(update)));
        }
        // ESEARCH, which the codec does not know: its UIDs come out as a SEARCH's would.
        if super::esearch::is_esearch(&bytes)
            && let Some(update) = self.esearch(&bytes)?
        {
            return Ok(Step::Event(SessionEvent::Update(update)));
        }
        // Gmail's X-GM-MSGID, which the codec does not know either.
        if super::gmail::is_msgid_fetch(&bytes) {
            match super::gmail::parse_msgid_fetch(&bytes) {
                Ok(id) => return Ok(Step::Event(SessionEvent::Update(Update::GmailId(id)))),
                Err(why) => tracing::warn!("an X-GM-MSGID response cannot be read: {why}"),
            }
        }
        self.problems.unparsed += 1;
        PROCESS_UNPARSED.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("skipped a server response that cannot be parsed ({error}): {preview}");
        if let Some(position) = self.in_flight.iter().position(|t| *t == first_word) {
            self.in_flight.remove(position);
            return Ok(Step::Event(SessionEvent::Done {
                tag: first_word,
                status: StatusInfo {
                    kind: StatusKind::Bad,
                    code: None,
                    text: format!("unparsable server response ({error}): {preview}"),
                },
            }));
        }
        Ok(Step::Event(SessionEvent::Update(Update::Unparsed(preview))))
    }

    /// Some servers pass a NUL of a message through in a literal, which IMAP forbids and
    /// the codec rejects. The same bytes with each NUL replaced keep every literal's length,
    /// so an untagged data response (a FETCH, usually) can still be read.
    fn repair_nul(&mut self, bytes: &[u8]) -> Option<Update> {
        use imap_codec::{ResponseCodec, decode::Decoder, imap_types::response::Response};
        let fixed: Vec<u8> = bytes
            .iter()
            .map(|&b| if b == 0 { NUL_STANDIN } else { b })
            .collect();
        match ResponseCodec::default().decode(&fixed) {
            Ok((&[], Response::Data(data))) => {
                use imap_codec::imap_types::IntoStatic;
                self.data(data.into_static())
            }
            _ => None,
        }
    }

    /// The UIDs of an ESEARCH answer to a command in flight. More than a SEARCH's budget
    /// allows (see `budget.rs`) is a protocol error, as for SEARCH; None when it cannot be
    /// read: it then counts as unparsed, which fails the search.
    fn esearch(&self, bytes: &[u8]) -> Result<Option<Update>> {
        use super::esearch::Unusable;
        let exists = self.exists().unwrap_or(0);
        let mailbox = u64::from(exists).min(MAX_BUDGET_EXISTS);
        let found = match super::esearch::parse(bytes, mailbox + SLACK) {
            Ok(found) => found,
            Err(Unusable::TooMany { limit }) => {
                return Err(ImapError::protocol(format!(
                    "SEARCH: the server returned more than {limit} search results for a \
                     mailbox of {exists} messages"
                )));
            }
            Err(Unusable::Garbled(why)) => {
                tracing::warn!("an ESEARCH response cannot be read: {why}");
                return Ok(None);
            }
        };
        let ours = found
            .tag
            .as_ref()
            .is_none_or(|tag| self.in_flight.contains(tag));
        if !found.uid || !ours {
            tracing::warn!("an ESEARCH response without UIDs, or for no command in flight");
            return Ok(None);
        }
        Ok(Some(Update::Search {
            ids: found.all.iter().collect(),
            modseq: None,
        }))
    }

    fn handle(&mut self, event: Event) -> Result<Option<SessionEvent>> {
        let out = match event {
            Event::GreetingReceived { greeting } => {
                if let Some(c) = &greeting.code {
                    self.note_code(&code(c));
                }
                match greeting.kind {
                    GreetingKind::Bye => {
                        return Err(ImapError::new(
                            ErrorKind::Bye,
                            format!("server refused the connection: {}", greeting.text),
                        ));
                    }
                    kind => SessionEvent::Greeting {
                        preauth: kind == GreetingKind::PreAuth,
                        text: greeting.text.to_string(),
                    },
                }
            }
            Event::CommandSent { .. } | Event::AuthenticateStarted { .. } => return Ok(None),
            Event::IdleCommandSent { .. } => return Ok(None),
            Event::CommandRejected {
                command, status, ..
            } => {
                let tag = command.tag.as_ref().to_string();
                self.complete(&tag);
                SessionEvent::Done {
                    tag,
                    status: match status {
                        Status::Tagged(t) => status_info(&t.body),
                        Status::Untagged(body) => status_info(&body),
                        Status::Bye(bye) => StatusInfo {
                            kind: StatusKind::Bad,
                            code: None,
                            text: bye.text.to_string(),
                        },
                    },
                }
            }
            Event::AuthenticateContinuationRequestReceived {
                handle: _,
                continuation_request,
            } => {
                let tag = self.in_flight.front().cloned().unwrap_or_default();
                let challenge = match continuation_request {
                    imap_codec::imap_types::response::CommandContinuationRequest::Base64(data) => {
                        data.into_owned()
                    }
                    imap_codec::imap_types::response::CommandContinuationRequest::Basic(_) => {
                        Vec::new()
                    }
                };
                SessionEvent::AuthContinue { tag, challenge }
            }
            Event::AuthenticateStatusReceived {
                command_authenticate,
                status,
                ..
            } => {
                let tag = command_authenticate.tag.as_ref().to_string();
                self.complete(&tag);
                let info = match &status {
                    Status::Tagged(t) => status_info(&t.body),
                    Status::Untagged(b) => status_info(b),
                    Status::Bye(b) => StatusInfo {
                        kind: StatusKind::No,
                        code: None,
                        text: b.text.to_string(),
                    },
                };
                if let Some(c) = &info.code {
                    self.note_code(c);
                }
                SessionEvent::Done { tag, status: info }
            }
            Event::IdleAccepted { .. } => SessionEvent::IdleAccepted,
            Event::IdleRejected { status, .. } => {
                let info = match &status {
                    Status::Tagged(t) => {
                        self.complete(t.tag.as_ref());
                        status_info(&t.body)
                    }
                    Status::Untagged(b) => status_info(b),
                    Status::Bye(b) => StatusInfo {
                        kind: StatusKind::No,
                        code: None,
                        text: b.text.to_string(),
                    },
                };
                SessionEvent::IdleRejected(info)
            }
            Event::IdleDoneSent { .. } => SessionEvent::IdleDoneSent,
            Event::DataReceived { data } => match self.data(data) {
                Some(update) => SessionEvent::Update(update),
                None => return Ok(None),
            },
            Event::StatusReceived { status } => match status {
                Status::Tagged(tagged) => {
                    let tag = tagged.tag.as_ref().to_string();
                    self.complete(&tag);
                    let info = status_info(&tagged.body);
                    if let Some(c) = &info.code {
                        self.note_code(c);
                    }
                    SessionEvent::Done { tag, status: info }
                }
                Status::Untagged(body) => {
                    let info = status_info(&body);
                    if let Some(c) = &info.code {
                        self.note_code(c);
                    }
                    SessionEvent::Update(Update::Info(info))
                }
                Status::Bye(bye) => {
                    let text = bye.text.to_string();
                    self.bye = Some(text.clone());
                    SessionEvent::Update(Update::Bye(text))
                }
            },
            Event::ContinuationRequestReceived { .. } => SessionEvent::Continuation,
        };
        Ok(Some(out))
    }

    fn complete(&mut self, tag: &str) {
        if let Some(position) = self.in_flight.iter().position(|t| t == tag) {
            self.in_flight.remove(position);
        }
    }

    fn note_code(&mut self, code: &Code) {
        if let Code::Capability(caps) = code {
            self.set_capabilities(caps);
        }
    }

    fn set_capabilities(&mut self, caps: &[String]) {
        self.capabilities = caps.iter().map(|c| c.to_ascii_uppercase()).collect();
    }

    /// Converts one untagged data response, keeping the sequence map in step.
    fn data(&mut self, data: Data<'static>) -> Option<Update> {
        let mut update = data_to_update(data)?;
        match &mut update {
            Update::Capabilities(caps) => {
                let caps = caps.clone();
                self.set_capabilities(&caps);
            }
            Update::Enabled(caps) => {
                self.enabled
                    .extend(caps.iter().map(|c| c.to_ascii_uppercase()));
            }
            Update::Exists(n) => {
                if let Some(selected) = &mut self.selected {
                    let n = usize::try_from(*n).unwrap_or(usize::MAX);
                    // EXISTS never shrinks a mailbox; a smaller number means we missed an
                    // EXPUNGE, so the map cannot be trusted any more.
                    if n < selected.seq_map.len() {
                        selected.seq_map.clear();
                    }
                    selected.seq_map.resize(n.min(MAX_TRACKED_MESSAGES), 0);
                }
            }
            Update::Expunge { seq, uid } => {
                if let Some(selected) = &mut self.selected {
                    let index = usize::try_from(*seq).ok().and_then(|s| s.checked_sub(1));
                    if let Some(index) = index.filter(|&i| i < selected.seq_map.len()) {
                        let removed = selected.seq_map.remove(index);
                        *uid = (removed != 0).then_some(removed);
                    }
                }
            }
            Update::Vanished { uids, earlier } => {
                if let (Some(selected), false) = (&mut self.selected, *earlier) {
                    let before = selected.seq_map.len();
                    let has_unknown = selected.seq_map.contains(&0);
                    selected
                        .seq_map
                        .retain(|uid| *uid == 0 || !uids.contains(*uid));
                    let removed = before - selected.seq_map.len();
                    // A vanished UID we never mapped sits at an unknown position: the map
                    // can no longer be trusted.
                    if has_unknown && u64::try_from(removed).ok() != Some(uids.len()) {
                        let remaining = usize::try_from(uids.len())
                            .map_or(0, |gone| before.saturating_sub(gone));
                        selected.seq_map = vec![0; remaining];
                    }
                }
            }
            Update::Fetch(fetch) => {
                if let Some(selected) = &mut self.selected {
                    let index = usize::try_from(fetch.seq)
                        .ok()
                        .and_then(|s| s.checked_sub(1));
                    if let Some(index) = index.filter(|&i| i < MAX_TRACKED_MESSAGES) {
                        if index >= selected.seq_map.len() {
                            selected.seq_map.resize(index + 1, 0);
                        }
                        match fetch.uid {
                            Some(uid) => selected.seq_map[index] = uid,
                            None => fetch.uid = Some(selected.seq_map[index]).filter(|&u| u != 0),
                        }
                    }
                }
            }
            _ => {}
        }
        Some(update)
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` and steps until the session wants more; returns its events.
    fn events(session: &mut Session, bytes: &[u8]) -> Vec<SessionEvent> {
        session.feed(bytes);
        let mut out = Vec::new();
        loop {
            match session.step() {
                Ok(Step::Read) => return out,
                Ok(Step::Write(_)) => {}
                Ok(Step::Event(event)) => out.push(event),
                Err(err) => panic!("{err}"),
            }
        }
    }

    #[test]
    fn skipped_responses_count_in_the_session_and_the_process() {
        let before = process_problems();
        let mut session = Session::new();
        events(&mut session, b"* OK ready\r\n");
        let got = events(&mut session, b"* 1 FETCH (UIX 2 FLAGS ())\r\n");
        assert!(
            matches!(got.as_slice(), [SessionEvent::Update(Update::Unparsed(_))]),
            "{got:?}"
        );
        assert_eq!(session.problems().unparsed, 1);
        // Other tests may skip responses meanwhile: at least ours is counted.
        let grown = process_problems().since(before);
        assert!(grown.unparsed >= 1, "{grown:?}");
        assert!(!grown.is_empty());
        assert!(ResponseProblems::default().is_empty());
    }

    /// Why tern never ENABLEs UTF8=ACCEPT (see `ImapClient::setup`): imap-codec reads a
    /// quoted mailbox name as 7-bit, so the UTF-8 names a server sends after that ENABLE
    /// would be skipped. Modified UTF-7 (and UTF-8 in a literal, which some servers send
    /// anyway) reads fine.
    #[test]
    fn utf8_names_parse_in_literals_and_modified_utf7_but_not_quoted() {
        let mut session = Session::new();
        events(&mut session, b"* OK ready\r\n");
        let name = |got: Vec<SessionEvent>| match got.as_slice() {
            [SessionEvent::Update(Update::List(entry))] => Some(entry.name.clone()),
            _ => None,
        };
        let mutf7 = events(&mut session, b"* LIST () \"/\" \"Caf&AOk-/&ZeVnLIqe-\"\r\n");
        assert_eq!(name(mutf7).as_deref(), Some("Café/日本語"));
        let literal = format!(
            "* LIST () \"/\" {{{}}}\r\nCafé/日本語\r\n",
            "Café/日本語".len()
        );
        let got = events(&mut session, literal.as_bytes());
        assert_eq!(name(got).as_deref(), Some("Café/日本語"));
        let quoted = events(&mut session, "* LIST () \"/\" \"Café\"\r\n".as_bytes());
        assert!(
            matches!(
                quoted.as_slice(),
                [SessionEvent::Update(Update::Unparsed(_))]
            ),
            "{quoted:?}"
        );
    }
}
