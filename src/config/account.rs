//! One `[[accounts]]` table -> `AccountConfig`, reporting every problem in it.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::DeValue;

use super::load::Context;
use super::reader::{Field, Problems, TableReader};
use super::{
    AccountConfig, AuthMethod, DEFAULT_IDLE_REFRESH, DEFAULT_POLL_INTERVAL, Filing, PasswordSource,
    Security,
};
use crate::domain::secret::Secret;
use crate::imap::cert::Fingerprint;

const KEYS: &[&str] = &[
    "name",
    "host",
    "port",
    "security",
    "username",
    "password_command",
    "password",
    "oauth_token_command",
    "ca_file",
    "tls_verify",
    "cert_fingerprint",
    "idle_refresh_secs",
    "poll_interval_secs",
    "auth",
    "trash",
    "archive",
    "junk",
    "delete",
];

const DELETE: &[(&str, bool)] = &[("trash", false), ("expunge", true)];

const SECURITY: &[(&str, Security)] = &[
    ("tls", Security::Tls),
    ("starttls", Security::StartTls),
    ("plain", Security::Plain),
];

const AUTH: &[(&str, AuthMethod)] = &[
    ("auto", AuthMethod::Auto),
    ("login", AuthMethod::Login),
    ("plain", AuthMethod::Plain),
    ("xoauth2", AuthMethod::XOAuth2),
    ("oauthbearer", AuthMethod::OAuthBearer),
];

/// RFC 2177: servers may drop an idle client after 30 minutes, so re-IDLE before 29.
const MAX_IDLE_REFRESH_SECS: i64 = 29 * 60;

pub(super) fn read_account(
    item: &Spanned<DeValue<'_>>,
    index: usize,
    ctx: &Context<'_>,
    problems: &mut Problems,
) -> Option<AccountConfig> {
    let path = format!("accounts[{index}]");
    let DeValue::Table(table) = item.get_ref() else {
        problems.at(&item.span(), &path, "expected a table ([[accounts]])");
        return None;
    };
    let mut r = TableReader::new(table, path, item.span(), KEYS);

    let name = r.text("name", problems);
    let name = r.require(name, "name", problems);
    let host = r.text("host", problems);
    let host = r.require(host, "host", problems);
    let username = r.text("username", problems);
    let username = r.require(username, "username", problems);
    let security = r
        .choice("security", SECURITY, problems)
        .map_or(Security::Tls, |f| f.value);
    let port = match r.integer_in("port", 1..=65535, "must be between 1 and 65535", problems) {
        Some(field) => u16::try_from(field.value).ok(),
        None if r.table_has("port") => None,
        None => Some(security.default_port()),
    };
    let credentials = read_credentials(&mut r, problems);
    let auth = r.choice("auth", AUTH, problems);
    let auth = check_auth(&r, auth, credentials.as_ref(), problems);
    let ca_file = match r.text("ca_file", problems) {
        Some(field) => ctx
            .existing_file(&field, &r.key_path("ca_file"), problems)
            .map(Some),
        None => Some(None),
    };
    let tls_verify = r.boolean("tls_verify", problems).is_none_or(|f| f.value);
    let cert_fingerprint = read_fingerprint(&mut r, problems);
    if !tls_verify
        && let Some(Some(_)) = cert_fingerprint
        && let Some(field) = r.value("cert_fingerprint")
    {
        // A pin that is never checked would only look like protection.
        problems.at(
            &field.span,
            &r.key_path("cert_fingerprint"),
            "has no effect with tls_verify = false; remove one of them",
        );
    }
    let idle_refresh = read_idle_refresh(&mut r, problems);
    let poll_interval = read_poll_interval(&mut r, problems);
    let filing = Filing {
        trash: r.text("trash", problems).map(|f| f.value.to_string()),
        archive: r.text("archive", problems).map(|f| f.value.to_string()),
        junk: r.text("junk", problems).map(|f| f.value.to_string()),
        delete_expunges: r
            .choice("delete", DELETE, problems)
            .is_some_and(|f| f.value),
    };
    r.finish(problems);

    let (
        Some(name),
        Some(host),
        Some(username),
        Some(port),
        Some(credentials),
        Some(auth),
        Some(ca_file),
        Some(cert_fingerprint),
        Some(idle_refresh),
        Some(poll_interval),
    ) = (
        name,
        host,
        username,
        port,
        credentials,
        auth,
        ca_file,
        cert_fingerprint,
        idle_refresh,
        poll_interval,
    )
    else {
        return None;
    };
    Some(AccountConfig {
        name: name.value.to_string(),
        host: host.value.to_string(),
        port,
        security,
        username: username.value.to_string(),
        password: credentials.password,
        oauth_token_command: credentials.oauth_token_command,
        ca_file,
        tls_verify,
        cert_fingerprint,
        idle_refresh,
        poll_interval,
        auth,
        filing,
    })
}

