//! The per-row simulated annealer and the random node-set draw shared with
//! DIAGNOSE.
//!
//! A row is a node set S grouped into TYPES slots (one slot per modality of
//! the quota). The state keeps, for every member i, `p[i]`/`q[i]` = its
//! positive/negative edges to the rest of S (and `r[i]` = its weighted
//! FAVOUR/AVOID edges when soft terms exist), plus the totals P = Σp/2,
//! Q = Σq/2. A move changes one node, so its effect on the totals follows from
//! the removed node's stored counts and one `count_to` pass (k lookups in the
//! graph's [`Adjacency`]: the dense matrix or the roaring bitmaps, chosen by
//! `SignedGraph::hot_path` and monomorphised here) for the added node: no
//! recount of all pairs.
//!
//! Search energy (in "edge units" so that the temperature scale is
//! meaningful): `E = scale · d` where `d` is the distance of (pos_frac,
//! neg_frac) to the label's region (0 inside; see `boxes.rs`) and `scale` the
//! candidate-pair count of a mid-sized row. One edge more or less changes `E`
//! by about 1.
//!
//! Mixing: once inside, `mix_steps` single random moves, rejected when they
//! leave the region, accepted with probability `min(1, H · exp(w · ΔS))`: `H`
//! is the Hastings factor of the move (1 for a swap; `k(c+1)/(N+1)` to grow a
//! slot of count c in a row of N nodes and k slots, `N/(k·c)` to shrink one),
//! which makes "each slot's count uniform in its range, nodes uniform" the
//! stationary distribution; `S` = FAVOUR-pair edges − AVOID-pair edges and
//! `w` = `soft_weight` tilt it.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::boxes::Exclusion;
use crate::graph::{Adjacency, NodeId, candidate_pairs};
use crate::{Ctx, SignedGraph};

mod moves;
mod rows;

use moves::{Move, Proposal};

pub(crate) use rows::{ESCALATIONS, escalate_row, rng_for, sample_row, stream_id};

/// One TYPES entry resolved against a graph.
#[derive(Debug, Clone)]
pub(crate) struct Slot<'g> {
    pub min: u32,
    pub max: u32,
    pub nodes: &'g [NodeId],
}

/// Search parameters (from [`super::SampleOptions`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    pub max_iters: u32,
    pub start_temp: f64,
    pub end_temp: f64,
    pub proposals_per_step: u32,
    pub soft_weight: f64,
    pub resize_moves: bool,
    pub retries: u32,
    /// Metropolis steps inside the region once a row has reached it.
    pub mix_steps: u32,
}

impl Params {
    /// For drawing random sets under the quotas only (DIAGNOSE, and the
    /// random-and-keep baselines): no search, no soft terms, no mixing.
    pub(crate) fn random_draw() -> Params {
        Params {
            max_iters: 1,
            start_temp: 1.0,
            end_temp: 1.0,
            proposals_per_step: 1,
            soft_weight: 0.0,
            resize_moves: false,
            retries: 0,
            mix_steps: 0,
        }
    }
}

/// A label's region: its box (closed intervals for pos_frac and neg_frac)
/// minus the other labels' boxes that overlap it (see `boxes.rs`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TargetBox {
    pub pos: (f64, f64),
    pub neg: (f64, f64),
    pub excl: Vec<Exclusion>,
    /// Depth added inside an excluded box (half an edge, in fraction units).
    pub eps: f64,
}

impl TargetBox {
    /// The plain box `pos × neg` (nothing excluded).
    #[cfg(test)]
    pub fn plain(pos: (f64, f64), neg: (f64, f64)) -> TargetBox {
        TargetBox {
            pos,
            neg,
            excl: Vec::new(),
            eps: 0.0,
        }
    }

    /// L1 distance of (x, y) to the box plus the depth inside every excluded
    /// box; exactly 0 iff inside the region.
    #[inline]
    pub fn distance(&self, x: f64, y: f64) -> f64 {
        let dx = (self.pos.0 - x).max(0.0) + (x - self.pos.1).max(0.0);
        let dy = (self.neg.0 - y).max(0.0) + (y - self.neg.1).max(0.0);
        let mut d = dx + dy;
        for e in &self.excl {
            d += e.depth(x, y, self.eps);
        }
        d
    }
}

