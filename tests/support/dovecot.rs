//! A private Dovecot 2.3 per test: own temp dir, config, base_dir, loopback ports and CA.
//!
//! Dovecot runs in the foreground under a small `sh` wrapper (see `WRAPPER`) that stops it and
//! removes the temp dir when told to, or when the test process dies, so nothing leaks even if a
//! test aborts. As root the mail processes run as uid/gid 5000 (Dovecot refuses mail access as
//! uid 0); otherwise everything runs as the current user.

use std::borrow::Borrow;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use tempfile::TempDir;

use super::corpus::SeedMessage;
use super::raw_imap::RawImap;

pub const PASSWORD: &str = "password";
const MAIL_UID: u32 = 5000;
const MAIL_GID: u32 = 5000;
/// Carries the post-login capability list to the auth process (see `set_caps`).
/// `TERN_TEST_SERVER=older` makes every `TestDovecot` an older server (see `older_server`),
/// so the sync and triage suites run a second time on that shape (scripts/test.sh).
const SERVER_ENV: &str = "TERN_TEST_SERVER";
/// What an older server still advertises (shared/reference/dovecot-older-server.md), plus
/// STARTTLS, which the pre-login list keeps on every server we test.
const OLDER_CAPS: &[&str] = &[
    "IMAP4rev1",
    "SASL-IR",
    "LOGIN-REFERRALS",
    "ID",
    "ENABLE",
    "IDLE",
    "SORT",
    "THREAD=REFERENCES",
    "NAMESPACE",
    "UIDPLUS",
    "CHILDREN",
    "STARTTLS",
];
const CAPS_ENV: &str = "TERN_TEST_IMAP_CAPS";
/// Safety net for start-up, not a test assertion.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// `sh -c WRAPPER dovecot conf dir`: runs the master, then waits for one line on stdin
/// ("keep", or anything else / EOF when the test process is gone), stops the master and
/// unless told "keep" removes the dir. Stopping takes Dovecot 2.3 about 1 s (the master
/// sleeps after SIGQUITting its log process), which Drop thus need not wait for.
const WRAPPER: &str = r#"trap '' INT
"$0" -F -c "$1" </dev/null &
pid=$!
read -r what
kill -TERM "$pid" 2>/dev/null
wait "$pid"
[ "$what" = keep ] || rm -rf "$2"
"#;

/// How to configure a `TestDovecot`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DovecotOptions {
    users: Vec<String>,
    removed_caps: Vec<String>,
    extra_config: Vec<String>,
    /// `INBOX.` prefix, `.` separator, no special-use, only `OLDER_CAPS`.
    older: bool,
    /// PEM certificate and key to serve instead of the generated CA-signed pair.
    server_cert: Option<(PathBuf, PathBuf)>,
}

impl Default for DovecotOptions {
    fn default() -> Self {
        DovecotOptions {
            users: vec!["alice".into(), "bob".into()],
            removed_caps: Vec::new(),
            extra_config: Vec::new(),
            older: std::env::var(SERVER_ENV).is_ok_and(|v| v == "older"),
            server_cert: None,
        }
    }
}

impl DovecotOptions {
    /// Stop advertising these capabilities (e.g. "QRESYNC", "COMPRESS=DEFLATE", "SASL-IR").
    pub fn without_caps(mut self, caps: &[&str]) -> Self {
        self.removed_caps
            .extend(caps.iter().map(|c| c.to_ascii_uppercase()));
        self
    }

    /// Like an older server: folders under `INBOX.` with `.` as separator, none named
    /// special-use, and no MOVE, CONDSTORE, QRESYNC, LITERAL+, ESEARCH, SPECIAL-USE or
    /// COMPRESS. Tests name folders through `TestDovecot::folder`.
    pub fn older_server(mut self) -> Self {
        self.older = true;
        self
    }

    /// Today's shape (NOTIFY, MOVE, CONDSTORE...) even when `TERN_TEST_SERVER=older` makes
    /// the older one the default: for tests of what only a current server offers.
    pub fn current_server(mut self) -> Self {
        self.older = false;
        self
    }

