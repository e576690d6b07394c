//! DIAGNOSE: the graph's natural edge composition under a type quota
//! (reference §6.1 "Graph density and sampling feasibility", §7.3, §8.2).
//!
//! Draws `samples` random node sets exactly as SAMPLE starts its rows (each
//! modality's count uniform in `[min, max]`, nodes uniform without
//! replacement; no edge-fraction constraint), then reports mean and
//! percentiles of pos_frac, neg_frac and absent_frac, a histogram, and
//! suggested label boxes.
//!
//! # Suggested boxes (the rule)
//! With `Pk` = k-th percentile of pos_frac and `Nk` of neg_frac, two cuts:
//! `a` = P75 and `b` = N75, each floored to 3 decimals (`b` must be > 0: when
//! N75 is 0 it is the smallest positive neg_frac drawn, floored to the fewest
//! decimals, from 3 on, that keep it positive). `δ` is one unit of the cut's
//! last decimal (0.001).
//! * `pos`: pos_frac in `[a, 1]`,       neg_frac in `[0, min(N50↑, b − δ)]`
//! * `avg`: pos_frac in `[P25↓, a − δ]`, neg_frac in `[N25↓, b − δ]`
//! * `neg`: pos_frac in `[0, P50↑]`,     neg_frac in `[b, 1]`
//!
//! (↓/↑ = floored/ceiled to 3 decimals.) The boxes are pairwise disjoint on
//! real values (pos and avg by pos_frac, avg and neg and pos and neg by
//! neg_frac), so a fraction on a coarse lattice (multiples of 1/6 for 4-node
//! rows) can never lie in two of them, and `neg` needs a negative edge.
//! Each box is then checked against the drawn sets: while fewer than
//! `max(1, 0.5 %)` of them fall inside it, it grows by 0.005 steps, first on
//! its free sides, then by moving a cut into its neighbour (never making the
//! boxes overlap). A box that random draws already hit is one the annealer
//! fills (it starts from exactly such draws), which makes the suggestion
//! feasible for SAMPLE with the same TYPES. `hit_rate` reports the share
//! inside.
//!
//! Percentiles use linear interpolation between order statistics (numpy's
//! default). Each draw `i` uses its own RNG `(seed, "diagnose", i)`, so the
//! report is identical for any thread count.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::graph::candidate_pairs;
use crate::sample::{
    LabelSpec, Params, Problem, Scratch, TypeQuota, resolve_types, rng_for, stream_id, with_problem,
};
use crate::{Ctx, Error, Result, SignedGraph};

/// Mean, extremes and percentiles of one fraction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FractionStats {
    pub mean: f64,
    pub min: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub max: f64,
}

impl FractionStats {
    fn of(values: &mut [f64]) -> FractionStats {
        values.sort_unstable_by(|a, b| a.total_cmp(b));
        let n = values.len();
        let pct = |q: f64| {
            let pos = q * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let f = pos - lo as f64;
            values[lo] + (values[hi] - values[lo]) * f
        };
        FractionStats {
            mean: values.iter().sum::<f64>() / n as f64,
            min: values[0],
            p5: pct(0.05),
            p25: pct(0.25),
            p50: pct(0.50),
            p75: pct(0.75),
            p95: pct(0.95),
            max: values[n - 1],
        }
    }
}

/// A suggested label box and the share of DIAGNOSE draws already inside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedLabel {
    pub name: String,
    pub pos: (f64, f64),
    pub neg: (f64, f64),
    pub hit_rate: f64,
}

impl SuggestedLabel {
    /// The box as a SAMPLE label of `count` rows.
    pub fn to_label(&self, count: u64) -> LabelSpec {
        LabelSpec::new(self.name.clone(), count)
            .pos(self.pos.0, self.pos.1)
            .neg(self.neg.0, self.neg.1)
    }
}

/// Histogram of pos_frac and neg_frac over 20 fixed bins 0.05 wide: bin `i`
/// is `[edges[i], edges[i+1])`, the last `[0.95, 1]` is closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub pos: Vec<u64>,
    pub neg: Vec<u64>,
}

/// What DIAGNOSE answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnoseReport {
    pub samples: u64,
    pub seed: u64,
    pub types: Vec<TypeQuota>,
    pub pos: FractionStats,
    pub neg: FractionStats,
    pub absent: FractionStats,
    /// `pos`, `avg`, `neg`, in that order.
    pub suggested: Vec<SuggestedLabel>,
    pub histogram: Histogram,
}

const MAX_SAMPLES: u64 = 50_000_000;

