//! DIAGNOSE and SAMPLE (and the per-label and quality tables DESCRIBE
//! DATASET shows too).

use valence_engine::{Clause, Ctx, Engine, LabelSpec, SampleOptions, SampleSpec, TypeQuota};

use super::opts::Given;
use crate::ast::{Diagnose, FracMetric, Sample, Span, Statement, TypeRange};
use crate::error::{Places, Result};
use crate::options::{self, WithStatement};
use crate::table::{Table, Value};

/// Default number of random node sets DIAGNOSE draws.
pub const DEFAULT_DIAGNOSE_SAMPLES: u64 = 10_000;

/// `DIAGNOSE graph TYPES (...) [SAMPLES n] [SEED s]`.
pub(crate) fn diagnose(
    e: &Engine,
    stmt: &Statement,
    d: &Diagnose,
    ctx: &Ctx,
) -> Result<Vec<Table>> {
    Given::new(&d.options, WithStatement::Diagnose)?;
    let types = quotas(&d.types);
    let samples = d
        .samples
        .as_ref()
        .map(|s| s.node)
        .unwrap_or(DEFAULT_DIAGNOSE_SAMPLES);
    let seed = d.seed.as_ref().map(|s| s.node).unwrap_or(0);
    let places = Places::new()
        .object(d.graph.span)
        .modalities(modalities(&d.types))
        .clause(Clause::Samples, d.samples.as_ref().map(|x| x.span))
        .clause(Clause::Seed, d.seed.as_ref().map(|x| x.span));
    let r = e
        .diagnose(&d.graph.node, &types, samples, seed, ctx)
        .map_err(|err| places.error(err, stmt.span))?;
    Ok(diagnose_tables(&r))
}

/// `SAMPLE n FROM graph TYPES (...) LABEL ... [WITH (...)] INTO dataset`.
pub(crate) fn sample(e: &Engine, stmt: &Statement, s: &Sample, ctx: &Ctx) -> Result<Vec<Table>> {
    let mut options = SampleOptions::default();
    Given::new(&s.options, WithStatement::Sample)?.apply(options::SAMPLE, &mut options)?;
    let labels = s
        .labels
        .iter()
        .map(|l| {
            let mut spec = LabelSpec::new(l.name.node.clone(), l.count);
            for c in &l.conditions {
                spec = match c.metric {
                    FracMetric::Pos => spec.pos(c.lo, c.hi),
                    FracMetric::Neg => spec.neg(c.lo, c.hi),
                };
            }
            spec
        })
        .collect();
    let spec = SampleSpec {
        total: s.total.node,
        types: quotas(&s.types),
        labels,
        favour: s.favour.iter().map(|p| p.node.clone()).collect(),
        avoid: s.avoid.iter().map(|p| p.node.clone()).collect(),
        options,
    };
    let places = Places::new()
        .object(s.graph.span)
        .modalities(modalities(&s.types))
        .labels(s.labels.iter().map(|l| (l.name.node.as_str(), l.span)))
        .options(
            s.options
                .iter()
                .map(|o| (o.key.node.as_str(), o.value.span)),
        );
    let (w, r) = e
        .sample(&s.graph.node, &spec, &s.into.node, &stmt.text, ctx)
        .map_err(|err| places.error(err, stmt.span))?;
    let in_range: f64 = r
        .labels
        .iter()
        .map(|l| l.in_range_rate * l.count as f64)
        .sum::<f64>()
        / r.rows.max(1) as f64;
    let mut head = Table::new(&["dataset", "version", "rows", "in_range", "relabelled"]);
    head.push(vec![
        w.name.into(),
        w.version.into(),
        r.rows.into(),
        Value::Float(in_range),
        r.relabelled.into(),
    ]);
    let mut out = vec![head, label_report(&r.labels)];
    out.extend(r.quality.as_ref().map(quality));
    Ok(out)
}

