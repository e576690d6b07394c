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
//! # The rule ([`Evaluator::Auto`], [`dense_fits`])
//! The dense matrix is used when its size is at most [`DENSE_CAP_BYTES`]
//! (256 MiB, about 32,700 nodes) **and** at most a quarter of the memory the
//! kernel reports available (`MemAvailable` in `/proc/meminfo`; the cap
//! alone where that file cannot be read) **and** it pays: up to
//! [`DENSE_ALWAYS_BYTES`] (32 MiB, 11,584 nodes) it always does, above
//! that only when the graph is too dense for the sparse path's filters to be
//! small (more than one edge in 128 of all node pairs; the filters take
//! about 8 bytes an edge, so below that they are at most a quarter of the
//! matrix). Measured on `scaled(n)` graphs (`cargo bench --bench hotpath`):
//! dense is 2× faster at 2,000 nodes, even at 10,000, and at 20,000 (1% of
//! pairs) the sparse path SAMPLEs 1.4× and DIAGNOSEs 3.5× faster in a third
//! of the memory, while a 10%-dense graph keeps the matrix. It is allocated
//! with `try_reserve`, so an allocation failure falls back to the sparse
//! evaluator instead of aborting. Both give identical counts, hence
//! identical SAMPLE rows and DIAGNOSE reports for the same seed.

use roaring::RoaringBitmap;

use super::NodeId;
pub use super::dense::DenseAdjacency;

/// The largest dense matrix the automatic rule builds: 256 MiB.
pub const DENSE_CAP_BYTES: u64 = 256 << 20;

/// Up to this size (32 MiB) the automatic rule builds the dense matrix
/// whatever the graph's density; above it, only for graphs too dense for
/// the sparse path (see the module docs).
pub const DENSE_ALWAYS_BYTES: u64 = 32 << 20;

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

/// Signed adjacency for the hot path.
///
/// Lookups go through a [`Self::Key`]: a node prepared once for many lookups
/// (on the sparse path, its signature probe), then tested against other
/// nodes' adjacency with [`Self::test`].
pub trait Adjacency: Sync {
    /// A node prepared for lookups.
    type Key: Copy;

    /// Prepares `b` for lookups.
    fn key(&self, b: NodeId) -> Self::Key;

    /// (positive, negative) edge between `a` and the keyed node, each 0 or 1,
    /// looked up in `a`'s adjacency.
    fn test(&self, a: NodeId, b: Self::Key) -> (u32, u32);

    /// Calls `f(i, positive)` for every `members[i]` that shares an edge
    /// with the keyed node (`positive` false: a negative edge), looked up on
    /// the members' side.
    #[inline]
    fn for_each_edge(&self, members: &[NodeId], b: Self::Key, mut f: impl FnMut(usize, bool)) {
        for (i, &x) in members.iter().enumerate() {
            emit(self.test(x, b), |pos| f(i, pos));
        }
    }

    /// Brings `a`'s adjacency into cache ahead of the lookups a new member
    /// of a row will get (a hint: no effect on any answer).
    #[inline]
    fn warm(&self, _a: NodeId) {}

    /// Calls `f(i, j, positive)` for every edge between `set[i]` and
    /// `set[j]`, `i < j`, in the order of `j` then `i`.
    #[inline]
    fn for_each_edge_within(&self, set: &[NodeId], f: impl FnMut(usize, usize, bool)) {
        within_by_rows(self, set, f)
    }

    /// (positive, negative) edges between `a` and the nodes in `others`.
    #[inline]
    fn count_to(&self, a: NodeId, others: &[NodeId]) -> (u32, u32) {
        let (mut p, mut q) = (0u32, 0u32);
        self.for_each_edge(
            others,
            self.key(a),
            |_, pos| {
                if pos { p += 1 } else { q += 1 }
            },
        );
        (p, q)
    }
}

/// Hands a lookup's answer to a `for_each_edge` callback: `f(true)` for a
/// positive edge, `f(false)` for a negative one, nothing without an edge.
#[inline]
fn emit((pe, ne): (u32, u32), f: impl FnOnce(bool)) {
    if pe == 1 {
        f(true)
    } else if ne == 1 {
        f(false)
    }
}

