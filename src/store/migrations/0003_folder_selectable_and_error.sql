-- tern cache, schema 3. A \Noselect folder (a parent with no mailbox of its own, like
-- Gmail's [Gmail]) stays in the list for the tree but is never STATUSed or selected.
-- last_error: why the last STATUS/SELECT of this folder failed (the folder's error, shown
-- on it in the sidebar), NULL once it works again.
ALTER TABLE folders ADD COLUMN selectable INTEGER NOT NULL DEFAULT 1;
ALTER TABLE folders ADD COLUMN last_error TEXT;
