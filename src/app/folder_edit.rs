//! Folder changes from the TUI: `C` / `R` / `D` / `s` in the sidebar and `:mkdir`,
//! `:rename`, `:rmdir`, `:subscribe`, `:unsubscribe`, `:folders all`. Names are asked on the
//! status line, a delete is confirmed (a role folder only with `F`), and the engine is
//! asked with `EngineCommand::Folder`; offline they are refused at once, never queued.

use super::overlay::{Overlay, TextInput};
use super::{Effect, Focus, Model, Sources};
use crate::bus::{ConnState, EngineCommand, FolderAction};
use crate::domain::ids::AccountId;

/// A folder name being typed on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPrompt {
    pub account: usize,
    /// None: a new folder; Some: the folder being renamed.
    pub renaming: Option<String>,
    pub input: TextInput,
}

impl FolderPrompt {
    pub fn label(&self) -> &'static str {
        match &self.renaming {
            None => "New folder: ",
            Some(_) => "Rename to: ",
        }
    }

    /// Drawn after the text (sanitized by the status line like the rest).
    pub fn hint(&self) -> String {
        match &self.renaming {
            None => "  (on the server; Tab completes, Enter creates, Esc cancels)".to_string(),
            Some(from) => format!(
                "  (renaming {}; children follow; Esc cancels)",
                crate::domain::text::sanitize(from)
            ),
        }
    }
}

/// A folder delete waiting for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderQuestion {
    pub question: String,
    pub account: usize,
    pub name: String,
    /// A role folder (trash, sent...): only `F` deletes it.
    pub role: Option<String>,
}

impl Model {
    /// `C`: asks for the new folder's name, starting under the cursor folder's parent.
    pub(super) fn ask_create_folder(&mut self) {
        let account = self.folder_account();
        let start = self
            .folder_target()
            .and_then(|(_, name)| {
                let delimiter = self.folders.state(account, &name)?.delimiter?;
                let (parent, _) = name.rsplit_once(delimiter)?;
                Some(format!("{parent}{delimiter}"))
            })
            .unwrap_or_default();
        self.overlays.push(Overlay::FolderName(FolderPrompt {
            account,
            renaming: None,
            input: TextInput::with_text(&start),
        }));
    }

    /// `R`: asks for the new name of the folder under the cursor.
    pub(super) fn ask_rename_folder(&mut self) {
        let Some((account, name)) = self.folder_target() else {
            self.status.error("no folder to rename");
            return;
        };
        if name.eq_ignore_ascii_case("INBOX") {
            // RENAME INBOX moves its messages into a new folder: not what R means.
            self.status.error("INBOX cannot be renamed here");
            return;
        }
        self.overlays.push(Overlay::FolderName(FolderPrompt {
            account,
            input: TextInput::with_text(&name),
            renaming: Some(name),
        }));
    }

    /// Enter on a folder name prompt.
    pub(super) fn folder_named(&mut self, prompt: FolderPrompt, fx: &mut Vec<Effect>) {
        let name = prompt.input.text.trim().to_string();
        let account = prompt.account;
        match prompt.renaming {
            None => self.create_folder(account, &name, fx),
            Some(from) => self.rename_folder(account, &from, &name, fx),
        }
    }

    fn create_folder(&mut self, account: usize, name: &str, fx: &mut Vec<Effect>) {
        if name.is_empty() {
            self.status.error("no name given; nothing created");
        } else if self.folders.state(account, name).is_some() {
            self.status.error(format!("{name} already exists"));
        } else {
            let action = FolderAction::Create { name: name.into() };
            self.ask_engine(account, action, format!("creating {name}…"), fx);
        }
    }

    fn rename_folder(&mut self, account: usize, from: &str, to: &str, fx: &mut Vec<Effect>) {
        if to.is_empty() || to == from {
            self.status.note("nothing renamed");
        } else if from.eq_ignore_ascii_case("INBOX") {
            self.status.error("INBOX cannot be renamed here");
        } else if self.folders.state(account, to).is_some() {
            self.status.error(format!("{to} already exists"));
        } else {
            let action = FolderAction::Rename {
                from: from.into(),
                to: to.into(),
            };
            self.ask_engine(account, action, format!("renaming {from} to {to}…"), fx);
        }
    }

