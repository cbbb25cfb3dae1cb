//! The folder sidebar: the cached folders as a delimiter-aware tree, special-use folders
//! first in role order, with live counts. One section per account.

use std::collections::HashMap;

use crate::domain::folder::{FolderId, FolderState};

/// Special-use roles in the order the sidebar lists them.
const ROLE_ORDER: &[&str] = &[
    "inbox", "drafts", "sent", "archive", "junk", "trash", "all", "flagged",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderRowKind {
    /// An account's section header.
    Account,
    /// A folder that can be opened.
    Folder(FolderId),
    /// A path component with no folder of its own (e.g. `Lists` of `Lists/dev`).
    Parent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderRow {
    pub kind: FolderRowKind,
    /// Index of the account (its section) this row belongs to.
    pub account: usize,
    /// Full server name (what `SelectFolder` takes); the account name for a header.
    pub name: String,
    /// The last path component, as shown.
    pub label: String,
    pub depth: u16,
    pub role: Option<String>,
    pub unseen: u32,
    pub total: u32,
}

impl FolderRow {
    pub fn selectable(&self) -> bool {
        matches!(self.kind, FolderRowKind::Folder(_))
    }
}

/// One account's part of the sidebar.
#[derive(Debug, Clone, Default)]
struct Section {
    name: String,
    states: Vec<FolderState>,
    rows: Vec<FolderRow>,
}

/// Every account as a section (header row, then its folder tree), in account order.
#[derive(Debug, Clone, Default)]
pub struct FoldersPane {
    pub rows: Vec<FolderRow>,
    /// Index into `rows`; always a selectable row when there is one.
    pub cursor: usize,
    pub scroll: usize,
    /// Unsubscribed folders shown too (else only subscribed, INBOX and role folders).
    pub show_all: bool,
    sections: Vec<Section>,
}

impl FoldersPane {
    /// Adds an (empty) section for an account; returns its index.
    pub fn add_account(&mut self, name: &str) -> usize {
        self.sections.push(Section {
            name: name.to_string(),
            ..Section::default()
        });
        self.rebuild();
        self.sections.len() - 1
    }

    pub fn accounts(&self) -> usize {
        self.sections.len()
    }

    /// Rebuilds the tree of `account`'s section, keeping the cursor on the same folder.
    pub fn set_folders(&mut self, account: usize, folders: Vec<FolderState>) {
        let Some(section) = self.sections.get_mut(account) else {
            return;
        };
        section.states = folders;
        section.rows = section_rows(account, &section.states, self.show_all);
        self.rebuild();
    }

    /// Shows the unsubscribed folders too, or hides them again.
    pub fn set_show_all(&mut self, all: bool) {
        self.show_all = all;
        for (account, section) in self.sections.iter_mut().enumerate() {
            section.rows = section_rows(account, &section.states, all);
        }
        self.rebuild();
    }

    /// Folders hidden because they are not subscribed.
    pub fn hidden(&self) -> usize {
        self.sections
            .iter()
            .map(|s| s.states.len() - shown(&s.states, self.show_all).len())
            .sum()
    }

    fn rebuild(&mut self) {
        let keep = self.current().map(|r| (r.account, r.name.clone()));
        self.rows.clear();
        for (account, section) in self.sections.iter().enumerate() {
            self.rows.push(FolderRow {
                kind: FolderRowKind::Account,
                account,
                name: section.name.clone(),
                label: section.name.clone(),
                depth: 0,
                role: None,
                unseen: 0,
                total: 0,
            });
            self.rows.extend(section.rows.iter().cloned());
        }
        self.cursor = keep
            .and_then(|(account, name)| self.position(account, &name))
            .or_else(|| self.rows.iter().position(FolderRow::selectable))
            .unwrap_or(0);
    }

    pub fn state(&self, account: usize, name: &str) -> Option<&FolderState> {
        self.states(account).iter().find(|f| f.name == name)
    }

    pub fn states(&self, account: usize) -> &[FolderState] {
        self.sections
            .get(account)
            .map_or(&[][..], |s| s.states.as_slice())
    }

    pub fn position(&self, account: usize, name: &str) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| r.selectable() && r.account == account && r.name == name)
    }

    pub fn current(&self) -> Option<&FolderRow> {
        self.rows.get(self.cursor).filter(|r| r.selectable())
    }

    pub fn select(&mut self, account: usize, name: &str) {
        if let Some(i) = self.position(account, name) {
            self.cursor = i;
        }
    }

    /// Moves by `delta` selectable rows, stopping at the ends.
    pub fn step(&mut self, delta: i32) {
        let selectable: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.rows[i].selectable())
            .collect();
        let Some(at) = selectable.iter().position(|&i| i >= self.cursor) else {
            return;
        };
        let to = (at as i64 + i64::from(delta)).clamp(0, selectable.len() as i64 - 1);
        if let Some(&i) = selectable.get(to as usize) {
            self.cursor = i;
        }
    }

    pub fn first(&mut self) {
        self.step(i32::MIN / 2);
    }

    pub fn last(&mut self) {
        self.step(i32::MAX / 2);
    }

    /// Row at screen line `line` of a pane `height` rows high (for mouse clicks).
    pub fn row_at(&self, line: usize) -> Option<usize> {
        let i = self.scroll + line;
        self.rows.get(i).filter(|r| r.selectable()).map(|_| i)
    }

    /// Keeps the cursor inside a pane `height` rows high.
    pub fn fit(&mut self, height: usize) {
        let height = height.max(1);
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + height {
            self.scroll = self.cursor + 1 - height;
        }
        self.scroll = self.scroll.min(self.rows.len().saturating_sub(height));
    }
}

