-- SQLite migration 14: a cloud listing's pages wait here until its last one (store::listing).
-- Unlogged: the rows only live for one scan, and a crash that loses them loses the scan, which
-- the next one repeats; skipping the write-ahead log halves what a listing writes.
CREATE UNLOGGED TABLE listing_stage (
    user_id     TEXT NOT NULL,
    source      TEXT NOT NULL,
    scan_id     BIGINT NOT NULL,
    item_id     TEXT NOT NULL,
    removed     BIGINT NOT NULL,
    parent_id   TEXT,
    name        TEXT,
    path        TEXT,
    is_dir      BIGINT,
    size        BIGINT,
    modified_ns BIGINT,
    hash_kind   TEXT,
    hash        TEXT,
    etag        TEXT,
    mime        TEXT,
    comparable  BIGINT,
    dev         BIGINT,
    ino         BIGINT,
    PRIMARY KEY (scan_id, item_id)
);
CREATE INDEX listing_stage_children ON listing_stage (scan_id, parent_id);

CREATE INDEX files_children ON files (user_id, source, parent_id);
