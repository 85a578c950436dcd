-- A per-owner version of everything the duplicates view shows: bumped by every change to the
-- owner's groups (membership changes reach dup_groups through the file_count triggers of 0003)
-- and to an indexed file that belongs to a group. Readers compare it to decide whether a page
-- they rendered before is still current, whichever process or connection wrote in between.
CREATE TABLE dupes_view_version (
    user_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER dupes_view_group_added AFTER INSERT ON dup_groups BEGIN
    INSERT INTO dupes_view_version (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER dupes_view_group_changed AFTER UPDATE ON dup_groups BEGIN
    INSERT INTO dupes_view_version (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER dupes_view_group_removed AFTER DELETE ON dup_groups BEGIN
    INSERT INTO dupes_view_version (user_id, version) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER dupes_view_member_changed AFTER UPDATE ON files
WHEN EXISTS (SELECT 1 FROM dup_group_files WHERE file_id = NEW.id) BEGIN
    INSERT INTO dupes_view_version (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
