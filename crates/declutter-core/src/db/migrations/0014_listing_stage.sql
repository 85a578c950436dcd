-- A cloud listing arrives page by page. Its pages wait here, keyed by the scan, until the last
-- one, then merge into `files` in one transaction (store::listing): memory holds one page,
-- whatever the drive's size, and a listing cut off midway leaves the index as it was.
CREATE TABLE listing_stage (
    user_id     TEXT NOT NULL,
    source      TEXT NOT NULL,
    scan_id     INTEGER NOT NULL,
    item_id     TEXT NOT NULL,
    -- 1: the listing's last word on the item is that it is gone.
    removed     INTEGER NOT NULL,
    parent_id   TEXT,
    name        TEXT,
    path        TEXT,
    is_dir      INTEGER,
    size        INTEGER,
    modified_ns INTEGER,
    hash_kind   TEXT,
    hash        TEXT,
    etag        TEXT,
    mime        TEXT,
    comparable  INTEGER,
    dev         INTEGER,
    ino         INTEGER,
    PRIMARY KEY (scan_id, item_id)
);
-- A full listing's paths walk its parent links down from the top items.
CREATE INDEX listing_stage_children ON listing_stage (scan_id, parent_id);

-- A delta's paths walk the stored parent links down the same way.
CREATE INDEX files_children ON files (user_id, source, parent_id);
