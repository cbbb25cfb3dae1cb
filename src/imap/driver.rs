//! The only socket code of the IMAP layer: TCP, TLS, COMPRESS and timeouts around a
//! sans-I/O [`Session`]. Reads are 64 KiB; writes are flushed per command.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_rustls::{TlsConnector, client::TlsStream, rustls::ClientConfig};

use super::compress::Deflate;
use super::error::{ErrorKind, ImapError, Result};
use super::session::{Session, SessionEvent, Step};
use super::tls;

const READ_CHUNK: usize = 64 * 1024;
/// Servers greet at once; silence this long on a plain connection makes us ask whether
/// the port speaks TLS instead.
const GREETING_PATIENCE: Duration = Duration::from_secs(5);

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Transient state while upgrading to TLS.
    Detached,
}

pub struct Driver {
    stream: Stream,
    deflate: Option<Deflate>,
    pub(crate) session: Session,
    read_buf: Box<[u8]>,
    /// Bound on every wait except IDLE: a silent peer is a dead link.
    pub(crate) timeout: Duration,
    /// The overall bound of the command running now (none while idling): a server that
    /// drips a byte now and then must not keep a command alive forever.
    clock: Option<CommandClock>,
}

/// A slow link earns time by what it carries: every byte received or sent (a big APPEND
/// on a slow uplink) extends the command's deadline by 1 ms (a floor of 1 KB/s), up to a
/// ceiling.
const TIME_PER_BYTE: Duration = Duration::from_millis(1);
const MAX_EARNED: Duration = Duration::from_secs(6 * 3600);
/// Servers work silently (or with "Hang in there" lines) on big COPY/STORE/EXPUNGE.
const TIME_PER_MESSAGE: Duration = Duration::from_millis(5);

/// The overall deadline of one command: the account timeout, plus an allowance for the
/// messages it names, plus what the link earned by delivering bytes.
#[derive(Debug, Clone, Copy)]
struct CommandClock {
    start: Instant,
    allowance: Duration,
    transferred: u64,
}

impl CommandClock {
    fn deadline(&self) -> Instant {
        let earned = u32::try_from(self.transferred)
            .map_or(MAX_EARNED, |bytes| TIME_PER_BYTE.saturating_mul(bytes))
            .min(MAX_EARNED);
        self.start + self.allowance + earned
    }
}

/// How `next_event_until` ended when it did not produce an event.
pub enum Interrupted {
    Stopped,
    Deadline,
}

impl Driver {
    /// Opens TCP (and TLS when `tls` is given) and waits for the greeting.
    pub async fn connect(
        host: &str,
        port: u16,
        tls: Option<Arc<ClientConfig>>,
        wait: Duration,
    ) -> Result<(Self, SessionEvent)> {
        let tcp = timeout(wait, TcpStream::connect((host, port)))
            .await
            .map_err(|_| {
                ImapError::new(
                    ErrorKind::Timeout,
                    format!("connecting to {host}:{port} timed out after {wait:?}"),
                )
            })?
            .map_err(|e| ImapError::network(format!("cannot connect to {host}:{port}: {e}")))?;
        tcp.set_nodelay(true)?;
        set_keepalive(&tcp)?;
        let stream = match tls {
            Some(config) => Stream::Tls(Box::new(handshake(tcp, host, port, config, wait).await?)),
            None => Stream::Plain(tcp),
        };
        let plain = matches!(stream, Stream::Plain(_));
        let mut driver = Self {
            stream,
            deflate: None,
            session: Session::new(),
            read_buf: vec![0; READ_CHUNK].into_boxed_slice(),
            timeout: wait,
            clock: None,
        };
        driver.begin_command(0);
        let greeting = if plain {
            driver.plain_greeting(host, port).await?
        } else {
            driver.next_event().await?
        };
        driver.end_command();
        match greeting {
            SessionEvent::Greeting { .. } => Ok((driver, greeting)),
            other => Err(ImapError::protocol(format!(
                "expected a greeting, got {other:?}"
            ))),
        }
    }

