//! The words `tern flag --add/--remove` accepts: seen, flagged, answered, deleted, draft,
//! or a keyword.

/// User words to IMAP flags: the system flags by name, anything else as a keyword.
pub fn imap_flags(words: &[String]) -> anyhow::Result<Vec<String>> {
    words
        .iter()
        .map(|word| {
            let flag = match word.to_ascii_lowercase().trim_start_matches('\\') {
                "seen" | "read" => "\\Seen".to_string(),
                "flagged" | "star" | "starred" => "\\Flagged".to_string(),
                "answered" => "\\Answered".to_string(),
                "deleted" => "\\Deleted".to_string(),
                "draft" => "\\Draft".to_string(),
                _ if word.starts_with('\\') => anyhow::bail!("unknown system flag {word:?}"),
                _ if word.is_empty()
                    || word.chars().any(|c| {
                        c.is_control() || c.is_whitespace() || "(){%*\"\\]".contains(c)
                    }) =>
                {
                    anyhow::bail!("{word:?} is not a valid keyword")
                }
                _ => word.clone(),
            };
            Ok(flag)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_imap_flags() {
        let words: Vec<String> = ["seen", "Flagged", "\\Answered", "Work", "$label1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            imap_flags(&words).unwrap(),
            ["\\Seen", "\\Flagged", "\\Answered", "Work", "$label1"]
        );
        assert!(imap_flags(&["\\Bogus".into()]).is_err());
        assert!(imap_flags(&["two words".into()]).is_err());
        assert!(imap_flags(&["evil)".into()]).is_err());
    }
}