fn quotas(types: &[TypeRange]) -> Vec<TypeQuota> {
    types
        .iter()
        .map(|t| TypeQuota::new(t.modality.node.clone(), t.min, t.max))
        .collect()
}

/// The TYPES entries by modality (where an error about a modality points).
fn modalities(types: &[TypeRange]) -> impl Iterator<Item = (&str, Span)> {
    types.iter().map(|t| (t.modality.node.as_str(), t.span))
}

fn diagnose_tables(r: &valence_engine::DiagnoseReport) -> Vec<Table> {
    let mut stats = Table::new(&["metric", "mean", "p5", "p25", "p50", "p75", "p95"]);
    for (name, s) in crate::reports::diagnose_metrics(r) {
        stats.push(vec![
            name.into(),
            Value::Float(s.mean),
            Value::Float(s.p5),
            Value::Float(s.p25),
            Value::Float(s.p50),
            Value::Float(s.p75),
            Value::Float(s.p95),
        ]);
    }
    let mut sugg =
        Table::new(&["label", "pos_frac", "neg_frac", "hit_rate", "clause"]).titled(format!(
            "suggested label bounds (from {} draws, seed {})",
            r.samples, r.seed
        ));
    for s in &r.suggested {
        sugg.push(vec![
            s.name.clone().into(),
            Value::Interval(s.pos.0, s.pos.1),
            Value::Interval(s.neg.0, s.neg.1),
            Value::Float(s.hit_rate),
            crate::reports::label_clause(s, "n").into(),
        ]);
    }
    vec![stats, sugg, histogram(&r.histogram)]
}

/// The histogram as a table with text bars (drawn in every output mode).
fn histogram(h: &valence_engine::Histogram) -> Table {
    const WIDTH: u64 = 30;
    let max = h
        .pos
        .iter()
        .chain(&h.neg)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let bar = |n: u64| {
        let w = (n * WIDTH).div_ceil(max);
        "█".repeat(w as usize)
    };
    let mut t = Table::new(&["bin", "pos_frac", "pos", "neg_frac", "neg"])
        .titled("histogram of pos_frac and neg_frac");
    for i in 0..h.pos.len() {
        let (lo, hi) = (h.edges[i], h.edges.get(i + 1).copied().unwrap_or(1.0));
        // Every bin is shown, empty ones too; the last is closed.
        let close = if i + 1 == h.pos.len() { ']' } else { ')' };
        t.push(vec![
            format!(
                "[{}, {}{close}",
                crate::format_float(lo),
                crate::format_float(hi)
            )
            .into(),
            h.pos[i].into(),
            bar(h.pos[i]).into(),
            h.neg[i].into(),
            bar(h.neg[i]).into(),
        ]);
    }
    t
}

/// The quality section: one figure per line (see the README).
pub(crate) fn quality(q: &valence_engine::Quality) -> Table {
    let mut t = Table::new(&["figure", "value"]).titled("quality");
    for (k, v) in crate::reports::quality_lines(q) {
        t.push(vec![k.into(), v.into()]);
    }
    t
}

pub(crate) fn label_report(labels: &[valence_engine::LabelReport]) -> Table {
    let mut t = Table::new(&[
        "label",
        "rows",
        "pos_frac",
        "neg_frac",
        "mean_pos_frac",
        "mean_neg_frac",
        "mean_deviation",
        "in_range",
        "mean_steps",
        "retried_rows",
        "escalated_rows",
    ])
    .titled("per-label report");
    for l in labels {
        t.push(vec![
            l.label.clone().into(),
            l.count.into(),
            Value::Interval(l.pos.0, l.pos.1),
            Value::Interval(l.neg.0, l.neg.1),
            Value::Float(l.mean_pos_frac),
            Value::Float(l.mean_neg_frac),
            Value::Float(l.mean_deviation),
            Value::Float(l.in_range_rate),
            Value::Float(l.mean_steps),
            l.retried_rows.into(),
            l.escalated_rows.into(),
        ]);
    }
    t
}