    /// Serve this PEM certificate and key (see `support::certs`) on both ports.
    pub fn server_cert(mut self, cert: &Path, key: &Path) -> Self {
        self.server_cert = Some((cert.to_path_buf(), key.to_path_buf()));
        self
    }

    /// Replace the user list (all get password "password"); the first is `user()`.
    pub fn users(mut self, users: &[&str]) -> Self {
        self.users = users.iter().map(|u| (*u).to_string()).collect();
        self
    }

    /// Raw lines appended to dovecot.conf.
    pub fn extra_config(mut self, lines: &str) -> Self {
        self.extra_config.push(lines.to_string());
        self
    }

    fn removes(&self, cap: &str) -> bool {
        let dropped_by_age = self.older && !OLDER_CAPS.iter().any(|c| c.eq_ignore_ascii_case(cap));
        dropped_by_age
            || self
                .removed_caps
                .iter()
                .any(|c| c.eq_ignore_ascii_case(cap))
    }
}

pub struct TestDovecot {
    running: Option<Running>,
    opts: DovecotOptions,
    imap_port: u16,
    imaps_port: u16,
    /// uid/gid that must own mail files when we run as root.
    mail_owner: Option<(u32, u32)>,
    /// Explicit capability lists (post-login, pre-login) when some were removed.
    post_caps: Option<String>,
    pre_caps: Option<String>,
    seed_seq: AtomicU64,
    /// Removed by the wrapper once Dovecot is down (see Drop), or by TempDir if stopped.
    dir: TempDir,
}

/// The wrapper shell and the pipe that tells it to stop.
struct Running {
    shell: Child,
    control: ChildStdin,
}

enum StartError {
    AddrInUse,
    Other(String),
}

impl TestDovecot {
    /// Alice and bob, every default capability.
    pub fn start() -> Self {
        Self::start_with(DovecotOptions::default())
    }

    pub fn start_with(opts: DovecotOptions) -> Self {
        assert!(!opts.users.is_empty(), "DovecotOptions needs a user");
        let caps = if opts.removed_caps.is_empty() && !opts.older {
            None
        } else {
            Some(default_caps(&opts))
        };
        let dir = tempfile::Builder::new()
            .prefix("tern-dc-")
            .tempdir()
            .expect("create temp dir");
        let meta = fs::metadata(dir.path()).expect("stat temp dir");
        // The unprivileged mail uid must be able to enter it.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let mail_owner = (meta.uid() == 0).then_some((MAIL_UID, MAIL_GID));
        let mut d = TestDovecot {
            running: None,
            opts,
            imap_port: 0,
            imaps_port: 0,
            mail_owner,
            post_caps: None,
            pre_caps: None,
            seed_seq: AtomicU64::new(0),
            dir,
        };
        d.prepare_files();
        if let Some(caps) = &caps {
            d.set_caps(caps);
        }
        let mut last = String::new();
        for _ in 0..10 {
            let (a, b) = free_ports();
            d.imap_port = a;
            d.imaps_port = b;
            d.write_config();
            match d.spawn() {
                Ok(()) => return d,
                // Another process took the port between our probe and Dovecot's bind.
                Err(StartError::AddrInUse) => last = d.log(),
                Err(StartError::Other(msg)) => panic!("dovecot did not start: {msg}"),
            }
        }
        panic!("dovecot could not bind free ports:\n{last}");
    }

    pub fn imap_port(&self) -> u16 {
        self.imap_port
    }

    /// Implicit-TLS port.
    pub fn imaps_port(&self) -> u16 {
        self.imaps_port
    }

    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// PEM of the CA that signed the server certificate (CN/SAN 127.0.0.1, SAN localhost).
    pub fn ca_pem_path(&self) -> PathBuf {
        self.dir.path().join("ssl/ca.pem")
    }

    /// PEM of an unrelated CA: using it as `ca_file` must fail verification.
    pub fn other_ca_pem_path(&self) -> PathBuf {
        let path = self.dir.path().join("ssl/other-ca.pem");
        if !path.exists() {
            let cmd = format!(
                "{NEW_CA} {EC_KEY} -subj /CN=unrelated-CA -keyout other-ca.key -out other-ca.pem"
            );
            openssl(&self.dir.path().join("ssl"), &cmd);
        }
        path
    }

