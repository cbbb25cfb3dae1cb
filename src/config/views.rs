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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, ConfigError};

    const FILE: &str = "/cfg/config.toml";

    fn account(name: &str) -> String {
        format!(
            "[[accounts]]\nname = \"{name}\"\nhost = \"h\"\nusername = \"u\"\npassword_command = \"x\"\n"
        )
    }

    fn parse(text: &str) -> Result<Config, Vec<String>> {
        match super::super::load::parse(text, Path::new(FILE), None) {
            Ok(config) => Ok(config),
            Err(ConfigError::Invalid { problems, .. }) => {
                Err(problems.iter().map(|p| p.render(Path::new(FILE))).collect())
            }
            Err(other) => Err(vec![other.to_string()]),
        }
    }

    #[test]
    fn views_are_read_in_order() {
        let text = format!(
            "{}[[views]]\nname = \"Unread everywhere\"\nquery = \"is:unread\"\n\n[[views]]\nname = \"Bots\"\nquery = 'from:bot or subject:\"CI run\"'\n",
            account("a")
        );
        let config = parse(&text).unwrap();
        let names: Vec<(&str, &str)> = config
            .views
            .iter()
            .map(|v| (v.name.as_str(), v.query.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("Unread everywhere", "is:unread"),
                ("Bots", "from:bot or subject:\"CI run\"")
            ]
        );
    }

    #[test]
    fn a_bad_query_is_an_error_at_its_line_naming_the_word() {
        let text = format!(
            "{}\n[[views]]\nname = \"Broken\"\nquery = \"is:unread frm:ada\"\n",
            account("a")
        );
        let problems = parse(&text).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(&format!("{FILE}:9: views[0].query: unknown field")),
            "{problems:?}"
        );
        assert!(problems[0].contains("\"frm:\""), "{problems:?}");
    }

    #[test]
    fn missing_keys_unknown_keys_and_duplicates_are_reported() {
        let text = format!(
            "{}[[views]]\nname = \"A\"\n\n[[views]]\nname = \"B\"\nquery = \"x\"\ncolour = 1\n\n[[views]]\nname = \"B\"\nquery = \"y\"\n",
            account("a")
        );
        let problems = parse(&text).unwrap_err().join("\n");
        assert!(problems.contains("views[0].query: missing"), "{problems}");
        assert!(
            problems.contains("views[1].colour: unknown key"),
            "{problems}"
        );
        assert!(problems.contains("duplicate view name \"B\""), "{problems}");
    }

    #[test]
    fn all_inboxes_is_there_by_default_with_several_accounts_only() {
        let one = parse(&account("a")).unwrap();
        assert!(one.views.is_empty());
        let two = parse(&format!("{}{}", account("a"), account("b"))).unwrap();
        assert_eq!(two.views.len(), 1);
        assert_eq!(
            (two.views[0].name.as_str(), two.views[0].query.as_str()),
            super::ALL_INBOXES
        );
        // A view of that name replaces the default.
        let own = format!(
            "{}{}[[views]]\nname = \"All inboxes\"\nquery = \"folder:INBOX is:unread\"\n",
            account("a"),
            account("b")
        );
        let own = parse(&own).unwrap();
        assert_eq!(own.views.len(), 1);
        assert_eq!(own.views[0].query, "folder:INBOX is:unread");
    }
}