    /// `D` / `:rmdir`: asks first, saying what goes with the folder; a role folder needs
    /// `F`, INBOX is never deleted.
    pub(super) fn ask_delete_folder(&mut self, target: Option<(usize, String)>) {
        let Some((account, name)) = target.or_else(|| self.folder_target()) else {
            self.status.error("no folder to delete");
            return;
        };
        let Some(state) = self.folders.state(account, &name) else {
            self.status.error(format!("no folder {name}"));
            return;
        };
        if name.eq_ignore_ascii_case("INBOX") {
            self.status.error("INBOX cannot be deleted");
            return;
        }
        let messages = match state.messages {
            0 => String::new(),
            1 => " and its 1 message".to_string(),
            n => format!(" and its {n} messages"),
        };
        let role = state.role.clone().or_else(|| {
            self.filing.get(account).and_then(|filing| {
                [
                    ("trash", &filing.trash),
                    ("archive", &filing.archive),
                    ("junk", &filing.junk),
                ]
                .into_iter()
                .find(|(_, f)| f.as_deref() == Some(name.as_str()))
                .map(|(role, _)| role.to_string())
            })
        });
        let question = match &role {
            Some(role) => format!(
                "{name} is the {role} folder: delete it{messages} anyway? F deletes, any other key keeps it"
            ),
            None => format!("Delete folder {name}{messages} on the server? y/n"),
        };
        self.overlays.push(Overlay::FolderConfirm(FolderQuestion {
            question,
            account,
            name,
            role,
        }));
    }

    /// The key that answered a folder delete question.
    pub(super) fn folder_delete_answer(
        &mut self,
        key: char,
        question: FolderQuestion,
        fx: &mut Vec<Effect>,
    ) {
        let FolderQuestion {
            account,
            name,
            role,
            ..
        } = question;
        let force = match (&role, key) {
            (Some(_), 'F') => true,
            (None, 'y' | 'Y') => false,
            (Some(role), 'y' | 'Y') => {
                self.status.error(format!(
                    "{name} is the {role} folder: only F deletes it; nothing deleted"
                ));
                return;
            }
            _ => {
                self.status.note("nothing deleted");
                return;
            }
        };
        let action = FolderAction::Delete {
            name: name.clone(),
            force,
        };
        self.ask_engine(account, action, format!("deleting {name}…"), fx);
    }

    /// `s`: subscribes to the folder under the cursor, or unsubscribes from it.
    pub(super) fn toggle_subscribed(&mut self, fx: &mut Vec<Effect>) {
        let Some((account, name)) = self.folder_target() else {
            self.status.error("no folder under the cursor");
            return;
        };
        let subscribed = self
            .folders
            .state(account, &name)
            .is_some_and(|f| f.subscribed);
        self.subscribe(account, &name, !subscribed, fx);
    }

    fn subscribe(&mut self, account: usize, name: &str, on: bool, fx: &mut Vec<Effect>) {
        let (action, said) = if on {
            let action = FolderAction::Subscribe { name: name.into() };
            (action, format!("subscribing to {name}…"))
        } else {
            let action = FolderAction::Unsubscribe { name: name.into() };
            (action, format!("unsubscribing from {name}…"))
        };
        self.ask_engine(account, action, said, fx);
    }

    /// `A` / `:folders all`: the unsubscribed folders shown too, or hidden again.
    pub(super) fn show_all_folders(&mut self, all: bool, sources: &dyn Sources) {
        self.folders.set_show_all(all);
        let hidden = self.folders.hidden();
        match (all, hidden) {
            (true, _) => self.status.note("showing every folder; A: subscribed only"),
            (false, 0) => self.status.note("showing subscribed folders (none hidden)"),
            (false, n) => self.status.note(format!(
                "showing subscribed folders; {n} hidden (A shows all)"
            )),
        }
        self.layout(sources);
    }

