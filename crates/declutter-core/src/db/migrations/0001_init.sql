-- Declutter schema, shared by the CLI and the multi-user web app. Every owned row carries
-- user_id; the CLI acts as user 'local'. Times are unix seconds, modification times of files
-- unix nanoseconds (cloud providers report seconds, stored as seconds * 1e9).

-- One row per scanned place per owner, with the provider's incremental cursor (Graph delta
-- link, Drive changes page token).
CREATE TABLE sources (
    user_id      TEXT NOT NULL,
    source       TEXT NOT NULL,
    provider     TEXT NOT NULL CHECK (provider IN ('local', 'onedrive', 'gdrive')),
    cursor       TEXT,
    last_scan_id INTEGER,
    PRIMARY KEY (user_id, source)
);

CREATE TABLE scans (
    id           INTEGER PRIMARY KEY,
    user_id      TEXT NOT NULL,
    source       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    incremental  INTEGER NOT NULL DEFAULT 0,
    items_seen   INTEGER NOT NULL DEFAULT 0,
    api_calls    INTEGER NOT NULL DEFAULT 0,
    issue_count  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_owner ON scans (user_id, id);

-- Problems met during a scan that did not stop it (permissions, vanished files, odd names).
CREATE TABLE scan_issues (
    id       INTEGER PRIMARY KEY,
    scan_id  INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    path     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    message  TEXT NOT NULL
);

-- The current index of every source: replaced by a full listing, patched by a delta.
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL,
    source      TEXT NOT NULL,
    provider    TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    parent_id   TEXT,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    is_dir      INTEGER NOT NULL DEFAULT 0,
    size        INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    hash_kind   TEXT,
    hash        TEXT,
    etag        TEXT,
    mime        TEXT,
    comparable  INTEGER NOT NULL DEFAULT 1,
    dev         INTEGER,
    ino         INTEGER,
    scan_id     INTEGER,
    UNIQUE (user_id, source, item_id)
);
CREATE INDEX files_by_hash ON files (user_id, hash_kind, hash, size);
CREATE INDEX files_by_size ON files (user_id, size);

-- Local content hashes, valid while (dev, ino) still has the same size and mtime. Machine-local
-- cache, not owned data: a rescan of an unchanged tree reads no file content.
CREATE TABLE hash_cache (
    dev       INTEGER NOT NULL,
    ino       INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    partial   TEXT,
    full      TEXT,
    PRIMARY KEY (dev, ino)
) WITHOUT ROWID;

-- Duplicate groups as last computed for an owner.
CREATE TABLE dup_groups (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL,
    confidence  TEXT NOT NULL CHECK (confidence IN ('exact', 'probable')),
    hash_kind   TEXT,
    hash        TEXT,
    size        INTEGER NOT NULL,
    computed_at INTEGER NOT NULL
);
CREATE INDEX dup_groups_owner ON dup_groups (user_id);
CREATE TABLE dup_group_files (
    group_id INTEGER NOT NULL REFERENCES dup_groups (id) ON DELETE CASCADE,
    file_id  INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, file_id)
);

-- A plan is self-contained: each item snapshots what was seen, so apply can re-check it.
CREATE TABLE plans (
    id              INTEGER PRIMARY KEY,
    user_id         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    rules           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'applying', 'applied')),
    remove_count    INTEGER NOT NULL,
    bytes_reclaimed INTEGER NOT NULL
);
CREATE TABLE plan_items (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    group_key   TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('keep', 'remove')),
    source      TEXT NOT NULL,
    provider    TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    parent_id   TEXT,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    hash_kind   TEXT,
    hash        TEXT,
    etag        TEXT,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'started', 'done', 'skipped')),
    reason      TEXT,
    trash_id    INTEGER,
    updated_at  INTEGER
);
CREATE INDEX plan_items_by_plan ON plan_items (plan_id, state);

-- Our trash log. 'trashing' is written before the provider is touched and 'trashed' after,
-- so a crash in between is settled on the next run by looking where the item is.
CREATE TABLE trash (
    id                 INTEGER PRIMARY KEY,
    user_id            TEXT NOT NULL,
    source             TEXT NOT NULL,
    provider           TEXT NOT NULL,
    item_id            TEXT NOT NULL,
    parent_id          TEXT,
    name               TEXT NOT NULL,
    original_path      TEXT NOT NULL,
    location           TEXT NOT NULL,
    size               INTEGER NOT NULL,
    hash_kind          TEXT,
    hash               TEXT,
    plan_item_id       INTEGER REFERENCES plan_items (id) ON DELETE SET NULL,
    trashed_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('trashing', 'trashed', 'restored', 'purged'))
);
CREATE INDEX trash_owner ON trash (user_id, state, expires_at);
