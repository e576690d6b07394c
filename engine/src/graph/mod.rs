//! The signed graph: nodes are (modality, value) with dense ids; positive and
//! negative adjacency per node as roaring bitmaps, plus, where it fits, a
//! derived dense bit matrix that makes edge-fraction evaluation (the hot path
//! of DIAGNOSE and SAMPLE) a handful of bit lookups (`adjacency.rs` has the
//! rule; larger graphs use the bitmaps directly).

use std::collections::HashMap;
use std::sync::OnceLock;

use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

mod adjacency;
mod builder;
mod dense;
#[cfg(test)]
mod evaluator_tests;

use adjacency::Signatures;
pub use adjacency::{
    Adjacency, DENSE_ALWAYS_BYTES, DENSE_CAP_BYTES, DenseAdjacency, Evaluator, HotPath,
    RoaringAdjacency, RoaringKey, dense_bytes, dense_fits, mem_available,
};
pub use builder::{EdgeRejection, GraphBuilder};

/// Dense node id, `0..node_count`.
pub type NodeId = u32;

/// The sign of an edge. Absence of an edge means neutral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sign {
    Pos,
    Neg,
}

impl Sign {
    /// `'+'` or `'-'`.
    pub fn symbol(self) -> char {
        match self {
            Sign::Pos => '+',
            Sign::Neg => '-',
        }
    }

    pub fn flip(self) -> Sign {
        match self {
            Sign::Pos => Sign::Neg,
            Sign::Neg => Sign::Pos,
        }
    }
}

/// The sign of (a, b) in per-node adjacency bitmaps.
pub(super) fn sign_in(
    pos: &[RoaringBitmap],
    neg: &[RoaringBitmap],
    a: NodeId,
    b: NodeId,
) -> Option<Sign> {
    if pos[a as usize].contains(b) {
        Some(Sign::Pos)
    } else if neg[a as usize].contains(b) {
        Some(Sign::Neg)
    } else {
        None
    }
}

/// Edge composition of a node set (see dsl.md, "Edge fractions").
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EdgeFractions {
    pub pos: f64,
    pub neg: f64,
    pub absent: f64,
    /// Candidate pairs: unordered pairs of nodes of different modalities.
    pub pairs: u64,
    pub pos_edges: u64,
    pub neg_edges: u64,
}

impl EdgeFractions {
    /// Fractions from counts. A set with no candidate pair is all-absent.
    pub fn from_counts(pos_edges: u64, neg_edges: u64, pairs: u64) -> EdgeFractions {
        if pairs == 0 {
            return EdgeFractions {
                absent: 1.0,
                ..Default::default()
            };
        }
        let p = pairs as f64;
        let pos = pos_edges as f64 / p;
        let neg = neg_edges as f64 / p;
        EdgeFractions {
            pos,
            neg,
            absent: 1.0 - pos - neg,
            pairs,
            pos_edges,
            neg_edges,
        }
    }
}

/// Number of candidate pairs of a set given its per-modality counts.
pub fn candidate_pairs(counts: impl IntoIterator<Item = u32>) -> u64 {
    let (mut total, mut sq) = (0u64, 0u64);
    for c in counts {
        total += c as u64;
        sq += (c as u64) * (c as u64);
    }
    (total * total - sq) / 2
}

/// A signed graph over catalogue attributes. Immutable once built.
#[derive(Debug)]
pub struct SignedGraph {
    modalities: Vec<String>,
    node_modality: Vec<u16>,
    node_value: Vec<String>,
    pos: Vec<RoaringBitmap>,
    neg: Vec<RoaringBitmap>,
    // Derived state (never stored).
    by_modality: Vec<Vec<NodeId>>,
    /// (modality, value) → id, built on the first [`Self::find`].
    index: OnceLock<HashMap<(u16, String), NodeId>>,
    /// The dense matrix: `None` inside when the rule chose the sparse path.
    dense: OnceLock<Option<DenseAdjacency>>,
    /// Neighbour signatures for the sparse path, built on its first use.
    signatures: OnceLock<Option<Signatures>>,
    /// (positive, negative) edge counts, counted on first use.
    edges: OnceLock<(u64, u64)>,
    evaluator: Evaluator,
}

