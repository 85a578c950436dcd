//! Reviewing many groups: a filter (type, size, folder, source, name), a sort order and pages
//! of the owner's groups, each read through an index of `dup_groups` (migrations 0003, 0007).
//! Only groups of two or more members are ever listed, as in [`super::groups::page`].

use std::fmt;
use std::str::FromStr;

use platform_db::sql::{Db, DbExt as _, Dialect, Value};

use super::groups::{Group, fill_members, group_at};
use super::{DbError, size_of, sql_size};
use crate::ids::UserId;

/// A kind of file, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Photos and pictures.
    Image,
    /// Films and clips.
    Video,
    /// Music and recordings.
    Audio,
    /// Text, office documents, PDFs.
    Document,
    /// Compressed archives and disk images.
    Archive,
    /// Anything else.
    Other,
}

const IMAGE: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "tif", "tiff", "bmp", "svg", "raw", "cr2",
    "nef", "arw", "dng",
];
const VIDEO: &[&str] = &[
    "mp4", "mov", "avi", "mkv", "webm", "m4v", "wmv", "mpg", "mpeg", "3gp",
];
const AUDIO: &[&str] = &["mp3", "flac", "wav", "aac", "m4a", "ogg", "opus", "wma"];
const DOCUMENT: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "txt", "rtf", "md",
    "csv", "epub",
];
const ARCHIVE: &[&str] = &[
    "zip", "tar", "gz", "tgz", "bz2", "xz", "7z", "rar", "iso", "dmg",
];

impl Kind {
    /// Every kind, in menu order.
    pub const ALL: [Self; 6] = [
        Self::Image,
        Self::Video,
        Self::Audio,
        Self::Document,
        Self::Archive,
        Self::Other,
    ];

    /// Lower-case extensions of this kind (`Other`: none, it is everything else).
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Image => IMAGE,
            Self::Video => VIDEO,
            Self::Audio => AUDIO,
            Self::Document => DOCUMENT,
            Self::Archive => ARCHIVE,
            Self::Other => &[],
        }
    }

    /// Every extension of a named kind, as a JSON array for `json_each`.
    fn named_json() -> String {
        json_list(
            [IMAGE, VIDEO, AUDIO, DOCUMENT, ARCHIVE]
                .iter()
                .flat_map(|k| k.iter()),
        )
    }
}

fn json_list<'a>(items: impl Iterator<Item = &'a &'a str>) -> String {
    let quoted: Vec<String> = items.map(|e| format!("\"{e}\"")).collect();
    format!("[{}]", quoted.join(","))
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Archive => "archive",
            Self::Other => "other",
        })
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.to_string() == s)
            .ok_or_else(|| format!("unknown file type {s:?}"))
    }
}

/// The order of a list of groups; ties go to the older group (lower id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Most bytes freed first.
    #[default]
    Reclaimable,
    /// Largest copies first.
    Size,
    /// Most copies first.
    Count,
    /// Most recently modified first.
    Date,
}

impl Sort {
    /// Every order, in menu order.
    pub const ALL: [Self; 4] = [Self::Reclaimable, Self::Size, Self::Count, Self::Date];

    /// `ORDER BY` terms matching one index each (migrations 0003 and 0007).
    fn order_by(self) -> &'static str {
        match self {
            Self::Reclaimable => "wasted DESC, id",
            Self::Size => "size DESC, id",
            Self::Count => "file_count DESC, id",
            Self::Date => "newest_ns DESC, id",
        }
    }
}

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Reclaimable => "reclaimable",
            Self::Size => "size",
            Self::Count => "count",
            Self::Date => "date",
        })
    }
}

/// Which groups to list; every field narrows, `None` does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Groups of files of this kind (by the first copy's extension).
    pub kind: Option<Kind>,
    /// Copies of at least this many bytes.
    pub min_size: Option<u64>,
    /// Copies of at most this many bytes.
    pub max_size: Option<u64>,
    /// Groups with a copy in this folder (at any depth).
    pub folder: Option<String>,
    /// Groups with a copy in this source (`local:/root`, `onedrive:`, `gdrive:`).
    pub source: Option<String>,
    /// Groups with a copy whose name contains this text (ASCII case ignored).
    pub name: Option<String>,
}

