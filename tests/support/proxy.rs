//! A loopback TCP proxy the test controls, in front of a real server: one fixed port for its
//! whole life (so a tern config can point at it), and a mode switchable at any time to make
//! the network go away, come back, or lose the server's replies after a given command.
//!
//! Plain threads: one accept loop, two pumps per connection. Dropping the proxy cuts every
//! connection and joins every thread.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// What the proxy does with connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Accepted connections are closed at once, before any byte; switching to it cuts the
    /// live ones. To a client this is a server that is unreachable.
    Refuse,
    /// Bytes pass both ways.
    Forward,
    /// Bytes pass both ways until the client sends this pattern. From then on that
    /// connection still carries the client's bytes (the server really runs the command) but
    /// swallows everything the server sends, for the rest of its life: the client never
    /// sees the reply. `wait_seen` reports the moment.
    HoldRepliesAfter(Vec<u8>),
    /// A link gone silent (a NAT that forgot it, a dead Wi-Fi): both ways every byte is
    /// swallowed, yet the sockets stay open: no FIN, no RST. Live connections turn into it
    /// for the rest of their life (the bytes lost would corrupt them if they came back);
    /// new ones are accepted and swallowed too. Switch back to `Forward` for new
    /// connections to work.
    BlackHole,
    /// Bytes pass both ways until the client sends this pattern (it still reaches the
    /// server); from then on that connection is black-holed for life. `wait_seen` reports
    /// the moment.
    BlackHoleAfter(Vec<u8>),
    /// Like `HoldRepliesAfter`, but the server's replies are kept, not swallowed, and
    /// delivered by `release`: a command that is slow for as long as the test wants.
    DelayRepliesAfter(Vec<u8>),
    /// The client's bytes from this pattern on reach the server only at `release`: a
    /// command the server is slow to even start.
    SlowCommandAfter(Vec<u8>),
}

impl Mode {
    pub fn hold_replies_after(pattern: &str) -> Self {
        Mode::HoldRepliesAfter(pattern.as_bytes().to_vec())
    }

    pub fn black_hole_after(pattern: &str) -> Self {
        Mode::BlackHoleAfter(pattern.as_bytes().to_vec())
    }

    pub fn delay_replies_after(pattern: &str) -> Self {
        Mode::DelayRepliesAfter(pattern.as_bytes().to_vec())
    }

    pub fn slow_command_after(pattern: &str) -> Self {
        Mode::SlowCommandAfter(pattern.as_bytes().to_vec())
    }
}

pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    target: SocketAddr,
    stop: AtomicBool,
    accepted: AtomicU64,
    state: Mutex<State>,
    seen_changed: Condvar,
    /// Every byte clients sent, all connections, in arrival order (to count commands).
    sent: Mutex<Vec<u8>>,
    /// Bytes forwarded from the server to clients, all connections.
    received: AtomicU64,
}

struct State {
    mode: Mode,
    /// The pattern of the current `HoldRepliesAfter` went by (reset by `set_mode`).
    seen: bool,
    next_id: u64,
    conns: Vec<Conn>,
    /// Pump threads, joined on drop (finished ones are reaped as new ones start).
    pumps: Vec<JoinHandle<()>>,
}

/// Handles on a live connection's two sockets, to cut it from outside its pumps.
struct Conn {
    id: u64,
    client: TcpStream,
    server: TcpStream,
    /// Pumps still running; the entry goes when both are done.
    pumps_left: u8,
    /// Black-holed: both pumps swallow what they read.
    dead: Arc<AtomicBool>,
    /// Replies kept back by `DelayRepliesAfter`, and whether they still are.
    delayed: Arc<Mutex<Delayed>>,
}

/// Bytes a `DelayRepliesAfter` (replies) or `SlowCommandAfter` (commands) connection
/// keeps until `release`.
#[derive(Default)]
struct Delayed {
    on: bool,
    bytes: Vec<u8>,
    commands_on: bool,
    commands: Vec<u8>,
}

impl Conn {
    fn cut(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }
}

