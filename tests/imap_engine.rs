//! The IMAP engine against a real Dovecot: every connection mode, every command the issue
//! lists, pushes during commands and IDLE, and the failure modes a user meets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Corpus, DovecotOptions, SeedMessage, TestDovecot};
use tern::domain::secret::Secret;
use tern::imap::auth::{AuthMethod, Credentials};
use tern::imap::{
    Code, ConnectOptions, ErrorKind, FetchItem, ImapClient, QresyncParams, Role, Security,
    StoreMode, Update, discard,
};

fn creds(server: &TestDovecot) -> Credentials {
    Credentials::Password {
        username: server.user().to_string(),
        password: Secret::new(server.password().to_string()),
    }
}

fn plain(server: &TestDovecot) -> ConnectOptions {
    let mut options = ConnectOptions::new("127.0.0.1", server.imap_port(), Security::Plain);
    options.timeout = Duration::from_secs(20);
    options
}

async fn login(server: &TestDovecot) -> ImapClient {
    ImapClient::login(&plain(server), &creds(server), AuthMethod::Auto)
        .await
        .expect("login")
}

/// Collects every update a command produced.
fn recorder() -> (Arc<Mutex<Vec<Update>>>, impl FnMut(Update)) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink_seen = seen.clone();
    (seen, move |u| sink_seen.lock().unwrap().push(u))
}

#[tokio::test]
async fn plain_login_refreshes_capabilities_and_enables_extensions() {
    let server = TestDovecot::start();
    let mut client = ImapClient::connect(&plain(&server)).await.unwrap();
    assert!(
        !client.has_capability("QRESYNC"),
        "pre-login caps: {:?}",
        client.capabilities()
    );
    client
        .authenticate(&creds(&server), AuthMethod::Auto)
        .await
        .unwrap();
    assert!(
        client.has_capability("QRESYNC"),
        "post-login caps: {:?}",
        client.capabilities()
    );
    client.setup().await.unwrap();
    assert!(client.is_enabled("QRESYNC"));
    assert!(
        client.is_compressed(),
        "COMPRESS=DEFLATE is offered by the test server"
    );
    assert!(!client.is_tls());
    client.noop(&mut discard()).await.unwrap();
    client.logout().await.unwrap();
}

#[tokio::test]
async fn login_and_authenticate_plain_with_and_without_sasl_ir() {
    let server = TestDovecot::start();
    for method in [AuthMethod::Login, AuthMethod::Plain] {
        let mut client = ImapClient::login(&plain(&server), &creds(&server), method)
            .await
            .unwrap_or_else(|e| panic!("{method:?}: {e}"));
        client.noop(&mut discard()).await.unwrap();
    }
    let no_ir = TestDovecot::start_with(DovecotOptions::default().without_caps(&["SASL-IR"]));
    let mut client = ImapClient::connect(&plain(&no_ir)).await.unwrap();
    assert!(!client.has_capability("SASL-IR"));
    client
        .authenticate(&creds(&no_ir), AuthMethod::Plain)
        .await
        .unwrap();
    client.noop(&mut discard()).await.unwrap();
}

#[tokio::test]
async fn implicit_tls_and_starttls_verify_against_the_ca_file() {
    let server = TestDovecot::start();
    let mut tls = ConnectOptions::new("127.0.0.1", server.imaps_port(), Security::Tls);
    tls.tls.ca_file = Some(server.ca_pem_path());
    let mut client = ImapClient::login(&tls, &creds(&server), AuthMethod::Auto)
        .await
        .unwrap();
    assert!(client.is_tls());
    assert_eq!(client.list(&mut discard()).await.unwrap().len(), 6);

    let mut starttls = ConnectOptions::new("127.0.0.1", server.imap_port(), Security::StartTls);
    starttls.tls.ca_file = Some(server.ca_pem_path());
    let mut client = ImapClient::login(&starttls, &creds(&server), AuthMethod::Auto)
        .await
        .unwrap();
    assert!(client.is_tls());
    assert!(
        !client.has_capability("STARTTLS"),
        "capabilities refreshed after STARTTLS"
    );
    client.noop(&mut discard()).await.unwrap();
}

