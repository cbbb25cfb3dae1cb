//! How attachments and links are opened, mailcap-like: `[ui] open_command` (default
//! `xdg-open`) and the `[open]` table of MIME types (`"application/pdf" = "zathura %s"`,
//! `"image/*" = "imv %s"`). A command is split into words with shell quoting rules but
//! never run by a shell: the file (or URL) is one argument, whatever it contains.

use toml::Spanned;
use toml::de::DeValue;

use super::reader::Problems;

/// A program and its arguments; `%s` marks where the file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCommand {
    argv: Vec<String>,
}

impl OpenCommand {
    /// Splits `text` like a shell would (quotes, backslashes), without running one.
    pub fn parse(text: &str) -> Result<Self, String> {
        let argv = split_words(text)?;
        if argv.is_empty() {
            return Err("must name a program".into());
        }
        Ok(Self { argv })
    }

    /// The argv to run on `target`: every `%s` replaced by it, or it appended when no
    /// argument has `%s`.
    pub fn argv_for(&self, target: &str) -> Vec<String> {
        if self.argv.iter().any(|a| a.contains("%s")) {
            self.argv.iter().map(|a| a.replace("%s", target)).collect()
        } else {
            let mut argv = self.argv.clone();
            argv.push(target.to_string());
            argv
        }
    }

    /// The program, for messages.
    pub fn program(&self) -> &str {
        self.argv.first().map_or("", String::as_str)
    }
}

impl Default for OpenCommand {
    fn default() -> Self {
        Self {
            argv: vec!["xdg-open".into()],
        }
    }
}

/// The `[open]` table: commands by MIME type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenTypes {
    /// Lower-cased patterns ("application/pdf", "image/*", "*/*") in file order.
    entries: Vec<(String, OpenCommand)>,
}

impl OpenTypes {
    /// The command for `mime` ("Application/PDF; name=x" works): the exact type first,
    /// then `type/*`, then `*/*`; None means `open_command`.
    pub fn command_for(&self, mime: &str) -> Option<&OpenCommand> {
        let mime = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let family = mime.split('/').next().unwrap_or("");
        let wildcard = format!("{family}/*");
        [mime.as_str(), wildcard.as_str(), "*/*"]
            .into_iter()
            .find_map(|want| {
                self.entries
                    .iter()
                    .find(|(pattern, _)| pattern == want)
                    .map(|(_, command)| command)
            })
    }
}

/// Reads `[open]`; bad entries are reported with their line and left out.
pub(super) fn read_open(
    value: &Spanned<DeValue<'_>>,
    key_span: &std::ops::Range<usize>,
    problems: &mut Problems,
) -> OpenTypes {
    let DeValue::Table(table) = value.get_ref() else {
        let message = format!("expected a table, found {}", value.get_ref().type_str());
        problems.at(key_span, "open", message);
        return OpenTypes::default();
    };
    let mut entries = Vec::new();
    for (key, value) in table.iter() {
        let name: &str = key.get_ref().as_ref();
        let path = format!("open.\"{}\"", name.escape_debug());
        if !is_mime_pattern(name) {
            let message = "expected a MIME type such as \"application/pdf\" or \"image/*\"";
            problems.at(&key.span(), &path, message);
            continue;
        }
        let Some(text) = value.get_ref().as_str() else {
            let message = format!(
                "expected a command string, found {}",
                value.get_ref().type_str()
            );
            problems.at(&key.span(), &path, message);
            continue;
        };
        match OpenCommand::parse(text) {
            Ok(command) => entries.push((name.to_ascii_lowercase(), command)),
            Err(message) => problems.at(&key.span(), &path, message),
        }
    }
    OpenTypes { entries }
}

/// `type/subtype`, `type/*` or `*/*`, in RFC 2045 token characters.
fn is_mime_pattern(text: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match text.split_once('/') {
        Some(("*", "*")) => true,
        Some((family, "*")) => token(family),
        Some((family, sub)) => token(family) && token(sub),
        None => false,
    }
}

