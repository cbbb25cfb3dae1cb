//! Keymaps: which keys trigger which `Action`, per context. The defaults are data
//! (`keymaps/default.toml`, `keymaps/vim.toml`, embedded); user files overlay them, and
//! `"key" = "none"` unbinds (docs/ARCHITECTURE.md rules 2 and 15). The file format is documented at the top of
//! `keymaps/default.toml`.

pub mod action;
pub(crate) mod datafile;
mod key;
mod sequence;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::DeValue;

use crate::config::BuiltinOrFile;
use crate::keymap::action::Action;
use datafile::Report;

pub use key::{Key, KeyChord, format_key, parse_key};
pub use sequence::{KeyOutcome, KeySequence};

const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");
const VIM_TOML: &str = include_str!("../../keymaps/vim.toml");

/// Name of the user's overlay file, next to the config file.
pub const USER_FILE: &str = "keymap.toml";

/// Where the UI is: bindings of the context come first, then `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    List,
    Reader,
    Folders,
}

impl Context {
    pub const ALL: [Context; 4] = [
        Context::Global,
        Context::List,
        Context::Reader,
        Context::Folders,
    ];

    /// The table name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::List => "list",
            Context::Reader => "reader",
            Context::Folders => "folders",
        }
    }

    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Where a binding was written, for conflict messages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    file: String,
    line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Binding {
    /// `None`: explicitly unbound here, which also hides a `global` binding of the same keys.
    action: Option<Action>,
    origin: Origin,
}

type Table = BTreeMap<Vec<KeyChord>, Binding>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    tables: [Table; 4],
}

pub(crate) enum Lookup {
    Action(Action),
    Prefix,
    Unbound,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::builtin("default").unwrap_or_else(Keymap::empty)
    }
}

impl Keymap {
    fn empty() -> Keymap {
        Keymap {
            tables: Default::default(),
        }
    }

    /// "default" or "vim" (vim overlays default).
    pub fn builtin(name: &str) -> Option<Keymap> {
        // Shipped files have no problems; the tests hold them to it.
        Keymap::builtin_with_problems(name, &mut Vec::new())
    }

    fn builtin_with_problems(name: &str, problems: &mut Vec<String>) -> Option<Keymap> {
        let mut keymap = Keymap::empty();
        keymap.overlay_text("keymaps/default.toml", DEFAULT_TOML, problems);
        match name {
            "default" => {}
            "vim" => keymap.overlay_text("keymaps/vim.toml", VIM_TOML, problems),
            _ => return None,
        }
        keymap.drop_shadowed(problems);
        Some(keymap)
    }

    /// The configured keymap (builtin name or a file overlaying the default), then the user's
    /// overlay file if it exists. Never fails: problems come back as `file:line: message` and
    /// the defaults stay in force for anything broken.
    pub fn load(choice: &BuiltinOrFile, user_overlay: Option<&Path>) -> (Keymap, Vec<String>) {
        let mut problems = Vec::new();
        let mut keymap = Keymap::empty();
        keymap.overlay_text("keymaps/default.toml", DEFAULT_TOML, &mut problems);
        match choice {
            BuiltinOrFile::Builtin(name) if name == "default" => {}
            BuiltinOrFile::Builtin(name) if name == "vim" => {
                keymap.overlay_text("keymaps/vim.toml", VIM_TOML, &mut problems);
            }
            BuiltinOrFile::Builtin(name) => problems.push(datafile::file_problem(
                "ui.keymap",
                format!(
                    "no built-in keymap \"{}\" (known: {}); using default",
                    name.escape_debug(),
                    crate::config::BUILTIN_KEYMAPS.join(", ")
                ),
            )),
            BuiltinOrFile::File(path) => keymap.overlay_file(path, &mut problems),
        }
        if let Some(path) = user_overlay
            && path.exists()
        {
            keymap.overlay_file(path, &mut problems);
        }
        keymap.drop_shadowed(&mut problems);
        (keymap, problems)
    }

