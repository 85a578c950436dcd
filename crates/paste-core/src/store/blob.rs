//! Large content without a second copy: written into its row with SQLite's incremental blob
//! I/O, and read back a chunk at a time so a download holds one chunk, not the paste.
//!
//! Binding a blob makes SQLite copy it (the bytes are transient to it), so a 50 MiB paste was
//! held twice while it was written; a `zeroblob` of the right length filled through a blob
//! handle writes the caller's buffer straight into pages, and a spooled upload is copied from
//! its file a [`COPY_CHUNK`] at a time. Reads find the row again by id, in one
//! read transaction per chunk, so a chunk never comes from a different paste that reused the
//! row id of a deleted one, and no connection is held while a slow client reads.

use bytes::Bytes;
use platform_db::rusqlite::blob::ZeroBlob;
use platform_db::rusqlite::{Connection, MAIN_DB, OptionalExtension, ToSql, params};

use super::spool::{COPY_CHUNK, Content, read_at};
use super::{PasteStore, StoreError};

/// Content longer than this is written through a blob handle and downloaded in chunks.
pub const STREAM_THRESHOLD: usize = super::hot::MAX_ITEM_BYTES;
/// Bytes read from the database per download chunk.
pub const CHUNK: usize = 256 * 1024;

/// What to bind for `content`: the bytes, or a zeroblob to fill with [`fill`] after the insert.
pub(super) enum Bound<'a> {
    /// Small: bound as is.
    Bytes(&'a [u8]),
    /// Large: a zeroblob of its length.
    Zero(ZeroBlob),
}

impl<'a> Bound<'a> {
    pub(super) fn of(content: &'a Content) -> Result<Self, StoreError> {
        if let Content::Memory(bytes) = content
            && bytes.len() <= STREAM_THRESHOLD
        {
            return Ok(Self::Bytes(bytes));
        }
        let len = i32::try_from(content.len())
            .map_err(|_| StoreError::Batch("content larger than SQLite allows".into()))?;
        Ok(Self::Zero(ZeroBlob(len)))
    }

    pub(super) fn as_sql(&self) -> &dyn ToSql {
        match self {
            Self::Bytes(b) => b,
            Self::Zero(z) => z,
        }
    }
}

/// Writes `content` into the zeroblob of row `rowid`, when [`Bound::of`] chose one.
pub(super) fn fill(c: &Connection, rowid: i64, content: &Content) -> Result<(), StoreError> {
    match content {
        Content::Memory(bytes) if bytes.len() <= STREAM_THRESHOLD => Ok(()),
        Content::Memory(bytes) => {
            let mut blob = c.blob_open(MAIN_DB, c"pastes", c"content", rowid, false)?;
            blob.write_at(bytes, 0)?;
            Ok(())
        }
        Content::Spooled { file, len } => {
            let mut blob = c.blob_open(MAIN_DB, c"pastes", c"content", rowid, false)?;
            let len = usize::try_from(*len).unwrap_or(usize::MAX);
            let mut buf = vec![0; len.min(COPY_CHUNK)];
            let mut at = 0;
            while at < len {
                let step = (len - at).min(buf.len());
                read_at(file, &mut buf[..step], at as u64)
                    .map_err(|e| StoreError::Batch(format!("reading the spool file: {e}")))?;
                blob.write_at(&buf[..step], at)?;
                at += step;
            }
            Ok(())
        }
    }
}

impl PasteStore {
    /// At most `len` bytes of paste `id`'s content from `offset`; `None` when the paste is gone
    /// (deleted or burned since the download began).
    pub async fn content_chunk(
        &self,
        id: &str,
        offset: u64,
        len: usize,
    ) -> Result<Option<Bytes>, StoreError> {
        let id = id.to_owned();
        self.pool
            .read(move |c| {
                let tx = c.unchecked_transaction()?;
                let Some((rowid, size)) = tx
                    .prepare_cached("SELECT rowid, size FROM pastes WHERE id = ?1")?
                    .query_row(params![id], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                    })
                    .optional()?
                else {
                    return Ok(None);
                };
                let size = u64::try_from(size).unwrap_or(0);
                let start = offset.min(size);
                let want = usize::try_from(size - start).unwrap_or(usize::MAX).min(len);
                let mut buf = vec![0; want];
                let blob = tx.blob_open(MAIN_DB, c"pastes", c"content", rowid, true)?;
                let at = usize::try_from(start).unwrap_or(usize::MAX);
                blob.read_at_exact(&mut buf, at)?;
                drop(blob);
                tx.finish()?;
                Ok::<_, StoreError>(Some(Bytes::from(buf)))
            })
            .await?
    }
}
