//! Folder changes from the sidebar and the `:` line, driven by key strings against
//! `FakeSource`: what is asked, what the engine is sent, and what is refused.

use super::testkit::*;
use super::*;
use crate::bus::{ConnState, FolderAction};

/// The folder request among `fx`, if exactly one.
fn folder_request(fx: &[Effect]) -> Option<(OpId, FolderAction)> {
    match fx {
        [Effect::Engine(AccountId(0), EngineCommand::Folder { op, action })] => {
            Some((*op, action.clone()))
        }
        _ => None,
    }
}

fn folder_question(m: &Model) -> Option<&str> {
    match m.overlays.last() {
        Some(Overlay::FolderConfirm(q)) => Some(&q.question),
        _ => None,
    }
}

/// The sidebar focused with the cursor on `name`.
fn sidebar_on(m: &mut Model, s: &dyn Sources, name: &str) {
    keys(m, s, "Tab");
    m.folders.select(0, name);
    assert_eq!(m.folders.current().map(|r| r.name.as_str()), Some(name));
}

fn done(m: &mut Model, s: &dyn Sources, op: OpId, summary: &str) -> Vec<Effect> {
    let event = EngineEvent::OpDone {
        op,
        summary: summary.into(),
        folders: Vec::new(),
    };
    m.update(Msg::Engine(AccountId(0), event), s)
}

#[test]
fn c_asks_a_name_under_the_cursor_folders_parent_and_creates_it() {
    let s = source();
    let mut m = model(&s, (100, 30));
    sidebar_on(&mut m, &s, "Lists/dev");
    assert!(keys(&mut m, &s, "C").is_empty());
    let Some(Overlay::FolderName(prompt)) = m.overlays.last() else {
        panic!("no name prompt: {:?}", m.overlays);
    };
    assert_eq!(prompt.input.text, "Lists/");
    type_text(&mut m, &s, "Überweisungen 日本");
    let fx = keys(&mut m, &s, "Enter");
    let (_, action) = folder_request(&fx).expect("one folder request");
    assert_eq!(
        action,
        FolderAction::Create {
            name: "Lists/Überweisungen 日本".into()
        }
    );
    assert!(m.overlays.is_empty());
    assert_eq!(
        m.status.note.as_deref(),
        Some("creating Lists/Überweisungen 日本…")
    );
    // Esc drops the prompt and sends nothing; an existing name is refused here.
    keys(&mut m, &s, "C");
    assert!(keys(&mut m, &s, "Esc").is_empty());
    assert!(m.overlays.is_empty());
    // Tab in the prompt completes what the folder names share.
    keys(&mut m, &s, "C Ctrl-u");
    type_text(&mut m, &s, "Li");
    keys(&mut m, &s, "Tab");
    let Some(Overlay::FolderName(prompt)) = m.overlays.last() else {
        panic!("no name prompt");
    };
    assert_eq!(prompt.input.text, "Lists/");
    keys(&mut m, &s, "Ctrl-u");
    type_text(&mut m, &s, "Archive");
    assert!(keys(&mut m, &s, "Enter").is_empty());
    assert_eq!(m.status.error.as_deref(), Some("Archive already exists"));
}

#[test]
fn r_renames_and_the_open_list_follows_its_folder_once_done() {
    let mut s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "folder Lists/dev");
    keys(&mut m, &s, "Enter");
    sidebar_on(&mut m, &s, "Lists/dev");
    keys(&mut m, &s, "R Ctrl-u");
    type_text(&mut m, &s, "Lists/ops");
    let fx = keys(&mut m, &s, "Enter");
    let (op, action) = folder_request(&fx).expect("one folder request");
    assert_eq!(
        action,
        FolderAction::Rename {
            from: "Lists/dev".into(),
            to: "Lists/ops".into()
        }
    );
    // The engine renamed the cache row (same id) before it answered.
    let id = m.folders.state(0, "Lists/dev").unwrap().id;
    s.folder_mut(id).unwrap().name = "Lists/ops".into();
    done(&mut m, &s, op, "renamed Lists/dev to Lists/ops");
    assert_eq!(m.list.folder.as_ref().unwrap().name, "Lists/ops");
    assert_eq!(m.list.total, 1, "the same cached messages, not refetched");
    assert_eq!(
        m.folders.current().map(|r| r.name.as_str()),
        Some("Lists/ops"),
        "the sidebar cursor follows"
    );
    assert_eq!(
        m.status.note.as_deref(),
        Some("renamed Lists/dev to Lists/ops")
    );
    // INBOX is not offered for renaming.
    m.folders.select(0, "INBOX");
    keys(&mut m, &s, "R");
    assert!(m.overlays.is_empty());
    assert_eq!(
        m.status.error.as_deref(),
        Some("INBOX cannot be renamed here")
    );
    // A folder change is not an action `u` takes back.
    keys(&mut m, &s, "Esc u");
    assert_eq!(m.status.error.as_deref(), Some("nothing to undo"));
}

