//! The persistent store: one redb file (or an in-memory redb backend) holding
//! versioned catalogues, graphs and datasets, their manifests, and the LLM
//! reply journal. See ARCHITECTURE.md, "On-disk format".
//!
//! Invariants: versions are immutable and never reused (a per-name counter
//! survives DROP); every statement writes through one [`Store::write`] call,
//! i.e. one redb transaction, so an error leaves the store as it was.
//!
//! Layout: this file holds the tables, the object types and the one write
//! path (`Store::write`, `Writer`); `create.rs` opening and creating files
//! (the registry of open files, atomic creation, init and migration);
//! `open.rs` the read-write or read-only handle; `read.rs` versions, objects,
//! listings and the journal; `checksum.rs` the blake3 sums and their
//! verification; `check.rs` `Store::check` and the format-1 migration;
//! `jobs.rs` the service's job records (`valence serve`).

use std::path::{Path, PathBuf};

use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

mod check;
mod checksum;
mod chunks;
mod create;
mod evals;
mod jobs;
mod open;
mod read;
#[cfg(test)]
mod tests;

pub use check::CheckEntry;
pub use checksum::Integrity;
use checksum::{object_sums, sum};
pub use chunks::{COMPACT_AFTER, MAX_RATIO, StorageStats};
pub use create::canonical_db_path;
use open::Handle;

type ObjKey<'a> = (&'a str, &'a str, u32);

const OBJECTS: TableDefinition<ObjKey, &[u8]> = TableDefinition::new("objects");
const MANIFESTS: TableDefinition<ObjKey, &[u8]> = TableDefinition::new("manifests");
const COUNTERS: TableDefinition<(&str, &str), u32> = TableDefinition::new("counters");
const JOURNAL: TableDefinition<&[u8], &[u8]> = TableDefinition::new("journal");
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
/// blake3 of an object's payload followed by blake3 of its manifest (64 bytes).
const OBJECT_SUMS: TableDefinition<ObjKey, &[u8]> = TableDefinition::new("object_checksums");
/// blake3 of a journal value (32 bytes), by journal key.
const JOURNAL_SUMS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("journal_checksums");

/// On-disk format version written to the `meta` table. Format 2 added the
/// checksum tables, format 3 chunked payloads (`chunks.rs`); older files
/// are migrated when opened read-write (read as is when opened read-only):
/// 1 → 3 adds the checksums, 2 → 3 only the chunk table (payloads stored
/// whole stay readable as they are).
pub const FORMAT_VERSION: &str = "3";
/// Older formats this build reads (and migrates on open).
const MIGRATES_FROM: [&str; 2] = ["1", "2"];

/// The kinds of stored objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    Catalogue,
    Graph,
    Dataset,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Catalogue => "catalogue",
            Kind::Graph => "graph",
            Kind::Dataset => "dataset",
        }
    }
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Catalogue => "catalogues",
            Kind::Graph => "graphs",
            Kind::Dataset => "datasets",
        }
    }
}

/// A reference to a stored object: `name` (latest) or `name@version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjRef {
    pub name: String,
    pub version: Option<u32>,
}

impl ObjRef {
    pub fn latest(name: impl Into<String>) -> ObjRef {
        ObjRef {
            name: name.into(),
            version: None,
        }
    }
    pub fn at(name: impl Into<String>, version: u32) -> ObjRef {
        ObjRef {
            name: name.into(),
            version: Some(version),
        }
    }
}

impl std::fmt::Display for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

impl From<&str> for ObjRef {
    /// Parses `name` or `name@N` (an unparsable version is kept in the name,
    /// which then fails lookup with a clear error).
    fn from(s: &str) -> ObjRef {
        match s.rsplit_once('@') {
            Some((n, v)) if v.parse::<u32>().is_ok() => ObjRef::at(n, v.parse().unwrap_or(0)),
            _ => ObjRef::latest(s),
        }
    }
}

/// What made a version: the statement, when, a one-line summary and details
/// (options, counts, reports) as JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub statement: String,
    pub created: u64,
    pub summary: String,
    #[serde(default)]
    pub details: serde_json::Value,
    #[serde(default)]
    pub engine_version: String,
}