#[tokio::test]
async fn untrusted_certificates_are_refused_unless_the_account_opts_out() {
    let server = TestDovecot::start();
    for ca in [None, Some(server.other_ca_pem_path())] {
        let mut tls = ConnectOptions::new("127.0.0.1", server.imaps_port(), Security::Tls);
        tls.tls.ca_file = ca;
        let err = ImapClient::login(&tls, &creds(&server), AuthMethod::Auto)
            .await
            .err()
            .expect("an untrusted certificate must fail");
        assert_eq!(err.kind, ErrorKind::Tls, "{err}");
        assert!(err.message.contains("certificate"), "{err}");
    }
    let mut opted_out = ConnectOptions::new("127.0.0.1", server.imaps_port(), Security::Tls);
    opted_out.tls.verify = false;
    let client = ImapClient::login(&opted_out, &creds(&server), AuthMethod::Auto).await;
    assert!(client.is_ok());
}

#[tokio::test]
async fn wrong_password_and_unreachable_host_are_typed_errors() {
    let server = TestDovecot::start();
    let wrong = Credentials::Password {
        username: server.user().to_string(),
        password: Secret::new("wrong".into()),
    };
    let err = ImapClient::login(&plain(&server), &wrong, AuthMethod::Auto)
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::Auth, "{err}");
    assert!(
        !err.message.contains("wrong"),
        "the password never appears: {err}"
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let closed = ConnectOptions::new("127.0.0.1", port, Security::Plain);
    let err = ImapClient::login(&closed, &creds(&server), AuthMethod::Auto)
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::Network, "{err}");
}

#[tokio::test]
async fn list_reports_special_use_roles_and_the_delimiter() {
    let server = TestDovecot::start();
    let mut client = login(&server).await;
    client.create("Lists/dev", &mut discard()).await.unwrap();
    client.create("Entwürfe", &mut discard()).await.unwrap();
    let entries = client.list(&mut discard()).await.unwrap();
    let role = |name: &str| {
        entries
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.role())
    };
    assert_eq!(role("INBOX"), Some(Role::Inbox));
    assert_eq!(role("Sent"), Some(Role::Sent));
    assert_eq!(role("Drafts"), Some(Role::Drafts));
    assert_eq!(role("Trash"), Some(Role::Trash));
    assert_eq!(role("Junk"), Some(Role::Junk));
    assert_eq!(role("Archive"), Some(Role::Archive));
    assert!(
        entries
            .iter()
            .any(|e| e.name == "Lists/dev" && e.delimiter == Some('/'))
    );
    assert!(
        entries.iter().any(|e| e.name == "Entwürfe"),
        "modified UTF-7 decoded"
    );
    let status = client.status("Entwürfe", &mut discard()).await.unwrap();
    assert_eq!(status.messages, Some(0));
}

#[tokio::test]
async fn status_and_select_report_the_mailbox_state() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "one", "a").with_flags(&["\\Seen"]),
            SeedMessage::text(2, "two", "b"),
            SeedMessage::text(3, "three", "c"),
        ],
    );
    let mut client = login(&server).await;
    let status = client.status("INBOX", &mut discard()).await.unwrap();
    assert_eq!(status.messages, Some(3));
    assert_eq!(status.unseen, Some(2));
    assert_eq!(status.uid_next, Some(4));
    assert!(status.uid_validity.is_some());
    assert!(status.highest_modseq.is_some());

    let info = client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    assert_eq!(info.exists, 3);
    assert_eq!(info.uid_next, Some(4));
    assert_eq!(info.uid_validity, status.uid_validity);
    assert!(info.highest_modseq.is_some());
    assert!(!info.read_only);
    assert!(info.permanent_flags.iter().any(|f| f == "\\Seen"));

    let examined = client
        .select("INBOX", true, None, &mut discard())
        .await
        .unwrap();
    assert!(examined.read_only);
}