/// [`Adjacency::for_each_edge_within`] by one `for_each_edge` per node.
#[inline]
fn within_by_rows<A: Adjacency + ?Sized>(
    adj: &A,
    set: &[NodeId],
    mut f: impl FnMut(usize, usize, bool),
) {
    for j in 1..set.len() {
        adj.for_each_edge(&set[..j], adj.key(set[j]), |i, pos| f(i, j, pos));
    }
}

impl<T: Adjacency> Adjacency for &T {
    type Key = T::Key;

    #[inline]
    fn key(&self, b: NodeId) -> T::Key {
        (**self).key(b)
    }

    #[inline]
    fn test(&self, a: NodeId, b: T::Key) -> (u32, u32) {
        (**self).test(a, b)
    }

    #[inline]
    fn for_each_edge(&self, members: &[NodeId], b: T::Key, f: impl FnMut(usize, bool)) {
        (**self).for_each_edge(members, b, f)
    }

    #[inline]
    fn for_each_edge_within(&self, set: &[NodeId], f: impl FnMut(usize, usize, bool)) {
        (**self).for_each_edge_within(set, f)
    }

    #[inline]
    fn warm(&self, a: NodeId) {
        (**self).warm(a)
    }

    #[inline]
    fn count_to(&self, a: NodeId, others: &[NodeId]) -> (u32, u32) {
        (**self).count_to(a, others)
    }
}

impl Adjacency for DenseAdjacency {
    type Key = NodeId;

    #[inline]
    fn key(&self, b: NodeId) -> NodeId {
        b
    }

    #[inline]
    fn test(&self, a: NodeId, b: NodeId) -> (u32, u32) {
        let (pos, neg) = self.rows(a);
        let wi = b as usize >> 6;
        let sh = b & 63;
        (((pos[wi] >> sh) & 1) as u32, ((neg[wi] >> sh) & 1) as u32)
    }

    /// Reads `a`'s own row (one row, `others.len()` words of it).
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

/// Per node, a small blocked Bloom filter of its positive neighbours and
/// one of its negative neighbours: a neighbour `b` sets six bits of one
/// 64-bit word, all chosen by a hash of `b` ([`Probe`]). A clear bit proves
/// "no edge of that sign" with one word test, so most lookups of a sparse
/// graph skip the roaring `contains` (a binary search) and a maybe goes to
/// the one bitmap of its sign; counts stay exact.
///
/// A node's block is (positive, negative) word pairs side by side, so that
/// one cache line answers both signs, sized to its degree: 16 bits a
/// neighbour (a hub of 4,000 neighbours gets 8 KB, a node of 8 neighbours
/// 16 bytes), so that about 0.5% of non-edges fall through to a bitmap
/// whatever the node's degree (with three bits instead of six, 1.3%).
/// 41 MB for the 10.4M edges of `scaled(100000)`, in huge pages where the
/// kernel has them ([`Words`]).
#[derive(Debug)]
pub(crate) struct Signatures {
    /// Per node: the word offset of its block `<< 20 |` its pairs − 1.
    index: Vec<u64>,
    bits: Words,
}

/// Zeroed 64-bit words in an anonymous map advised into transparent huge
/// pages where the kernel offers them (`madvise` mode): 41 MB of
/// signatures are then ~20 TLB entries instead of ~10,000, which matters
/// for lookups that land on a random cold node, most in a VM.
#[derive(Debug)]
struct Words(memmap2::MmapMut);

impl Words {
    /// `None` when the map cannot be made (no address space).
    fn zeroed(len: usize) -> Option<Words> {
        let bytes = len.max(1).checked_mul(8)?;
        let map = memmap2::MmapOptions::new().len(bytes).map_anon().ok()?;
        #[cfg(target_os = "linux")]
        let _ = map.advise(memmap2::Advice::HugePage);
        Some(Words(map))
    }

