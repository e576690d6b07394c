//! A row's moves: drawing one (swap, grow, shrink) and evaluating it
//! incrementally, and applying the chosen one to the members' counts.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::{Problem, Scratch, TargetBox};
use crate::graph::{Adjacency, NodeId};

/// A proposed move and the totals it would produce.
#[derive(Debug, Clone, Copy)]
pub(super) enum Move {
    Swap { i: usize, b: NodeId },
    Add { s: u16, b: NodeId },
    Remove { i: usize },
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Proposal {
    pub(super) mv: Move,
    pub(super) pb: u32,
    pub(super) qb: u32,
    pub(super) rb: i32,
    pub(super) p: u64,
    pub(super) q: u64,
    pub(super) s: i64,
    pub(super) pairs: u64,
    pub(super) d: f64,
    pub(super) e: f64,
}

impl Scratch {
    /// Draws one random move and evaluates it incrementally.
    pub(super) fn propose<A: Adjacency>(
        &self,
        pb: &Problem<'_, A>,
        bx: &TargetBox,
        rng: &mut ChaCha8Rng,
    ) -> Option<Proposal> {
        let kind = if pb.params.resize_moves {
            rng.random_range(0..10u32)
        } else {
            9
        };
        match kind {
            0 => {
                // Grow a slot below its max.
                let s = rng.random_range(0..pb.slots.len());
                if self.counts[s] >= pb.slots[s].max {
                    return None;
                }
                let b = self.pick_free(pb, s, rng)?;
                let (pb_, qb, rb) = self.contrib(pb, b, s as u16);
                let pairs = self.pairs + (self.total() - self.counts[s]) as u64;
                let (p, q, sv) = (
                    self.tot_p + pb_ as u64,
                    self.tot_q + qb as u64,
                    self.tot_s + rb as i64,
                );
                let (d, e) = self.energy(pb, bx, p, q, pairs);
                Some(Proposal {
                    mv: Move::Add { s: s as u16, b },
                    pb: pb_,
                    qb,
                    rb,
                    p,
                    q,
                    s: sv,
                    pairs,
                    d,
                    e,
                })
            }
            1 => {
                // Shrink a slot above its min.
                if self.set.is_empty() {
                    return None;
                }
                let i = rng.random_range(0..self.set.len());
                let s = self.slot[i] as usize;
                if self.counts[s] <= pb.slots[s].min {
                    return None;
                }
                let pairs = self.pairs - (self.total() - self.counts[s]) as u64;
                let p = self.tot_p - self.p[i] as u64;
                let q = self.tot_q - self.q[i] as u64;
                let sv = self.tot_s - self.r[i] as i64;
                let (d, e) = self.energy(pb, bx, p, q, pairs);
                Some(Proposal {
                    mv: Move::Remove { i },
                    pb: 0,
                    qb: 0,
                    rb: 0,
                    p,
                    q,
                    s: sv,
                    pairs,
                    d,
                    e,
                })
            }
            _ => {
                // Swap one member for a free node of the same modality.
                if self.set.is_empty() {
                    return None;
                }
                let i = rng.random_range(0..self.set.len());
                let s = self.slot[i];
                let b = self.pick_free(pb, s as usize, rng)?;
                let (pb_, qb, rb) = self.contrib(pb, b, s);
                let p = self.tot_p - self.p[i] as u64 + pb_ as u64;
                let q = self.tot_q - self.q[i] as u64 + qb as u64;
                let sv = self.tot_s - self.r[i] as i64 + rb as i64;
                let (d, e) = self.energy(pb, bx, p, q, self.pairs);
                Some(Proposal {
                    mv: Move::Swap { i, b },
                    pb: pb_,
                    qb,
                    rb,
                    p,
                    q,
                    s: sv,
                    pairs: self.pairs,
                    d,
                    e,
                })
            }
        }
    }

    /// Adds (`sign = 1`) or removes (`-1`) node `x`'s edges from every
    /// member's counts, skipping position `skip`.
    fn spread<A: Adjacency>(
        &mut self,
        pb: &Problem<'_, A>,
        x: NodeId,
        sx: u16,
        skip: usize,
        add: bool,
    ) {
        let k = pb.slots.len();
        let soft = pb.soft();
        let (p, q, r, slot) = (&mut self.p, &mut self.q, &mut self.r, &self.slot);
        // Looked up on the members' side: a row's members stay in cache
        // across its steps, where `x`'s adjacency would be a fresh miss.
        pb.adj.for_each_edge(&self.set, pb.adj.key(x), |j, pos| {
            if j == skip {
                return;
            }
            let c = if pos { &mut p[j] } else { &mut q[j] };
            let re = if soft {
                pb.weights[sx as usize * k + slot[j] as usize]
            } else {
                0
            };
            if add {
                *c += 1;
                r[j] += re;
            } else {
                *c -= 1;
                r[j] -= re;
            }
        });
    }

    pub(super) fn apply<A: Adjacency>(&mut self, pb: &Problem<'_, A>, pr: &Proposal) {
        match pr.mv {
            Move::Swap { i, b } => {
                pb.adj.warm(b);
                let a = self.set[i];
                let s = self.slot[i];
                // A node without edges to the set changes no member's counts
                // (the common case in a sparse graph): no lookups.
                if self.p[i] + self.q[i] > 0 {
                    self.spread(pb, a, s, i, false);
                }
                if pr.pb + pr.qb > 0 {
                    self.spread(pb, b, s, i, true);
                }
                self.set_member(a, false);
                self.set_member(b, true);
                self.set[i] = b;
                self.p[i] = pr.pb;
                self.q[i] = pr.qb;
                self.r[i] = pr.rb;
            }
            Move::Add { s, b } => {
                pb.adj.warm(b);
                if pr.pb + pr.qb > 0 {
                    self.spread(pb, b, s, usize::MAX, true);
                }
                self.set_member(b, true);
                self.set.push(b);
                self.slot.push(s);
                self.p.push(pr.pb);
                self.q.push(pr.qb);
                self.r.push(pr.rb);
                self.counts[s as usize] += 1;
            }
            Move::Remove { i } => {
                let a = self.set[i];
                let s = self.slot[i];
                if self.p[i] + self.q[i] > 0 {
                    self.spread(pb, a, s, i, false);
                }
                self.set_member(a, false);
                self.set.swap_remove(i);
                self.slot.swap_remove(i);
                self.p.swap_remove(i);
                self.q.swap_remove(i);
                self.r.swap_remove(i);
                self.counts[s as usize] -= 1;
            }
        }
        self.tot_p = pr.p;
        self.tot_q = pr.q;
        self.tot_s = pr.s;
        self.pairs = pr.pairs;
    }
}