    /// The first configured user (alice by default).
    pub fn user(&self) -> &str {
        &self.opts.users[0]
    }

    pub fn users(&self) -> &[String] {
        &self.opts.users
    }

    /// A tern config with one account `name` for `user()` on plain IMAP at `port` (the
    /// server's own, or a dead one for offline tests).
    pub fn account_toml(&self, name: &str, port: u16) -> String {
        format!(
            "[[accounts]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {port}\n\
             security = \"plain\"\nusername = \"{}\"\npassword = \"{}\"\n",
            self.user(),
            self.password()
        )
    }

    pub fn password(&self) -> &str {
        PASSWORD
    }

    /// The instance's temp dir (config, log, mail).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("dovecot.conf")
    }

    /// Pid of the running master process.
    pub fn master_pid(&self) -> Option<u32> {
        self.running.as_ref()?;
        let pid = fs::read_to_string(self.dir.path().join("run/master.pid")).ok()?;
        pid.trim().parse().ok()
    }

    /// A RawImap on the plain port, logged in as `user`.
    /// tern's own IMAP client, logged in as the first user over plain IMAP.
    pub async fn tern_client(&self) -> tern::imap::ImapClient {
        use tern::imap::auth::{AuthMethod, Credentials};
        let mut options = tern::imap::ConnectOptions::new(
            "127.0.0.1",
            self.imap_port(),
            tern::imap::Security::Plain,
        );
        options.timeout = Duration::from_secs(30);
        let creds = Credentials::Password {
            username: self.user().to_string(),
            password: tern::domain::secret::Secret::new(self.password().to_string()),
        };
        tern::imap::ImapClient::login(&options, &creds, AuthMethod::Auto)
            .await
            .unwrap()
    }

    pub fn raw_login(&self, user: &str) -> RawImap {
        RawImap::connect_login(self.imap_port, user, PASSWORD)
            .unwrap_or_else(|e| panic!("raw login as {user}: {e}\n{}", self.log()))
    }

    /// Runs `doveadm -c <our conf> args...`; panics (with the log) on failure.
    pub fn doveadm(&self, args: &[&str]) -> String {
        self.try_doveadm(args)
            .unwrap_or_else(|e| panic!("doveadm {args:?} failed: {e}\n{}", self.log()))
    }

    pub fn try_doveadm(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(find_binary("doveadm"))
            .arg("-c")
            .arg(self.config_path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("run doveadm: {e}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(text)
        } else {
            Err(format!("{}: {text}", out.status))
        }
    }

    /// Server-side disconnect of every session of `user` (they get `* BYE`, then EOF).
    /// Returns false if the user had no sessions.
    pub fn kick(&self, user: &str) -> bool {
        match self.try_doveadm(&["kick", user]) {
            Ok(_) => true,
            Err(e) if e.contains("no users kicked") => false,
            Err(e) => panic!("doveadm kick {user}: {e}\n{}", self.log()),
        }
    }

    /// Stops the server (all sessions are cut) and waits for it; mail and ports are kept for
    /// `restart`.
    pub fn stop(&mut self) {
        if let Some(mut shell) = self.shutdown(true) {
            let _ = shell.wait();
        }
    }

    /// Tells the wrapper to stop Dovecot; returns the wrapper to wait for.
    fn shutdown(&mut self, keep_dir: bool) -> Option<Child> {
        let Running { shell, mut control } = self.running.take()?;
        let word: &[u8] = if keep_dir { b"keep\n" } else { b"remove\n" };
        // A write error means the wrapper is gone already; waiting still reaps it.
        let _ = control.write_all(word);
        Some(shell)
    }

    /// Starts again on the same ports with the same mail.
    pub fn restart(&mut self) {
        self.stop();
        let mut last = String::new();
        for _ in 0..50 {
            match self.spawn() {
                Ok(()) => return,
                Err(StartError::AddrInUse) => {
                    last = self.log();
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(StartError::Other(msg)) => panic!("dovecot did not restart: {msg}"),
            }
        }
        panic!("dovecot could not rebind its ports:\n{last}");
    }

    /// Dovecot's log plus the master's stderr, for failure messages.
    pub fn log(&self) -> String {
        let mut out = String::new();
        for name in ["master.err", "dovecot.log"] {
            if let Ok(text) = fs::read_to_string(self.dir.path().join(name)) {
                let _ = writeln!(out, "--- {name}\n{text}");
            }
        }
        out
    }

    /// The server's name for a folder given in the default layout: "Archive" is
    /// "INBOX.Archive" and "Lists/dev" is "INBOX.Lists.dev" on an older server.
    pub fn folder(&self, name: &str) -> String {
        if !self.opts.older || name.eq_ignore_ascii_case("INBOX") || name.starts_with("INBOX.") {
            return name.to_string();
        }
        format!("INBOX.{}", name.replace('/', "."))
    }

    /// The hierarchy separator the server announces.
    pub fn separator(&self) -> char {
        if self.opts.older { '.' } else { '/' }
    }

    /// Whether this instance is shaped like an older server (`older_server`).
    pub fn is_older(&self) -> bool {
        self.opts.older
    }

    /// Maildir++ directory of `folder` ("INBOX", "Sent", "Lists/dev" -> `.Lists.dev`;
    /// non-ASCII names are stored in modified UTF-7, as Dovecot does). Server names of an
    /// older server ("INBOX.Lists.dev") and default-layout names both work.
    pub fn maildir_path(&self, user: &str, folder: &str) -> PathBuf {
        let base = self.dir.path().join("mail").join(user).join("Maildir");
        if folder.eq_ignore_ascii_case("INBOX") {
            return base;
        }
        let folder = match folder.strip_prefix("INBOX.") {
            Some(rest) if self.opts.older => rest.replace('.', "/"),
            _ => folder.to_string(),
        };
        let folder = folder.as_str();
        assert!(
            !folder.contains('.'),
            "'.' is the on-disk separator: {folder}"
        );
        base.join(format!(".{}", mutf7(folder).replace('/', ".")))
    }

    /// Writes messages straight into `folder`'s Maildir (creating and subscribing it), then
    /// has Dovecot index them. UIDs follow the order given. Much faster than APPEND.
    /// Returns how many were written.
    pub fn seed_maildir<I>(&self, user: &str, folder: &str, messages: I) -> usize
    where
        I: IntoIterator,
        I::Item: Borrow<SeedMessage>,
    {
        assert!(
            self.opts.users.iter().any(|u| u == user),
            "unknown user {user}"
        );
        let folder = &self.folder(folder);
        let dest = self.maildir_path(user, folder);
        let is_inbox = folder.eq_ignore_ascii_case("INBOX");
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(dest.join(sub)).expect("create maildir");
        }
        if !is_inbox {
            fs::write(dest.join("maildirfolder"), b"").expect("write maildirfolder");
        }
        // Before any message appears, so Dovecot can always write its own files there.
        if let Some((uid, gid)) = self.mail_owner {
            chown_tree(&self.dir.path().join("mail").join(user), uid, gid);
        }
        let mut keywords = Keywords::load(&dest, self.mail_owner);
        let mut count = 0;
        for m in messages {
            let m = m.borrow();
            let seq = self.seed_seq.fetch_add(1, Ordering::Relaxed);
            let size = m.raw.len();
            // W= is the CRLF size Dovecot reports as RFC822.SIZE: bare LFs count twice.
            let vsize = size + bare_lf_count(&m.raw);
            let info = keywords.info(&m.flags);
            // Dovecot gives new files UIDs sorted by the leading timestamp, so make it
            // increase with `seq`; the real date is the file's mtime.
            let base = format!(
                "{}.M{}P{}Q{seq}.tern,S={size},W={vsize}",
                1_000_000_000 + seq,
                seq % 1_000_000,
                std::process::id()
            );
            let tmp = dest.join("tmp").join(&base);
            let mtime = UNIX_EPOCH + Duration::from_secs(m.internal_date.max(0) as u64);
            let mut f = fs::File::create(&tmp).expect("create message file");
            f.write_all(&m.raw).expect("write message");
            f.set_times(fs::FileTimes::new().set_modified(mtime).set_accessed(mtime))
                .expect("set mtime");
            if let Some((uid, gid)) = self.mail_owner {
                std::os::unix::fs::fchown(&f, Some(uid), Some(gid)).expect("chown message");
            }
            drop(f);
            // tmp/ then rename: a concurrent Dovecot sync never sees a half-written file.
            fs::rename(&tmp, dest.join("cur").join(format!("{base}:2,{info}")))
                .expect("move message into cur/");
            count += 1;
        }
        if !is_inbox {
            self.doveadm(&["mailbox", "subscribe", "-u", user, folder]);
        }
        self.doveadm(&["index", "-u", user, folder]);
        count
    }

    fn prepare_files(&self) {
        let root = self.dir.path();
        for sub in ["run", "state", "ssl", "mail"] {
            fs::create_dir_all(root.join(sub)).expect("create dir");
        }
        let mut users = String::new();
        for u in &self.opts.users {
            let _ = writeln!(users, "{u}:{{PLAIN}}{PASSWORD}::::::");
            for sub in ["cur", "new", "tmp"] {
                fs::create_dir_all(root.join("mail").join(u).join("Maildir").join(sub))
                    .expect("create maildir");
            }
        }
        fs::write(root.join("users"), users).expect("write users");
        if let Some((uid, gid)) = self.mail_owner {
            chown_tree(&root.join("mail"), uid, gid);
        }
        self.make_certs();
    }

    /// A CA and a leaf it signs. A self-signed leaf would carry CA:TRUE from openssl's
    /// defaults, which rustls/webpki rejects as an end-entity certificate.
    fn make_certs(&self) {
        let ssl = self.dir.path().join("ssl");
        fs::write(
            ssl.join("openssl.cnf"),
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = tern test\n\
             [ca_ext]\nbasicConstraints = critical, CA:TRUE\n\
             keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n\
             [leaf_ext]\nbasicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature, keyEncipherment\n\
             extendedKeyUsage = serverAuth\n\
             subjectAltName = IP:127.0.0.1, DNS:localhost\n\
             subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
        )
        .expect("write openssl.cnf");
        openssl(
            &ssl,
            &format!("{NEW_CA} {EC_KEY} -subj /CN=tern-test-CA -keyout ca.key -out ca.pem"),
        );
        openssl(
            &ssl,
            &format!(
                "req -new -config openssl.cnf {EC_KEY} -subj /CN=127.0.0.1 -keyout key.pem -out server.csr"
            ),
        );
        openssl(
            &ssl,
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 3650 \
             -extfile openssl.cnf -extensions leaf_ext -out cert.pem",
        );
    }

    /// Advertise the default capabilities minus the removed ones.
    ///
    /// Post-login: `imap_capability` as a userdb override field. Only the imap process sees
    /// it, so the pre-login greeting keeps STARTTLS. The list has spaces, which userdb
    /// templates cannot hold, so it travels in an environment variable.
    /// Pre-login: only if a removed capability is listed there (SASL-IR, IDLE, ...), a global
    /// explicit list; that one cannot add STARTTLS per port, so STARTTLS is always in it.
    /// COMPRESS=DEFLATE also needs imap_zlib unloaded (see `write_config`).
    fn set_caps(&mut self, caps: &Caps) {
        let keep = |list: &[String]| -> String {
            let kept: Vec<&str> = list
                .iter()
                .filter(|c| !self.opts.removes(c))
                .map(String::as_str)
                .collect();
            kept.join(" ")
        };
        self.post_caps = Some(keep(&caps.post));
        if caps.pre.iter().any(|c| self.opts.removes(c)) {
            self.pre_caps = Some(keep(&caps.pre));
        }
    }

    /// A word only this instance's greeting carries: its temp dir's unique name.
    fn greeting_token(&self) -> String {
        self.dir
            .path()
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    fn write_config(&self) {
        let root = self.dir.path().display().to_string();
        let greeting = self.greeting_token();
        let (cert, key) = match &self.opts.server_cert {
            Some((cert, key)) => (cert.display().to_string(), key.display().to_string()),
            None => (
                format!("{root}/ssl/cert.pem"),
                format!("{root}/ssl/key.pem"),
            ),
        };
        let mut conf = String::new();
        let _ = write!(
            conf,
            r#"# Generated by tests/support/dovecot.rs: a private, loopback-only instance.
base_dir = {root}/run
state_dir = {root}/state
instance_name = tern-test
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
# Names this instance: a greeting on our port from another test's Dovecot (which took the
# port between our probe and our bind) is not mistaken for ours.
login_greeting = Dovecot ready, {greeting}
shutdown_clients = yes
disable_plaintext_auth = no
auth_mechanisms = plain login
# Failed logins answer at once (default delay is 2 s).
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_max_userip_connections = 1000
mail_fsync = never
# IDLE learns of changes by inotify (as on a real server: about 0.5 s); this only bounds
# the fallback. The same tests pass with the default 30 s (tests/two_instances.rs).
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 10 secs
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
"#
        );
        if self.post_caps.is_some() {
            let _ = writeln!(conf, "import_environment = $import_environment {CAPS_ENV}");
        }
        if let Some(pre) = &self.pre_caps {
            let _ = writeln!(conf, "imap_capability = {pre}");
        }
        let (uid_fields, users_conf) = match self.mail_owner {
            // Root: mail processes as an unprivileged numeric uid/gid.
            Some((uid, gid)) => (
                String::new(),
                format!(
                    "mail_uid = {uid}\nmail_gid = {gid}\nfirst_valid_uid = {uid}\n\
                     first_valid_gid = {gid}\n"
                ),
            ),
            // Not root: no uid switch, no chroot; internal/login services run as us too.
            None => {
                let meta = fs::metadata(self.dir.path()).expect("stat temp dir");
                let (uid, gid) = (meta.uid(), meta.gid());
                let user = current_user_name();
                (
                    format!(" uid={uid} gid={gid}"),
                    format!(
                        "default_internal_user = {user}\ndefault_login_user = {user}\n\
                         default_internal_group = {}\nfirst_valid_uid = {uid}\n\
                         first_valid_gid = {gid}\n\
                         service imap-login {{\n  chroot =\n}}\nservice anvil {{\n  chroot =\n}}\n",
                        current_group_name()
                    ),
                )
            }
        };
        conf.push_str(&users_conf);
        let _ = writeln!(
            conf,
            "userdb {{\n  driver = static\n  args = home={root}/mail/%u{uid_fields}"
        );
        if self.post_caps.is_some() {
            let _ = writeln!(
                conf,
                "  override_fields = imap_capability=%{{env:{CAPS_ENV}}}"
            );
        }
        conf.push_str("}\n");
        self.write_namespace(&mut conf);
        if !self.opts.removes("COMPRESS=DEFLATE") {
            // Offers COMPRESS=DEFLATE; no global zlib plugin is needed for it.
            conf.push_str("protocol imap {\n  mail_plugins = $mail_plugins imap_zlib\n}\n");
        }
        let _ = write!(
            conf,
            "service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    \
             port = {}\n  }}\n  inet_listener imaps {{\n    address = 127.0.0.1\n    \
             port = {}\n    ssl = yes\n  }}\n}}\n",
            self.imap_port, self.imaps_port
        );
        for extra in &self.opts.extra_config {
            conf.push_str(extra);
            conf.push('\n');
        }
        fs::write(self.config_path(), conf).expect("write dovecot.conf");
    }

    /// The default layout, or an older server's (shared/reference/dovecot-older-server.md):
    /// `INBOX.` prefix, `.` separator, no special-use attributes.
    fn write_namespace(&self, conf: &mut String) {
        if self.opts.older {
            conf.push_str("namespace inbox {\n  inbox = yes\n  prefix = INBOX.\n  separator = .\n");
        } else {
            conf.push_str("namespace inbox {\n  inbox = yes\n  separator = /\n");
        }
        for (name, attr) in [
            ("Drafts", "\\Drafts"),
            ("Sent", "\\Sent"),
            ("Trash", "\\Trash"),
            ("Junk", "\\Junk"),
            ("Archive", "\\Archive"),
        ] {
            let special_use = if self.opts.older {
                String::new()
            } else {
                format!("    special_use = {attr}\n")
            };
            let _ = writeln!(
                conf,
                "  mailbox {name} {{\n{special_use}    auto = subscribe\n  }}"
            );
        }
        conf.push_str("}\n");
    }

    fn spawn(&mut self) -> Result<(), StartError> {
        let err_path = self.dir.path().join("master.err");
        let err = fs::File::create(&err_path)
            .map_err(|e| StartError::Other(format!("create master.err: {e}")))?;
        let err2 = err
            .try_clone()
            .map_err(|e| StartError::Other(e.to_string()))?;
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(WRAPPER)
            .arg(find_binary("dovecot"))
            .arg(self.config_path())
            .arg(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(err)
            .stderr(err2);
        if let Some(caps) = &self.post_caps {
            cmd.env(CAPS_ENV, caps);
        }
        let mut shell = cmd
            .spawn()
            .map_err(|e| StartError::Other(format!("spawn dovecot: {e}")))?;
        let control = shell.stdin.take().expect("piped stdin");
        self.running = Some(Running { shell, control });
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            // Start-up failures (bad config, port taken) end in a "Fatal:" line on stderr.
            let err_text = fs::read_to_string(&err_path).unwrap_or_default();
            if err_text.contains("Fatal:") {
                self.stop();
                return Err(if err_text.contains("Address already in use") {
                    StartError::AddrInUse
                } else {
                    StartError::Other(self.log())
                });
            }
            if greets(self.imap_port, &self.greeting_token()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(StartError::Other(format!(
                    "no greeting on port {}\n{}",
                    self.imap_port,
                    self.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestDovecot {
    fn drop(&mut self) {
        if let Some(mut shell) = self.shutdown(false) {
            // The wrapper removes the dir once Dovecot is down; only reap it here.
            self.dir.disable_cleanup(true);
            std::thread::spawn(move || shell.wait());
        }
    }
}

/// Capabilities of an unmodified instance: before login (without AUTH=) and after.
#[derive(Clone, Debug)]
struct Caps {
    pre: Vec<String>,
    post: Vec<String>,
}

/// Dovecot's own lists, learned once per test binary by asking a default instance, so the
/// explicit lists we write match the installed Dovecot version.
fn default_caps(opts: &DovecotOptions) -> Caps {
    static CACHE: Mutex<Vec<(Vec<String>, Caps)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, caps)) = cache.iter().find(|(k, _)| *k == opts.extra_config) {
        return caps.clone();
    }
    // Probed with the default namespace: the capability list does not depend on it.
    let probe = TestDovecot::start_with(DovecotOptions {
        removed_caps: Vec::new(),
        older: false,
        ..opts.clone()
    });
    let mut c = RawImap::connect(probe.imap_port()).expect("probe connect");
    let pre = c
        .capabilities()
        .expect("probe CAPABILITY")
        .into_iter()
        .filter(|c| !c.starts_with("AUTH="))
        .collect();
    c.login(probe.user(), PASSWORD).expect("probe login");
    let post = c.capabilities().expect("probe CAPABILITY");
    let caps = Caps { pre, post };
    cache.push((opts.extra_config.clone(), caps.clone()));
    caps
}

/// Keyword letters of one maildir (`dovecot-keywords`: "<index> <name>" per line).
struct Keywords {
    path: PathBuf,
    owner: Option<(u32, u32)>,
    names: Vec<Option<String>>,
}

impl Keywords {
    fn load(dir: &Path, owner: Option<(u32, u32)>) -> Self {
        let path = dir.join("dovecot-keywords");
        let mut names = Vec::new();
        for line in fs::read_to_string(&path).unwrap_or_default().lines() {
            if let Some((i, name)) = line.split_once(' ')
                && let Ok(i) = i.parse::<usize>()
                && i < 26
            {
                if names.len() <= i {
                    names.resize(i + 1, None);
                }
                names[i] = Some(name.to_string());
            }
        }
        Keywords { path, owner, names }
    }

    /// The `:2,` info letters: system flags upper-case and sorted, then keyword letters.
    fn info(&mut self, flags: &[String]) -> String {
        let mut letters: Vec<char> = flags
            .iter()
            .map(|f| match f.to_ascii_lowercase().as_str() {
                "\\draft" => 'D',
                "\\flagged" => 'F',
                "\\answered" => 'R',
                "\\seen" => 'S',
                "\\deleted" => 'T',
                other if other.starts_with('\\') => panic!("cannot seed flag {f}"),
                _ => char::from(b'a' + self.index(f)),
            })
            .collect();
        // ASCII order puts the upper-case system flags first, as Maildir wants.
        letters.sort_unstable();
        letters.dedup();
        letters.into_iter().collect()
    }

    /// The letter index of keyword `name`, registering it (on disk at once, before any
    /// message uses it) if new.
    fn index(&mut self, name: &str) -> u8 {
        if let Some(i) = self.names.iter().position(|n| n.as_deref() == Some(name)) {
            return i as u8;
        }
        let i = self
            .names
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.names.len());
        assert!(i < 26, "a maildir holds at most 26 keywords");
        if i == self.names.len() {
            self.names.push(None);
        }
        self.names[i] = Some(name.to_string());
        let mut text = String::new();
        for (i, n) in self.names.iter().enumerate() {
            if let Some(n) = n {
                let _ = writeln!(text, "{i} {n}");
            }
        }
        fs::write(&self.path, text).expect("write dovecot-keywords");
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(&self.path, Some(uid), Some(gid)).expect("chown");
        }
        i as u8
    }
}

/// Modified UTF-7 (RFC 3501 5.1.3), the encoding of Dovecot's on-disk folder names.
fn mutf7(name: &str) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    let mut out = String::new();
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (k, &b)| n | (u32::from(b) << (16 - 8 * k)));
            for k in 0..=chunk.len() {
                out.push(char::from(B64[(n >> (18 - 6 * k)) as usize & 63]));
            }
        }
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn bare_lf_count(raw: &[u8]) -> usize {
    raw.iter()
        .enumerate()
        .filter(|&(i, &c)| c == b'\n' && (i == 0 || raw[i - 1] != b'\r'))
        .count()
}

/// Chowns a mail tree, but not the messages inside cur/new/tmp: seeding chowns those as it
/// writes them and Dovecot's own files already belong to the mail uid.
fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
    let is_msg_dir = matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("cur" | "new" | "tmp")
    );
    if path.is_dir() && !is_msg_dir {
        for entry in fs::read_dir(path).expect("read dir") {
            chown_tree(&entry.expect("dir entry").path(), uid, gid);
        }
    }
}

