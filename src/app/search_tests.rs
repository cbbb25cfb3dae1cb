//! Search everywhere in the model: the prompt and its errors, results as a list, server
//! hits merged, actions grouped per folder, saved views in the sidebar.

use super::testkit::{
    HOUR, both, home_source, keys, model, options, row, source, two_options, type_text,
};
use super::{Effect, FakeSource, Focus, Model, Msg};
use crate::bus::{Act, ConnState, EngineCommand, EngineEvent, OpId, ServerFound};
use crate::domain::ids::AccountId;

fn search(m: &mut Model, s: &dyn super::Sources, text: &str) -> Vec<Effect> {
    let mut fx = keys(m, s, "S");
    fx.extend(type_text(m, s, text));
    fx.extend(keys(m, s, "Enter"));
    fx
}

/// (account, folder, uid) of every result, in list order.
fn places(m: &Model) -> Vec<(usize, String, u32)> {
    let set = m.list.results.as_ref().expect("results shown");
    (0..m.list.total)
        .filter_map(|i| m.list.window.get(i))
        .map(|(row, _)| {
            let hit = set.hit(row.uid).expect("a hit per row");
            (hit.account, hit.folder.clone(), hit.row.uid)
        })
        .collect()
}

fn search_op(fx: &[Effect], account: usize) -> Option<OpId> {
    fx.iter().find_map(|e| match e {
        Effect::Engine(AccountId(a), EngineCommand::Search { op, .. }) if *a == account => {
            Some(*op)
        }
        _ => None,
    })
}

fn acts(fx: &[Effect]) -> Vec<(String, Vec<u32>, Act)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Act {
                folder, uids, act, ..
            } => Some((folder.clone(), uids.clone(), act.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_wrong_word_is_pointed_at_while_typing_and_enter_keeps_the_prompt() {
    let s = source();
    let mut m = model(&s, (100, 30));
    keys(&mut m, &s, "S");
    type_text(&mut m, &s, "from:ada frm:x");
    let error = m.search_error.clone().expect("an error while typing");
    assert_eq!(&"from:ada frm:x"[error.span.clone()], "frm:", "{error:?}");
    keys(&mut m, &s, "Enter");
    assert!(m.overlays.last().is_some(), "the prompt stays for a fix");
    assert!(m.list.results.is_none());
    assert!(m.status.error.as_deref().unwrap_or("").contains("frm"));
    // Fixing it clears the error.
    keys(
        &mut m,
        &s,
        "Backspace Backspace Backspace Backspace Backspace",
    );
    assert_eq!(m.search_error, None);
}

#[test]
fn results_span_folders_and_ask_the_server() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let fx = search(&mut m, &s, "archived or from:bot");
    assert!(m.overlays.is_empty());
    let mut found = places(&m);
    found.sort();
    assert_eq!(
        found,
        [
            (0, "Archive".to_string(), 100),
            (0, "Archive".to_string(), 101),
            (0, "Archive".to_string(), 102),
            (0, "Lists/dev".to_string(), 200),
        ]
    );
    assert!(search_op(&fx, 0).is_some(), "{fx:?}");
    assert_eq!(m.focus, Focus::List);
    // `S` again edits the last query.
    keys(&mut m, &s, "S");
    match m.overlays.last() {
        Some(super::Overlay::Prompt { input, .. }) => {
            assert_eq!(input.text, "archived or from:bot")
        }
        other => panic!("no prompt: {other:?}"),
    }
}

#[test]
fn the_list_filter_and_threads_work_on_results() {
    let s = source();
    let mut m = model(&s, (100, 30));
    search(&mut m, &s, "archived or from:bot");
    keys(&mut m, &s, "/");
    type_text(&mut m, &s, "bot");
    keys(&mut m, &s, "Enter");
    assert_eq!(places(&m), [(0, "Lists/dev".to_string(), 200)]);
    keys(&mut m, &s, "Esc Z");
    assert_eq!(m.list.total, 4);
}

#[test]
fn a_flag_on_a_result_goes_to_its_own_folder_with_its_own_uid() {
    let s = source();
    let mut m = model(&s, (100, 30));
    search(&mut m, &s, "from:bot");
    let fx = keys(&mut m, &s, "s");
    assert_eq!(
        acts(&fx),
        [(
            "Lists/dev".to_string(),
            vec![200],
            Act::Flags {
                add: vec!["\\Flagged".into()],
                remove: vec![]
            }
        )]
    );
}

#[test]
fn tagged_results_are_acted_on_once_per_folder() {
    let s = source();
    let mut m = model(&s, (100, 30));
    search(&mut m, &s, "archived or from:bot");
    keys(&mut m, &s, "Ctrl-a");
    assert_eq!(m.list.tagged.len(), 4);
    let fx = keys(&mut m, &s, "; s");
    let mut done = acts(&fx);
    done.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(done.len(), 2, "{done:?}");
    let note = m.status.note.clone().unwrap_or_default();
    assert!(
        note.starts_with("4 flagged in 2 folders · u undo"),
        "{note}"
    );
    // One key press: the second folder's part joins the first's undo (same account).
    let joins: Vec<bool> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Act { joins, .. } => Some(*joins),
            _ => None,
        })
        .collect();
    assert_eq!(joins, [false, true]);
    assert_eq!(done[0].0, "Archive");
    let mut uids = done[0].1.clone();
    uids.sort();
    assert_eq!(uids, [100, 101, 102]);
    assert_eq!(
        (done[1].0.as_str(), done[1].1.as_slice()),
        ("Lists/dev", &[200][..])
    );
    // Moving across folders: one move each, to the same place.
    keys(&mut m, &s, "Ctrl-a");
    let mut fx = Vec::new();
    m.apply_to_tagged = true;
    m.file_away(Act::Archive, &mut fx);
    assert_eq!(acts(&fx).len(), 2);
    assert!(
        matches!(
            &fx[..],
            [
                Effect::Act { joins: false, .. },
                Effect::Act { joins: true, .. }
            ]
        ),
        "{fx:?}"
    );
}