#[tokio::test]
async fn qresync_select_reports_changes_and_vanished_uids() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        (1..=5).map(|n| SeedMessage::text(n, &format!("m{n}"), "x")),
    );
    let mut client = login(&server).await;
    let first = client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    let modseq = first.highest_modseq.unwrap();
    let validity = first.uid_validity.unwrap();
    client
        .select("Sent", true, None, &mut discard())
        .await
        .unwrap();

    let mut other = server.raw_login(server.user());
    other.select("INBOX").unwrap();
    other.command_ok("UID STORE 2 +FLAGS (\\Flagged)").unwrap();
    other.command_ok("UID STORE 4 +FLAGS (\\Deleted)").unwrap();
    other.command_ok("EXPUNGE").unwrap();

    let (seen, mut sink) = recorder();
    let params = QresyncParams {
        uid_validity: validity,
        modseq,
        known_uids: Some((1..=5).collect()),
    };
    let info = client
        .select("INBOX", false, Some(&params), &mut sink)
        .await
        .unwrap();
    assert_eq!(info.exists, 4);
    let seen = seen.lock().unwrap();
    let vanished: Vec<u32> = seen
        .iter()
        .filter_map(|u| match u {
            Update::Vanished {
                earlier: true,
                uids,
            } => Some(uids.iter().collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(vanished, vec![4]);
    let flagged = seen.iter().any(|u| matches!(u, Update::Fetch(f)
        if f.uid == Some(2) && f.flags.as_ref().is_some_and(|fl| fl.iter().any(|x| x == "\\Flagged"))));
    assert!(flagged, "changed flags of UID 2 reported: {seen:?}");
}

#[tokio::test]
async fn uid_fetch_streams_every_message_with_decoded_headers() {
    let server = TestDovecot::start();
    let corpus = Corpus::new(7, 500);
    server.seed_maildir(server.user(), "INBOX", corpus.iter());
    let mut client = login(&server).await;
    client
        .select("INBOX", true, None, &mut discard())
        .await
        .unwrap();
    let mut fetched = Vec::new();
    let items = [
        FetchItem::Uid,
        FetchItem::Flags,
        FetchItem::InternalDate,
        FetchItem::Size,
        FetchItem::ModSeq,
        FetchItem::Envelope,
        FetchItem::HeaderFields(vec!["References".into(), "Subject".into()]),
    ];
    client
        .uid_fetch("1:*", &items, None, &mut |u| {
            if let Update::Fetch(f) = u {
                fetched.push(f);
            }
        })
        .await
        .unwrap();
    assert_eq!(fetched.len(), 500);
    let uids: Vec<u32> = fetched.iter().filter_map(|f| f.uid).collect();
    assert_eq!(uids, (1..=500).collect::<Vec<_>>());
    assert!(
        fetched
            .iter()
            .all(|f| f.size.is_some() && f.internal_date.is_some())
    );
    assert!(
        fetched
            .iter()
            .all(|f| f.modseq.is_some() && f.header.is_some())
    );
    // Subjects arrive RFC 2047-decoded: none of the corpus' encoded words survive.
    let encoded = fetched
        .iter()
        .filter_map(|f| f.envelope.as_ref()?.subject.as_ref())
        .filter(|s| s.contains("=?utf-8?") || s.contains("=?UTF-8?"))
        .count();
    assert_eq!(encoded, 0);
    let non_ascii = fetched
        .iter()
        .filter_map(|f| f.envelope.as_ref()?.subject.as_ref())
        .filter(|s| !s.is_ascii())
        .count();
    assert!(
        non_ascii > 0,
        "the corpus has encoded subjects that decode to non-ASCII"
    );
}

#[tokio::test]
async fn full_body_fetch_does_not_set_seen() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        [SeedMessage::text(1, "peek", "body text")],
    );
    let mut client = login(&server).await;
    client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    let mut body = None;
    client
        .uid_fetch(
            "1",
            &[FetchItem::Uid, FetchItem::FullBody],
            None,
            &mut |u| {
                if let Update::Fetch(f) = u {
                    body = f.body.clone();
                }
            },
        )
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body.unwrap()).contains("body text"));
    let mut other = server.raw_login(server.user());
    other.select("INBOX").unwrap();
    let flags = other.fetch_flags().unwrap();
    assert!(
        !flags[&1].iter().any(|f| f == "\\Seen"),
        "BODY.PEEK leaves \\Seen alone"
    );
}

