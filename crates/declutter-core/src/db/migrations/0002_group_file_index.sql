-- Deleting index rows cascades into dup_group_files; without an index on file_id every deleted
-- file scanned the whole table (a 100k-file rescan took minutes).
CREATE INDEX dup_group_files_by_file ON dup_group_files (file_id);
