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
//! With `Pk` = k-th percentile of pos_frac and `Nk` of neg_frac:
//! * `pos`: pos_frac in `[P75, 1]`,   neg_frac in `[0, N50]`
//! * `avg`: pos_frac in `[P25, P75]`, neg_frac in `[N25, N75]`
//! * `neg`: pos_frac in `[0, P50]`,   neg_frac in `[N75, 1]`
//!
//! Bounds are rounded outward to 3 decimals (what is shown is what holds).
//! Each box is then checked against the drawn sets: while fewer than
//! `max(1, 0.5 %)` of them fall inside it, every inner bound is moved outward
//! by 0.005. A box that random draws already hit is one the annealer fills
//! (it starts from exactly such draws), which makes the suggestion feasible
//! for SAMPLE with the same TYPES. `hit_rate` reports the share inside.
//!
//! Percentiles use linear interpolation between order statistics (numpy's
//! default). Each draw `i` uses its own RNG `(seed, "diagnose", i)`, so the
//! report is identical for any thread count.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sample::{
    LabelSpec, Params, Problem, Scratch, TypeQuota, resolve_types, rng_for, stream_id,
};
use crate::store::ObjRef;
use crate::{Ctx, Engine, Error, Result, SignedGraph};

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
    /// `LABEL <name> COUNT <count> WHERE pos_frac IN [..] AND neg_frac IN [..]`.
    pub fn clause(&self, count: u64) -> String {
        format!(
            "LABEL {} COUNT {count} WHERE pos_frac IN [{}, {}] AND neg_frac IN [{}, {}]",
            self.name, self.pos.0, self.pos.1, self.neg.0, self.neg.1
        )
    }
}

/// Histogram of pos_frac and neg_frac over shared bins: bin `i` is
/// `[edges[i], edges[i+1])` (the last bin is closed).
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

impl DiagnoseReport {
    /// `(metric, stats)` for pos_frac, neg_frac and absent_frac, in that order
    /// (the rows of DIAGNOSE's answer table).
    pub fn metrics(&self) -> [(&'static str, FractionStats); 3] {
        [
            ("pos_frac", self.pos),
            ("neg_frac", self.neg),
            ("absent_frac", self.absent),
        ]
    }
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
        return Err(Error::invalid_hint(
            format!("DIAGNOSE SAMPLES {samples}: must be between 1 and {MAX_SAMPLES}"),
            "e.g. SAMPLES 4000",
        ));
    }
    let slots = resolve_types(g, types)?;
    let params = Params {
        max_iters: 1,
        start_temp: 1.0,
        end_temp: 1.0,
        patience: 0,
        proposals_per_step: 1,
        soft_weight: 0.0,
        resize_moves: false,
        retries: 0,
    };
    let pb = Problem::new(g, slots, Vec::new(), params);
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
                || Scratch::new(&pb),
                |sc, i| {
                    let mut rng = rng_for(seed, stream, i, 0);
                    sc.init_random(&pb, &mut rng);
                    (sc.tot_p, sc.tot_q, sc.pairs)
                },
            )
            .collect();
        draws.extend(part);
        ctx.progress.advance(end - start);
        start = end;
    }
    ctx.progress.finish();

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

    let suggested = vec![
        suggest("pos", (pos.p75, 1.0), (0.0, neg.p50), &fr),
        suggest("avg", (pos.p25, pos.p75), (neg.p25, neg.p75), &fr),
        suggest("neg", (0.0, pos.p50), (neg.p75, 1.0), &fr),
    ];
    let histogram = histogram(&fr, pos.min.min(neg.min), pos.max.max(neg.max));
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

fn round_out(lo: f64, hi: f64) -> (f64, f64) {
    (
        ((lo * 1000.0).floor() / 1000.0).clamp(0.0, 1.0),
        ((hi * 1000.0).ceil() / 1000.0).clamp(0.0, 1.0),
    )
}

fn suggest(name: &str, pos: (f64, f64), neg: (f64, f64), fr: &[(f64, f64)]) -> SuggestedLabel {
    let need = ((fr.len() as f64 * 0.005).ceil() as usize).max(1);
    let (mut pos, mut neg) = (round_out(pos.0, pos.1), round_out(neg.0, neg.1));
    let inside = |pos: (f64, f64), neg: (f64, f64)| {
        fr.iter()
            .filter(|&&(x, y)| pos.0 <= x && x <= pos.1 && neg.0 <= y && y <= neg.1)
            .count()
    };
    let mut hits = inside(pos, neg);
    let mut guard = 0;
    while hits < need && guard < 400 {
        let widen = |(lo, hi): (f64, f64)| {
            (
                (((lo - 0.005) * 1000.0).round() / 1000.0).max(0.0),
                (((hi + 0.005) * 1000.0).round() / 1000.0).min(1.0),
            )
        };
        pos = widen(pos);
        neg = widen(neg);
        hits = inside(pos, neg);
        guard += 1;
    }
    SuggestedLabel {
        name: name.to_string(),
        pos,
        neg,
        hit_rate: hits as f64 / fr.len() as f64,
    }
}

fn histogram(fr: &[(f64, f64)], min: f64, max: f64) -> Histogram {
    const WIDTHS: [f64; 9] = [0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.125, 0.2, 0.25];
    let mut w = 0.25;
    let (mut lo, mut bins) = (0.0, 4usize);
    for cand in WIDTHS {
        let l = (min / cand).floor() * cand;
        let h = ((max / cand).ceil() * cand).max(l + cand);
        let b = ((h - l) / cand).round() as usize;
        if b <= 20 {
            w = cand;
            lo = l;
            bins = b.max(1);
            break;
        }
    }
    let edges: Vec<f64> = (0..=bins)
        .map(|i| ((lo + i as f64 * w) * 1e6).round() / 1e6)
        .collect();
    let bin = |x: f64| (((x - lo) / w).floor().max(0.0) as usize).min(bins - 1);
    let mut pos = vec![0u64; bins];
    let mut neg = vec![0u64; bins];
    for &(x, y) in fr {
        pos[bin(x)] += 1;
        neg[bin(y)] += 1;
    }
    Histogram { edges, pos, neg }
}

impl Engine {
    /// `DIAGNOSE graph TYPES (...) SAMPLES n SEED s` (read-only).
    pub fn diagnose(
        &self,
        graph: &ObjRef,
        types: &[TypeQuota],
        samples: u64,
        seed: u64,
        ctx: &Ctx,
    ) -> Result<DiagnoseReport> {
        let (_, g) = self.graph(graph)?;
        diagnose(&g, types, samples, seed, ctx)
    }
}
