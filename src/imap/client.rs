//! The IMAP client API: one method per command, each running to its tagged completion
//! while every untagged response goes to the caller's sink, in order, as it arrives.
//! Nothing is queued behind the caller's back, so nothing can be dropped.

use std::borrow::Cow;
use std::future::Future;
use std::num::NonZeroU32;
use std::time::Duration;

use imap_codec::imap_types::{
    IntoStatic,
    command::{CommandBody, FetchModifier, SelectParameter, StoreModifier},
    core::{AString, IString, Literal, NString, Vec1},
    datetime::DateTime,
    extensions::{
        binary::LiteralOrLiteral8, compress::CompressionAlgorithm, enable::CapabilityEnable,
    },
    fetch::{MacroOrMessageDataItemNames, MessageDataItemName, Part, Section},
    flag::{Flag, StoreResponse, StoreType},
    mailbox::{ListMailbox, Mailbox},
    search::SearchKey,
    secret::Secret as WireSecret,
    sequence::SequenceSet,
    status::StatusDataItemName,
};

use super::auth::{self, AuthMethod, Credentials};
use super::budget::{self, Budget, Expect};
use super::driver::{Driver, Interrupted};
use super::error::{ErrorKind, ImapError, Result};
use super::mutf7;
use super::session::{ResponseProblems, SessionEvent};
use super::tls::{self, TlsOptions};
use super::types::{
    Code, CopyResult, FetchItem, ListEntry, QresyncParams, SelectInfo, StatusEntry, StatusInfo,
    StatusKind, StoreMode, Update,
};
use crate::domain::uidset::UidSet;

/// Where every untagged response goes.
pub type Sink<'a> = &'a mut (dyn FnMut(Update) + Send);

/// Ignores untagged responses (for commands whose side data does not matter).
pub fn discard() -> impl FnMut(Update) + Send {
    |_| {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 993).
    Tls,
    /// Plain connect, then STARTTLS before anything else; refused if not offered.
    StartTls,
    /// No encryption: only when the account says so explicitly.
    Plain,
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub tls: TlsOptions,
    /// Bound on every non-IDLE wait.
    pub timeout: Duration,
    /// Use COMPRESS=DEFLATE when offered.
    pub compress: bool,
    /// Send ID with tern's name and version when offered.
    pub send_id: bool,
}

impl ConnectOptions {
    pub fn new(host: impl Into<String>, port: u16, security: Security) -> Self {
        Self {
            host: host.into(),
            port,
            security,
            tls: TlsOptions {
                ca_file: None,
                fingerprint: None,
                verify: true,
            },
            timeout: Duration::from_secs(60),
            compress: true,
            send_id: true,
        }
    }
}

/// How an IDLE ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleEnd {
    /// The caller's stop signal fired.
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchQuery {
    All,
    Deleted,
    Unseen,
}

pub struct ImapClient {
    driver: Driver,
    options: ConnectOptions,
    /// Set when the protocol state cannot be trusted any more; every later command fails
    /// with a network error so the caller reconnects.
    broken: Option<String>,
    /// The mailbox selected now, and whether read-only (EXAMINE).
    selected: Option<(String, bool)>,
    /// UIDVALIDITY of the selected mailbox as its SELECT/EXAMINE reported it: what a UID
    /// sent now refers to.
    selected_uid_validity: Option<u32>,
    /// NOTIFY pushes kept for the engine (src/imap/notify.rs).
    notify: super::notify::Pushes,
}

impl ImapClient {
    /// Connects, secures the link as configured and learns the capabilities.
    pub async fn connect(options: &ConnectOptions) -> Result<Self> {
        let tls_config = match options.security {
            Security::Plain => None,
            Security::Tls | Security::StartTls => Some(tls::client_config(&options.tls)?),
        };
        let implicit = match options.security {
            Security::Tls => tls_config.clone(),
            _ => None,
        };
        let (driver, _greeting) =
            Driver::connect(&options.host, options.port, implicit, options.timeout).await?;
        let mut client = Self {
            driver,
            options: options.clone(),
            broken: None,
            selected: None,
            selected_uid_validity: None,
            notify: super::notify::Pushes::default(),
        };
        if client.capabilities().is_empty() {
            client.capability().await?;
        }
        if let (Security::StartTls, Some(config)) = (options.security, tls_config) {
            if !client.has_capability("STARTTLS") {
                return Err(ImapError::new(
                    ErrorKind::Tls,
                    format!(
                        "{} does not offer STARTTLS; refusing to continue unencrypted \
                         (set security = \"plain\" to allow it)",
                        options.host
                    ),
                ));
            }
            client.run(CommandBody::StartTLS, &mut discard()).await?;
            client.driver.upgrade_tls(&options.host, config).await?;
            client.capability().await?;
        }
        Ok(client)
    }

    /// Connect, authenticate, then ID, ENABLE and COMPRESS as offered.
    pub async fn login(
        options: &ConnectOptions,
        credentials: &Credentials,
        method: AuthMethod,
    ) -> Result<Self> {
        let mut client = Self::connect(options).await?;
        client.authenticate(credentials, method).await?;
        client.setup().await?;
        Ok(client)
    }

    pub fn capabilities(&self) -> Vec<String> {
        self.driver.session().capabilities()
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.driver.session().has_capability(name)
    }

    pub fn is_enabled(&self, name: &str) -> bool {
        self.driver.session().is_enabled(name)
    }

    pub fn is_tls(&self) -> bool {
        self.driver.is_tls()
    }

    pub fn is_compressed(&self) -> bool {
        self.driver.is_compressed()
    }

    /// The selected mailbox and whether it is read-only.
    pub fn selected(&self) -> Option<(&str, bool)> {
        self.selected
            .as_ref()
            .map(|(name, ro)| (name.as_str(), *ro))
    }

    /// UIDVALIDITY of the selected mailbox (from its SELECT/EXAMINE), if it gave one.
    pub fn selected_uid_validity(&self) -> Option<u32> {
        self.selected.as_ref().and(self.selected_uid_validity)
    }

    /// Responses skipped or repaired on this connection so far, for callers to report.
    pub fn response_problems(&self) -> ResponseProblems {
        self.driver.session().problems()
    }

    /// Messages in the selected mailbox as the server last reported.
    pub fn exists(&self) -> Option<u32> {
        self.driver.session().exists()
    }

    /// Whether EXPUNGE and FETCH pushes can be mapped to UIDs right now.
    pub fn seq_map_complete(&self) -> bool {
        self.driver.session().seq_map_complete()
    }

