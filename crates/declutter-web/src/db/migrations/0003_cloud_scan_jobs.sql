-- Scan jobs of connected cloud drives: a job scans either a local source or a connection.
-- SQLite cannot relax a NOT NULL column in place, so the table is rebuilt.

CREATE TABLE scan_jobs_new (
    id            INTEGER PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_id     INTEGER REFERENCES local_sources (id) ON DELETE CASCADE,
    connection_id INTEGER REFERENCES oauth_connections (id) ON DELETE CASCADE,
    state         TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    scan_id       INTEGER,
    indexed       INTEGER,
    issues        INTEGER,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    CHECK ((source_id IS NULL) <> (connection_id IS NULL))
);
INSERT INTO scan_jobs_new (id, user_id, source_id, state, scan_id, indexed, issues, started_at, finished_at)
    SELECT id, user_id, source_id, state, scan_id, indexed, issues, started_at, finished_at FROM scan_jobs;
DROP TABLE scan_jobs;
ALTER TABLE scan_jobs_new RENAME TO scan_jobs;
CREATE INDEX scan_jobs_owner ON scan_jobs (user_id, id);
