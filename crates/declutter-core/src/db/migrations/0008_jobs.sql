-- Background clean-up jobs (apply a plan, restore a plan): their progress and cancel request
-- live here, not in a process's memory, so a reloaded page, another process or another
-- instance on this database sees the same job. The engine's progress hook writes the counters;
-- the cancel flag is read between items.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('apply', 'restore')),
    plan_id     INTEGER,
    state       TEXT NOT NULL DEFAULT 'running'
                CHECK (state IN ('running', 'done', 'cancelled', 'failed')),
    phase       TEXT NOT NULL DEFAULT '',
    total       INTEGER NOT NULL DEFAULT 0,
    done        INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0,
    errors      INTEGER NOT NULL DEFAULT 0,
    cancel      INTEGER NOT NULL DEFAULT 0,
    summary     TEXT,
    error       TEXT,
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX jobs_owner ON jobs (user_id, id);

-- The trash page lists an owner's entries newest first, a page at a time.
CREATE INDEX trash_owner_page ON trash (user_id, state, id);

-- A single-file removal (the clutter report's) checks, inside the transaction that journals
-- it, that no plan keeps this file for a removal it made: a lookup by item.
CREATE INDEX plan_items_item ON plan_items (item_id, provider);
-- Undoing a plan finds its trash rows through its items.
CREATE INDEX trash_by_plan_item ON trash (plan_item_id);