    fn as_mut(&mut self) -> &mut [u64] {
        bytemuck::cast_slice_mut(&mut self.0[..])
    }
}

impl std::ops::Deref for Words {
    type Target = [u64];
    #[inline]
    fn deref(&self) -> &[u64] {
        bytemuck::cast_slice(&self.0[..])
    }
}

/// `b`'s hash: which word pair of a block (`h`, by [`pair_of`]) and which
/// [`PROBE_BITS`] bits of the word (`mask`).
#[derive(Debug, Clone, Copy)]
struct Probe {
    h: u64,
    mask: u64,
}

impl Probe {
    #[inline]
    fn of(b: NodeId) -> Probe {
        // Fibonacci hashing, its high bits folded onto the low ones; a
        // second multiply spreads them over the PROBE_BITS bit positions.
        let mut h = (b as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
        let m = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let mut mask = 0u64;
        for i in 0..PROBE_BITS {
            mask |= 1 << ((m >> (58 - 6 * i)) & 63);
        }
        Probe { h: h >> 32, mask }
    }
}

/// Bits a neighbour sets in its word: with about six neighbours of a sign
/// in a word, six is near the optimum (three let 1.3% of non-edges
/// through, six 0.55%, eight 0.57%).
const PROBE_BITS: u32 = 6;
/// Bits of a block per neighbour (8 and 32 were slower: more fall-through
/// or more cache lines a member).
const NEIGHBOUR_BITS: u64 = 16;

/// Word pairs for a node of `degree` neighbours: [`NEIGHBOUR_BITS`] a
/// neighbour (a pair is 64 bits a sign), at least one, at most 2^20.
fn block_pairs(degree: u64) -> u64 {
    (degree * NEIGHBOUR_BITS).div_ceil(128).clamp(1, 1 << 20)
}

/// Which pair of a block of `pairs` holds a probe (multiply-shift: uniform
/// over any block size).
#[inline]
fn pair_of(h: u64, pairs: u64) -> usize {
    (((h & 0xFFFF_FFFF) * pairs) >> 32) as usize
}

impl Signatures {
    /// The signatures of every node (`None` when they cannot be allocated:
    /// lookups then go to the bitmaps directly).
    pub(crate) fn build(pos: &[RoaringBitmap], neg: &[RoaringBitmap]) -> Option<Signatures> {
        use rayon::prelude::*;
        // Block sizes in parallel (a bitmap's `len` walks its containers),
        // then their offsets.
        let mut index = Vec::new();
        index.try_reserve_exact(pos.len()).ok()?;
        pos.par_iter()
            .zip(neg)
            .map(|(p, q)| block_pairs(p.len() + q.len()))
            .collect_into_vec(&mut index);
        let mut total = 0u64;
        for meta in &mut index {
            let pairs = *meta;
            *meta = total << 20 | (pairs - 1);
            total += 2 * pairs;
        }
        // Zeroed pages, faulted in by the parallel workers below (a failed
        // map is an answer, not an abort).
        let total = usize::try_from(total).ok()?;
        let mut bits = Words::zeroed(total)?;
        // Split the words into per-node blocks, in parallel.
        let mut blocks = Vec::new();
        blocks.try_reserve_exact(pos.len()).ok()?;
        let mut rest = bits.as_mut();
        for &meta in &index {
            let (block, tail) = rest.split_at_mut(2 * ((meta & 0xF_FFFF) + 1) as usize);
            blocks.push(block);
            rest = tail;
        }
        // A neighbour's probe is the same in every block: hash each node once.
        let probes: Vec<Probe> = (0..pos.len() as NodeId)
            .into_par_iter()
            .map(Probe::of)
            .collect();
        blocks
            .into_par_iter()
            .zip(pos.par_iter().zip(neg))
            .for_each(|(block, (p, q))| {
                let pairs = (block.len() / 2) as u64;
                let mut buf = [0u32; 256];
                for (side, map) in [(0, p), (1, q)] {
                    let mut it = map.iter();
                    loop {
                        let got = it.next_many(&mut buf);
                        if got.is_empty() {
                            break;
                        }
                        for &b in got.iter() {
                            let pr = probes[b as usize];
                            block[2 * pair_of(pr.h, pairs) + side] |= pr.mask;
                        }
                    }
                }
            });
        Some(Signatures { index, bits })
    }

    /// Node `a`'s (positive, negative) words at `b`'s probe.
    #[inline]
    fn words(&self, a: NodeId, pr: Probe) -> (u64, u64) {
        self.words_at(self.index[a as usize], pr)
    }

