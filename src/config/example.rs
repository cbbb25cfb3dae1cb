//! The example printed on first run. It must stay valid: a test parses it.

pub const EXAMPLE_CONFIG: &str = r#"[[accounts]]
name = "work"
host = "imap.example.com"
port = 993                  # optional: default 993 for tls, 143 for starttls/plain
security = "tls"            # "tls" | "starttls" | "plain"
username = "me@example.com"
password_command = "pass show mail/work"   # run through `sh -c`, first line of stdout is the password
# password = "literal"      # alternative to password_command (one of the two, or oauth_token_command)
# ca_file = "~/certs/my-ca.pem"            # ~ expanded; relative paths relative to this file's dir
# oauth_token_command = "oauth2-token work"  # XOAUTH2/OAUTHBEARER token from a command
# cert_fingerprint = "sha256:5E:9B:12:A0:C3:47:8D:F1:5E:9B:12:A0:C3:47:8D:F1:5E:9B:12:A0:C3:47:8D:F1:5E:9B:12:A0:C3:47:8D:F1"
#                           # trust exactly this server certificate (tern prints the line to add)
# tls_verify = false        # explicit per-account opt-out of certificate verification (default true)
# idle_refresh_secs = 90    # re-issue IDLE this often; also how soon a dead link is noticed (default 90)
# poll_interval_secs = 1    # without NOTIFY on the server: check other folders this often (0 = off)
# auth = "auto"             # optional "auto" | "login" | "plain" | "xoauth2" | "oauthbearer"
# trash = "Deleted Items"   # where d moves mail (default: the server's \Trash folder)
# archive = "Archive"       # where a moves mail (default: the server's \Archive folder)
# junk = "Spam"             # where ! moves mail (default: the server's \Junk folder)
# delete = "expunge"        # d removes for good instead of moving to the Trash (default "trash")

[ui]
keymap = "default"          # or "vim", or a path
theme = "default"           # "light", "mono", or a path; NO_COLOR forces "mono"
mark_read_after_ms = 0      # -1 never
threads = true
# new_mail_bell = false     # ring the terminal bell on new mail
# new_mail_title = true     # unread count in the terminal title
# prefer_html = false       # HTML part of multipart/alternative first (p switches per sender)
# open_command = "xdg-open" # opens links (L) and attachments (o) that [open] does not name
# hyperlinks = true         # links in the reader are clickable (OSC 8 hyperlinks)

[sync]
status_interval_secs = 60   # poll other folders with STATUS this often
prefetch_bodies = 500       # bodies of INBOX's newest N messages, for offline reading; 0 = off
prefetch_days = 14          # ...of those, only the last N days' (0 = any age)

# [open]                    # programs by MIME type; %s is the file (else it goes last)
# "application/pdf" = "zathura %s"
# "image/*" = "imv"

# [[views]]                 # saved searches in the sidebar (README "Searching")
# name = "Unread everywhere"
# query = "is:unread"
"#;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Config, PasswordSource, Security};

    #[test]
    fn example_parses_to_the_documented_account() {
        let config = Config::parse(
            EXAMPLE_CONFIG,
            Path::new("/home/me/.config/tern/config.toml"),
        );
        let config = match config {
            Ok(config) => config,
            Err(err) => unreachable!("EXAMPLE_CONFIG must parse:\n{err}"),
        };
        let account = &config.accounts[0];
        assert_eq!(account.name, "work");
        assert_eq!(account.security, Security::Tls);
        assert_eq!(
            account.password,
            Some(PasswordSource::Command("pass show mail/work".into()))
        );
        assert_eq!(account.filing, crate::config::Filing::default());
    }

    #[test]
    fn filing_keys_name_the_folders_and_reject_unknown_words() {
        let base = EXAMPLE_CONFIG.replace(
            "# auth = ",
            "trash = \"Bin\"\narchive = \"Old\"\njunk = \"Spam\"\ndelete = \"expunge\"\n# auth = ",
        );
        let config = Config::parse(&base, Path::new("/c/config.toml")).unwrap();
        let filing = &config.accounts[0].filing;
        assert_eq!(filing.trash.as_deref(), Some("Bin"));
        assert_eq!(filing.archive.as_deref(), Some("Old"));
        assert_eq!(filing.junk.as_deref(), Some("Spam"));
        assert!(filing.delete_expunges);
        let bad = base.replace("delete = \"expunge\"", "delete = \"shred\"");
        let err = Config::parse(&bad, Path::new("/c/config.toml")).unwrap_err();
        assert!(err.to_string().contains("delete"), "{err}");
    }

    #[test]
    fn commented_options_parse_when_uncommented() {
        // password/oauth_token_command/ca_file need context (one credential, a real file); the
        // rest must work as written once the `# ` is removed.
        for key in [
            "cert_fingerprint",
            "tls_verify",
            "idle_refresh_secs",
            "poll_interval_secs",
            "auth",
            "trash",
            "archive",
            "junk",
            "delete",
        ] {
            let commented = format!("\n# {key} = ");
            assert!(EXAMPLE_CONFIG.contains(&commented), "{key}");
            let text = EXAMPLE_CONFIG.replace(&commented, &format!("\n{key} = "));
            let parsed = Config::parse(&text, Path::new("/c/config.toml"));
            assert!(parsed.is_ok(), "{key}: {:?}", parsed.err());
        }
    }
}
