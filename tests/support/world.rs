//! Test fixtures shaped like real accounts rather than one tidy flat folder list: parents
//! that are only parents (`\Noselect`), a Gmail-shaped tree with special-use folders under
//! `[Gmail]`, non-ASCII names, an empty folder, and a folder another client deletes while
//! tern is running.
//!
//! On Dovecot's Maildir++ layout a folder `Clients/acme` with no `Clients` of its own makes
//! LIST report `Clients` as `\Noselect \HasChildren`, exactly what `CREATE Clients/acme`
//! leaves behind on many servers.

use super::{DovecotOptions, SeedMessage, TestDovecot};

/// `\Noselect` parent with two children, and a selectable parent with a child.
pub const HIERARCHY: &[&str] = &[
    "Clients/acme",
    "Clients/globex",
    "Projects",
    "Projects/2026",
];
/// Only a parent: LIST says `\Noselect`.
pub const NOSELECT_PARENT: &str = "Clients";

/// The Gmail tree (`[Gmail]` itself is `\Noselect`), with its special-use attributes.
pub const GMAIL: &[(&str, &str)] = &[
    ("[Gmail]/All Mail", "\\All"),
    ("[Gmail]/Sent Mail", "\\Sent"),
    ("[Gmail]/Trash", "\\Trash"),
    ("[Gmail]/Drafts", "\\Drafts"),
    ("[Gmail]/Spam", "\\Junk"),
];
pub const GMAIL_PARENT: &str = "[Gmail]";

/// Names that need modified UTF-7 on the wire; one is under a `\Noselect` parent.
pub const NON_ASCII: &[&str] = &["Reçus/Été", "日本語", "Входящие"];
pub const NON_ASCII_PARENT: &str = "Reçus";

/// A folder with no messages at all.
pub const EMPTY: &str = "Empty";

/// Dovecot set up like Gmail: special-use on the `[Gmail]/...` folders and none on the
/// default `Sent`, `Trash`, ... (which are then not auto-created either).
pub fn gmail_options() -> DovecotOptions {
    let mut conf = String::from("namespace inbox {\n");
    for name in ["Drafts", "Sent", "Trash", "Junk", "Archive"] {
        conf.push_str(&format!(
            "  mailbox {name} {{\n    special_use =\n    auto = no\n  }}\n"
        ));
    }
    for (name, attr) in GMAIL {
        conf.push_str(&format!(
            "  mailbox \"{name}\" {{\n    special_use = {attr}\n  }}\n"
        ));
    }
    conf.push_str("}\n");
    DovecotOptions::default().extra_config(&conf)
}

/// One message whose subject names its folder, so a test can tell where it landed.
pub fn note(n: u64, folder: &str) -> SeedMessage {
    SeedMessage::text(
        n,
        &format!("in {folder}"),
        &format!("a message filed in {folder}"),
    )
}

/// INBOX with one message, plus `folders`, each with one message (or none for `EMPTY`).
pub fn seed(server: &TestDovecot, folders: &[&str]) {
    let user = server.user().to_string();
    server.seed_maildir(&user, "INBOX", [note(1, "INBOX")]);
    for (i, folder) in folders.iter().enumerate() {
        let messages: Vec<SeedMessage> = if *folder == EMPTY {
            Vec::new()
        } else {
            vec![note(100 + i as u64, folder)]
        };
        server.seed_maildir(&user, folder, messages);
    }
}

/// The folder hierarchy with a `\Noselect` parent, an empty folder and non-ASCII names.
pub fn seed_tree(server: &TestDovecot) {
    let mut folders: Vec<&str> = HIERARCHY.to_vec();
    folders.extend_from_slice(NON_ASCII);
    folders.push(EMPTY);
    seed(server, &folders);
}

/// The Gmail folders (start the server with `gmail_options()`).
pub fn seed_gmail(server: &TestDovecot) {
    let folders: Vec<&str> = GMAIL.iter().map(|(name, _)| *name).collect();
    seed(server, &folders);
}

/// Another client deletes `folder` (as a user would in webmail).
pub fn delete_folder(server: &TestDovecot, folder: &str) {
    server.doveadm(&["mailbox", "delete", "-u", server.user(), folder]);
}

/// The LIST reply a plain client sees, for failure messages and shape checks.
pub fn list(server: &TestDovecot) -> Vec<String> {
    let mut raw = server.raw_login(server.user());
    raw.command_ok("LIST \"\" \"*\"")
        .unwrap()
        .into_iter()
        .filter(|l| l.starts_with("* LIST"))
        .collect()
}
