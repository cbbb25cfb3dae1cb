//! Every theme scope the UI asks for. UI code names scopes only through these constants, so
//! a test can check that each shipped theme defines (or falls back to) every one of them.
//! Lookup falls back along the dots: `list.row.unread.selected` -> `list.row.unread` ->
//! `list.row` -> the theme's `default`.

pub const DEFAULT: &str = "default";

pub const BORDER: &str = "border";
pub const BORDER_FOCUSED: &str = "border.focused";
pub const TITLE: &str = "title";

pub const FOLDERS_ACCOUNT: &str = "folders.account";
pub const FOLDERS_ROW: &str = "folders.row";
pub const FOLDERS_ROW_SELECTED: &str = "folders.row.selected";
pub const FOLDERS_ROW_UNREAD: &str = "folders.row.unread";
pub const FOLDERS_ROLE: &str = "folders.role";
pub const FOLDERS_COUNT: &str = "folders.count";

pub const LIST_ROW: &str = "list.row";
pub const LIST_ROW_SELECTED: &str = "list.row.selected";
pub const LIST_ROW_UNREAD: &str = "list.row.unread";
pub const LIST_ROW_UNREAD_SELECTED: &str = "list.row.unread.selected";
pub const LIST_ROW_FLAGGED: &str = "list.row.flagged";
pub const LIST_ROW_DELETED: &str = "list.row.deleted";
pub const LIST_DATE: &str = "list.date";
pub const LIST_FROM: &str = "list.from";
pub const LIST_SUBJECT: &str = "list.subject";
pub const LIST_SIZE: &str = "list.size";
pub const LIST_FLAGS: &str = "list.flags";
pub const LIST_THREAD_GUIDE: &str = "list.thread_guide";
pub const LIST_KEYWORDS: &str = "list.keywords";
pub const LIST_FOLDED: &str = "list.folded";
pub const LIST_EMPTY: &str = "list.empty";
/// A search result's folder, and the mark of one not in the cache yet.
pub const LIST_FOLDER: &str = "list.folder";
pub const LIST_UNCACHED: &str = "list.uncached";

pub const READER_HEADER_NAME: &str = "reader.header.name";
pub const READER_HEADER_VALUE: &str = "reader.header.value";
pub const READER_BODY: &str = "reader.body";
pub const READER_QUOTE_1: &str = "reader.quote.1";
pub const READER_QUOTE_2: &str = "reader.quote.2";
pub const READER_QUOTE_3: &str = "reader.quote.3";
pub const READER_SIGNATURE: &str = "reader.signature";
pub const READER_ATTACHMENT: &str = "reader.attachment";
pub const READER_LOADING: &str = "reader.loading";
pub const READER_KEYWORDS: &str = "reader.keywords";
pub const READER_FIND: &str = "reader.find";
pub const READER_FIND_CURRENT: &str = "reader.find.current";

pub const STATUS_BAR: &str = "status.bar";
pub const STATUS_ONLINE: &str = "status.online";
pub const STATUS_SYNCING: &str = "status.syncing";
pub const STATUS_OFFLINE: &str = "status.offline";
pub const STATUS_ERROR: &str = "status.error";
pub const STATUS_HINT: &str = "status.hint";

pub const COMMAND_LINE: &str = "command_line";
pub const FILTER: &str = "filter";
pub const FILTER_MATCH: &str = "filter.match";

pub const OVERLAY: &str = "overlay";
pub const OVERLAY_TITLE: &str = "overlay.title";
pub const OVERLAY_KEY: &str = "overlay.key";
pub const OVERLAY_SELECTED: &str = "overlay.selected";

pub const ALL: &[&str] = &[
    DEFAULT,
    BORDER,
    BORDER_FOCUSED,
    TITLE,
    FOLDERS_ACCOUNT,
    FOLDERS_ROW,
    FOLDERS_ROW_SELECTED,
    FOLDERS_ROW_UNREAD,
    FOLDERS_ROLE,
    FOLDERS_COUNT,
    LIST_ROW,
    LIST_ROW_SELECTED,
    LIST_ROW_UNREAD,
    LIST_ROW_UNREAD_SELECTED,
    LIST_ROW_FLAGGED,
    LIST_ROW_DELETED,
    LIST_DATE,
    LIST_FROM,
    LIST_SUBJECT,
    LIST_SIZE,
    LIST_FLAGS,
    LIST_THREAD_GUIDE,
    LIST_KEYWORDS,
    LIST_FOLDED,
    LIST_EMPTY,
    LIST_FOLDER,
    LIST_UNCACHED,
    READER_HEADER_NAME,
    READER_HEADER_VALUE,
    READER_BODY,
    READER_QUOTE_1,
    READER_QUOTE_2,
    READER_QUOTE_3,
    READER_SIGNATURE,
    READER_ATTACHMENT,
    READER_LOADING,
    READER_KEYWORDS,
    READER_FIND,
    READER_FIND_CURRENT,
    STATUS_BAR,
    STATUS_ONLINE,
    STATUS_SYNCING,
    STATUS_OFFLINE,
    STATUS_ERROR,
    STATUS_HINT,
    COMMAND_LINE,
    FILTER,
    FILTER_MATCH,
    OVERLAY,
    OVERLAY_TITLE,
    OVERLAY_KEY,
    OVERLAY_SELECTED,
];
