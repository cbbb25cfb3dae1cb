//! XOAUTH2 and OAUTHBEARER against a real Dovecot 2.3, tokens from `oauth_token_command`.
//!
//! Dovecot validates the bearer tokens itself: an `oauth2` passdb in `introspection_mode =
//! local` checks HS256-signed JWTs against a key it reads from an `fs` dict, so no token
//! endpoint is involved. The dict key is `<prefix>/<azp or "default">/<alg>/<kid or
//! "default">` and holds the HMAC key base64-encoded; the JWT needs `sub` (our
//! `username_attribute`, compared with the SASL user) and `exp`, and must not carry an
//! `iat`/`nbf` in the future.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{DovecotOptions, TestDovecot};
use tern::config::Config;
use tern::connect::{ConnectError, connect};
use tern::domain::secret::Secret;
use tern::imap::auth::{AuthMethod, Credentials};
use tern::imap::{ConnectOptions, ErrorKind, ImapClient, ImapError, Security, discard};

/// Both OAuth mechanisms (plus the harness's password ones).
const BOTH: &str = "plain login xoauth2 oauthbearer";

/// A Dovecot whose `oauth2` passdb accepts JWTs signed with `key`.
struct OAuthDovecot {
    // Declared first so it is dropped (stopped) before the key files go away.
    server: TestDovecot,
    key: Vec<u8>,
    files: tempfile::TempDir,
}

impl OAuthDovecot {
    fn start(mechanisms: &str) -> Self {
        Self::start_with(mechanisms, DovecotOptions::default())
    }

    fn start_with(mechanisms: &str, options: DovecotOptions) -> Self {
        let files = tempfile::Builder::new()
            .prefix("tern-oauth-")
            .tempdir()
            .expect("create temp dir");
        let root = files.path();
        // Dovecot's auth process may run as an unprivileged user: let it read the files.
        set_mode(root, 0o755);
        let key = random_bytes(32);
        let key_dir = root.join("keys/default/HS256");
        std::fs::create_dir_all(&key_dir).expect("create key dir");
        set_mode(&root.join("keys"), 0o755);
        set_mode(&root.join("keys/default"), 0o755);
        set_mode(&key_dir, 0o755);
        // No kid in our JWT header, so the key id is "default".
        std::fs::write(key_dir.join("default"), base64(&key, STANDARD, true)).expect("write key");
        let args = root.join("dovecot-oauth2.conf.ext");
        std::fs::write(
            &args,
            format!(
                "introspection_mode = local\n\
                 local_validation_key_dict = fs:posix:prefix={}/keys/\n\
                 username_attribute = sub\n",
                root.display()
            ),
        )
        .expect("write oauth2 args");
        // auth_verbose logs why a token was refused. The anvil-auth-penalty socket is made
        // unusable because Dovecot 2.3 otherwise delays every login from 127.0.0.1 by up to
        // 15 s after a few rejected tokens (login_trusted_networks no longer exempts it).
        // The harness's passwd-file passdb comes first; for these mechanisms it answers
        // "password mismatch" and Dovecot moves on to the oauth2 passdb.
        let server = TestDovecot::start_with(options.extra_config(&format!(
            "auth_mechanisms = {mechanisms}\n\
             auth_verbose = yes\n\
             service anvil {{\n  unix_listener anvil-auth-penalty {{\n    mode = 0\n  }}\n}}\n\
             passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  \
             args = {}\n}}",
            args.display()
        )));
        OAuthDovecot { server, key, files }
    }

    fn user(&self) -> &str {
        self.server.user()
    }

    /// A token for the first user, valid for an hour.
    fn token(&self) -> String {
        self.token_for(self.user())
    }

    fn token_for(&self, sub: &str) -> String {
        let now = unix_now();
        jwt(
            &self.key,
            &format!(
                r#"{{"sub":"{sub}","iat":{},"exp":{}}}"#,
                now - 60,
                now + 3600
            ),
        )
    }

    /// Correctly signed, but it ran out an hour ago.
    fn expired_token(&self) -> String {
        let now = unix_now();
        jwt(
            &self.key,
            &format!(
                r#"{{"sub":"{}","iat":{},"exp":{}}}"#,
                self.user(),
                now - 7200,
                now - 3600
            ),
        )
    }