    /// The words at a probe in the block of index entry `meta`.
    #[inline]
    fn words_at(&self, meta: u64, pr: Probe) -> (u64, u64) {
        let at = (meta >> 20) as usize + 2 * pair_of(pr.h, (meta & 0xF_FFFF) + 1);
        (self.bits[at], self.bits[at + 1])
    }
}

/// A node prepared for sparse lookups: its id and, with signatures, its
/// probe into them.
#[derive(Debug, Clone, Copy)]
pub struct RoaringKey {
    b: NodeId,
    probe: Option<Probe>,
}

impl<'g> Adjacency for RoaringAdjacency<'g> {
    type Key = RoaringKey;

    #[inline]
    fn key(&self, b: NodeId) -> RoaringKey {
        RoaringKey {
            b,
            probe: self.sig.map(|_| Probe::of(b)),
        }
    }

    /// Tests `b` in `a`'s signature words, and in `a`'s bitmap of a sign
    /// only where that sign's word may hold it. Called with `a` a row's
    /// member and `b` a candidate, `a`'s words and bitmaps stay in cache
    /// from one proposal to the next.
    #[inline]
    fn test(&self, a: NodeId, k: RoaringKey) -> (u32, u32) {
        let (maybe_p, maybe_n) = match (self.sig, k.probe) {
            (Some(s), Some(pr)) => {
                let (wp, wn) = s.words(a, pr);
                (wp & pr.mask == pr.mask, wn & pr.mask == pr.mask)
            }
            _ => (true, true),
        };
        self.exact(a, k.b, maybe_p, maybe_n)
    }

    /// Loads every member's signature words first, then tests them: the
    /// loads (one cache miss each for a cold member) are independent, so
    /// the CPU overlaps them instead of waiting for one after the other.
    #[inline]
    fn for_each_edge(&self, members: &[NodeId], k: RoaringKey, mut f: impl FnMut(usize, bool)) {
        let (Some(s), Some(pr)) = (self.sig, k.probe) else {
            for (i, &x) in members.iter().enumerate() {
                emit(self.exact(x, k.b, true, true), |pos| f(i, pos));
            }
            return;
        };
        const CHUNK: usize = 32;
        let mut words = [(0u64, 0u64); CHUNK];
        for (c, chunk) in members.chunks(CHUNK).enumerate() {
            for (w, &x) in words.iter_mut().zip(chunk) {
                *w = s.words(x, pr);
            }
            for (t, (&(wp, wn), &x)) in words.iter().zip(chunk).enumerate() {
                let (maybe_p, maybe_n) = (wp & pr.mask == pr.mask, wn & pr.mask == pr.mask);
                if maybe_p || maybe_n {
                    emit(self.exact(x, k.b, maybe_p, maybe_n), |pos| {
                        f(c * CHUNK + t, pos)
                    });
                }
            }
        }
    }

    /// Touches one word of every cache line of `a`'s signature block: the
    /// loads are independent, so the block's misses overlap now instead of
    /// stalling the proposals that would probe it one line at a time.
    #[inline]
    fn warm(&self, a: NodeId) {
        if let Some(s) = self.sig {
            let meta = s.index[a as usize];
            let start = (meta >> 20) as usize;
            let len = 2 * ((meta & 0xF_FFFF) + 1) as usize;
            let mut x = 0u64;
            for w in s.bits[start..start + len].iter().step_by(8) {
                x ^= w;
            }
            std::hint::black_box(x);
        }
    }

    #[inline]
    fn for_each_edge_within(&self, set: &[NodeId], f: impl FnMut(usize, usize, bool)) {
        match self.sig {
            Some(s) if set.len() <= WITHIN_MAX => self.within_gathered(s, set, f),
            _ => within_by_rows(self, set, f),
        }
    }
}

/// The largest set [`RoaringAdjacency::within_gathered`] takes (its pair
/// words live on the stack: 496 pairs, 8 KB).
const WITHIN_MAX: usize = 32;

impl RoaringAdjacency<'_> {
    /// [`Adjacency::for_each_edge_within`] for a set of up to [`WITHIN_MAX`]
    /// nodes with signatures: every pair's words are loaded before any is
    /// tested, so a fresh set's misses (one per pair, its nodes are cold)
    /// overlap.
    fn within_gathered(
        &self,
        s: &Signatures,
        set: &[NodeId],
        mut f: impl FnMut(usize, usize, bool),
    ) {
        let n = set.len();
        let mut probes = [Probe { h: 0, mask: 0 }; WITHIN_MAX];
        let mut metas = [0u64; WITHIN_MAX];
        for (i, &x) in set.iter().enumerate() {
            probes[i] = Probe::of(x);
            metas[i] = s.index[x as usize];
        }
        let mut words = [(0u64, 0u64); WITHIN_MAX * (WITHIN_MAX - 1) / 2];
        let mut t = 0;
        for (j, &pj) in probes.iter().enumerate().take(n).skip(1) {
            for &meta in &metas[..j] {
                words[t] = s.words_at(meta, pj);
                t += 1;
            }
        }
        let mut t = 0;
        for (j, pj) in probes.iter().enumerate().take(n).skip(1) {
            let m = pj.mask;
            for i in 0..j {
                let (wp, wn) = words[t];
                t += 1;
                let (maybe_p, maybe_n) = (wp & m == m, wn & m == m);
                if maybe_p || maybe_n {
                    emit(self.exact(set[i], set[j], maybe_p, maybe_n), |pos| {
                        f(i, j, pos)
                    });
                }
            }
        }
    }