/// Fractions exactly as [`crate::EdgeFractions::from_counts`] computes them.
#[inline]
pub(crate) fn fractions(p: u64, q: u64, pairs: u64) -> (f64, f64) {
    if pairs == 0 {
        (0.0, 0.0)
    } else {
        (p as f64 / pairs as f64, q as f64 / pairs as f64)
    }
}

/// A graph's adjacency plus resolved quota and soft weights: everything a
/// row needs.
pub(crate) struct Problem<'g, A> {
    pub adj: A,
    pub node_count: usize,
    pub slots: Vec<Slot<'g>>,
    /// `slots × slots` weights (+1 favour, −1 avoid); empty without soft terms.
    pub weights: Vec<i32>,
    pub params: Params,
    pub scale: f64,
}

impl<'g, A: Adjacency> Problem<'g, A> {
    pub fn new(
        g: &'g SignedGraph,
        adj: A,
        slots: Vec<Slot<'g>>,
        weights: Vec<i32>,
        mut params: Params,
    ) -> Self {
        // Resizing is pointless when every range is a single count.
        params.resize_moves &= slots.iter().any(|s| s.min < s.max);
        let mid = slots.iter().map(|s| (s.min + s.max).div_ceil(2));
        let scale = candidate_pairs(mid).max(1) as f64;
        let weights = if weights.iter().all(|&w| w == 0) {
            Vec::new()
        } else {
            weights
        };
        Problem {
            adj,
            node_count: g.node_count(),
            slots,
            weights,
            params,
            scale,
        }
    }

    fn soft(&self) -> bool {
        !self.weights.is_empty()
    }
}

/// Binds `$pb` to a `&Problem` over `$g` on the evaluator `$path` (a
/// `HotPath`: `SignedGraph::draw_path` for DIAGNOSE's draws,
/// `SignedGraph::search_path` for SAMPLE's search) and evaluates `$body`,
/// which is monomorphised once per evaluator.
macro_rules! with_problem {
    ($path:expr, $g:expr, $slots:expr, $weights:expr, $params:expr, |$pb:ident| $body:expr) => {
        match $path {
            $crate::graph::HotPath::Dense(adj) => {
                let $pb = &$crate::sample::Problem::new($g, adj, $slots, $weights, $params);
                $body
            }
            $crate::graph::HotPath::Sparse(adj) => {
                let $pb = &$crate::sample::Problem::new($g, adj, $slots, $weights, $params);
                $body
            }
        }
    };
}
pub(crate) use with_problem;

/// How one row (all attempts) ended.
#[derive(Debug, Clone)]
pub(crate) struct RowOutcome {
    /// The node set, sorted by (slot, node id); on failure the closest set
    /// seen (unsorted).
    pub nodes: Vec<(u16, NodeId)>,
    pub pos_edges: u64,
    pub neg_edges: u64,
    pub pairs: u64,
    /// Annealing steps over all attempts.
    pub steps: u64,
    /// Attempts used (1 = first try).
    pub attempts: u32,
    pub ok: bool,
    /// Closest (pos_frac, neg_frac) reached, and its distance to the box.
    pub closest: (f64, f64, f64),
    /// Whether the row went through [`escalate_row`].
    pub escalated: bool,
}

/// Per-thread scratch: the current set and its incremental counts. Reused
/// across rows; nothing is allocated per step.
pub(crate) struct Scratch {
    pub set: Vec<NodeId>,
    pub slot: Vec<u16>,
    pub p: Vec<u32>,
    pub q: Vec<u32>,
    pub r: Vec<i32>,
    pub counts: Vec<u32>,
    member: Vec<u64>,
    pub tot_p: u64,
    pub tot_q: u64,
    pub tot_s: i64,
    pub pairs: u64,
    best: Vec<(u16, NodeId)>,
    best_counts: (u64, u64, u64),
    /// The closest set to the region seen over a row's attempts (slot,
    /// node) and its distance: where an escalated attempt restarts.
    near: Vec<(u16, NodeId)>,
    near_d: f64,
}

