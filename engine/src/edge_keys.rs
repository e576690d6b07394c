//! The edges of an import as sorted `u64` keys, one list per sign: 8 bytes
//! an edge while reading (grown with `try_reserve`, so running out of memory
//! is an error, not an abort), then sorted and deduplicated (duplicates
//! counted), checked for pairs given both signs, and turned into per-node
//! roaring adjacency without any map of pairs.

use rayon::slice::ParallelSliceMut;
use roaring::RoaringBitmap;

use crate::{NodeId, Sign};

/// The key of an undirected pair: the smaller id in the high half.
pub(crate) fn key(a: NodeId, b: NodeId) -> u64 {
    let (lo, hi) = (a.min(b), a.max(b));
    (u64::from(lo) << 32) | u64::from(hi)
}

/// The two node ids of a key, smaller first.
pub(crate) fn unkey(k: u64) -> (NodeId, NodeId) {
    ((k >> 32) as NodeId, k as NodeId)
}

/// An allocation that failed: how many bytes were asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOfMemory {
    pub(crate) bytes: usize,
}

/// Reserves room for `more` items, failing instead of aborting.
pub(crate) fn try_grow<T>(v: &mut Vec<T>, more: usize) -> Result<(), OutOfMemory> {
    v.try_reserve(more).map_err(|_| OutOfMemory {
        bytes: more.saturating_mul(std::mem::size_of::<T>()),
    })
}

/// Checks that `bytes` can be allocated now (then frees them): for memory
/// that crates allocate without `try_reserve` (roaring containers), so the
/// failure shows up here, as an error.
pub(crate) fn probe(bytes: usize) -> Result<(), OutOfMemory> {
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(bytes)
        .map_err(|_| OutOfMemory { bytes })
}

/// The edges read so far, per sign.
#[derive(Debug, Default)]
pub(crate) struct EdgeKeys {
    pos: Vec<u64>,
    neg: Vec<u64>,
}

/// The edges once sorted: unique keys per sign and the duplicates dropped.
#[derive(Debug)]
pub(crate) struct SortedKeys {
    pub(crate) pos: Vec<u64>,
    pub(crate) neg: Vec<u64>,
    pub(crate) duplicates: u64,
}

impl EdgeKeys {
    /// Adds an edge (a duplicate or a conflict is found by [`Self::sort`]).
    pub(crate) fn push(&mut self, a: NodeId, b: NodeId, sign: Sign) -> Result<(), OutOfMemory> {
        let v = match sign {
            Sign::Pos => &mut self.pos,
            Sign::Neg => &mut self.neg,
        };
        if v.len() == v.capacity() {
            // Doubling, at least 4,096 keys (32 KB).
            try_grow(v, v.len().max(4096))?;
        }
        v.push(key(a, b));
        Ok(())
    }

    /// Bytes held now.
    pub(crate) fn bytes(&self) -> usize {
        (self.pos.capacity() + self.neg.capacity()) * 8
    }

    /// Keys read so far, both signs.
    pub(crate) fn len(&self) -> usize {
        self.pos.len() + self.neg.len()
    }

    /// Sorts and deduplicates both lists (in place, no extra memory).
    pub(crate) fn sort(self) -> SortedKeys {
        let (mut pos, mut neg) = (self.pos, self.neg);
        let before = (pos.len() + neg.len()) as u64;
        for v in [&mut pos, &mut neg] {
            v.par_sort_unstable();
            v.dedup();
        }
        let duplicates = before - (pos.len() + neg.len()) as u64;
        SortedKeys {
            pos,
            neg,
            duplicates,
        }
    }
}

impl SortedKeys {
    /// The pairs given both signs, ascending.
    pub(crate) fn conflicts(&self) -> Vec<u64> {
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        while i < self.pos.len() && j < self.neg.len() {
            match self.pos[i].cmp(&self.neg[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    out.push(self.pos[i]);
                    i += 1;
                    j += 1;
                }
            }
        }
        out
    }
}

/// Roughly what roaring adjacency of `edges` edges over `nodes` nodes takes
/// (each edge in both nodes' bitmaps, 2 bytes each, with growth slack, and
/// the per-node containers).
pub(crate) fn adjacency_bytes(edges: usize, nodes: usize) -> usize {
    edges
        .saturating_mul(8)
        .saturating_add(nodes.saturating_mul(96))
}

/// Per-node adjacency of sorted, unique keys over `n` nodes: node x's
/// bitmap holds its lower neighbours (a transposed copy, 4 bytes an edge)
/// then its higher ones (a run of the keys).
pub(crate) fn adjacency(keys: &[u64], n: usize) -> Result<Vec<RoaringBitmap>, OutOfMemory> {
    // start[x]..start[x + 1]: x's lower neighbours in `lower`.
    let mut start: Vec<usize> = Vec::new();
    try_grow(&mut start, n + 1)?;
    start.resize(n + 1, 0);
    for &k in keys {
        start[unkey(k).1 as usize + 1] += 1;
    }
    for x in 0..n {
        start[x + 1] += start[x];
    }
    let mut lower: Vec<NodeId> = Vec::new();
    try_grow(&mut lower, keys.len())?;
    lower.resize(keys.len(), 0);
    let mut fill = start.clone();
    for &k in keys {
        let (a, b) = unkey(k);
        lower[fill[b as usize]] = a;
        fill[b as usize] += 1;
    }
    drop(fill);
    let mut out: Vec<RoaringBitmap> = Vec::new();
    try_grow(&mut out, n)?;
    let mut at = 0;
    for x in 0..n {
        let from = at;
        while at < keys.len() && unkey(keys[at]).0 as usize == x {
            at += 1;
        }
        let below = lower[start[x]..start[x + 1]].iter().copied();
        let above = keys[from..at].iter().map(|&k| unkey(k).1);
        // Sorted by construction: every lower neighbour is < x < every higher one.
        let bm = RoaringBitmap::from_sorted_iter(below.chain(above))
            .expect("lower neighbours, then higher ones: ascending");
        out.push(bm);
    }
    Ok(out)
}
