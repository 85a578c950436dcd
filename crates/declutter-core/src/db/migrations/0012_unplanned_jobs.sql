-- Emptying the trash and verifying likely matches become jobs of the clean-up queue (issue 15):
-- "free space now" may purge thousands of files and a verification download as many, on drives
-- one API call each, so the request queues the job and a worker that reaches every source it
-- touches runs it under the owner's apply lock (never while an apply or an undo of theirs
-- runs). Neither has a plan.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt, every column kept.
CREATE TABLE jobs_kinds (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('apply', 'restore', 'purge', 'verify')),
    plan_id     INTEGER CHECK ((kind IN ('purge', 'verify')) = (plan_id IS NULL)),
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
-- Every apply and restore job names its plan (older versions never queued one without).
INSERT INTO jobs_kinds
SELECT id, user_id, kind, plan_id, state, phase, total, done, bytes, errors, cancel, summary, error, started_at, updated_at,
       finished_at, options, attempts
FROM jobs WHERE plan_id IS NOT NULL;
DROP TABLE jobs;
ALTER TABLE jobs_kinds RENAME TO jobs;
CREATE INDEX jobs_owner ON jobs (user_id, id);
CREATE INDEX jobs_by_state ON jobs (state, id);