#[test]
fn the_open_result_reads_its_own_folder() {
    let s = source();
    let mut m = model(&s, (100, 30));
    search(&mut m, &s, "from:bot");
    let fx = keys(&mut m, &s, "Enter");
    let reader = m.reader.as_ref().expect("reader open");
    assert_eq!((reader.folder.as_str(), reader.uid), ("Lists/dev", 200));
    let fetch = fx.iter().any(
        |e| matches!(e, Effect::FetchBodyAfter { folder, uid: 200, .. } if folder == "Lists/dev"),
    );
    assert!(fetch, "{fx:?}");
}

#[test]
fn server_hits_merge_marked_not_cached_and_open_by_syncing_their_folder() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let fx = search(&mut m, &s, "from:bot");
    let op = search_op(&fx, 0).expect("asked the server");
    assert_eq!(m.list.results.as_ref().map(|r| r.asking), Some(1));
    let mut far = row(7, 400 * 24 * HOUR, "Bot", "old CI run", 0, 10, false, 0, 0);
    far.uidvalidity = 9;
    let found = EngineEvent::SearchFound {
        op,
        hits: vec![ServerFound {
            folder: "Lists/rust".into(),
            row: far,
            cached: false,
            gmail_id: None,
        }],
        skipped: vec![],
    };
    m.update(Msg::Engine(AccountId(0), found), &s);
    assert_eq!(m.list.total, 2);
    let set = m.list.results.clone().unwrap();
    assert_eq!(set.asking, 0);
    keys(&mut m, &s, "j");
    let row = m.list.current().cloned().unwrap();
    let hit = set.hit(row.uid).unwrap();
    assert!(!hit.cached && hit.folder == "Lists/rust");
    // Acting on it is refused (the cache has no row to change); opening syncs its folder.
    let fx = keys(&mut m, &s, "s");
    assert!(acts(&fx).is_empty());
    assert!(
        m.status
            .error
            .as_deref()
            .unwrap_or("")
            .contains("not in the cache")
    );
    let fx = keys(&mut m, &s, "Enter");
    assert!(fx.contains(&Effect::Engine(
        AccountId(0),
        EngineCommand::SelectFolder("Lists/rust".into())
    )));
    assert!(m.reader.is_none());
    // A stale answer (another op) changes nothing.
    let stale = EngineEvent::SearchFound {
        op: OpId(9999),
        hits: vec![],
        skipped: vec![],
    };
    m.update(Msg::Engine(AccountId(0), stale), &s);
    assert_eq!(m.list.total, 2);
}

