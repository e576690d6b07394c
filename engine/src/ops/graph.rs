//! Graphs: IMPORT GRAPH, storing a graph version, reading one (cached),
//! DESCRIBE GRAPH.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::{Engine, Written, check_name};
use crate::edges::ImportStats;
use crate::graph::RelStats;
use crate::store::{Kind, Manifest, ObjRef};
use crate::{Ctx, Result, SignedGraph};

/// What `DESCRIBE GRAPH` shows: nodes and mean degrees per modality, edges
/// per relation (modality pair) and over all of them, and the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphDescription {
    pub version: u32,
    pub modalities: Vec<ModalityDegrees>,
    pub rels: Vec<RelStats>,
    /// Positive and negative edges and candidate pairs over every relation.
    pub total_pos: u64,
    pub total_neg: u64,
    pub total_pairs: u64,
    pub manifest: Manifest,
}

/// One modality of a graph: its node count and mean signed degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityDegrees {
    pub name: String,
    pub nodes: usize,
    pub pos_degree_mean: f64,
    pub neg_degree_mean: f64,
}

impl GraphDescription {
    /// Signed edges over candidate pairs, over every relation (0 with no pairs).
    pub fn total_density(&self) -> f64 {
        if self.total_pairs == 0 {
            0.0
        } else {
            (self.total_pos + self.total_neg) as f64 / self.total_pairs as f64
        }
    }
}

/// Storing a graph serialises it (roaring bytes per node, the rkyv
/// snapshot) and hands the bytes to redb, code that cannot report an
/// allocation failure: the room for about three copies of the snapshot is
/// checked first, so an import that cannot be stored is an error, not an abort.
fn check_room_to_store(path: &Path, g: &SignedGraph) -> Result<()> {
    let snapshot: usize = (0..g.node_count() as crate::NodeId)
        .map(|x| g.pos(x).serialized_size() + g.neg(x).serialized_size() + g.value(x).len() + 32)
        .sum();
    let need = snapshot.saturating_mul(3);
    crate::edges::edge_keys::probe(need).map_err(|e| {
        let loc = crate::FileLoc {
            path: path.to_path_buf(),
            line: 0,
        };
        crate::Error::rejected(
            crate::Code::TooLarge,
            crate::Subject::File(loc.clone()),
            format!(
                "{loc}: not enough memory to store the imported graph: {} was needed \
                 ({} of snapshot, written and copied)",
                crate::limits::human_bytes(e.bytes),
                crate::limits::human_bytes(snapshot)
            ),
            "free memory or raise the process's memory limit (`ulimit -v`)",
        )
    })
}

impl Engine {
    /// `IMPORT GRAPH name FROM 'path' [CATALOGUE c]`.
    pub fn import_graph(
        &self,
        name: &str,
        path: &Path,
        catalogue: Option<&ObjRef>,
        statement: &str,
    ) -> Result<(Written, ImportStats)> {
        self.import_graph_with(name, path, catalogue, statement, &Ctx::default())
    }

    /// [`Engine::import_graph`] that Ctrl-C (`ctx`) can cancel; nothing is stored then.
    pub fn import_graph_with(
        &self,
        name: &str,
        path: &Path,
        catalogue: Option<&ObjRef>,
        statement: &str,
        ctx: &Ctx,
    ) -> Result<(Written, ImportStats)> {
        check_name(name)?;
        let cat = catalogue.map(|c| self.catalogue(c)).transpose()?;
        let (g, stats) =
            crate::edges::read_edges_csv_with(path, cat.as_ref().map(|(_, c)| c), ctx)?;
        ctx.check()?;
        check_room_to_store(path, &g)?;
        let mut details = json!({
            "source": path.display().to_string(),
            "import": stats,
        });
        if let (Some(r), Some((v, _))) = (catalogue, &cat) {
            details["catalogue"] = json!({"name": r.name, "version": v});
        }
        let written = self.store_graph(name, g, statement, "imported", details)?;
        Ok((written, stats))
    }

    /// Stores a graph as the next version of `name` in one transaction.
    /// `origin` is a short word for the summary (imported, generated...).
    pub fn store_graph(
        &self,
        name: &str,
        g: SignedGraph,
        statement: &str,
        origin: &str,
        details: serde_json::Value,
    ) -> Result<Written> {
        check_name(name)?;
        let (p, n) = g.edge_counts();
        let summary = format!(
            "{origin}: {} nodes, {p} positive and {n} negative edges",
            g.node_count()
        );
        let m = Manifest::new(statement, summary.clone(), details);
        let version = self.store.put(Kind::Graph, name, &g.to_snapshot()?, &m)?;
        self.cache()
            .insert((name.to_string(), version), Arc::new(g));
        Ok(Written {
            kind: Kind::Graph,
            name: name.into(),
            version,
            summary,
        })
    }

    /// Loads a graph version (cached after the first load).
    pub fn graph(&self, r: &ObjRef) -> Result<(u32, Arc<SignedGraph>)> {
        let version = self.store.resolve(Kind::Graph, r)?;
        let key = (r.name.clone(), version);
        if let Some(g) = self.cache().get(&key) {
            return Ok((version, g.clone()));
        }
        let s = self.store.get(Kind::Graph, &ObjRef::at(&r.name, version))?;
        let g = Arc::new(SignedGraph::from_snapshot(&s.payload)?);
        self.cache().insert(key, g.clone());
        Ok((version, g))
    }

    /// `DESCRIBE GRAPH r`: per-modality degrees, per-relation edge counts
    /// and densities, and the manifest of the version `r` resolves to.
    pub fn describe_graph(&self, r: &ObjRef) -> Result<GraphDescription> {
        let (version, g) = self.graph(r)?;
        let (_, manifest) = self.manifest(Kind::Graph, &ObjRef::at(&r.name, version))?;
        let modalities = g
            .modalities()
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let ids = g.nodes_of(i as u16);
                let n = ids.len().max(1) as f64;
                let pd: u64 = ids.iter().map(|&x| g.pos(x).len()).sum();
                let nd: u64 = ids.iter().map(|&x| g.neg(x).len()).sum();
                ModalityDegrees {
                    name: name.clone(),
                    nodes: ids.len(),
                    pos_degree_mean: pd as f64 / n,
                    neg_degree_mean: nd as f64 / n,
                }
            })
            .collect();
        let rels = g.rel_stats();
        Ok(GraphDescription {
            version,
            total_pos: rels.iter().map(|r| r.pos).sum(),
            total_neg: rels.iter().map(|r| r.neg).sum(),
            total_pairs: g.total_candidate_pairs(),
            modalities,
            rels,
            manifest,
        })
    }
}