impl Scratch {
    pub fn new<A: Adjacency>(pb: &Problem<'_, A>) -> Scratch {
        let cap: usize = pb.slots.iter().map(|s| s.max as usize).sum();
        Scratch {
            set: Vec::with_capacity(cap),
            slot: Vec::with_capacity(cap),
            p: Vec::with_capacity(cap),
            q: Vec::with_capacity(cap),
            r: Vec::with_capacity(cap),
            counts: vec![0; pb.slots.len()],
            member: vec![0; pb.node_count.div_ceil(64).max(1)],
            tot_p: 0,
            tot_q: 0,
            tot_s: 0,
            pairs: 0,
            best: Vec::with_capacity(cap),
            best_counts: (0, 0, 0),
            near: Vec::with_capacity(cap),
            near_d: f64::INFINITY,
        }
    }

    #[inline]
    fn is_member(&self, b: NodeId) -> bool {
        (self.member[b as usize >> 6] >> (b & 63)) & 1 == 1
    }

    #[inline]
    fn set_member(&mut self, b: NodeId, on: bool) {
        let w = &mut self.member[b as usize >> 6];
        if on {
            *w |= 1 << (b & 63);
        } else {
            *w &= !(1 << (b & 63));
        }
    }

    fn clear(&mut self) {
        for i in 0..self.set.len() {
            let b = self.set[i];
            self.set_member(b, false);
        }
        self.set.clear();
        self.slot.clear();
        self.p.clear();
        self.q.clear();
        self.r.clear();
        self.counts.iter_mut().for_each(|c| *c = 0);
    }

    /// Draws a fresh random set: each slot's size uniform in [min, max], its
    /// nodes uniform without replacement (Floyd's algorithm). Then computes
    /// the per-member counts and the totals.
    pub fn init_random<A: Adjacency>(&mut self, pb: &Problem<'_, A>, rng: &mut ChaCha8Rng) {
        self.clear();
        for (si, s) in pb.slots.iter().enumerate() {
            let c = if s.min == s.max {
                s.min
            } else {
                rng.random_range(s.min..=s.max)
            };
            let n = s.nodes.len() as u32;
            for j in n - c..n {
                let t = rng.random_range(0..=j);
                let node = if self.is_member(s.nodes[t as usize]) {
                    s.nodes[j as usize]
                } else {
                    s.nodes[t as usize]
                };
                self.set_member(node, true);
                self.set.push(node);
                self.slot.push(si as u16);
            }
            self.counts[si] = c;
        }
        for &m in &self.set {
            pb.adj.warm(m);
        }
        self.recount(pb);
    }

    /// Makes `self.near` the current set (an escalated attempt's start).
    fn load_near<A: Adjacency>(&mut self, pb: &Problem<'_, A>) {
        self.clear();
        for i in 0..self.near.len() {
            let (si, node) = self.near[i];
            self.set_member(node, true);
            self.set.push(node);
            self.slot.push(si);
            self.counts[si as usize] += 1;
        }
        self.recount(pb);
    }

    fn save_near(&mut self, d: f64) {
        self.near_d = d;
        self.near.clear();
        self.near
            .extend(self.slot.iter().copied().zip(self.set.iter().copied()));
    }

    /// Recomputes every member's counts and the totals from scratch (one
    /// bit lookup per unordered pair).
    pub fn recount<A: Adjacency>(&mut self, pb: &Problem<'_, A>) {
        let n = self.set.len();
        self.p.clear();
        self.p.resize(n, 0);
        self.q.clear();
        self.q.resize(n, 0);
        self.r.clear();
        self.r.resize(n, 0);
        let k = pb.slots.len();
        let soft = pb.soft();
        let (mut tp, mut tq, mut ts) = (0u64, 0u64, 0i64);
        let (p, q, r, slot) = (&mut self.p, &mut self.q, &mut self.r, &self.slot);
        pb.adj.for_each_edge_within(&self.set, |i, j, pos| {
            if pos {
                p[i] += 1;
                p[j] += 1;
                tp += 1;
            } else {
                q[i] += 1;
                q[j] += 1;
                tq += 1;
            }
            if soft {
                let re = pb.weights[slot[i] as usize * k + slot[j] as usize];
                r[i] += re;
                r[j] += re;
                ts += re as i64;
            }
        });
        self.tot_p = tp;
        self.tot_q = tq;
        self.tot_s = ts;
        self.pairs = candidate_pairs(self.counts.iter().copied());
    }