    /// A plain greeting, or, when none comes soon, a clear error if the port speaks TLS
    /// (it waits for our ClientHello, so the wait would otherwise run to the timeout).
    async fn plain_greeting(&mut self, host: &str, port: u16) -> Result<SessionEvent> {
        let full = self.timeout;
        let patience = full.min(GREETING_PATIENCE);
        self.timeout = patience;
        let first = self.next_event().await;
        self.timeout = full;
        match first {
            Err(err) if err.kind == ErrorKind::Timeout => {
                if speaks_tls(host, port, patience).await {
                    return Err(ImapError::new(
                        ErrorKind::Tls,
                        format!(
                            "{host}:{port} speaks TLS from the first byte, so it sends no plain \
                             greeting: set security = \"tls\" for this port"
                        ),
                    ));
                }
                // Only slow: wait out the rest of the usual timeout.
                let rest = full.saturating_sub(patience);
                if rest.is_zero() {
                    return Err(err);
                }
                self.timeout = rest;
                let event = self.next_event().await;
                self.timeout = full;
                event
            }
            other => other,
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    pub fn is_compressed(&self) -> bool {
        self.deflate.is_some()
    }

    /// Wraps the plain connection in TLS after the server's STARTTLS OK.
    pub async fn upgrade_tls(&mut self, host: &str, config: Arc<ClientConfig>) -> Result<()> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Detached) else {
            return Err(ImapError::bug("STARTTLS on a connection that is not plain"));
        };
        let port = tcp.peer_addr().map_or(0, |a| a.port());
        let tls = handshake(tcp, host, port, config, self.timeout).await?;
        self.stream = Stream::Tls(Box::new(tls));
        // Anything learned before TLS must be forgotten (RFC 3501 §6.2.1).
        let previous = std::mem::replace(&mut self.session, Session::without_greeting());
        self.session.continue_from(previous);
        Ok(())
    }

    /// Everything after the COMPRESS OK travels deflated.
    pub fn start_compression(&mut self) {
        self.deflate = Some(Deflate::new());
    }

    /// Starts the overall clock of a command naming `messages` messages (0 when it names
    /// none); it runs until [`Driver::end_command`].
    pub fn begin_command(&mut self, messages: u64) {
        let per_message = u32::try_from(messages)
            .map_or(MAX_EARNED, |n| TIME_PER_MESSAGE.saturating_mul(n))
            .min(MAX_EARNED);
        self.clock = Some(CommandClock {
            start: Instant::now(),
            allowance: self.timeout.saturating_add(per_message),
            transferred: 0,
        });
    }

    pub fn end_command(&mut self) {
        self.clock = None;
    }

