//! The rows of one local source as a rescan compares its walk with them, read in one pass
//! before the walk instead of one point lookup per walked entry.
//!
//! Item ids are kept end to end in one buffer, less the prefix they share (the source's
//! root), and the table holds row numbers: about 60 bytes a row plus its path below the
//! root, for at most the caller's row limit.

use std::hash::{BuildHasher as _, Hash as _, Hasher as _, RandomState};

use hashbrown::HashTable;
use platform_db::sql::{Db, DbExt as _, SqlError};
use platform_db::vals as params;

use super::DbError;

/// An indexed row as the comparison needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Indexed {
    pub id: i64,
    pub is_dir: bool,
    pub size: i64,
    pub mtime_ns: i64,
    pub dev: Option<i64>,
    pub ino: Option<i64>,
}

/// The columns [`Indexed::read`] reads, in order.
macro_rules! indexed_columns {
    () => {
        "id, is_dir, size, modified_ns, dev, ino"
    };
}

impl Indexed {
    /// The row of one item id (`?3`) of a source (`?2`) of an owner (`?1`).
    pub const BY_ITEM: &str = concat!(
        "SELECT ",
        indexed_columns!(),
        " FROM files WHERE user_id = ?1 AND source = ?2 AND item_id = ?3"
    );

    /// Reads the row's columns from `at` on.
    pub fn read(r: &dyn platform_db::sql::Row, at: usize) -> Result<Self, SqlError> {
        Ok(Self {
            id: r.get(at)?,
            is_dir: r.get(at + 1)?,
            size: r.get(at + 2)?,
            mtime_ns: r.get(at + 3)?,
            dev: r.get(at + 4)?,
            ino: r.get(at + 5)?,
        })
    }
}

/// [`Indexed`] as stored: 48 bytes instead of 64.
#[derive(Debug, Clone, Copy)]
struct Stored {
    id: i64,
    size: i64,
    mtime_ns: i64,
    dev: i64,
    ino: i64,
    /// [`DIR`], [`HAS_DEV`], [`HAS_INO`].
    flags: u8,
}

const DIR: u8 = 1;
const HAS_DEV: u8 = 2;
const HAS_INO: u8 = 4;

impl From<Indexed> for Stored {
    fn from(r: Indexed) -> Self {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        Self {
            id: r.id,
            size: r.size,
            mtime_ns: r.mtime_ns,
            dev: r.dev.unwrap_or(0),
            ino: r.ino.unwrap_or(0),
            flags: flag(r.is_dir, DIR)
                | flag(r.dev.is_some(), HAS_DEV)
                | flag(r.ino.is_some(), HAS_INO),
        }
    }
}

impl From<Stored> for Indexed {
    fn from(s: Stored) -> Self {
        Self {
            id: s.id,
            is_dir: s.flags & DIR != 0,
            size: s.size,
            mtime_ns: s.mtime_ns,
            dev: (s.flags & HAS_DEV != 0).then_some(s.dev),
            ino: (s.flags & HAS_INO != 0).then_some(s.ino),
        }
    }
}

/// Marks, in `ends`, an item id stored without the shared prefix.
const PREFIXED: u32 = 1 << 31;

/// One source's rows by item id.
pub(super) struct KnownRows {
    /// The prefix most item ids share, left out of `ids`.
    prefix: String,
    /// Every row's item id (less `prefix` where [`PREFIXED`]), end to end.
    ids: String,
    /// Where each row's item id ends in `ids` (it starts where the previous one ends), with
    /// [`PREFIXED`].
    ends: Vec<u32>,
    rows: Vec<Stored>,
    /// Row numbers, hashed by item id. SipHash with a random key: names are chosen by whoever
    /// writes into the folder, so the table must not be steerable into collisions.
    table: HashTable<u32>,
    hasher: RandomState,
}

impl std::fmt::Debug for KnownRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownRows")
            .field("rows", &self.rows.len())
            .finish_non_exhaustive()
    }
}

/// An item id as the table keys it: whether it began with the prefix, and the rest.
type Key<'a> = (bool, &'a str);