impl SignedGraph {
    pub(super) fn from_parts(
        modalities: Vec<String>,
        node_modality: Vec<u16>,
        node_value: Vec<String>,
        pos: Vec<RoaringBitmap>,
        neg: Vec<RoaringBitmap>,
    ) -> SignedGraph {
        let mut by_modality = vec![Vec::new(); modalities.len()];
        for (i, &m) in node_modality.iter().enumerate() {
            by_modality[m as usize].push(i as NodeId);
        }
        SignedGraph {
            modalities,
            node_modality,
            node_value,
            pos,
            neg,
            by_modality,
            index: OnceLock::new(),
            dense: OnceLock::new(),
            signatures: OnceLock::new(),
            edges: OnceLock::new(),
            evaluator: Evaluator::Auto,
        }
    }

    pub fn modalities(&self) -> &[String] {
        &self.modalities
    }

    pub fn modality_index(&self, name: &str) -> Option<u16> {
        self.modalities
            .iter()
            .position(|m| m == name)
            .map(|i| i as u16)
    }

    pub fn node_count(&self) -> usize {
        self.node_value.len()
    }

    pub fn modality_of(&self, id: NodeId) -> u16 {
        self.node_modality[id as usize]
    }

    pub fn modality_name(&self, id: NodeId) -> &str {
        &self.modalities[self.node_modality[id as usize] as usize]
    }

    pub fn value(&self, id: NodeId) -> &str {
        &self.node_value[id as usize]
    }

