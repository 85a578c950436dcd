-- A local scan indexes the walk in one short transaction, then reads file contents for the
-- duplicate hashes with no lock held, writing each batch in its own transaction, and ends with
-- one more for the groups. A row is a scan that indexed new or changed files and has not
-- finished settling them (it is running, or it was cut off): a later scan of the owner that
-- sees another's row examines every shared size again and recomputes the groups, whatever it
-- finds changed, then clears the rows of the scans indexed before it.
CREATE TABLE unsettled (
    user_id TEXT NOT NULL,
    scan_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, scan_id)
) WITHOUT ROWID;
