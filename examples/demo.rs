//! The README's first command (via scripts/demo.sh): a private Dovecot seeded with sample
//! mail, a config for it, and tern run against it. Everything lives in a temp dir that
//! goes away when the demo ends.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Corpus, SeedMessage, TestDovecot};

fn main() {
    let tern = tern_binary();
    eprintln!("demo: starting a private Dovecot on 127.0.0.1 …");
    let server = TestDovecot::start();
    let user = server.user().to_string();
    let seeded = [
        ("INBOX", Corpus::new(1, 300).recipient("alice@example.com")),
        ("Lists/dev", Corpus::new(2, 120).mailing_list(true)),
        ("Archive", Corpus::new(3, 80)),
        ("Sent", Corpus::new(4, 30)),
    ];
    for (folder, corpus) in &seeded {
        server.seed_maildir(&user, folder, corpus.iter());
    }
    server.seed_maildir(
        &user,
        "INBOX",
        [SeedMessage::text(
            9_999,
            "Welcome to tern",
            "This mailbox is a local Dovecot started by the demo.\n\
             Try: tern list, tern read UID, tern sync --watch.\n",
        )
        .with_date(now())],
    );
    let config = write_config(&server);
    let cache = server.dir().join("cache");
    let run = |args: &[&str]| {
        let status = Command::new(&tern)
            .arg("--config")
            .arg(&config)
            .arg("--cache-dir")
            .arg(&cache)
            .args(args)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("demo: `tern {}` failed", args.join(" "));
        }
    };
    eprintln!("demo: config at {}", config.display());
    println!("$ tern folders");
    run(&["folders"]);
    println!("\n$ tern sync --all");
    run(&["sync", "--all"]);
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin())
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    if interactive && !std::env::args().any(|a| a == "--keep") {
        // The full-screen reader on the demo mailbox; q (or Q) quits and stops Dovecot.
        run(&[]);
    } else {
        println!("\n$ tern list --limit 15 --threads");
        run(&["list", "--limit", "15", "--threads"]);
        let newest = Command::new(&tern)
            .arg("--config")
            .arg(&config)
            .arg("--cache-dir")
            .arg(&cache)
            .args(["list", "--limit", "1", "--json"])
            .output()
            .ok()
            .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
            .and_then(|v| v[0]["uid"].as_u64());
        if let Some(uid) = newest {
            println!("\n$ tern read {uid}");
            run(&["read", &uid.to_string()]);
        }
    }
    if std::env::args().any(|a| a == "--keep") {
        eprintln!(
            "\ndemo: Dovecot keeps running until you press Enter. In another terminal:\n  \
             {} --config {} --cache-dir {}",
            tern.display(),
            config.display(),
            cache.display()
        );
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
}

fn write_config(server: &TestDovecot) -> PathBuf {
    let path = server.dir().join("tern.toml");
    let text = format!(
        "[[accounts]]\nname = \"demo\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\n\
         username = \"{}\"\npassword = \"{}\"\nca_file = \"{}\"\n",
        server.imaps_port(),
        server.user(),
        server.password(),
        server.ca_pem_path().display()
    );
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("demo: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    // Private, as a config with a password should be (tern warns otherwise).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            eprintln!("demo: cannot make {} private: {e}", path.display());
        }
    }
    path
}

/// The tern binary next to this example (target/<profile>/tern), or $TERN_BIN.
fn tern_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TERN_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    profile_dir.join("tern")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
