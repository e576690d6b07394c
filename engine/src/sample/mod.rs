//! SAMPLE: synthetic campaign rows drawn from a signed graph under type
//! quotas and per-label edge-fraction boxes (reference §5.2, §6.2, §8.2).
//!
//! # Algorithm
//! For each label, rows are produced in parallel (rayon), in chunks. Row `i`
//! of label `L` anneals from a random node set drawn with
//! `rng_for(seed, fnv1a(L), i, attempt)` (ChaCha8), so the dataset depends
//! only on the seed and the spec, never on the thread count.
//!
//! * **Start**: each modality's count uniform in its `[min, max]`, nodes
//!   uniform without replacement.
//! * **Moves**: swap one member for a free node of the same modality. With
//!   `resize_moves` (default on) one proposal in ten instead grows or shrinks a
//!   modality within its `[min, max]` (this biases counts slightly towards
//!   what the box favours; turn it off to keep counts exactly uniform among
//!   rows that start inside the box).
//! * **Step**: `proposals_per_step` random moves are evaluated incrementally;
//!   the best is accepted by the Metropolis rule at temperature
//!   `start_temp · (end_temp/start_temp)^(step/max_iters)`.
//! * **Region**: the label's box minus every other label's box (labels are
//!   disjoint; `boxes.rs`). A spec where a label has no room is refused
//!   before any work.
//! * **Energy** (edge units): `scale · d`, where `d` is the L1 distance of
//!   (pos_frac, neg_frac) to the label's box plus the depth inside any other
//!   label's box. See `anneal/`.
//! * **Mixing**: once inside its region, a row takes `mix_steps`
//!   Metropolis–Hastings steps that never leave it, so it is a draw of the
//!   natural distribution restricted to the region (tilted by
//!   `exp(soft_weight · S)` with FAVOUR/AVOID), not a point on its edge. A
//!   random start already inside needs no mixing without soft terms.
//! * **Retry**: a row still outside its box is redrawn from a fresh derived
//!   seed up to `retries` times.
//! * **Escalation** (tails): when at most one row in eight of a parallel run
//!   (or a single row) is still outside, each such row gets
//!   `anneal::ESCALATIONS` more attempts, with `max_iters` doubled each time
//!   and restarting from the closest set it reached, on seeds of their own.
//!   A row still outside then fails the statement naming the label, its box,
//!   the shortfall, the closest fractions reached, what was tried and the
//!   options that would help. Nothing is stored. Rows that landed without
//!   escalation are unchanged by it (same seeds, same steps).
//! * **Distinct** (default): a row whose node set equals an earlier row's
//!   (labels in spec order, rows in index order) is redrawn with the next
//!   `round` of seeds, up to 64 rounds.
//! * **Noise**: `round(noise · total)` rows chosen by the seed get a label
//!   drawn uniformly among the *other* labels; the dataset keeps both labels.
//! * **Order**: the stored rows are a seeded shuffle of all labels' rows.

mod anneal;
mod boxes;
mod dataset;
pub mod limits;
mod options;
mod quality;
mod spec;

use std::collections::HashSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::graph::NodeId;
use crate::{Code, Ctx, Error, Result, SignedGraph};

pub(crate) use anneal::{
    Params, Problem, Scratch, Slot, TargetBox, rng_for, stream_id, with_problem,
};
use dataset::SampledRow;
pub use dataset::{Dataset, DatasetDescription, DatasetRow};
pub use options::SampleOptions;
#[cfg(test)]
use quality::hugs_edge;
pub use quality::{Coverage, Predictive, Quality};
pub(crate) use spec::resolve_types;
pub use spec::{LabelSpec, SampleSpec, TypeQuota};

/// Per-label quality report (reference §6.2), computed on the rows as
/// sampled (before noise relabelling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelReport {
    pub label: String,
    pub count: u64,
    pub pos: (f64, f64),
    pub neg: (f64, f64),
    pub mean_pos_frac: f64,
    pub mean_neg_frac: f64,
    /// Mean L1 distance of (pos_frac, neg_frac) to the box (0 = all inside).
    pub mean_deviation: f64,
    /// Share of rows inside the box, 0..1.
    pub in_range_rate: f64,
    /// Steps per row (all attempts, annealing and in-box mixing): mean and maximum.
    pub mean_steps: f64,
    pub max_steps: u64,
    /// Rows that needed more than one attempt.
    pub retried_rows: u64,
    /// Tail rows that needed escalated attempts (longer runs from the
    /// closest set seen; absent in manifests written before them).
    #[serde(default)]
    pub escalated_rows: u64,
    /// Rows redrawn because they repeated an earlier row.
    pub duplicate_redraws: u64,
}

