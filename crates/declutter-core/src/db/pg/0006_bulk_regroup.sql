-- SQLite migration 16: regrouping an owner (store::groups::recompute_in) replaces all of their
-- groups at once and sets every group's counts, the owner's summary and the view version in a
-- few statements of its own. While its transaction has `declutter.regrouping` set (a setting
-- local to that transaction, turned off again before it goes on), the statement triggers
-- below stand aside: they cost a second write of every group a regrouping inserts, and
-- another connection never sees the setting.
DROP TRIGGER dup_group_files_added ON dup_group_files;
CREATE TRIGGER dup_group_files_added AFTER INSERT ON dup_group_files
REFERENCING NEW TABLE AS added_rows
FOR EACH STATEMENT
WHEN (current_setting('declutter.regrouping', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION dup_group_files_added_rows();

DROP TRIGGER dup_group_files_removed ON dup_group_files;
CREATE TRIGGER dup_group_files_removed AFTER DELETE ON dup_group_files
REFERENCING OLD TABLE AS removed_rows
FOR EACH STATEMENT
WHEN (current_setting('declutter.regrouping', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION dup_group_files_removed_rows();

DROP TRIGGER dup_groups_removed ON dup_groups;
CREATE TRIGGER dup_groups_removed AFTER DELETE ON dup_groups
REFERENCING OLD TABLE AS removed_groups
FOR EACH STATEMENT
WHEN (current_setting('declutter.regrouping', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION dup_groups_removed_rows();

DROP TRIGGER dupes_view_groups_inserted ON dup_groups;
CREATE TRIGGER dupes_view_groups_inserted AFTER INSERT ON dup_groups
REFERENCING NEW TABLE AS written_groups
FOR EACH STATEMENT
WHEN (current_setting('declutter.regrouping', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION dupes_view_groups_written();

DROP TRIGGER dupes_view_groups_updated ON dup_groups;
CREATE TRIGGER dupes_view_groups_updated AFTER UPDATE ON dup_groups
REFERENCING NEW TABLE AS written_groups
FOR EACH STATEMENT
WHEN (current_setting('declutter.regrouping', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION dupes_view_groups_written();
