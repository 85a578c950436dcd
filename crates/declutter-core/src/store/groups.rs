//! Duplicate groups. Exact groups share a hash of one kind and a size; probable groups span
//! providers with no common hash and share size and name, so they are shown but never acted on.

use std::collections::HashMap;

use platform_db::sql::{
    Conn, Db, DbExt as _, Dialect, Lock, Optional as _, Row, RusqliteLike as _, SqlError,
    ToValue as _, Value,
};
use platform_db::vals as params;

use super::files::{COLUMNS, FileRow, from_row_at};
use super::{DbError, size_of, sql_size};
use crate::db::now;
use crate::ids::UserId;

/// How sure we are that a group's files are identical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Same content hash and size.
    Exact,
    /// Same size and name on different providers (no comparable hash).
    Probable,
}

/// A group of files believed to hold the same content.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Group {
    /// Row id.
    pub id: i64,
    /// Exact or probable.
    pub confidence: Confidence,
    /// Hash kind for exact groups.
    pub hash_kind: Option<String>,
    /// Hash for exact groups.
    pub hash: Option<String>,
    /// Size of each file.
    pub size: u64,
    /// Members, ordered by path.
    pub files: Vec<FileRow>,
}

impl Group {
    /// Bytes freed if all but one copy went.
    pub fn wasted(&self) -> u64 {
        self.size
            .saturating_mul(self.files.len().saturating_sub(1) as u64)
    }
}

/// The grouping key of each of the owner's (`?1`) comparable files once contents were
/// verified: `eff (fid, size, k, h)`.
const EFFECTIVE: &str = "WITH chk AS ( \
    SELECT f.id AS fid, c.blake3 AS b FROM files f JOIN content_checks c \
    ON c.user_id = f.user_id AND c.source = f.source AND c.item_id = f.item_id \
    AND c.size = f.size AND c.modified_ns = f.modified_ns \
    WHERE f.user_id = ?1 AND f.is_dir = 0 AND f.size > 0), \
  native AS ( \
    SELECT f.hash_kind AS k, f.hash AS h, f.size AS s, min(chk.b) AS b \
    FROM files f JOIN chk ON chk.fid = f.id WHERE f.hash IS NOT NULL \
    GROUP BY f.hash_kind, f.hash, f.size), \
  eff AS ( \
    SELECT f.id AS fid, f.size AS size, \
    CASE WHEN coalesce(chk.b, n.b) IS NULL THEN f.hash_kind ELSE 'blake3' END AS k, \
    coalesce(chk.b, n.b, f.hash) AS h \
    FROM files f LEFT JOIN chk ON chk.fid = f.id \
    LEFT JOIN native n ON n.k = f.hash_kind AND n.h = f.hash AND n.s = f.size \
    WHERE f.user_id = ?1 AND f.is_dir = 0 AND f.comparable = 1 AND f.size > 0)";

/// Files without a valid content check (`f` of the owner); checked files are settled: in
/// the exact group of their content, or in none.
const UNCHECKED: &str = "NOT EXISTS (SELECT 1 FROM content_checks c WHERE c.user_id = f.user_id \
    AND c.source = f.source AND c.item_id = f.item_id AND c.size = f.size \
    AND c.modified_ns = f.modified_ns)";

/// Recomputes the owner's groups from the index.
pub fn recompute(conn: &mut dyn Conn, user: &UserId) -> Result<(), DbError> {
    let tx = conn.transaction(Lock::None)?;
    recompute_in(&*tx, user)?;
    tx.commit()?;
    Ok(())
}

/// [`recompute`] inside the caller's transaction.
pub fn recompute_in(tx: &dyn Db, user: &UserId) -> Result<(), DbError> {
    // The triggers would write the group, the summary and the view version once per member
    // (SQLite) or group (PostgreSQL): they stand aside, and the counts are set once at the end
    // (`settle_counts`).
    stand_aside(tx, true)?;
    regroup(tx, user)?;
    settle_counts(tx, user)?;
    stand_aside(tx, false)
}