/// What SAMPLE reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleReport {
    pub rows: u64,
    pub labels: Vec<LabelReport>,
    /// Rows whose label was changed by `noise`.
    pub relabelled: u64,
    /// The dataset's health report (absent in manifests written before it).
    #[serde(default)]
    pub quality: Option<Quality>,
}

const MAX_DISTINCT_ROUNDS: u32 = 64;

/// Runs SAMPLE on a graph without a store (what benchmarks measure).
pub fn sample(g: &SignedGraph, spec: &SampleSpec, ctx: &Ctx) -> Result<(Dataset, SampleReport)> {
    spec.validate()?;
    limits::check_memory(spec)?;
    let slots = resolve_types(g, &spec.types)?;
    let k = slots.len();
    let mut weights = vec![0i32; k * k];
    let idx = |m: &str| spec.types.iter().position(|t| t.modality == m).unwrap_or(0);
    for (pairs, w) in [(&spec.favour, 1), (&spec.avoid, -1)] {
        for (a, b) in pairs {
            let (i, j) = (idx(a), idx(b));
            weights[i * k + j] += w;
            weights[j * k + i] += w;
        }
    }
    let mut seen: HashSet<u64, PreHashed> = HashSet::default();
    let mut rows: Vec<SampledRow> = Vec::with_capacity(spec.total.min(1 << 20) as usize);
    let mut reports = Vec::new();
    with_problem!(
        g.search_path(),
        g,
        slots,
        weights,
        spec.options.params(),
        |pb| {
            for li in 0..spec.labels.len() {
                reports.push(sample_label(pb, spec, li, &mut seen, &mut rows, ctx)?);
            }
        }
    );

    let total = rows.len();
    let (rows, emitted, flips) = relabel_and_shuffle(spec, rows);
    let ds = Dataset::build(g, spec, &rows, emitted);
    let quality = Quality::assess(&ds, &spec.labels);
    let report = SampleReport {
        rows: total as u64,
        labels: reports,
        relabelled: flips.min(total) as u64,
        quality: Some(quality),
    };
    Ok((ds, report))
}

/// Samples label `li`'s rows in chunks (in parallel within a chunk) into
/// `rows`, keeping them distinct against `seen` when asked; returns the
/// label's report.
fn sample_label<A: crate::graph::Adjacency>(
    pb: &Problem<'_, A>,
    spec: &SampleSpec,
    li: usize,
    seen: &mut HashSet<u64, PreHashed>,
    rows: &mut Vec<SampledRow>,
    ctx: &Ctx,
) -> Result<LabelReport> {
    let label = &spec.labels[li];
    let bx = TargetBox {
        pos: label.pos,
        neg: label.neg,
        excl: boxes::exclusions(&spec.labels, li),
        eps: 0.5 / pb.scale,
    };
    let (seed, stream) = (spec.options.seed, stream_id(&label.name));
    ctx.progress
        .start(&format!("sample {}", label.name), label.count);
    let mut rep = LabelReport {
        label: label.name.clone(),
        count: label.count,
        pos: label.pos,
        neg: label.neg,
        mean_pos_frac: 0.0,
        mean_neg_frac: 0.0,
        mean_deviation: 0.0,
        in_range_rate: 0.0,
        mean_steps: 0.0,
        max_steps: 0,
        retried_rows: 0,
        escalated_rows: 0,
        duplicate_redraws: 0,
    };
    let (mut sp, mut sn, mut sd, mut inr, mut ss) = (0.0, 0.0, 0.0, 0u64, 0u64);
    let run = |ids: &[u64], round: u32| -> Vec<anneal::RowOutcome> {
        let mut outs: Vec<anneal::RowOutcome> = ids
            .par_iter()
            .map_init(
                || Scratch::new(pb),
                |sc, &i| anneal::sample_row(pb, &bx, seed, stream, i, round, sc, ctx),
            )
            .collect();
        escalate_tail(pb, &bx, (seed, stream, round), ids, &mut outs, ctx);
        outs
    };
    let mut start = 0u64;
    let mut chunk = 256u64;
    while start < label.count {
        ctx.check()?;
        let end = (start + chunk).min(label.count);
        chunk = (chunk * 2).min(8192);
        let ids: Vec<u64> = (start..end).collect();
        let mut outs = run(&ids, 0);
        ctx.check()?;
        check_failures(spec, li, start, &ids, &outs)?;
        if spec.options.distinct {
            rep.duplicate_redraws += redraw_repeats(spec, li, &ids, &mut outs, seen, &run, ctx)?;
        }
        for o in outs {
            let (x, y) = anneal::fractions(o.pos_edges, o.neg_edges, o.pairs);
            let d = bx.distance(x, y);
            sp += x;
            sn += y;
            sd += d;
            inr += (d == 0.0) as u64;
            ss += o.steps;
            rep.max_steps = rep.max_steps.max(o.steps);
            rep.retried_rows += (o.attempts > 1) as u64;
            rep.escalated_rows += o.escalated as u64;
            rows.push(SampledRow {
                label: li as u16,
                nodes: o.nodes,
                pos_edges: o.pos_edges,
                neg_edges: o.neg_edges,
                pairs: o.pairs,
            });
        }
        ctx.progress.advance(end - start);
        start = end;
    }
    ctx.progress.finish();
    let n = label.count.max(1) as f64;
    rep.mean_pos_frac = sp / n;
    rep.mean_neg_frac = sn / n;
    rep.mean_deviation = sd / n;
    rep.in_range_rate = if label.count == 0 {
        1.0
    } else {
        inr as f64 / n
    };
    rep.mean_steps = ss as f64 / n;
    Ok(rep)
}

