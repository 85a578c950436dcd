//! Where the duplicates are: every folder holding copies of exact groups, with what removing
//! the copies in it would free, over the groups a duplicates filter lets through. Computed in one
//! pass over those groups' members (one row per copy), so callers keep the result while the
//! duplicates view version stays the same.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use platform_db::sql::Db;

use super::review::Filter;
use super::{DbError, size_of};
use crate::ids::UserId;

/// Duplicate copies below one folder (at any depth).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FolderStat {
    /// Copies of exact groups below the folder.
    pub copies: u64,
    /// Groups with a copy below the folder.
    pub groups: u64,
    /// Bytes freed by removing the copies below the folder while every group keeps one copy:
    /// per group, its size times the copies here, at most its copies minus one.
    pub reclaimable: u64,
}

/// Every folder holding duplicate copies, by path.
#[derive(Debug, Clone, Default)]
pub struct FolderTree {
    /// Folder path → its stats.
    pub folders: BTreeMap<String, FolderStat>,
    /// The sources holding duplicate copies.
    pub sources: BTreeSet<String>,
}

impl FolderTree {
    /// The folders to show below `parent` (`""`: the top): each child, followed down while it
    /// holds nothing but one subfolder (so `/home/me/Pictures` is one click, not three), most
    /// reclaimable first.
    pub fn children(&self, parent: &str) -> Vec<(&str, &FolderStat)> {
        let mut out: Vec<(&str, &FolderStat)> = self
            .direct(parent)
            .into_iter()
            .map(|(mut path, mut stat)| {
                loop {
                    let below = self.direct(path);
                    match below.as_slice() {
                        [(only, s)] if s.copies == stat.copies => (path, stat) = (only, s),
                        _ => break,
                    }
                }
                (path, stat)
            })
            .collect();
        out.sort_by(|a, b| b.1.reclaimable.cmp(&a.1.reclaimable).then(a.0.cmp(b.0)));
        out
    }

    /// Immediate subfolders of `parent`.
    fn direct(&self, parent: &str) -> Vec<(&str, &FolderStat)> {
        let prefix = format!("{}/", parent.trim_end_matches('/'));
        self.folders
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| !p[prefix.len()..].contains('/'))
            .map(|(p, s)| (p.as_str(), s))
            .collect()
    }

    /// The stats of one folder, if it holds duplicate copies.
    pub fn get(&self, folder: &str) -> Option<&FolderStat> {
        self.folders.get(folder.trim_end_matches('/'))
    }
}

/// The owner's folders holding copies of the exact groups that pass `filter` (the same groups
/// the duplicates list shows for it), so each folder's numbers add up to what the list shows.
pub fn tree(conn: &dyn Db, user: &UserId, filter: &Filter) -> Result<FolderTree, DbError> {
    // The filter's clause binds the owner as its `?1`, as this query does.
    let (clause, args) = filter.clause(user, conn.dialect());
    let only = if filter.is_empty() {
        String::new()
    } else {
        format!(" AND g.id IN (SELECT id FROM dup_groups WHERE {clause})")
    };
    let sql = format!(
        "SELECT g.id, g.size, g.file_count, f.path, f.source FROM dup_groups g \
         JOIN dup_group_files gf ON gf.group_id = g.id JOIN files f ON f.id = gf.file_id \
         WHERE g.user_id = ?1 AND g.confidence = 'exact' AND g.file_count > 1{only} ORDER BY g.id",
    );
    let mut folders: HashMap<String, FolderStat> = HashMap::new();
    let mut sources: BTreeSet<String> = BTreeSet::new();
    // Copies per folder of the group being read; flushed when the next group starts.
    let mut current: Option<(i64, u64, u64)> = None;
    let mut here: HashMap<String, u64> = HashMap::new();
    let mut flush = |group: Option<(i64, u64, u64)>, here: &mut HashMap<String, u64>| {
        if let Some((_, size, count)) = group {
            for (folder, n) in here.drain() {
                let stat = folders.entry(folder).or_default();
                stat.copies += n;
                stat.groups += 1;
                stat.reclaimable += size.saturating_mul(n.min(count.saturating_sub(1)));
            }
        }
    };
    conn.each(&sql, &args, &mut |r| {
        let (id, size, count, path): (i64, i64, i64, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let source: String = r.get(4)?;
        if !sources.contains(&source) {
            sources.insert(source);
        }
        if current.map(|c| c.0) != Some(id) {
            flush(current, &mut here);
            current = Some((id, size_of(size), size_of(count)));
        }
        // Every ancestor folder of the copy, `/a`, `/a/b`, … (not the file itself).
        for (i, _) in path.match_indices('/').filter(|(i, _)| *i > 0) {
            *here.entry(path[..i].to_owned()).or_default() += 1;
        }
        Ok(())
    })?;
    flush(current, &mut here);
    Ok(FolderTree {
        folders: folders.into_iter().collect(),
        sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(copies: u64, reclaimable: u64) -> FolderStat {
        FolderStat {
            copies,
            groups: 1,
            reclaimable,
        }
    }

    #[test]
    fn single_child_chains_collapse() {
        let tree = FolderTree {
            folders: [
                ("/home".to_owned(), stat(3, 20)),
                ("/home/me".to_owned(), stat(3, 20)),
                ("/home/me/a".to_owned(), stat(2, 10)),
                ("/home/me/b".to_owned(), stat(1, 10)),
                ("/home/me/bb".to_owned(), stat(0, 30)),
            ]
            .into_iter()
            .collect(),
            sources: BTreeSet::new(),
        };
        let top: Vec<&str> = tree.children("").into_iter().map(|c| c.0).collect();
        assert_eq!(top, ["/home/me"]);
        let below: Vec<&str> = tree.children("/home/me").into_iter().map(|c| c.0).collect();
        assert_eq!(below, ["/home/me/bb", "/home/me/a", "/home/me/b"]);
    }
}
