//! `CHECK DATABASE`: every stored object against its checksum, then decoded
//! (catalogue JSON, graph and dataset snapshots validated), and the journal.

use crate::store::{CheckEntry, Integrity, Kind, ObjRef};
use crate::{Catalogue, Ctx, Dataset, Engine, Result, SignedGraph};

impl Engine {
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
