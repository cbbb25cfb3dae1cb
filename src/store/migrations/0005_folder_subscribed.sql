-- tern cache, schema 5. Whether the user subscribed to the folder (LSUB), so the sidebar can
-- show the subscribed ones and the rest on request. Until the next folder list says, every
-- folder counts as subscribed: an upgrade hides nothing.
ALTER TABLE folders ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 1;
