-- Only a cloud delta rebuilds paths from the stored parent links (store::listing); a local
-- scan knows every path from the walk. Local rows stay out of the index, which every file
-- row written by a local scan would otherwise maintain.
DROP INDEX files_children;
CREATE INDEX files_children ON files (user_id, source, parent_id) WHERE provider <> 'local';
