//! The adjacency the hot path (DIAGNOSE and SAMPLE) reads, and the rule that
//! picks its implementation.
//!
//! Two implementations of [`Adjacency`], monomorphised into the annealer
//! (`Problem<A>`; no dynamic call per lookup):
//! * [`DenseAdjacency`]: the n×n bit matrix (two bits per pair), one bit test
//!   per lookup. `2·n²/8` bytes: 140 KB at 746 nodes, 100 MB at 20,000.
//! * [`RoaringAdjacency`]: the graph's own per-node roaring bitmaps, one
//!   `contains` per lookup; no extra memory.
//!
//! # The rule ([`Evaluator::Auto`])
//! The dense matrix is used when its size is at most [`DENSE_CAP_BYTES`]
//! (256 MiB, about 32,700 nodes) **and** at most a quarter of the memory the
//! kernel reports available (`MemAvailable` in `/proc/meminfo`; the cap
//! alone where that file cannot be read). It is allocated with `try_reserve`,
//! so an allocation failure falls back to the sparse evaluator instead of
//! aborting. Otherwise the sparse evaluator runs. Both give identical counts,
//! hence identical SAMPLE rows and DIAGNOSE reports for the same seed.

use roaring::RoaringBitmap;

use super::NodeId;
pub use super::dense::DenseAdjacency;

/// The largest dense matrix the automatic rule builds: 256 MiB.
pub const DENSE_CAP_BYTES: u64 = 256 << 20;

/// Which evaluator the hot path uses. Not part of the DSL: `Auto` in normal
/// use; the others force one implementation (tests and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Evaluator {
    /// Dense where it fits the budget (see the module docs), else sparse.
    #[default]
    Auto,
    /// The dense matrix whatever its size (still sparse if allocation fails).
    Dense,
    /// Roaring bitmaps only.
    Sparse,
}

/// One node's adjacency, ready for lookups against many other nodes.
pub trait AdjRow {
    /// (positive, negative) edge between this row's node and `b`: each 0 or 1.
    fn test(&self, b: NodeId) -> (u32, u32);
}

/// Signed adjacency for the hot path.
pub trait Adjacency: Sync {
    type Row<'a>: AdjRow
    where
        Self: 'a;

    /// Node `a`'s row.
    fn row(&self, a: NodeId) -> Self::Row<'_>;

    /// (positive, negative) edges between `a` and the nodes in `others`.
    #[inline]
    fn count_to(&self, a: NodeId, others: &[NodeId]) -> (u32, u32) {
        let r = self.row(a);
        let (mut p, mut q) = (0u32, 0u32);
        for &b in others {
            let (pe, ne) = r.test(b);
            p += pe;
            q += ne;
        }
        (p, q)
    }
}

impl<T: Adjacency> Adjacency for &T {
    type Row<'a>
        = T::Row<'a>
    where
        Self: 'a;

    #[inline]
    fn row(&self, a: NodeId) -> Self::Row<'_> {
        (**self).row(a)
    }

    #[inline]
    fn count_to(&self, a: NodeId, others: &[NodeId]) -> (u32, u32) {
        (**self).count_to(a, others)
    }
}

/// A row of the dense matrix.
#[derive(Clone, Copy)]
pub struct DenseRow<'a> {
    pos: &'a [u64],
    neg: &'a [u64],
}

impl AdjRow for DenseRow<'_> {
    #[inline]
    fn test(&self, b: NodeId) -> (u32, u32) {
        let wi = b as usize >> 6;
        let sh = b & 63;
        (
            ((self.pos[wi] >> sh) & 1) as u32,
            ((self.neg[wi] >> sh) & 1) as u32,
        )
    }
}

impl Adjacency for DenseAdjacency {
    type Row<'a> = DenseRow<'a>;

    #[inline]
    fn row(&self, a: NodeId) -> DenseRow<'_> {
        let (pos, neg) = self.rows(a);
        DenseRow { pos, neg }
    }

    #[inline]
    fn count_to(&self, a: NodeId, others: &[NodeId]) -> (u32, u32) {
        DenseAdjacency::count_to(self, a, others)
    }
}

