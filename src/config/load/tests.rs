use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::config::error::Problem;
use crate::config::{AuthMethod, BuiltinOrFile, PasswordSource, Security};

const FILE: &str = "/cfg/config.toml";

fn parse_ok(text: &str) -> Config {
    match parse(text, Path::new(FILE), Some(Path::new("/home/me"))) {
        Ok(config) => config,
        Err(err) => unreachable!("expected a valid config, got:\n{err}"),
    }
}

fn problems(text: &str) -> Vec<Problem> {
    match parse(text, Path::new(FILE), Some(Path::new("/home/me"))) {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        Err(other) => unreachable!("expected Invalid, got {other}"),
        Ok(_) => unreachable!("expected problems, config parsed fine"),
    }
}

fn rendered(text: &str) -> Vec<String> {
    problems(text)
        .iter()
        .map(|p| p.render(Path::new(FILE)))
        .collect()
}

const MINIMAL: &str = r#"
[[accounts]]
name = "work"
host = "imap.example.com"
username = "me"
password_command = "pass show work"
"#;

#[test]
fn defaults_apply_when_optional_keys_and_sections_are_absent() {
    let config = parse_ok(MINIMAL);
    assert_eq!(config.path, PathBuf::from(FILE));
    let account = &config.accounts[0];
    assert_eq!(account.security, Security::Tls);
    assert_eq!(account.port, 993);
    assert!(account.tls_verify);
    assert_eq!(account.idle_refresh, Duration::from_secs(90));
    assert_eq!(account.auth, AuthMethod::Auto);
    assert_eq!(account.ca_file, None);
    assert_eq!(config.ui, UiConfig::default());
    assert_eq!(config.ui.keymap, BuiltinOrFile::Builtin("default".into()));
    assert_eq!(config.ui.mark_read_after, Some(Duration::ZERO));
    assert!(config.ui.threads);
    assert_eq!(config.sync.status_interval, Some(Duration::from_secs(60)));
    assert_eq!(
        config.sync.prefetch_bodies,
        crate::config::Prefetch::default()
    );
    assert_eq!(config.sync.prefetch_bodies.messages, 500);
    assert_eq!(config.sync.prefetch_bodies.days, 14);
}

#[test]
fn port_defaults_follow_security() {
    for (security, port) in [("tls", 993), ("starttls", 143), ("plain", 143)] {
        let text = format!("{MINIMAL}security = \"{security}\"\n");
        assert_eq!(parse_ok(&text).accounts[0].port, port, "{security}");
    }
    let explicit = format!("{MINIMAL}security = \"starttls\"\nport = 1143\n");
    assert_eq!(parse_ok(&explicit).accounts[0].port, 1143);
}

#[test]
fn every_key_is_read() {
    let text = r#"
[[accounts]]
name = "oauth"
host = "imap.gmail.com"
port = 1993
security = "plain"
username = "me@gmail.com"
oauth_token_command = "oauth2-token me"
tls_verify = false
idle_refresh_secs = 300
auth = "xoauth2"

[ui]
keymap = "vim"
theme = "light"
mark_read_after_ms = -1
threads = false

[sync]
status_interval_secs = 0
prefetch_bodies = 20
prefetch_days = 0

[cache]
body_limit = "2GB"
"#;
    let config = parse_ok(text);
    assert_eq!(config.cache.body_limit, 2 << 30);
    let account = &config.accounts[0];
    assert_eq!(account.port, 1993);
    assert_eq!(account.security, Security::Plain);
    assert_eq!(account.password, None);
    assert_eq!(
        account.oauth_token_command.as_deref(),
        Some("oauth2-token me")
    );
    assert!(!account.tls_verify);
    assert_eq!(account.idle_refresh, Duration::from_secs(300));
    assert_eq!(account.auth, AuthMethod::XOAuth2);
    assert_eq!(config.ui.keymap, BuiltinOrFile::Builtin("vim".into()));
    assert_eq!(config.ui.theme, BuiltinOrFile::Builtin("light".into()));
    assert_eq!(config.ui.mark_read_after, None);
    assert!(!config.ui.threads);
    assert_eq!(config.sync.status_interval, None);
    assert_eq!(
        config.sync.prefetch_bodies,
        crate::config::Prefetch {
            messages: 20,
            days: 0
        }
    );
}