    /// The next session event, doing whatever I/O it takes, each wait bounded by the timeout
    /// and, inside a command, by the command's overall deadline.
    pub async fn next_event(&mut self) -> Result<SessionEvent> {
        loop {
            match self.session.step()? {
                Step::Event(event) => return Ok(event),
                Step::Write(bytes) => self.write(&bytes).await?,
                Step::Read => {
                    let silence = Instant::now() + self.timeout;
                    let overall = self.clock.map(|c| c.deadline());
                    let deadline = overall.map_or(silence, |o| o.min(silence));
                    let read =
                        timeout_at(deadline, read_some(&mut self.stream, &mut self.read_buf));
                    match read.await {
                        Ok(result) => self.received(result?)?,
                        Err(_) if overall.is_some_and(|o| o < silence) => {
                            let elapsed = self.clock.map(|c| c.start.elapsed()).unwrap_or_default();
                            return Err(ImapError::new(
                                ErrorKind::Timeout,
                                format!(
                                    "the server did not complete the command within {}s; \
                                     it sends too slowly",
                                    elapsed.as_secs()
                                ),
                            ));
                        }
                        Err(_) => {
                            return Err(ImapError::new(
                                ErrorKind::Timeout,
                                format!("the server did not answer within {:?}", self.timeout),
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Like `next_event`, without the read timeout (IDLE), returning early when `stop`
    /// completes or `deadline` passes. Only reads are raced, so nothing is lost on return.
    pub async fn next_event_until<F: Future<Output = ()>>(
        &mut self,
        stop: &mut Pin<&mut F>,
        deadline: Instant,
    ) -> Result<std::result::Result<SessionEvent, Interrupted>> {
        loop {
            match self.session.step()? {
                Step::Event(event) => return Ok(Ok(event)),
                Step::Write(bytes) => self.write(&bytes).await?,
                Step::Read => {
                    tokio::select! {
                        result = read_some(&mut self.stream, &mut self.read_buf) => {
                            self.received(result?)?;
                        }
                        () = stop.as_mut() => return Ok(Err(Interrupted::Stopped)),
                        () = tokio::time::sleep_until(deadline) => {
                            return Ok(Err(Interrupted::Deadline));
                        }
                    }
                }
            }
        }
    }

    fn received(&mut self, count: usize) -> Result<()> {
        if count == 0 {
            return Err(match self.session.bye() {
                Some(text) => ImapError::new(
                    ErrorKind::Bye,
                    format!("the server closed the connection: {text}"),
                ),
                None => ImapError::network("the server closed the connection"),
            });
        }
        self.count_transferred(count);
        let bytes = &self.read_buf[..count];
        match &mut self.deflate {
            Some(deflate) => {
                let plain = deflate.decompress(bytes)?;
                self.session.feed(&plain);
            }
            None => self.session.feed(bytes),
        }
        Ok(())
    }

    fn count_transferred(&mut self, bytes: usize) {
        if let Some(clock) = &mut self.clock {
            clock.transferred = clock.transferred.saturating_add(bytes as u64);
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.count_transferred(bytes.len());
        let compressed;
        let bytes = match &mut self.deflate {
            Some(deflate) => {
                compressed = deflate.compress(bytes)?;
                &compressed[..]
            }
            None => bytes,
        };
        let write = async {
            match &mut self.stream {
                Stream::Plain(s) => {
                    s.write_all(bytes).await?;
                    s.flush().await
                }
                Stream::Tls(s) => {
                    s.write_all(bytes).await?;
                    s.flush().await
                }
                Stream::Detached => Err(std::io::Error::from(std::io::ErrorKind::NotConnected)),
            }
        };
        // A big APPEND on a slow uplink takes longer than the timeout to leave.
        let allowance = u32::try_from(bytes.len())
            .map_or(MAX_EARNED, |n| TIME_PER_BYTE.saturating_mul(n))
            .min(MAX_EARNED);
        match timeout(self.timeout + allowance, write).await {
            Ok(result) => result.map_err(|e| ImapError::network(format!("write failed: {e}"))),
            Err(_) => Err(ImapError::new(
                ErrorKind::Timeout,
                "the server stopped accepting data",
            )),
        }
    }

    /// Closes the socket politely; errors do not matter any more.
    pub async fn shutdown(&mut self) {
        let _ = match &mut self.stream {
            Stream::Plain(s) => s.shutdown().await,
            Stream::Tls(s) => s.shutdown().await,
            Stream::Detached => Ok(()),
        };
    }
}

async fn read_some(stream: &mut Stream, buf: &mut [u8]) -> Result<usize> {
    let result = match stream {
        Stream::Plain(s) => s.read(buf).await,
        Stream::Tls(s) => s.read(buf).await,
        Stream::Detached => return Err(ImapError::bug("read on a detached stream")),
    };
    result.map_err(|e| ImapError::network(format!("read failed: {e}")))
}

/// Whether a second connection to `host:port` gets a TLS handshake going (a ServerHello
/// of any kind); nothing is trusted or sent beyond the ClientHello.
async fn speaks_tls(host: &str, port: u16, wait: Duration) -> bool {
    let (Ok(config), Ok(name)) = (tls::probe_config(), tls::server_name(host)) else {
        return false;
    };
    let attempt = async {
        let tcp = TcpStream::connect((host, port)).await?;
        TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map(|_| ())
    };
    matches!(timeout(wait, attempt).await, Ok(Ok(())))
}

async fn handshake(
    tcp: TcpStream,
    host: &str,
    port: u16,
    config: Arc<ClientConfig>,
    wait: Duration,
) -> Result<TlsStream<TcpStream>> {
    let name = tls::server_name(host)?;
    let connector = TlsConnector::from(config);
    match timeout(wait, connector.connect(name, tcp)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(tls::describe_handshake_error(host, port, &e)),
        Err(_) => Err(ImapError::new(
            ErrorKind::Timeout,
            format!("TLS handshake with {host} timed out"),
        )),
    }
}

/// Keepalive probes notice a dead peer even while we IDLE (NAT timeouts, cable pulled).
fn set_keepalive(tcp: &TcpStream) -> Result<()> {
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(15))
        .with_retries(4);
    socket2::SockRef::from(tcp)
        .set_tcp_keepalive(&keepalive)
        .map_err(|e| ImapError::network(format!("cannot enable TCP keepalive: {e}")))
}
