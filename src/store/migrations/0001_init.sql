-- tern cache, schema 1. Explicit columns only; later changes are new numbered files.
-- 'tern' in ASCII: tells our files from other programs' SQLite databases.
PRAGMA application_id = 1952805486;

CREATE TABLE folders (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT,
    delimiter     TEXT,
    uidvalidity   INTEGER,
    uidnext       INTEGER,
    highestmodseq INTEGER,
    messages      INTEGER NOT NULL DEFAULT 0,
    unseen        INTEGER NOT NULL DEFAULT 0,
    synced_at     INTEGER,
    complete      INTEGER NOT NULL DEFAULT 0,
    oldest_uid    INTEGER,
    -- next thread id to hand out in this folder
    next_thread   INTEGER NOT NULL DEFAULT 1
);

-- One row per cached message. Every row of a folder carries the folder's current
-- UIDVALIDITY (a change drops the rows), so the window indexes need not include it.
CREATE TABLE messages (
    folder_id      INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uidvalidity    INTEGER NOT NULL,
    uid            INTEGER NOT NULL,
    -- Date header, else INTERNALDATE, else 0 (unix seconds)
    date           INTEGER NOT NULL,
    internal_date  INTEGER,
    sys_flags      INTEGER NOT NULL,   -- SystemFlags bits
    keywords       TEXT NOT NULL,      -- space-separated, sorted
    size           INTEGER NOT NULL,
    modseq         INTEGER,
    has_attachment INTEGER NOT NULL,
    -- threading, computed at write time
    thread_id      INTEGER NOT NULL,
    thread_latest  INTEGER NOT NULL,   -- max(date) over the thread
    thread_pos     INTEGER NOT NULL,   -- DFS position inside the thread
    depth          INTEGER NOT NULL,
    from_name      TEXT,
    from_addr      TEXT,
    to_addrs       TEXT NOT NULL,
    cc_addrs       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    message_id     TEXT,
    in_reply_to    TEXT,
    refs           TEXT NOT NULL,      -- space-separated Message-IDs, oldest first
    PRIMARY KEY (folder_id, uidvalidity, uid)
) WITHOUT ROWID;

CREATE INDEX messages_by_date ON messages (folder_id, date DESC, uid DESC);
CREATE INDEX messages_threaded ON messages (folder_id, thread_latest DESC, thread_id DESC, thread_pos);
CREATE INDEX messages_thread ON messages (folder_id, thread_id);
-- Partial: only unseen rows, so counting them is cheap.
CREATE INDEX messages_unseen ON messages (folder_id) WHERE sys_flags & 1 = 0;

-- Union-find by relabelling: every Message-ID seen (own, In-Reply-To, References) maps
-- to its thread. Keyed by a stable 64-bit hash of the id to keep the file small.
CREATE TABLE thread_ids (
    folder_id  INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    msgid_hash INTEGER NOT NULL,
    thread_id  INTEGER NOT NULL,
    PRIMARY KEY (folder_id, msgid_hash)
) WITHOUT ROWID;
CREATE INDEX thread_ids_thread ON thread_ids (folder_id, thread_id);

-- Lazily fetched raw messages, evicted least recently used first.
CREATE TABLE bodies (
    folder_id   INTEGER NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    size        INTEGER NOT NULL,      -- before raw: summing sizes skips the blobs
    last_used   INTEGER NOT NULL,      -- store-wide counter, higher = more recent
    raw         BLOB NOT NULL,
    PRIMARY KEY (folder_id, uidvalidity, uid),
    FOREIGN KEY (folder_id, uidvalidity, uid)
        REFERENCES messages (folder_id, uidvalidity, uid) ON DELETE CASCADE
);
CREATE INDEX bodies_lru ON bodies (last_used, size);

-- Pending user actions (optimistic writes awaiting the server); filled by the journal.
CREATE TABLE journal (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uidvalidity INTEGER NOT NULL,
    uids        TEXT NOT NULL,         -- IMAP sequence-set syntax
    action      TEXT NOT NULL,
    argument    TEXT,
    created_at  INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
);
CREATE INDEX journal_by_folder ON journal (folder_id, state);