#[test]
fn d_asks_saying_the_messages_and_only_y_deletes() {
    let s = source();
    let mut m = model(&s, (100, 30));
    sidebar_on(&mut m, &s, "Lists/dev");
    assert!(keys(&mut m, &s, "D").is_empty());
    assert_eq!(
        folder_question(&m),
        Some("Delete folder Lists/dev and its 1 message on the server? y/n")
    );
    assert!(keys(&mut m, &s, "n").is_empty());
    assert_eq!(m.status.note.as_deref(), Some("nothing deleted"));
    keys(&mut m, &s, "D");
    let fx = keys(&mut m, &s, "y");
    assert_eq!(
        folder_request(&fx).map(|(_, a)| a),
        Some(FolderAction::Delete {
            name: "Lists/dev".into(),
            force: false
        })
    );
}

#[test]
fn a_role_folder_is_deleted_only_with_an_explicit_force_answer() {
    let s = source();
    let mut m = model(&s, (100, 30));
    sidebar_on(&mut m, &s, "Trash");
    keys(&mut m, &s, "D");
    let question = folder_question(&m).unwrap().to_string();
    assert!(question.contains("Trash is the trash folder"), "{question}");
    assert!(question.contains("F deletes"), "{question}");
    assert!(keys(&mut m, &s, "y").is_empty(), "y is not enough");
    assert!(m.status.error.as_deref().unwrap().contains("only F"));
    keys(&mut m, &s, "D");
    let fx = keys(&mut m, &s, "F");
    assert_eq!(
        folder_request(&fx).map(|(_, a)| a),
        Some(FolderAction::Delete {
            name: "Trash".into(),
            force: true
        })
    );
    // INBOX is never offered.
    m.folders.select(0, "INBOX");
    keys(&mut m, &s, "D");
    assert!(m.overlays.is_empty());
    assert_eq!(m.status.error.as_deref(), Some("INBOX cannot be deleted"));
}

#[test]
fn a_folder_the_config_files_into_counts_as_a_role_folder() {
    let s = source();
    let mut options = options((100, 30));
    options.filing = vec![crate::config::Filing {
        archive: Some("Lists/rust".into()),
        ..Default::default()
    }];
    let mut m = Model::new(options, crate::keymap::Keymap::default(), &s);
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "rmdir Lists/rust");
    keys(&mut m, &s, "Enter");
    let question = folder_question(&m).unwrap();
    assert!(question.contains("the archive folder"), "{question}");
}

#[test]
fn offline_folder_changes_are_refused_at_once_and_nothing_is_sent() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let offline = ConnState::Offline {
        reason: "connection refused".into(),
    };
    m.update(Msg::Engine(AccountId(0), EngineEvent::Conn(offline)), &s);
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "mkdir Later");
    assert!(keys(&mut m, &s, "Enter").is_empty());
    let error = m.status.error.clone().unwrap();
    assert!(error.contains("offline"), "{error}");
    assert!(error.contains("nothing was changed"), "{error}");
}