#[test]
fn unknown_key_reports_line_and_key_path_with_a_suggestion() {
    let text = format!("{MINIMAL}pasword = \"x\"\n\n[ui]\ncolour = true\n");
    assert_eq!(
        rendered(&text),
        vec![
            format!("{FILE}:7: accounts[0].pasword: unknown key; did you mean \"password\"?"),
            format!(
                "{FILE}:10: ui.colour: unknown key; expected one of keymap, theme, mark_read_after_ms, threads, new_mail_bell, new_mail_title, new_mail_command, new_mail_notify, new_mail_folders, tag_advances, download_dir, prefer_html, open_command, hyperlinks"
            ),
        ]
    );
}

#[test]
fn unknown_top_level_section_is_reported() {
    let text = format!("{MINIMAL}\n[colors]\nx = 1\n");
    assert_eq!(
        rendered(&text),
        vec![format!(
            "{FILE}:8: colors: unknown key; expected one of accounts, ui, sync, open, views, cache"
        )]
    );
}

#[test]
fn bad_enum_value_reports_line_and_allowed_values() {
    let text = "[[accounts]]\nname = \"w\"\nhost = \"h\"\nusername = \"u\"\npassword = \"p\"\n\n\nsecurity = \"ssl\"\n";
    assert_eq!(
        rendered(text),
        vec![format!(
            "{FILE}:8: accounts[0].security: unknown value \"ssl\", expected one of \"tls\", \"starttls\", \"plain\""
        )]
    );
}

#[test]
fn wrong_type_names_the_type_not_the_value() {
    let text = format!("{MINIMAL}port = \"993\"\n");
    assert_eq!(
        rendered(&text),
        vec![format!(
            "{FILE}:7: accounts[0].port: expected an integer, found string"
        )]
    );
}

#[test]
fn out_of_range_port_is_reported() {
    let text = format!("{MINIMAL}port = 70000\n");
    assert_eq!(
        rendered(&text),
        vec![format!(
            "{FILE}:7: accounts[0].port: must be between 1 and 65535"
        )]
    );
}

#[test]
fn missing_accounts_is_reported() {
    assert_eq!(
        rendered("[ui]\nthreads = true\n"),
        vec![format!(
            "{FILE}: accounts: no accounts: add an [[accounts]] table (see the example config)"
        )]
    );
    assert_eq!(
        rendered("accounts = []\n"),
        vec![format!(
            "{FILE}:1: accounts: no accounts: add an [[accounts]] table"
        )]
    );
}

#[test]
fn missing_required_keys_point_at_the_account_header() {
    let text = format!("{MINIMAL}\n[[accounts]]\nname = \"home\"\npassword = \"p\"\n");
    assert_eq!(
        rendered(&text),
        vec![
            format!("{FILE}:8: accounts[1].host: missing (required)"),
            format!("{FILE}:8: accounts[1].username: missing (required)"),
        ]
    );
}

#[test]
fn empty_host_is_reported() {
    let text = MINIMAL.replace("imap.example.com", " ");
    assert_eq!(
        rendered(&text),
        vec![format!("{FILE}:4: accounts[0].host: must not be empty")]
    );
}

#[test]
fn duplicate_account_names_are_reported_at_the_second() {
    let text = format!("{MINIMAL}{MINIMAL}");
    assert_eq!(
        rendered(&text),
        vec![format!(
            "{FILE}:9: accounts[1].name: duplicate account name \"work\"; names must be unique"
        )]
    );
}

#[test]
fn password_and_password_command_together_are_an_error_without_the_secret() {
    let text = format!("{MINIMAL}password = \"hunter2\"\n");
    let lines = rendered(&text);
    assert_eq!(
        lines,
        vec![format!(
            "{FILE}:7: accounts[0].password: password_command is also set; use exactly one of password_command, password or oauth_token_command"
        )]
    );
    assert!(!lines.concat().contains("hunter2"));
}

#[test]
fn no_credentials_is_an_error() {
    let text = "[[accounts]]\nname = \"w\"\nhost = \"h\"\nusername = \"u\"\n";
    assert_eq!(
        rendered(text),
        vec![format!(
            "{FILE}:1: accounts[0].password_command: missing: set one of password_command, password or oauth_token_command"
        )]
    );
}

#[test]
fn oauth_auth_without_token_command_is_an_error() {
    let text = format!("{MINIMAL}auth = \"oauthbearer\"\n");
    assert_eq!(
        rendered(&text),
        vec![format!(
            "{FILE}:7: accounts[0].auth: needs oauth_token_command"
        )]
    );
}