    fn creds(&self, token: &str) -> Credentials {
        Credentials::OAuth2 {
            username: self.user().to_string(),
            token: Secret::new(token.to_string()),
        }
    }

    fn options(&self) -> ConnectOptions {
        let mut options =
            ConnectOptions::new("127.0.0.1", self.server.imap_port(), Security::Plain);
        options.timeout = Duration::from_secs(20);
        options
    }

    async fn login(&self, token: &str, method: AuthMethod) -> Result<ImapClient, ImapError> {
        ImapClient::login(&self.options(), &self.creds(token), method).await
    }

    /// Writes `token` to a file and returns a config for one account that `cat`s it.
    fn config_with_token_file(&self, token: &str, extra: &str) -> Config {
        let token_file = self.files.path().join("token");
        std::fs::write(&token_file, format!("{token}\n")).expect("write token file");
        self.config(&format!("cat \"{}\"", token_file.display()), extra)
    }

    /// One STARTTLS account on this server whose token comes from `command`.
    fn config(&self, command: &str, extra: &str) -> Config {
        let text = format!(
            r#"[[accounts]]
name = "oauth"
host = "127.0.0.1"
port = {port}
security = "starttls"
ca_file = '{ca}'
username = "{user}"
oauth_token_command = '{command}'
{extra}
"#,
            port = self.server.imap_port(),
            ca = self.server.ca_pem_path().display(),
            user = self.user(),
        );
        let path = self.files.path().join("config.toml");
        Config::parse(&text, &path).unwrap_or_else(|e| panic!("config must parse: {e}\n{text}"))
    }

    /// Waits until Dovecot's log mentions `needle` (its log process writes asynchronously);
    /// the deadline is only a safety net against a hang.
    async fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = self.server.log();
            if log.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Dovecot never logged {needle:?}:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn assert_logged_in(server: &OAuthDovecot, mut client: ImapClient) {
    client
        .noop(&mut discard())
        .await
        .unwrap_or_else(|e| panic!("NOOP after login: {e}\n{}", server.server.log()));
    let folders = client.list(&mut discard()).await.expect("LIST");
    assert!(
        folders.iter().any(|f| f.name == "INBOX"),
        "INBOX listed: {folders:?}"
    );
    assert!(
        client.has_capability("QRESYNC"),
        "post-login capabilities: {:?}",
        client.capabilities()
    );
    client.logout().await.expect("LOGOUT");
}

fn assert_auth_error(err: &ImapError, token: &str) {
    assert_eq!(err.kind, ErrorKind::Auth, "{err}");
    let signature = token.rsplit('.').next().unwrap_or(token);
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(token), "error quotes the token: {text}");
        assert!(
            !text.contains(signature),
            "error quotes the signature: {text}"
        );
    }
}

/// The mechanism's error report (a JSON challenge the client answers before the NO) made it
/// into the message. This server prefers XOAUTH2, so Auto reports like XOAUTH2.
fn assert_server_report(err: &ImapError, method: AuthMethod) {
    let report = match method {
        AuthMethod::OAuthBearer => r#"{"status":"invalid_token"}"#,
        _ => r#""status":"401""#,
    };
    assert!(
        err.message.contains(report),
        "{method:?}: no {report} in {err}"
    );
}

#[tokio::test]
async fn xoauth2_with_a_valid_token_logs_in() {
    let server = OAuthDovecot::start(BOTH);
    let client = server
        .login(&server.token(), AuthMethod::XOAuth2)
        .await
        .unwrap_or_else(|e| panic!("XOAUTH2 login: {e}\n{}", server.server.log()));
    assert_logged_in(&server, client).await;
    server
        .wait_for_log("Login: user=<alice>, method=XOAUTH2,")
        .await;
}

#[tokio::test]
async fn oauthbearer_with_a_valid_token_logs_in() {
    let server = OAuthDovecot::start(BOTH);
    let client = server
        .login(&server.token(), AuthMethod::OAuthBearer)
        .await
        .unwrap_or_else(|e| panic!("OAUTHBEARER login: {e}\n{}", server.server.log()));
    assert_logged_in(&server, client).await;
    server
        .wait_for_log("Login: user=<alice>, method=OAUTHBEARER,")
        .await;
}

