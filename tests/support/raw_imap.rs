//! A tiny synchronous IMAP client: "another client" for tests, and a way to check server state
//! without going through tern's engine. Plain TCP only.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A generous read timeout so a broken test fails instead of hanging forever.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

pub struct RawImap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_tag: u32,
    greeting: String,
}

/// One response line (literals inlined) and its literals.
type Response = (Vec<u8>, Vec<Vec<u8>>);

/// What SELECT/EXAMINE reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selected {
    pub exists: u32,
    pub uidvalidity: u32,
    pub uidnext: u32,
    pub highestmodseq: Option<u64>,
    pub lines: Vec<String>,
}

fn protocol_error(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

/// IMAP quoted string.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl RawImap {
    /// Connects to 127.0.0.1:`port` and reads the greeting.
    pub fn connect(port: u16) -> io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        let writer = stream.try_clone()?;
        let mut c = RawImap {
            reader: BufReader::new(stream),
            writer,
            next_tag: 1,
            greeting: String::new(),
        };
        c.greeting = c
            .read_line()?
            .ok_or_else(|| protocol_error("connection closed before the greeting"))?;
        if !c.greeting.starts_with("* OK") && !c.greeting.starts_with("* PREAUTH") {
            return Err(protocol_error(format!("bad greeting: {}", c.greeting)));
        }
        Ok(c)
    }

    /// Connects and logs in.
    pub fn connect_login(port: u16, user: &str, password: &str) -> io::Result<Self> {
        let mut c = Self::connect(port)?;
        c.login(user, password)?;
        Ok(c)
    }

    pub fn greeting(&self) -> &str {
        &self.greeting
    }

    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.writer.set_read_timeout(t)
    }

    pub fn login(&mut self, user: &str, password: &str) -> io::Result<Vec<String>> {
        self.command_ok(&format!("LOGIN {} {}", quote(user), quote(password)))
    }

    /// Sends `cmd` with a fresh tag; returns every line up to and including the tagged one.
    /// Literals in responses are inlined (lossily as UTF-8).
    pub fn command(&mut self, cmd: &str) -> io::Result<Vec<String>> {
        let tag = self.send(cmd.as_bytes())?;
        self.read_until_tagged(&tag)
    }

    /// Like `command`, but a NO/BAD becomes an error.
    pub fn command_ok(&mut self, cmd: &str) -> io::Result<Vec<String>> {
        let lines = self.command(cmd)?;
        check_ok(&lines, cmd)?;
        Ok(lines)
    }

    /// The capability list (from a CAPABILITY command), upper-cased as sent.
    pub fn capabilities(&mut self) -> io::Result<Vec<String>> {
        let lines = self.command_ok("CAPABILITY")?;
        Ok(lines
            .iter()
            .filter_map(|l| l.strip_prefix("* CAPABILITY "))
            .flat_map(|l| l.split_whitespace().map(str::to_string))
            .collect())
    }

    pub fn select(&mut self, folder: &str) -> io::Result<Selected> {
        self.select_cmd("SELECT", folder)
    }

    pub fn examine(&mut self, folder: &str) -> io::Result<Selected> {
        self.select_cmd("EXAMINE", folder)
    }

    fn select_cmd(&mut self, verb: &str, folder: &str) -> io::Result<Selected> {
        let lines = self.command_ok(&format!("{verb} {}", quote(folder)))?;
        let mut s = Selected::default();
        for l in &lines {
            if let Some(n) = l.strip_prefix("* ").and_then(|r| r.strip_suffix(" EXISTS")) {
                s.exists = n.parse().unwrap_or(0);
            }
            if let Some(v) = code_value(l, "UIDVALIDITY") {
                s.uidvalidity = v.parse().unwrap_or(0);
            }
            if let Some(v) = code_value(l, "UIDNEXT") {
                s.uidnext = v.parse().unwrap_or(0);
            }
            if let Some(v) = code_value(l, "HIGHESTMODSEQ") {
                s.highestmodseq = v.parse().ok();
            }
        }
        s.lines = lines;
        Ok(s)
    }

    /// APPENDs `raw` with a synchronizing literal; returns the new UID from APPENDUID.
    pub fn append(&mut self, folder: &str, flags: &[&str], raw: &[u8]) -> io::Result<u32> {
        let cmd = format!(
            "APPEND {} ({}) {{{}}}",
            quote(folder),
            flags.join(" "),
            raw.len()
        );
        let tag = self.send(cmd.as_bytes())?;
        loop {
            let line = self
                .read_line()?
                .ok_or_else(|| protocol_error("connection closed during APPEND"))?;
            if line.starts_with('+') {
                break;
            }
            if line.starts_with(&format!("{tag} ")) {
                return Err(protocol_error(format!("APPEND refused: {line}")));
            }
        }
        self.writer.write_all(raw)?;
        self.writer.write_all(b"\r\n")?;
        self.writer.flush()?;
        let lines = self.read_until_tagged(&tag)?;
        check_ok(&lines, "APPEND")?;
        let last = lines.last().map(String::as_str).unwrap_or_default();
        // [APPENDUID <uidvalidity> <uid>]
        last.split_once("[APPENDUID ")
            .and_then(|(_, r)| r.split([' ', ']']).nth(1))
            .and_then(|uid| uid.parse().ok())
            .ok_or_else(|| protocol_error(format!("no APPENDUID in: {last}")))
    }

    /// All UIDs of the selected mailbox, ascending.
    pub fn uid_search_all(&mut self) -> io::Result<Vec<u32>> {
        let lines = self.command_ok("UID SEARCH ALL")?;
        let mut uids: Vec<u32> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| l.split_whitespace().filter_map(|n| n.parse().ok()))
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// UID -> flags of every message in the selected mailbox.
    pub fn fetch_flags(&mut self) -> io::Result<BTreeMap<u32, Vec<String>>> {
        let lines = self.command_ok("UID FETCH 1:* (FLAGS)")?;
        let mut out = BTreeMap::new();
        for l in &lines {
            if !l.starts_with("* ") || !l.contains(" FETCH ") {
                continue;
            }
            let uid = item_value(l, "UID").and_then(|v| v.parse().ok());
            let flags = l.split_once("FLAGS (").and_then(|(_, r)| r.split_once(')'));
            if let (Some(uid), Some((flags, _))) = (uid, flags) {
                out.insert(uid, flags.split_whitespace().map(str::to_string).collect());
            }
        }
        Ok(out)
    }

    /// The full raw message with `uid` in the selected mailbox (does not set \Seen).
    pub fn fetch_raw(&mut self, uid: u32) -> io::Result<Vec<u8>> {
        let tag = self.send(format!("UID FETCH {uid} BODY.PEEK[]").as_bytes())?;
        let mut body = None;
        loop {
            let (line, mut literals) = self
                .read_response()?
                .ok_or_else(|| protocol_error("connection closed during FETCH"))?;
            let text = String::from_utf8_lossy(&line).into_owned();
            if text.starts_with(&format!("{tag} ")) {
                check_ok(&[text], "UID FETCH")?;
                break;
            }
            if body.is_none() && text.contains(" FETCH ") && !literals.is_empty() {
                body = Some(literals.swap_remove(0));
            }
        }
        body.ok_or_else(|| protocol_error(format!("no message with UID {uid}")))
    }

    /// INTERNALDATE of `uid` as unix seconds.
    pub fn fetch_internaldate(&mut self, uid: u32) -> io::Result<i64> {
        let lines = self.command_ok(&format!("UID FETCH {uid} INTERNALDATE"))?;
        lines
            .iter()
            .filter_map(|l| l.split_once("INTERNALDATE \""))
            .find_map(|(_, r)| parse_imap_datetime(r.split('"').next()?))
            .ok_or_else(|| protocol_error(format!("no INTERNALDATE for UID {uid}: {lines:?}")))
    }

    /// Starts IDLE and waits for the continuation.
    pub fn idle(&mut self) -> io::Result<String> {
        let tag = self.send(b"IDLE")?;
        let line = self
            .read_line()?
            .ok_or_else(|| protocol_error("connection closed entering IDLE"))?;
        if !line.starts_with('+') {
            return Err(protocol_error(format!("IDLE refused: {line}")));
        }
        Ok(tag)
    }

    /// Ends IDLE started with tag `tag`; returns the lines up to the tagged OK.
    pub fn idle_done(&mut self, tag: &str) -> io::Result<Vec<String>> {
        self.writer.write_all(b"DONE\r\n")?;
        self.writer.flush()?;
        self.read_until_tagged(tag)
    }

    /// Next response line (literals inlined), or None at EOF.
    pub fn read_line(&mut self) -> io::Result<Option<String>> {
        Ok(self
            .read_response()?
            .map(|(line, _)| String::from_utf8_lossy(&line).into_owned()))
    }

    /// Reads until the server closes the connection; returns what it sent meanwhile.
    pub fn read_to_eof(&mut self) -> io::Result<Vec<String>> {
        let mut lines = Vec::new();
        loop {
            match self.read_line() {
                Ok(Some(l)) => lines.push(l),
                Ok(None) => return Ok(lines),
                // A reset after BYE is an end too.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(lines),
                Err(e) => return Err(e),
            }
        }
    }

    pub fn logout(mut self) -> io::Result<()> {
        self.command("LOGOUT").map(|_| ())
    }

    /// Writes `<tag> <cmd>\r\n`; returns the tag.
    pub fn send(&mut self, cmd: &[u8]) -> io::Result<String> {
        let tag = format!("T{}", self.next_tag);
        self.next_tag += 1;
        let mut buf = Vec::with_capacity(cmd.len() + tag.len() + 3);
        buf.extend_from_slice(tag.as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(cmd);
        buf.extend_from_slice(b"\r\n");
        self.writer.write_all(&buf)?;
        self.writer.flush()?;
        Ok(tag)
    }

    fn read_until_tagged(&mut self, tag: &str) -> io::Result<Vec<String>> {
        let prefix = format!("{tag} ");
        let mut lines = Vec::new();
        loop {
            let line = self.read_line()?.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("connection closed waiting for {tag}; got {lines:?}"),
                )
            })?;
            let done = line.starts_with(&prefix);
            lines.push(line);
            if done {
                return Ok(lines);
            }
        }
    }

    /// One logical response line without CRLF, with literal bytes inlined, plus the literals.
    fn read_response(&mut self) -> io::Result<Option<Response>> {
        let mut line = Vec::new();
        let mut literals = Vec::new();
        loop {
            let mut part = Vec::new();
            if self.reader.read_until(b'\n', &mut part)? == 0 {
                return if line.is_empty() {
                    Ok(None)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed inside a response",
                    ))
                };
            }
            while matches!(part.last(), Some(b'\n' | b'\r')) {
                part.pop();
            }
            let len = literal_len(&part);
            line.extend_from_slice(&part);
            match len {
                Some(n) => {
                    let mut lit = vec![0; n];
                    self.reader.read_exact(&mut lit)?;
                    line.extend_from_slice(&lit);
                    literals.push(lit);
                }
                None => return Ok(Some((line, literals))),
            }
        }
    }
}

