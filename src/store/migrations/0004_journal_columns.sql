-- tern cache, schema 4: the journal in explicit columns. Before, an action's details were
-- one text `argument` that only the Rust decoder understood; a row it could not read
-- stopped every replay. The rows are moved over by a Rust step (schema.rs) in this same
-- transaction; the old table is kept as journal_v3 until that step drops it.
DROP INDEX journal_by_folder;
ALTER TABLE journal RENAME TO journal_v3;

CREATE TABLE journal (
    id                 INTEGER PRIMARY KEY,
    folder_id          INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    -- of the source folder, as the user saw it when acting
    uidvalidity        INTEGER NOT NULL,
    uids               TEXT NOT NULL,      -- IMAP sequence-set syntax
    -- NULL only for an old entry that could not be read (then failed, with the reason)
    kind               TEXT CHECK (kind IN ('flags', 'move', 'copy', 'expunge')),
    flags_add          TEXT NOT NULL DEFAULT '',   -- space-separated atoms
    flags_remove       TEXT NOT NULL DEFAULT '',
    target             TEXT,               -- folder name, for a move or copy
    -- UIDVALIDITY of the target from COPYUID once done (journal_pairs are then real UIDs)
    target_uidvalidity INTEGER,
    -- UIDNEXT of the target just before a COPY was first sent
    sent_uidnext       INTEGER,
    -- other \Deleted messages a plain EXPUNGE must spare (sequence-set syntax)
    spare              TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'sending', 'done', 'failed')),
    -- why it failed, as the user is told
    failure            TEXT,
    -- the failure was shown to the user (a replay reports each once)
    reported           INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    CHECK (kind IS NOT NULL OR state = 'failed'),
    CHECK (kind IS NULL OR (kind IN ('move', 'copy')) = (target IS NOT NULL)),
    CHECK (state <> 'failed' OR failure IS NOT NULL)
);
CREATE INDEX journal_by_folder ON journal (folder_id, state);
CREATE INDEX journal_by_state ON journal (state, id);

-- A move or copy: each source UID and the UID shown in the target (a placeholder until
-- the server confirms, then the real UID from COPYUID).
CREATE TABLE journal_pairs (
    entry_id    INTEGER NOT NULL REFERENCES journal(id) ON DELETE CASCADE,
    source_uid  INTEGER NOT NULL,
    target_uid  INTEGER NOT NULL,
    placeholder INTEGER NOT NULL CHECK (placeholder IN (0, 1))
);
CREATE INDEX journal_pairs_by_entry ON journal_pairs (entry_id);
