//! Label regions: a label's box minus every other label's box.
//!
//! Labels are disjoint: a row stored under label L lies in L's box and in no
//! other label's box of the statement (closed intervals, fractions exactly as
//! stored). Where the user's boxes overlap, the annealer targets the part of
//! L's box outside the others; its distance is the L1 distance to L's box plus,
//! for every other box the row lies in, the depth to the nearest side through
//! which leaving that box stays possible inside L's box (plus half an edge, so
//! a row on the shared border is not "in").
//!
//! Before any sampling, [`check_room`] makes sure each region holds at least
//! one (pos_frac, neg_frac) a row of the TYPES can take: on the lattice of
//! fractions `p/pairs`, `q/pairs` for every achievable `pairs`, or (when that
//! lattice is too large to enumerate) on the real plane.

use super::{LabelSpec, TypeQuota};
use crate::{Error, Result};

/// Another label's box that overlaps this one, and the sides through which a
/// row can leave it while staying in this label's box.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exclusion {
    pub pos: (f64, f64),
    pub neg: (f64, f64),
    /// Useful exits: pos below, pos above, neg below, neg above.
    pub exits: [bool; 4],
}

impl Exclusion {
    fn new(own: &LabelSpec, other: &LabelSpec) -> Option<Exclusion> {
        if !overlaps(own, other) {
            return None;
        }
        Some(Exclusion {
            pos: other.pos,
            neg: other.neg,
            exits: [
                own.pos.0 < other.pos.0,
                own.pos.1 > other.pos.1,
                own.neg.0 < other.neg.0,
                own.neg.1 > other.neg.1,
            ],
        })
    }

    /// 0 outside the (closed) box; inside, the distance to the nearest useful
    /// side plus `eps`.
    #[inline]
    pub fn depth(&self, x: f64, y: f64, eps: f64) -> f64 {
        if x < self.pos.0 || x > self.pos.1 || y < self.neg.0 || y > self.neg.1 {
            return 0.0;
        }
        let sides = [
            x - self.pos.0,
            self.pos.1 - x,
            y - self.neg.0,
            self.neg.1 - y,
        ];
        let mut best = f64::INFINITY;
        for (d, ok) in sides.into_iter().zip(self.exits) {
            if ok && d < best {
                best = d;
            }
        }
        if best.is_finite() { best + eps } else { 1.0 }
    }
}

/// Closed boxes share at least one point.
pub(crate) fn overlaps(a: &LabelSpec, b: &LabelSpec) -> bool {
    a.pos.0 <= b.pos.1 && b.pos.0 <= a.pos.1 && a.neg.0 <= b.neg.1 && b.neg.0 <= a.neg.1
}

/// Whether (x, y) lies in the closed box of `l`.
#[inline]
pub(crate) fn in_box(l: &LabelSpec, x: f64, y: f64) -> bool {
    l.pos.0 <= x && x <= l.pos.1 && l.neg.0 <= y && y <= l.neg.1
}

/// The other labels' boxes that overlap label `li`'s.
pub(crate) fn exclusions(labels: &[LabelSpec], li: usize) -> Vec<Exclusion> {
    labels
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != li)
        .filter_map(|(_, o)| Exclusion::new(&labels[li], o))
        .collect()
}

/// Largest lattice enumerated exactly (Σ pairs² / 2 points).
const LATTICE_BUDGET: u64 = 40_000_000;
/// Largest number of (nodes, Σ count²) states of the pair-count enumeration.
const STATE_BUDGET: usize = 200_000;