/// POSIX shell word splitting, without expansions: blanks separate words, '…' is literal,
/// "…" keeps blanks (a backslash escapes only " \ $ ` in it), a backslash elsewhere
/// escapes the next character.
pub(super) fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated \" quote".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => {
                    in_word = true;
                    word.push(c);
                }
                None => return Err("ends with a lone backslash".into()),
            },
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::error::ConfigError;
    use super::super::load::parse;
    use super::*;

    #[test]
    fn words_split_like_a_shell_without_one() {
        assert_eq!(
            split_words(r#"zathura --fork  "a b" 'c "d"' e\ f "g\"h\n" %s"#).unwrap(),
            [
                "zathura", "--fork", "a b", "c \"d\"", "e f", "g\"h\\n", "%s"
            ]
        );
        assert_eq!(split_words("'' x").unwrap(), ["", "x"]);
        // Shell syntax is just text: nothing is expanded or chained.
        assert_eq!(
            split_words("sh; rm -rf $HOME `id` | x").unwrap(),
            ["sh;", "rm", "-rf", "$HOME", "`id`", "|", "x"]
        );
        assert!(split_words("'open").is_err());
        assert!(split_words("\"open").is_err());
        assert!(split_words("open\\").is_err());
        assert!(OpenCommand::parse("   ").is_err());
    }

    #[test]
    fn the_file_is_one_argument_where_percent_s_is_or_at_the_end() {
        let hostile = "/tmp/x/$(reboot); `id` 'a\" b.pdf";
        let zathura = OpenCommand::parse("zathura --page=1 %s").unwrap();
        assert_eq!(zathura.argv_for(hostile), ["zathura", "--page=1", hostile]);
        let embedded = OpenCommand::parse("viewer --file=%s").unwrap();
        assert_eq!(embedded.argv_for("/f"), ["viewer", "--file=/f"]);
        assert_eq!(
            OpenCommand::default().argv_for("https://x.example/?a=1&b=2"),
            ["xdg-open", "https://x.example/?a=1&b=2"]
        );
    }

    #[test]
    fn mime_types_match_exact_then_family_then_any() {
        let types = OpenTypes {
            entries: vec![
                ("image/*".into(), OpenCommand::parse("imv").unwrap()),
                (
                    "application/pdf".into(),
                    OpenCommand::parse("zathura").unwrap(),
                ),
                (
                    "image/svg+xml".into(),
                    OpenCommand::parse("inkscape").unwrap(),
                ),
            ],
        };
        let program = |mime| types.command_for(mime).map(OpenCommand::program);
        assert_eq!(program("application/pdf"), Some("zathura"));
        assert_eq!(program("Application/PDF; name=\"a.pdf\""), Some("zathura"));
        assert_eq!(program("image/png"), Some("imv"));
        assert_eq!(program("image/svg+xml"), Some("inkscape"));
        assert_eq!(program("text/plain"), None);
        assert_eq!(program(""), None);
        let any = OpenTypes {
            entries: vec![("*/*".into(), OpenCommand::parse("any").unwrap())],
        };
        assert_eq!(
            any.command_for("text/plain").map(OpenCommand::program),
            Some("any")
        );
    }

    const ACCOUNT: &str = "[[accounts]]\nname = \"w\"\nhost = \"h\"\nusername = \"u\"\n\
                           password_command = \"p\"\n";

    fn problems(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        match parse(
            &format!("{ACCOUNT}{text}"),
            &dir.path().join("c.toml"),
            None,
        ) {
            Ok(_) => String::new(),
            Err(ConfigError::Invalid { problems, .. }) => problems
                .iter()
                .map(|p| p.render(Path::new("c")))
                .collect::<Vec<_>>()
                .join("\n"),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn config_reads_open_command_types_and_hyperlinks() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{ACCOUNT}[ui]\nopen_command = \"my-open --new\"\nhyperlinks = false\n\
             [open]\n\"application/pdf\" = \"zathura %s\"\n\"image/*\" = \"imv\"\n"
        );
        let config = parse(&text, &dir.path().join("c.toml"), None).unwrap();
        assert_eq!(
            config.ui.open_command.argv_for("f"),
            ["my-open", "--new", "f"]
        );
        assert!(!config.ui.hyperlinks);
        assert_eq!(
            config
                .open
                .command_for("image/jpeg")
                .map(|c| c.argv_for("f")),
            Some(vec!["imv".to_string(), "f".to_string()])
        );
        let defaults = parse(ACCOUNT, &dir.path().join("c.toml"), None).unwrap();
        assert_eq!(defaults.ui.open_command.program(), "xdg-open");
        assert!(defaults.ui.hyperlinks);
        assert_eq!(defaults.open, OpenTypes::default());
    }

    #[test]
    fn bad_open_entries_are_reported_with_their_line() {
        let found = problems(
            "[ui]\nopen_command = \"'unterminated\"\n[open]\n\"pdf\" = \"zathura\"\n\
             \"image/*\" = 3\n\"text/html\" = \"\"\n",
        );
        assert!(
            found.contains("c:7: ui.open_command: unterminated ' quote"),
            "{found}"
        );
        assert!(
            found.contains("c:9: open.\"pdf\": expected a MIME type"),
            "{found}"
        );
        assert!(
            found.contains("c:10: open.\"image/*\": expected a command string, found integer"),
            "{found}"
        );
        assert!(
            found.contains("c:11: open.\"text/html\": must name a program"),
            "{found}"
        );
        let dir = tempfile::tempdir().unwrap();
        let text = format!("open = 1\n{ACCOUNT}");
        let Err(ConfigError::Invalid { problems, .. }) =
            parse(&text, &dir.path().join("c.toml"), None)
        else {
            panic!("open = 1 must be refused");
        };
        assert_eq!(
            problems[0].render(Path::new("c")),
            "c:1: open: expected a table, found integer"
        );
    }
}