#[tokio::test]
async fn uid_store_flags_keywords_and_unchangedsince() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        (1..=3).map(|n| SeedMessage::text(n, "s", "x")),
    );
    let mut client = login(&server).await;
    let info = client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    let stale = info.highest_modseq.unwrap();
    client
        .uid_store(
            "1:2",
            StoreMode::Add,
            &["\\Seen".into(), "Work".into()],
            None,
            &mut discard(),
        )
        .await
        .unwrap();
    client
        .uid_store(
            "2",
            StoreMode::Remove,
            &["Work".into()],
            None,
            &mut discard(),
        )
        .await
        .unwrap();
    // UID 1 changed after `stale`, so a conditional store must refuse it.
    let modified = client
        .uid_store(
            "1,3",
            StoreMode::Add,
            &["\\Flagged".into()],
            Some(stale),
            &mut discard(),
        )
        .await
        .unwrap();
    assert!(modified.contains(1), "{modified:?}");
    assert!(!modified.contains(3));

    let mut other = server.raw_login(server.user());
    other.select("INBOX").unwrap();
    let flags = other.fetch_flags().unwrap();
    let has = |uid: u32, f: &str| flags[&uid].iter().any(|x| x == f);
    assert!(has(1, "\\Seen") && has(1, "Work") && !has(1, "\\Flagged"));
    assert!(has(2, "\\Seen") && !has(2, "Work"));
    assert!(has(3, "\\Flagged"));
}

#[tokio::test]
async fn copy_and_move_report_copyuid() {
    let server = TestDovecot::start();
    server.seed_maildir(
        server.user(),
        "INBOX",
        (1..=4).map(|n| SeedMessage::text(n, "s", "x")),
    );
    let mut client = login(&server).await;
    client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    let copied = client
        .uid_copy("1:2", "Archive", &mut discard())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copied.pairs(), vec![(1, 1), (2, 2)]);
    let (seen, mut sink) = recorder();
    let moved = client
        .uid_move("3", "Archive", &mut sink)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.pairs(), vec![(3, 3)]);
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|u| matches!(u, Update::Vanished { .. } | Update::Expunge { .. }))
    );

    let mut other = server.raw_login(server.user());
    other.select("INBOX").unwrap();
    assert_eq!(other.uid_search_all().unwrap(), vec![1, 2, 4]);
    other.select("Archive").unwrap();
    assert_eq!(other.uid_search_all().unwrap(), vec![1, 2, 3]);
}

#[tokio::test]
async fn move_without_the_move_capability_falls_back_safely() {
    let server =
        TestDovecot::start_with(DovecotOptions::default().without_caps(&["MOVE", "UIDPLUS"]));
    server.seed_maildir(
        server.user(),
        "INBOX",
        [
            SeedMessage::text(1, "keep", "x").with_flags(&["\\Deleted"]),
            SeedMessage::text(2, "move me", "x"),
            SeedMessage::text(3, "keep too", "x"),
        ],
    );
    let mut client = login(&server).await;
    assert!(!client.has_capability("MOVE"));
    client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    client
        .uid_move("2", "Archive", &mut discard())
        .await
        .unwrap();

    let mut other = server.raw_login(server.user());
    other.select("INBOX").unwrap();
    assert_eq!(
        other.uid_search_all().unwrap(),
        vec![1, 3],
        "only UID 2 left INBOX"
    );
    let flags = other.fetch_flags().unwrap();
    assert!(
        flags[&1].iter().any(|f| f == "\\Deleted"),
        "bystander keeps its \\Deleted"
    );
    other.select("Archive").unwrap();
    assert_eq!(other.uid_search_all().unwrap().len(), 1);
}

