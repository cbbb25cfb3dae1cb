//! Server certificates made the ways people make them, for `DovecotOptions::server_cert`:
//! signed by a private CA, self-signed with plain `openssl req -x509` (CA:TRUE, as openssl
//! does by default), expired, or for another host.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// A PEM certificate, its key and, when a CA signed it, that CA's certificate.
#[derive(Debug, Clone)]
pub struct ServerCert {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: Option<PathBuf>,
}

impl ServerCert {
    /// `sha256:AB:CD:...` as openssl computes it (independently of tern).
    pub fn fingerprint(&self) -> String {
        let out = openssl_output(
            self.cert.parent().unwrap(),
            &[
                "x509",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-in",
                self.cert.to_str().unwrap(),
            ],
        );
        // "sha256 Fingerprint=AB:CD:..." (the label's case differs between versions)
        let hex = out.trim().rsplit('=').next().unwrap().to_string();
        format!("sha256:{hex}")
    }
}

/// Where the certificates live; keep it alive while Dovecot runs.
pub struct Certs {
    dir: TempDir,
}

/// The names a certificate for the test Dovecot must carry.
pub const LOCAL_NAMES: &str = "DNS:localhost,IP:127.0.0.1";

impl Certs {
    pub fn new() -> Self {
        Certs {
            dir: tempfile::Builder::new()
                .prefix("tern-certs-")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The common way: `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=... -addext
    /// subjectAltName=...`, which marks it CA:TRUE.
    pub fn self_signed(&self, name: &str, alt_names: &str) -> ServerCert {
        let (cert, key) = self.paths(name);
        openssl(
            self.dir(),
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "365",
                "-subj",
                "/CN=localhost",
                "-addext",
                &format!("subjectAltName={alt_names}"),
                "-keyout",
                key.to_str().unwrap(),
                "-out",
                cert.to_str().unwrap(),
            ],
        );
        ServerCert {
            cert,
            key,
            ca: None,
        }
    }

    /// A private CA and a leaf (CA:FALSE, serverAuth) it signs.
    pub fn ca_signed(&self, name: &str, alt_names: &str) -> ServerCert {
        let ca = self.ca(name);
        let csr = self.csr(name, alt_names);
        let (cert, key) = self.paths(name);
        let ext = self.dir().join(format!("{name}.ext"));
        std::fs::write(
            &ext,
            format!(
                "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, \
                 keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectAltName = {alt_names}\n"
            ),
        )
        .unwrap();
        openssl(
            self.dir(),
            &[
                "x509",
                "-req",
                "-in",
                csr.to_str().unwrap(),
                "-CA",
                ca.0.to_str().unwrap(),
                "-CAkey",
                ca.1.to_str().unwrap(),
                "-set_serial",
                "7",
                "-days",
                "365",
                "-extfile",
                ext.to_str().unwrap(),
                "-out",
                cert.to_str().unwrap(),
            ],
        );
        assert!(key.exists());
        ServerCert {
            cert,
            key,
            ca: Some(ca.0),
        }
    }

    /// Self-signed, valid only during 2020.
    pub fn expired_self_signed(&self, name: &str, alt_names: &str) -> ServerCert {
        let csr = self.csr(name, alt_names);
        let (cert, key) = self.paths(name);
        self.sign_with_ca_command(
            &csr,
            &cert,
            &["-selfsign", "-keyfile", key.to_str().unwrap()],
        );
        ServerCert {
            cert,
            key,
            ca: None,
        }
    }

    /// Signed by a private CA, valid only during 2020.
    pub fn expired_ca_signed(&self, name: &str, alt_names: &str) -> ServerCert {
        let ca = self.ca(name);
        let csr = self.csr(name, alt_names);
        let (cert, key) = self.paths(name);
        self.sign_with_ca_command(
            &csr,
            &cert,
            &[
                "-cert",
                ca.0.to_str().unwrap(),
                "-keyfile",
                ca.1.to_str().unwrap(),
            ],
        );
        ServerCert {
            cert,
            key,
            ca: Some(ca.0),
        }
    }

    fn paths(&self, name: &str) -> (PathBuf, PathBuf) {
        (
            self.dir().join(format!("{name}.pem")),
            self.dir().join(format!("{name}.key")),
        )
    }

    /// A fresh CA for `name` (cert, key).
    fn ca(&self, name: &str) -> (PathBuf, PathBuf) {
        let cert = self.dir().join(format!("{name}-ca.pem"));
        let key = self.dir().join(format!("{name}-ca.key"));
        openssl(
            self.dir(),
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "3650",
                "-subj",
                &format!("/CN={name} test CA"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                key.to_str().unwrap(),
                "-out",
                cert.to_str().unwrap(),
            ],
        );
        (cert, key)
    }

    /// A key and a signing request carrying `alt_names` (the key lands at `paths(name).1`).
    fn csr(&self, name: &str, alt_names: &str) -> PathBuf {
        let csr = self.dir().join(format!("{name}.csr"));
        let key = self.paths(name).1;
        openssl(
            self.dir(),
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-addext",
                &format!("subjectAltName={alt_names}"),
                "-keyout",
                key.to_str().unwrap(),
                "-out",
                csr.to_str().unwrap(),
            ],
        );
        csr
    }

    /// `openssl ca`, the one openssl command that takes explicit past dates.
    fn sign_with_ca_command(&self, csr: &Path, cert: &Path, signer: &[&str]) {
        let conf = self.dir().join("ca.cnf");
        std::fs::write(
            &conf,
            "[ca]\ndefault_ca = tern\n[tern]\ndatabase = index.txt\nnew_certs_dir = .\n\
             rand_serial = yes\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\n\
             unique_subject = no\n[any]\ncommonName = supplied\n",
        )
        .unwrap();
        let index = self.dir().join("index.txt");
        if !index.exists() {
            std::fs::write(&index, "").unwrap();
        }
        let mut args = vec![
            "ca",
            "-config",
            conf.to_str().unwrap(),
            "-batch",
            "-notext",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
            "-in",
            csr.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ];
        args.extend_from_slice(signer);
        openssl(self.dir(), &args);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    openssl_output(dir, args);
}

fn openssl_output(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run openssl (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}