/// Every achievable candidate-pair count of a row under `types`, or `None`
/// when there are too many to enumerate.
pub(crate) fn pair_counts(types: &[TypeQuota]) -> Option<Vec<u64>> {
    let mut states: Vec<(u64, u64)> = vec![(0, 0)];
    for t in types {
        let width = (t.max - t.min + 1) as usize;
        if states.len().saturating_mul(width) > 4 * STATE_BUDGET {
            return None;
        }
        let mut next = Vec::with_capacity(states.len() * width);
        for &(n, s) in &states {
            for c in t.min..=t.max {
                let c = c as u64;
                next.push((n + c, s + c * c));
            }
        }
        next.sort_unstable();
        next.dedup();
        if next.len() > STATE_BUDGET {
            return None;
        }
        states = next;
    }
    let mut pairs: Vec<u64> = states.iter().map(|&(n, s)| (n * n - s) / 2).collect();
    pairs.sort_unstable();
    pairs.dedup();
    Some(pairs)
}

/// Checks that every label keeps room outside the other labels' boxes; the
/// error names the label, the labels covering it and the overlaps.
pub(crate) fn check_room(labels: &[LabelSpec], types: &[TypeQuota]) -> Result<()> {
    let lattice = pair_counts(types).filter(|p| {
        p.iter()
            .map(|&x| x.saturating_mul(x) / 2)
            .fold(0u64, u64::saturating_add)
            <= LATTICE_BUDGET
    });
    for (li, l) in labels.iter().enumerate() {
        let others: Vec<&LabelSpec> = labels
            .iter()
            .enumerate()
            .filter(|&(j, o)| j != li && overlaps(l, o))
            .map(|(_, o)| o)
            .collect();
        if others.is_empty() {
            continue;
        }
        let free = |x: f64, y: f64| in_box(l, x, y) && !others.iter().any(|o| in_box(o, x, y));
        let room = match &lattice {
            Some(pairs) => lattice_has(pairs, l, &free),
            None => plane_has(l, &others, &free),
        };
        if !room {
            return Err(no_room(l, &others, lattice.is_some()));
        }
    }
    Ok(())
}

fn lattice_has(pairs: &[u64], l: &LabelSpec, free: &dyn Fn(f64, f64) -> bool) -> bool {
    for &n in pairs {
        if n == 0 {
            if free(0.0, 0.0) {
                return true;
            }
            continue;
        }
        for p in 0..=n {
            let x = p as f64 / n as f64;
            if x < l.pos.0 || x > l.pos.1 {
                continue;
            }
            for q in 0..=n - p {
                if free(x, q as f64 / n as f64) {
                    return true;
                }
            }
        }
    }
    false
}

/// Real-plane check: the region is a union of cells of the grid made by every
/// box bound; testing each bound and each midpoint finds any non-empty cell.
fn plane_has(l: &LabelSpec, others: &[&LabelSpec], free: &dyn Fn(f64, f64) -> bool) -> bool {
    let coords = |own: (f64, f64), pick: &dyn Fn(&LabelSpec) -> (f64, f64)| {
        let mut v = vec![own.0, own.1];
        for o in others {
            let (a, b) = pick(o);
            v.extend([a, b].into_iter().filter(|c| own.0 <= *c && *c <= own.1));
        }
        v.sort_by(f64::total_cmp);
        v.dedup();
        let mids: Vec<f64> = v.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
        v.extend(mids);
        v
    };
    let xs = coords(l.pos, &|o| o.pos);
    let ys = coords(l.neg, &|o| o.neg);
    xs.iter()
        .any(|&x| ys.iter().any(|&y| x + y <= 1.0 && free(x, y)))
}

