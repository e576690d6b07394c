//! [`Engine`]: every operation a statement performs is one method on it,
//! over a [`Store`]. The DSL executor and the embedded API both call these;
//! neither touches redb tables directly. One file per concept:
//!
//! - this file: opening, the graph cache, listing, versions, manifests, DROP;
//! - `catalogue.rs`: LOAD CATALOGUE, DESCRIBE CATALOGUE;
//! - `graph.rs`: IMPORT GRAPH, storing and loading graphs, DESCRIBE GRAPH;
//! - `generate.rs`: GENERATE GRAPH and EXPLAIN (both strategies);
//! - `diagnose.rs`: DIAGNOSE;
//! - `sample.rs`: SAMPLE, reading datasets, DESCRIBE DATASET;
//! - `export.rs`: EXPORT DATASET, EXPORT GRAPH;
//! - `check.rs`: CHECK DATABASE, COMPARE GRAPH, CHECK GRAPH;
//! - `eval.rs`: evaluation runs and the leaderboard (IMPORT EVALUATIONS,
//!   SHOW LEADERBOARD / EVALUATIONS, DROP EVALUATION).

mod catalogue;
mod check;
mod diagnose;
mod eval;
mod export;
mod generate;
mod graph;
mod sample;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::store::{Kind, Manifest, ObjRef, ObjectInfo, Store};
use crate::{Error, Result, SignedGraph};

pub use catalogue::{CatalogueDescription, ModalitySummary};
pub use check::GraphComparison;
pub use eval::{EvalRun, Leaderboard, LeaderboardQuery};
pub use graph::{GraphDescription, ModalityDegrees};

/// A version that a statement wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub kind: Kind,
    pub name: String,
    pub version: u32,
    pub summary: String,
}

/// The engine: a store plus a cache of loaded graph snapshots (safe because
/// versions are immutable and never reused).
pub struct Engine {
    store: Store,
    graphs: Mutex<HashMap<(String, u32), Arc<SignedGraph>>>,
}

/// Checks an object name against the DSL's name rule.
pub fn check_name(name: &str) -> Result<()> {
    crate::limits::check_name_len(name)?;
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_hint(
            format!("{} is not a valid name", crate::limits::quote(name)),
            "names are letters, digits and `_`, starting with a letter or `_`",
        ))
    }
}

impl Engine {
    /// Opens or creates a database file. An existing file that cannot be
    /// opened for writing (permissions, a read-only mount) is opened
    /// read-only instead; [`Engine::is_read_only`] tells.
    pub fn open(path: &Path) -> Result<Engine> {
        Ok(Engine::with_store(Store::open(path)?))
    }

    /// Opens an existing database file read-only: it is never written, and
    /// every statement that would write fails with [`Error::ReadOnly`].
    pub fn open_read_only(path: &Path) -> Result<Engine> {
        Ok(Engine::with_store(Store::open_read_only(path)?))
    }

    /// The file's size against the bytes it stores (CHECK DATABASE's last
    /// line); reads only.
    pub fn storage_stats(&self) -> Result<crate::StorageStats> {
        self.store.storage_stats()
    }

    /// Compacts the file now (done after large writes when the file is
    /// over [`crate::MAX_RATIO`] its payload). Does nothing, and returns
    /// `false`, when nothing was written in this session or in memory.
    pub fn compact(&self) -> Result<bool> {
        self.store.compact()
    }

    /// Whether writes are refused (opened read-only, or a read-only file).
    pub fn is_read_only(&self) -> bool {
        self.store.is_read_only()
    }

    /// A fresh in-memory database.
    pub fn in_memory() -> Result<Engine> {
        Ok(Engine::with_store(Store::in_memory()?))
    }

    pub fn with_store(store: Store) -> Engine {
        Engine {
            store,
            graphs: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn cache(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(String, u32), Arc<SignedGraph>>> {
        self.graphs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Latest version of every name of a kind.
    pub fn list(&self, kind: Kind) -> Result<Vec<ObjectInfo>> {
        self.store.list(kind)
    }

    /// The manifest of one version.
    pub fn manifest(&self, kind: Kind, r: &ObjRef) -> Result<(u32, Manifest)> {
        let v = self.store.resolve(kind, r)?;
        let m = self
            .store
            .versions(kind, &r.name)?
            .into_iter()
            .find(|(x, _)| *x == v)
            .map(|(_, m)| m)
            .unwrap_or_default();
        Ok((v, m))
    }

    /// Every version of `name` (oldest first) with its manifest, for
    /// `SHOW VERSIONS`; a name with no version is [`Error::NotFound`].
    pub fn versions(&self, kind: Kind, name: &str) -> Result<Vec<(u32, Manifest)>> {
        let vs = self.store.versions(kind, name)?;
        if vs.is_empty() {
            return Err(Error::NotFound {
                kind: kind.as_str(),
                name: name.to_string(),
                hint: None,
            });
        }
        Ok(vs)
    }

    /// `DROP kind name[@v]`: removes one version or every version. Returns
    /// how many versions were removed.
    pub fn drop_object(&self, kind: Kind, r: &ObjRef) -> Result<u32> {
        if let Some(v) = r.version {
            self.store.resolve(kind, r)?;
            self.store.write(|w| w.drop(kind, &r.name, Some(v)))
        } else {
            self.store.resolve(kind, r)?;
            self.store.write(|w| w.drop(kind, &r.name, None))
        }
    }
}

#[cfg(test)]
mod tests;
