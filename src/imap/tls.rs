//! TLS client configuration: rustls with the ring provider, system roots (webpki roots when
//! the system has none) plus an optional per-account CA file. Verification is only ever off
//! when an account asks for it explicitly.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{CryptoProvider, ring},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
};

use super::error::{ErrorKind, ImapError, Result};

#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    pub ca_file: Option<std::path::PathBuf>,
    /// false only when the user opted out for this account.
    pub verify: bool,
}

pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::new(ErrorKind::Tls, format!("TLS setup failed: {e}")))?;
    let config = if options.verify {
        builder
            .with_root_certificates(root_store(options.ca_file.as_deref())?)
            .with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    };
    Ok(Arc::new(config))
}

fn root_store(ca_file: Option<&Path>) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = ca_file {
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
        for cert in certs {
            roots.add(cert).map_err(|e| {
                ImapError::new(
                    ErrorKind::Tls,
                    format!("bad certificate in {}: {e}", path.display()),
                )
            })?;
        }
    }
    Ok(roots)
}

pub fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_string())
        .map_err(|_| ImapError::new(ErrorKind::Tls, format!("invalid TLS server name {host:?}")))
}

/// Turns a handshake failure into a message a person can act on.
pub fn describe_handshake_error(host: &str, err: &std::io::Error) -> ImapError {
    let detail = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(|tls| match tls {
            rustls::Error::InvalidCertificate(cert) => format!(
                "the server's certificate was rejected ({cert:?}); set ca_file for a private CA"
            ),
            other => other.to_string(),
        })
        .unwrap_or_else(|| err.to_string());
    ImapError::new(
        ErrorKind::Tls,
        format!("TLS handshake with {host} failed: {detail}"),
    )
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