    /// Runs one command to its tagged completion; NO and BAD become errors.
    pub async fn run(&mut self, body: CommandBody<'static>, sink: Sink<'_>) -> Result<StatusInfo> {
        self.run_expecting(body, Expect::small(), sink).await
    }

    /// Runs one command within the budget and deadline of what it asked for. A server that
    /// floods it or drips too slowly ends it; the connection is then given up.
    async fn run_expecting(
        &mut self,
        body: CommandBody<'static>,
        expect: Expect,
        sink: Sink<'_>,
    ) -> Result<StatusInfo> {
        let name = body.name();
        // Taken even when the command never runs, so it cannot leak into the next one.
        let answering = std::mem::take(&mut self.notify.answering);
        self.check_usable()?;
        let tag = self.driver.session.enqueue(body)?;
        self.await_tagged(tag, name, expect, answering, sink).await
    }

    /// A connection that broke mid-command takes no further commands.
    fn check_usable(&self) -> Result<()> {
        match &self.broken {
            Some(reason) => Err(ImapError::network(format!(
                "connection needs to be re-established: {reason}"
            ))),
            None => Ok(()),
        }
    }

    /// Reads a sent command's responses up to its tagged completion.
    async fn await_tagged(
        &mut self,
        tag: String,
        name: &str,
        expect: Expect,
        answering: super::notify::Answering,
        sink: Sink<'_>,
    ) -> Result<StatusInfo> {
        self.driver.begin_command(expect.messages);
        let mut budget = Budget::new(expect, self.exists());
        let result = loop {
            let event = match self.driver.next_event().await {
                Ok(event) => event,
                Err(e) => break Err(e),
            };
            match event {
                SessionEvent::Update(mut update) => {
                    if let Err(why) = budget.admit(&mut update, self.exists()) {
                        break Err(ImapError::protocol(format!("{name}: {why}")));
                    }
                    self.notify.note(&update, &answering);
                    sink(update);
                }
                SessionEvent::Done { tag: done, status } if done == tag => {
                    break into_result(name, status);
                }
                SessionEvent::AuthContinue { .. } => {
                    if let Err(e) = self.driver.session.cancel_auth() {
                        break Err(e);
                    }
                }
                _ => {}
            }
        };
        self.driver.end_command();
        if let Err(e) = &result
            && matches!(e.kind, ErrorKind::Protocol | ErrorKind::Timeout)
        {
            // The command's reply is still on its way: what follows cannot be trusted.
            self.broken.get_or_insert_with(|| e.message.clone());
        }
        result
    }

    pub async fn capability(&mut self) -> Result<Vec<String>> {
        self.run(CommandBody::Capability, &mut discard()).await?;
        Ok(self.capabilities())
    }

    pub async fn authenticate(
        &mut self,
        credentials: &Credentials,
        method: AuthMethod,
    ) -> Result<()> {
        let method = self.choose_method(credentials, method)?;
        let username = credentials.username().to_string();
        let result = match (method, credentials) {
            (AuthMethod::Login, Credentials::Password { password, .. }) => {
                let body = CommandBody::login(username.clone(), password.expose().clone())
                    .map_err(|_| {
                        ImapError::new(
                            ErrorKind::Auth,
                            "the username or password cannot be sent with LOGIN",
                        )
                    })?;
                self.run(body, &mut discard()).await
            }
            (AuthMethod::Plain, Credentials::Password { password, .. }) => {
                let payload = auth::plain_payload(&username, password);
                self.sasl(imap_codec::imap_types::auth::AuthMechanism::Plain, payload)
                    .await
            }
            (AuthMethod::XOAuth2, Credentials::OAuth2 { token, .. }) => {
                let payload = auth::xoauth2_payload(&username, token);
                self.sasl(
                    imap_codec::imap_types::auth::AuthMechanism::XOAuth2,
                    payload,
                )
                .await
            }
            (AuthMethod::OAuthBearer, Credentials::OAuth2 { token, .. }) => {
                let payload = auth::oauthbearer_payload(
                    &username,
                    &self.options.host,
                    self.options.port,
                    token,
                );
                self.sasl(
                    imap_codec::imap_types::auth::AuthMechanism::OAuthBearer,
                    payload,
                )
                .await
            }
            _ => {
                return Err(ImapError::new(
                    ErrorKind::Auth,
                    "this authentication method does not fit the configured credentials",
                ));
            }
        };
        match result {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::Command => {
                return Err(ImapError::new(
                    ErrorKind::Auth,
                    format!("login as {username} failed: {}", e.message),
                ));
            }
            Err(e) => return Err(e),
        }
        // Capabilities change after login; refresh unless the OK carried them.
        self.capability().await?;
        Ok(())
    }

    fn choose_method(&self, credentials: &Credentials, method: AuthMethod) -> Result<AuthMethod> {
        if method != AuthMethod::Auto {
            return Ok(method);
        }
        match credentials {
            Credentials::Password { .. } => {
                if self.has_capability("AUTH=PLAIN") {
                    Ok(AuthMethod::Plain)
                } else if self.has_capability("LOGINDISABLED") {
                    Err(ImapError::new(
                        ErrorKind::Auth,
                        "the server allows no password login on this connection (LOGINDISABLED)",
                    ))
                } else {
                    Ok(AuthMethod::Login)
                }
            }
            Credentials::OAuth2 { .. } => {
                if self.has_capability("AUTH=XOAUTH2") {
                    Ok(AuthMethod::XOAuth2)
                } else if self.has_capability("AUTH=OAUTHBEARER") {
                    Ok(AuthMethod::OAuthBearer)
                } else {
                    Err(ImapError::new(
                        ErrorKind::Auth,
                        "the server offers neither XOAUTH2 nor OAUTHBEARER",
                    ))
                }
            }
        }
    }