/// The sparse evaluator: lookups in the per-node roaring bitmaps, behind
/// each node's neighbour signature when it has one ([`Signatures`]).
#[derive(Debug, Clone, Copy)]
pub struct RoaringAdjacency<'g> {
    pub(super) pos: &'g [RoaringBitmap],
    pub(super) neg: &'g [RoaringBitmap],
    pub(super) sig: Option<&'g Signatures>,
}

/// Per node, a small bit signature of its neighbours (either sign): bit
/// `h(b)` is set for every neighbour `b`. A clear bit proves "no edge" with
/// one bit test, so most lookups of a sparse graph skip the roaring
/// `contains` (a binary search); a set bit falls through to it, so counts
/// are exact. `words` u64 a node: 8 bits a neighbour on average, a power of
/// two from 256 to 4,096 bits (100,000 nodes of ~200 neighbours: 2,048 bits,
/// 26 MB).
#[derive(Debug)]
pub(crate) struct Signatures {
    words: usize,
    shift: u32,
    bits: Vec<u64>,
}

impl Signatures {
    /// The signatures of every node (`None` when they cannot be allocated:
    /// lookups then go to the bitmaps directly).
    pub(crate) fn build(pos: &[RoaringBitmap], neg: &[RoaringBitmap]) -> Option<Signatures> {
        use rayon::prelude::*;
        let n = pos.len().max(1);
        let ends: u64 = pos.iter().chain(neg).map(|b| b.len()).sum();
        let per_node = (ends / n as u64).max(1) * 8;
        let nbits = per_node.next_power_of_two().clamp(256, 4096);
        let words = (nbits / 64) as usize;
        let mut bits = Vec::new();
        bits.try_reserve_exact(words * pos.len()).ok()?;
        bits.resize(words * pos.len(), 0u64);
        let shift = 64 - nbits.trailing_zeros();
        bits.par_chunks_mut(words)
            .zip(pos.par_iter().zip(neg))
            .for_each(|(row, (p, q))| {
                for b in p.iter().chain(q.iter()) {
                    let h = hash(b, shift);
                    row[h >> 6] |= 1 << (h & 63);
                }
            });
        Some(Signatures { words, shift, bits })
    }

    #[inline]
    fn row(&self, a: NodeId) -> &[u64] {
        let s = a as usize * self.words;
        &self.bits[s..s + self.words]
    }
}

#[inline]
fn hash(b: NodeId, shift: u32) -> usize {
    ((b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// A node's positive and negative bitmaps (and its signature).
#[derive(Clone, Copy)]
pub struct RoaringRow<'a> {
    pos: &'a RoaringBitmap,
    neg: &'a RoaringBitmap,
    sig: Option<(&'a [u64], u32)>,
}

impl AdjRow for RoaringRow<'_> {
    #[inline]
    fn test(&self, b: NodeId) -> (u32, u32) {
        if let Some((sig, shift)) = self.sig {
            let h = hash(b, shift);
            if (sig[h >> 6] >> (h & 63)) & 1 == 0 {
                return (0, 0);
            }
        }
        // A pair has at most one sign: no negative lookup after a positive hit.
        if self.pos.contains(b) {
            (1, 0)
        } else {
            (0, self.neg.contains(b) as u32)
        }
    }
}

impl<'g> Adjacency for RoaringAdjacency<'g> {
    type Row<'a>
        = RoaringRow<'a>
    where
        Self: 'a;

    #[inline]
    fn row(&self, a: NodeId) -> RoaringRow<'_> {
        RoaringRow {
            pos: &self.pos[a as usize],
            neg: &self.neg[a as usize],
            sig: self.sig.map(|s| (s.row(a), s.shift)),
        }
    }

    /// Looks `a` up in each other node's row (adjacency is symmetric):
    /// when `others` are a row's members (a proposal's count), their
    /// signatures and bitmaps stay in cache from one proposal to the next,
    /// where `a`'s would be a fresh miss each time.
    #[inline]
    fn count_to(&self, a: NodeId, others: &[NodeId]) -> (u32, u32) {
        let (mut p, mut q) = (0u32, 0u32);
        for &x in others {
            let (pe, ne) = self.row(x).test(a);
            p += pe;
            q += ne;
        }
        (p, q)
    }
}

/// The evaluator a statement runs on (see [`super::SignedGraph::hot_path`]).
#[derive(Clone, Copy)]
pub enum HotPath<'g> {
    Dense(&'g DenseAdjacency),
    Sparse(RoaringAdjacency<'g>),
}

/// Size in bytes of the dense matrix of `n` nodes (two bits per pair, rows
/// padded to 64-bit words).
pub fn dense_bytes(n: usize) -> u64 {
    let words = n.div_ceil(64).max(1) as u64;
    2 * 8 * words * n as u64
}

/// Whether the automatic rule builds the dense matrix for `n` nodes, given
/// the memory available (`None` when unknown).
pub fn dense_fits(n: usize, mem_available: Option<u64>) -> bool {
    let bytes = dense_bytes(n);
    bytes <= DENSE_CAP_BYTES && mem_available.is_none_or(|m| bytes <= m / 4)
}

/// `MemAvailable` from `/proc/meminfo`, in bytes.
pub fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&text)
}

fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_only_under_the_cap_and_a_quarter_of_available_memory() {
        assert_eq!(dense_bytes(746), 2 * 8 * 12 * 746);
        assert_eq!(dense_bytes(20_000), 2 * 8 * 313 * 20_000);
        // The fixed cap: 256 MiB holds 32,768 nodes but not 32,769.
        assert!(dense_fits(32_768, None));
        assert!(!dense_fits(32_769, None));
        assert!(!dense_fits(100_000, Some(1 << 40)));
        // Memory: 20,000 nodes (100 MB) need 400 MB available.
        assert!(dense_fits(20_000, Some(401_000_000)));
        assert!(!dense_fits(20_000, Some(399_000_000)));
        assert!(dense_fits(746, Some(1 << 20)));
        assert!(!dense_fits(746, Some(100_000)));
    }

    /// The signatures never hide an edge: every pair answers the same with
    /// and without them, and they do prove most non-edges absent.
    #[test]
    fn signatures_keep_every_answer_and_skip_most_non_edges() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 3000u32;
        let (mut pos, mut neg) = (
            vec![RoaringBitmap::new(); n as usize],
            vec![RoaringBitmap::new(); n as usize],
        );
        for _ in 0..60_000 {
            let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
            if a != b && !pos[a as usize].contains(b) && !neg[a as usize].contains(b) {
                let side = if rng.random::<bool>() {
                    &mut pos
                } else {
                    &mut neg
                };
                side[a as usize].insert(b);
                side[b as usize].insert(a);
            }
        }
        let sig = Signatures::build(&pos, &neg).unwrap();
        let plain = RoaringAdjacency {
            pos: &pos,
            neg: &neg,
            sig: None,
        };
        let fast = RoaringAdjacency {
            sig: Some(&sig),
            ..plain
        };
        let (mut skipped, mut absent) = (0u64, 0u64);
        for a in (0..n).step_by(7) {
            let (r0, r1) = (plain.row(a), fast.row(a));
            for b in 0..n {
                let want = r0.test(b);
                assert_eq!(r1.test(b), want, "pair ({a}, {b})");
                if want == (0, 0) {
                    absent += 1;
                    let h = hash(b, sig.shift);
                    skipped += (sig.row(a)[h >> 6] >> (h & 63)) & 1 ^ 1;
                }
            }
            let others: Vec<NodeId> = (0..n).step_by(13).collect();
            assert_eq!(fast.count_to(a, &others), plain.count_to(a, &others));
        }
        assert!(
            skipped * 10 > absent * 8,
            "{skipped} of {absent} non-edges skipped"
        );
    }

    #[test]
    fn reads_mem_available() {
        let info = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   12345 kB\n";
        assert_eq!(parse_mem_available(info), Some(12345 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 1 kB\n"), None);
        assert!(mem_available().is_some_and(|m| m > 0));
    }
}
