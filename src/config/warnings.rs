//! Settings that work but weaken security. They are said (at connect, and by `tern
//! check-config`), never refused: the user may have reasons.

use std::path::Path;

use super::{AccountConfig, Config, PasswordSource, Security};

impl Config {
    /// Every account's warnings, for `tern check-config`.
    pub fn warnings(&self) -> Vec<String> {
        self.accounts
            .iter()
            .flat_map(|account| self.account_warnings(account))
            .collect()
    }

    /// What is risky about connecting to `account` as configured, one sentence each.
    pub fn account_warnings(&self, account: &AccountConfig) -> Vec<String> {
        let mut warnings = Vec::new();
        let name = &account.name;
        // On the same machine nothing travels over a network.
        if account.security == Security::Plain && !is_loopback(&account.host) {
            warnings.push(format!(
                "{name}: security = \"plain\" sends the password and all mail to {} \
                 unencrypted; use \"tls\" or \"starttls\"",
                account.host
            ));
        }
        if !account.tls_verify && account.security != Security::Plain {
            warnings.push(format!(
                "{name}: tls_verify = false accepts any certificate, so whoever sits between \
                 you and {} can read the password and mail; trust the server with ca_file or \
                 cert_fingerprint instead",
                account.host
            ));
        }
        if matches!(account.password, Some(PasswordSource::Literal(_)))
            && let Some(mode) = readable_by_others(&self.path)
        {
            warnings.push(format!(
                "{name}: the password is written in {}, which other users can read (mode \
                 {mode:03o}); run `chmod 600` on it or use password_command",
                self.path.display()
            ));
        }
        warnings
    }
}

/// 127.0.0.0/8, ::1 and localhost.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The file's permission bits when another user can actually read it: the file is group or
/// world readable and every directory above it lets that group or the world through.
#[cfg(unix)]
fn readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode_of = |p: &Path| std::fs::metadata(p).ok().map(|m| m.permissions().mode());
    let path = std::fs::canonicalize(path).ok()?;
    let mode = mode_of(&path)? & 0o777;
    let (mut group, mut world) = (mode & 0o040 != 0, mode & 0o004 != 0);
    for dir in path.ancestors().skip(1) {
        let dir_mode = mode_of(dir)?;
        group &= dir_mode & 0o010 != 0;
        world &= dir_mode & 0o001 != 0;
    }
    (group || world).then_some(mode)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, account: &str, mode: u32) -> Config {
        use std::os::unix::fs::PermissionsExt;
        // Like ~/.config/tern: others may pass through.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("config.toml");
        let text = format!("[[accounts]]\nname = \"a\"\nusername = \"u\"\n{account}\n");
        std::fs::write(&path, &text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        Config::load(&path).unwrap()
    }

    #[test]
    fn plain_is_risky_only_off_this_machine() {
        let dir = tempfile::tempdir().unwrap();
        let remote = config(
            dir.path(),
            "host = \"imap.example.com\"\nsecurity = \"plain\"\npassword_command = \"x\"",
            0o600,
        );
        let warnings = remote.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("unencrypted"), "{warnings:?}");
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "localhost",
            "LocalHost",
        ] {
            let local = config(
                dir.path(),
                &format!("host = \"{host}\"\nsecurity = \"plain\"\npassword_command = \"x\""),
                0o600,
            );
            assert!(
                local.warnings().is_empty(),
                "{host}: {:?}",
                local.warnings()
            );
        }
    }

    #[test]
    fn tls_verify_off_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(
            dir.path(),
            "host = \"imap.example.com\"\ntls_verify = false\npassword_command = \"x\"",
            0o600,
        );
        let warnings = c.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("tls_verify = false"), "{warnings:?}");
    }

    #[test]
    fn a_literal_password_in_a_readable_file_is_said() {
        let dir = tempfile::tempdir().unwrap();
        for (mode, said) in [(0o600, false), (0o640, true), (0o604, true), (0o644, true)] {
            let c = config(
                dir.path(),
                "host = \"imap.example.com\"\npassword = \"hunter2\"",
                mode,
            );
            let warnings = c.warnings();
            assert_eq!(warnings.len(), usize::from(said), "{mode:o}: {warnings:?}");
            if said {
                assert!(warnings[0].contains("chmod 600"), "{warnings:?}");
                assert!(!warnings[0].contains("hunter2"), "{warnings:?}");
            }
        }
        // A private directory keeps a readable file private.
        let private = tempfile::tempdir().unwrap();
        let inner = private.path().join("tern");
        std::fs::create_dir(&inner).unwrap();
        let hidden = config(
            &inner,
            "host = \"imap.example.com\"\npassword = \"x\"",
            0o644,
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(hidden.warnings().is_empty(), "{:?}", hidden.warnings());
        let by_command = config(
            dir.path(),
            "host = \"imap.example.com\"\npassword_command = \"x\"",
            0o644,
        );
        assert!(by_command.warnings().is_empty());
    }
}
