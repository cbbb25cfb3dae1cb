//! Folder roles for a whole LIST: the server's special-use attributes first; roles no folder
//! has are recognised by their usual names (older servers and many hosts name none), at the
//! top level or right under a personal namespace prefix such as `INBOX.`.

use std::collections::HashMap;

use super::types::{ListEntry, Role};

/// Usual names per role, most likely first.
const USUAL_NAMES: &[(Role, &[&str])] = &[
    (
        Role::Trash,
        &["Trash", "Deleted Items", "Deleted Messages", "Bin"],
    ),
    (Role::Sent, &["Sent", "Sent Items", "Sent Messages"]),
    (Role::Drafts, &["Drafts"]),
    (Role::Junk, &["Junk", "Spam"]),
    (Role::Archive, &["Archive", "Archives"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignedRole {
    pub role: Role,
    /// Recognised by the folder's name, not announced by the server.
    pub by_name: bool,
}

/// The role of every folder of one LIST, by folder name.
#[derive(Debug, Clone, Default)]
pub struct FolderRoles(HashMap<String, AssignedRole>);

impl FolderRoles {
    pub fn new(entries: &[ListEntry]) -> Self {
        let mut roles: HashMap<String, AssignedRole> = entries
            .iter()
            .filter_map(|entry| {
                let role = entry.role()?;
                Some((
                    entry.name.clone(),
                    AssignedRole {
                        role,
                        by_name: false,
                    },
                ))
            })
            .collect();
        for (role, names) in USUAL_NAMES {
            if roles.values().any(|assigned| assigned.role == *role) {
                continue;
            }
            let best = entries
                .iter()
                .filter(|entry| entry.selectable() && !roles.contains_key(&entry.name))
                .filter_map(|entry| {
                    let leaf = top_level_name(entry)?;
                    let rank = names.iter().position(|n| n.eq_ignore_ascii_case(leaf))?;
                    Some((rank, entry))
                })
                .min_by_key(|(rank, _)| *rank);
            if let Some((_, entry)) = best {
                roles.insert(
                    entry.name.clone(),
                    AssignedRole {
                        role: *role,
                        by_name: true,
                    },
                );
            }
        }
        Self(roles)
    }

    pub fn get(&self, name: &str) -> Option<AssignedRole> {
        self.0.get(name).copied()
    }

    pub fn role(&self, name: &str) -> Option<Role> {
        self.get(name).map(|assigned| assigned.role)
    }
}

/// The name below the personal prefix (`INBOX.Trash` -> `Trash`), if the folder sits at
/// the top of the personal folders.
fn top_level_name(entry: &ListEntry) -> Option<&str> {
    let name = entry.name.as_str();
    let Some(delimiter) = entry.delimiter else {
        return Some(name);
    };
    let below_inbox = name
        .get(..5)
        .filter(|prefix| prefix.eq_ignore_ascii_case("INBOX"))
        .and_then(|_| name[5..].strip_prefix(delimiter));
    let leaf = below_inbox.unwrap_or(name);
    (!leaf.contains(delimiter)).then_some(leaf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, delimiter: char, attrs: &[&str]) -> ListEntry {
        ListEntry {
            name: name.into(),
            wire_name: name.as_bytes().to_vec(),
            delimiter: Some(delimiter),
            attributes: attrs.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn by_name(role: Role) -> Option<AssignedRole> {
        Some(AssignedRole {
            role,
            by_name: true,
        })
    }

    #[test]
    fn usual_names_under_the_inbox_prefix_get_roles() {
        let entries: Vec<_> = [
            "INBOX",
            "INBOX.Trash",
            "INBOX.sent items",
            "INBOX.Drafts",
            "INBOX.Spam",
            "INBOX.Archives",
        ]
        .iter()
        .map(|n| entry(n, '.', &[]))
        .collect();
        let roles = FolderRoles::new(&entries);
        assert_eq!(roles.role("INBOX"), Some(Role::Inbox));
        assert_eq!(roles.get("INBOX.Trash"), by_name(Role::Trash));
        assert_eq!(roles.get("INBOX.sent items"), by_name(Role::Sent));
        assert_eq!(roles.get("INBOX.Drafts"), by_name(Role::Drafts));
        assert_eq!(roles.get("INBOX.Spam"), by_name(Role::Junk));
        assert_eq!(roles.get("INBOX.Archives"), by_name(Role::Archive));
    }

    #[test]
    fn the_server_wins_and_names_only_fill_missing_roles() {
        let entries = vec![
            entry("INBOX", '/', &[]),
            entry("Trash", '/', &[]),
            entry("Papierkorb", '/', &["\\Trash"]),
            entry("Deleted Items", '/', &[]),
            entry("Bin", '/', &[]),
            entry("Deleted Messages", '/', &[]),
        ];
        let roles = FolderRoles::new(&entries);
        assert_eq!(
            roles.get("Papierkorb"),
            Some(AssignedRole {
                role: Role::Trash,
                by_name: false
            })
        );
        assert_eq!(roles.get("Trash"), None);
        assert_eq!(roles.get("Deleted Items"), None);

        let without: Vec<_> = entries
            .into_iter()
            .filter(|e| e.name != "Papierkorb" && e.name != "Trash")
            .collect();
        // The most usual name wins, whatever the LIST order.
        let roles = FolderRoles::new(&without);
        assert_eq!(roles.get("Deleted Items"), by_name(Role::Trash));
        assert_eq!(roles.get("Bin"), None);
    }

    #[test]
    fn nested_or_unselectable_folders_are_not_recognised() {
        let entries = vec![
            entry("INBOX", '/', &[]),
            entry("Projects/Trash", '/', &[]),
            entry("Sent", '/', &["\\Noselect"]),
            entry("Lists/Archive", '/', &[]),
        ];
        let roles = FolderRoles::new(&entries);
        assert_eq!(roles.get("Projects/Trash"), None);
        assert_eq!(roles.get("Sent"), None);
        assert_eq!(roles.get("Lists/Archive"), None);
    }

    #[test]
    fn a_folder_called_inboxtrash_is_not_under_the_prefix() {
        let roles = FolderRoles::new(&[entry("INBOXTrash", '.', &[])]);
        assert_eq!(roles.get("INBOXTrash"), None);
    }
}