    /// The bitmaps' answer for (a, b), asking only the signs that may hold it.
    #[inline]
    fn exact(&self, a: NodeId, b: NodeId, maybe_p: bool, maybe_n: bool) -> (u32, u32) {
        // A pair has at most one sign: no negative lookup after a positive hit.
        if maybe_p && self.pos[a as usize].contains(b) {
            (1, 0)
        } else {
            (0, (maybe_n && self.neg[a as usize].contains(b)) as u32)
        }
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
pub fn dense_fits(n: usize, edges: u64, mem_available: Option<u64>) -> bool {
    let bytes = dense_bytes(n);
    let fits = bytes <= DENSE_CAP_BYTES && mem_available.is_none_or(|m| bytes <= m / 4);
    let sparse = edges.saturating_mul(32) <= bytes;
    fits && (bytes <= DENSE_ALWAYS_BYTES || !sparse)
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
    fn dense_only_under_the_cap_a_quarter_of_available_memory_and_where_it_pays() {
        assert_eq!(dense_bytes(746), 2 * 8 * 12 * 746);
        assert_eq!(dense_bytes(20_000), 2 * 8 * 313 * 20_000);
        // The fixed cap: 256 MiB holds 32,768 nodes but not 32,769.
        // A 10%-dense graph: the cap decides. 256 MiB holds 32,768 nodes
        // but not 32,769.
        let dense10 = |n: u64| n * n / 20;
        assert!(dense_fits(32_768, dense10(32_768), None));
        assert!(!dense_fits(32_769, dense10(32_769), None));
        assert!(!dense_fits(100_000, dense10(100_000), Some(1 << 40)));
        // Memory: 20,000 nodes (100 MB) need 400 MB available.
        assert!(dense_fits(20_000, dense10(20_000), Some(401_000_000)));
        assert!(!dense_fits(20_000, dense10(20_000), Some(399_000_000)));
        assert!(dense_fits(746, 77_000, Some(1 << 20)));
        assert!(!dense_fits(746, 77_000, Some(100_000)));
        // Sparse graphs keep the matrix only while it is at most 32 MiB
        // (11,584 nodes), then only above one edge in 128 node pairs.
        assert!(dense_fits(11_584, 0, None));
        assert!(!dense_fits(11_585, 0, None));
        let at_20k = dense_bytes(20_000);
        assert!(!dense_fits(20_000, 2_060_098, None));
        assert!(!dense_fits(20_000, at_20k / 32, None));
        assert!(dense_fits(20_000, at_20k / 32 + 1, None));
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
            for b in 0..n {
                let want = plain.test(a, plain.key(b));
                assert_eq!(want.0, pos[a as usize].contains(b) as u32);
                assert_eq!(want.1, neg[a as usize].contains(b) as u32);
                let k = fast.key(b);
                assert_eq!(fast.test(a, k), want, "pair ({a}, {b})");
                if want == (0, 0) {
                    absent += 1;
                    let pr = k.probe.unwrap();
                    let (wp, wn) = sig.words(a, pr);
                    skipped += (wp & pr.mask != pr.mask && wn & pr.mask != pr.mask) as u64;
                }
            }
            let others: Vec<NodeId> = (0..n).step_by(13).collect();
            assert_eq!(fast.count_to(a, &others), plain.count_to(a, &others));
        }
        assert!(
            skipped * 1000 > absent * 993,
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