fn section_rows(account: usize, states: &[FolderState], all: bool) -> Vec<FolderRow> {
    let mut rows = tree_rows(&shown(states, all));
    for row in &mut rows {
        row.account = account;
    }
    rows
}

/// The folders the sidebar lists: all, or the subscribed ones with INBOX, role folders and
/// the parents of what is shown (so the tree keeps its branches openable).
fn shown(states: &[FolderState], all: bool) -> Vec<FolderState> {
    if all {
        return states.to_vec();
    }
    let wanted: Vec<&FolderState> = states
        .iter()
        .filter(|f| f.subscribed || effective_role(f).is_some())
        .collect();
    states
        .iter()
        .filter(|f| {
            wanted
                .iter()
                .any(|w| crate::domain::folder::within(&w.name, &f.name, f.delimiter))
        })
        .cloned()
        .collect()
}

fn role_rank(role: Option<&str>) -> usize {
    role.and_then(|r| ROLE_ORDER.iter().position(|o| r.eq_ignore_ascii_case(o)))
        .unwrap_or(ROLE_ORDER.len())
}

fn effective_role(f: &FolderState) -> Option<String> {
    match &f.role {
        Some(r) if role_rank(Some(r)) < ROLE_ORDER.len() => Some(r.to_ascii_lowercase()),
        _ if f.name.eq_ignore_ascii_case("INBOX") => Some("inbox".into()),
        _ => None,
    }
}

struct Node {
    label: String,
    full: String,
    folder: Option<usize>,
    role: Option<String>,
    children: Vec<usize>,
}

/// Special-use folders are lifted to the top (leaf name shown); the rest form a tree by
/// delimiter. A folder under a special-use one stays under it.
fn tree_rows(folders: &[FolderState]) -> Vec<FolderRow> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut roots: Vec<usize> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, f) in folders.iter().enumerate() {
        if let Some(role) = effective_role(f) {
            index.insert(f.name.clone(), nodes.len());
            roots.push(nodes.len());
            nodes.push(Node {
                label: leaf(&f.name, f.delimiter).to_string(),
                full: f.name.clone(),
                folder: Some(i),
                role: Some(role),
                children: Vec::new(),
            });
        }
    }
    let mut rest: Vec<usize> = (0..folders.len())
        .filter(|&i| effective_role(&folders[i]).is_none())
        .collect();
    rest.sort_by(|&a, &b| folders[a].name.cmp(&folders[b].name));
    for i in rest {
        let f = &folders[i];
        let parts: Vec<&str> = match f.delimiter {
            Some(d) => f.name.split(d).collect(),
            None => vec![f.name.as_str()],
        };
        let delim = f.delimiter.map(String::from).unwrap_or_default();
        let mut parent: Option<usize> = None;
        for depth in 1..=parts.len() {
            let full = parts[..depth].join(&delim);
            let node = match index.get(&full) {
                Some(&n) => n,
                None => {
                    let n = nodes.len();
                    nodes.push(Node {
                        label: parts[depth - 1].to_string(),
                        full: full.clone(),
                        folder: None,
                        role: None,
                        children: Vec::new(),
                    });
                    index.insert(full, n);
                    match parent {
                        Some(p) => nodes[p].children.push(n),
                        None => roots.push(n),
                    }
                    n
                }
            };
            if depth == parts.len() && nodes[node].folder.is_none() {
                nodes[node].folder = Some(i);
            }
            parent = Some(node);
        }
    }
    let key = |n: &Node| (role_rank(n.role.as_deref()), n.label.to_lowercase());
    roots.sort_by_key(|&n| key(&nodes[n]));
    for n in 0..nodes.len() {
        let mut children = std::mem::take(&mut nodes[n].children);
        children.sort_by_key(|&c| key(&nodes[c]));
        nodes[n].children = children;
    }
    let mut out = Vec::with_capacity(nodes.len());
    let mut stack: Vec<(usize, u16)> = roots.iter().rev().map(|&n| (n, 0)).collect();
    while let Some((n, depth)) = stack.pop() {
        let node = &nodes[n];
        let state = node.folder.and_then(|i| folders.get(i));
        out.push(FolderRow {
            account: 0,
            kind: match state {
                Some(f) if f.selectable => FolderRowKind::Folder(f.id),
                // A `\Noselect` folder is only a parent, like a path component.
                _ => FolderRowKind::Parent,
            },
            name: node.full.clone(),
            label: node.label.clone(),
            depth,
            role: node.role.clone(),
            unseen: state.map_or(0, |f| f.unseen),
            total: state.map_or(0, |f| f.messages),
        });
        stack.extend(node.children.iter().rev().map(|&c| (c, depth + 1)));
    }
    out
}

