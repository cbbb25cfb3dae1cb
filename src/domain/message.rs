//! A message as tern keeps it: the header fields the list, threads and reader need, and
//! its flags. Keyed by (mailbox, UIDVALIDITY, UID) everywhere.

use serde::Serialize;

/// The system flags as bits (cheap to store, index and compare); keywords stay strings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct SystemFlags(pub u8);

impl SystemFlags {
    pub const SEEN: u8 = 1;
    pub const ANSWERED: u8 = 2;
    pub const FLAGGED: u8 = 4;
    pub const DELETED: u8 = 8;
    pub const DRAFT: u8 = 16;

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    pub fn with(self, bit: u8, on: bool) -> Self {
        if on {
            Self(self.0 | bit)
        } else {
            Self(self.0 & !bit)
        }
    }

    fn bit_of(flag: &str) -> Option<u8> {
        match flag.to_ascii_lowercase().as_str() {
            "\\seen" => Some(Self::SEEN),
            "\\answered" => Some(Self::ANSWERED),
            "\\flagged" => Some(Self::FLAGGED),
            "\\deleted" => Some(Self::DELETED),
            "\\draft" => Some(Self::DRAFT),
            _ => None,
        }
    }
}

/// Flags as IMAP reports them, split into system bits and keywords.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Flags {
    pub system: SystemFlags,
    /// Sorted, deduplicated; never system flags. `\Recent` and other `\`-flags are dropped.
    pub keywords: Vec<String>,
}

impl Flags {
    pub fn from_imap<S: AsRef<str>>(flags: &[S]) -> Self {
        let mut system = SystemFlags::default();
        let mut keywords = Vec::new();
        for flag in flags {
            let flag = flag.as_ref();
            match SystemFlags::bit_of(flag) {
                Some(bit) => system = system.with(bit, true),
                None if !flag.starts_with('\\') && !flag.is_empty() => {
                    keywords.push(flag.to_string())
                }
                None => {}
            }
        }
        keywords.sort();
        keywords.dedup();
        Self { system, keywords }
    }

    /// Back to IMAP names, system flags first.
    pub fn to_imap(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (bit, name) in [
            (SystemFlags::SEEN, "\\Seen"),
            (SystemFlags::ANSWERED, "\\Answered"),
            (SystemFlags::FLAGGED, "\\Flagged"),
            (SystemFlags::DELETED, "\\Deleted"),
            (SystemFlags::DRAFT, "\\Draft"),
        ] {
            if self.system.has(bit) {
                out.push(name.to_string());
            }
        }
        out.extend(self.keywords.iter().cloned());
        out
    }

    pub fn seen(&self) -> bool {
        self.system.has(SystemFlags::SEEN)
    }

    pub fn flagged(&self) -> bool {
        self.system.has(SystemFlags::FLAGGED)
    }

    /// Keywords joined by spaces, the form the cache stores.
    pub fn keywords_text(&self) -> String {
        self.keywords.join(" ")
    }

    pub fn from_parts(system: u8, keywords: &str) -> Self {
        Self {
            system: SystemFlags(system),
            keywords: keywords.split_whitespace().map(str::to_string).collect(),
        }
    }
}

/// The header fields tern caches, parsed and decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderFields {
    /// Unix seconds from the Date header, if it parsed.
    pub date: Option<i64>,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    /// Display form: `Name <addr>, addr2, ...`, capped in length.
    pub to: String,
    pub cc: String,
    pub subject: String,
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// Message-IDs from References, oldest first, without brackets.
    pub references: Vec<String>,
    /// A multipart/mixed top-level type: likely has attachments.
    pub has_attachment: bool,
}

/// A message as fetched by the sync engine, ready to store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMessage {
    pub uid: u32,
    pub flags: Flags,
    pub modseq: Option<u64>,
    /// INTERNALDATE, unix seconds.
    pub internal_date: Option<i64>,
    pub size: Option<u32>,
    pub headers: HeaderFields,
}

/// A cached message as the list and the CLI read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageRow {
    pub uid: u32,
    pub uidvalidity: u32,
    /// Date header, else INTERNALDATE (unix seconds).
    pub date: i64,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub flags: Flags,
    pub size: u32,
    pub modseq: Option<u64>,
    pub has_attachment: bool,
    pub thread_id: i64,
    /// 0 for a thread root; children are deeper.
    pub depth: u32,
}

impl MessageRow {
    /// The sender as the list shows it: the display name, else the address.
    pub fn sender(&self) -> &str {
        self.from_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .or(self.from_addr.as_deref())
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_split_into_bits_and_keywords() {
        let flags = Flags::from_imap(&[
            "\\Seen",
            "\\Flagged",
            "Work",
            "$Forwarded",
            "\\Recent",
            "Work",
        ]);
        assert!(flags.seen() && flags.flagged());
        assert!(!flags.system.has(SystemFlags::DELETED));
        assert_eq!(flags.keywords, ["$Forwarded", "Work"]);
        assert_eq!(
            flags.to_imap(),
            ["\\Seen", "\\Flagged", "$Forwarded", "Work"]
        );
        assert_eq!(
            Flags::from_parts(flags.system.0, &flags.keywords_text()),
            flags
        );
    }
}