#[test]
fn gmail_hits_are_one_row_per_x_gm_msgid() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let fx = search(&mut m, &s, "from:bot");
    let op = search_op(&fx, 0).expect("asked the server");
    assert_eq!(m.list.total, 1);
    let hit = |folder: &str, uid: u32, gmail_id: u64| {
        let mut row = row(uid, 400 * 24 * HOUR, "Bot", "CI run", 0, 10, false, 0, 0);
        row.message_id = Some("<ci@example.com>".into());
        ServerFound {
            folder: folder.into(),
            row,
            cached: false,
            gmail_id: Some(gmail_id),
        }
    };
    // One mail in two labels, and another mail with the same Message-ID.
    let hits = vec![
        hit("Lists/rust", 7, 42),
        hit("Archive", 3, 42),
        hit("Lists/rust", 8, 43),
    ];
    let found = EngineEvent::SearchFound {
        op,
        hits,
        skipped: vec![],
    };
    m.update(Msg::Engine(AccountId(0), found), &s);
    assert_eq!(m.list.total, 3, "{:?}", places(&m));
}

#[test]
fn offline_searches_the_cache_only_and_says_so() {
    let s = source();
    let mut m = model(&s, (100, 30));
    let offline = ConnState::Offline {
        reason: "no route".into(),
    };
    m.update(Msg::Engine(AccountId(0), EngineEvent::Conn(offline)), &s);
    let fx = search(&mut m, &s, "from:bot");
    assert_eq!(search_op(&fx, 0), None);
    assert!(m.status.note.as_deref().unwrap_or("").contains("offline"));
    assert_eq!(m.list.total, 1);
}

#[test]
fn results_follow_cache_changes_and_keep_the_cursor() {
    let mut s = source();
    let mut m = model(&s, (100, 30));
    search(&mut m, &s, "archived");
    keys(&mut m, &s, "j");
    let before = places(&m)[1].clone();
    let at = m.list.cursor;
    // The message is read elsewhere: the list shows it with its new flags.
    use super::MailSource;
    let archive = MailSource::folders(&s)
        .unwrap()
        .into_iter()
        .find(|f| f.name == "Archive")
        .unwrap()
        .id;
    s.set_flags(
        archive,
        before.2,
        super::testkit::flags(super::testkit::FLAGGED),
    );
    let changed = EngineEvent::FolderChanged {
        folder: "Archive".into(),
    };
    m.update(Msg::Engine(AccountId(0), changed), &s);
    assert_eq!(m.list.cursor, at);
    assert!(m.list.current().unwrap().flags.flagged());
}

#[test]
fn several_accounts_are_searched_and_asked() {
    let work = source();
    let home = home_source();
    let sources = both(&work, &home);
    let mut m = Model::new(two_options("work", (120, 30)), Default::default(), &sources);
    let fx = search(&mut m, &sources, "folder:INBOX is:unread");
    assert!(search_op(&fx, 0).is_some() && search_op(&fx, 1).is_some());
    let found = places(&m);
    assert!(found.iter().any(|p| p.0 == 0));
    assert!(found.iter().any(|p| p.0 == 1 && p.1 == "INBOX"));
    assert!(found.iter().all(|p| p.1 == "INBOX"));
    // An answer of the second account is merged under its own name.
    let op = search_op(&fx, 1).unwrap();
    let found = EngineEvent::SearchFound {
        op,
        hits: vec![ServerFound {
            folder: "INBOX".into(),
            row: row(50, HOUR, "Aunt", "postcard", 0, 10, false, 0, 0),
            cached: false,
            gmail_id: None,
        }],
        skipped: vec!["Family.Photos: no rights".into()],
    };
    m.update(Msg::Engine(AccountId(1), found), &sources);
    assert!(places(&m).contains(&(1, "INBOX".to_string(), 50)));
    assert!(
        m.status
            .error
            .as_deref()
            .unwrap_or("")
            .contains("no rights")
    );
}