/// Sets aside the upkeep triggers of groups and memberships (`on`) or restores them, for this
/// transaction only: SQLite's row triggers look for the row of `regrouping`, PostgreSQL's
/// statement triggers for the transaction's `declutter.regrouping` setting.
fn stand_aside(tx: &dyn Db, on: bool) -> Result<(), DbError> {
    match (tx.dialect(), on) {
        (Dialect::Sqlite, true) => tx.execute("INSERT INTO regrouping (busy) VALUES (1)", [])?,
        (Dialect::Sqlite, false) => tx.execute("DELETE FROM regrouping", [])?,
        (Dialect::Postgres, on) => tx.execute(
            "SELECT set_config('declutter.regrouping', ?1, true)",
            [if on { "on" } else { "off" }],
        )?,
    };
    Ok(())
}

/// Sets the counts of the owner's groups written without them, their summary and the view
/// version from the groups as they are: what the triggers keep, written once (a regrouping).
fn settle_counts(tx: &dyn Db, user: &UserId) -> Result<(), DbError> {
    tx.execute(
        "UPDATE dup_groups SET file_count = m.n, wasted = dup_groups.size * (m.n - 1) \
         FROM (SELECT gf.group_id, count(*) AS n FROM dup_group_files gf \
               JOIN dup_groups g ON g.id = gf.group_id WHERE g.user_id = ?1 AND g.file_count = 0 \
               GROUP BY gf.group_id) AS m \
         WHERE dup_groups.id = m.group_id",
        [user.as_str()],
    )?;
    // An owner who never had a group keeps no summary row, as with the triggers.
    tx.execute(
        "INSERT INTO dup_summary (user_id, group_count, reclaimable, copies) \
         SELECT ?1, coalesce(sum(CASE WHEN file_count > 1 THEN 1 END), 0), \
         coalesce(sum(CASE WHEN confidence = 'exact' AND file_count > 1 THEN wasted END), 0), \
         coalesce(sum(CASE WHEN confidence = 'exact' AND file_count > 1 \
                      THEN file_count - 1 END), 0) \
         FROM dup_groups WHERE user_id = ?1 \
         HAVING count(*) > 0 OR EXISTS (SELECT 1 FROM dup_summary WHERE user_id = ?1) \
         ON CONFLICT (user_id) DO UPDATE SET group_count = excluded.group_count, \
         reclaimable = excluded.reclaimable, copies = excluded.copies",
        [user.as_str()],
    )?;
    tx.execute(
        "INSERT INTO dupes_view_version (user_id, version) VALUES (?1, 1) \
         ON CONFLICT (user_id) DO UPDATE SET version = dupes_view_version.version + 1",
        [user.as_str()],
    )?;
    Ok(())
}