#[tokio::test]
async fn both_mechanisms_work_without_sasl_ir() {
    // The initial response then goes after the server's first "+" instead of inline.
    let server =
        OAuthDovecot::start_with(BOTH, DovecotOptions::default().without_caps(&["SASL-IR"]));
    for method in [AuthMethod::XOAuth2, AuthMethod::OAuthBearer] {
        let mut client = ImapClient::connect(&server.options())
            .await
            .expect("connect");
        assert!(!client.has_capability("SASL-IR"));
        client
            .authenticate(&server.creds(&server.token()), method)
            .await
            .unwrap_or_else(|e| panic!("{method:?} without SASL-IR: {e}\n{}", server.server.log()));
        client.setup().await.expect("setup after login");
        assert_logged_in(&server, client).await;
    }
}

#[tokio::test]
async fn auto_picks_an_offered_oauth_mechanism() {
    // Both offered: XOAUTH2 is preferred.
    let both = OAuthDovecot::start(BOTH);
    let client = both
        .login(&both.token(), AuthMethod::Auto)
        .await
        .unwrap_or_else(|e| panic!("Auto with both offered: {e}\n{}", both.server.log()));
    assert_logged_in(&both, client).await;
    both.wait_for_log("Login: user=<alice>, method=XOAUTH2,")
        .await;

    // Only OAUTHBEARER: sending XOAUTH2 would be refused, so success means it was picked.
    let bearer_only = OAuthDovecot::start("plain login oauthbearer");
    let pre = ImapClient::connect(&bearer_only.options())
        .await
        .expect("connect");
    assert!(
        pre.has_capability("AUTH=OAUTHBEARER"),
        "{:?}",
        pre.capabilities()
    );
    assert!(
        !pre.has_capability("AUTH=XOAUTH2"),
        "{:?}",
        pre.capabilities()
    );
    drop(pre);
    let client = bearer_only
        .login(&bearer_only.token(), AuthMethod::Auto)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "Auto with OAUTHBEARER only: {e}\n{}",
                bearer_only.server.log()
            )
        });
    assert_logged_in(&bearer_only, client).await;
    bearer_only
        .wait_for_log("Login: user=<alice>, method=OAUTHBEARER,")
        .await;

    // Only XOAUTH2.
    let xoauth2_only = OAuthDovecot::start("plain login xoauth2");
    let client = xoauth2_only
        .login(&xoauth2_only.token(), AuthMethod::Auto)
        .await
        .unwrap_or_else(|e| panic!("Auto with XOAUTH2 only: {e}\n{}", xoauth2_only.server.log()));
    assert_logged_in(&xoauth2_only, client).await;

    // Neither: a clear error before any token is sent.
    let password_only = OAuthDovecot::start("plain login");
    let token = password_only.token();
    let err = password_only
        .login(&token, AuthMethod::Auto)
        .await
        .err()
        .expect("no OAuth mechanism offered");
    assert_auth_error(&err, &token);
    assert!(
        err.message.contains("neither XOAUTH2 nor OAUTHBEARER"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_tokens_are_auth_errors_that_do_not_quote_the_token() {
    let server = OAuthDovecot::start(BOTH);
    let other_key = random_bytes(32);
    let now = unix_now();
    let cases = [
        ("expired", server.expired_token(), "Token has expired"),
        (
            "wrong signing key",
            jwt(
                &other_key,
                &format!(
                    r#"{{"sub":"{}","iat":{},"exp":{}}}"#,
                    server.user(),
                    now - 60,
                    now + 3600
                ),
            ),
            "Incorrect JWT signature",
        ),
        (
            "another user's token",
            server.token_for("bob"),
            "did not match",
        ),
        (
            "not a JWT",
            "opaque-access-token-0123456789".to_string(),
            "Not a JWT token",
        ),
    ];
    for (what, token, reason) in &cases {
        for method in [
            AuthMethod::XOAuth2,
            AuthMethod::OAuthBearer,
            AuthMethod::Auto,
        ] {
            match server.login(token, method).await {
                Ok(_) => panic!("{what} token accepted with {method:?}"),
                Err(err) => {
                    assert_auth_error(&err, token);
                    assert_server_report(&err, method);
                }
            }
        }
        server.wait_for_log(reason).await;
    }
    // The connection a rejected login leaves is not needed: a fresh one still works.
    let client = server
        .login(&server.token(), AuthMethod::XOAuth2)
        .await
        .expect("valid token after rejections");
    assert_logged_in(&server, client).await;
}

#[tokio::test]
async fn bad_tokens_are_rejected_without_sasl_ir_too() {
    // Here the XOAUTH2/OAUTHBEARER error report is a second continuation after the payload.
    let server =
        OAuthDovecot::start_with(BOTH, DovecotOptions::default().without_caps(&["SASL-IR"]));
    let token = server.expired_token();
    for method in [AuthMethod::XOAuth2, AuthMethod::OAuthBearer] {
        let mut client = ImapClient::connect(&server.options())
            .await
            .expect("connect");
        let err = client
            .authenticate(&server.creds(&token), method)
            .await
            .err()
            .unwrap_or_else(|| panic!("{method:?}: expired token accepted"));
        assert_auth_error(&err, &token);
        assert_server_report(&err, method);
        // The session is still in step: the same connection can log in properly.
        client
            .authenticate(&server.creds(&server.token()), method)
            .await
            .unwrap_or_else(|e| panic!("{method:?} retry on the same connection: {e}"));
        client.noop(&mut discard()).await.expect("NOOP");
    }
}

#[tokio::test]
async fn config_account_with_oauth_token_command_connects() {
    let server = OAuthDovecot::start(BOTH);
    for auth in ["", r#"auth = "xoauth2""#, r#"auth = "oauthbearer""#] {
        let config = server.config_with_token_file(&server.token(), auth);
        let account = config.account(None).expect("one account");
        assert!(account.password.is_none());
        let client = match connect(account).await {
            Ok(client) => client,
            Err(e) => panic!("connect with {auth:?}: {e}\n{}", server.server.log()),
        };
        assert!(client.is_tls(), "STARTTLS was configured");
        assert_logged_in(&server, client).await;
    }
    // auth = "oauthbearer" was honoured (the other two used XOAUTH2).
    server
        .wait_for_log("Login: user=<alice>, method=OAUTHBEARER,")
        .await;
    server
        .wait_for_log("Login: user=<alice>, method=XOAUTH2,")
        .await;
}

#[tokio::test]
async fn config_account_with_a_failing_or_stale_token_command_reports_why() {
    let server = OAuthDovecot::start(BOTH);

    // The helper fails: the error says which command and quotes its stderr.
    let config = server.config(
        "echo \"token helper: refresh token revoked\" >&2; exit 3",
        "",
    );
    let account = config.account(None).expect("one account");
    match connect(account).await {
        Ok(_) => panic!("a failing oauth_token_command must not log in"),
        Err(err @ ConnectError::Credentials(_)) => {
            assert_eq!(err.kind(), ErrorKind::Auth);
            assert!(!err.is_transient());
            let text = err.to_string();
            for part in [
                "oauth",
                "oauth_token_command",
                "status 3",
                "refresh token revoked",
            ] {
                assert!(text.contains(part), "{part:?} missing from {text:?}");
            }
        }
        Err(other) => panic!("expected a credential error, got {other}"),
    }

    // The helper prints nothing.
    let config = server.config("true", "");
    let account = config.account(None).expect("one account");
    match connect(account).await {
        Ok(_) => panic!("an empty token must not log in"),
        Err(err) => {
            assert!(matches!(err, ConnectError::Credentials(_)), "{err}");
            assert!(err.to_string().contains("printed nothing"), "{err}");
        }
    }

    // The helper hands out an expired token: the server's refusal is an auth error.
    let stale = server.expired_token();
    let config = server.config_with_token_file(&stale, "");
    let account = config.account(None).expect("one account");
    match connect(account).await {
        Ok(_) => panic!("an expired token must not log in"),
        Err(ConnectError::Imap(err)) => assert_auth_error(&err, &stale),
        Err(other) => panic!("expected a server refusal, got {other}"),
    }
}

// --- JWT helpers --------------------------------------------------------------------------

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// An HS256 JWT without `kid` (Dovecot then looks up key id "default").
fn jwt(key: &[u8], claims: &str) -> String {
    let header = base64(br#"{"alg":"HS256","typ":"JWT"}"#, URL_SAFE, false);
    let body = base64(claims.as_bytes(), URL_SAFE, false);
    let signing_input = format!("{header}.{body}");
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key),
        signing_input.as_bytes(),
    );
    let mut token = signing_input;
    let _ = write!(token, ".{}", base64(tag.as_ref(), URL_SAFE, false));
    token
}

fn random_bytes(n: usize) -> Vec<u8> {
    use ring::rand::SecureRandom as _;
    let mut bytes = vec![0; n];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("random bytes");
    bytes
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    for (input, padded, url) in [
        ("", "", ""),
        ("f", "Zg==", "Zg"),
        ("fo", "Zm8=", "Zm8"),
        ("foo", "Zm9v", "Zm9v"),
        ("foob", "Zm9vYg==", "Zm9vYg"),
        ("fooba", "Zm9vYmE=", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(input.as_bytes(), STANDARD, true), padded);
        assert_eq!(base64(input.as_bytes(), URL_SAFE, false), url);
    }
    assert_eq!(base64(&[0xfb, 0xff], URL_SAFE, false), "-_8");
    assert_eq!(base64(&[0xfb, 0xff], STANDARD, true), "+/8=");
}

#[test]
fn jwt_matches_the_jwt_io_example() {
    assert_eq!(
        jwt(
            b"your-256-bit-secret",
            r#"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#
        ),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
         eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.\
         SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    );
}

/// `TERN_LOG=trace` through the real binary: the conversation is traced, the token is not
/// (neither as is nor inside the base64 SASL payload). See also tests/trace_redaction.rs.
#[test]
fn the_wire_trace_never_shows_the_token() {
    let server = OAuthDovecot::start(BOTH);
    let token = server.token();
    let token_file = server.files.path().join("trace-token");
    std::fs::write(&token_file, format!("{token}\n")).expect("write token file");
    for (auth, mechanism) in [("xoauth2", "XOAUTH2"), ("oauthbearer", "OAUTHBEARER")] {
        let config = server.files.path().join(format!("trace-{auth}.toml"));
        std::fs::write(
            &config,
            format!(
                "[[accounts]]\nname = \"oauth\"\nhost = \"127.0.0.1\"\nport = {}\n\
                 security = \"starttls\"\nca_file = '{}'\nusername = \"{}\"\n\
                 oauth_token_command = 'cat \"{}\"'\nauth = \"{auth}\"\n",
                server.server.imap_port(),
                server.server.ca_pem_path().display(),
                server.user(),
                token_file.display()
            ),
        )
        .expect("write config");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tern"))
            .arg("--config")
            .arg(&config)
            .arg("--cache-dir")
            .arg(server.files.path().join("cache"))
            .arg("folders")
            .env("TERN_LOG", "trace")
            .output()
            .expect("run tern");
        let trace = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{auth}: {trace}");
        assert!(
            trace.contains(&format!("AUTHENTICATE {mechanism}")) && trace.contains("LIST"),
            "{auth}: the conversation is traced:\n{trace}"
        );
        let signature = token.rsplit('.').next().unwrap_or(&token);
        let user = server.user();
        let payloads = [
            format!("user={user}\x01auth=Bearer {token}\x01\x01"),
            format!("n,a={user},\x01auth=Bearer {token}\x01\x01"),
        ];
        assert!(!trace.contains(&token), "{auth}: token in:\n{trace}");
        assert!(!trace.contains(signature), "{auth}: signature in:\n{trace}");
        for payload in payloads {
            let encoded = base64(payload.as_bytes(), STANDARD, true);
            // Any long run of the payload's base64 would be a leak.
            assert!(
                !trace.contains(&encoded[..40]),
                "{auth}: SASL payload in:\n{trace}"
            );
        }
    }
}
