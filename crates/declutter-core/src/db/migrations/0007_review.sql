-- Reviewing 10,000 groups: what the duplicates view filters, searches and sorts on, kept on the
-- group row so a filtered page is read through an index instead of joining every member.
-- Filled by `store::groups::recompute_in` (every path that changes groups goes through it).
--   names:     the members' distinct lower-cased names joined by '/', which no name contains
--              (searched with LIKE, so a search reads 10k short rows, not 100k files)
--   ext:       the lower-cased extension of the first member by path (the type filter)
--   newest_ns: the latest modification time among the members (the date sort)
ALTER TABLE dup_groups ADD COLUMN names TEXT NOT NULL DEFAULT '';
ALTER TABLE dup_groups ADD COLUMN ext TEXT NOT NULL DEFAULT '';
ALTER TABLE dup_groups ADD COLUMN newest_ns INTEGER NOT NULL DEFAULT 0;

UPDATE dup_groups SET
    names = coalesce((SELECT '/' || group_concat(n, '/') || '/' FROM (
        SELECT DISTINCT lower(f.name) AS n FROM dup_group_files gf JOIN files f ON f.id = gf.file_id
        WHERE gf.group_id = dup_groups.id)), ''),
    ext = coalesce((SELECT f.ext FROM dup_group_files gf JOIN files f ON f.id = gf.file_id
        WHERE gf.group_id = dup_groups.id ORDER BY f.path, f.id LIMIT 1), ''),
    newest_ns = coalesce((SELECT max(f.modified_ns) FROM dup_group_files gf
        JOIN files f ON f.id = gf.file_id WHERE gf.group_id = dup_groups.id), 0);

-- One index per sort order of the duplicates view (reclaimable uses dup_groups_page).
CREATE INDEX dup_groups_by_size ON dup_groups (user_id, size DESC, id);
CREATE INDEX dup_groups_by_count ON dup_groups (user_id, file_count DESC, id);
CREATE INDEX dup_groups_by_date ON dup_groups (user_id, newest_ns DESC, id);

-- The plan preview pages through a plan's groups, and asks whether a plan removes anything from
-- a provider (the "Allow changes" buttons) without reading every item.
CREATE INDEX plan_items_by_group ON plan_items (plan_id, group_key, id);
CREATE INDEX plan_items_by_provider ON plan_items (plan_id, action, provider);