    /// Sends `action` to the account's engine, or refuses it at once when offline.
    fn ask_engine(
        &mut self,
        account: usize,
        action: FolderAction,
        said: String,
        fx: &mut Vec<Effect>,
    ) {
        let offline = match self.accounts.get(account).map(|a| &a.conn) {
            Some(ConnState::Offline { reason } | ConnState::Reconnecting { reason, .. }) => {
                Some(reason.clone())
            }
            _ => None,
        };
        if let Some(reason) = offline {
            self.status.error(format!(
                "offline ({reason}): folder changes need the server; nothing was changed"
            ));
            return;
        }
        let op = self.next_op();
        self.folder_requests.insert(op, (account, action.clone()));
        self.status.note(said);
        fx.push(Effect::Engine(
            AccountId(account),
            EngineCommand::Folder { op, action },
        ));
    }

    /// A folder request is done: the sidebar re-reads, and the list follows its folder
    /// through a rename (to INBOX after a delete). Returns false for other requests.
    pub(super) fn folder_request_done(
        &mut self,
        op: crate::bus::OpId,
        sources: &dyn Sources,
    ) -> bool {
        let Some((account, action)) = self.folder_requests.remove(&op) else {
            return false;
        };
        self.refresh_folders(account, sources);
        // In the sidebar, the cursor goes to the folder made or renamed.
        match &action {
            FolderAction::Create { name } | FolderAction::Rename { to: name, .. }
                if self.focus == Focus::Folders =>
            {
                self.folders.select(account, name);
            }
            _ => {}
        }
        let open = self
            .list
            .folder
            .as_ref()
            .filter(|f| f.account == account)
            .map(|f| f.name.clone());
        let Some(open) = open else {
            return true;
        };
        let follow = match &action {
            FolderAction::Rename { from, to } => {
                let delimiter = self.folders.state(account, to).and_then(|f| f.delimiter);
                crate::domain::folder::renamed(&open, from, to, delimiter)
            }
            FolderAction::Delete { name, .. } if *name == open => Some("INBOX".to_string()),
            _ => None,
        };
        if let Some(now) = follow {
            let focus = self.focus;
            self.open_folder(account, &now, sources);
            self.focus = focus;
            self.layout(sources);
        }
        true
    }

    /// A folder request failed: forget it.
    pub(super) fn folder_request_failed(&mut self, op: crate::bus::OpId) {
        self.folder_requests.remove(&op);
    }

    /// `:mkdir`, `:rename`, `:rmdir`, `:subscribe`, `:unsubscribe`, `:folders`.
    pub(super) fn folder_command(
        &mut self,
        name: &str,
        arg: &str,
        sources: &dyn Sources,
        fx: &mut Vec<Effect>,
    ) {
        let account = self.folder_account();
        match name {
            "mkdir" if !arg.is_empty() => self.create_folder(account, arg, fx),
            "mkdir" => self.ask_create_folder(),
            "rename" if arg.is_empty() => self.ask_rename_folder(),
            "rename" => match self.split_rename(account, arg) {
                Some((from, to)) => self.rename_folder(account, &from, &to, fx),
                None => self.status.error("no folder to rename"),
            },
            "rmdir" if arg.is_empty() => self.ask_delete_folder(None),
            "rmdir" => self.ask_delete_folder(Some((account, arg.to_string()))),
            "subscribe" | "unsubscribe" => {
                let target = if arg.is_empty() {
                    self.folder_target().map(|(_, n)| n)
                } else {
                    Some(arg.to_string())
                };
                match target {
                    Some(target) => self.subscribe(account, &target, name == "subscribe", fx),
                    None => self.status.error("no folder named"),
                }
            }
            "folders" => {
                let all = match arg {
                    "all" => true,
                    "subscribed" => false,
                    _ => !self.folders.show_all,
                };
                self.show_all_folders(all, sources);
            }
            _ => {}
        }
    }

