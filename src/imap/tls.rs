//! TLS client configuration: rustls with the ring provider, system roots (webpki roots when
//! the system has none) plus an optional per-account CA file. Verification is only ever off
//! when an account asks for it explicitly.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::{
    self, CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore,
    SignatureScheme,
    client::WebPkiServerVerifier,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    client::verify_server_name,
    crypto::{CryptoProvider, ring},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
    server::ParsedCertificate,
};

use super::cert::{self, Fingerprint};
use super::error::{ErrorKind, ImapError, Result};

#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Extra trust anchors; a server certificate found in it verbatim is trusted as a pin.
    pub ca_file: Option<std::path::PathBuf>,
    /// `cert_fingerprint`: only a server certificate with this SHA-256 is accepted.
    pub fingerprint: Option<Fingerprint>,
    /// false only when the user opted out for this account.
    pub verify: bool,
}

pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::new(ErrorKind::Tls, format!("TLS setup failed: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = if options.verify {
        let (roots, pinned) = root_store(options.ca_file.as_deref())?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| ImapError::new(ErrorKind::Tls, format!("TLS setup failed: {e}")))?;
        Arc::new(PinningVerifier {
            webpki,
            pinned,
            fingerprint: options.fingerprint,
        })
    } else {
        Arc::new(NoVerification(provider))
    };
    Ok(Arc::new(
        builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
    ))
}

/// A config that accepts anything: only for asking whether a port speaks TLS at all,
/// never for a session.
pub(crate) fn probe_config() -> Result<Arc<ClientConfig>> {
    client_config(&TlsOptions {
        verify: false,
        ..TlsOptions::default()
    })
}

/// The system roots plus `ca_file`, and the certificates of `ca_file` themselves (pins).
fn root_store(ca_file: Option<&Path>) -> Result<(RootCertStore, Vec<CertificateDer<'static>>)> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let Some(path) = ca_file else {
        return Ok((roots, Vec::new()));
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<std::result::Result<_, _>>())
        .map_err(|e| {
            ImapError::new(
                ErrorKind::Tls,
                format!("cannot read CA file {}: {e}", path.display()),
            )
        })?;
    if certs.is_empty() {
        return Err(ImapError::new(
            ErrorKind::Tls,
            format!("CA file {} holds no certificate", path.display()),
        ));
    }
    for cert in &certs {
        roots.add(cert.clone()).map_err(|e| {
            ImapError::new(
                ErrorKind::Tls,
                format!("bad certificate in {}: {e}", path.display()),
            )
        })?;
    }
    Ok((roots, certs))
}

pub fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_string())
        .map_err(|_| ImapError::new(ErrorKind::Tls, format!("invalid TLS server name {host:?}")))
}

/// Why the pinning verifier refused a certificate that webpki alone would not explain.
#[derive(Debug)]
enum Refusal {
    /// Not signed by a known authority (self-signed, private CA) and not pinned.
    Untrusted(Fingerprint),
    /// `cert_fingerprint` is set and names another certificate.
    NotThePinned(Fingerprint),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Untrusted(seen) => write!(f, "untrusted certificate {seen}"),
            Self::NotThePinned(seen) => write!(f, "certificate {seen} is not the pinned one"),
        }
    }
}

impl std::error::Error for Refusal {}

fn refuse(refusal: Refusal) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(refusal))))
}

/// The usual WebPKI checks, plus pins: a certificate that is verbatim in `ca_file`, or
/// whose SHA-256 is `cert_fingerprint`, is trusted while valid and for the host name
/// (a self-signed `openssl req -x509` certificate is a CA, which WebPKI never accepts as
/// a server's own).
#[derive(Debug)]
struct PinningVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    fingerprint: Option<Fingerprint>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let seen = Fingerprint::of(end_entity);
        // The name first: no pin makes a certificate for another host right.
        verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
        let pinned = match self.fingerprint {
            Some(wanted) if wanted == seen => true,
            Some(_) => return Err(refuse(Refusal::NotThePinned(seen))),
            None => self
                .pinned
                .iter()
                .any(|cert| cert.as_ref() == end_entity.as_ref()),
        };
        if pinned {
            check_validity(end_entity, now)?;
            return Ok(ServerCertVerified::assertion());
        }
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer | CertificateError::Other(_),
            )) => Err(refuse(Refusal::Untrusted(seen))),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A pin skips the chain, not the dates.
