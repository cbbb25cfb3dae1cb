-- Messages in parts: each message's MIME structure (BODYSTRUCTURE, one row per part in
-- document order) and the parts fetched so far, which share the body cache's budget.
CREATE TABLE structure_parts (
    folder_id   INTEGER NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    position    INTEGER NOT NULL,      -- document order, 0 = the message itself
    section     TEXT NOT NULL,         -- "1", "1.2"; "" for a multipart message's top
    depth       INTEGER NOT NULL,
    mime_type   TEXT NOT NULL,
    subtype     TEXT NOT NULL,
    charset     TEXT,
    name        TEXT,
    disposition TEXT,
    filename    TEXT,
    encoding    TEXT NOT NULL,
    size        INTEGER NOT NULL,      -- octets as transferred
    flowed      INTEGER NOT NULL DEFAULT 0,
    delsp       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (folder_id, uidvalidity, uid, position),
    FOREIGN KEY (folder_id, uidvalidity, uid)
        REFERENCES messages (folder_id, uidvalidity, uid) ON DELETE CASCADE
) WITHOUT ROWID;

-- Fetched sections ("HEADER", "1.2") as the server sent them; `partial` marks a part cut
-- at `size` octets (the rest is fetched on demand); `decoded` one the server sent with its
-- transfer encoding undone (BINARY). Evicted with bodies, oldest first.
CREATE TABLE part_bodies (
    folder_id   INTEGER NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    section     TEXT NOT NULL,
    partial     INTEGER NOT NULL CHECK (partial IN (0, 1)),
    decoded     INTEGER NOT NULL DEFAULT 0 CHECK (decoded IN (0, 1)),
    size        INTEGER NOT NULL,
    last_used   INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (folder_id, uidvalidity, uid, section),
    FOREIGN KEY (folder_id, uidvalidity, uid)
        REFERENCES messages (folder_id, uidvalidity, uid) ON DELETE CASCADE
);
CREATE INDEX part_bodies_lru ON part_bodies (last_used, size);
