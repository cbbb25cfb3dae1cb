//! Snapshots of search: a result list across folders with one hit only the server has,
//! saved views above the folders, and the query prompt pointing at a wrong word.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::testkit::{HOUR, keys, options, row, source, type_text};
use crate::app::{Effect, Model, Msg};
use crate::bus::{EngineCommand, EngineEvent, ServerFound};
use crate::domain::ids::AccountId;
use crate::theme::Theme;

fn draw(m: &Model) -> Terminal<TestBackend> {
    let theme = Theme::builtin("default").unwrap();
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| super::render(m, &theme, f)).unwrap();
    for cell in t.backend().buffer().content() {
        assert!(!cell.symbol().chars().any(|c| c.is_control()));
    }
    t
}

#[test]
fn result_list_with_folders_views_and_a_server_hit() {
    let s = source();
    let mut o = options((110, 16));
    o.views = vec![
        ("Unread everywhere".into(), "is:unread".into()),
        ("Bots".into(), "from:bot".into()),
    ];
    let mut m = Model::new(o, Default::default(), &s);
    let mut fx = keys(&mut m, &s, "S");
    fx.extend(type_text(&mut m, &s, "archived or from:bot"));
    fx.extend(keys(&mut m, &s, "Enter"));
    let op = fx
        .iter()
        .find_map(|e| match e {
            Effect::Engine(_, EngineCommand::Search { op, .. }) => Some(*op),
            _ => None,
        })
        .unwrap();
    let found = EngineEvent::SearchFound {
        op,
        hits: vec![ServerFound {
            folder: "Lists/rust".into(),
            row: row(7, 30 * HOUR, "Bot", "nightly archived", 0, 900, false, 0, 0),
            cached: false,
            gmail_id: None,
        }],
        skipped: vec![],
    };
    m.update(Msg::Engine(AccountId(0), found), &s);
    keys(&mut m, &s, "j t");
    let t = draw(&m);
    let text = format!("{:?}", t.backend());
    assert!(text.contains("Search: archived or from:bot"), "{text}");
    assert!(text.contains("↓Lists/rust"), "{text}");
    assert!(text.contains(" Archive"), "{text}");
    assert!(text.contains("Unread every"), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_prompt_marks_the_wrong_word() {
    let s = source();
    let mut m = crate::app::testkit::model(&s, (100, 8));
    keys(&mut m, &s, "S");
    type_text(&mut m, &s, "is:unread before:yesterday");
    let t = draw(&m);
    let text = format!("{:?}", t.backend());
    assert!(
        text.contains("Search: is:unread before:yesterday"),
        "{text}"
    );
    assert!(text.contains("✗"), "{text}");
    insta::assert_snapshot!(t.backend());
}
