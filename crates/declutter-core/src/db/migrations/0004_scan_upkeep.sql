-- Incremental upkeep of local sources and ownership of cloud items.
--
-- partial: the head+tail hash of a local file once its size group was examined. A size group
-- whose members all carry one is settled, so a warm rescan neither reads content nor consults
-- the hash cache; a changed file has it reset to NULL, which re-examines its size group only.
ALTER TABLE files ADD COLUMN partial TEXT;
-- owned: 0 for cloud items shared with the user but owned by someone else (Drive's ownedByMe).
-- Such items are shown in groups but a plan never removes them.
ALTER TABLE files ADD COLUMN owned INTEGER NOT NULL DEFAULT 1;
-- Opt-in verification of probable (cross-provider) matches: the BLAKE3 of an item's content,
-- downloaded and hashed as a stream, valid while the item keeps this size and modification
-- time. A checked file leaves the probable groups: it joins the exact group of its content
-- (confirmed) or none (rejected).
CREATE TABLE content_checks (
    user_id     TEXT NOT NULL,
    source      TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    size        INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    blake3      TEXT NOT NULL,
    checked_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, source, item_id)
) WITHOUT ROWID;
