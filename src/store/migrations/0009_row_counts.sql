-- tern cache, schema 9: each folder's cached row count and unread row count, kept up to
-- date, so opening a folder and ending a sync read two integers instead of counting rows
-- (COUNT(*) cost 60-70 ms at a million messages, in every first paint and resync).
-- New rows are counted by the writer (`Threads::flush`), not by an INSERT trigger: a
-- trigger gives the INSERT a statement savepoint, at which FTS5 flushes a segment per row
-- (see the search index section of docs/ARCHITECTURE.md). Removals and read/unread changes
-- are counted by triggers. REPLACE is not used on messages (it would delete without the
-- DELETE trigger).
CREATE TABLE folder_counts (
    folder_id INTEGER PRIMARY KEY REFERENCES folders(id) ON DELETE CASCADE,
    rows      INTEGER NOT NULL DEFAULT 0,
    unseen    INTEGER NOT NULL DEFAULT 0
);

INSERT INTO folder_counts (folder_id, rows, unseen)
    SELECT id,
           (SELECT count(*) FROM messages WHERE folder_id = folders.id),
           (SELECT count(*) FROM messages WHERE folder_id = folders.id AND sys_flags & 1 = 0)
    FROM folders;

CREATE TRIGGER row_count_gone AFTER DELETE ON messages BEGIN
    UPDATE folder_counts SET rows = rows - 1, unseen = unseen - (old.sys_flags & 1 = 0)
        WHERE folder_id = old.folder_id;
END;

CREATE TRIGGER row_count_seen AFTER UPDATE OF sys_flags, folder_id ON messages
    WHEN (old.sys_flags & 1) IS NOT (new.sys_flags & 1) OR old.folder_id IS NOT new.folder_id
BEGIN
    UPDATE folder_counts SET rows = rows - 1, unseen = unseen - (old.sys_flags & 1 = 0)
        WHERE folder_id = old.folder_id;
    INSERT INTO folder_counts (folder_id, rows, unseen)
        VALUES (new.folder_id, 1, new.sys_flags & 1 = 0)
        ON CONFLICT (folder_id) DO UPDATE SET rows = rows + 1, unseen = unseen + excluded.unseen;
END;
