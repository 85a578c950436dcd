-- Folders an apply left empty and removed (the `remove empty folders` option), so that undoing
-- the plan, or restoring one file of it, recreates them with their mode before files come back.
-- `folder_id` is the folder's local id (its absolute path, or `raw:<hex>`), below `source`.
-- `removing` is journaled before the rmdir and becomes `removed` after it; a crash in between
-- is settled by the next run. `recreated` once a restore made the folder again.
CREATE TABLE removed_folders (
    id         INTEGER PRIMARY KEY,
    user_id    TEXT NOT NULL,
    plan_id    INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    source     TEXT NOT NULL,
    folder_id  TEXT NOT NULL,
    mode       INTEGER NOT NULL,
    removed_at INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'removing'
               CHECK (state IN ('removing', 'removed', 'recreated'))
);
CREATE INDEX removed_folders_plan ON removed_folders (plan_id, state);
CREATE INDEX removed_folders_source ON removed_folders (user_id, source, state);