    /// (pos, neg, weighted soft) edges between `b` (of slot `s`) and the
    /// current set. Same-slot members never share an edge (same modality).
    #[inline]
    fn contrib<A: Adjacency>(&self, pb: &Problem<'_, A>, b: NodeId, s: u16) -> (u32, u32, i32) {
        // Only the members of other slots can share an edge with `b` (the
        // graph has no edge within a modality): skip the lookups of its own
        // slot, the member a swap replaces included.
        let (mut nodes, mut slots) = ([0 as NodeId; 64], [0u16; 64]);
        let (others, oslots) = if self.set.len() <= 64 {
            let mut n = 0;
            for (&x, &sx) in self.set.iter().zip(&self.slot) {
                nodes[n] = x;
                slots[n] = sx;
                n += (sx != s) as usize;
            }
            (&nodes[..n], &slots[..n])
        } else {
            (&self.set[..], &self.slot[..])
        };
        if !pb.soft() {
            let (p, q) = pb.adj.count_to(b, others);
            return (p, q, 0);
        }
        let kb = pb.adj.key(b);
        let k = pb.slots.len();
        let w = &pb.weights[s as usize * k..(s as usize + 1) * k];
        let (mut p, mut q, mut r) = (0u32, 0u32, 0i32);
        pb.adj.for_each_edge(others, kb, |j, pos| {
            if pos {
                p += 1;
            } else {
                q += 1;
            }
            r += w[oslots[j] as usize];
        });
        (p, q, r)
    }

    /// (distance to the region, search energy = scale · distance). Soft
    /// terms do not enter the search: they tilt the in-region mixing.
    #[inline]
    fn energy<A: Adjacency>(
        &self,
        pb: &Problem<'_, A>,
        bx: &TargetBox,
        p: u64,
        q: u64,
        pairs: u64,
    ) -> (f64, f64) {
        let (x, y) = fractions(p, q, pairs);
        let d = bx.distance(x, y);
        (d, pb.scale * d)
    }

    /// A uniformly random node of slot `s` not in the set, if any.
    fn pick_free<A: Adjacency>(
        &self,
        pb: &Problem<'_, A>,
        s: usize,
        rng: &mut ChaCha8Rng,
    ) -> Option<NodeId> {
        let nodes = pb.slots[s].nodes;
        let n = nodes.len();
        let free = n - self.counts[s] as usize;
        if free == 0 {
            return None;
        }
        if free * 4 >= n {
            loop {
                let b = nodes[rng.random_range(0..n)];
                if !self.is_member(b) {
                    return Some(b);
                }
            }
        }
        let mut k = rng.random_range(0..free);
        for &b in nodes {
            if !self.is_member(b) {
                if k == 0 {
                    return Some(b);
                }
                k -= 1;
            }
        }
        None
    }

    fn total(&self) -> u32 {
        self.set.len() as u32
    }

    /// Applies a random legal move unconditionally (for tests).
    #[cfg(test)]
    pub fn random_move<A: Adjacency>(&mut self, pb: &Problem<'_, A>, rng: &mut ChaCha8Rng) -> bool {
        let bx = TargetBox::plain((0.0, 1.0), (0.0, 1.0));
        for _ in 0..8 {
            if let Some(pr) = self.propose(pb, &bx, rng) {
                self.apply(pb, &pr);
                return true;
            }
        }
        false
    }

    fn save_best(&mut self) {
        self.best.clear();
        self.best
            .extend(self.slot.iter().copied().zip(self.set.iter().copied()));
        self.best_counts = (self.tot_p, self.tot_q, self.pairs);
    }

