//! From a configured account to a logged-in IMAP client: credentials, TLS options, auth.

use std::fmt;

use crate::config::{self, AccountConfig};
use crate::imap::{
    ConnectOptions, ErrorKind, ImapClient, ImapError, Security, auth::AuthMethod,
    auth::Credentials, tls::TlsOptions,
};

/// Connecting failed before or during the IMAP session.
#[derive(Debug)]
pub enum ConnectError {
    Credentials(config::CredentialError),
    Imap(ImapError),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Credentials(e) => write!(f, "{e}"),
            Self::Imap(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ConnectError {}

impl ConnectError {
    /// Whether trying again later (network back) may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Imap(e) if e.kind.is_transient())
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Credentials(_) => ErrorKind::Auth,
            Self::Imap(e) => e.kind,
        }
    }
}

pub fn connect_options(account: &AccountConfig) -> ConnectOptions {
    let security = match account.security {
        config::Security::Tls => Security::Tls,
        config::Security::StartTls => Security::StartTls,
        config::Security::Plain => Security::Plain,
    };
    let mut options = ConnectOptions::new(account.host.clone(), account.port, security);
    options.tls = TlsOptions {
        ca_file: account.ca_file.clone(),
        fingerprint: account.cert_fingerprint,
        verify: account.tls_verify,
    };
    // Deflate only pays where the link is slower than the CPU; on loopback it made the
    // first sync of 100k messages 0.7 s slower (benches/sync.rs).
    options.compress = !config::is_loopback(&account.host);
    options
}

pub async fn credentials(account: &AccountConfig) -> Result<Credentials, ConnectError> {
    let oauth = account.auth.needs_oauth_token()
        || (account.password.is_none() && account.oauth_token_command.is_some());
    if oauth {
        let token = config::oauth_token(account)
            .await
            .map_err(ConnectError::Credentials)?;
        Ok(Credentials::OAuth2 {
            username: account.username.clone(),
            token,
        })
    } else {
        let password = config::password(account)
            .await
            .map_err(ConnectError::Credentials)?;
        Ok(Credentials::Password {
            username: account.username.clone(),
            password,
        })
    }
}

pub fn auth_method(account: &AccountConfig) -> AuthMethod {
    match account.auth {
        config::AuthMethod::Auto => AuthMethod::Auto,
        config::AuthMethod::Login => AuthMethod::Login,
        config::AuthMethod::Plain => AuthMethod::Plain,
        config::AuthMethod::XOAuth2 => AuthMethod::XOAuth2,
        config::AuthMethod::OAuthBearer => AuthMethod::OAuthBearer,
    }
}

/// Connects, authenticates and enables what the server offers.
pub async fn connect(account: &AccountConfig) -> Result<ImapClient, ConnectError> {
    let credentials = credentials(account).await?;
    ImapClient::login(
        &connect_options(account),
        &credentials,
        auth_method(account),
    )
    .await
    .map_err(ConnectError::Imap)
}