impl KnownRows {
    /// Reads the rows of `source`, expected to be `count`, most with item ids beginning with
    /// `prefix`; `None` when the source has more than `limit` rows (the caller looks each
    /// entry up instead).
    pub fn load(
        conn: &dyn Db,
        (user, source): (&str, &str),
        prefix: &str,
        (count, limit): (usize, usize),
    ) -> Result<Option<Self>, DbError> {
        if count > limit {
            return Ok(None);
        }
        let mut known = Self {
            prefix: prefix.to_owned(),
            ids: String::new(),
            ends: Vec::with_capacity(count),
            rows: Vec::with_capacity(count),
            table: HashTable::with_capacity(count),
            hasher: RandomState::new(),
        };
        // Rows come in the order the chosen path gives: by the unique index they are a random
        // read each (rows of a first scan are written in hashing order), so a source holding a
        // good part of the table is read in one pass over it instead.
        let highest: Option<i64> = conn.one("SELECT max(id) FROM files", &[])?;
        let most = highest
            .is_some_and(|top| i64::try_from(count).is_ok_and(|n| n.saturating_mul(4) >= top));
        let (mut read, mut fits) = (0, true);
        conn.each(
            &format!(
                concat!(
                    "SELECT item_id, ",
                    indexed_columns!(),
                    " FROM files {} WHERE user_id = ?1 AND source = ?2"
                ),
                if most { "NOT INDEXED" } else { "" }
            ),
            params![user, source],
            &mut |r| {
                let id: String = r.get(0)?;
                let row = Indexed::read(r, 1)?;
                read += 1;
                fits = fits && read <= limit && known.push(&id, row);
                Ok(())
            },
        )?;
        Ok(fits.then_some(known))
    }

    fn key<'a>(&self, id: &'a str) -> Key<'a> {
        match id.strip_prefix(self.prefix.as_str()) {
            Some(rest) => (true, rest),
            None => (false, id),
        }
    }

    /// Adds one row; false when the buffer would pass 2 GiB.
    fn push(&mut self, id: &str, row: Indexed) -> bool {
        let (prefixed, rest) = self.key(id);
        let (Ok(n), Some(end)) = (
            u32::try_from(self.rows.len()),
            u32::try_from(self.ids.len() + rest.len())
                .ok()
                .filter(|end| end & PREFIXED == 0),
        ) else {
            return false;
        };
        self.ids.push_str(rest);
        self.ends.push(if prefixed { end | PREFIXED } else { end });
        self.rows.push(row.into());
        let hash = hash_key(&self.hasher, (prefixed, rest));
        let Self {
            ids,
            ends,
            table,
            hasher,
            ..
        } = self;
        table.insert_unique(hash, n, |&i| hash_key(hasher, stored_key(ids, ends, i)));
        true
    }

    /// The row indexed under item id `id`.
    pub fn get(&self, id: &str) -> Option<Indexed> {
        let key = self.key(id);
        self.table
            .find(hash_key(&self.hasher, key), |&i| {
                stored_key(&self.ids, &self.ends, i) == key
            })
            .map(|&i| self.rows[i as usize].into())
    }
}

fn hash_key(hasher: &RandomState, (prefixed, rest): Key<'_>) -> u64 {
    let mut h = hasher.build_hasher();
    prefixed.hash(&mut h);
    rest.hash(&mut h);
    h.finish()
}

/// Row `i`'s key.
fn stored_key<'a>(ids: &'a str, ends: &[u32], i: u32) -> Key<'a> {
    let i = i as usize;
    let start = match i {
        0 => 0,
        _ => (ends[i - 1] & !PREFIXED) as usize,
    };
    let end = ends[i];
    (end & PREFIXED != 0, &ids[start..(end & !PREFIXED) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> Indexed {
        Indexed {
            id,
            is_dir: id % 2 == 0,
            size: id * 10,
            mtime_ns: -id,
            dev: (id % 3 != 0).then_some(id + 1),
            ino: (id % 5 != 0).then_some(id + 2),
        }
    }

    #[test]
    fn every_row_comes_back_by_its_id_with_or_without_the_prefix() {
        let mut known = KnownRows {
            prefix: "/root/".into(),
            ids: String::new(),
            ends: Vec::new(),
            rows: Vec::new(),
            table: HashTable::new(),
            hasher: RandomState::new(),
        };
        let ids = [
            "/root/a",
            "/root/ab",
            "a",
            "ab",
            "/root/",
            "",
            "/elsewhere/a",
            "raw:2f726f6f74",
        ];
        for (n, id) in (1..).zip(ids) {
            assert!(known.push(id, row(n)));
        }
        for (n, id) in (1..).zip(ids) {
            assert_eq!(known.get(id), Some(row(n)), "{id:?}");
        }
        for missing in ["/root/b", "/root", "b", "/root/a/", "/ROOT/a"] {
            assert_eq!(known.get(missing), None, "{missing:?}");
        }
    }
}
