//! Read-only table producers for `SELECT`: typed row iterators over one
//! [`SignedGraph`] or [`Dataset`]. No parsing here (the `dsl` crate binds
//! and evaluates the query); every producer is lazy, so a `LIMIT` without
//! ORDER BY / GROUP BY stops the scan early.
//!
//! Orientation: `edges` gives each undirected edge once with the endpoint
//! whose modality comes first in catalogue order as the source (ties: the
//! lower node id); `neighbours` gives every edge in both orientations.

use crate::graph::{NodeId, Sign, SignedGraph};
use crate::sample::{Dataset, DatasetRow};

/// One edge `(source, target, sign)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeRow {
    pub source: NodeId,
    pub target: NodeId,
    pub sign: Sign,
}

/// Orients `(a, b)` canonically: modality order, then node id.
fn canonical(g: &SignedGraph, a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    if (g.modality_of(a), a) <= (g.modality_of(b), b) {
        (a, b)
    } else {
        (b, a)
    }
}

/// Every edge once, canonically oriented, ascending by the lower node id.
pub fn edges(g: &SignedGraph) -> impl Iterator<Item = EdgeRow> + '_ {
    g.edges().map(move |(a, b, sign)| {
        let (source, target) = canonical(g, a, b);
        EdgeRow {
            source,
            target,
            sign,
        }
    })
}

/// The edges of one node, `other` ascending (`source` is the node).
pub fn edges_of(g: &SignedGraph, node: NodeId) -> impl Iterator<Item = EdgeRow> + '_ {
    let pos = g.pos(node).iter().map(|b| (b, Sign::Pos));
    let neg = g.neg(node).iter().map(|b| (b, Sign::Neg));
    merge_sorted(pos, neg).map(move |(target, sign)| EdgeRow {
        source: node,
        target,
        sign,
    })
}

/// Every edge in both orientations: node by node, `other` ascending.
pub fn neighbours(g: &SignedGraph) -> impl Iterator<Item = EdgeRow> + '_ {
    neighbours_of(g, |_| true)
}

/// [`neighbours`] restricted to the nodes `keep` accepts, in the same order.
pub fn neighbours_of<'a>(
    g: &'a SignedGraph,
    keep: impl Fn(NodeId) -> bool + 'a,
) -> impl Iterator<Item = EdgeRow> + 'a {
    (0..g.node_count() as NodeId)
        .filter(move |&a| keep(a))
        .flat_map(move |a| edges_of(g, a))
}

/// Merges two ascending streams of node ids (they never share an id: a pair
/// has one sign).
fn merge_sorted(
    a: impl Iterator<Item = (NodeId, Sign)>,
    b: impl Iterator<Item = (NodeId, Sign)>,
) -> impl Iterator<Item = (NodeId, Sign)> {
    let mut a = a.peekable();
    let mut b = b.peekable();
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if x.0 <= y.0 => a.next(),
        (Some(_), Some(_)) => b.next(),
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

/// One node with its degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRow {
    pub id: NodeId,
    pub pos_degree: u64,
    pub neg_degree: u64,
}

/// Every node, by id (catalogue order).
pub fn nodes(g: &SignedGraph) -> impl Iterator<Item = NodeRow> + '_ {
    (0..g.node_count() as NodeId).map(move |id| NodeRow {
        id,
        pos_degree: g.pos(id).len(),
        neg_degree: g.neg(id).len(),
    })
}

/// One candidate pair of a dataset row and its sign in the graph (`None`:
/// no edge, or a node the graph does not hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRow<'a> {
    pub a_modality: &'a str,
    pub a: &'a str,
    pub b_modality: &'a str,
    pub b: &'a str,
    pub sign: Option<Sign>,
}

/// The candidate pairs of one row (nodes of different modalities), in the
/// row's order (TYPES order, then value order), with their signs in `g`.
pub fn pairs<'a>(g: &'a SignedGraph, row: DatasetRow<'a>) -> impl Iterator<Item = PairRow<'a>> {
    let nodes: Vec<(&'a str, &'a str, Option<NodeId>)> =
        row.nodes().map(|(m, v)| (m, v, g.find(m, v))).collect();
    let n = nodes.len();
    (0..n)
        .flat_map(move |i| (i + 1..n).map(move |j| (i, j)))
        .filter_map(move |(i, j)| {
            let (am, av, an) = nodes[i];
            let (bm, bv, bn) = nodes[j];
            (am != bm).then(|| PairRow {
                a_modality: am,
                a: av,
                b_modality: bm,
                b: bv,
                sign: an.zip(bn).and_then(|(x, y)| g.sign(x, y)),
            })
        })
}

/// Rows of a dataset with their index.
pub fn rows(ds: &Dataset) -> impl Iterator<Item = (usize, DatasetRow<'_>)> + '_ {
    ds.rows().enumerate()
}

#[cfg(test)]
mod tests;