#[test]
fn colon_commands_name_folders_with_spaces_and_complete_them_with_tab() {
    let mut s = source();
    s.add_folder("Lists/dev old", None, Some('/'));
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "mkdir Projekte/Ärger");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        folder_request(&fx).map(|(_, a)| a),
        Some(FolderAction::Create {
            name: "Projekte/Ärger".into()
        })
    );
    // OLD is the longest folder name the line starts with.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "rename Lists/dev old Lists/ancient");
    let fx = keys(&mut m, &s, "Enter");
    assert_eq!(
        folder_request(&fx).map(|(_, a)| a),
        Some(FolderAction::Rename {
            from: "Lists/dev old".into(),
            to: "Lists/ancient".into()
        })
    );
    // One name: the open folder is renamed.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "rename Eingang");
    let fx = keys(&mut m, &s, "Enter");
    assert!(fx.is_empty(), "INBOX is not renamed: {fx:?}");
    assert_eq!(
        m.status.error.as_deref(),
        Some("INBOX cannot be renamed here")
    );
    // Tab: the command, then the folder names' common start, then a unique name.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "rmd");
    keys(&mut m, &s, "Tab");
    type_text(&mut m, &s, " Li");
    keys(&mut m, &s, "Tab");
    let Some(Overlay::Command(input)) = m.overlays.last() else {
        panic!("no command line");
    };
    assert_eq!(input.text, "rmdir Lists/");
    type_text(&mut m, &s, "r");
    keys(&mut m, &s, "Tab");
    let Some(Overlay::Command(input)) = m.overlays.last() else {
        panic!("no command line");
    };
    assert_eq!(input.text, "rmdir Lists/rust");
    keys(&mut m, &s, "Enter");
    assert!(folder_question(&m).unwrap().contains("Lists/rust"));
    keys(&mut m, &s, "n");
    // After a whole first name, `:rename` completes the second.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "rename Lists/rust Lists/d");
    keys(&mut m, &s, "Tab");
    let Some(Overlay::Command(input)) = m.overlays.last() else {
        panic!("no command line");
    };
    assert_eq!(input.text, "rename Lists/rust Lists/dev");
}

#[test]
fn unsubscribed_folders_are_hidden_until_asked_for() {
    let mut s = source();
    let hidden = s.add_folder("Old/2019", None, Some('/'));
    s.folder_mut(hidden).unwrap().subscribed = false;
    // A role folder shows whether subscribed or not.
    let trash = s
        .folders()
        .unwrap()
        .iter()
        .find(|f| f.name == "Trash")
        .unwrap()
        .id;
    s.folder_mut(trash).unwrap().subscribed = false;
    let mut m = model(&s, (100, 40));
    let names =
        |m: &Model| -> Vec<String> { m.folders.rows.iter().map(|r| r.name.clone()).collect() };
    assert!(!names(&m).contains(&"Old/2019".to_string()));
    assert!(names(&m).contains(&"Trash".to_string()));
    keys(&mut m, &s, "Tab A");
    assert!(names(&m).contains(&"Old/2019".to_string()));
    assert_eq!(
        m.status.note.as_deref(),
        Some("showing every folder; A: subscribed only")
    );
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "folders subscribed");
    keys(&mut m, &s, "Enter");
    assert!(!names(&m).contains(&"Old/2019".to_string()));
    assert_eq!(
        m.status.note.as_deref(),
        Some("showing subscribed folders; 1 hidden (A shows all)")
    );
    // `s` subscribes to the folder under the cursor (shown with `:folders all`).
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "folders all");
    keys(&mut m, &s, "Enter");
    m.folders.select(0, "Old/2019");
    let fx = keys(&mut m, &s, "s");
    assert_eq!(
        folder_request(&fx).map(|(_, a)| a),
        Some(FolderAction::Subscribe {
            name: "Old/2019".into()
        })
    );
}

#[test]
fn a_failed_folder_change_says_the_servers_reason() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "mkdir Bad");
    let fx = keys(&mut m, &s, "Enter");
    let (op, _) = folder_request(&fx).unwrap();
    let failed = EngineEvent::OpFailed {
        op,
        kind: crate::bus::ErrorKind::Refused,
        message: "Mailbox name too long".into(),
    };
    m.update(Msg::Engine(AccountId(0), failed), &s);
    assert_eq!(m.status.error.as_deref(), Some("Mailbox name too long"));
    assert!(m.folder_requests.is_empty());
}
