//! `[[views]]`: saved searches shown in the sidebar (`name`, `query` in the search
//! language). A query that does not parse is a load error at its line, pointing at the
//! wrong word; "All inboxes" is there by default when several accounts are configured.

use toml::de::DeValue;

use super::reader::{Problems, TableReader};
use crate::domain::query::parse;

const KEYS: &[&str] = &["name", "query"];

/// The default view of a config with more than one account.
pub const ALL_INBOXES: (&str, &str) = ("All inboxes", "folder:INBOX");

/// A saved search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewConfig {
    pub name: String,
    /// Checked at load: it parses.
    pub query: String,
}

pub(super) fn read_views(
    root: &mut TableReader<'_, '_>,
    problems: &mut Problems,
) -> Vec<ViewConfig> {
    let Some(field) = root.value("views") else {
        return Vec::new();
    };
    let DeValue::Array(items) = field.value.get_ref() else {
        let found = field.value.get_ref().type_str();
        problems.at(
            &field.span,
            "views",
            format!("expected [[views]] tables, found {found}"),
        );
        return Vec::new();
    };
    let mut views: Vec<ViewConfig> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("views[{index}]");
        let DeValue::Table(table) = item.get_ref() else {
            problems.at(&item.span(), &path, "expected a table ([[views]])");
            continue;
        };
        let mut r = TableReader::new(table, path, item.span(), KEYS);
        let name = r.text("name", problems);
        let name = r.require(name, "name", problems);
        let query = r.string("query", problems);
        let query = r.require(query, "query", problems);
        if let Some(query) = &query
            && let Err(e) = parse(query.value)
        {
            let word = query.value.get(e.span.clone()).unwrap_or_default();
            let message = format!("{e}: \"{}\"", word.escape_debug());
            problems.at(&query.span, &r.key_path("query"), message);
        }
        if let Some(name) = &name
            && views.iter().any(|v| v.name == name.value)
        {
            let message = format!("duplicate view name \"{}\"", name.value.escape_debug());
            problems.at(&name.span, &r.key_path("name"), message);
        }
        r.finish(problems);
        if let (Some(name), Some(query)) = (name, query) {
            views.push(ViewConfig {
                name: name.value.to_string(),
                query: query.value.to_string(),
            });
        }
    }
    views
}

/// The configured views, with "All inboxes" first when several accounts are configured
/// and the user has not named a view so.
pub(super) fn with_defaults(mut views: Vec<ViewConfig>, accounts: usize) -> Vec<ViewConfig> {
    let (name, query) = ALL_INBOXES;
    if accounts > 1 && !views.iter().any(|v| v.name.eq_ignore_ascii_case(name)) {
        views.insert(
            0,
            ViewConfig {
                name: name.into(),
                query: query.into(),
            },
        );
    }
    views
}
