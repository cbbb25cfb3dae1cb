//! Credentials and SASL payloads. Secrets stay wrapped until the bytes are built.

use crate::domain::secret::Secret;

#[derive(Debug, Clone)]
pub enum Credentials {
    Password {
        username: String,
        password: Secret<String>,
    },
    OAuth2 {
        username: String,
        token: Secret<String>,
    },
}

impl Credentials {
    pub fn username(&self) -> &str {
        match self {
            Self::Password { username, .. } | Self::OAuth2 { username, .. } => username,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// The best the server offers for the credentials at hand.
    #[default]
    Auto,
    Login,
    Plain,
    XOAuth2,
    OAuthBearer,
}

/// RFC 4616: `authzid NUL authcid NUL password`.
pub fn plain_payload(username: &str, password: &Secret<String>) -> Secret<Vec<u8>> {
    let mut bytes = Vec::with_capacity(username.len() + password.expose().len() + 2);
    bytes.push(0);
    bytes.extend_from_slice(username.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(password.expose().as_bytes());
    Secret::new(bytes)
}

/// Google's XOAUTH2 initial response.
pub fn xoauth2_payload(username: &str, token: &Secret<String>) -> Secret<Vec<u8>> {
    Secret::new(format!("user={username}\x01auth=Bearer {}\x01\x01", token.expose()).into_bytes())
}

/// RFC 7628 OAUTHBEARER initial response.
pub fn oauthbearer_payload(
    username: &str,
    host: &str,
    port: u16,
    token: &Secret<String>,
) -> Secret<Vec<u8>> {
    Secret::new(
        format!(
            "n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {}\x01\x01",
            username.replace('=', "=3D").replace(',', "=2C"),
            token.expose()
        )
        .into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_have_the_rfc_shape() {
        let pw = Secret::new("pw".to_string());
        assert_eq!(plain_payload("al", &pw).expose(), b"\0al\0pw");
        assert_eq!(
            xoauth2_payload("al", &pw).expose(),
            b"user=al\x01auth=Bearer pw\x01\x01"
        );
        assert_eq!(
            oauthbearer_payload("a,b", "h", 993, &pw).expose(),
            b"n,a=a=2Cb,\x01host=h\x01port=993\x01auth=Bearer pw\x01\x01"
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let creds = Credentials::Password {
            username: "al".into(),
            password: Secret::new("hunter2".into()),
        };
        assert!(!format!("{creds:?}").contains("hunter2"));
    }
}
