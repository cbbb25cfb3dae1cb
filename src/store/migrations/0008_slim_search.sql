-- tern cache, schema 8 (issue 14): a smaller search index, cheaper to fill.
-- Headers and bodies get one index each. The header index keeps no per-document sizes
-- (columnsize=0; nothing ranks by them) and no delete map (no contentless_delete): the
-- header text it indexed is still in `messages`, so the triggers delete a document by
-- giving its old values back. At 100k mail-shaped messages that is 39 B/message less
-- (the size map was 40% of the index).
-- Body text cannot be read back (bodies are evicted), so the body index keeps its delete
-- map, but only cached bodies have a document in it; one column needs no column lists
-- (detail=none).
DROP TRIGGER search_index_new;
DROP TRIGGER search_index_gone;
DROP TRIGGER search_index_header;
DROP TABLE search_text;

-- A document's rowid is folder_id << 32 | uid, as in schema 6.
CREATE VIRTUAL TABLE search_text USING fts5(
    subject, sender, recipients, cc,
    content = '', columnsize = 0, detail = column,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE VIRTUAL TABLE search_bodies USING fts5(
    body,
    content = '', contentless_delete = 1, detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- No INSERT trigger: the writer indexes a new row itself (search_index::index_new_row).
-- A trigger makes every row's INSERT open a statement savepoint, and FTS5 writes its
-- pending tokens to disk at each one: a segment per row, then merges.
-- The 'delete' command must get exactly the text that was indexed: the old row's.
CREATE TRIGGER search_index_gone AFTER DELETE ON messages BEGIN
    INSERT INTO search_text (search_text, rowid, subject, sender, recipients, cc)
        VALUES ('delete', (old.folder_id << 32) | old.uid, old.subject,
                concat_ws(' ', old.from_name, old.from_addr), old.to_addrs, old.cc_addrs);
    DELETE FROM search_bodies WHERE rowid = (old.folder_id << 32) | old.uid;
END;

-- A re-fetched header, or a placeholder UID turned real (journal): the old document goes,
-- the new one comes (before schema 8 a renumbered row lost its document).
CREATE TRIGGER search_index_header
    AFTER UPDATE OF folder_id, uid, subject, from_name, from_addr, to_addrs, cc_addrs
    ON messages
    WHEN new.folder_id IS NOT old.folder_id OR new.uid IS NOT old.uid
      OR new.subject IS NOT old.subject OR new.from_name IS NOT old.from_name
      OR new.from_addr IS NOT old.from_addr OR new.to_addrs IS NOT old.to_addrs
      OR new.cc_addrs IS NOT old.cc_addrs
BEGIN
    INSERT INTO search_text (search_text, rowid, subject, sender, recipients, cc)
        VALUES ('delete', (old.folder_id << 32) | old.uid, old.subject,
                concat_ws(' ', old.from_name, old.from_addr), old.to_addrs, old.cc_addrs);
    INSERT INTO search_text (rowid, subject, sender, recipients, cc)
        VALUES ((new.folder_id << 32) | new.uid, new.subject,
                concat_ws(' ', new.from_name, new.from_addr), new.to_addrs, new.cc_addrs);
    DELETE FROM search_bodies WHERE rowid = (old.folder_id << 32) | old.uid
        AND (new.folder_id IS NOT old.folder_id OR new.uid IS NOT old.uid);
END;

-- Headers indexed again from the rows; cached bodies and text parts follow in the Rust step.
INSERT INTO search_text (rowid, subject, sender, recipients, cc)
    SELECT (folder_id << 32) | uid, subject, concat_ws(' ', from_name, from_addr), to_addrs,
           cc_addrs
    FROM messages;