    /// `<dir of config file>/keymap.toml`.
    pub fn user_file(config_file: &Path) -> PathBuf {
        config_file
            .parent()
            .unwrap_or(Path::new(""))
            .join(USER_FILE)
    }

    fn overlay_file(&mut self, path: &Path, problems: &mut Vec<String>) {
        match datafile::read(path) {
            Ok(text) => self.overlay_text(&path.display().to_string(), &text, problems),
            Err(problem) => problems.push(problem),
        }
    }

    fn overlay_text(&mut self, label: &str, text: &str, problems: &mut Vec<String>) {
        let mut report = Report::new(label, text, problems);
        let Some(root) = datafile::parse(text, &mut report) else {
            return;
        };
        for (name, value) in datafile::in_file_order(root.get_ref()) {
            let name_str: &str = name.get_ref();
            let Some(context) = Context::from_name(name_str) else {
                let names: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
                report.at(
                    &name.span(),
                    &datafile::key_path("", name_str),
                    format!("unknown context; expected one of {}", names.join(", ")),
                );
                continue;
            };
            let DeValue::Table(table) = value.get_ref() else {
                report.at(
                    &name.span(),
                    context.name(),
                    format!("expected a [{}] table", context.name()),
                );
                continue;
            };
            let mut seen: BTreeMap<Vec<KeyChord>, usize> = BTreeMap::new();
            for (key, value) in datafile::in_file_order(table) {
                let key_text: &str = key.get_ref();
                let path = datafile::key_path(context.name(), key_text);
                let line = report.line_of(key.span().start);
                let keys = match parse_key(key_text) {
                    Ok(keys) => keys,
                    Err(message) => {
                        report.at(&key.span(), &path, message);
                        continue;
                    }
                };
                let Some(action) = read_action(value.get_ref(), &key.span(), &path, &mut report)
                else {
                    continue;
                };
                if let Some(earlier) = seen.insert(keys.clone(), line) {
                    report.at(
                        &key.span(),
                        &path,
                        format!("same keys as line {earlier}; this one wins"),
                    );
                }
                let binding = Binding {
                    action,
                    origin: Origin {
                        file: report.label().to_string(),
                        line,
                    },
                };
                self.set(context, keys, binding);
            }
        }
    }

    fn set(&mut self, context: Context, keys: Vec<KeyChord>, binding: Binding) {
        let table = &mut self.tables[context.index()];
        if binding.action.is_none() && context == Context::Global {
            // Nothing below global to hide.
            table.remove(&keys);
        } else {
            table.insert(keys, binding);
        }
    }

    fn table(&self, context: Context) -> &Table {
        &self.tables[context.index()]
    }

    /// The binding in force for exactly these keys: the context's own, else global's.
    fn effective(&self, context: Context, keys: &[KeyChord]) -> Option<&Binding> {
        self.table(context)
            .get(keys)
            .or_else(|| self.table(Context::Global).get(keys))
    }

    fn live(&self, context: Context, keys: &[KeyChord]) -> Option<Action> {
        self.effective(context, keys).and_then(|b| b.action)
    }

    /// Every key sequence with a live binding in `context` (its own and inherited ones).
    fn live_keys(&self, context: Context) -> Vec<&Vec<KeyChord>> {
        let mut keys: Vec<&Vec<KeyChord>> = self.table(context).keys().collect();
        if context != Context::Global {
            keys.extend(
                self.table(Context::Global)
                    .keys()
                    .filter(|k| !self.table(context).contains_key(*k)),
            );
        }
        keys.retain(|k| self.live(context, k).is_some());
        keys
    }