impl Proxy {
    /// Listens on a fresh loopback port and forwards to 127.0.0.1:`target_port`.
    pub fn start(target_port: u16, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared {
            target: SocketAddr::from(([127, 0, 0, 1], target_port)),
            stop: AtomicBool::new(false),
            accepted: AtomicU64::new(0),
            state: Mutex::new(State {
                mode,
                seen: false,
                next_id: 0,
                conns: Vec::new(),
                pumps: Vec::new(),
            }),
            seen_changed: Condvar::new(),
            sent: Mutex::new(Vec::new()),
            received: AtomicU64::new(0),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("proxy-accept-{port}"))
                .spawn(move || accept_loop(&listener, &shared))
                .expect("spawn the proxy's accept thread")
        };
        Proxy {
            port,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The port clients connect to; the same for the proxy's whole life.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Switches mode for new bytes and new connections. `Refuse` also cuts the live
    /// connections; a connection already holding replies keeps holding them.
    pub fn set_mode(&self, mode: Mode) {
        let mut state = self.shared.lock();
        let refuse = mode == Mode::Refuse;
        state.mode = mode;
        state.seen = false;
        if refuse {
            state.conns.iter().for_each(Conn::cut);
        }
        if state.mode == Mode::BlackHole {
            for conn in &state.conns {
                conn.dead.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Delivers the replies `DelayRepliesAfter` kept back, and forwards from then on.
    pub fn release(&self) {
        let state = self.shared.lock();
        for conn in &state.conns {
            let mut delayed = conn
                .delayed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if delayed.commands_on {
                let _ = (&conn.server).write_all(&delayed.commands);
                delayed.commands.clear();
                delayed.commands_on = false;
            }
            if delayed.on {
                let _ = (&conn.client).write_all(&delayed.bytes);
                delayed.bytes.clear();
                delayed.on = false;
            }
        }
    }

    /// How many times clients sent `pattern` so far (over every connection).
    pub fn count_sent(&self, pattern: &str) -> usize {
        let sent = self
            .shared
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let needle = pattern.as_bytes();
        if needle.is_empty() {
            return 0;
        }
        sent.windows(needle.len()).filter(|w| *w == needle).count()
    }

    /// How many bytes the server sent clients so far (over every connection).
    pub fn received(&self) -> u64 {
        self.shared.received.load(Ordering::SeqCst)
    }

    /// Drops every live connection (both sides see the socket shut down).
    pub fn cut_all(&self) {
        self.shared.lock().conns.iter().for_each(Conn::cut);
    }

    /// How many connections were accepted so far, refused ones included.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections currently open through the proxy.
    pub fn live(&self) -> usize {
        self.shared.lock().conns.len()
    }

    /// Waits (at most `timeout`) until a client sent the pattern of the current
    /// `HoldRepliesAfter` mode; true if it did.
    pub fn wait_seen(&self, timeout: Duration) -> bool {
        let state = self.shared.lock();
        let (state, _) = self
            .shared
            .seen_changed
            .wait_timeout_while(state, timeout, |s| !s.seen)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.seen
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept; the loop sees `stop` and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let pumps = {
            let mut state = self.shared.lock();
            state.conns.iter().for_each(Conn::cut);
            std::mem::take(&mut state.pumps)
        };
        for pump in pumps {
            let _ = pump.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking pump must not take the test's proxy down with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A pump ended: forget the connection once both have.
    fn pump_done(&self, id: u64) {
        let mut state = self.lock();
        if let Some(i) = state.conns.iter().position(|c| c.id == id) {
            state.conns[i].pumps_left -= 1;
            if state.conns[i].pumps_left == 0 {
                state.conns.swap_remove(i);
            }
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if shared.lock().mode == Mode::Refuse {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(server) = TcpStream::connect(shared.target) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        if let Err(err) = start_pumps(shared, client, server) {
            eprintln!("proxy: could not start a connection: {err}");
        }
    }
}

fn start_pumps(shared: &Arc<Shared>, client: TcpStream, server: TcpStream) -> io::Result<()> {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    // Set by the client->server pump when the pattern goes by, before those bytes are
    // forwarded, so no byte of the reply can slip through.
    let holding = Arc::new(AtomicBool::new(false));
    let mut state = shared.lock();
    // Registered (and the mode re-checked) under the lock, so a concurrent `Refuse` or
    // drop cannot miss this connection.
    if state.mode == Mode::Refuse || shared.stop.load(Ordering::SeqCst) {
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    let id = state.next_id;
    state.next_id += 1;
    let dead = Arc::new(AtomicBool::new(state.mode == Mode::BlackHole));
    let delayed = Arc::new(Mutex::new(Delayed::default()));
    state.conns.push(Conn {
        id,
        client: client.try_clone()?,
        server: server.try_clone()?,
        pumps_left: 2,
        dead: Arc::clone(&dead),
        delayed: Arc::clone(&delayed),
    });
    state.pumps.retain(|p| !p.is_finished());
    let upstream = {
        let (shared, holding, dead) = (Arc::clone(shared), Arc::clone(&holding), Arc::clone(&dead));
        let delayed = Arc::clone(&delayed);
        let (from, to) = (client.try_clone()?, server.try_clone()?);
        thread::Builder::new()
            .name(format!("proxy-up-{id}"))
            .spawn(move || {
                client_to_server(&shared, from, to, (&holding, &dead, &delayed));
                shared.pump_done(id);
            })?
    };
    state.pumps.push(upstream);
    let downstream = {
        let shared = Arc::clone(shared);
        thread::Builder::new()
            .name(format!("proxy-down-{id}"))
            .spawn(move || {
                server_to_client(server, client, &holding, &dead, &delayed, &shared.received);
                shared.pump_done(id);
            })?
    };
    state.pumps.push(downstream);
    Ok(())
}

/// Forwards the client's bytes (unless black-holed); watches them for the hold pattern.
fn client_to_server(
    shared: &Shared,
    mut from: TcpStream,
    mut to: TcpStream,
    (holding, dead, delayed): (&AtomicBool, &AtomicBool, &Mutex<Delayed>),
) {
    let mut buf = [0u8; 16 * 1024];
    // The end of the previous reads, so a pattern split across two reads is still found.
    let mut window: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if dead.load(Ordering::SeqCst) {
            continue;
        }
        shared
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(chunk);
        if !holding.load(Ordering::SeqCst) {
            let mut state = shared.lock();
            if let Mode::HoldRepliesAfter(pattern)
            | Mode::BlackHoleAfter(pattern)
            | Mode::DelayRepliesAfter(pattern)
            | Mode::SlowCommandAfter(pattern) = &state.mode
            {
                window.extend_from_slice(chunk);
                let found = contains(&window, pattern);
                let keep = pattern.len().saturating_sub(1);
                window.drain(..window.len().saturating_sub(keep));
                let slow = matches!(state.mode, Mode::SlowCommandAfter(_));
                if found && (slow || matches!(state.mode, Mode::DelayRepliesAfter(_))) {
                    let mut kept = delayed
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if slow {
                        kept.commands_on = true;
                    } else {
                        kept.on = true;
                    }
                    state.seen = true;
                    shared.seen_changed.notify_all();
                } else if found {
                    holding.store(true, Ordering::SeqCst);
                    state.seen = true;
                    shared.seen_changed.notify_all();
                    // The pattern itself still goes through; nothing after it does.
                    if matches!(state.mode, Mode::BlackHoleAfter(_)) {
                        dead.store(true, Ordering::SeqCst);
                    }
                }
            } else {
                window.clear();
            }
        }
        {
            // Kept under the lock `release` takes, so no byte overtakes the kept ones.
            let mut kept = delayed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if kept.commands_on {
                kept.commands.extend_from_slice(chunk);
                continue;
            }
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    // The client is gone (or the connection was cut): the server sees EOF too.
    let _ = to.shutdown(Shutdown::Write);
}

/// Forwards the server's bytes, or swallows them once the connection holds replies.
fn server_to_client(
    mut from: TcpStream,
    mut to: TcpStream,
    holding: &AtomicBool,
    dead: &AtomicBool,
    delayed: &Mutex<Delayed>,
    received: &AtomicU64,
) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        received.fetch_add(n as u64, Ordering::SeqCst);
        if holding.load(Ordering::SeqCst) || dead.load(Ordering::SeqCst) {
            continue;
        }
        {
            // Kept under the lock `release` takes, so no byte overtakes the kept ones.
            let mut kept = delayed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if kept.on {
                kept.bytes.extend_from_slice(&buf[..n]);
                continue;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A bare proxy that forwards to `target`, passing what the server sends through
/// `rewrite` (chunk by chunk, as read); returns its port. For servers that say what Dovecot
/// never would.
pub fn rewriting_proxy(target: u16, rewrite: fn(&[u8]) -> Vec<u8>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let server = std::net::TcpStream::connect(("127.0.0.1", target)).unwrap();
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_read, &mut s_write);
                let _ = s_write.shutdown(std::net::Shutdown::Write);
            });
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                while let Ok(n) = std::io::Read::read(&mut s_read, &mut buf) {
                    if n == 0
                        || std::io::Write::write_all(&mut c_write, &rewrite(&buf[..n])).is_err()
                    {
                        break;
                    }
                }
                let _ = c_write.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    port
}
