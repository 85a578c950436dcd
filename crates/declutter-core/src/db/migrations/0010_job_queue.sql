-- Clean-up jobs become a queue any instance's workers claim (issue 15): a request queues the
-- job; a worker that can reach every source of its plan takes the owner's apply lock and runs
-- it; a run whose process is gone puts the job back, at most three runs in all.
--   state 'queued': waiting for a worker;
--   options: how the run goes (JSON: remove_empty_folders);
--   attempts: runs started; every write of a run names its attempt, so a run presumed gone
--             cannot overwrite the one that replaced it.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE jobs_queue (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('apply', 'restore')),
    plan_id     INTEGER,
    state       TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'cancelled', 'failed')),
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
    finished_at INTEGER,
    options     TEXT NOT NULL DEFAULT '{}',
    attempts    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO jobs_queue (id, user_id, kind, plan_id, state, phase, total, done, bytes, errors,
                        cancel, summary, error, started_at, updated_at, finished_at, attempts)
SELECT id, user_id, kind, plan_id, state, phase, total, done, bytes, errors,
       cancel, summary, error, started_at, updated_at, finished_at, 1
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_queue RENAME TO jobs;
CREATE INDEX jobs_owner ON jobs (user_id, id);
-- Workers look for the oldest queued job; sweeps for the running ones.
CREATE INDEX jobs_by_state ON jobs (state, id);