    /// AUTHENTICATE with an initial response: inline when SASL-IR is offered, else after
    /// the first continuation. A second challenge is an error report (XOAUTH2 sends JSON),
    /// answered with an empty line so the server can finish with NO.
    async fn sasl(
        &mut self,
        mechanism: imap_codec::imap_types::auth::AuthMechanism<'static>,
        payload: crate::domain::secret::Secret<Vec<u8>>,
    ) -> Result<StatusInfo> {
        let inline = self.has_capability("SASL-IR");
        let oauthbearer = matches!(
            mechanism,
            imap_codec::imap_types::auth::AuthMechanism::OAuthBearer
        );
        let initial_response =
            inline.then(|| WireSecret::new(Cow::Owned(payload.expose().clone())));
        let tag = self.driver.session.enqueue(CommandBody::Authenticate {
            mechanism,
            initial_response,
        })?;
        let mut server_error = String::new();
        self.driver.begin_command(0);
        let result = self
            .sasl_exchange(&tag, inline, oauthbearer, payload, &mut server_error)
            .await;
        self.driver.end_command();
        let mut status = result?;
        if !server_error.is_empty() {
            status.text = format!("{} ({server_error})", status.text);
        }
        into_result("AUTHENTICATE", status)
    }

    async fn sasl_exchange(
        &mut self,
        tag: &str,
        mut sent: bool,
        oauthbearer: bool,
        payload: crate::domain::secret::Secret<Vec<u8>>,
        server_error: &mut String,
    ) -> Result<StatusInfo> {
        loop {
            match self.driver.next_event().await? {
                SessionEvent::AuthContinue { challenge, .. } => {
                    if sent {
                        *server_error = String::from_utf8_lossy(&challenge).into_owned();
                        // RFC 7628 §3.2.3: OAUTHBEARER acknowledges the error with 0x01;
                        // XOAUTH2 with an empty line.
                        let ack = if oauthbearer { vec![0x01] } else { Vec::new() };
                        self.driver.session.set_auth_response(ack)?;
                    } else {
                        sent = true;
                        self.driver
                            .session
                            .set_auth_response(payload.expose().clone())?;
                    }
                }
                SessionEvent::Done { tag: done, status } if done == tag => return Ok(status),
                _ => {}
            }
        }
    }

    /// ID, ENABLE QRESYNC (or CONDSTORE) and COMPRESS=DEFLATE, as far as offered. Never
    /// UTF8=ACCEPT: imap-codec cannot read the quoted UTF-8 mailbox names that would follow
    /// (see the session's tests), so names stay modified UTF-7, which such servers keep
    /// speaking until enabled. Dovecot 2.3 does not offer it anyway.
    pub async fn setup(&mut self) -> Result<()> {
        if self.options.send_id && self.has_capability("ID") {
            self.id(&mut discard()).await?;
        }
        if self.has_capability("ENABLE") {
            if self.has_capability("QRESYNC") {
                self.enable(&["QRESYNC"], &mut discard()).await?;
            } else if self.has_capability("CONDSTORE") {
                self.enable(&["CONDSTORE"], &mut discard()).await?;
            }
        }
        if self.options.compress && self.has_capability("COMPRESS=DEFLATE") {
            self.compress().await?;
        }
        Ok(())
    }

    pub async fn id(&mut self, sink: Sink<'_>) -> Result<()> {
        let field = |k: &str, v: &str| -> Result<(IString<'static>, NString<'static>)> {
            Ok((
                IString::try_from(k.to_string()).map_err(|e| ImapError::bug(e.to_string()))?,
                NString::try_from(v.to_string()).map_err(|e| ImapError::bug(e.to_string()))?,
            ))
        };
        let parameters = vec![
            field("name", "tern")?,
            field("version", env!("CARGO_PKG_VERSION"))?,
        ];
        self.run(
            CommandBody::Id {
                parameters: Some(parameters),
            },
            sink,
        )
        .await?;
        Ok(())
    }

