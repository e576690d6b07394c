//! Checks: `CHECK DATABASE` (every stored object against its checksum, then
//! decoded: catalogue JSON, graph and dataset snapshots validated, and the
//! journal), `COMPARE GRAPH` and `CHECK GRAPH ... AGAINST`.

use std::path::Path;

use super::Engine;
use crate::compare::{CheckReport, Comparison, check_graph, compare_graphs};
use crate::store::{CheckEntry, Integrity, Kind, ObjRef};
use crate::{Catalogue, Ctx, Dataset, Result, SignedGraph};

/// What `COMPARE GRAPH a WITH b` answers: the versions compared and the
/// comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphComparison {
    pub version_a: u32,
    pub version_b: u32,
    pub comparison: Comparison,
}

impl Engine {
    /// `COMPARE GRAPH a WITH b`: edges per relation, agreement on common
    /// pairs, and every pair whose sign differs.
    pub fn compare_graphs(&self, a: &ObjRef, b: &ObjRef) -> Result<GraphComparison> {
        let (version_a, ga) = self.graph(a)?;
        let (version_b, gb) = self.graph(b)?;
        Ok(GraphComparison {
            version_a,
            version_b,
            comparison: compare_graphs(&ga, &gb),
        })
    }

    /// `CHECK GRAPH g AGAINST 'file'`: how the graph labels the file's
    /// expected pairs. Returns the version checked and the report; errors
    /// about the file name it (`Error::Input`/`Error::Io` with its path).
    pub fn check_graph(&self, r: &ObjRef, path: &Path) -> Result<(u32, CheckReport)> {
        let (version, g) = self.graph(r)?;
        Ok((version, check_graph(&g, path)?))
    }

    /// Verifies the whole database: one entry per object version (status
    /// `Ok`, `Unchecked` or corrupt, with a detail), one per damaged journal
    /// entry and one for the journal as a whole. Never writes.
    pub fn check_database(&self, ctx: &Ctx) -> Result<Vec<CheckEntry>> {
        let mut entries = self.store().check()?;
        for e in entries.iter_mut() {
            ctx.check()?;
            let kind = match e.kind {
                "catalogue" => Kind::Catalogue,
                "graph" => Kind::Graph,
                "dataset" => Kind::Dataset,
                _ => continue,
            };
            if !matches!(e.status, Integrity::Ok | Integrity::Unchecked) {
                continue;
            }
            let Some(version) = e.version else { continue };
            if let Err(err) = decode(self, kind, &e.name, version) {
                e.status = Integrity::PayloadCorrupt;
                e.detail = format!("payload cannot be decoded: {err}");
            }
        }
        Ok(entries)
    }
}

fn decode(engine: &Engine, kind: Kind, name: &str, version: u32) -> Result<()> {
    let s = engine.store().get(kind, &ObjRef::at(name, version))?;
    match kind {
        Kind::Catalogue => Catalogue::from_bytes(&s.payload).map(drop),
        Kind::Graph => SignedGraph::from_snapshot(&s.payload).map(drop),
        Kind::Dataset => Dataset::from_bytes(&s.payload).map(drop),
    }
}
