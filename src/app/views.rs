//! Saved searches (`[[views]]` in the config): listed above the folder tree as virtual
//! folders with the count of their cached hits, opened like a search. The sidebar's
//! selection is on a view while `cursor` is Some; the folder tree has it otherwise.

use super::{Effect, Focus, Model, Sources, source_of};
use crate::domain::query::{Query, parse};
use crate::keymap::action::Action;

/// Hits counted per view and account; more shows as "N+".
pub const COUNT_LIMIT: usize = 999;

#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub text: String,
    query: Query,
    /// Cached hits over every account (capped at `COUNT_LIMIT` each); None until counted.
    pub count: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Views {
    pub list: Vec<View>,
    /// The view the sidebar's selection is on.
    pub cursor: Option<usize>,
}

impl Views {
    /// (name, query) pairs, already checked by the config; one that does not parse is
    /// returned as an error and left out.
    pub fn new(views: &[(String, String)]) -> (Views, Vec<String>) {
        let mut list = Vec::new();
        let mut errors = Vec::new();
        for (name, text) in views {
            match parse(text) {
                Ok(query) => list.push(View {
                    name: name.clone(),
                    text: text.clone(),
                    query,
                    count: None,
                }),
                Err(e) => errors.push(format!("view \"{name}\": {e}")),
            }
        }
        (Views { list, cursor: None }, errors)
    }

    /// Sidebar lines the views take: one each and a blank line under them; none without
    /// views. At most half of `height`, so the folders keep room.
    pub fn lines(&self, height: usize) -> usize {
        if self.list.is_empty() {
            0
        } else {
            (self.list.len() + 1).min(height / 2)
        }
    }
}

impl Model {
    /// Counts every view's cached hits again (after the caches changed).
    pub(super) fn count_views(&mut self, sources: &dyn Sources) {
        let today = self.today();
        for view in &mut self.views.list {
            let mut total = 0;
            for (account, a) in self.accounts.iter().enumerate() {
                let scope = super::SearchScope {
                    account: &a.name,
                    today,
                    limit: COUNT_LIMIT,
                };
                // A failing cache says so on its own reads; a count just leaves it out.
                if let Ok(hits) = source_of(sources, account).search(&view.query, scope) {
                    total += hits.len();
                }
            }
            view.count = Some(total);
        }
    }

    /// Keys in the sidebar while a view is selected, and Up from the top folder into the
    /// views; true when the views took the action.
    pub(super) fn views_action(
        &mut self,
        action: Action,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let n = self.views.list.len();
        if n == 0 {
            return false;
        }
        let Some(at) = self.views.cursor else {
            if action == Action::Prev {
                let before = self.folders.cursor;
                self.folders.step(-1);
                if self.folders.cursor == before {
                    self.views.cursor = Some(n - 1);
                }
                return true;
            }
            if action == Action::First {
                self.views.cursor = Some(0);
                return true;
            }
            return false;
        };
        match action {
            Action::Prev => self.views.cursor = Some(at.saturating_sub(1)),
            Action::First => self.views.cursor = Some(0),
            Action::Next if at + 1 < n => self.views.cursor = Some(at + 1),
            Action::Next => {
                self.views.cursor = None;
                self.folders.first();
            }
            Action::Open => self.open_view(at, sources, fx),
            _ => {
                // Any other move goes back to the folder tree.
                self.views.cursor = None;
                return false;
            }
        }
        true
    }

    /// Shows view `index`'s results (from the caches, then the servers).
    pub(super) fn open_view(&mut self, index: usize, sources: &dyn Sources, fx: &mut Vec<Effect>) {
        let Some(view) = self.views.list.get(index).cloned() else {
            return;
        };
        self.views.cursor = Some(index);
        self.run_search(&view.text, &view.name, view.query, sources, fx);
        self.focus = Focus::List;
    }

    /// `:view NAME`.
    pub(super) fn open_view_named(
        &mut self,
        name: &str,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        match self
            .views
            .list
            .iter()
            .position(|v| v.name.eq_ignore_ascii_case(name))
        {
            Some(index) => self.open_view(index, sources, fx),
            None => self.status.error(format!("no view named {name}")),
        }
    }
}