/// Runs DIAGNOSE on a graph (read-only; no store needed).
pub fn diagnose(
    g: &SignedGraph,
    types: &[TypeQuota],
    samples: u64,
    seed: u64,
    ctx: &Ctx,
) -> Result<DiagnoseReport> {
    if samples == 0 || samples > MAX_SAMPLES {
        return Err(Error::rejected(
            crate::Code::BadClause,
            crate::Subject::Clause(crate::Clause::Samples),
            format!("DIAGNOSE SAMPLES {samples}: must be between 1 and {MAX_SAMPLES}"),
            "e.g. SAMPLES 4000",
        ));
    }
    let slots = resolve_types(g, types)?;
    let params = Params::random_draw();
    let pairs = candidate_pairs(slots.iter().map(|s| (s.min + s.max).div_ceil(2)));
    let path = g.draw_path(samples.saturating_mul(pairs));
    let draws = with_problem!(path, g, slots, Vec::new(), params, |pb| {
        draw_sets(pb, samples, seed, ctx)?
    });

    let fr: Vec<(f64, f64)> = draws
        .iter()
        .map(|&(p, q, pairs)| {
            let f = crate::EdgeFractions::from_counts(p, q, pairs);
            (f.pos, f.neg)
        })
        .collect();
    let mut pv: Vec<f64> = fr.iter().map(|f| f.0).collect();
    let mut nv: Vec<f64> = fr.iter().map(|f| f.1).collect();
    let mut av: Vec<f64> = draws
        .iter()
        .map(|&(p, q, pairs)| crate::EdgeFractions::from_counts(p, q, pairs).absent)
        .collect();
    let pos = FractionStats::of(&mut pv);
    let neg = FractionStats::of(&mut nv);
    let absent = FractionStats::of(&mut av);

    let suggested = suggest_boxes(&pos, &neg, &fr);
    let histogram = histogram(&fr);
    Ok(DiagnoseReport {
        samples,
        seed,
        types: types.to_vec(),
        pos,
        neg,
        absent,
        suggested,
        histogram,
    })
}

/// `samples` random sets under the quotas: (pos edges, neg edges, pairs) each.
fn draw_sets<A: crate::graph::Adjacency>(
    pb: &Problem<'_, A>,
    samples: u64,
    seed: u64,
    ctx: &Ctx,
) -> Result<Vec<(u64, u64, u64)>> {
    let stream = stream_id("\0diagnose");
    ctx.progress.start("diagnose", samples);
    let mut draws: Vec<(u64, u64, u64)> = Vec::with_capacity(samples as usize);
    let mut start = 0u64;
    while start < samples {
        ctx.check()?;
        let end = (start + 16_384).min(samples);
        let part: Vec<(u64, u64, u64)> = (start..end)
            .into_par_iter()
            .map_init(
                || Scratch::new(pb),
                |sc, i| {
                    let mut rng = rng_for(seed, stream, i, 0);
                    sc.init_random(pb, &mut rng);
                    (sc.tot_p, sc.tot_q, sc.pairs)
                },
            )
            .collect();
        draws.extend(part);
        ctx.progress.advance(end - start);
        start = end;
    }
    ctx.progress.finish();
    Ok(draws)
}

/// Rounds away float noise so bounds print as written (0.3, not 0.30000000000000004).
fn tidy(v: f64) -> f64 {
    // `+ 0.0` turns -0 into 0.
    ((v * 1e9).round() / 1e9).clamp(0.0, 1.0) + 0.0
}

fn floor_to(v: f64, step: f64) -> f64 {
    tidy((v / step + 1e-9).floor() * step).min(v.max(0.0))
}

fn ceil_to(v: f64, step: f64) -> f64 {
    tidy((v / step - 1e-9).ceil() * step).max(v.min(1.0))
}

const STEP: f64 = 0.001;
const WIDEN: f64 = 0.005;

/// A cut on one axis: the upper box starts at `at`, the lower one ends at
/// `at − step`. Never 0, so the upper box needs a positive fraction.
#[derive(Debug, Clone, Copy)]
struct Cut {
    at: f64,
    step: f64,
    /// Lowest value the cut may move to (keeps it positive).
    min: f64,
}

impl Cut {
    fn new(v: f64, values: &[f64]) -> Cut {
        let min_pos = values
            .iter()
            .copied()
            .filter(|&x| x > 0.0)
            .fold(f64::INFINITY, f64::min);
        // The fewest decimals (3 to 9) that keep the smallest positive value positive.
        let mut step = STEP;
        let mut min = STEP;
        if min_pos.is_finite() {
            while floor_to(min_pos, step) == 0.0 && step > 1e-9 {
                step /= 10.0;
            }
            min = floor_to(min_pos, step).max(step);
        }
        let at = floor_to(v, step);
        Cut {
            at: if at > 0.0 { at } else { min },
            step,
            min,
        }
    }
    fn below(&self) -> f64 {
        tidy(self.at - self.step)
    }
}

/// The three boxes as adjustable bounds; see the module docs.
struct Suggestion {
    a: Cut,
    b: Cut,
    pos_neg_hi: f64,
    avg_pos_lo: f64,
    avg_neg_lo: f64,
    neg_pos_hi: f64,
}