impl Manifest {
    pub fn new(
        statement: &str,
        summary: impl Into<String>,
        details: serde_json::Value,
    ) -> Manifest {
        Manifest {
            statement: statement.to_string(),
            created: crate::util::now_unix(),
            summary: summary.into(),
            details,
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// One stored version.
#[derive(Debug, Clone)]
pub struct Stored {
    pub version: u32,
    pub payload: Vec<u8>,
    pub manifest: Manifest,
}

/// One row of `SHOW ...`: the latest version of a name.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    pub name: String,
    pub latest: u32,
    pub versions: u32,
    pub manifest: Manifest,
}

/// The redb-backed store.
pub struct Store {
    db: std::sync::RwLock<Handle>,
    path: Option<PathBuf>,
    /// The key of this file in the registry of open files (`create.rs`;
    /// file stores only).
    open_key: Option<PathBuf>,
}

/// Storage errors keep the redb (or serde) error as their `source()`.
fn st(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::storage_source(e)
}

/// Writes within one transaction; see [`Store::write`].
pub struct Writer<'t> {
    txn: &'t redb::WriteTransaction,
    /// Payload bytes put or dropped (whether to consider compacting).
    changed: u64,
}

impl Writer<'_> {
    /// Stores a new version of `name`; returns its number.
    pub fn put(
        &mut self,
        kind: Kind,
        name: &str,
        payload: &[u8],
        manifest: &Manifest,
    ) -> Result<u32> {
        let mut counters = self.txn.open_table(COUNTERS).map_err(st)?;
        let last = counters
            .get((kind.as_str(), name))
            .map_err(st)?
            .map(|v| v.value())
            .unwrap_or(0);
        let version = last + 1;
        counters
            .insert((kind.as_str(), name), version)
            .map_err(st)?;
        chunks::put_payload(self.txn, (kind.as_str(), name, version), payload)?;
        self.changed += payload.len() as u64;
        let mut manifests = self.txn.open_table(MANIFESTS).map_err(st)?;
        let m = serde_json::to_vec(manifest).map_err(st)?;
        manifests
            .insert((kind.as_str(), name, version), m.as_slice())
            .map_err(st)?;
        let mut sums = self.txn.open_table(OBJECT_SUMS).map_err(st)?;
        sums.insert(
            (kind.as_str(), name, version),
            object_sums(payload, &m).as_slice(),
        )
        .map_err(st)?;
        Ok(version)
    }

    /// Removes one version, or all versions of a name. Returns how many.
    pub fn drop(&mut self, kind: Kind, name: &str, version: Option<u32>) -> Result<u32> {
        let mut objects = self.txn.open_table(OBJECTS).map_err(st)?;
        let mut manifests = self.txn.open_table(MANIFESTS).map_err(st)?;
        let mut sums = self.txn.open_table(OBJECT_SUMS).map_err(st)?;
        let (lo, hi) = match version {
            Some(v) => (v, v),
            None => (0, u32::MAX),
        };
        let keys: Vec<u32> = objects
            .range((kind.as_str(), name, lo)..=(kind.as_str(), name, hi))
            .map_err(st)?
            .map(|r| r.map(|(k, _)| k.value().2))
            .collect::<std::result::Result<_, _>>()
            .map_err(st)?;
        for v in &keys {
            self.changed += chunks::drop_chunks(self.txn, (kind.as_str(), name, *v))?;
            if let Some(old) = objects.remove((kind.as_str(), name, *v)).map_err(st)? {
                self.changed += old.value().len() as u64;
            }
            manifests.remove((kind.as_str(), name, *v)).map_err(st)?;
            sums.remove((kind.as_str(), name, *v)).map_err(st)?;
        }
        Ok(keys.len() as u32)
    }

    /// Records an LLM reply in the journal (inside this transaction).
    pub fn journal_put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut j = self.txn.open_table(JOURNAL).map_err(st)?;
        j.insert(key, value).map_err(st)?;
        let mut sums = self.txn.open_table(JOURNAL_SUMS).map_err(st)?;
        sums.insert(key, sum(value).as_slice()).map_err(st)?;
        Ok(())
    }
}

impl Store {
    /// The file path, or `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds.
    /// On a read-only store it is [`Error::ReadOnly`] and `f` does not run.
    pub fn write<T>(&self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let txn = self.begin_write()?;
        let mut w = Writer {
            txn: &txn,
            changed: 0,
        };
        let out = f(&mut w);
        let changed = w.changed;
        match out {
            Ok(v) => {
                txn.commit().map_err(st)?;
                self.compact_if_wasteful(changed);
                Ok(v)
            }
            Err(e) => {
                txn.abort().map_err(st)?;
                Err(e)
            }
        }
    }

    /// Stores one new version in its own transaction.
    pub fn put(&self, kind: Kind, name: &str, payload: &[u8], manifest: &Manifest) -> Result<u32> {
        self.write(|w| w.put(kind, name, payload, manifest))
    }

    /// Commits one journal entry in its own transaction (durable before use).
    pub fn journal_put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(|w| w.journal_put(key, value))
    }
}
