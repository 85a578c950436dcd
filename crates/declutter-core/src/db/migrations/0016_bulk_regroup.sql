-- Regrouping an owner (store::groups::recompute_in) replaces all of their groups at once: it
-- sets every group's counts, the owner's summary and the view version in a few statements of
-- its own. While its transaction holds the row here, the per-row upkeep below stands aside
-- (it cost a write to the group, the summary and the version for every member inserted). No
-- other connection ever sees the row: it is removed before the regrouping commits. PostgreSQL
-- keeps the same counts with statement triggers and has no such table.
CREATE TABLE regrouping (busy INTEGER PRIMARY KEY CHECK (busy = 1));

DROP TRIGGER dup_group_files_added;
CREATE TRIGGER dup_group_files_added AFTER INSERT ON dup_group_files
WHEN NOT EXISTS (SELECT 1 FROM regrouping) BEGIN
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

DROP TRIGGER dup_group_files_removed;
CREATE TRIGGER dup_group_files_removed AFTER DELETE ON dup_group_files
WHEN NOT EXISTS (SELECT 1 FROM regrouping) BEGIN
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

DROP TRIGGER dup_groups_removed;
CREATE TRIGGER dup_groups_removed AFTER DELETE ON dup_groups
WHEN NOT EXISTS (SELECT 1 FROM regrouping) BEGIN
    UPDATE dup_summary SET
        group_count = group_count - (OLD.file_count > 1),
        reclaimable = reclaimable - CASE WHEN OLD.confidence = 'exact' AND OLD.file_count > 1
                                    THEN OLD.wasted ELSE 0 END,
        copies = copies - CASE WHEN OLD.confidence = 'exact' AND OLD.file_count > 1
                          THEN OLD.file_count - 1 ELSE 0 END
    WHERE user_id = OLD.user_id;
END;

DROP TRIGGER dupes_view_group_added;
CREATE TRIGGER dupes_view_group_added AFTER INSERT ON dup_groups
WHEN NOT EXISTS (SELECT 1 FROM regrouping) BEGIN
    INSERT INTO dupes_view_version (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;

DROP TRIGGER dupes_view_group_changed;
CREATE TRIGGER dupes_view_group_changed AFTER UPDATE ON dup_groups
WHEN NOT EXISTS (SELECT 1 FROM regrouping) BEGIN
    INSERT INTO dupes_view_version (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;

DROP TRIGGER dupes_view_group_removed;
CREATE TRIGGER dupes_view_group_removed AFTER DELETE ON dup_groups
WHEN NOT EXISTS (SELECT 1 FROM regrouping) BEGIN
    INSERT INTO dupes_view_version (user_id, version) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