type Box2 = ((f64, f64), (f64, f64));

impl Suggestion {
    fn boxes(&self) -> [Box2; 3] {
        let (ah, bh) = (self.a.below(), self.b.below());
        [
            ((self.a.at, 1.0), (0.0, self.pos_neg_hi.min(bh))),
            ((self.avg_pos_lo.min(ah), ah), (self.avg_neg_lo.min(bh), bh)),
            ((0.0, self.neg_pos_hi), (self.b.at, 1.0)),
        ]
    }

    /// Grows box `i` by one step; false when it cannot grow.
    fn widen(&mut self, i: usize) -> bool {
        let [_, avg, _] = self.boxes();
        match i {
            0 if self.pos_neg_hi < self.b.below() => {
                self.pos_neg_hi = tidy(self.pos_neg_hi + WIDEN).min(self.b.below());
            }
            0 if self.a.at - WIDEN > avg.0.0 + self.a.step => self.a.at = tidy(self.a.at - WIDEN),
            1 if avg.0.0 > 0.0 || avg.1.0 > 0.0 => {
                self.avg_pos_lo = tidy(avg.0.0 - WIDEN);
                self.avg_neg_lo = tidy(avg.1.0 - WIDEN);
            }
            1 if self.a.at + WIDEN <= 1.0 || self.b.at + WIDEN <= 1.0 => {
                self.a.at = tidy(self.a.at + WIDEN).max(self.a.at);
                self.b.at = tidy(self.b.at + WIDEN).max(self.b.at);
            }
            2 if self.neg_pos_hi < 1.0 => self.neg_pos_hi = tidy(self.neg_pos_hi + WIDEN),
            2 if self.b.at - WIDEN >= self.b.min => self.b.at = tidy(self.b.at - WIDEN),
            _ => return false,
        }
        true
    }
}

fn suggest_boxes(
    pos: &FractionStats,
    neg: &FractionStats,
    fr: &[(f64, f64)],
) -> Vec<SuggestedLabel> {
    let xs: Vec<f64> = fr.iter().map(|f| f.0).collect();
    let ys: Vec<f64> = fr.iter().map(|f| f.1).collect();
    let a = Cut::new(pos.p75, &xs);
    let b = Cut::new(neg.p75, &ys);
    // A lower bound above its box's top falls to the largest drawn value below it.
    let lo_under = |v: f64, hi: f64, vals: &[f64]| {
        let lo = floor_to(v, STEP);
        if lo <= hi {
            return lo;
        }
        let below = vals
            .iter()
            .copied()
            .filter(|&x| x <= hi)
            .fold(0.0, f64::max);
        floor_to(below, STEP).min(hi)
    };
    let mut s = Suggestion {
        a,
        b,
        pos_neg_hi: ceil_to(neg.p50, STEP),
        avg_pos_lo: lo_under(pos.p25, a.below(), &xs),
        avg_neg_lo: lo_under(neg.p25, b.below(), &ys),
        neg_pos_hi: ceil_to(pos.p50, STEP),
    };
    let need = ((fr.len() as f64 * 0.005).ceil() as usize).max(1);
    let hits = |bx: &Box2| {
        fr.iter()
            .filter(|&&(x, y)| bx.0.0 <= x && x <= bx.0.1 && bx.1.0 <= y && y <= bx.1.1)
            .count()
    };
    for _ in 0..600 {
        let short = s.boxes().iter().position(|bx| hits(bx) < need);
        match short {
            Some(i) if s.widen(i) => {}
            _ => break,
        }
    }
    s.boxes()
        .iter()
        .zip(["pos", "avg", "neg"])
        .map(|(bx, name)| SuggestedLabel {
            name: name.to_string(),
            pos: bx.0,
            neg: bx.1,
            hit_rate: hits(bx) as f64 / fr.len() as f64,
        })
        .collect()
}

/// Number of histogram bins: 0.05 wide over [0, 1].
pub const HISTOGRAM_BINS: usize = 20;

/// Fixed bins `[0, 0.05), [0.05, 0.1), ..., [0.95, 1]` (empty ones included).
fn histogram(fr: &[(f64, f64)]) -> Histogram {
    let edges: Vec<f64> = (0..=HISTOGRAM_BINS)
        .map(|i| tidy(i as f64 / HISTOGRAM_BINS as f64))
        .collect();
    let bin = |x: f64| {
        ((x * HISTOGRAM_BINS as f64 + 1e-9).floor().max(0.0) as usize).min(HISTOGRAM_BINS - 1)
    };
    let mut pos = vec![0u64; HISTOGRAM_BINS];
    let mut neg = vec![0u64; HISTOGRAM_BINS];
    for &(x, y) in fr {
        pos[bin(x)] += 1;
        neg[bin(y)] += 1;
    }
    Histogram { edges, pos, neg }
}
