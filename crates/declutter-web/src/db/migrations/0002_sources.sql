-- Local folders an admin assigned to a user (always inside DECLUTTER_LOCAL_ROOTS, stored
-- canonical), and the web's scan jobs (the engine's `scans` row is created inside the job).

CREATE TABLE local_sources (
    id         INTEGER PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    added_by   TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, path)
);

CREATE TABLE scan_jobs (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_id   INTEGER NOT NULL REFERENCES local_sources (id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    scan_id     INTEGER,
    indexed     INTEGER,
    issues      INTEGER,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX scan_jobs_owner ON scan_jobs (user_id, id);
