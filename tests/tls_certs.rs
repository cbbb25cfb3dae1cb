//! Certificates as people make them, against a real Dovecot, through `tern folders` as a user
//! runs it: pins through `ca_file` and `cert_fingerprint`, the first-connection hint, and one
//! clear sentence for each way a TLS setup goes wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::process::{Command, Output};

use support::certs::{Certs, LOCAL_NAMES, ServerCert};
use support::{DovecotOptions, TestDovecot};

struct Account<'a> {
    server: &'a TestDovecot,
    dir: tempfile::TempDir,
}

impl<'a> Account<'a> {
    fn new(server: &'a TestDovecot) -> Self {
        Self {
            server,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `tern folders` with an account on `port` plus the given extra lines.
    fn folders(&self, port: u16, security: &str, extra: &str) -> Output {
        let config = self.dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[[accounts]]\nname = \"home\"\nhost = \"127.0.0.1\"\nport = {port}\n\
                 security = \"{security}\"\nusername = \"{}\"\npassword = \"{}\"\n{extra}\n",
                self.server.user(),
                self.server.password()
            ),
        )
        .unwrap();
        // Private, as a config holding a password should be: else tern warns about it.
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        std::fs::set_permissions(&config, private).unwrap();
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .arg("--config")
            .arg(&config)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(["folders", "--json"])
            .env_remove("TERN_LOG")
            .output()
            .unwrap()
    }

    fn tls(&self, extra: &str) -> Output {
        self.folders(self.server.imaps_port(), "tls", extra)
    }
}

fn serve(cert: &ServerCert) -> TestDovecot {
    TestDovecot::start_with(DovecotOptions::default().server_cert(&cert.cert, &cert.key))
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let folders: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(folders[0]["name"], "INBOX");
}

/// Exit 1 and exactly one line on stderr, which is returned.
fn refused(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(!stderr.contains("Context"), "no debug text: {stderr}");
    eprintln!("refused: {stderr}");
    stderr
}

fn ca_file(path: &std::path::Path) -> String {
    format!("ca_file = \"{}\"", path.display())
}

#[test]
fn a_self_signed_certificate_is_pinned_by_ca_file_or_fingerprint_and_never_trusted_silently() {
    let certs = Certs::new();
    let cert = certs.self_signed("home", LOCAL_NAMES);
    let server = serve(&cert);
    let account = Account::new(&server);
    let fingerprint = cert.fingerprint();

    // The certificate itself as ca_file: trusted as a pin, over TLS and STARTTLS.
    ok(&account.tls(&ca_file(&cert.cert)));
    ok(&account.folders(server.imap_port(), "starttls", &ca_file(&cert.cert)));

    // Its fingerprint, as openssl prints it, or bare hex in lower case.
    ok(&account.tls(&format!("cert_fingerprint = \"{fingerprint}\"")));
    let bare = fingerprint["sha256:".len()..]
        .replace(':', "")
        .to_lowercase();
    ok(&account.tls(&format!("cert_fingerprint = \"{bare}\"")));

    // First contact: refused, with the fingerprint and the exact line to add.
    let first = refused(&account.tls(""));
    assert!(first.contains("not signed by an authority"), "{first}");
    assert!(
        first.contains(&format!("cert_fingerprint = \"{fingerprint}\"")),
        "{first}"
    );
    // The hint is right: pasting that line works (as checked above with the same value).

    // Another certificate's fingerprint: refused, naming the one the server showed.
    let other = certs.self_signed("other", LOCAL_NAMES).fingerprint();
    let wrong = refused(&account.tls(&format!("cert_fingerprint = \"{other}\"")));
    assert!(
        wrong.contains("not the one cert_fingerprint names"),
        "{wrong}"
    );
    assert!(wrong.contains(&fingerprint), "{wrong}");

    // Another self-signed certificate as ca_file pins nothing.
    let unrelated = certs.self_signed("unrelated", LOCAL_NAMES);
    let not_pinned = refused(&account.tls(&ca_file(&unrelated.cert)));
    assert!(not_pinned.contains(&fingerprint), "{not_pinned}");
}

#[test]
fn a_pinned_certificate_for_another_host_is_refused_with_the_names_it_covers() {
    let certs = Certs::new();
    let cert = certs.self_signed("elsewhere", "DNS:mail.example.org");
    let server = serve(&cert);
    let account = Account::new(&server);
    for pin in [
        format!("cert_fingerprint = \"{}\"", cert.fingerprint()),
        ca_file(&cert.cert),
    ] {
        let err = refused(&account.tls(&pin));
        assert!(
            err.contains("certificate is for mail.example.org, not 127.0.0.1"),
            "{err}"
        );
        assert!(err.contains("set host"), "{err}");
    }
}

#[test]
fn a_ca_signed_certificate_is_trusted_through_its_ca() {
    let certs = Certs::new();
    let cert = certs.ca_signed("signed", LOCAL_NAMES);
    let server = serve(&cert);
    let account = Account::new(&server);
    ok(&account.tls(&ca_file(cert.ca.as_deref().unwrap())));
    // Without the CA it is unknown: the first-connection hint, never silent trust.
    let err = refused(&account.tls(""));
    assert!(err.contains(&cert.fingerprint()), "{err}");
}

#[test]
fn expired_certificates_are_refused_with_the_date_whether_signed_or_pinned() {
    let certs = Certs::new();
    let signed = certs.expired_ca_signed("old-signed", LOCAL_NAMES);
    let server = serve(&signed);
    let err = refused(&Account::new(&server).tls(&ca_file(signed.ca.as_deref().unwrap())));
    assert!(err.contains("certificate expired on 2021-01-01"), "{err}");
    assert!(err.contains("renew it"), "{err}");
    drop(server);

    let pinned = certs.expired_self_signed("old-pinned", LOCAL_NAMES);
    let server = serve(&pinned);
    let err = refused(
        &Account::new(&server).tls(&format!("cert_fingerprint = \"{}\"", pinned.fingerprint())),
    );
    assert!(err.contains("certificate expired on 2021-01-01"), "{err}");
}

#[test]
fn the_wrong_security_for_a_port_is_named_with_the_fix() {
    let server = TestDovecot::start();
    let account = Account::new(&server);
    let pin = ca_file(&server.ca_pem_path());

    // TLS on the plain port: the server greets in clear text.
    let err = refused(&account.folders(server.imap_port(), "tls", &pin));
    assert!(err.contains("answers in plain text, not TLS"), "{err}");
    assert!(err.contains("security = \"starttls\""), "{err}");

    // Plain or STARTTLS on the TLS port: no greeting ever comes; said, not waited out.
    for security in ["plain", "starttls"] {
        let err = refused(&account.folders(server.imaps_port(), security, &pin));
        assert!(err.contains("speaks TLS from the first byte"), "{err}");
        assert!(err.contains("set security = \"tls\""), "{err}");
    }
}

#[test]
fn a_malformed_cert_fingerprint_is_a_config_error_with_the_expected_form() {
    let server = TestDovecot::start();
    let account = Account::new(&server);
    let output = account.tls("cert_fingerprint = \"sha256:AB:CD\"");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cert_fingerprint"), "{stderr}");
    assert!(stderr.contains("64 hex digits"), "{stderr}");
}