impl Filter {
    /// True when nothing is filtered out.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The `WHERE` clause over `dup_groups` and its parameters (`?1` is the owner).
    pub(super) fn clause(&self, user: &UserId, dialect: Dialect) -> (String, Vec<Value>) {
        let mut sql = String::from("user_id = ?1 AND file_count > 1");
        let mut args: Vec<Value> = vec![Value::from(user.as_str())];
        let mut arg = |sql: &mut String, text: &str, v: Value| {
            args.push(v);
            sql.push_str(&text.replace('?', &format!("?{}", args.len())));
        };
        // The elements of a JSON array parameter, as a one-column table.
        let elements = match dialect {
            Dialect::Sqlite => "(SELECT value FROM json_each(?))",
            Dialect::Postgres => {
                "(SELECT jsonb_array_elements_text(CAST(CAST(? AS TEXT) AS jsonb)))"
            }
        };
        match self.kind {
            Some(Kind::Other) => arg(
                &mut sql,
                &format!(" AND ext NOT IN {elements}"),
                Value::from(Kind::named_json()),
            ),
            Some(k) => arg(
                &mut sql,
                &format!(" AND ext IN {elements}"),
                Value::from(json_list(k.extensions().iter())),
            ),
            None => {}
        }
        if let Some(n) = self.min_size {
            arg(&mut sql, " AND size >= ?", Value::from(sql_size(n)));
        }
        if let Some(n) = self.max_size {
            arg(&mut sql, " AND size <= ?", Value::from(sql_size(n)));
        }
        if let Some(name) = self.name.as_deref().filter(|n| !n.is_empty()) {
            arg(
                &mut sql,
                " AND names LIKE ? ESCAPE '\\'",
                Value::from(format!("%{}%", like_escape(&name.to_ascii_lowercase()))),
            );
        }
        if self.folder.is_some() || self.source.is_some() {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM dup_group_files gf JOIN files f ON f.id = gf.file_id \
                 WHERE gf.group_id = dup_groups.id",
            );
            if let Some(folder) = &self.folder {
                let folder = folder.trim_end_matches('/').to_owned();
                arg(
                    &mut sql,
                    " AND substr(f.path, 1, length(CAST(? AS TEXT)) + 1) = ",
                    Value::from(folder.clone()),
                );
                arg(&mut sql, "CAST(? AS TEXT) || '/'", Value::from(folder));
            }
            if let Some(source) = &self.source {
                arg(&mut sql, " AND f.source = ?", Value::from(source.clone()));
            }
            sql.push(')');
        }
        (sql, args)
    }
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// How many of the owner's groups pass `filter`.
pub fn count(conn: &dyn Db, user: &UserId, filter: &Filter) -> Result<u64, DbError> {
    let (clause, args) = filter.clause(user, conn.dialect());
    let n: i64 = conn.one(
        &format!("SELECT count(*) FROM dup_groups WHERE {clause}"),
        &args,
    )?;
    Ok(size_of(n))
}

/// One page of the owner's groups that pass `filter`, in `sort` order, with their members.
pub fn page(
    conn: &dyn Db,
    user: &UserId,
    filter: &Filter,
    sort: Sort,
    offset: u64,
    limit: u64,
) -> Result<Vec<Group>, DbError> {
    let (clause, mut args) = filter.clause(user, conn.dialect());
    let n = args.len();
    let sql = format!(
        "SELECT id, confidence, hash_kind, hash, size FROM dup_groups WHERE {clause} \
         ORDER BY {} LIMIT ?{} OFFSET ?{}",
        sort.order_by(),
        n + 1,
        n + 2
    );
    args.push(Value::from(sql_size(limit)));
    args.push(Value::from(sql_size(offset)));
    let mut groups: Vec<Group> = conn.rows(&sql, &args, group_at)?;
    fill_members(conn, &mut groups)?;
    Ok(groups)
}

/// The ids of every group of the owner that passes `filter` (a plan over the filtered set).
pub fn ids(conn: &dyn Db, user: &UserId, filter: &Filter) -> Result<Vec<i64>, DbError> {
    let (clause, args) = filter.clause(user, conn.dialect());
    let sql = format!("SELECT id FROM dup_groups WHERE {clause}");
    Ok(conn.rows(&sql, &args, |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_sorts_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.to_string().parse::<Kind>(), Ok(k));
        }
        assert!("exe".parse::<Kind>().is_err());
    }

    #[test]
    fn search_text_is_literal() {
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
