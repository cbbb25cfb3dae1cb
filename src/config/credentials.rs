//! Fetching passwords and OAuth tokens. Commands run through `sh -c` with stdin closed (so they
//! never read the TUI's keys); the first line of stdout is the secret. Errors quote the command's
//! stderr, never its stdout.

use std::process::Stdio;

use tokio::process::Command;

use super::{AccountConfig, PasswordSource};
use crate::domain::secret::Secret;

/// Longest stderr excerpt kept in an error, so a chatty command stays a one-line message.
const MAX_STDERR_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("account \"{account}\": no password_command or password configured")]
    NoPassword { account: String },
    #[error("account \"{account}\": no oauth_token_command configured")]
    NoOAuthToken { account: String },
    #[error("account \"{account}\": could not run {key}: {source}")]
    Spawn {
        account: String,
        key: &'static str,
        source: std::io::Error,
    },
    #[error("account \"{account}\": {key} {outcome}{}", stderr.as_ref().map(|s| format!(": {s}")).unwrap_or_default())]
    Failed {
        account: String,
        key: &'static str,
        /// e.g. "exited with status 1".
        outcome: String,
        /// First non-empty line of stderr, if any.
        stderr: Option<String>,
    },
    #[error("account \"{account}\": {key} printed nothing on its first line of output")]
    Empty { account: String, key: &'static str },
    #[error("account \"{account}\": {key} printed something that is not UTF-8")]
    NotUtf8 { account: String, key: &'static str },
}

/// The account's password: the literal from the file, or the first line of `password_command`.
pub async fn password(account: &AccountConfig) -> Result<Secret<String>, CredentialError> {
    match &account.password {
        Some(PasswordSource::Literal(secret)) => Ok(secret.clone()),
        Some(PasswordSource::Command(command)) => {
            run_secret_command(&account.name, "password_command", command).await
        }
        None => Err(CredentialError::NoPassword {
            account: account.name.clone(),
        }),
    }
}

/// A fresh XOAUTH2/OAUTHBEARER access token from `oauth_token_command`.
pub async fn oauth_token(account: &AccountConfig) -> Result<Secret<String>, CredentialError> {
    match &account.oauth_token_command {
        Some(command) => run_secret_command(&account.name, "oauth_token_command", command).await,
        None => Err(CredentialError::NoOAuthToken {
            account: account.name.clone(),
        }),
    }
}

async fn run_secret_command(
    account: &str,
    key: &'static str,
    command: &str,
) -> Result<Secret<String>, CredentialError> {
    tracing::debug!(account, key, "running credential command");
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|source| CredentialError::Spawn {
            account: account.to_string(),
            key,
            source,
        })?;

    // Wrapped at once so no error path below can format it.
    let stdout = Secret::new(String::from_utf8(output.stdout).ok());
    let first_line = stdout
        .expose()
        .as_deref()
        .map(|text| text.lines().next().unwrap_or_default());

    if !output.status.success() {
        let outcome = match output.status.code() {
            Some(127) => "exited with status 127 (command not found)".to_string(),
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_string(),
        };
        let stderr = first_stderr_line(&output.stderr, first_line.unwrap_or_default());
        return Err(CredentialError::Failed {
            account: account.to_string(),
            key,
            outcome,
            stderr,
        });
    }
    match first_line {
        None => Err(CredentialError::NotUtf8 {
            account: account.to_string(),
            key,
        }),
        Some("") => Err(CredentialError::Empty {
            account: account.to_string(),
            key,
        }),
        Some(line) => Ok(Secret::new(line.to_string())),
    }
}

/// The first non-empty stderr line, shortened, with the would-be secret masked in case the
/// command echoed it there too.
fn first_stderr_line(stderr: &[u8], secret: &str) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    let mut line: String = line.chars().filter(|c| !c.is_control()).collect();
    if !secret.is_empty() {
        line = line.replace(secret, "<redacted>");
    }
    if line.chars().count() > MAX_STDERR_CHARS {
        line = line.chars().take(MAX_STDERR_CHARS).collect::<String>() + "…";
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::{AuthMethod, Security};

    fn account(password: Option<PasswordSource>, oauth: Option<&str>) -> AccountConfig {
        AccountConfig {
            name: "work".into(),
            host: "imap.example.com".into(),
            port: 993,
            security: Security::Tls,
            username: "me".into(),
            password,
            oauth_token_command: oauth.map(str::to_string),
            ca_file: None,
            tls_verify: true,
            cert_fingerprint: None,
            idle_refresh: Duration::from_secs(540),
            poll_interval: None,
            auth: AuthMethod::Auto,
            filing: crate::config::Filing::default(),
        }
    }

    fn with_command(command: &str) -> AccountConfig {
        account(Some(PasswordSource::Command(command.into())), None)
    }

    #[tokio::test]
    async fn command_password_is_first_line_without_line_ending() -> Result<(), CredentialError> {
        let got = password(&with_command(r"printf 's3cret pass\r\nsecond line\n'")).await?;
        assert_eq!(got.expose(), "s3cret pass");
        Ok(())
    }

    #[tokio::test]
    async fn literal_password_is_returned_as_is() -> Result<(), CredentialError> {
        let literal = PasswordSource::Literal(Secret::new("lit".into()));
        assert_eq!(
            password(&account(Some(literal), None)).await?.expose(),
            "lit"
        );
        Ok(())
    }

    #[tokio::test]
    async fn failing_command_names_account_and_stderr_but_not_stdout() {
        let command = "echo hunter2; echo 'gpg: decryption failed' >&2; exit 2";
        let err = password(&with_command(command))
            .await
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                r#"account "work": password_command exited with status 2: gpg: decryption failed"#
            )
        );
    }

    #[tokio::test]
    async fn secret_echoed_to_stderr_is_masked() {
        let command = "echo hunter2; echo 'bad: hunter2' >&2; exit 1";
        let err = password(&with_command(command))
            .await
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("bad: <redacted>"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[tokio::test]
    async fn missing_command_says_not_found() {
        let err = password(&with_command("tern-no-such-command-xyz"))
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with(
                r#"account "work": password_command exited with status 127 (command not found)"#
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn empty_output_is_an_error() {
        let err = password(&with_command("true")).await.err();
        assert!(
            matches!(err, Some(CredentialError::Empty { .. })),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn oauth_token_comes_from_its_command() -> Result<(), CredentialError> {
        let oauth_only = account(None, Some("echo tok-123"));
        assert_eq!(oauth_token(&oauth_only).await?.expose(), "tok-123");
        let err = password(&oauth_only).await.err();
        assert!(
            matches!(err, Some(CredentialError::NoPassword { .. })),
            "{err:?}"
        );
        Ok(())
    }
}