fn unread_everywhere(s: &FakeSource) -> usize {
    use super::MailSource;
    s.folders().unwrap().iter().map(|f| f.unseen as usize).sum()
}

#[test]
fn views_show_live_counts_and_open_as_results() {
    let mut s = source();
    let mut o = options((100, 30));
    o.views = vec![
        ("Unread everywhere".into(), "is:unread".into()),
        ("Bots".into(), "from:bot".into()),
    ];
    let mut m = Model::new(o, Default::default(), &s);
    let unread = unread_everywhere(&s);
    assert!(unread > 1);
    assert_eq!(m.views.list[0].count, Some(unread));
    assert_eq!(m.views.list[1].count, Some(1));
    // A message read elsewhere: the count follows.
    let inbox = super::testkit::inbox(&s);
    let uid = 2;
    s.set_flags(inbox, uid, super::testkit::flags(super::testkit::SEEN));
    super::testkit::folder_changed(&mut m, &s);
    assert_eq!(m.views.list[0].count, Some(unread - 1));
    // Up from the top of the folders reaches the views; Enter opens one.
    keys(&mut m, &s, "Tab");
    assert_eq!(m.focus, Focus::Folders);
    keys(&mut m, &s, "g");
    for _ in 0..20 {
        keys(&mut m, &s, "k");
    }
    assert_eq!(m.views.cursor, Some(0));
    keys(&mut m, &s, "j Enter");
    assert_eq!(m.focus, Focus::List);
    assert_eq!(places(&m), [(0, "Lists/dev".to_string(), 200)]);
    // `:view NAME` does the same.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "view unread everywhere");
    keys(&mut m, &s, "Enter");
    assert_eq!(m.list.total as usize, unread - 1);
    // Opening a folder leaves the results.
    keys(&mut m, &s, ":");
    type_text(&mut m, &s, "folder Archive");
    keys(&mut m, &s, "Enter");
    assert!(m.list.results.is_none());
}

#[test]
fn a_bad_view_query_is_said_and_left_out() {
    let s = source();
    let mut o = options((100, 30));
    o.views = vec![("Broken".into(), "is:maybe".into())];
    let m = Model::new(o, Default::default(), &s);
    assert!(m.views.list.is_empty());
    assert!(m.status.error.as_deref().unwrap_or("").contains("Broken"));
}

#[test]
fn moving_tagged_results_of_two_accounts_is_refused_whole() {
    let work = source();
    let home = home_source();
    let sources = both(&work, &home);
    let mut m = Model::new(two_options("work", (120, 30)), Default::default(), &sources);
    search(&mut m, &sources, "folder:INBOX is:unread");
    keys(&mut m, &sources, "Ctrl-a");
    let mut fx = Vec::new();
    m.apply_to_tagged = true;
    m.file_away(
        Act::Move {
            to: "Archive".into(),
        },
        &mut fx,
    );
    assert!(acts(&fx).is_empty(), "{fx:?}");
    assert!(
        m.status
            .error
            .as_deref()
            .unwrap_or("")
            .contains("several accounts")
    );
    assert!(m.list.tagged.len() > 1, "the tags stay");
    // Flags are fine across accounts: one action per account's folder.
    let fx = keys(&mut m, &sources, "; s");
    let accounts: std::collections::BTreeSet<usize> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Act { account, .. } => Some(account.0),
            _ => None,
        })
        .collect();
    assert_eq!(accounts.into_iter().collect::<Vec<_>>(), [0, 1]);
}
