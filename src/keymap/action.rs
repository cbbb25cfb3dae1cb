//! Every user intent, with a stable snake_case name and a one-line doc. The same registry
//! drives the keymap files, the help overlay and the `:` command line (docs/ARCHITECTURE.md rule 2).

macro_rules! actions {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            pub fn doc(self) -> &'static str {
                match self {
                    $(Action::$variant => $doc,)*
                }
            }
        }
    };
}

actions! {
    Next => "next", "Next message (or folder)";
    Prev => "prev", "Previous message (or folder)";
    NextUnread => "next_unread", "Next unread message";
    PrevUnread => "prev_unread", "Previous unread message";
    PageDown => "page_down", "Page down (pages the reader when it is open)";
    PageUp => "page_up", "Page up (pages the reader when it is open)";
    HalfPageDown => "half_page_down", "Half a page down";
    HalfPageUp => "half_page_up", "Half a page up";
    First => "first", "First message (or folder); in the reader: top of the message";
    Last => "last", "Last message (or folder); in the reader: end of the message";
    CenterCursor => "center_cursor", "Scroll so the cursor is in the middle";
    Open => "open", "Open the message (or folder) under the cursor";
    Back => "back", "Close the reader, leave a mode, clear the filter; never quits";
    Close => "close", "Close the reader or overlay; in the list: quit";
    Quit => "quit", "Quit tern";
    FocusNext => "focus_next", "Move focus between the folders and the list";
    ScrollDown => "scroll_down", "Scroll the reader down a line";
    ScrollUp => "scroll_up", "Scroll the reader up a line";
    ToggleFullscreen => "toggle_fullscreen", "Switch the reader between split and full screen";
    ToggleHeaders => "toggle_headers", "Headers: short, then all, then the raw source";
    ToggleHtml => "toggle_html", "Switch between the HTML and the plain part (remembered per sender)";
    Find => "find", "Find in the message text; then n / N next / previous match, Esc ends";
    FindNext => "find_next", "Next match of the find; with no find active, mark read or unread";
    FindPrev => "find_prev", "Previous match of the find (while one is active)";
    Pipe => "pipe", "Pipe the raw message to a shell command and show its output";
    Attachments => "attachments", "List the attachments of the open message and save one";
    OpenAttachment => "open_attachment", "Open the selected attachment (or link) with its program";
    SaveAllAttachments => "save_all_attachments", "Save every attachment to the download directory";
    Links => "links", "List the links in the message; a number or Enter opens one";
    FetchRest => "fetch_rest", "Fetch the rest of a long message shown cut (only its start was fetched)";
    ToggleThreads => "toggle_threads", "Switch the list between threaded and flat";
    FoldThread => "fold_thread", "Fold or unfold the thread under the cursor";
    FoldAll => "fold_all", "Fold every thread (again: unfold every thread)";
    UnfoldAll => "unfold_all", "Unfold every thread";
    Filter => "filter", "Filter the list as you type (from, subject, flags)";
    SearchEverywhere => "search_everywhere", "Search every folder and account (cache, then server)";
    CommandLine => "command_line", "Open the : command line";
    Help => "help", "Show the keys and what they do";
    SyncNow => "sync_now", "Sync the current folder now";
    ToggleRead => "toggle_read", "Mark the message read or unread";
    ToggleFlagged => "toggle_flagged", "Flag or unflag the message";
    Delete => "delete", "Move to the Trash (in the Trash: remove for good)";
    Archive => "archive", "Move the message to the Archive folder";
    Junk => "junk", "Move the message to the Junk folder (u takes it back)";
    Tag => "tag", "Tag or untag the message";
    TagThread => "tag_thread", "Tag or untag every message of its thread";
    ApplyToTagged => "apply_to_tagged", "Apply the next action to the tagged messages";
    TagRange => "tag_range", "Tag every message from the last tagged one to the cursor";
    TagAll => "tag_all", "Tag every message the filter shows (again: untag all)";
    MoveTo => "move", "Move to a folder chosen in a picker";
    CopyTo => "copy", "Copy to a folder chosen in a picker";
    AddKeyword => "add_keyword", "Add keywords (labels) to the message";
    RemoveKeyword => "remove_keyword", "Remove keywords from the message";
    MarkThreadRead => "mark_thread_read", "Mark the whole thread read";
    MarkFolderRead => "mark_folder_read", "Mark every message in the folder read";
    Undo => "undo", "Undo the last action (press again to redo)";
    Redraw => "redraw", "Redraw the screen";
    CreateFolder => "create_folder", "Create a folder on the server (:mkdir NAME)";
    RenameFolder => "rename_folder", "Rename the folder under the cursor; its children follow (:rename)";
    DeleteFolder => "delete_folder", "Delete the folder under the cursor, after asking (:rmdir)";
    ToggleSubscribed => "toggle_subscribed", "Subscribe to or unsubscribe from the folder under the cursor";
    ToggleAllFolders => "toggle_all_folders", "Show the unsubscribed folders too (again: subscribed only; :folders all)";
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_round_trip() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        for name in &names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert_eq!(Action::from_name(name).map(|a| a.name()), Some(*name));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
        assert!(Action::ALL.iter().all(|a| !a.doc().is_empty()));
    }
}