fn no_room(l: &LabelSpec, others: &[&LabelSpec], lattice: bool) -> Error {
    let names: Vec<String> = others.iter().map(|o| format!("'{}'", o.name)).collect();
    let overlaps: Vec<String> = others
        .iter()
        .map(|o| {
            format!(
                "'{}' ∩ '{}' = pos_frac IN [{}, {}] AND neg_frac IN [{}, {}]",
                l.name,
                o.name,
                l.pos.0.max(o.pos.0),
                l.pos.1.min(o.pos.1),
                l.neg.0.max(o.neg.0),
                l.neg.1.min(o.neg.1)
            )
        })
        .collect();
    Error::Sample {
        code: crate::Code::LabelNoRoom,
        label: l.name.clone(),
        message: format!(
            "label '{}' has no room outside label {}: every fraction a row of these TYPES can take inside its box ({}) also lies in {}'s box (labels are disjoint; {})",
            l.name,
            names.join(" and label "),
            l.box_text(),
            names.join(" or "),
            overlaps.join("; ")
        ),
        hint: Some(format!(
            "make the boxes disjoint: end one range below where the other starts (e.g. pos_frac IN [0.2, 0.444] and pos_frac IN [0.445, 1]){}; DIAGNOSE suggests disjoint boxes",
            if lattice {
                ", with the bound between two fractions a row can take (they are multiples of 1/pairs, e.g. of 1/6 for 4-node rows)"
            } else {
                ""
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(q: &[(u32, u32)]) -> Vec<TypeQuota> {
        q.iter()
            .enumerate()
            .map(|(i, &(a, b))| TypeQuota::new(format!("m{i}"), a, b))
            .collect()
    }

    #[test]
    fn pair_counts_enumerate_every_row_shape() {
        // 1 + 1 + [1, 2]: 3 nodes → 3 pairs, 4 nodes (two of one modality) → 5.
        assert_eq!(pair_counts(&t(&[(1, 1), (1, 1), (1, 2)])), Some(vec![3, 5]));
        assert_eq!(
            pair_counts(&t(&[(1, 1), (1, 1), (1, 1), (1, 1)])),
            Some(vec![6])
        );
        assert_eq!(pair_counts(&t(&[(0, 1), (0, 1)])), Some(vec![0, 1]));
    }

    #[test]
    fn room_is_judged_on_the_fraction_lattice() {
        let four = t(&[(1, 1), (1, 1), (1, 1), (1, 1)]);
        let wide = LabelSpec::new("wide", 1).pos(0.3, 0.5);
        // On sixths, [0.2, 0.49] holds only 1/3, which `wide` holds too.
        let narrow = LabelSpec::new("narrow", 1).pos(0.2, 0.49);
        let e = check_room(&[wide.clone(), narrow], &four)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("label 'narrow' has no room outside label 'wide'"),
            "{e}"
        );
        // [0.1, 0.49] also holds 1/6: room.
        let lower = LabelSpec::new("lower", 1).pos(0.1, 0.49);
        check_room(&[wide.clone(), lower.clone()], &four).unwrap();
        // On the real plane (no lattice) the same boxes leave room.
        let big = t(&[(1, 400), (1, 400), (1, 400)]);
        assert!(pair_counts(&big).is_none() || check_room(&[wide.clone(), lower], &big).is_ok());
        // A box inside another has no room anywhere.
        let inner = LabelSpec::new("inner", 1).pos(0.35, 0.45).neg(0.0, 0.5);
        let e = check_room(&[wide, inner], &big).unwrap_err().to_string();
        assert!(
            e.contains("'inner' ∩ 'wide' = pos_frac IN [0.35, 0.45]"),
            "{e}"
        );
    }

    #[test]
    fn depth_counts_the_way_out_that_stays_in_the_own_box() {
        let own = LabelSpec::new("pos", 1).pos(0.2, 1.0).neg(0.0, 0.3);
        let avg = LabelSpec::new("avg", 1).pos(0.1, 0.5).neg(0.1, 0.5);
        let x = Exclusion::new(&own, &avg).unwrap();
        // Leaving avg below pos 0.1 or above neg 0.5 leaves pos's box too.
        assert_eq!(x.exits, [false, true, true, false]);
        assert_eq!(x.depth(0.6, 0.2, 0.0), 0.0);
        assert!((x.depth(0.45, 0.2, 0.0) - 0.05).abs() < 1e-12);
        assert!((x.depth(0.3, 0.12, 0.01) - 0.03).abs() < 1e-12);
        // On the border the row is inside (closed boxes): depth eps.
        assert_eq!(x.depth(0.5, 0.3, 0.25), 0.25);
        let far = LabelSpec::new("far", 1).pos(0.0, 0.05);
        assert!(Exclusion::new(&own, &far).is_none());
    }
}