fn check_validity(der: &[u8], now: UnixTime) -> std::result::Result<(), rustls::Error> {
    let validity = cert::validity(der).ok_or(CertificateError::BadEncoding)?;
    let unix =
        |secs: i64| UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs.max(0) as u64));
    let time = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if time > validity.not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: unix(validity.not_after),
        }
        .into());
    }
    if time < validity.not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: unix(validity.not_before),
        }
        .into());
    }
    Ok(())
}

/// Turns a handshake failure into one sentence a person can act on.
pub fn describe_handshake_error(host: &str, port: u16, err: &std::io::Error) -> ImapError {
    let message = match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(cert)) => describe_certificate(host, cert),
        Some(rustls::Error::InvalidMessage(_)) => format!(
            "{host}:{port} answers in plain text, not TLS: set security = \"starttls\" \
             (or use the server's TLS port, usually 993)"
        ),
        Some(other) => format!("TLS handshake with {host} failed: {other}"),
        None => format!("TLS handshake with {host} failed: {err}"),
    };
    ImapError::new(ErrorKind::Tls, message)
}

fn describe_certificate(host: &str, err: &CertificateError) -> String {
    let date = |time: &UnixTime| {
        i64::try_from(time.as_secs())
            .ok()
            .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
            .map_or_else(|| "?".to_string(), |d| d.format("%Y-%m-%d").to_string())
    };
    match err {
        CertificateError::Other(OtherError(inner)) => match inner.downcast_ref::<Refusal>() {
            Some(Refusal::Untrusted(seen)) => format!(
                "{host}'s certificate is not signed by an authority tern trusts (self-signed or \
                 a private CA); if it is your server's (compare the fingerprint on the server), \
                 add this line to the account: cert_fingerprint = \"{seen}\""
            ),
            Some(Refusal::NotThePinned(seen)) => format!(
                "{host}'s certificate is not the one cert_fingerprint names; if the server's \
                 certificate was replaced on purpose, set cert_fingerprint = \"{seen}\""
            ),
            None => format!("{host}'s certificate was refused: {inner}"),
        },
        CertificateError::NotValidForNameContext { presented, .. } => {
            let names = if presented.is_empty() {
                "no host name".to_string()
            } else {
                presented
                    .iter()
                    .map(|name| bare_name(name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "{host}'s certificate is for {names}, not {host}: set host to a name the \
                 certificate covers (or give the server a certificate for {host})"
            )
        }
        CertificateError::NotValidForName => format!(
            "{host}'s certificate is not for {host}: set host to a name the certificate covers"
        ),
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "{host}'s certificate expired on {}: renew it on the server (or check this \
             computer's clock)",
            date(not_after)
        ),
        CertificateError::Expired => format!(
            "{host}'s certificate has expired: renew it on the server (or check this computer's \
             clock)"
        ),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "{host}'s certificate is not valid before {}: check this computer's clock",
            date(not_before)
        ),
        CertificateError::NotValidYet => {
            format!("{host}'s certificate is not valid yet: check this computer's clock")
        }
        other => format!("{host}'s certificate was refused: {other}"),
    }
}

/// webpki presents names as `DnsName("mail.example.org")` or `IpAddress(..)`: the name alone.
fn bare_name(presented: &str) -> &str {
    match (presented.find('('), presented.rfind(')')) {
        (Some(open), Some(close)) if open < close => presented[open + 1..close].trim_matches('"'),
        _ => presented,
    }
}

/// Accepts any certificate: only reachable through an explicit per-account opt-out.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names_lose_their_debug_wrapping() {
        assert_eq!(
            bare_name("DnsName(\"mail.example.org\")"),
            "mail.example.org"
        );
        assert_eq!(bare_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(bare_name("plain"), "plain");
    }

    #[test]
    fn an_untrusted_certificate_error_carries_the_line_to_add() {
        let seen = Fingerprint::of(b"leaf");
        let err = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            refuse(Refusal::Untrusted(seen)),
        );
        let message = describe_handshake_error("mail.example.org", 993, &err).message;
        assert!(
            message.ends_with(&format!("cert_fingerprint = \"{seen}\"")),
            "{message}"
        );
    }
}