    pub async fn enable(&mut self, names: &[&str], sink: Sink<'_>) -> Result<()> {
        let capabilities: Vec<CapabilityEnable<'static>> = names
            .iter()
            .map(|n| CapabilityEnable::try_from(*n).map(IntoStatic::into_static))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| ImapError::bug(format!("bad ENABLE name: {e}")))?;
        let capabilities =
            Vec1::try_from(capabilities).map_err(|_| ImapError::bug("empty ENABLE"))?;
        self.run(CommandBody::Enable { capabilities }, sink).await?;
        Ok(())
    }

    pub async fn compress(&mut self) -> Result<()> {
        self.run(
            CommandBody::Compress {
                algorithm: CompressionAlgorithm::Deflate,
            },
            &mut discard(),
        )
        .await?;
        self.driver.start_compression();
        Ok(())
    }

    /// Every mailbox, with special-use attributes and the hierarchy delimiter.
    pub async fn list(&mut self, sink: Sink<'_>) -> Result<Vec<ListEntry>> {
        let mut entries = Vec::new();
        let body = CommandBody::List {
            reference: Mailbox::try_from("").map_err(|e| ImapError::bug(e.to_string()))?,
            mailbox_wildcard: ListMailbox::try_from("*".to_string())
                .map_err(|e| ImapError::bug(e.to_string()))?,
        };
        self.notify.answering = super::notify::Answering::List;
        self.run_expecting(body, Expect::list(), &mut |update| {
            if let Update::List(entry) = &update {
                entries.push(entry.clone());
            }
            sink(update);
        })
        .await?;
        Ok(entries)
    }

    /// The subscribed mailboxes (LSUB, in every IMAP4rev1 server).
    pub async fn lsub(&mut self, sink: Sink<'_>) -> Result<Vec<ListEntry>> {
        let mut entries = Vec::new();
        let body = CommandBody::Lsub {
            reference: Mailbox::try_from("").map_err(|e| ImapError::bug(e.to_string()))?,
            mailbox_wildcard: ListMailbox::try_from("*".to_string())
                .map_err(|e| ImapError::bug(e.to_string()))?,
        };
        self.run_expecting(body, Expect::list(), &mut |update| {
            if let Update::List(entry) = &update {
                entries.push(entry.clone());
            }
            sink(update);
        })
        .await?;
        Ok(entries)
    }

    /// The subscribed folder names; None when the server reports none beyond INBOX (or
    /// refuses LSUB): then every folder counts as subscribed (see `subscribed_names`).
    pub async fn subscriptions(&mut self) -> Result<Option<std::collections::HashSet<String>>> {
        match self.lsub(&mut discard()).await {
            Ok(entries) => Ok(super::types::subscribed_names(entries)),
            Err(err) if !err.kind.is_transient() => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub async fn status(&mut self, mailbox: &str, sink: Sink<'_>) -> Result<StatusEntry> {
        let mut items = vec![
            StatusDataItemName::Messages,
            StatusDataItemName::Unseen,
            StatusDataItemName::UidNext,
            StatusDataItemName::UidValidity,
        ];
        if self.has_capability("CONDSTORE") || self.has_capability("QRESYNC") {
            items.push(StatusDataItemName::HighestModSeq);
        }
        let body = CommandBody::Status {
            mailbox: wire_mailbox(mailbox)?,
            item_names: items.into(),
        };
        let mut found = None;
        self.notify.answering = super::notify::Answering::Status(mailbox.to_string());
        self.run(body, &mut |update| {
            if let Update::Status(entry) = &update {
                found = Some(entry.clone());
            }
            sink(update);
        })
        .await?;
        found.ok_or_else(|| ImapError::protocol(format!("no STATUS data for {mailbox}")))
    }

    /// SELECT (or EXAMINE when `read_only`), with QRESYNC parameters when given and
    /// enabled, else CONDSTORE when offered.
    pub async fn select(
        &mut self,
        mailbox: &str,
        read_only: bool,
        qresync: Option<&QresyncParams>,
        sink: Sink<'_>,
    ) -> Result<SelectInfo> {
        let mut parameters = Vec::new();
        match qresync.filter(|_| self.is_enabled("QRESYNC")) {
            Some(params) => {
                let (Some(uid_validity), Some(modseq)) = (
                    std::num::NonZeroU32::new(params.uid_validity),
                    std::num::NonZeroU64::new(params.modseq),
                ) else {
                    return Err(ImapError::bug("QRESYNC needs a UIDVALIDITY and a MODSEQ"));
                };
                let known_uids = match &params.known_uids {
                    Some(set) if !set.is_empty() => Some(sequence_set(set)?),
                    _ => None,
                };
                parameters.push(SelectParameter::QResync {
                    uid_validity,
                    mod_sequence_value: modseq,
                    known_uids,
                    seq_match_data: None,
                });
            }
            None if self.has_capability("CONDSTORE") && !self.is_enabled("QRESYNC") => {
                parameters.push(SelectParameter::CondStore);
            }
            None => {}
        }
        let mailbox_wire = wire_mailbox(mailbox)?;
        let body = if read_only {
            CommandBody::Examine {
                mailbox: mailbox_wire,
                parameters,
            }
        } else {
            CommandBody::Select {
                mailbox: mailbox_wire,
                parameters,
            }
        };
        self.driver.session.begin_select();
        self.selected = None;
        self.selected_uid_validity = None;
        let mut info = SelectInfo::default();
        let result = self
            .run(body, &mut |update| {
                match &update {
                    Update::Exists(n) => info.exists = *n,
                    Update::Flags(flags) => info.flags = flags.clone(),
                    Update::Info(status) => apply_select_code(&mut info, status.code.as_ref()),
                    _ => {}
                }
                sink(update);
            })
            .await;
        match result {
            Ok(status) => {
                apply_select_code(&mut info, status.code.as_ref());
                info.read_only = read_only || status.code == Some(Code::ReadOnly);
                self.selected = Some((mailbox.to_string(), info.read_only));
                self.selected_uid_validity = info.uid_validity;
                Ok(info)
            }
            Err(e) => {
                self.driver.session.end_select();
                Err(e)
            }
        }
    }

    /// Fills the sequence map with `UID SEARCH ALL`, so EXPUNGE pushes name their UIDs on
    /// servers without QRESYNC.
    pub async fn map_sequence_numbers(&mut self, sink: Sink<'_>) -> Result<()> {
        let uids = self.uid_search(SearchQuery::All, sink).await?;
        let exists = self.driver.session().exists().unwrap_or(0);
        if u32::try_from(uids.len()).ok() == Some(exists) {
            let mut sorted = uids;
            sorted.sort_unstable();
            self.driver.session.set_seq_map(sorted);
        }
        Ok(())
    }

    /// UID FETCH, streamed: each FETCH response reaches the sink as soon as it is parsed.
    pub async fn uid_fetch(
        &mut self,
        uids: &str,
        items: &[FetchItem],
        changed_since: Option<u64>,
        sink: Sink<'_>,
    ) -> Result<()> {
        let names: Vec<MessageDataItemName<'static>> =
            items.iter().map(item_name).collect::<Result<_>>()?;
        let mut modifiers = Vec::new();
        if let Some(modseq) = changed_since.and_then(std::num::NonZeroU64::new) {
            modifiers.push(FetchModifier::ChangedSince(modseq));
            if self.is_enabled("QRESYNC") {
                modifiers.push(FetchModifier::Vanished);
            }
        }
        let sequence_set = parse_set(uids)?;
        let expect = Expect::fetch(
            &super::convert::sequence_set_to_uids(&sequence_set),
            self.exists(),
        );
        let body = CommandBody::Fetch {
            sequence_set,
            macro_or_item_names: MacroOrMessageDataItemNames::MessageDataItemNames(names),
            uid: true,
            modifiers,
        };
        self.run_expecting(body, expect, sink).await?;
        Ok(())
    }

    /// FETCH by sequence numbers `first..=last`: the newest messages of a folder whose UIDs
    /// are not known yet, without a UID list first. Each answer carries its UID.
    pub async fn fetch_by_seq(
        &mut self,
        first: u32,
        last: u32,
        items: &[FetchItem],
        sink: Sink<'_>,
    ) -> Result<()> {
        let names: Vec<MessageDataItemName<'static>> =
            items.iter().map(item_name).collect::<Result<_>>()?;
        let expect = Expect {
            messages: u64::from(last.saturating_sub(first).saturating_add(1)),
            wanted: 0,
            // Any UID may answer: the numbers name positions, not UIDs.
            fetch: Some(UidSet::from_ranges([(1, u32::MAX)])),
        };
        let body = CommandBody::Fetch {
            sequence_set: parse_set(&format!("{first}:{last}"))?,
            macro_or_item_names: MacroOrMessageDataItemNames::MessageDataItemNames(names),
            uid: false,
            modifiers: Vec::new(),
        };
        self.run_expecting(body, expect, sink).await?;
        Ok(())
    }

    /// UID SEARCH for a whole-folder key; through ESEARCH where offered, whose answer for
    /// `ALL` is a few ranges instead of every UID (6.9 MB at a million messages).
    pub async fn uid_search(&mut self, query: SearchQuery, sink: Sink<'_>) -> Result<Vec<u32>> {
        let key = match query {
            SearchQuery::All => SearchKey::All,
            SearchQuery::Deleted => SearchKey::Deleted,
            SearchQuery::Unseen => SearchKey::Unseen,
        };
        self.uid_search_key(Vec1::from(key), false, sink).await
    }

    /// UID SEARCH with a key built from the search language (`imap::search`); `utf8` sends
    /// `CHARSET UTF-8` for values that are not ASCII. ESEARCH is used where offered and the
    /// criteria fit on one line.
    pub async fn uid_search_key(
        &mut self,
        criteria: Vec1<SearchKey<'static>>,
        utf8: bool,
        sink: Sink<'_>,
    ) -> Result<Vec<u32>> {
        if !utf8
            && self.has_capability("ESEARCH")
            && let Some(line) = super::esearch::command_line(criteria.clone())
        {
            return self.uid_esearch(&line, sink).await;
        }
        let charset = if utf8 {
            Some(
                imap_codec::imap_types::core::Charset::try_from("UTF-8")
                    .map_err(|e| ImapError::new(ErrorKind::Command, e.to_string()))?,
            )
        } else {
            None
        };
        self.plain_uid_search(charset, criteria, sink).await
    }

    /// `UID SEARCH [CHARSET c] criteria`, its answer bounded by the mailbox size.
    async fn plain_uid_search(
        &mut self,
        charset: Option<imap_codec::imap_types::core::Charset<'static>>,
        criteria: Vec1<SearchKey<'static>>,
        sink: Sink<'_>,
    ) -> Result<Vec<u32>> {
        let mut found = Vec::new();
        let body = CommandBody::search(charset, criteria, true);
        let expect = Expect::messages(u64::from(self.exists().unwrap_or(0)));
        self.run_expecting(body, expect, &mut |update| {
            if let Update::Search { ids, .. } = &update {
                found.extend_from_slice(ids);
            }
            sink(update);
        })
        .await?;
        Ok(found)
    }

    /// `UID SEARCH RETURN (ALL) ...` as a raw line; the session reads the ESEARCH answer
    /// into an ordinary SEARCH update.
    async fn uid_esearch(&mut self, line: &str, sink: Sink<'_>) -> Result<Vec<u32>> {
        let answering = std::mem::take(&mut self.notify.answering);
        self.check_usable()?;
        let tag = self.driver.session.enqueue_raw(line)?;
        let expect = Expect::messages(u64::from(self.exists().unwrap_or(0)));
        let mut found = Vec::new();
        let mut unreadable = None;
        self.await_tagged(tag, "SEARCH", expect, answering, &mut |update| {
            match &update {
                Update::Search { ids, .. } => found.extend_from_slice(ids),
                Update::Unparsed(preview) if super::esearch::is_esearch(preview.as_bytes()) => {
                    unreadable = Some(preview.clone());
                }
                _ => {}
            }
            sink(update);
        })
        .await?;
        match unreadable {
            // Results left out would look like fewer matches.
            Some(preview) => Err(ImapError::protocol(format!(
                "SEARCH: unusable ESEARCH response: {preview}"
            ))),
            None => Ok(found),
        }
    }

    /// UID STORE. Returns the UIDs the server refused because they changed since
    /// `unchanged_since` (the MODIFIED response code).
    pub async fn uid_store(
        &mut self,
        uids: &str,
        mode: StoreMode,
        flags: &[String],
        unchanged_since: Option<u64>,
        sink: Sink<'_>,
    ) -> Result<UidSet> {
        let flags: Vec<Flag<'static>> = flags
            .iter()
            .map(|f| {
                Flag::try_from(f.as_str())
                    .map(IntoStatic::into_static)
                    .map_err(|e| {
                        ImapError::new(ErrorKind::Command, format!("invalid flag {f:?}: {e}"))
                    })
            })
            .collect::<Result<_>>()?;
        let modifiers = match unchanged_since {
            Some(modseq) => vec![StoreModifier::UnchangedSince(modseq)],
            None => Vec::new(),
        };
        let sequence_set = parse_set(uids)?;
        let sent = super::convert::sequence_set_to_uids(&sequence_set);
        let expect = Expect::messages(self.named_count(&sent));
        let body = CommandBody::Store {
            sequence_set,
            kind: match mode {
                StoreMode::Add => StoreType::Add,
                StoreMode::Remove => StoreType::Remove,
                StoreMode::Replace => StoreType::Replace,
            },
            response: StoreResponse::Answer,
            flags,
            uid: true,
            modifiers,
        };
        let status = self.run_expecting(body, expect, sink).await?;
        Ok(match status.code {
            // Only what we sent can have been refused.
            Some(Code::Modified(set)) => set.intersection(&sent),
            _ => UidSet::new(),
        })
    }

    pub async fn uid_copy(
        &mut self,
        uids: &str,
        destination: &str,
        sink: Sink<'_>,
    ) -> Result<Option<CopyResult>> {
        let sequence_set = parse_set(uids)?;
        let sent = super::convert::sequence_set_to_uids(&sequence_set);
        let body = CommandBody::Copy {
            sequence_set,
            mailbox: wire_mailbox(destination)?,
            uid: true,
        };
        let mut from_untagged = None;
        let expect = Expect::messages(self.named_count(&sent));
        let status = self
            .run_expecting(body, expect, &mut |update| {
                if let Update::Info(info) = &update
                    && let Some(result) = copy_result(info.code.as_ref())
                {
                    from_untagged = Some(result);
                }
                sink(update);
            })
            .await?;
        Ok(checked_copy_result(
            copy_result(status.code.as_ref()).or(from_untagged),
            &sent,
        ))
    }

    /// UID MOVE, or COPY + STORE \Deleted + UID EXPUNGE of exactly those UIDs.
    pub async fn uid_move(
        &mut self,
        uids: &str,
        destination: &str,
        sink: Sink<'_>,
    ) -> Result<Option<CopyResult>> {
        if !self.has_capability("MOVE") {
            let copied = self.uid_copy(uids, destination, sink).await?;
            self.uid_store(uids, StoreMode::Add, &["\\Deleted".into()], None, sink)
                .await?;
            self.uid_expunge(uids, sink).await?;
            return Ok(copied);
        }
        let sequence_set = parse_set(uids)?;
        let sent = super::convert::sequence_set_to_uids(&sequence_set);
        let body = CommandBody::Move {
            sequence_set,
            mailbox: wire_mailbox(destination)?,
            uid: true,
        };
        // RFC 6851 sends COPYUID in an untagged OK before the expunges.
        let mut from_untagged = None;
        let expect = Expect::messages(self.named_count(&sent));
        let status = self
            .run_expecting(body, expect, &mut |update| {
                if let Some(result) = match &update {
                    Update::Info(info) => copy_result(info.code.as_ref()),
                    _ => None,
                } {
                    from_untagged = Some(result);
                }
                sink(update);
            })
            .await?;
        Ok(checked_copy_result(
            from_untagged.or(copy_result(status.code.as_ref())),
            &sent,
        ))
    }

    /// How many messages a UID set names, as far as the mailbox has them (`*` and sparse
    /// ranges name far more UIDs than there are messages).
    fn named_count(&self, uids: &UidSet) -> u64 {
        match self.exists() {
            Some(n) => uids.len().min(u64::from(n)),
            None => uids.len().min(budget::SLACK),
        }
    }

    /// Expunges exactly `uids`. Without UIDPLUS, other messages marked \Deleted are
    /// unmarked for the duration of a plain EXPUNGE and marked again afterwards, so a
    /// message the user did not act on is never removed.
    pub async fn uid_expunge(&mut self, uids: &str, sink: Sink<'_>) -> Result<()> {
        if self.has_capability("UIDPLUS") {
            let sequence_set = parse_set(uids)?;
            let named = self.named_count(&super::convert::sequence_set_to_uids(&sequence_set));
            let body = CommandBody::ExpungeUid { sequence_set };
            self.run_expecting(body, Expect::messages(named), sink)
                .await?;
            return Ok(());
        }
        let bystanders = self.deleted_bystanders(uids, sink).await?;
        self.expunge_sparing(&bystanders, sink).await
    }

    /// Messages marked \Deleted other than `uids`: what a plain EXPUNGE must spare.
    pub async fn deleted_bystanders(&mut self, uids: &str, sink: Sink<'_>) -> Result<UidSet> {
        let targets = expand_uid_text(uids)?;
        let deleted = self.uid_search(SearchQuery::Deleted, sink).await?;
        Ok(deleted
            .into_iter()
            .filter(|uid| !targets.contains(*uid))
            .collect())
    }

    /// A plain EXPUNGE with `bystanders` unmarked for its duration and marked again after.
    pub async fn expunge_sparing(&mut self, bystanders: &UidSet, sink: Sink<'_>) -> Result<()> {
        let deleted_flag = ["\\Deleted".to_string()];
        if !bystanders.is_empty() {
            self.uid_store(
                &bystanders.to_string(),
                StoreMode::Remove,
                &deleted_flag,
                None,
                sink,
            )
            .await?;
        }
        let everything = Expect::messages(u64::from(self.exists().unwrap_or(0)));
        let expunged = self
            .run_expecting(CommandBody::Expunge, everything, sink)
            .await;
        if !bystanders.is_empty() {
            self.uid_store(
                &bystanders.to_string(),
                StoreMode::Add,
                &deleted_flag,
                None,
                sink,
            )
            .await?;
        }
        expunged.map(|_| ())
    }

    /// APPEND; returns (UIDVALIDITY, UID) when the server reports APPENDUID.
    pub async fn append(
        &mut self,
        mailbox: &str,
        flags: &[String],
        internal_date: Option<i64>,
        message: &[u8],
        sink: Sink<'_>,
    ) -> Result<Option<(u32, u32)>> {
        let flags: Vec<Flag<'static>> = flags
            .iter()
            .filter_map(|f| Flag::try_from(f.as_str()).ok().map(IntoStatic::into_static))
            .collect();
        let date = match internal_date {
            Some(secs) => chrono::DateTime::from_timestamp(secs, 0)
                .map(|d| d.fixed_offset())
                .and_then(|d| DateTime::try_from(d).ok()),
            None => None,
        };
        let mut literal = Literal::try_from(message.to_vec()).map_err(|e| {
            ImapError::new(
                ErrorKind::Command,
                format!("cannot APPEND this message: {e}"),
            )
        })?;
        // A non-synchronizing literal cannot be left half-sent by a NO (e.g. TRYCREATE).
        let non_sync = self.has_capability("LITERAL+")
            || (self.has_capability("LITERAL-") && message.len() <= 4096);
        if non_sync {
            literal = literal.into_non_sync();
        }
        let body = CommandBody::Append {
            mailbox: wire_mailbox(mailbox)?,
            flags,
            date,
            message: LiteralOrLiteral8::Literal(literal),
        };
        let result = self.run(body, sink).await;
        if result.is_err() && !non_sync {
            // imap-next keeps waiting for the `+` of a literal the server refused.
            self.broken = Some("a synchronizing literal was refused".to_string());
        }
        let status = result?;
        Ok(match status.code {
            Some(Code::AppendUid { uid_validity, uid }) => Some((uid_validity, uid)),
            _ => None,
        })
    }

    pub async fn create(&mut self, mailbox: &str, sink: Sink<'_>) -> Result<()> {
        self.run(
            CommandBody::Create {
                mailbox: wire_mailbox(mailbox)?,
            },
            sink,
        )
        .await
        .map(|_| ())
    }

    pub async fn delete(&mut self, mailbox: &str, sink: Sink<'_>) -> Result<()> {
        self.run(
            CommandBody::Delete {
                mailbox: wire_mailbox(mailbox)?,
            },
            sink,
        )
        .await
        .map(|_| ())
    }

    pub async fn rename(&mut self, from: &str, to: &str, sink: Sink<'_>) -> Result<()> {
        let body = CommandBody::Rename {
            from: wire_mailbox(from)?,
            to: wire_mailbox(to)?,
        };
        self.run(body, sink).await.map(|_| ())
    }

    pub async fn subscribe(&mut self, mailbox: &str, sink: Sink<'_>) -> Result<()> {
        let body = CommandBody::Subscribe {
            mailbox: wire_mailbox(mailbox)?,
        };
        self.run(body, sink).await.map(|_| ())
    }

    pub async fn unsubscribe(&mut self, mailbox: &str, sink: Sink<'_>) -> Result<()> {
        let body = CommandBody::Unsubscribe {
            mailbox: wire_mailbox(mailbox)?,
        };
        self.run(body, sink).await.map(|_| ())
    }

    /// Asks for NOTIFY pushes (src/imap/notify.rs); from then on the STATUS and LIST the
    /// server pushes are kept for [`ImapClient::take_notified`].
    pub async fn notify_set(&mut self) -> Result<()> {
        self.check_usable()?;
        let tag = self.driver.session.enqueue_raw(super::notify::NOTIFY_SET)?;
        let answering = super::notify::Answering::Other;
        self.await_tagged(tag, "NOTIFY", Expect::small(), answering, &mut discard())
            .await?;
        self.notify.active = true;
        Ok(())
    }

    /// What NOTIFY pushes said changed since the last call.
    pub fn take_notified(&mut self) -> super::notify::Notified {
        std::mem::take(&mut self.notify.notified)
    }

    /// Whether NOTIFY pushes are on for this connection.
    pub fn is_notifying(&self) -> bool {
        self.notify.active
    }

    pub async fn noop(&mut self, sink: Sink<'_>) -> Result<()> {
        self.run(CommandBody::Noop, sink).await.map(|_| ())
    }

    pub async fn logout(mut self) -> Result<()> {
        let result = self.run(CommandBody::Logout, &mut discard()).await;
        self.driver.shutdown().await;
        match result {
            // The server may close before we read its OK; that is a clean logout too.
            Err(e) if matches!(e.kind, ErrorKind::Network | ErrorKind::Bye) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// IDLE until `stop` completes, forwarding pushes to the sink. The IDLE is renewed
    /// every `refresh` (servers and NATs drop silent connections); each renewal is also a
    /// liveness check: the server must accept IDLE and answer DONE within
    /// [`idle_answer_bound`] (servers do both at once), so a link
    /// that silently swallows everything surfaces as an error within `refresh` plus that.
    /// Without the IDLE capability this polls with NOOP every `refresh`.
    pub async fn idle<F: Future<Output = ()>>(
        &mut self,
        sink: Sink<'_>,
        stop: F,
        refresh: Duration,
    ) -> Result<IdleEnd> {
        tokio::pin!(stop);
        if !self.has_capability("IDLE") {
            loop {
                tokio::select! {
                    () = stop.as_mut() => return Ok(IdleEnd::Stopped),
                    () = tokio::time::sleep(refresh) => {
                        // The poll is the liveness check: bounded like a renewal of IDLE.
                        let full = self.driver.timeout;
                        self.driver.timeout = idle_answer_bound(refresh).min(full);
                        let polled = self.noop(sink).await;
                        self.driver.timeout = full;
                        polled?;
                    }
                }
            }
        }
        loop {
            let tag = self.driver.session.enqueue(CommandBody::Idle)?;
            // Servers accept IDLE at once, as they answer DONE: both waits are bounded
            // short, so a renewal is a liveness check; only the idling has no deadline.
            let full = self.driver.timeout;
            self.driver.timeout = idle_answer_bound(refresh).min(full);
            let accepted = self.await_idle_accepted(&tag, sink).await;
            self.driver.timeout = full;
            if let Some(end) = accepted? {
                return Ok(end);
            }
            let deadline = tokio::time::Instant::now() + refresh;
            let interrupted = loop {
                match self.driver.next_event_until(&mut stop, deadline).await? {
                    Ok(SessionEvent::Update(update)) => {
                        self.notify.note_pushed(&update);
                        sink(update);
                    }
                    Ok(SessionEvent::Done { tag: done, status }) if done == tag => {
                        // The server ended IDLE on its own; start again.
                        into_result("IDLE", status)?;
                        break Interrupted::Deadline;
                    }
                    Ok(_) => {}
                    Err(why) => {
                        self.driver.session.idle_done();
                        break why;
                    }
                }
            };
            // Drain to the tagged OK of the IDLE (unless it already came). Servers answer
            // DONE at once: a long silence here means the link is dead.
            if self.driver.session.in_flight() > 0 {
                let full = self.driver.timeout;
                self.driver.timeout = idle_answer_bound(refresh).min(full);
                let drained = self.drain_idle(&tag, sink).await;
                self.driver.timeout = full;
                drained?;
            }
            if let Interrupted::Stopped = interrupted {
                return Ok(IdleEnd::Stopped);
            }
        }
    }

    /// Waits for the continuation that accepts IDLE; `Some` when the server ended the
    /// command instead.
    async fn await_idle_accepted(&mut self, tag: &str, sink: Sink<'_>) -> Result<Option<IdleEnd>> {
        self.driver.begin_command(0);
        loop {
            match self.driver.next_event().await? {
                SessionEvent::IdleAccepted => break,
                SessionEvent::IdleRejected(status) => {
                    return into_result("IDLE", status).map(|_| Some(IdleEnd::Stopped));
                }
                SessionEvent::Update(update) => {
                    self.notify.note_pushed(&update);
                    sink(update);
                }
                SessionEvent::Done { tag: done, status } if done == tag => {
                    return into_result("IDLE", status).map(|_| Some(IdleEnd::Stopped));
                }
                _ => {}
            }
        }
        self.driver.end_command();
        Ok(None)
    }

    /// Reads up to the tagged answer of the IDLE after DONE, forwarding pushes.
    async fn drain_idle(&mut self, tag: &str, sink: Sink<'_>) -> Result<()> {
        self.driver.begin_command(0);
        loop {
            match self.driver.next_event().await? {
                SessionEvent::Update(update) => {
                    self.notify.note_pushed(&update);
                    sink(update);
                }
                SessionEvent::Done { tag: done, status } if done == tag => {
                    into_result("IDLE", status)?;
                    break;
                }
                _ => {}
            }
        }
        self.driver.end_command();
        Ok(())
    }

    /// A UID SEARCH the codec cannot build, sent as the line given (Gmail's X-GM-RAW,
    /// `imap::gmail`), its answer bounded like any search.
    pub async fn uid_search_line(&mut self, line: &str, sink: Sink<'_>) -> Result<Vec<u32>> {
        self.uid_esearch(line, sink).await
    }

    /// Gmail's X-GM-MSGID of each of `uids` the server answers for (one id for a mail in
    /// every label it has); a response that cannot be read leaves its UID out.
    pub async fn uid_fetch_gmail_ids(
        &mut self,
        uids: &UidSet,
        sink: Sink<'_>,
    ) -> Result<Vec<super::gmail::GmailId>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let answering = std::mem::take(&mut self.notify.answering);
        self.check_usable()?;
        let line = super::gmail::msgid_fetch_line(&uids.to_string());
        let tag = self.driver.session.enqueue_raw(&line)?;
        let mut ids = Vec::new();
        self.await_tagged(
            tag,
            "FETCH",
            Expect::messages(uids.len()),
            answering,
            &mut |update| {
                if let Update::GmailId(id) = &update
                    && uids.contains(id.uid)
                {
                    ids.push(*id);
                }
                sink(update);
            },
        )
        .await?;
        Ok(ids)
    }
}

/// How long the server may take to answer DONE: long enough for a slow mobile link, short
/// enough that the default `refresh` (90 s) plus this notices a dead link within 2 minutes.
pub fn idle_answer_bound(refresh: Duration) -> Duration {
    refresh.clamp(Duration::from_secs(5), Duration::from_secs(20))
}

fn into_result(command: &str, status: StatusInfo) -> Result<StatusInfo> {
    match status.kind {
        StatusKind::Ok => Ok(status),
        StatusKind::No | StatusKind::Bad => {
            let verdict = if status.kind == StatusKind::No {
                "NO"
            } else {
                "BAD"
            };
            let mut error = ImapError::new(
                ErrorKind::Command,
                format!("{command} failed: {verdict} {}", status.text),
            );
            error.code = status.code;
            Err(error)
        }
    }
}

fn apply_select_code(info: &mut SelectInfo, code: Option<&Code>) {
    match code {
        Some(Code::UidValidity(v)) => info.uid_validity = Some(*v),
        Some(Code::UidNext(v)) => info.uid_next = Some(*v),
        Some(Code::HighestModSeq(v)) => info.highest_modseq = Some(*v),
        Some(Code::NoModSeq) => info.no_modseq = true,
        Some(Code::PermanentFlags(flags)) => info.permanent_flags = flags.clone(),
        Some(Code::ReadOnly) => info.read_only = true,
        _ => {}
    }
}

fn copy_result(code: Option<&Code>) -> Option<CopyResult> {
    match code {
        Some(Code::CopyUid {
            uid_validity,
            source,
            destination,
        }) => Some(CopyResult {
            uid_validity: *uid_validity,
            source: source.clone(),
            destination: destination.clone(),
        }),
        _ => None,
    }
}

/// A COPYUID names only UIDs we sent, each once, one destination per source; anything
/// else is ignored (a hostile `1:4294967295` must never be expanded).
fn checked_copy_result(result: Option<CopyResult>, sent: &UidSet) -> Option<CopyResult> {
    let result = result?;
    let fits = result.source.is_subset_of(sent)
        && result.source.len() == result.destination.len()
        && result.source.len() <= sent.len();
    if !fits {
        tracing::warn!(
            "ignoring a COPYUID that does not match the UIDs sent ({} source, {} destination \
             UIDs for {} sent)",
            result.source.len(),
            result.destination.len(),
            sent.len()
        );
        return None;
    }
    Some(result)
}

fn item_name(item: &FetchItem) -> Result<MessageDataItemName<'static>> {
    Ok(match item {
        FetchItem::Uid => MessageDataItemName::Uid,
        FetchItem::Flags => MessageDataItemName::Flags,
        FetchItem::ModSeq => MessageDataItemName::ModSeq,
        FetchItem::InternalDate => MessageDataItemName::InternalDate,
        FetchItem::Size => MessageDataItemName::Rfc822Size,
        FetchItem::Envelope => MessageDataItemName::Envelope,
        FetchItem::HeaderFields(fields) => {
            let fields: Vec<AString<'static>> = fields
                .iter()
                .map(|f| AString::try_from(f.clone()))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| ImapError::bug(format!("bad header field name: {e}")))?;
            let fields = Vec1::try_from(fields).map_err(|_| ImapError::bug("no header fields"))?;
            MessageDataItemName::BodyExt {
                section: Some(Section::HeaderFields(None, fields)),
                partial: None,
                peek: true,
            }
        }
        FetchItem::FullBody => MessageDataItemName::BodyExt {
            section: None,
            partial: None,
            peek: true,
        },
        FetchItem::BodyStructure => MessageDataItemName::BodyStructure,
        FetchItem::Header => MessageDataItemName::BodyExt {
            section: Some(Section::Header(None)),
            partial: None,
            peek: true,
        },
        FetchItem::Part { section, partial } => MessageDataItemName::BodyExt {
            section: Some(Section::Part(wire_part(section)?)),
            partial: wire_partial(*partial)?,
            peek: true,
        },
        FetchItem::PartMime(section) => MessageDataItemName::BodyExt {
            section: Some(Section::Mime(wire_part(section)?)),
            partial: None,
            peek: true,
        },
        FetchItem::Binary { section, partial } => MessageDataItemName::Binary {
            section: wire_part(section)?.0.into_inner(),
            partial: wire_partial(*partial)?,
            peek: true,
        },
    })
}