struct Credentials {
    password: Option<PasswordSource>,
    oauth_token_command: Option<String>,
}

/// Exactly one of password_command, password or oauth_token_command.
fn read_credentials(r: &mut TableReader<'_, '_>, problems: &mut Problems) -> Option<Credentials> {
    let command = r.text("password_command", problems);
    let literal = r.text("password", problems);
    let oauth = r.text("oauth_token_command", problems);

    let mut present: Vec<(&str, Range<usize>)> = Vec::new();
    for key in ["password_command", "password", "oauth_token_command"] {
        if let Some(field) = r.value(key) {
            present.push((key, field.span));
        }
    }
    match present.as_slice() {
        [] => {
            problems.at(
                &r.span(),
                &r.key_path("password_command"),
                "missing: set one of password_command, password or oauth_token_command",
            );
            None
        }
        [_] => {
            let password = match (command, literal) {
                (Some(c), _) => Some(PasswordSource::Command(c.value.to_string())),
                (_, Some(l)) => Some(PasswordSource::Literal(Secret::new(l.value.to_string()))),
                _ => None,
            };
            let oauth_token_command = oauth.map(|f| f.value.to_string());
            // A present-but-invalid value was already reported by text().
            (password.is_some() || oauth_token_command.is_some()).then_some(Credentials {
                password,
                oauth_token_command,
            })
        }
        [(first, _), rest @ ..] => {
            for (key, span) in rest {
                let message = format!(
                    "{first} is also set; use exactly one of password_command, password or oauth_token_command"
                );
                problems.at(span, &r.key_path(key), message);
            }
            None
        }
    }
}

fn check_auth(
    r: &TableReader<'_, '_>,
    auth: Option<Field<AuthMethod>>,
    credentials: Option<&Credentials>,
    problems: &mut Problems,
) -> Option<AuthMethod> {
    let Some(field) = auth else {
        // Written but invalid was already reported; absent means auto.
        return (!r.table_has("auth")).then_some(AuthMethod::Auto);
    };
    let Some(credentials) = credentials else {
        return Some(field.value);
    };
    let wants_token = field.value.needs_oauth_token();
    let has_token = credentials.oauth_token_command.is_some();
    match (field.value, wants_token, has_token) {
        (AuthMethod::Auto, _, _) => Some(field.value),
        (_, true, false) => {
            problems.at(
                &field.span,
                &r.key_path("auth"),
                "needs oauth_token_command",
            );
            None
        }
        (_, false, true) => {
            problems.at(
                &field.span,
                &r.key_path("auth"),
                "needs password_command or password, not oauth_token_command",
            );
            None
        }
        _ => Some(field.value),
    }
}