    pub(crate) fn lookup(&self, context: Context, keys: &[KeyChord]) -> Lookup {
        if let Some(action) = self.live(context, keys) {
            return Lookup::Action(action);
        }
        let continues = [context, Context::Global].into_iter().any(|c| {
            self.table(c)
                .range(keys.to_vec()..)
                .take_while(|(k, _)| k.starts_with(keys))
                .any(|(k, _)| k.len() > keys.len() && self.live(context, k).is_some())
        });
        if continues {
            Lookup::Prefix
        } else {
            Lookup::Unbound
        }
    }

    /// A sequence whose first keys are bound on their own could never fire; drop it (hide it
    /// in that context) and say so, keeping the shorter binding.
    fn drop_shadowed(&mut self, problems: &mut Vec<String>) {
        for context in Context::ALL {
            let mut shadowed = Vec::new();
            for keys in self.live_keys(context) {
                let Some(prefix_len) =
                    (1..keys.len()).find(|&n| self.live(context, &keys[..n]).is_some())
                else {
                    continue;
                };
                let (Some(long), Some(short)) = (
                    self.effective(context, keys),
                    self.effective(context, &keys[..prefix_len]),
                ) else {
                    continue;
                };
                let short_action = short.action.map_or("", Action::name);
                problems.push(datafile::line_problem(
                    &long.origin.file,
                    long.origin.line,
                    &datafile::key_path(context.name(), &format_key(keys)),
                    format!(
                        "never fires in [{}]: \"{}\" alone is bound to {} ({}:{}); unbind it there to use this",
                        context.name(),
                        format_key(&keys[..prefix_len]),
                        short_action,
                        short.origin.file,
                        short.origin.line
                    ),
                ));
                shadowed.push((keys.clone(), long.origin.clone()));
            }
            for (keys, origin) in shadowed {
                self.set(
                    context,
                    keys,
                    Binding {
                        action: None,
                        origin,
                    },
                );
            }
        }
    }

    /// The context's own bindings (not global's), sorted by action then keys: for the help
    /// overlay, which shows global in its own section.
    pub fn bindings(&self, context: Context) -> Vec<(String, Action)> {
        let mut out: Vec<(&Vec<KeyChord>, Action)> = self
            .table(context)
            .iter()
            .filter_map(|(keys, b)| b.action.map(|a| (keys, a)))
            .collect();
        out.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
        out.into_iter().map(|(k, a)| (format_key(k), a)).collect()
    }

    /// Everything that works in `context`, its own bindings and the global ones it does not
    /// override, sorted by action then keys.
    pub fn effective_bindings(&self, context: Context) -> Vec<(String, Action)> {
        let mut out: Vec<(&Vec<KeyChord>, Action)> = self
            .live_keys(context)
            .into_iter()
            .filter_map(|keys| self.live(context, keys).map(|a| (keys, a)))
            .collect();
        out.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
        out.into_iter().map(|(k, a)| (format_key(k), a)).collect()
    }

    /// The keys that trigger `action` in `context`, e.g. for a "? help" hint.
    pub fn keys_for(&self, context: Context, action: Action) -> Vec<String> {
        self.effective_bindings(context)
            .into_iter()
            .filter(|(_, a)| *a == action)
            .map(|(keys, _)| keys)
            .collect()
    }
}

/// `Some(None)` unbinds; `None` is a reported problem.
fn read_action(
    value: &DeValue<'_>,
    span: &std::ops::Range<usize>,
    path: &str,
    report: &mut Report<'_>,
) -> Option<Option<Action>> {
    match value {
        DeValue::Boolean(false) => Some(None),
        DeValue::String(name) if name == "none" => Some(None),
        DeValue::String(name) => match Action::from_name(name) {
            Some(action) => Some(Some(action)),
            None => {
                let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                report.at(
                    span,
                    path,
                    format!(
                        "unknown action \"{}\"; expected \"none\" or one of {}",
                        name.escape_debug(),
                        names.join(", ")
                    ),
                );
                None
            }
        },
        other => {
            report.at(
                span,
                path,
                format!(
                    "expected an action name, \"none\" or false, found {}",
                    other.type_str()
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests;