/// `n` if the line ends in a literal announcement `{n}` (or `{n+}`).
fn literal_len(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&c| c == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn check_ok(lines: &[String], what: &str) -> io::Result<()> {
    let last = lines.last().map(String::as_str).unwrap_or_default();
    match last.split_whitespace().nth(1) {
        Some(s) if s.eq_ignore_ascii_case("OK") => Ok(()),
        _ => Err(protocol_error(format!("{what} failed: {last}"))),
    }
}

/// The value after `[NAME ` in a response code.
fn code_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (_, rest) = line.split_once(&format!("[{name} "))?;
    rest.split(']').next()
}

/// The value after `NAME ` inside a FETCH item list.
fn item_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (_, rest) = line.split_once(&format!("{name} "))?;
    rest.split([' ', ')']).next()
}

/// `"dd-Mon-yyyy hh:mm:ss +zzzz"` (day may be space-padded) to unix seconds.
pub fn parse_imap_datetime(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (date, rest) = s.trim().split_once(' ')?;
    let (time, zone) = rest.split_once(' ')?;
    let mut d = date.split('-');
    let day: i64 = d.next()?.trim().parse().ok()?;
    let mon = d.next()?;
    let month = MONTHS.iter().position(|m| *m == mon)? as i64 + 1;
    let year: i64 = d.next()?.parse().ok()?;
    let mut t = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, se) = (t.next()??, t.next()??, t.next()??);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let z: i64 = zone.get(1..)?.parse().ok()?;
    let offset = sign * ((z / 100) * 3600 + (z % 100) * 60);
    // Days from civil date (H. Hinnant).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}