/// `Some(None)` when absent, `None` when written wrong (reported).
fn read_fingerprint(
    r: &mut TableReader<'_, '_>,
    problems: &mut Problems,
) -> Option<Option<Fingerprint>> {
    let Some(field) = r.text("cert_fingerprint", problems) else {
        return (!r.table_has("cert_fingerprint")).then_some(None);
    };
    match Fingerprint::parse(field.value) {
        Some(fingerprint) => Some(Some(fingerprint)),
        None => {
            problems.at(
                &field.span,
                &r.key_path("cert_fingerprint"),
                "must be \"sha256:\" and 64 hex digits (colons optional), as tern prints it \
                 or `openssl x509 -noout -fingerprint -sha256` does",
            );
            None
        }
    }
}

fn read_idle_refresh(r: &mut TableReader<'_, '_>, problems: &mut Problems) -> Option<Duration> {
    let hint = format!(
        "must be between 1 and {MAX_IDLE_REFRESH_SECS} seconds (servers may drop IDLE after 30 minutes)"
    );
    match r.integer_in(
        "idle_refresh_secs",
        1..=MAX_IDLE_REFRESH_SECS,
        &hint,
        problems,
    ) {
        Some(field) => u64::try_from(field.value).ok().map(Duration::from_secs),
        None if r.table_has("idle_refresh_secs") => None,
        None => Some(DEFAULT_IDLE_REFRESH),
    }
}

/// `Some(None)` for 0 (off); `None` when the value is wrong (reported).
fn read_poll_interval(
    r: &mut TableReader<'_, '_>,
    problems: &mut Problems,
) -> Option<Option<Duration>> {
    match r.integer_in(
        "poll_interval_secs",
        0..=MAX_IDLE_REFRESH_SECS,
        &format!("must be 0 (off) or up to {MAX_IDLE_REFRESH_SECS} seconds"),
        problems,
    ) {
        Some(field) => u64::try_from(field.value)
            .ok()
            .map(|secs| (secs > 0).then(|| Duration::from_secs(secs))),
        None if r.table_has("poll_interval_secs") => None,
        None => Some(Some(DEFAULT_POLL_INTERVAL)),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    const ACCOUNT: &str = "[[accounts]]\nname = \"a\"\nhost = \"h\"\nusername = \"u\"\n\
                           password = \"p\"\n";

    #[test]
    fn poll_interval_defaults_to_a_second_and_0_turns_it_off() {
        let parse = |extra: &str| Config::parse(&format!("{ACCOUNT}{extra}"), Path::new("/c"));
        let default = parse("").unwrap();
        assert_eq!(
            default.accounts[0].poll_interval,
            Some(std::time::Duration::from_secs(1))
        );
        let off = parse("poll_interval_secs = 0\n").unwrap();
        assert_eq!(off.accounts[0].poll_interval, None);
        let five = parse("poll_interval_secs = 5\n").unwrap();
        assert_eq!(
            five.accounts[0].poll_interval,
            Some(std::time::Duration::from_secs(5))
        );
        assert!(parse("poll_interval_secs = -1\n").is_err());
    }

    #[test]
    fn cert_fingerprint_is_read_and_checked() {
        let fp = format!("sha256:{}", ["0A"; 32].join(":"));
        let text = format!("{ACCOUNT}cert_fingerprint = \"{fp}\"\n");
        let config = Config::parse(&text, Path::new("/c/config.toml")).unwrap();
        assert_eq!(
            config.accounts[0].cert_fingerprint.map(|f| f.to_string()),
            Some(fp.clone())
        );

        let bad = Config::parse(
            &format!("{ACCOUNT}cert_fingerprint = \"sha256:0A\"\n"),
            Path::new("/c/config.toml"),
        )
        .unwrap_err();
        assert!(bad.to_string().contains("64 hex digits"), "{bad}");

        let unchecked = Config::parse(
            &format!("{text}tls_verify = false\n"),
            Path::new("/c/config.toml"),
        )
        .unwrap_err();
        assert!(unchecked.to_string().contains("no effect"), "{unchecked}");
    }
}