#[tokio::test]
async fn uid_expunge_removes_only_the_named_messages_with_and_without_uidplus() {
    for without in [&[][..], &["UIDPLUS"][..]] {
        let server = TestDovecot::start_with(DovecotOptions::default().without_caps(without));
        server.seed_maildir(
            server.user(),
            "INBOX",
            [
                SeedMessage::text(1, "a", "x").with_flags(&["\\Deleted"]),
                SeedMessage::text(2, "b", "x").with_flags(&["\\Deleted"]),
                SeedMessage::text(3, "c", "x"),
                SeedMessage::text(4, "d", "x").with_flags(&["\\Deleted", "\\Seen"]),
            ],
        );
        let mut client = login(&server).await;
        assert_eq!(client.has_capability("UIDPLUS"), without.is_empty());
        client
            .select("INBOX", false, None, &mut discard())
            .await
            .unwrap();
        client.uid_expunge("2", &mut discard()).await.unwrap();

        let mut other = server.raw_login(server.user());
        other.select("INBOX").unwrap();
        assert_eq!(
            other.uid_search_all().unwrap(),
            vec![1, 3, 4],
            "without {without:?}"
        );
        let flags = other.fetch_flags().unwrap();
        assert!(flags[&1].iter().any(|f| f == "\\Deleted"));
        assert!(flags[&4].iter().any(|f| f == "\\Deleted"));
    }
}

#[tokio::test]
async fn append_returns_appenduid_and_trycreate_is_reported() {
    let server = TestDovecot::start();
    let mut client = login(&server).await;
    let raw = SeedMessage::text(9, "appended", "hello").raw;
    let (validity, uid) = client
        .append(
            "Drafts",
            &["\\Draft".into()],
            Some(1_700_000_000),
            &raw,
            &mut discard(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(uid, 1);
    let status = client.status("Drafts", &mut discard()).await.unwrap();
    assert_eq!(status.uid_validity, Some(validity));
    assert_eq!(status.messages, Some(1));

    let err = client
        .append("Missing", &[], None, &raw, &mut discard())
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::Command);
    assert_eq!(err.code, Some(Code::TryCreate));
    // The connection is still usable for the CREATE that follows.
    client.create("Missing", &mut discard()).await.unwrap();
    client
        .append("Missing", &[], None, &raw, &mut discard())
        .await
        .unwrap();
}

#[tokio::test]
async fn id_is_answered() {
    let server = TestDovecot::start();
    let mut client = login(&server).await;
    let (seen, mut sink) = recorder();
    client.id(&mut sink).await.unwrap();
    let seen = seen.lock().unwrap();
    let name = seen.iter().find_map(|u| match u {
        Update::Id(fields) => fields
            .iter()
            .find(|(k, _)| k == "name")
            .and_then(|(_, v)| v.clone()),
        _ => None,
    });
    assert_eq!(name.as_deref(), Some("Dovecot"));
}

#[tokio::test]
async fn pushes_during_any_command_reach_the_sink_in_order() {
    let server = TestDovecot::start();
    let mut client = login(&server).await;
    client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    let mut other = server.raw_login(server.user());
    other
        .append("INBOX", &[], &SeedMessage::text(1, "pushed", "x").raw)
        .unwrap();
    other
        .append("INBOX", &[], &SeedMessage::text(2, "pushed", "x").raw)
        .unwrap();
    let (seen, mut sink) = recorder();
    client.noop(&mut sink).await.unwrap();
    let exists: Vec<u32> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|u| match u {
            Update::Exists(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(exists.last(), Some(&2), "{exists:?}");
}

/// Another client appends one message to INBOX after `delay`.
fn append_later(server: &TestDovecot, delay: Duration) -> std::thread::JoinHandle<()> {
    let port = server.imap_port();
    let user = server.user().to_string();
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let mut other = support::RawImap::connect_login(port, &user, "password").unwrap();
        other
            .append("INBOX", &[], &SeedMessage::text(1, "new mail", "x").raw)
            .unwrap();
    })
}

/// IDLEs on INBOX (renewed every `refresh`) until the first EXISTS; returns the EXISTS
/// counts seen. Bounded, so a broken IDLE fails the test instead of hanging it.
async fn idle_until_exists(client: &mut ImapClient, refresh: Duration) -> Vec<u32> {
    let arrived = Arc::new(tokio::sync::Notify::new());
    let signal = arrived.clone();
    let mut exists = Vec::new();
    let mut sink = |u| {
        if let Update::Exists(n) = u {
            exists.push(n);
            signal.notify_one();
        }
    };
    let idle = client.idle(&mut sink, arrived.notified(), refresh);
    tokio::time::timeout(Duration::from_secs(30), idle)
        .await
        .unwrap()
        .unwrap();
    exists
}

#[tokio::test]
async fn idle_receives_exists_when_another_client_appends() {
    let server = TestDovecot::start();
    let mut client = login(&server).await;
    client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    let appender = append_later(&server, Duration::from_millis(300));
    let exists = idle_until_exists(&mut client, Duration::from_secs(540)).await;
    appender.join().unwrap();
    assert_eq!(exists, vec![1]);
    // After DONE the connection takes commands again.
    client.noop(&mut discard()).await.unwrap();
}

#[tokio::test]
async fn idle_is_renewed_and_keeps_delivering() {
    let server = TestDovecot::start();
    let mut client = login(&server).await;
    client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    // Lands after several renewals of a 100 ms IDLE.
    let appender = append_later(&server, Duration::from_millis(700));
    let exists = idle_until_exists(&mut client, Duration::from_millis(100)).await;
    appender.join().unwrap();
    assert_eq!(exists, vec![1]);
}

#[tokio::test]
async fn server_disconnect_during_idle_is_reported() {
    let server = TestDovecot::start();
    let mut client = login(&server).await;
    client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    let kicker = {
        let conf = server.config_path();
        let user = server.user().to_string();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            std::process::Command::new("doveadm")
                .args(["-c", conf.to_str().unwrap(), "kick", &user])
                .output()
                .unwrap()
        })
    };
    let never = std::future::pending::<()>();
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        client.idle(&mut |_| {}, never, Duration::from_secs(540)),
    )
    .await
    .expect("a kicked IDLE must end, not hang");
    kicker.join().unwrap();
    let err = result.expect_err("the disconnect is an error");
    assert!(
        matches!(err.kind, ErrorKind::Bye | ErrorKind::Network),
        "{err:?}"
    );
    // Every later command fails fast too.
    assert!(client.noop(&mut discard()).await.is_err());
}