    pub fn find(&self, modality: &str, value: &str) -> Option<NodeId> {
        let m = self.modality_index(modality)?;
        let index = self.index.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.node_value.len());
            for (i, (&m, v)) in self.node_modality.iter().zip(&self.node_value).enumerate() {
                index.insert((m, v.clone()), i as NodeId);
            }
            index
        });
        index.get(&(m, value.to_string())).copied()
    }

    /// Node ids of one modality, ascending.
    pub fn nodes_of(&self, modality: u16) -> &[NodeId] {
        &self.by_modality[modality as usize]
    }

    pub fn pos(&self, id: NodeId) -> &RoaringBitmap {
        &self.pos[id as usize]
    }

    pub fn neg(&self, id: NodeId) -> &RoaringBitmap {
        &self.neg[id as usize]
    }

    pub fn sign(&self, a: NodeId, b: NodeId) -> Option<Sign> {
        sign_in(&self.pos, &self.neg, a, b)
    }

    /// Every undirected edge once, `a < b`, ascending.
    pub fn edges(&self) -> impl Iterator<Item = (NodeId, NodeId, Sign)> + '_ {
        (0..self.node_count() as NodeId).flat_map(move |a| {
            let p = self.pos[a as usize]
                .range(a + 1..)
                .map(move |b| (a, b, Sign::Pos));
            let n = self.neg[a as usize]
                .range(a + 1..)
                .map(move |b| (a, b, Sign::Neg));
            let mut v: Vec<_> = p.chain(n).collect();
            v.sort_unstable_by_key(|e| e.1);
            v
        })
    }

    /// (positive, negative) edge counts.
    pub fn edge_counts(&self) -> (u64, u64) {
        *self.edges.get_or_init(|| {
            let p: u64 = self.pos.iter().map(|b| b.len()).sum();
            let n: u64 = self.neg.iter().map(|b| b.len()).sum();
            (p / 2, n / 2)
        })
    }

    /// Number of cross-modality node pairs in the whole graph.
    pub fn total_candidate_pairs(&self) -> u64 {
        candidate_pairs(self.by_modality.iter().map(|v| v.len() as u32))
    }

    /// Forces the hot path's evaluator (tests and benchmarks; normal use
    /// keeps [`Evaluator::Auto`]).
    #[doc(hidden)]
    pub fn set_evaluator(&mut self, evaluator: Evaluator) {
        self.evaluator = evaluator;
        self.dense = OnceLock::new();
    }

    /// The dense bit matrix, built on first use and shared, or `None` when
    /// the rule (see [`Evaluator::Auto`]) or the allocator says no.
    pub fn dense(&self) -> Option<&DenseAdjacency> {
        self.dense
            .get_or_init(|| {
                let n = self.node_count();
                let wanted = match self.evaluator {
                    Evaluator::Auto => {
                        let (p, q) = self.edge_counts();
                        dense_fits(n, p + q, mem_available())
                    }
                    Evaluator::Dense => true,
                    Evaluator::Sparse => false,
                };
                if wanted {
                    DenseAdjacency::try_build(&self.pos, &self.neg)
                } else {
                    None
                }
            })
            .as_ref()
    }

    /// The evaluator DIAGNOSE and SAMPLE run on: the dense matrix where it
    /// fits, else the roaring bitmaps. Identical counts either way.
    pub fn hot_path(&self) -> HotPath<'_> {
        match self.dense() {
            Some(d) => HotPath::Dense(d),
            None => HotPath::Sparse(self.sparse()),
        }
    }

    /// The sparse evaluator over the roaring bitmaps (always available).
    pub fn sparse(&self) -> RoaringAdjacency<'_> {
        RoaringAdjacency {
            pos: &self.pos,
            neg: &self.neg,
            sig: None,
        }
    }

    /// The evaluator SAMPLE's search runs on: [`Self::hot_path`], with the
    /// neighbour signatures in front of the sparse path's lookups, built on
    /// first use (`O(edges)`: 0.03 s at 100k nodes) and kept with the graph.
    pub fn search_path(&self) -> HotPath<'_> {
        match self.hot_path() {
            HotPath::Sparse(s) => HotPath::Sparse(RoaringAdjacency {
                sig: self
                    .signatures
                    .get_or_init(|| Signatures::build(&self.pos, &self.neg))
                    .as_ref(),
                ..s
            }),
            dense => dense,
        }
    }

    /// The evaluator for `lookups` pair lookups of random draws (DIAGNOSE):
    /// [`Self::search_path`] when the signatures exist, or when these
    /// lookups alone win back at least half of building them, else
    /// [`Self::hot_path`]. Measured at 100k nodes, a build costs about
    /// 3 ns an edge and a signature saves about 12 ns a lookup, so the
    /// line is `lookups ≥ edges / 8`: a default DIAGNOSE of 10,000 draws
    /// builds them for the SAMPLE that usually follows, one of 1,000 does
    /// not. The counts are identical either way.
    pub fn draw_path(&self, lookups: u64) -> HotPath<'_> {
        let pays = || {
            let (p, q) = self.edge_counts();
            lookups.saturating_mul(8) >= p + q
        };
        match self.hot_path() {
            HotPath::Sparse(_) if self.signatures.get().is_some() || pays() => self.search_path(),
            path => path,
        }
    }

    /// Edge fractions of a set of distinct nodes on the hot path's
    /// evaluator: one lookup per pair, no allocation for sets up to 64
    /// modalities.
    pub fn edge_fractions(&self, set: &[NodeId]) -> EdgeFractions {
        match self.hot_path() {
            HotPath::Dense(d) => self.edge_fractions_on(d, set),
            HotPath::Sparse(s) => self.edge_fractions_on(s, set),
        }
    }

    /// Edge fractions of a set on a given evaluator.
    pub fn edge_fractions_on<A: Adjacency>(&self, adj: A, set: &[NodeId]) -> EdgeFractions {
        let (mut p, mut q) = (0u64, 0u64);
        for (i, &a) in set.iter().enumerate() {
            let (pp, qq) = adj.count_to(a, &set[i + 1..]);
            p += pp as u64;
            q += qq as u64;
        }
        EdgeFractions::from_counts(p, q, self.set_candidate_pairs(set))
    }

    /// Edge fractions computed with roaring intersections only (no dense
    /// matrix): Σ |adj(v) ∩ S| / 2. Used to cross-check the fast path and for
    /// very large graphs.
    pub fn edge_fractions_roaring(&self, set: &[NodeId]) -> EdgeFractions {
        let s: RoaringBitmap = set.iter().copied().collect();
        let (mut p, mut q) = (0u64, 0u64);
        for &a in set {
            p += self.pos[a as usize].intersection_len(&s);
            q += self.neg[a as usize].intersection_len(&s);
        }
        EdgeFractions::from_counts(p / 2, q / 2, self.set_candidate_pairs(set))
    }

    fn set_candidate_pairs(&self, set: &[NodeId]) -> u64 {
        let mut counts = [0u32; 64];
        if self.modalities.len() <= 64 {
            for &a in set {
                counts[self.node_modality[a as usize] as usize] += 1;
            }
            candidate_pairs(counts[..self.modalities.len()].iter().copied())
        } else {
            let mut c = vec![0u32; self.modalities.len()];
            for &a in set {
                c[self.node_modality[a as usize] as usize] += 1;
            }
            candidate_pairs(c)
        }
    }

    /// Per modality pair (i <= j): positive edges, negative edges, candidate pairs.
    pub fn rel_stats(&self) -> Vec<RelStats> {
        let k = self.modalities.len();
        let map = self.rel_counts();
        let mut out = Vec::new();
        for i in 0..k {
            for j in i + 1..k {
                let (p, n) = map.get(&(i as u16, j as u16)).copied().unwrap_or_default();
                let pairs = self.by_modality[i].len() as u64 * self.by_modality[j].len() as u64;
                out.push(RelStats {
                    source: self.modalities[i].clone(),
                    target: self.modalities[j].clone(),
                    pos: p,
                    neg: n,
                    pairs,
                });
            }
        }
        out
    }

    /// Edges per modality pair `(i, j)`, `i < j`: (positive, negative).
    /// In parallel over nodes, each edge counted from its smaller end; a
    /// `k × k` table per worker for up to 256 modalities (10M edges in tens
    /// of milliseconds), a map beyond.
    fn rel_counts(&self) -> HashMap<(u16, u16), (u64, u64)> {
        use rayon::prelude::*;
        let k = self.modalities.len();
        let nm = &self.node_modality;
        let key = |a: usize, b: u32| {
            let (ma, mb) = (nm[a], nm[b as usize]);
            (ma.min(mb), ma.max(mb))
        };
        let mut map: HashMap<(u16, u16), (u64, u64)> = HashMap::new();
        if k <= 256 {
            let table = (0..self.pos.len())
                .into_par_iter()
                .fold(
                    || vec![(0u64, 0u64); k * k],
                    |mut t, a| {
                        for b in self.pos[a].range((a as u32).saturating_add(1)..) {
                            let (i, j) = key(a, b);
                            t[i as usize * k + j as usize].0 += 1;
                        }
                        for b in self.neg[a].range((a as u32).saturating_add(1)..) {
                            let (i, j) = key(a, b);
                            t[i as usize * k + j as usize].1 += 1;
                        }
                        t
                    },
                )
                .reduce(
                    || vec![(0u64, 0u64); k * k],
                    |mut x, y| {
                        for (a, b) in x.iter_mut().zip(y) {
                            a.0 += b.0;
                            a.1 += b.1;
                        }
                        x
                    },
                );
            for (at, &(p, n)) in table.iter().enumerate() {
                if p + n > 0 {
                    map.insert(((at / k) as u16, (at % k) as u16), (p, n));
                }
            }
        } else {
            for (a, b, s) in self.edges() {
                let e = map.entry(key(a as usize, b)).or_default();
                match s {
                    Sign::Pos => e.0 += 1,
                    Sign::Neg => e.1 += 1,
                }
            }
        }
        map
    }

    // ---- snapshot -------------------------------------------------------

    /// Serialises the graph as an rkyv snapshot (see ARCHITECTURE.md, "On-disk format").
    pub fn to_snapshot(&self) -> Result<Vec<u8>> {
        let ser = |bm: &RoaringBitmap| -> Result<Vec<u8>> {
            let mut v = Vec::with_capacity(bm.serialized_size());
            bm.serialize_into(&mut v).map_err(Error::storage_source)?;
            Ok(v)
        };
        let snap = GraphSnapshot {
            format: SNAPSHOT_FORMAT,
            modalities: self.modalities.clone(),
            node_modality: self.node_modality.clone(),
            node_value: self.node_value.clone(),
            pos: self.pos.iter().map(ser).collect::<Result<_>>()?,
            neg: self.neg.iter().map(ser).collect::<Result<_>>()?,
        };
        let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&snap).map_err(Error::storage_source)?;
        Ok(bytes.into_vec())
    }

    /// Loads a graph from [`Self::to_snapshot`] bytes. Cheap for large
    /// graphs: the bytes are read in place when they are already 16-byte
    /// aligned (redb's payload buffers are), the per-node bitmaps are
    /// decoded in parallel, and nothing else is derived until asked for
    /// (the value index on the first [`Self::find`], the dense matrix on the
    /// first statement that uses it).
    pub fn from_snapshot(bytes: &[u8]) -> Result<SignedGraph> {
        if (bytes.as_ptr() as usize).is_multiple_of(16) {
            return Self::from_aligned_snapshot(bytes);
        }
        // An aligned copy, reserved with `try_reserve` (u128 words are
        // 16-byte aligned on the platforms we build for; rkyv re-checks).
        let mut words: Vec<u128> = Vec::new();
        let len = bytes.len();
        words.try_reserve_exact(len.div_ceil(16)).map_err(|_| {
            Error::storage(format!(
                "out of memory: loading a graph snapshot needs {len} more bytes"
            ))
        })?;
        words.resize(len.div_ceil(16), 0);
        let buf: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
        buf[..len].copy_from_slice(bytes);
        Self::from_aligned_snapshot(&buf[..len])
    }

    fn from_aligned_snapshot(bytes: &[u8]) -> Result<SignedGraph> {
        use rayon::prelude::*;
        let archived = rkyv::access::<ArchivedGraphSnapshot, rkyv::rancor::Error>(bytes)
            .map_err(|e| Error::storage_context("corrupt graph snapshot", e))?;
        let format: u32 = archived.format.to_native();
        if format != SNAPSHOT_FORMAT {
            return Err(Error::storage(format!(
                "graph snapshot format {format} is not supported (this build reads {SNAPSHOT_FORMAT})"
            )));
        }
        let de = |b: &rkyv::vec::ArchivedVec<u8>| -> Result<RoaringBitmap> {
            RoaringBitmap::deserialize_from(b.as_slice())
                .map_err(|e| Error::storage_context("corrupt adjacency bitmap", e))
        };
        let modalities: Vec<String> = archived.modalities.iter().map(|s| s.to_string()).collect();
        let node_modality: Vec<u16> = archived
            .node_modality
            .iter()
            .map(|m| m.to_native())
            .collect();
        let values = || archived.node_value.iter().map(|s| s.to_string()).collect();
        let (node_value, (pos, neg)): (Vec<String>, _) = if bytes.len() < PARALLEL_DECODE_BYTES {
            let bitmaps = |v: &[rkyv::vec::ArchivedVec<u8>]| v.iter().map(de).collect();
            (values(), (bitmaps(&archived.pos), bitmaps(&archived.neg)))
        } else {
            rayon::join(values, || {
                rayon::join(
                    || archived.pos.par_iter().map(de).collect::<Result<Vec<_>>>(),
                    || archived.neg.par_iter().map(de).collect::<Result<Vec<_>>>(),
                )
            })
        };
        let (pos, neg) = (pos?, neg?);
        check_shape(&modalities, &node_modality, node_value.len(), &pos, &neg)?;
        Ok(SignedGraph::from_parts(
            modalities,
            node_modality,
            node_value,
            pos,
            neg,
        ))
    }
}

