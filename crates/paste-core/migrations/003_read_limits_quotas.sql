-- Counted reads. A paste whose reads are counted has pastes.burn_after_read = 1 (so the read
-- cache and the plain content read never serve it); a row here exists only when it allows more
-- than one read or wants each counting read confirmed. No row means plain burn after read.
-- Kept beside pastes rather than as new columns, which would land after the content column and
-- make every metadata read walk the content's overflow pages.
CREATE TABLE paste_reads (
    id        TEXT PRIMARY KEY NOT NULL REFERENCES pastes (id) ON DELETE CASCADE,
    max_views INTEGER NOT NULL CHECK (max_views >= 1),
    views     INTEGER NOT NULL DEFAULT 0 CHECK (views >= 0),
    confirm   INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- Anonymous creation per client address (IPv6 by /64) and UTC day, for the daily quota.
-- Certificate quotas need no table: they count the owner's live pastes.
CREATE TABLE anon_usage (
    client TEXT NOT NULL,
    day    INTEGER NOT NULL,
    pastes INTEGER NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (client, day)
) STRICT, WITHOUT ROWID;

CREATE INDEX anon_usage_day ON anon_usage (day);