#[tokio::test]
async fn without_compress_the_link_stays_plain() {
    let server =
        TestDovecot::start_with(DovecotOptions::default().without_caps(&["COMPRESS=DEFLATE"]));
    let client = login(&server).await;
    assert!(!client.is_compressed());
}

#[tokio::test]
async fn compressed_link_carries_a_large_fetch() {
    let server = TestDovecot::start();
    server.seed_maildir(server.user(), "INBOX", Corpus::new(3, 300).iter());
    let mut client = login(&server).await;
    assert!(client.is_compressed());
    client
        .select("INBOX", true, None, &mut discard())
        .await
        .unwrap();
    let mut bodies = 0;
    client
        .uid_fetch(
            "1:*",
            &[FetchItem::Uid, FetchItem::FullBody],
            None,
            &mut |u| {
                if matches!(&u, Update::Fetch(f) if f.body.as_ref().is_some_and(|b| !b.is_empty()))
                {
                    bodies += 1;
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(bodies, 300);
}

#[tokio::test]
async fn plain_resync_without_qresync_maps_expunges_to_uids() {
    let server =
        TestDovecot::start_with(DovecotOptions::default().without_caps(&["QRESYNC", "CONDSTORE"]));
    server.seed_maildir(
        server.user(),
        "INBOX",
        (1..=4).map(|n| SeedMessage::text(n, "s", "x")),
    );
    let mut client = login(&server).await;
    assert!(!client.is_enabled("QRESYNC"));
    let info = client
        .select("INBOX", false, None, &mut discard())
        .await
        .unwrap();
    assert_eq!(info.highest_modseq, None);
    client.map_sequence_numbers(&mut discard()).await.unwrap();
    assert!(client.seq_map_complete());
    let mut other = server.raw_login(server.user());
    other.select("INBOX").unwrap();
    other
        .command_ok("UID STORE 2,3 +FLAGS (\\Deleted)")
        .unwrap();
    other.command_ok("EXPUNGE").unwrap();
    let (seen, mut sink) = recorder();
    client.noop(&mut sink).await.unwrap();
    let mut gone: Vec<u32> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|u| match u {
            Update::Expunge { uid, .. } => *uid,
            _ => None,
        })
        .collect();
    gone.sort_unstable();
    assert_eq!(gone, vec![2, 3]);
}
