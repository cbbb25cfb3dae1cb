//! Seeded, deterministic mail corpus: same seed and count give byte-identical messages.
//!
//! Threads (Message-ID / In-Reply-To / References, "Re:" subjects), RFC 2047 words (UTF-8 B/Q,
//! ISO-8859-1 Q, Shift_JIS B), text/plain (7bit, 8bit, quoted-printable), multipart/alternative
//! with HTML, multipart/mixed with small base64 attachments, mailing-list headers, ~1% malformed
//! mail, realistic flags and keywords, dates over 2014..2026 denser towards the present.
//! Messages use LF line endings, as stored in a Maildir.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// 2014-01-01T00:00:00Z.
pub const T_START: i64 = 1_388_534_400;
/// 2026-01-01T00:00:00Z.
pub const T_END: i64 = 1_767_225_600;
/// Keywords the corpus sets (besides system flags).
pub const KEYWORDS: [&str; 5] = ["$Forwarded", "$MDNSent", "Work", "Personal", "$label1"];

/// One message to put into a mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedMessage {
    pub raw: Vec<u8>,
    /// IMAP flags and keywords, e.g. `\Seen`, `$Forwarded`.
    pub flags: Vec<String>,
    /// INTERNALDATE as unix seconds.
    pub internal_date: i64,
}

impl SeedMessage {
    /// A message with no flags, received now.
    pub fn new(raw: impl Into<Vec<u8>>) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(T_END, |d| d.as_secs() as i64);
        SeedMessage {
            raw: raw.into(),
            flags: Vec::new(),
            internal_date: now,
        }
    }

    /// A minimal plain-text message; `n` makes the Message-ID unique.
    pub fn text(n: u64, subject: &str, body: &str) -> Self {
        let mut m = Self::new(Vec::new());
        m.raw = format!(
            "From: Sender <sender@example.com>\nTo: alice@example.com\nSubject: {subject}\n\
             Date: {}\nMessage-ID: <simple.{n}@example.com>\nMIME-Version: 1.0\n\
             Content-Type: text/plain; charset=utf-8\n\n{body}\n",
            rfc2822_date(m.internal_date, 0)
        )
        .into_bytes();
        m
    }

    pub fn with_flags(mut self, flags: &[&str]) -> Self {
        self.flags = flags.iter().map(|f| (*f).to_string()).collect();
        self
    }

    pub fn with_date(mut self, unix: i64) -> Self {
        self.internal_date = unix;
        self
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }
}

/// `count` messages for alice@example.com.
pub fn generate(seed: u64, count: usize) -> Vec<SeedMessage> {
    Corpus::new(seed, count).iter().collect()
}

/// splitmix64: tiny, fast and good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for item `i` of stream `salt` under `seed`, independent of the others.
    pub fn derive(seed: u64, salt: u64, i: u64) -> Self {
        let mut r = Rng(seed ^ salt.wrapping_mul(0xA24B_AED4_963E_E407));
        let a = r.next_u64();
        Rng(a ^ i.wrapping_mul(0x9FB2_1C65_1E98_DF25))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform in [0, n); n > 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in [lo, hi], inclusive.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn choice<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    pub fn weighted<T: Copy>(&mut self, xs: &[(T, u32)]) -> T {
        let total: u32 = xs.iter().map(|x| x.1).sum();
        let mut pick = self.below(total as usize) as u32;
        for &(v, w) in xs {
            if pick < w {
                return v;
            }
            pick -= w;
        }
        xs[xs.len() - 1].0
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }
}

const FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
    "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Xavier", "Yolanda",
    "Zoe", "Liam", "Emma", "Noah", "Mia", "Lucas", "Sofia",
];
const LAST: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Anderson", "Thomas", "Moore", "Martin", "Lee",
    "Walker", "Hall", "Young", "King", "Wright", "Lopez", "Hill", "Green", "Adams",
];
const UTF8_NAMES: &[&str] = &[
    "José Müller",
    "Zoë Løvstad",
    "Łukasz Żółć",
    "Ærøskøbing Øst",
    "Dvořák Antonín",
    "Ангелина Петрова",
    "Ελένη Παπαδοπούλου",
    "王小明",
    "김민준",
    "Nguyễn Văn Anh",
];
const LATIN1_NAMES: &[&str] = &[
    "François Dupré",
    "Søren Kjærgård",
    "Müller Jürgen",
    "Inês Araújo",
    "Begoña Núñez",
];
// Shift_JIS has no encoder in std: (text, pre-encoded RFC 2047 word).
const SJIS_NAMES: &[(&str, &str)] = &[
    ("山田太郎", "=?shift_jis?B?jlKTY5G+mFk=?="),
    ("佐藤花子", "=?shift_jis?B?jbKToYnUjnE=?="),
    ("鈴木一郎", "=?shift_jis?B?l+mW2IjqmFk=?="),
    ("高橋美咲", "=?shift_jis?B?jYKLtJT8jec=?="),
];
const SJIS_SUBJ: &[(&str, &str)] = &[
    ("お見積りの件", "=?shift_jis?B?gqiMqZDPguiCzIyP?="),
    ("会議のご案内", "=?shift_jis?B?ie+LY4LMgrKIxJPg?="),
    (
        "請求書送付のお知らせ",
        "=?shift_jis?B?kL+LgY+RkZeVdILMgqiSbYLngrk=?=",
    ),
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "mail.example.net",
    "corp.example",
    "lists.example.org",
    "university.example.edu",
    "startup.example.io",
];
const WORDS: &[&str] = &[
    "the",
    "a",
    "to",
    "of",
    "and",
    "in",
    "is",
    "for",
    "on",
    "that",
    "with",
    "this",
    "it",
    "as",
    "be",
    "are",
    "from",
    "at",
    "by",
    "have",
    "not",
    "we",
    "you",
    "meeting",
    "report",
    "budget",
    "release",
    "server",
    "build",
    "patch",
    "review",
    "deadline",
    "invoice",
    "travel",
    "schedule",
    "update",
    "draft",
    "question",
    "proposal",
    "kernel",
    "database",
    "index",
    "cache",
    "latency",
    "memory",
    "thread",
    "mailbox",
    "folder",
    "sync",
    "offline",
    "terminal",
    "client",
    "protocol",
    "performance",
    "benchmark",
    "regression",
    "quarterly",
    "roadmap",
    "migration",
    "backup",
    "security",
    "incident",
    "postmortem",
];
const SUBJ_TOPICS: &[&str] = &[
    "Weekly sync",
    "Build failure on main",
    "Invoice #{n}",
    "Travel plans for {m}",
    "Q{q} roadmap review",
    "Patch v{q}: fix cache invalidation",
    "Lunch?",
    "Re-scheduling our call",
    "Security advisory {n}",
    "Release {q}.{n} notes",
    "Question about the mailbox sync",
    "Your order {n} has shipped",
    "Minutes: planning meeting",
    "[PATCH {q}/{n}] imap: handle QRESYNC VANISHED",
    "Welcome to the list",
    "Benchmark results for IDLE latency",
    "Offsite agenda",
];
const UTF8_SUBJ: &[&str] = &[
    "Café meeting — résumé attached",
    "Grüße aus München",
    "Привет, как дела?",
    "会議の議事録",
    "Προσφορά για το έργο",
    "Zażółć gęślą jaźń",
    "Ünïcödé ✓ test 🚀",
    "回复：项目进度",
    "Réunion à 14h",
];
const LATIN1_SUBJ: &[&str] = &[
    "Réunion demain",
    "Straße gesperrt",
    "Año nuevo, señor",
    "Smörgåsbord på fredag",
];
const LISTS: &[&str] = &[
    "dev@lists.example.org",
    "announce@lists.example.org",
    "users@lists.example.org",
    "kernel@lists.example.org",
    "rust-users@lists.example.org",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Charset {
    Ascii,
    Utf8,
    Latin1,
    Sjis(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Malformed {
    Boundary,
    NoDate,
    Raw8,
    LongLine,
    HugeTo,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Plain,
    Qp,
    Alt,
    Mixed,
}

const SALT_STRUCTURE: u64 = 1;
const SALT_MESSAGE: u64 = 2;
const SALT_SUBJECT: u64 = 3;
const SALT_MSGID: u64 = 4;

/// The thread structure and dates of a corpus; messages are built on demand, so 100k of them
/// need not sit in memory at once.
#[derive(Clone, Debug)]
pub struct Corpus {
    seed: u64,
    me: String,
    list_mode: bool,
    ts: Vec<i64>,
    parent: Vec<Option<usize>>,
    root: Vec<usize>,
}

impl Corpus {
    pub fn new(seed: u64, count: usize) -> Self {
        let mut r = Rng::derive(seed, SALT_STRUCTURE, count as u64);
        // Density grows towards the present: t = start + span * u^0.6.
        let span = (T_END - T_START) as f64;
        let mut ts: Vec<i64> = (0..count)
            .map(|_| T_START + (span * r.f64().powf(0.6)) as i64)
            .collect();
        ts.sort_unstable();
        let mut parent = vec![None; count];
        let mut root: Vec<usize> = (0..count).collect();
        let mut depth = vec![0u32; count];
        let mut open: VecDeque<usize> = VecDeque::new();
        for i in 0..count {
            if !open.is_empty() && r.chance(0.45) {
                // Replies mostly go to recent threads: exponential distance from the newest.
                let back = (-(1.0 - r.f64()).ln() / 0.15) as usize;
                let p = open[open.len() - 1 - back.min(open.len() - 1)];
                if depth[p] < 40 {
                    parent[i] = Some(p);
                    root[i] = root[p];
                    depth[i] = depth[p] + 1;
                }
            }
            open.push_back(i);
            if open.len() > 200 {
                open.pop_front();
            }
        }
        Corpus {
            seed,
            me: "alice@example.com".to_string(),
            list_mode: false,
            ts,
            parent,
            root,
        }
    }

    /// The recipient address put into To: and Received: (default alice@example.com).
    pub fn recipient(mut self, me: &str) -> Self {
        self.me = me.to_string();
        self
    }

    /// Mailing-list style: To: the list, List-Id/List-Unsubscribe/Precedence headers.
    pub fn mailing_list(mut self, on: bool) -> Self {
        self.list_mode = on;
        self
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Index of the message `i` replies to, if any.
    pub fn parent(&self, i: usize) -> Option<usize> {
        self.parent[i]
    }

    /// Index of the first message of `i`'s thread.
    pub fn thread_root(&self, i: usize) -> usize {
        self.root[i]
    }

    /// The Message-ID header value of message `i`, with angle brackets.
    pub fn message_id(&self, i: usize) -> String {
        let h = Rng::derive(self.seed, SALT_MSGID, i as u64).next_u64() & 0xFFFF_FFFF_FFFF;
        format!("<{h:012x}.{i}@{}>", DOMAINS[i % DOMAINS.len()])
    }

    pub fn iter(&self) -> impl Iterator<Item = SeedMessage> + '_ {
        (0..self.len()).map(|i| self.message(i))
    }

    /// Builds message `i`; deterministic in (seed, i).
    pub fn message(&self, i: usize) -> SeedMessage {
        let mut r = Rng::derive(self.seed, SALT_MESSAGE, i as u64);
        let root = self.root[i];
        let (subj, cs) = base_subject(&mut Rng::derive(self.seed, SALT_SUBJECT, root as u64));
        let ts = self.ts[i];
        let me = self.me.as_str();
        let mut hdr: Vec<String> = Vec::with_capacity(20);

        let mal = r.chance(0.012).then(|| {
            r.choice(&[
                Malformed::Boundary,
                Malformed::NoDate,
                Malformed::Raw8,
                Malformed::LongLine,
                Malformed::HugeTo,
            ])
        });
        let tz = r.choice(&[0, 60, 120, -300, -420, 330, 540, 600, -180]);
        hdr.push(format!("Return-Path: <bounce-{i}@{}>", r.choice(DOMAINS)));
        let mx = r.range(1, 9);
        hdr.push(format!(
            "Received: from mx{mx}.example.net (mx{mx}.example.net [192.0.2.{}])\n\tby \
             mail.example.com (Postfix) with ESMTPS id {:X}\n\tfor <{me}>; {}",
            r.range(1, 254),
            r.next_u64() >> 24,
            rfc2822_date(ts, 0)
        ));
        if mal != Some(Malformed::NoDate) {
            hdr.push(format!("Date: {}", rfc2822_date(ts, tz)));
        }
        hdr.push(format!(
            "From: {}",
            fmt_addr(&mut r, mal == Some(Malformed::Raw8))
        ));
        if mal == Some(Malformed::HugeTo) {
            let n = r.range(300, 800);
            let tos: Vec<String> = (0..n)
                .map(|k| format!("{} <u{k}@{}>", plain_name(&mut r), r.choice(DOMAINS)))
                .collect();
            hdr.push(format!("To: {}", tos.join(",\n ")));
        } else {
            let tos = if self.list_mode {
                vec![LISTS[root % LISTS.len()].to_string()]
            } else {
                let extra = r.weighted(&[(0, 70), (1, 20), (3, 10)]);
                let mut v = vec![me.to_string()];
                v.extend((0..extra).map(|_| fmt_addr(&mut r, false)));
                v
            };
            hdr.push(format!("To: {}", tos.join(",\n ")));
            if r.chance(0.2) {
                let n = r.range(1, 4);
                let cc: Vec<String> = (0..n).map(|_| fmt_addr(&mut r, false)).collect();
                hdr.push(format!("Cc: {}", cc.join(",\n ")));
            }
        }
        let s = match self.parent[i] {
            Some(_) => format!("{}{subj}", if r.chance(0.9) { "Re: " } else { "AW: " }),
            None => subj.clone(),
        };
        match mal {
            Some(Malformed::Raw8) => {
                if cs == Charset::Ascii {
                    hdr.push(format!("Subject: {s} — naïve raw 8-bit"));
                } else {
                    hdr.push(format!("Subject: {s}"));
                }
            }
            Some(Malformed::LongLine) => {
                // One ~5 KB unfolded header line.
                let mut line = format!("Subject: {}", encode_subject(&mut r, &s, cs));
                for _ in 0..900 {
                    line.push(' ');
                    line.push_str(r.choice(WORDS));
                }
                hdr.push(line);
            }
            _ => hdr.push(format!("Subject: {}", encode_subject(&mut r, &s, cs))),
        }
        hdr.push(format!("Message-ID: {}", self.message_id(i)));
        if let Some(p) = self.parent[i] {
            hdr.push(format!("In-Reply-To: {}", self.message_id(p)));
            let mut chain = Vec::new();
            let mut cur = Some(p);
            while let Some(c) = cur {
                if chain.len() >= 20 {
                    break;
                }
                chain.push(self.message_id(c));
                cur = self.parent[c];
            }
            chain.reverse();
            hdr.push(format!("References: {}", chain.join("\n ")));
        }
        if self.list_mode {
            let list = LISTS[root % LISTS.len()];
            hdr.push(format!("List-Id: <{}>", list.replace('@', ".")));
            hdr.push(format!(
                "List-Unsubscribe: <mailto:{}?subject=unsubscribe>",
                list.replace('@', "-request@")
            ));
            hdr.push("Precedence: list".to_string());
        }
        hdr.push("X-Mailer: TernCorpus/1.0".to_string());
        hdr.push("MIME-Version: 1.0".to_string());

        let mut text = text_body(&mut r);
        if cs != Charset::Ascii && r.chance(0.5) {
            text = format!("{s}\n\n{text}");
        }
        let shape = r.weighted(&[
            (Shape::Plain, 50),
            (Shape::Qp, 12),
            (Shape::Alt, 26),
            (Shape::Mixed, 12),
        ]);
        let b = format!("=_tern_{i}_{:x}", r.next_u64() as u32);
        let mut body = match shape {
            Shape::Plain => {
                hdr.push("Content-Type: text/plain; charset=utf-8; format=flowed".to_string());
                let cte = if text.is_ascii() { "7bit" } else { "8bit" };
                hdr.push(format!("Content-Transfer-Encoding: {cte}"));
                text.clone()
            }
            Shape::Qp => {
                hdr.push("Content-Type: text/plain; charset=utf-8".to_string());
                hdr.push("Content-Transfer-Encoding: quoted-printable".to_string());
                qp_encode(text.as_bytes())
            }
            Shape::Alt | Shape::Mixed => {
                let alt = format!(
                    "--{b}a\nContent-Type: text/plain; charset=utf-8\n\
                     Content-Transfer-Encoding: quoted-printable\n\n{}\n\
                     --{b}a\nContent-Type: text/html; charset=utf-8\n\
                     Content-Transfer-Encoding: quoted-printable\n\n{}\n--{b}a--\n",
                    qp_encode(text.as_bytes()),
                    qp_encode(html_of(&text).as_bytes())
                );
                if shape == Shape::Alt {
                    hdr.push(format!(
                        "Content-Type: multipart/alternative; boundary=\"{b}a\""
                    ));
                    format!("This is a multi-part message in MIME format.\n\n{alt}")
                } else {
                    hdr.push(format!("Content-Type: multipart/mixed; boundary=\"{b}\""));
                    let mut parts = vec![format!(
                        "--{b}\nContent-Type: multipart/alternative; boundary=\"{b}a\"\n\n{alt}"
                    )];
                    let n = r.weighted(&[(1, 70), (2, 20), (3, 10)]);
                    for k in 0..n {
                        let (ext, ctype) = r.choice(&[
                            ("pdf", "application/pdf"),
                            ("png", "image/png"),
                            ("ics", "text/calendar"),
                            ("zip", "application/zip"),
                        ]);
                        let len = r.range(300, 12000) as usize;
                        let data = r.bytes(len);
                        let stem =
                            r.choice(&["report", "invoice", "photo", "résumé", "議事録", "scan"]);
                        let fname = format!("{stem}_{k}.{ext}");
                        let fn_hdr = if fname.is_ascii() {
                            fname
                        } else {
                            b_word(fname.as_bytes(), "utf-8")
                        };
                        parts.push(format!(
                            "--{b}\nContent-Type: {ctype}; name=\"{fn_hdr}\"\n\
                             Content-Disposition: attachment; filename=\"{fn_hdr}\"\n\
                             Content-Transfer-Encoding: base64\n\n{}",
                            base64_folded(&data)
                        ));
                    }
                    format!("{}--{b}--\n", parts.join("\n"))
                }
            }
        };
        if mal == Some(Malformed::Boundary) {
            if matches!(shape, Shape::Alt | Shape::Mixed) {
                // The declared boundary never appears and there is no closing delimiter.
                body = body.replace(&format!("--{b}"), &format!("--{b}X"));
                if let Some(cut) = body.rfind("--") {
                    body.truncate(cut);
                }
            } else {
                hdr.retain(|h| !h.starts_with("Content-"));
                hdr.push(format!(
                    "Content-Type: multipart/mixed; boundary=\"never-used-{i}\""
                ));
            }
        }
        let mut raw = hdr.join("\n");
        raw.push_str("\n\n");
        raw.push_str(&body);
        let raw = raw.replace('\r', "").into_bytes();

        // Flags: older mail mostly read, the newest ~2% unread-heavy.
        let age = (T_END - ts) as f64 / (T_END - T_START) as f64;
        let mut flags = Vec::new();
        if (self.parent[i].is_some() && r.chance(0.25)) || r.chance(0.05) {
            flags.push("\\Answered".to_string());
        }
        if r.chance(0.04) {
            flags.push("\\Flagged".to_string());
        }
        if r.chance(if age > 0.02 { 0.97 } else { 0.4 }) {
            flags.push("\\Seen".to_string());
        }
        for kw in KEYWORDS {
            if r.chance(0.02) {
                flags.push(kw.to_string());
            }
        }
        SeedMessage {
            raw,
            flags,
            internal_date: ts,
        }
    }
}

fn plain_name(r: &mut Rng) -> String {
    format!("{} {}", r.choice(FIRST), r.choice(LAST))
}

fn addr_spec(r: &mut Rng) -> String {
    let local = r.choice(FIRST).to_lowercase();
    format!("{local}.{}@{}", r.range(1, 99), r.choice(DOMAINS))
}

/// A From/To mailbox with a realistic mix of display-name encodings.
fn fmt_addr(r: &mut Rng, raw8: bool) -> String {
    let x = r.f64();
    if x < 0.70 {
        let name = plain_name(r);
        let a = addr_spec(r);
        return if r.chance(0.9) {
            format!("{name} <{a}>")
        } else {
            a
        };
    }
    if x < 0.85 {
        let name = r.choice(UTF8_NAMES);
        let a = addr_spec(r);
        let shown = if raw8 {
            name.to_string()
        } else {
            b_word(name.as_bytes(), "utf-8")
        };
        return format!("{shown} <{a}>");
    }
    if x < 0.95 {
        let name = r.choice(LATIN1_NAMES);
        let a = addr_spec(r);
        return format!("{} <{a}>", q_word(&latin1(name), "iso-8859-1"));
    }
    let (_, word) = r.choice(SJIS_NAMES);
    let a = addr_spec(r);
    format!("{word} <{a}>")
}

fn base_subject(r: &mut Rng) -> (String, Charset) {
    let x = r.f64();
    if x < 0.78 {
        let n = r.range(100, 99999).to_string();
        let m = r.choice(&["March", "June", "October"]);
        let q = r.range(1, 9).to_string();
        let t = r
            .choice(SUBJ_TOPICS)
            .replace("{n}", &n)
            .replace("{m}", m)
            .replace("{q}", &q);
        (t, Charset::Ascii)
    } else if x < 0.92 {
        (r.choice(UTF8_SUBJ).to_string(), Charset::Utf8)
    } else if x < 0.97 {
        (r.choice(LATIN1_SUBJ).to_string(), Charset::Latin1)
    } else {
        let k = r.below(SJIS_SUBJ.len());
        (SJIS_SUBJ[k].0.to_string(), Charset::Sjis(k))
    }
}

fn encode_subject(r: &mut Rng, text: &str, cs: Charset) -> String {
    match cs {
        Charset::Ascii => text.to_string(),
        Charset::Utf8 => {
            if r.chance(0.6) {
                b_word(text.as_bytes(), "utf-8")
            } else {
                q_word(text.as_bytes(), "utf-8")
            }
        }
        Charset::Latin1 => q_word(&latin1(text), "iso-8859-1"),
        Charset::Sjis(k) => {
            // Keep any "Re: " prefix outside the encoded word.
            let prefix = &text[..text.len() - SJIS_SUBJ[k].0.len()];
            format!("{prefix}{}", SJIS_SUBJ[k].1)
        }
    }
}

/// ISO-8859-1 bytes of a string whose characters are all below U+0100.
fn latin1(s: &str) -> Vec<u8> {
    s.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect()
}

fn b_word(bytes: &[u8], charset: &str) -> String {
    format!("=?{charset}?B?{}?=", base64(bytes))
}

/// RFC 2047 Q encoding, one word, never line-wrapped.
fn q_word(bytes: &[u8], charset: &str) -> String {
    let mut out = format!("=?{charset}?Q?");
    for &c in bytes {
        match c {
            b' ' => out.push('_'),
            b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'!' | b'*' | b'+' | b'-' | b'/' => {
                out.push(c as char)
            }
            _ => {
                let _ = write!(out, "={c:02X}");
            }
        }
    }
    out.push_str("?=");
    out
}

fn para(r: &mut Rng, nwords: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for k in 0..nwords {
        let w = r.choice(WORDS);
        let word = if k == 0 {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        } else {
            w.to_string()
        };
        if !line.is_empty() && line.len() + word.len() + 1 > 72 {
            out.push_str(&line);
            out.push('\n');
            line = word;
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
    }
    out.push_str(&line);
    out.push('.');
    out
}

fn text_body(r: &mut Rng) -> String {
    let n = r.weighted(&[(1, 20), (2, 35), (4, 25), (8, 15), (20, 5)]);
    let paras: Vec<String> = (0..n)
        .map(|_| {
            let w = r.range(15, 70) as usize;
            para(r, w)
        })
        .collect();
    format!("{}\n\n-- \nSent from the tern corpus\n", paras.join("\n\n"))
}

fn html_of(text: &str) -> String {
    let mut ps = String::new();
    for p in text.split("\n\n") {
        let esc = p
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('\n', " ");
        let _ = writeln!(ps, "<p>{esc}</p>");
    }
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n<body>\n{ps}</body></html>\n"
    )
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            B64[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            B64[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

fn base64_folded(data: &[u8]) -> String {
    let s = base64(data);
    let mut out = String::with_capacity(s.len() + s.len() / 76 + 1);
    for line in s.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Quoted-printable body encoding (lines of at most 76 characters, LF line ends).
pub fn qp_encode(data: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(data.len() + data.len() / 8);
    for (idx, line) in data.split(|&c| c == b'\n').enumerate() {
        if idx > 0 {
            out.push('\n');
        }
        let mut col = 0;
        for (j, &c) in line.iter().enumerate() {
            let last = j + 1 == line.len();
            let plain =
                matches!(c, b'!'..=b'<' | b'>'..=b'~') || (matches!(c, b' ' | b'\t') && !last);
            let width = if plain { 1 } else { 3 };
            if col + width > 75 {
                out.push_str("=\n");
                col = 0;
            }
            if plain {
                out.push(c as char);
            } else {
                out.push('=');
                out.push(HEX[usize::from(c >> 4)] as char);
                out.push(HEX[usize::from(c & 15)] as char);
            }
            col += width;
        }
    }
    out
}

/// `Wed, 01 Jan 2014 00:00:00 +0100` for unix time `ts` shown in zone `tz_min` minutes east.
pub fn rfc2822_date(ts: i64, tz_min: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let local = ts + tz_min * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if tz_min >= 0 { '+' } else { '-' };
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        tz_min.abs() / 60,
        tz_min.abs() % 60
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31); H. Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