/// Redraws (with the next `round` of seeds) every row of `outs` whose node
/// set an earlier row already has, until all are new; returns how many
/// redraws it took. Fails naming the label after [`MAX_DISTINCT_ROUNDS`].
fn redraw_repeats(
    spec: &SampleSpec,
    li: usize,
    ids: &[u64],
    outs: &mut [anneal::RowOutcome],
    seen: &mut HashSet<u64, PreHashed>,
    run: &dyn Fn(&[u64], u32) -> Vec<anneal::RowOutcome>,
    ctx: &Ctx,
) -> Result<u64> {
    let label = &spec.labels[li];
    let mut redraws = 0;
    let mut redo: Vec<usize> = Vec::new();
    for (j, o) in outs.iter().enumerate() {
        if !seen.insert(set_hash(&o.nodes)) {
            redo.push(j);
        }
    }
    let mut round = 0;
    while !redo.is_empty() {
        round += 1;
        if round > MAX_DISTINCT_ROUNDS {
            return Err(Error::Sample {
                code: Code::LabelNotDistinct,
                label: label.name.clone(),
                message: format!(
                    "label '{}' ({}): cannot find {} distinct rows; redraws keep repeating earlier rows",
                    label.name,
                    label.box_text(),
                    label.count
                ),
                hint: Some(
                    "the box and TYPES admit too few distinct node sets: widen the box or TYPES, lower COUNT, or use WITH (distinct = false)".into(),
                ),
            });
        }
        redraws += redo.len() as u64;
        let rids: Vec<u64> = redo.iter().map(|&j| ids[j]).collect();
        let again = run(&rids, round);
        ctx.check()?;
        let filled = ids[0] + (ids.len() - rids.len()) as u64;
        check_failures(spec, li, filled, &rids, &again)?;
        let mut next = Vec::new();
        for (&j, o) in redo.iter().zip(again) {
            if seen.insert(set_hash(&o.nodes)) {
                let steps = outs[j].steps;
                outs[j] = o;
                outs[j].steps += steps;
            } else {
                outs[j].steps += o.steps;
                next.push(j);
            }
        }
        redo = next;
    }
    Ok(redraws)
}

/// Noise (relabel `round(noise · total)` rows chosen by the seed) and the
/// seeded shuffle of the stored order. Returns rows, emitted labels and the
/// number of relabelled rows.
fn relabel_and_shuffle(
    spec: &SampleSpec,
    rows: Vec<SampledRow>,
) -> (Vec<SampledRow>, Vec<u16>, usize) {
    let seed = spec.options.seed;
    let total = rows.len();
    // Noise: relabel round(noise · total) rows chosen by the seed.
    let mut emitted: Vec<u16> = rows.iter().map(|r| r.label).collect();
    let flips = (spec.options.noise * total as f64).round() as usize;
    if flips > 0 {
        let mut rng = rng_for(seed, stream_id("\0noise"), 0, 0);
        let mut order: Vec<u32> = (0..total as u32).collect();
        let nl = spec.labels.len() as u16;
        for i in 0..flips.min(total) {
            use rand::RngExt;
            let j = rng.random_range(i..total);
            order.swap(i, j);
            let r = order[i] as usize;
            let other = rng.random_range(0..nl - 1);
            emitted[r] = if other >= rows[r].label {
                other + 1
            } else {
                other
            };
        }
    }

    // Stored order: a seeded shuffle, so neither the label nor `noise` can
    // be read from a row's position.
    let mut order: Vec<u32> = (0..total as u32).collect();
    {
        use rand::RngExt;
        let mut rng = rng_for(seed, stream_id("\0shuffle"), 0, 0);
        for i in (1..total).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
    }
    let emitted: Vec<u16> = order.iter().map(|&i| emitted[i as usize]).collect();
    let mut at = vec![0u32; total];
    for (p, &i) in order.iter().enumerate() {
        at[i as usize] = p as u32;
    }
    let mut keyed: Vec<(u32, SampledRow)> = at.into_iter().zip(rows).collect();
    keyed.sort_unstable_by_key(|(p, _)| *p);
    let rows: Vec<SampledRow> = keyed.into_iter().map(|(_, r)| r).collect();

    (rows, emitted, flips)
}

