-- Safety (issue: a duplicate group never loses its last live copy).
--
-- One identity per physical file: a local file is its (device, inode), whatever local sources
-- overlap (a folder and its parent, a bind mount, a hard link across folders); a cloud item
-- is its provider id, already unique per owner (one source per provider). Rows that broke
-- this are dropped here (the oldest row stays); the next scan of their source settles them.
-- (The path needs no index of its own: one path is one inode, and a row whose file left its
-- path gives way when the path is indexed again.)
DELETE FROM files WHERE dev IS NOT NULL AND id NOT IN (
    SELECT min(id) FROM files WHERE dev IS NOT NULL GROUP BY user_id, dev, ino
);
CREATE UNIQUE INDEX files_physical ON files (user_id, dev, ino) WHERE dev IS NOT NULL;

-- Our trash is never live data, at any depth: rows indexed inside a .declutter-trash folder by
-- earlier versions (which skipped it only at the scanned root) are dropped.
DELETE FROM files WHERE provider = 'local'
    AND (instr(path, '/.declutter-trash/') > 0 OR path LIKE '%/.declutter-trash');

-- Live claims on an item (a trash row being written or holding it) are looked up by the item
-- inside the transaction that journals each removal.
CREATE INDEX trash_item ON trash (item_id, provider, state);

-- One apply at a time per owner, whichever process runs it: a lease held by one run, renewed
-- as it goes, taken over when its holder is gone (same host, process ended) or silent past
-- the lease.
CREATE TABLE apply_locks (
    user_id    TEXT PRIMARY KEY,
    plan_id    INTEGER NOT NULL,
    holder     TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    pid_start  INTEGER,
    renewed_at INTEGER NOT NULL
) WITHOUT ROWID;