#[test]
fn literal_password_is_kept_secret() {
    let text = MINIMAL.replace(
        "password_command = \"pass show work\"",
        "password = \"hunter2\"",
    );
    let config = parse_ok(&text);
    match &config.accounts[0].password {
        Some(PasswordSource::Literal(secret)) => assert_eq!(secret.expose(), "hunter2"),
        other => unreachable!("expected a literal password, got {other:?}"),
    }
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn syntax_error_does_not_echo_a_password() {
    let text = "[[accounts]]\nname = \"w\"\npassword = \"hunter2\\q\"\n";
    let lines = rendered(text);
    assert!(
        lines.iter().all(|l| l.starts_with(&format!("{FILE}:3: "))),
        "{lines:?}"
    );
    assert!(!lines.concat().contains("hunter2"), "{lines:?}");
}

#[test]
fn duplicate_table_names_its_key() {
    let text = format!("{MINIMAL}[ui]\nthreads = true\n[ui]\n");
    assert_eq!(
        rendered(&text),
        vec![format!("{FILE}:9: ui: invalid TOML: duplicate key")]
    );
}

#[test]
fn several_problems_are_collected_in_line_order() {
    let text = "[[accounts]]\nname = \"w\"\nhost = \"\"\nusername = \"u\"\npassword = \"p\"\nport = 0\n\n[sync]\nprefetch_bodies = -3\n";
    let keys: Vec<(Option<usize>, String)> = problems(text)
        .into_iter()
        .map(|p| (p.line, p.key))
        .collect();
    assert_eq!(
        keys,
        vec![
            (Some(3), "accounts[0].host".to_string()),
            (Some(6), "accounts[0].port".to_string()),
            (Some(9), "sync.prefetch_bodies".to_string()),
        ]
    );
}

#[test]
fn ca_file_expands_tilde_and_resolves_relative_to_the_config_dir()
-> Result<(), Box<dyn std::error::Error>> {
    let home = tempfile::tempdir()?;
    let config_dir = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("certs"))?;
    std::fs::write(home.path().join("certs/ca.pem"), "")?;
    std::fs::write(config_dir.path().join("local.pem"), "")?;
    let config_path = config_dir.path().join("config.toml");

    let parse_with = |ca_file: &str| {
        let text = format!("{MINIMAL}ca_file = \"{ca_file}\"\n");
        parse(&text, &config_path, Some(home.path()))
    };
    let tilde = parse_with("~/certs/ca.pem")?;
    assert_eq!(
        tilde.accounts[0].ca_file,
        Some(home.path().join("certs/ca.pem"))
    );
    let relative = parse_with("local.pem")?;
    assert_eq!(
        relative.accounts[0].ca_file,
        Some(config_dir.path().join("local.pem"))
    );

    match parse_with("missing.pem") {
        Err(ConfigError::Invalid { problems, .. }) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].key, "accounts[0].ca_file");
            assert_eq!(problems[0].line, Some(7));
            assert!(problems[0].message.contains("missing.pem"));
        }
        other => unreachable!("expected a missing-file problem, got {other:?}"),
    }
    Ok(())
}

#[test]
fn keymap_path_is_resolved_and_unknown_builtin_rejected() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("mine.toml"), "")?;
    let text = format!("{MINIMAL}\n[ui]\nkeymap = \"mine.toml\"\n");
    let config = parse(&text, &dir.path().join("config.toml"), None)?;
    assert_eq!(
        config.ui.keymap,
        BuiltinOrFile::File(dir.path().join("mine.toml"))
    );

    let text = format!("{MINIMAL}\n[ui]\ntheme = \"solarized\"\n");
    assert_eq!(
        rendered(&text),
        vec![format!(
            "{FILE}:9: ui.theme: unknown theme \"solarized\", expected one of \"default\", \"light\", \"mono\" or a path to a file"
        )]
    );
    Ok(())
}

#[test]
fn idle_refresh_must_stay_under_thirty_minutes() {
    let text = format!("{MINIMAL}idle_refresh_secs = 1800\n");
    let found = problems(&text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, "accounts[0].idle_refresh_secs");
    assert_eq!(found[0].line, Some(7));
}

#[test]
fn load_reports_unreadable_file_with_its_path() {
    let err = load_file(Path::new("/nonexistent/tern/config.toml")).err();
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with("/nonexistent/tern/config.toml: cannot read"),
        "{text}"
    );
}

#[test]
fn a_body_limit_that_is_no_size_is_reported() {
    let text = "[[accounts]]\nname = \"a\"\nhost = \"h\"\nusername = \"u\"\npassword = \"p\"\n\n[cache]\nbody_limit = \"huge\"\n";
    let found = rendered(text);
    assert!(
        found
            .iter()
            .any(|p| p.contains("cache.body_limit") && p.contains("500MB")),
        "{found:?}"
    );
}