/// Escalates the rows of one parallel run that missed their region when
/// they are a tail: at most an eighth of the run (or one row). A run where
/// more missed fails at once instead (check_failures): its box is out of
/// reach for this TYPES, and longer runs would only make the refusal slow.
fn escalate_tail<A: crate::graph::Adjacency>(
    pb: &Problem<'_, A>,
    bx: &TargetBox,
    (seed, stream, round): (u64, u64, u32),
    ids: &[u64],
    outs: &mut [anneal::RowOutcome],
    ctx: &Ctx,
) {
    let failed: Vec<usize> = (0..outs.len()).filter(|&j| !outs[j].ok).collect();
    if failed.is_empty() || failed.len() > (ids.len() / 8).max(1) || ctx.cancelled() {
        return;
    }
    let again: Vec<anneal::RowOutcome> = failed
        .par_iter()
        .map_init(
            || Scratch::new(pb),
            |sc, &j| anneal::escalate_row(pb, bx, (seed, stream, ids[j], round), &outs[j], sc, ctx),
        )
        .collect();
    for (j, o) in failed.into_iter().zip(again) {
        outs[j] = o;
    }
}

/// Fails the statement when rows of `outs` missed their region: the error
/// names the label and its box, the shortfall, the closest fractions reached,
/// what was tried and the options that would help.
fn check_failures(
    spec: &SampleSpec,
    li: usize,
    filled: u64,
    ids: &[u64],
    outs: &[anneal::RowOutcome],
) -> Result<()> {
    let label = &spec.labels[li];
    let failed = outs.iter().filter(|o| !o.ok).count();
    let Some((i, o)) = ids
        .iter()
        .zip(outs)
        .filter(|(_, o)| !o.ok)
        .min_by(|a, b| a.1.closest.2.total_cmp(&b.1.closest.2))
    else {
        return Ok(());
    };
    let others: Vec<String> = spec
        .labels
        .iter()
        .enumerate()
        .filter(|&(j, l)| j != li && boxes::overlaps(label, l))
        .map(|(_, l)| format!("label '{}' ({})", l.name, l.box_text()))
        .collect();
    let outside = if others.is_empty() {
        String::new()
    } else {
        format!(
            " outside the overlapping box of {} (labels are disjoint)",
            others.join(" and ")
        )
    };
    let o_ = &spec.options;
    let tried = if outs.iter().any(|o| o.escalated) {
        format!(
            "{} attempts of {} steps, then {} from the closest row with up to {} steps",
            o_.retries + 1,
            o_.max_iters,
            anneal::ESCALATIONS,
            o_.max_iters.saturating_mul(1 << anneal::ESCALATIONS)
        )
    } else {
        format!(
            "{} attempts of {} steps (not escalated: more than one row in eight missed)",
            o_.retries + 1,
            o_.max_iters
        )
    };
    Err(Error::Sample {
        code: Code::LabelUnfillable,
        label: label.name.clone(),
        message: format!(
            "label '{}' cannot be filled: {} of {} rows tried missed {}{outside} after {tried}; {} of its {} rows were filled (closest reached pos_frac = {:.4}, neg_frac = {:.4}, distance {:.4}, by row {i})",
            label.name,
            failed,
            outs.len(),
            label.box_text(),
            filled + (outs.len() - failed) as u64,
            label.count,
            o.closest.0,
            o.closest.1,
            o.closest.2
        ),
        hint: Some(format!(
            "widen the box to take in the closest fractions reached, or raise max_iters (now {}) or retries (now {}); DIAGNOSE with the same TYPES shows which fractions the graph offers",
            o_.max_iters, o_.retries
        )),
    })
}

/// The keys of the distinctness set are already hashes: pass them through.
#[derive(Default, Clone, Copy)]
struct PreHashed;

impl std::hash::BuildHasher for PreHashed {
    type Hasher = PassThrough;
    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Order-sensitive hash of a sorted node set (deterministic; no RandomState).
fn set_hash(nodes: &[(u16, NodeId)]) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ nodes.len() as u64;
    for &(_, n) in nodes {
        h ^= n as u64;
        h = h.wrapping_mul(0x100_0000_01b3).rotate_left(29) ^ 0xbf58_476d_1ce4_e5b9;
    }
    // splitmix64 finaliser: every bit of the key matters to the table index.
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod fidelity_tests;
#[cfg(test)]
mod subject_tests;
#[cfg(test)]
mod tests;