fn leaf(name: &str, delimiter: Option<char>) -> &str {
    match delimiter {
        Some(d) => name.rsplit(d).next().unwrap_or(name),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: i64, name: &str, role: Option<&str>) -> FolderState {
        FolderState {
            id,
            name: name.into(),
            role: role.map(Into::into),
            delimiter: Some('/'),
            uidvalidity: None,
            uidnext: None,
            highestmodseq: None,
            messages: 10,
            unseen: id as u32,
            synced_at: None,
            complete: true,
            oldest_uid: None,
            selectable: true,
            last_error: None,
            subscribed: true,
        }
    }

    #[test]
    fn special_use_first_then_tree() {
        let mut pane = FoldersPane::default();
        let work = pane.add_account("work");
        pane.set_folders(
            work,
            vec![
                folder(1, "Archive", Some("archive")),
                folder(2, "INBOX", None),
                folder(3, "Lists/dev", None),
                folder(4, "Lists/rust", None),
                folder(5, "[Gmail]/Sent Mail", Some("sent")),
                folder(6, "Trash", Some("trash")),
                folder(7, "Drafts", Some("drafts")),
                folder(8, "bills", None),
                folder(9, "INBOX/receipts", None),
            ],
        );
        let shown: Vec<String> = pane
            .rows
            .iter()
            .map(|r| format!("{}{}", "  ".repeat(r.depth as usize), r.label))
            .collect();
        assert_eq!(
            shown,
            [
                "work",
                "INBOX",
                "  receipts",
                "Drafts",
                "Sent Mail",
                "Archive",
                "Trash",
                "bills",
                "Lists",
                "  dev",
                "  rust",
            ]
        );
        assert_eq!(pane.current().map(|r| r.name.as_str()), Some("INBOX"));
        pane.last();
        assert_eq!(pane.current().map(|r| r.name.as_str()), Some("Lists/rust"));
        pane.step(-2);
        // "Lists" has no folder of its own: skipped.
        assert_eq!(pane.current().map(|r| r.name.as_str()), Some("bills"));
    }

    #[test]
    fn accounts_are_sections_in_order_and_the_cursor_crosses_them() {
        let mut pane = FoldersPane::default();
        let work = pane.add_account("work");
        let home = pane.add_account("home");
        // A cold cache: headers only, no cursor row.
        assert_eq!(pane.rows.len(), 2);
        assert!(pane.current().is_none());
        pane.set_folders(
            home,
            vec![folder(1, "INBOX", None), folder(2, "Sent", Some("sent"))],
        );
        assert_eq!(
            pane.current().map(|r| (r.account, r.name.as_str())),
            Some((home, "INBOX"))
        );
        pane.set_folders(
            work,
            vec![folder(1, "INBOX", None), folder(2, "Trash", Some("trash"))],
        );
        let shown: Vec<(usize, &str)> = pane
            .rows
            .iter()
            .map(|r| (r.account, r.label.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (0, "work"),
                (0, "INBOX"),
                (0, "Trash"),
                (1, "home"),
                (1, "INBOX"),
                (1, "Sent")
            ]
        );
        // The cursor stayed on home's INBOX though rows were added above it.
        assert_eq!(
            pane.current().map(|r| (r.account, r.name.as_str())),
            Some((home, "INBOX"))
        );
        pane.step(-1);
        assert_eq!(
            pane.current().map(|r| (r.account, r.name.as_str())),
            Some((work, "Trash"))
        );
        pane.step(1);
        assert_eq!(
            pane.current().map(|r| (r.account, r.name.as_str())),
            Some((home, "INBOX"))
        );
        // Same name, other account.
        pane.select(work, "INBOX");
        assert_eq!(pane.cursor, 1);
        assert_eq!(pane.state(home, "Sent").map(|f| f.id), Some(2));
        assert!(pane.state(work, "Sent").is_none());
    }
}