    /// One run of `iters` annealing steps from a fresh random set (or, for
    /// an escalated attempt, from the closest set seen so far): anneal until
    /// the row is inside its region, then mix inside it. Returns (in region,
    /// steps, closest (x, y, d)); on success `self.best` holds the row.
    fn attempt<A: Adjacency>(
        &mut self,
        pb: &Problem<'_, A>,
        bx: &TargetBox,
        rng: &mut ChaCha8Rng,
        ctx: &Ctx,
        (iters, from_near): (u32, bool),
    ) -> (bool, u64, (f64, f64, f64)) {
        if from_near {
            self.load_near(pb);
        } else {
            self.init_random(pb, rng);
        }
        let prm = pb.params;
        let (mut d, mut e) = self.energy(pb, bx, self.tot_p, self.tot_q, self.pairs);
        let (x0, y0) = fractions(self.tot_p, self.tot_q, self.pairs);
        let mut closest = (x0, y0, d);
        if d < self.near_d {
            self.save_near(d);
        }
        // A random draw already inside is a draw of the natural distribution
        // restricted to the region: without soft terms it needs no mixing.
        let started_inside = d == 0.0 && !from_near;
        let ratio = (prm.end_temp / prm.start_temp).powf(1.0 / iters as f64);
        let mut temp = prm.start_temp;
        let mut steps = 0u64;
        while d != 0.0 && steps < iters as u64 {
            steps += 1;
            if steps & 255 == 255 && ctx.cancelled() {
                break;
            }
            let mut chosen: Option<Proposal> = None;
            for _ in 0..prm.proposals_per_step {
                if let Some(pr) = self.propose(pb, bx, rng)
                    && chosen.is_none_or(|c| pr.e < c.e)
                {
                    chosen = Some(pr);
                }
            }
            let t = temp;
            temp *= ratio;
            if let Some(pr) = chosen {
                let delta = pr.e - e;
                if delta <= 0.0 || rng.random::<f64>() < (-delta / t).exp() {
                    self.apply(pb, &pr);
                    d = pr.d;
                    e = pr.e;
                    if d < closest.2 {
                        let (x, y) = fractions(pr.p, pr.q, pr.pairs);
                        closest = (x, y, d);
                    }
                    if d < self.near_d {
                        self.save_near(d);
                    }
                }
            }
        }
        if d != 0.0 {
            return (false, steps, closest);
        }
        if !started_inside || pb.soft() {
            steps += self.mix(pb, bx, rng);
        }
        self.save_best();
        (true, steps, closest)
    }

    /// `mix_steps` Metropolis–Hastings steps that never leave the region:
    /// one random move a step; its acceptance makes the natural distribution
    /// (each modality's count uniform in its range, nodes uniform) restricted
    /// to the region stationary, tilted by `exp(soft_weight · ΔS)` where S is
    /// the row's FAVOUR-pair edges minus its AVOID-pair edges.
    fn mix<A: Adjacency>(
        &mut self,
        pb: &Problem<'_, A>,
        bx: &TargetBox,
        rng: &mut ChaCha8Rng,
    ) -> u64 {
        let w = if pb.soft() {
            pb.params.soft_weight
        } else {
            0.0
        };
        let k = pb.slots.len() as f64;
        for _ in 0..pb.params.mix_steps {
            let Some(pr) = self.propose(pb, bx, rng) else {
                continue;
            };
            if pr.d != 0.0 {
                continue;
            }
            // Hastings factor of the resize moves (grow picks a slot, then a
            // free node; shrink picks a member): see the module docs.
            let mut ratio = match pr.mv {
                Move::Swap { .. } => 1.0,
                Move::Add { s, .. } => {
                    k * (self.counts[s as usize] + 1) as f64 / (self.total() + 1) as f64
                }
                Move::Remove { i } => {
                    self.total() as f64 / (k * self.counts[self.slot[i] as usize] as f64)
                }
            };
            if w > 0.0 {
                ratio *= (w * (pr.s - self.tot_s) as f64).exp();
            }
            if ratio >= 1.0 || rng.random::<f64>() < ratio {
                self.apply(pb, &pr);
            }
        }
        pb.params.mix_steps as u64
    }
}
