-- Scans become a queue that any instance's workers claim: a request leaves a `queued` row; a
-- worker takes it (`running`) and records which process it is (machine, pid, its start time),
-- shows life and progress in the row while it runs, and writes the outcome. A sweep puts back
-- into the queue a job whose runner is gone (at most `attempts` 3 times, then `failed`).
-- SQLite cannot change a CHECK in place, so the table is rebuilt; rows from before count as
-- having no runner.

CREATE TABLE scan_jobs_new (
    id               INTEGER PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_id        INTEGER REFERENCES local_sources (id) ON DELETE CASCADE,
    connection_id    INTEGER REFERENCES oauth_connections (id) ON DELETE CASCADE,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    scan_id          INTEGER,
    indexed          INTEGER,
    issues           INTEGER,
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    runner_host      TEXT,
    runner_pid       INTEGER,
    runner_pid_start INTEGER,
    heartbeat_at     INTEGER,
    phase            TEXT,
    done             INTEGER,
    total            INTEGER,
    CHECK ((source_id IS NULL) <> (connection_id IS NULL))
);
INSERT INTO scan_jobs_new (id, user_id, source_id, connection_id, state, scan_id, indexed, issues,
                           started_at, finished_at)
    SELECT id, user_id, source_id, connection_id, state, scan_id, indexed, issues, started_at,
           finished_at
    FROM scan_jobs;
DROP TABLE scan_jobs;
ALTER TABLE scan_jobs_new RENAME TO scan_jobs;
CREATE INDEX scan_jobs_owner ON scan_jobs (user_id, id);
CREATE INDEX scan_jobs_open ON scan_jobs (state, id) WHERE state IN ('queued', 'running');
