//! The words `tern flag --add/--remove` accepts (see `domain::flag_word`).

/// User words to IMAP flags: the system flags by name, anything else as a keyword.
pub fn imap_flags(words: &[String]) -> anyhow::Result<Vec<String>> {
    words
        .iter()
        .map(|word| crate::domain::flag_word::imap_flag(word).map_err(anyhow::Error::msg))
        .collect()
}
