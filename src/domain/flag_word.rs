//! The words a user types for flags (CLI `--add`, the TUI keyword prompt): seen, flagged,
//! answered, deleted, draft, or a keyword.

/// A user word as an IMAP flag: a system flag by name, anything else as a keyword.
pub fn imap_flag(word: &str) -> Result<String, String> {
    let flag = match word.to_ascii_lowercase().trim_start_matches('\\') {
        "seen" | "read" => "\\Seen".to_string(),
        "flagged" | "star" | "starred" => "\\Flagged".to_string(),
        "answered" => "\\Answered".to_string(),
        "deleted" => "\\Deleted".to_string(),
        "draft" => "\\Draft".to_string(),
        _ if word.starts_with('\\') => return Err(format!("unknown system flag {word:?}")),
        _ if word.is_empty()
            || word
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || "(){%*\"\\]".contains(c)) =>
        {
            return Err(format!("{word:?} is not a valid keyword"));
        }
        _ => word.to_string(),
    };
    Ok(flag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_imap_flags() {
        for (word, flag) in [
            ("seen", "\\Seen"),
            ("Flagged", "\\Flagged"),
            ("\\Answered", "\\Answered"),
            ("Work", "Work"),
            ("$label1", "$label1"),
        ] {
            assert_eq!(imap_flag(word).as_deref(), Ok(flag));
        }
        for bad in ["\\Bogus", "two words", "evil)", "", "bell\u{7}"] {
            assert!(imap_flag(bad).is_err(), "{bad:?}");
        }
    }
}