fn regroup(tx: &dyn Db, user: &UserId) -> Result<(), DbError> {
    tx.execute("DELETE FROM dup_groups WHERE user_id = ?1", [user.as_str()])?;
    let t = now();
    if super::checks::any(tx, user)? {
        // Verified contents: a file's grouping key is its checked BLAKE3, or the checked BLAKE3
        // of another file with its provider hash; otherwise its provider hash. One key per
        // file, so groups never overlap and confirmed matches merge with exact groups.
        let keyed = format!(
            "{EFFECTIVE} SELECT ?1, 'exact', k, h, size, ?2 FROM eff \
             WHERE h IS NOT NULL GROUP BY k, h, size HAVING count(*) > 1"
        );
        tx.execute(
            &format!(
                "INSERT INTO dup_groups (user_id, confidence, hash_kind, hash, size, computed_at) \
                 {keyed}"
            ),
            params![user.as_str(), t],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO dup_group_files (group_id, file_id) {EFFECTIVE} \
                 SELECT g.id, eff.fid FROM dup_groups g JOIN eff ON g.hash_kind = eff.k \
                 AND g.hash = eff.h AND g.size = eff.size WHERE g.user_id = ?1"
            ),
            [user.as_str()],
        )?;
    } else if tx.dialect() == Dialect::Sqlite {
        exact_in_one_pass(tx, user, t)?;
    } else {
        // Each group comes counted and described (what `settle_counts` and `describe` would
        // compute for it afterwards), in PostgreSQL's aggregates.
        tx.execute(
            "INSERT INTO dup_groups (user_id, confidence, hash_kind, hash, size, computed_at, \
             file_count, wasted, names, ext, newest_ns) \
             SELECT ?1, 'exact', hash_kind, hash, size, ?2, count(*), size * (count(*) - 1), \
             '/' || string_agg(DISTINCT lower(name), '/') || '/', \
             coalesce((array_agg(ext ORDER BY path, id))[1], ''), max(modified_ns) FROM files \
             WHERE user_id = ?1 AND is_dir = 0 AND comparable = 1 AND hash IS NOT NULL AND size > 0 \
             GROUP BY hash_kind, hash, size HAVING count(*) > 1",
            params![user.as_str(), t],
        )?;
        tx.execute(
            "INSERT INTO dup_group_files (group_id, file_id) \
             SELECT g.id, f.id FROM dup_groups g JOIN files f ON f.user_id = g.user_id \
             AND f.hash_kind = g.hash_kind AND f.hash = g.hash AND f.size = g.size \
             WHERE g.user_id = ?1 AND f.hash IS NOT NULL AND f.is_dir = 0 AND f.comparable = 1",
            [user.as_str()],
        )?;
    }
    // Probable: same size and name across providers, where no exact group already holds them.
    // An owner whose scanned sources are all of one provider has none (and is spared a sort
    // of every file); rows written without a scan (no sources) are always looked at.
    let (scanned, providers): (i64, i64) = tx.query_row(
        "SELECT count(*), count(DISTINCT provider) FROM sources WHERE user_id = ?1",
        [user.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let probable: Vec<(i64, String)> = if scanned > 0 && providers < 2 {
        Vec::new()
    } else {
        let mut stmt = tx.prepare(&format!(
            "SELECT f.size, lower(f.name) FROM files f WHERE f.user_id = ?1 AND f.is_dir = 0 \
             AND f.comparable = 1 AND f.size > 0 AND {UNCHECKED} \
             GROUP BY f.size, lower(f.name) HAVING count(DISTINCT f.provider) > 1"
        ))?;
        let rows = stmt.query_map([user.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (size, name) in probable {
        let gid = tx.insert_id(
            "INSERT INTO dup_groups (user_id, confidence, size, computed_at) \
             VALUES (?1, 'probable', ?2, ?3)",
            params![user.as_str(), size, t],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO dup_group_files (group_id, file_id) SELECT ?1, f.id FROM files f \
                 WHERE f.user_id = ?2 AND f.is_dir = 0 AND f.comparable = 1 AND f.size = ?3 \
                 AND lower(f.name) = ?4 AND {UNCHECKED}"
            ),
            params![gid, user.as_str(), size, name],
        )?;
    }
    describe(tx, user)
}

/// A member of an exact group as its group's description needs it.
struct Member {
    id: i64,
    name: String,
    ext: String,
    path: String,
    modified_ns: i64,
}

/// The owner's exact groups by provider hash (no content checks), written in one pass over the
/// hash index: each group goes in with its members, counts and description, which
/// [`describe`] and [`settle_counts`] would otherwise compute group by group afterwards. SQLite
/// only: it reads every hashed row into the process, which PostgreSQL's aggregates spare the
/// network (the statement in `regroup`).
fn exact_in_one_pass(tx: &dyn Db, user: &UserId, t: i64) -> Result<(), DbError> {
    let mut out = Written::new(tx, user, t)?;
    let mut key: Option<(String, String, i64)> = None;
    let mut run: Vec<Member> = Vec::new();
    tx.each(
        "SELECT hash_kind, hash, size, id, name, ext, path, modified_ns \
         FROM files INDEXED BY files_by_hash \
         WHERE user_id = ?1 AND hash IS NOT NULL AND is_dir = 0 AND comparable = 1 AND size > 0 \
         ORDER BY hash_kind, hash, size",
        params![user.as_str()],
        &mut |r| {
            let found: (String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if key.as_ref() != Some(&found) {
                if let Some(done) = key.replace(found) {
                    out.group(&done, &run)?;
                }
                run.clear();
            }
            run.push(Member {
                id: r.get(3)?,
                name: r.get(4)?,
                ext: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                path: r.get(6)?,
                modified_ns: r.get(7)?,
            });
            Ok(())
        },
    )?;
    if let Some(done) = key {
        out.group(&done, &run)?;
    }
    Ok(out.flush()?)
}

/// Groups and their members written [`Written::ROWS`] rows a statement: the groups' ids are
/// given here (SQLite's own choice, one past the highest; the writer holds the database).
struct Written<'a> {
    tx: &'a dyn Db,
    user: &'a UserId,
    t: i64,
    next: i64,
    groups: Vec<Value>,
    members: Vec<Value>,
}

impl<'a> Written<'a> {
    /// Rows a statement writes at most.
    const ROWS: usize = 128;
    const GROUP_COLUMNS: usize = 11;

    fn new(tx: &'a dyn Db, user: &'a UserId, t: i64) -> Result<Self, SqlError> {
        let highest: i64 = tx.one("SELECT coalesce(max(id), 0) FROM dup_groups", &[])?;
        Ok(Self {
            tx,
            user,
            t,
            next: highest + 1,
            groups: Vec::new(),
            members: Vec::new(),
        })
    }

    /// Adds the group of `run`, the files of one key, when it has two or more.
    fn group(
        &mut self,
        (kind, hash, size): &(String, String, i64),
        run: &[Member],
    ) -> Result<(), SqlError> {
        if run.len() < 2 {
            return Ok(());
        }
        let count = i64::try_from(run.len()).unwrap_or(i64::MAX);
        // As SQL's lower() folds them (ASCII), distinct, between slashes.
        let mut names: Vec<String> = run.iter().map(|m| m.name.to_ascii_lowercase()).collect();
        names.sort_unstable();
        names.dedup();
        let first = run
            .iter()
            .min_by(|a, b| (&a.path, a.id).cmp(&(&b.path, b.id)));
        let newest = run.iter().map(|m| m.modified_ns).max().unwrap_or(0);
        let id = self.next;
        self.next += 1;
        self.groups.extend([
            id.to_value(),
            self.user.as_str().to_value(),
            kind.to_value(),
            hash.to_value(),
            size.to_value(),
            self.t.to_value(),
            count.to_value(),
            size.saturating_mul(count - 1).to_value(),
            format!("/{}/", names.join("/")).to_value(),
            first.map_or("", |m| m.ext.as_str()).to_value(),
            newest.to_value(),
        ]);
        for m in run {
            self.members.extend([id.to_value(), m.id.to_value()]);
        }
        if self.groups.len() >= Self::ROWS * Self::GROUP_COLUMNS
            || self.members.len() >= Self::ROWS * 2
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what waits: groups first, which their members refer to.
    fn flush(&mut self) -> Result<(), SqlError> {
        for (head, columns, values) in [
            (
                "INSERT INTO dup_groups (id, user_id, confidence, hash_kind, hash, size, \
                 computed_at, file_count, wasted, names, ext, newest_ns) VALUES ",
                Self::GROUP_COLUMNS,
                &mut self.groups,
            ),
            (
                "INSERT INTO dup_group_files (group_id, file_id) VALUES ",
                2,
                &mut self.members,
            ),
        ] {
            for rows in values.chunks(Self::ROWS * columns) {
                let mut sql = String::from(head);
                for i in 0..rows.len() / columns {
                    sql.push_str(if i == 0 { "(" } else { ", (" });
                    for c in 0..columns {
                        sql.push_str(if c == 0 { "?" } else { ", ?" });
                        if columns == Self::GROUP_COLUMNS && c == 1 {
                            sql.push_str(", 'exact'");
                        }
                    }
                    sql.push(')');
                }
                self.tx.run(&sql, rows)?;
            }
            values.clear();
        }
        Ok(())
    }
}

/// The sources the members of `user`'s probable groups are in (what a verification reads).
pub fn probable_sources(
    conn: &dyn platform_db::sql::Db,
    user: &UserId,
) -> Result<Vec<String>, DbError> {
    use platform_db::sql::DbExt as _;
    Ok(conn.rows(
        "SELECT DISTINCT f.source FROM dup_groups g \
         JOIN dup_group_files gf ON gf.group_id = g.id JOIN files f ON f.id = gf.file_id \
         WHERE g.user_id = ?1 AND g.confidence = 'probable' ORDER BY f.source",
        platform_db::vals![user.as_str()],
        |r| r.get(0),
    )?)
}

/// How many probable groups `user` has (same size and name on different providers).
pub fn probable_count(conn: &dyn Db, user: &UserId) -> Result<u64, DbError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM dup_groups WHERE user_id = ?1 AND confidence = 'probable'",
        )?
        .query_row([user.as_str()], |r| r.get(0))?;
    Ok(super::size_of(n))
}

/// Fills what the duplicates view filters, searches and sorts on (migration 0007): the
/// members' names, the first member's extension, the newest modification time, for the groups
/// not described yet (a group has at least one name).
fn describe(tx: &dyn Db, user: &UserId) -> Result<(), DbError> {
    tx.execute(
        "UPDATE dup_groups SET \
         names = coalesce((SELECT '/' || string_agg(n, '/') || '/' FROM ( \
             SELECT DISTINCT lower(f.name) AS n FROM dup_group_files gf \
             JOIN files f ON f.id = gf.file_id WHERE gf.group_id = dup_groups.id) AS member_names), ''), \
         ext = coalesce((SELECT f.ext FROM dup_group_files gf JOIN files f ON f.id = gf.file_id \
             WHERE gf.group_id = dup_groups.id ORDER BY f.path, f.id LIMIT 1), ''), \
         newest_ns = coalesce((SELECT max(f.modified_ns) FROM dup_group_files gf \
             JOIN files f ON f.id = gf.file_id WHERE gf.group_id = dup_groups.id), 0) \
         WHERE user_id = ?1 AND names = ''",
        [user.as_str()],
    )?;
    Ok(())
}

/// Counts over all of an owner's groups, kept in `dup_summary` so reading them loads no group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Groups with two or more members (exact and probable).
    pub group_count: u64,
    /// Bytes freed by keeping one copy of every exact group.
    pub reclaimable_bytes: u64,
    /// Surplus copies in exact groups (members beyond the first).
    pub duplicate_copies: u64,
}

/// Group count, reclaimable bytes and surplus copies of the owner, as [`list`] would sum them.
pub fn summary(conn: &dyn Db, user: &UserId) -> Result<Summary, DbError> {
    // One row kept current by triggers (migration 0003), not a scan of the owner's groups.
    let (n, bytes, copies): (i64, i64, i64) = conn
        .query_row(
            "SELECT group_count, reclaimable, copies FROM dup_summary WHERE user_id = ?1",
            [user.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .unwrap_or_default();
    Ok(Summary {
        group_count: size_of(n),
        reclaimable_bytes: size_of(bytes),
        duplicate_copies: size_of(copies),
    })
}

/// The version of everything the owner's duplicates view shows: it changes whenever a group or
/// a grouped file of the owner changes, in any connection or process (triggers, migration 0005).
pub fn view_version(conn: &dyn Db, user: &UserId) -> Result<i64, DbError> {
    Ok(conn
        .prepare_cached("SELECT version FROM dupes_view_version WHERE user_id = ?1")?
        .query_row([user.as_str()], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// One page of the owner's groups in [`list`] order (largest waste first, then id), with the
/// members of those groups only.
pub fn page(conn: &dyn Db, user: &UserId, offset: u64, limit: u64) -> Result<Vec<Group>, DbError> {
    let mut groups: Vec<Group> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, confidence, hash_kind, hash, size FROM dup_groups \
             INDEXED BY dup_groups_page WHERE user_id = ?1 AND file_count > 1 \
             ORDER BY wasted DESC, id LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt.query_map(
            params![user.as_str(), sql_size(limit), sql_size(offset)],
            group_at,
        )?;
        rows.collect::<Result<_, _>>()?
    };
    fill_members(conn, &mut groups)?;
    Ok(groups)
}

/// Loads the members of `groups` (ordered by path) in one query.
pub(crate) fn fill_members(conn: &dyn Db, groups: &mut [Group]) -> Result<(), DbError> {
    if groups.is_empty() {
        return Ok(());
    }
    // The page's group ids travel as one JSON array, so every page runs the same statement,
    // parsed once per connection and then taken from the statement cache.
    let ids = format!(
        "[{}]",
        groups
            .iter()
            .map(|g| g.id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let elements = match conn.dialect() {
        Dialect::Sqlite => "SELECT value FROM json_each(?1)",
        Dialect::Postgres => {
            "SELECT CAST(jsonb_array_elements_text(CAST(CAST(?1 AS TEXT) AS jsonb)) AS BIGINT)"
        }
    };
    let sql = format!(
        "SELECT gf.group_id, {} FROM dup_group_files gf JOIN files f ON f.id = gf.file_id \
         WHERE gf.group_id IN ({elements}) ORDER BY f.path, f.id",
        prefixed_columns()
    );
    let mut members: HashMap<i64, Vec<FileRow>> = HashMap::new();
    conn.each(&sql, params![ids], &mut |r| {
        let gid: i64 = r.get(0)?;
        members.entry(gid).or_default().push(from_row_at(r, 1)?);
        Ok(())
    })?;
    for g in groups.iter_mut() {
        g.files = members.remove(&g.id).unwrap_or_default();
    }
    Ok(())
}

pub(crate) fn group_at(r: &dyn Row) -> Result<Group, SqlError> {
    let conf: String = r.get(1)?;
    Ok(Group {
        id: r.get(0)?,
        confidence: if conf == "exact" {
            Confidence::Exact
        } else {
            Confidence::Probable
        },
        hash_kind: r.get(2)?,
        hash: r.get(3)?,
        size: size_of(r.get(4)?),
        files: Vec::new(),
    })
}

pub(crate) fn prefixed_columns() -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("f.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The owner's groups, largest waste first.
pub fn list(conn: &dyn Db, user: &UserId) -> Result<Vec<Group>, DbError> {
    let mut groups: Vec<Group> = {
        let mut stmt = conn.prepare(
            "SELECT id, confidence, hash_kind, hash, size FROM dup_groups WHERE user_id = ?1",
        )?;
        let rows = stmt.query_map([user.as_str()], |r| {
            let conf: String = r.get(1)?;
            Ok(Group {
                id: r.get(0)?,
                confidence: if conf == "exact" {
                    Confidence::Exact
                } else {
                    Confidence::Probable
                },
                hash_kind: r.get(2)?,
                hash: r.get(3)?,
                size: size_of(r.get(4)?),
                files: Vec::new(),
            })
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let sql = format!(
        "SELECT gf.group_id, {} FROM dup_group_files gf JOIN files f ON f.id = gf.file_id \
         JOIN dup_groups g ON g.id = gf.group_id WHERE g.user_id = ?1 ORDER BY f.path",
        COLUMNS
            .split(", ")
            .map(|c| format!("f.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut members: HashMap<i64, Vec<FileRow>> = HashMap::new();
    conn.each(&sql, params![user.as_str()], &mut |r| {
        let gid: i64 = r.get(0)?;
        let file = from_row_at(r, 1)?;
        members.entry(gid).or_default().push(file);
        Ok(())
    })?;
    for g in &mut groups {
        g.files = members.remove(&g.id).unwrap_or_default();
    }
    groups.retain(|g| g.files.len() > 1);
    groups.sort_by(|a, b| b.wasted().cmp(&a.wasted()).then(a.id.cmp(&b.id)));
    Ok(groups)
}