/// A decoded snapshot's parts fit together: one modality and two bitmaps per
/// node, every modality and neighbour id in range (so no lookup can go out
/// of bounds later).
fn check_shape(
    modalities: &[String],
    node_modality: &[u16],
    values: usize,
    pos: &[RoaringBitmap],
    neg: &[RoaringBitmap],
) -> Result<()> {
    let n = node_modality.len();
    let bad = values != n
        || pos.len() != n
        || neg.len() != n
        || node_modality
            .iter()
            .any(|&m| m as usize >= modalities.len())
        || pos
            .iter()
            .chain(neg)
            .any(|b| b.max().is_some_and(|x| x as usize >= n));
    if bad {
        return Err(Error::storage(format!(
            "corrupt graph snapshot: its {n} nodes, {} modalities and adjacency bitmaps do not fit together",
            modalities.len()
        )));
    }
    Ok(())
}

/// Edge statistics of one modality pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelStats {
    pub source: String,
    pub target: String,
    pub pos: u64,
    pub neg: u64,
    /// Cross pairs between the two modalities.
    pub pairs: u64,
}

impl RelStats {
    /// `source_to_target`, the `rel` of the edge CSV.
    pub fn rel(&self) -> String {
        format!("{}_to_{}", self.source, self.target)
    }
    /// Fraction of pairs that carry an edge.
    pub fn density(&self) -> f64 {
        if self.pairs == 0 {
            0.0
        } else {
            (self.pos + self.neg) as f64 / self.pairs as f64
        }
    }
}

const SNAPSHOT_FORMAT: u32 = 1;

/// Snapshots at least this large decode their bitmaps in parallel (below
/// it, the threads cost more than they save).
const PARALLEL_DECODE_BYTES: usize = 4 << 20;

#[derive(rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
struct GraphSnapshot {
    format: u32,
    modalities: Vec<String>,
    node_modality: Vec<u16>,
    node_value: Vec<String>,
    /// `RoaringBitmap::serialize_into` bytes per node.
    pos: Vec<Vec<u8>>,
    neg: Vec<Vec<u8>>,
}

#[cfg(test)]
mod tests;
