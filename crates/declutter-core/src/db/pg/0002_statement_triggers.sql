-- The owners' totals, the groups' counts and the dupes view's version follow changes once per
-- statement, from its transition table, rather than once per row. Row triggers updated the
-- owner's one `dup_summary` row and `dupes_view_version` row for every membership inserted; in
-- one transaction each update walks the row versions the earlier ones left, so a first scan's
-- recompute (40,000 memberships) spent 20 s in them. The arithmetic is the row triggers' summed
-- over a statement's rows: the totals stay exactly SQLite's, and the view's version moves
-- whenever SQLite's does (by the same steps, but for several memberships of one group inserted
-- or removed by one statement, where it moves once).

DROP TRIGGER dup_group_files_added ON dup_group_files;
DROP TRIGGER dup_group_files_removed ON dup_group_files;
DROP TRIGGER dup_groups_removed ON dup_groups;
DROP TRIGGER dupes_view_group_changed ON dup_groups;
DROP TRIGGER dupes_view_member_changed ON files;

-- `steps` changes of one owner's view at once (a row trigger bumped once per row).
CREATE FUNCTION dupes_view_bump_by(owner TEXT, steps BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO dupes_view_version (user_id, version) VALUES (owner, steps)
    ON CONFLICT (user_id) DO UPDATE SET version = dupes_view_version.version + steps;
$$;

-- A group whose count goes from b to b + n by n insertions: it becomes a group (one of two or
-- more) once if b <= 1 < b + n; every insertion but the first into an empty group adds one
-- reclaimable copy of its size (exact groups only).
CREATE FUNCTION dup_group_files_added_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH added AS (
        SELECT group_id, count(*) AS n FROM added_rows GROUP BY group_id
    ), grown AS (
        UPDATE dup_groups g SET file_count = g.file_count + a.n,
                                wasted = g.size * (g.file_count + a.n - 1)
        FROM added a WHERE g.id = a.group_id
        RETURNING g.user_id, g.confidence, g.size, g.file_count - a.n AS before, a.n
    )
    INSERT INTO dup_summary (user_id, group_count, reclaimable, copies)
    SELECT user_id,
           sum(CASE WHEN before <= 1 AND before + n >= 2 THEN 1 ELSE 0 END),
           sum(CASE WHEN confidence = 'exact'
                    THEN size * (n - CASE WHEN before = 0 THEN 1 ELSE 0 END) ELSE 0 END),
           sum(CASE WHEN confidence = 'exact'
                    THEN n - CASE WHEN before = 0 THEN 1 ELSE 0 END ELSE 0 END)
    FROM grown GROUP BY user_id
    ON CONFLICT (user_id) DO UPDATE SET
        group_count = dup_summary.group_count + EXCLUDED.group_count,
        reclaimable = dup_summary.reclaimable + EXCLUDED.reclaimable,
        copies = dup_summary.copies + EXCLUDED.copies;
    RETURN NULL;
END $$;
CREATE TRIGGER dup_group_files_added AFTER INSERT ON dup_group_files
REFERENCING NEW TABLE AS added_rows
FOR EACH STATEMENT EXECUTE FUNCTION dup_group_files_added_rows();

-- A group whose count goes from b to b - m: it stops being a group once if b >= 2 > b - m;
-- each removal while two or more remained takes one reclaimable copy (min(m, b - 1) of them).
-- Memberships removed with their group (a cascade) find no group row: the group's own trigger
-- below takes its totals out.
CREATE FUNCTION dup_group_files_removed_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH removed AS (
        SELECT group_id, count(*) AS m FROM removed_rows GROUP BY group_id
    ), shrunk AS (
        UPDATE dup_groups g SET file_count = g.file_count - r.m,
                                wasted = g.size * GREATEST(g.file_count - r.m - 1, 0)
        FROM removed r WHERE g.id = r.group_id
        RETURNING g.user_id, g.confidence, g.size, g.file_count + r.m AS before, r.m
    )
    UPDATE dup_summary s SET
        group_count = s.group_count - d.groups,
        reclaimable = s.reclaimable - d.bytes,
        copies = s.copies - d.taken
    FROM (
        SELECT user_id,
               sum(CASE WHEN before >= 2 AND before - m <= 1 THEN 1 ELSE 0 END) AS groups,
               sum(CASE WHEN confidence = 'exact'
                        THEN size * GREATEST(LEAST(m, before - 1), 0) ELSE 0 END) AS bytes,
               sum(CASE WHEN confidence = 'exact'
                        THEN GREATEST(LEAST(m, before - 1), 0) ELSE 0 END) AS taken
        FROM shrunk GROUP BY user_id
    ) d
    WHERE s.user_id = d.user_id;
    RETURN NULL;
END $$;
CREATE TRIGGER dup_group_files_removed AFTER DELETE ON dup_group_files
REFERENCING OLD TABLE AS removed_rows
FOR EACH STATEMENT EXECUTE FUNCTION dup_group_files_removed_rows();

CREATE FUNCTION dup_groups_removed_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dup_summary s SET
        group_count = s.group_count - d.groups,
        reclaimable = s.reclaimable - d.bytes,
        copies = s.copies - d.taken
    FROM (
        SELECT user_id,
               sum((file_count > 1)::int) AS groups,
               sum(CASE WHEN confidence = 'exact' AND file_count > 1 THEN wasted ELSE 0 END)
                   AS bytes,
               sum(CASE WHEN confidence = 'exact' AND file_count > 1 THEN file_count - 1 ELSE 0 END)
                   AS taken
        FROM removed_groups GROUP BY user_id
    ) d
    WHERE s.user_id = d.user_id;
    PERFORM dupes_view_bump_by(user_id, count(*)) FROM removed_groups GROUP BY user_id;
    RETURN NULL;
END $$;
CREATE TRIGGER dup_groups_removed AFTER DELETE ON dup_groups
REFERENCING OLD TABLE AS removed_groups
FOR EACH STATEMENT EXECUTE FUNCTION dup_groups_removed_rows();

-- Any change to an owner's groups, or to a file in one, moves the version of their dupes view
-- (by one a row, as before).
CREATE FUNCTION dupes_view_groups_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dupes_view_bump_by(user_id, count(*)) FROM written_groups GROUP BY user_id;
    RETURN NULL;
END $$;
CREATE TRIGGER dupes_view_groups_inserted AFTER INSERT ON dup_groups
REFERENCING NEW TABLE AS written_groups
FOR EACH STATEMENT EXECUTE FUNCTION dupes_view_groups_written();
CREATE TRIGGER dupes_view_groups_updated AFTER UPDATE ON dup_groups
REFERENCING NEW TABLE AS written_groups
FOR EACH STATEMENT EXECUTE FUNCTION dupes_view_groups_written();

CREATE FUNCTION dupes_view_members_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dupes_view_bump_by(c.user_id, count(*))
    FROM updated_files c
    WHERE EXISTS (SELECT 1 FROM dup_group_files m WHERE m.file_id = c.id)
    GROUP BY c.user_id;
    RETURN NULL;
END $$;
CREATE TRIGGER dupes_view_member_changed AFTER UPDATE ON files
REFERENCING NEW TABLE AS updated_files
FOR EACH STATEMENT EXECUTE FUNCTION dupes_view_members_updated();