/// Two distinct free loopback ports (bound at the same time so they differ).
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").expect("bind probe port");
    let b = TcpListener::bind("127.0.0.1:0").expect("bind probe port");
    let pa = a.local_addr().expect("local addr").port();
    let pb = b.local_addr().expect("local addr").port();
    (pa, pb)
}

/// True once the port answers with this instance's IMAP greeting.
fn greets(port: u16, token: &str) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok()
        && line.starts_with("* OK")
        && line.contains(token)
}

/// Dovecot's binaries live in sbin, which is not on every user's PATH.
fn find_binary(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Key options for every test key: P-256 is generated instantly.
const EC_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
/// `openssl req` arguments for a self-signed CA (ssl/openssl.cnf section ca_ext).
const NEW_CA: &str = "req -x509 -new -config openssl.cnf -extensions ca_ext -days 3650";

/// Runs openssl in `dir` with whitespace-separated `args` (file names relative to `dir`).
fn openssl(dir: &Path, args: &str) {
    let args: Vec<&str> = args.split_whitespace().collect();
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run openssl (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn id_output(flag: &str) -> String {
    let out = Command::new("id")
        .arg(flag)
        .output()
        .unwrap_or_else(|e| panic!("run id {flag}: {e}"));
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!name.is_empty(), "id {flag} printed nothing");
    name
}

fn current_user_name() -> String {
    id_output("-un")
}

fn current_group_name() -> String {
    id_output("-gn")
}
