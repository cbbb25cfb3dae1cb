-- Full-text search (issue 13). unicode61 with remove_diacritics 2 folds case and accents in
-- every script it knows, so "ö" finds "Ö" and "o". Contentless: the text lives in `messages`
-- and in the bodies; the index keeps only tokens. `messages` has no rowid, so `search_docs`
-- hands out the document ids.
CREATE TABLE search_docs (
    docid       INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    UNIQUE (folder_id, uidvalidity, uid)
);

CREATE VIRTUAL TABLE search_text USING fts5(
    subject, sender, recipients, cc, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Headers are indexed by the same statement that stores them, whoever writes it.
CREATE TRIGGER search_index_new AFTER INSERT ON messages BEGIN
    INSERT INTO search_docs (folder_id, uidvalidity, uid)
        VALUES (new.folder_id, new.uidvalidity, new.uid);
    INSERT INTO search_text (rowid, subject, sender, recipients, cc, body)
        VALUES (last_insert_rowid(), new.subject,
                concat_ws(' ', new.from_name, new.from_addr), new.to_addrs, new.cc_addrs, '');
END;

CREATE TRIGGER search_index_gone AFTER DELETE ON messages BEGIN
    DELETE FROM search_text WHERE rowid = (SELECT docid FROM search_docs
        WHERE folder_id = old.folder_id AND uidvalidity = old.uidvalidity AND uid = old.uid);
    DELETE FROM search_docs
        WHERE folder_id = old.folder_id AND uidvalidity = old.uidvalidity AND uid = old.uid;
END;

-- A re-fetched header (rare: flags change far more often) replaces the document's header
-- tokens; the body text is indexed again when the body is stored again.
CREATE TRIGGER search_index_header AFTER UPDATE OF subject, from_name, from_addr, to_addrs, cc_addrs
    ON messages
    WHEN new.subject IS NOT old.subject OR new.from_name IS NOT old.from_name
      OR new.from_addr IS NOT old.from_addr OR new.to_addrs IS NOT old.to_addrs
      OR new.cc_addrs IS NOT old.cc_addrs
BEGIN
    DELETE FROM search_text WHERE rowid = (SELECT docid FROM search_docs
        WHERE folder_id = new.folder_id AND uidvalidity = new.uidvalidity AND uid = new.uid);
    INSERT INTO search_text (rowid, subject, sender, recipients, cc, body)
        VALUES ((SELECT docid FROM search_docs WHERE folder_id = new.folder_id
                    AND uidvalidity = new.uidvalidity AND uid = new.uid),
                new.subject, concat_ws(' ', new.from_name, new.from_addr),
                new.to_addrs, new.cc_addrs, '');
END;

-- What an older tern cached is indexed now; its bodies follow in the Rust step.
INSERT INTO search_docs (folder_id, uidvalidity, uid)
    SELECT folder_id, uidvalidity, uid FROM messages;
INSERT INTO search_text (rowid, subject, sender, recipients, cc, body)
    SELECT d.docid, m.subject, concat_ws(' ', m.from_name, m.from_addr), m.to_addrs, m.cc_addrs, ''
    FROM messages m JOIN search_docs d
        ON d.folder_id = m.folder_id AND d.uidvalidity = m.uidvalidity AND d.uid = m.uid;
