-- Paged duplicate groups. Each group carries its member count and reclaimable bytes so the
-- duplicates page reads one page through an index instead of loading every group and file of
-- the owner per request. Triggers keep both exact, including when a rescan deletes files and
-- the delete cascades into dup_group_files.
ALTER TABLE dup_groups ADD COLUMN file_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dup_groups ADD COLUMN wasted INTEGER NOT NULL DEFAULT 0;

UPDATE dup_groups SET file_count = (
    SELECT count(*) FROM dup_group_files gf WHERE gf.group_id = dup_groups.id
);
UPDATE dup_groups SET wasted = size * max(file_count - 1, 0);

-- Per-owner totals over groups of two or more, so the summary is one row read. Deltas are
-- applied where file_count changes; a deleted group subtracts its whole contribution (its
-- cascaded member deletes run after the row is gone and so find no group to adjust).
CREATE TABLE dup_summary (
    user_id     TEXT PRIMARY KEY,
    group_count INTEGER NOT NULL DEFAULT 0,
    reclaimable INTEGER NOT NULL DEFAULT 0,
    copies      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO dup_summary (user_id, group_count, reclaimable, copies)
SELECT user_id, sum(file_count > 1),
       sum(CASE WHEN confidence = 'exact' AND file_count > 1 THEN wasted ELSE 0 END),
       sum(CASE WHEN confidence = 'exact' AND file_count > 1 THEN file_count - 1 ELSE 0 END)
FROM dup_groups GROUP BY user_id;

CREATE TRIGGER dup_group_files_added AFTER INSERT ON dup_group_files BEGIN
    INSERT INTO dup_summary (user_id, group_count, reclaimable, copies)
    SELECT user_id, file_count = 1,
           CASE WHEN confidence = 'exact' AND file_count >= 1 THEN size ELSE 0 END,
           CASE WHEN confidence = 'exact' AND file_count >= 1 THEN 1 ELSE 0 END
    FROM dup_groups WHERE id = NEW.group_id
    ON CONFLICT (user_id) DO UPDATE SET group_count = group_count + excluded.group_count,
        reclaimable = reclaimable + excluded.reclaimable, copies = copies + excluded.copies;
    UPDATE dup_groups SET file_count = file_count + 1, wasted = size * file_count
    WHERE id = NEW.group_id;
END;
CREATE TRIGGER dup_group_files_removed AFTER DELETE ON dup_group_files BEGIN
    UPDATE dup_summary SET
        group_count = group_count - (SELECT file_count = 2 FROM dup_groups WHERE id = OLD.group_id),
        reclaimable = reclaimable - (SELECT CASE WHEN confidence = 'exact' AND file_count >= 2
                                     THEN size ELSE 0 END FROM dup_groups WHERE id = OLD.group_id),
        copies = copies - (SELECT CASE WHEN confidence = 'exact' AND file_count >= 2
                           THEN 1 ELSE 0 END FROM dup_groups WHERE id = OLD.group_id)
    WHERE user_id = (SELECT user_id FROM dup_groups WHERE id = OLD.group_id);
    UPDATE dup_groups SET file_count = file_count - 1, wasted = size * max(file_count - 2, 0)
    WHERE id = OLD.group_id;
END;
CREATE TRIGGER dup_groups_removed AFTER DELETE ON dup_groups BEGIN
    UPDATE dup_summary SET
        group_count = group_count - (OLD.file_count > 1),
        reclaimable = reclaimable - CASE WHEN OLD.confidence = 'exact' AND OLD.file_count > 1
                                    THEN OLD.wasted ELSE 0 END,
        copies = copies - CASE WHEN OLD.confidence = 'exact' AND OLD.file_count > 1
                          THEN OLD.file_count - 1 ELSE 0 END
    WHERE user_id = OLD.user_id;
END;

-- Page order (largest waste first, then id) and, covering, the summary's count and sum.
CREATE INDEX dup_groups_page ON dup_groups (user_id, wasted DESC, id, file_count, confidence);
DROP INDEX dup_groups_owner;

-- The usage aggregate groups by source and extension straight off this covering index: the
-- extension is a virtual column, so no per-row string work or sort happens per request.
-- SQLite has no "last index of": rtrim drops every trailing character that is not a dot,
-- leaving the name up to its last dot. lower() folds ASCII only, like to_ascii_lowercase.
ALTER TABLE files ADD COLUMN ext TEXT GENERATED ALWAYS AS (
    CASE WHEN instr(name, '.') = 0 THEN ''
         ELSE lower(substr(name, length(rtrim(name, replace(name, '.', ''))) + 1)) END
) VIRTUAL;
CREATE INDEX files_usage ON files (user_id, is_dir, source, ext, size);