    /// `:rename OLD NEW` (OLD a folder of the account, spaces allowed) or `:rename NEW`
    /// for the folder under the cursor.
    fn split_rename(&self, account: usize, arg: &str) -> Option<(String, String)> {
        let named = self
            .folders
            .states(account)
            .iter()
            .filter_map(|f| {
                let rest = arg.strip_prefix(f.name.as_str())?.strip_prefix(' ')?;
                Some((f.name.clone(), rest.trim().to_string()))
            })
            .filter(|(_, to)| !to.is_empty())
            .max_by_key(|(from, _)| from.len());
        named.or_else(|| {
            self.folder_target()
                .map(|(_, from)| (from, arg.to_string()))
        })
    }

    /// The account folder commands work on: the sidebar cursor's when the sidebar has the
    /// focus, else the open folder's.
    fn folder_account(&self) -> usize {
        self.folder_target().map_or(self.account, |(a, _)| a)
    }

    /// The folder `R`, `D` and `s` act on: under the sidebar cursor when it has the focus,
    /// else the open one.
    fn folder_target(&self) -> Option<(usize, String)> {
        if self.focus == Focus::Folders {
            return self.folders.current().map(|r| (r.account, r.name.clone()));
        }
        self.list
            .folder
            .as_ref()
            .map(|f| (f.account, f.name.clone()))
            .or_else(|| self.folders.current().map(|r| (r.account, r.name.clone())))
    }

    /// Tab on the `:` line: completes an action name, or a folder name after a command
    /// that takes one.
    pub(super) fn complete_command(&self, typed: &str) -> Option<String> {
        let Some((command, arg)) = typed.split_once(' ') else {
            let typed = typed.trim();
            let actions = super::action::Action::ALL.iter().map(|a| a.name());
            return COMMANDS
                .iter()
                .copied()
                .chain(actions)
                .find(|name| !typed.is_empty() && name.starts_with(typed))
                .map(str::to_string);
        };
        const TAKE_FOLDERS: &[&str] = &[
            "folder",
            "cd",
            "move",
            "copy",
            "rename",
            "rmdir",
            "mkdir",
            "subscribe",
            "unsubscribe",
        ];
        if !TAKE_FOLDERS.contains(&command) {
            return None;
        }
        // `:rename OLD NEW`: after a whole folder name, the second one is completed.
        let account = self.folder_account();
        let names: Vec<&str> = self
            .folders
            .states(account)
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let (done, partial) = match names
            .iter()
            .filter_map(|n| Some((*n, arg.strip_prefix(n)?.strip_prefix(' ')?)))
            .max_by_key(|(n, _)| n.len())
        {
            Some((first, rest)) if command == "rename" => (format!("{first} "), rest),
            _ => (String::new(), arg),
        };
        let completed = self.complete_folder_name(account, partial)?;
        Some(format!("{command} {done}{completed}"))
    }

    /// `typed` grown to the longest start the account's folder names that begin with it
    /// share; None when that adds nothing.
    pub(super) fn complete_folder_name(&self, account: usize, typed: &str) -> Option<String> {
        let matching: Vec<&str> = self
            .folders
            .states(account)
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| n.starts_with(typed))
            .collect();
        let completed = common_prefix(&matching)?;
        (completed.len() > typed.len()).then_some(completed)
    }
}

/// The `:` commands that are not action names, for Tab.
const COMMANDS: &[&str] = &[
    "mkdir",
    "rmdir",
    "rename",
    "subscribe",
    "unsubscribe",
    "folder",
    "folders",
    "messages",
    "keyword",
    "quit",
];

/// The longest start all `names` share (whole chars); None for no names.
fn common_prefix(names: &[&str]) -> Option<String> {
    let first = names.first()?;
    let mut end = first.len();
    for name in &names[1..] {
        end = first
            .char_indices()
            .zip(name.chars())
            .find(|((_, a), b)| a != b)
            .map_or(end.min(name.len()), |((i, _), _)| i.min(end));
    }
    Some(first[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn common_prefixes_cut_at_whole_characters() {
        assert_eq!(
            common_prefix(&["Café/Überweisungen", "Café/Übersicht"]).as_deref(),
            Some("Café/Über")
        );
        assert_eq!(common_prefix(&["日本語", "日本"]).as_deref(), Some("日本"));
        assert_eq!(common_prefix(&["a", "b"]).as_deref(), Some(""));
        assert_eq!(common_prefix(&[]), None);
    }
}
