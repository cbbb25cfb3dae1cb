-- Full-text search (issue 13). unicode61 with remove_diacritics 2 folds case and accents in
-- every script it knows, so "ö" finds "Ö" and "o". Contentless: the text lives in `messages`
-- and in the bodies; the index keeps only tokens. A document's rowid is
-- folder_id << 32 | uid: a folder holds one UIDVALIDITY at a time (a new one drops its rows
-- first), so that names one message without a mapping table to keep.
CREATE VIRTUAL TABLE search_text USING fts5(
    subject, sender, recipients, cc, body,
    content = '', contentless_delete = 1, detail = column,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Headers are indexed by the same statement that stores them, whoever writes it. REPLACE:
-- a stray row under another UIDVALIDITY must not make the insert fail.
CREATE TRIGGER search_index_new AFTER INSERT ON messages BEGIN
    REPLACE INTO search_text (rowid, subject, sender, recipients, cc, body)
        VALUES ((new.folder_id << 32) | new.uid, new.subject,
                concat_ws(' ', new.from_name, new.from_addr), new.to_addrs, new.cc_addrs, '');
END;

CREATE TRIGGER search_index_gone AFTER DELETE ON messages BEGIN
    DELETE FROM search_text WHERE rowid = (old.folder_id << 32) | old.uid;
END;

-- A re-fetched header (rare: flags change far more often) replaces the document's header
-- tokens; the body text is indexed again when the body is stored again.
CREATE TRIGGER search_index_header AFTER UPDATE OF subject, from_name, from_addr, to_addrs, cc_addrs
    ON messages
    WHEN new.subject IS NOT old.subject OR new.from_name IS NOT old.from_name
      OR new.from_addr IS NOT old.from_addr OR new.to_addrs IS NOT old.to_addrs
      OR new.cc_addrs IS NOT old.cc_addrs
BEGIN
    REPLACE INTO search_text (rowid, subject, sender, recipients, cc, body)
        VALUES ((new.folder_id << 32) | new.uid, new.subject,
                concat_ws(' ', new.from_name, new.from_addr), new.to_addrs, new.cc_addrs, '');
END;

-- What an older tern cached is indexed now; its bodies follow in the Rust step.
INSERT INTO search_text (rowid, subject, sender, recipients, cc, body)
    SELECT (folder_id << 32) | uid, subject, concat_ws(' ', from_name, from_addr), to_addrs,
           cc_addrs, ''
    FROM messages;

-- Search lists every folder newest first: with this, "is:unread" and the like stop after a
-- page instead of sorting every match.
CREATE INDEX messages_newest ON messages (date DESC, uid DESC);
-- Flagged mail is rare: "is:flagged" (a common saved view) would otherwise walk every row.
CREATE INDEX messages_flagged ON messages (date DESC, uid DESC) WHERE sys_flags & 4 != 0;
