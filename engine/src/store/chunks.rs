//! Compact storage (format 3): large payloads in chunks, the file's size
//! against its payload, and compaction.
//!
//! Why: redb keeps a value larger than a page in one allocation rounded up to
//! a power of two pages (a 44 MB dataset takes 64 MB) and such allocations
//! cannot be moved by compaction, so files ran 2-4x their payload. A payload
//! over [`CHUNK`] bytes is stored as an empty value in `objects` plus its
//! chunks in `object_chunks` (each chunk fills a 16-page allocation almost
//! exactly); the payload is the concatenation of the chunks. A non-empty
//! value in `objects` is the payload itself (every object of formats 1 and 2,
//! small objects of format 3), so older files read unchanged.
//!
//! After a write transaction that changed at least [`COMPACT_AFTER`] bytes,
//! the file is compacted when it is more than [`MAX_RATIO`] its payload
//! (redb grows a file ahead of its data and frees the pages of replaced or
//! dropped versions only for later reuse).

use redb::{ReadableTableMetadata, TableDefinition, TableHandle};

use super::open::{Handle, open_opt};
use super::{ObjKey, Store, st};
use crate::Result;

/// (kind, name, version, chunk index) → chunk bytes.
pub(super) type ChunkKey<'a> = (&'a str, &'a str, u32, u32);
pub(super) const OBJECT_CHUNKS: TableDefinition<ChunkKey, &[u8]> =
    TableDefinition::new("object_chunks");

/// Chunk size: with its key and the leaf header, one chunk fills a 64 KiB
/// (16-page) allocation to within 1%.
pub(super) const CHUNK: usize = 65_000;

/// A write transaction that changed at least this many payload bytes checks
/// whether the file should be compacted.
pub const COMPACT_AFTER: u64 = 128 << 10;

/// The largest file size, as a multiple of the payload, left uncompacted.
pub const MAX_RATIO: f64 = 1.25;

/// Files smaller than this are never compacted automatically (the fixed
/// overhead of a small database is most of it).
const MIN_COMPACT_FILE: u64 = 1 << 20;

/// Stores a payload under `key`: inline when small, else chunked.
pub(super) fn put_payload(txn: &redb::WriteTransaction, key: ObjKey, payload: &[u8]) -> Result<()> {
    let mut objects = txn.open_table(super::OBJECTS).map_err(st)?;
    if payload.len() <= CHUNK {
        objects.insert(key, payload).map_err(st)?;
        return Ok(());
    }
    objects.insert(key, &[][..]).map_err(st)?;
    let mut chunks = txn.open_table(OBJECT_CHUNKS).map_err(st)?;
    for (i, c) in payload.chunks(CHUNK).enumerate() {
        chunks
            .insert((key.0, key.1, key.2, i as u32), c)
            .map_err(st)?;
    }
    Ok(())
}

/// Removes the chunks of one object version (none for inline payloads);
/// the bytes removed.
pub(super) fn drop_chunks(txn: &redb::WriteTransaction, key: ObjKey) -> Result<u64> {
    let mut chunks = txn.open_table(OBJECT_CHUNKS).map_err(st)?;
    let (k, n, v) = key;
    let mut removed = 0u64;
    chunks
        .retain_in((k, n, v, 0)..=(k, n, v, u32::MAX), |_, c| {
            removed += c.len() as u64;
            false
        })
        .map_err(st)?;
    Ok(removed)
}

/// The chunk table as read (absent from files of formats 1 and 2 opened
/// read-only).
pub(super) type Chunks = redb::ReadOnlyTable<ChunkKey<'static>, &'static [u8]>;

/// The payload of `key` whose `objects` value is `inline`.
pub(super) fn payload(inline: &[u8], chunks: Option<&Chunks>, key: ObjKey) -> Result<Vec<u8>> {
    if !inline.is_empty() {
        return Ok(inline.to_vec());
    }
    let mut out = Vec::new();
    let Some(chunks) = chunks else {
        return Ok(out);
    };
    let (k, n, v) = key;
    for r in chunks
        .range((k, n, v, 0)..=(k, n, v, u32::MAX))
        .map_err(st)?
    {
        let (_, c) = r.map_err(st)?;
        out.extend_from_slice(c.value());
    }
    Ok(out)
}

/// The size of the database file against what it stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageStats {
    /// The file's length in bytes (0 in memory).
    pub file_bytes: u64,
    /// Keys and values stored in every table (redb's `stored_bytes`).
    pub payload_bytes: u64,
}

impl StorageStats {
    /// File size over payload.
    pub fn ratio(&self) -> f64 {
        self.file_bytes as f64 / self.payload_bytes.max(1) as f64
    }
}

impl Store {
    /// File size and payload bytes (see [`StorageStats`]); reads only.
    pub fn storage_stats(&self) -> Result<StorageStats> {
        let txn = self.read_txn()?;
        self.stats_in(&txn)
    }

    /// [`Store::storage_stats`] within a read transaction.
    pub(super) fn stats_in(&self, txn: &redb::ReadTransaction) -> Result<StorageStats> {
        let mut payload_bytes = 0;
        let handles: Vec<_> = txn.list_tables().map_err(st)?.collect();
        for h in handles {
            let t = txn.open_untyped_table(h).map_err(st)?;
            payload_bytes += t.stats().map_err(st)?.stored_bytes();
        }
        let file_bytes = match &self.path {
            Some(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            None => 0,
        };
        Ok(StorageStats {
            file_bytes,
            payload_bytes,
        })
    }

    /// Compacts the file (redb's `compact`, until it moves nothing more):
    /// waits for this store's reads, and does nothing on a store that has
    /// not been written (read-only or not yet reopened for writing), in
    /// memory, or while another thread begins a write. Returns whether it
    /// ran; a write transaction live in another thread is an error (redb's
    /// "transaction in progress"), the file unchanged.
    pub fn compact(&self) -> Result<bool> {
        if self.path.is_none() {
            return Ok(false);
        }
        let mut handle = self.db.write().unwrap_or_else(|p| p.into_inner());
        let Handle::Rw(db) = &mut *handle else {
            return Ok(false);
        };
        // Another thread is beginning a write transaction: not now.
        let Some(db) = std::sync::Arc::get_mut(db) else {
            return Ok(false);
        };
        while db.compact().map_err(st)? {}
        Ok(true)
    }

    /// After a write of `changed` bytes: compacts when the file is over
    /// [`MAX_RATIO`] its payload. A failed compaction leaves the file as it
    /// was (redb commits it as one transaction), so it is not an error of
    /// the statement that wrote.
    pub(super) fn compact_if_wasteful(&self, changed: u64) {
        if changed < COMPACT_AFTER || self.path.is_none() {
            return;
        }
        let Ok(s) = self.storage_stats() else {
            return;
        };
        if s.file_bytes >= MIN_COMPACT_FILE && s.ratio() > MAX_RATIO {
            let _ = self.compact();
        }
    }
}

/// The chunk table of a read transaction, when the file has one.
pub(super) fn chunks_table(txn: &redb::ReadTransaction) -> Result<Option<Chunks>> {
    open_opt(txn, OBJECT_CHUNKS)
}

/// The name of the chunk table, for the initialisation check.
pub(super) fn chunks_table_name() -> &'static str {
    OBJECT_CHUNKS.name()
}