/// "1.2" as a part specifier.
fn wire_part(section: &str) -> Result<Part> {
    let numbers = crate::domain::parts::section_numbers(section)
        .ok_or_else(|| ImapError::bug(format!("not a part number: {section:?}")))?;
    let numbers: Vec<NonZeroU32> = numbers.into_iter().filter_map(NonZeroU32::new).collect();
    Vec1::try_from(numbers)
        .map(Part)
        .map_err(|_| ImapError::bug(format!("not a part number: {section:?}")))
}

/// `<start.count>`; a count of zero asks for nothing and is refused.
fn wire_partial(partial: Option<(u32, u32)>) -> Result<Option<(u32, NonZeroU32)>> {
    partial
        .map(|(start, count)| {
            NonZeroU32::new(count)
                .map(|count| (start, count))
                .ok_or_else(|| ImapError::bug("a partial fetch of zero octets"))
        })
        .transpose()
}

/// A mailbox name as the server wants it: INBOX as is, others in modified UTF-7.
pub fn wire_mailbox(name: &str) -> Result<Mailbox<'static>> {
    let encoded = if name.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_string()
    } else {
        mutf7::encode(name)
    };
    Mailbox::try_from(encoded).map_err(|e| {
        ImapError::new(
            ErrorKind::Command,
            format!("invalid mailbox name {name:?}: {e}"),
        )
    })
}

fn parse_set(text: &str) -> Result<SequenceSet> {
    SequenceSet::try_from(text)
        .map_err(|e| ImapError::new(ErrorKind::Command, format!("invalid UID set {text:?}: {e}")))
}

fn sequence_set(set: &UidSet) -> Result<SequenceSet> {
    parse_set(&set.to_string())
}

/// Expands a UID set given as text ("1:3,7") into a set; `*` is not allowed here since
/// an expunge must name what the user acted on.
fn expand_uid_text(text: &str) -> Result<UidSet> {
    let set = parse_set(text)?;
    let uids = super::convert::sequence_set_to_uids(&set);
    if uids.contains(u32::MAX) {
        return Err(ImapError::bug(
            "refusing to expunge an open-ended UID range",
        ));
    }
    Ok(uids)
}
