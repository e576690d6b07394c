//! DIAGNOSE, SAMPLE, EXPORT DATASET, DESCRIBE DATASET.

use std::path::Path;

use valence_engine::{
    Ctx, DatasetFormat, DiagnoseReport, Engine, LabelSpec, SampleOptions, SampleReport, SampleSpec,
    TypeQuota,
};

use super::at;
use super::opts::Opts;
use crate::ast::{Diagnose, FracMetric, Sample, Statement, StatementKind, TypeRange};
use crate::error::{DslError, Result};
use crate::table::{QueryResult, Table, Value};

/// Default `SAMPLES` of DIAGNOSE (the report's 7.3 run).
const DIAGNOSE_SAMPLES: u64 = 4000;

pub(crate) fn execute(e: &Engine, stmt: &Statement, ctx: &Ctx) -> Result<QueryResult> {
    let title = stmt.kind.title();
    let tables = match &stmt.kind {
        StatementKind::Diagnose(d) => diagnose(e, d, ctx)?,
        StatementKind::Sample(s) => sample(e, stmt, s, ctx)?,
        StatementKind::ExportDataset {
            dataset,
            path,
            format,
        } => {
            let fmt = match format {
                None => DatasetFormat::Jsonl,
                Some(f) => DatasetFormat::parse(&f.node).map_err(at(f.span))?,
            };
            let (v, n) = e
                .export_dataset(&dataset.node, Path::new(&path.node), fmt)
                .map_err(|err| match err {
                    valence_engine::Error::NotFound { .. } => DslError::engine(err, dataset.span),
                    _ => DslError::engine(err, path.span),
                })?;
            let mut t = Table::new(&["dataset", "version", "path", "format", "rows"]);
            t.push(vec![
                dataset.node.name.clone().into(),
                v.into(),
                path.node.clone().into(),
                format!("{fmt:?}").to_lowercase().into(),
                n.into(),
            ]);
            vec![t]
        }
        _ => return Err(super::not_implemented(stmt)),
    };
    Ok(QueryResult::new(title, tables))
}

fn quotas(types: &[TypeRange]) -> Vec<TypeQuota> {
    types
        .iter()
        .map(|t| TypeQuota::new(t.modality.node.clone(), t.min, t.max))
        .collect()
}

/// Points an engine error about a modality at that modality's TYPES entry.
fn types_error(
    err: valence_engine::Error,
    types: &[TypeRange],
    fallback: crate::ast::Span,
) -> DslError {
    let msg = err.to_string();
    let span = types
        .iter()
        .find(|t| msg.contains(&format!("'{}'", t.modality.node)))
        .map(|t| t.span)
        .unwrap_or(fallback);
    DslError::engine(err, span)
}

fn diagnose(e: &Engine, d: &Diagnose, ctx: &Ctx) -> Result<Vec<Table>> {
    Opts::new(&d.options, &[], "DIAGNOSE")?;
    let samples = d.samples.as_ref().map_or(DIAGNOSE_SAMPLES, |s| s.node);
    let seed = d.seed.as_ref().map_or(0, |s| s.node);
    e.graph(&d.graph.node).map_err(at(d.graph.span))?;
    let rep = e
        .diagnose(&d.graph.node, &quotas(&d.types), samples, seed, ctx)
        .map_err(|err| match (&err, &d.samples) {
            (valence_engine::Error::Invalid { message, .. }, Some(s))
                if message.contains("SAMPLES") =>
            {
                DslError::engine(err, s.span)
            }
            _ => types_error(err, &d.types, d.graph.span),
        })?;
    Ok(diagnose_tables(&rep))
}

/// DIAGNOSE's answer: the percentile table, the suggested boxes, the histogram.
pub(crate) fn diagnose_tables(rep: &DiagnoseReport) -> Vec<Table> {
    let mut t = Table::new(&["metric", "mean", "p5", "p25", "p50", "p75", "p95"]);
    for (name, s) in rep.metrics() {
        t.push(vec![
            name.into(),
            s.mean.into(),
            s.p5.into(),
            s.p25.into(),
            s.p50.into(),
            s.p75.into(),
            s.p95.into(),
        ]);
    }
    let mut b = Table::new(&[
        "label", "pos_min", "pos_max", "neg_min", "neg_max", "inside", "clause",
    ])
    .titled(format!(
        "suggested label boxes ({} random sets, seed {}; inside = share of them in the box)",
        rep.samples, rep.seed
    ));
    for s in &rep.suggested {
        b.push(vec![
            s.name.clone().into(),
            s.pos.0.into(),
            s.pos.1.into(),
            s.neg.0.into(),
            s.neg.1.into(),
            s.hit_rate.into(),
            s.clause(0).replace(" COUNT 0", "").into(),
        ]);
    }
    let mut h =
        Table::new(&["from", "to", "pos_frac", "neg_frac"]).titled("histogram (sets per bin)");
    let hist = &rep.histogram;
    for i in 0..hist.pos.len() {
        h.push(vec![
            hist.edges[i].into(),
            hist.edges[i + 1].into(),
            hist.pos[i].into(),
            hist.neg[i].into(),
        ]);
    }
    vec![t, b, h]
}

fn options(o: &Opts<'_>) -> Result<SampleOptions> {
    let d = SampleOptions::default();
    let u32_of = |key: &str, v: u64| -> Result<u32> {
        u32::try_from(v).map_err(|_| {
            DslError::semantic(
                format!("option '{key}' = {v} is too large"),
                o.span(key).unwrap_or_default(),
            )
        })
    };
    Ok(SampleOptions {
        seed: o.u64("seed", d.seed)?,
        max_iters: u32_of("max_iters", o.positive("max_iters", d.max_iters as u64)?)?,
        start_temp: o.f64("start_temp", d.start_temp)?,
        end_temp: o.f64("end_temp", d.end_temp)?,
        patience: u32_of("patience", o.u64("patience", d.patience as u64)?)?,
        proposals_per_step: u32_of(
            "proposals_per_step",
            o.positive("proposals_per_step", d.proposals_per_step as u64)?,
        )?,
        distinct: o.bool("distinct", d.distinct)?,
        noise: o.f64_in("noise", d.noise, 0.0, 1.0)?,
        retries: u32_of("retries", o.u64("retries", d.retries as u64)?)?,
        soft_weight: o.f64("soft_weight", d.soft_weight)?,
        resize_moves: o.bool("resize_moves", d.resize_moves)?,
    })
}

fn sample(e: &Engine, stmt: &Statement, s: &Sample, ctx: &Ctx) -> Result<Vec<Table>> {
    let o = Opts::new(&s.options, SampleOptions::KEYS, "SAMPLE")?;
    let opts = options(&o)?;
    let labels = s
        .labels
        .iter()
        .map(|l| {
            let mut spec = LabelSpec::new(l.name.node.clone(), l.count);
            for c in &l.conditions {
                match c.metric {
                    FracMetric::Pos => spec.pos = (c.lo, c.hi),
                    FracMetric::Neg => spec.neg = (c.lo, c.hi),
                }
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
        options: opts,
    };
    // Graph-independent checks first, pointing at the offending clause.
    spec.validate().map_err(|err| span_for(err, s, stmt))?;
    let (w, rep) = e
        .sample(&s.graph.node, &spec, &s.into.node, &stmt.text, ctx)
        .map_err(|err| match err {
            valence_engine::Error::NotFound { .. } => DslError::engine(err, s.graph.span),
            _ => span_for(err, s, stmt),
        })?;
    Ok(sample_tables(&w.name, w.version, &rep))
}

/// Points an engine error at the label, modality pair or TYPES entry it names.
fn span_for(err: valence_engine::Error, s: &Sample, stmt: &Statement) -> DslError {
    let msg = err.to_string();
    if let Some(l) = s
        .labels
        .iter()
        .find(|l| msg.contains(&format!("label '{}'", l.name.node)))
    {
        return DslError::engine(err, l.span);
    }
    if msg.contains("FAVOUR/AVOID")
        && let Some(p) = s.favour.iter().chain(&s.avoid).find(|p| {
            msg.contains(&format!("'{}'", p.node.0)) || msg.contains(&format!("'{}'", p.node.1))
        })
    {
        return DslError::engine(err, p.span);
    }
    if msg.contains("option")
        && let Some(k) = SampleOptions::KEYS.iter().find(|k| msg.contains(*k))
        && let Some(kv) = s.options.iter().find(|kv| kv.key.node == *k)
    {
        return DslError::engine(err, kv.value.span);
    }
    types_error(err, &s.types, stmt.span)
}

fn sample_tables(name: &str, version: u32, rep: &SampleReport) -> Vec<Table> {
    let mut t = Table::new(&[
        "dataset",
        "version",
        "rows",
        "labels",
        "in_range",
        "relabelled",
    ]);
    let inr = rep
        .labels
        .iter()
        .map(|l| l.in_range_rate * l.count as f64)
        .sum::<f64>()
        / rep.rows.max(1) as f64;
    t.push(vec![
        name.into(),
        version.into(),
        rep.rows.into(),
        rep.labels.len().into(),
        inr.into(),
        rep.relabelled.into(),
    ]);
    vec![t, label_table(&rep.labels)]
}

fn label_table(labels: &[valence_engine::LabelReport]) -> Table {
    let mut l = Table::new(&[
        "label",
        "count",
        "pos_frac",
        "neg_frac",
        "mean_pos_frac",
        "mean_neg_frac",
        "mean_deviation",
        "in_range",
        "mean_steps",
    ])
    .titled("per label");
    for r in labels {
        l.push(vec![
            r.label.clone().into(),
            r.count.into(),
            format!("[{}, {}]", r.pos.0, r.pos.1).into(),
            format!("[{}, {}]", r.neg.0, r.neg.1).into(),
            r.mean_pos_frac.into(),
            r.mean_neg_frac.into(),
            r.mean_deviation.into(),
            r.in_range_rate.into(),
            r.mean_steps.into(),
        ]);
    }
    l
}

/// DESCRIBE DATASET.
pub(crate) fn describe_dataset(
    e: &Engine,
    stmt: &Statement,
    target: &crate::ast::Ref,
    _ctx: &Ctx,
) -> Result<QueryResult> {
    let d = e.describe_dataset(&target.node).map_err(at(target.span))?;
    let mut types = Table::new(&["modality", "min", "max", "mean_per_row"]);
    for (q, mean) in &d.types {
        types.push(vec![
            q.modality.clone().into(),
            q.min.into(),
            q.max.into(),
            Value::Float(*mean),
        ]);
    }
    let mut labels = Table::new(&["label", "rows"]).titled("labels (after noise)");
    for (l, n) in &d.label_rows {
        labels.push(vec![l.clone().into(), (*n).into()]);
    }
    let mut tables = vec![types, labels];
    if !d.report.is_empty() {
        tables.push(label_table(&d.report).titled("sampling report"));
    }
    // Provenance, with the manifest details condensed to one line each (the
    // per-label constraints and report are the tables above).
    let mut m = d.manifest.clone();
    m.details = compact_details(&d.manifest.details);
    tables.push(super::objects::provenance(&d.name, d.version, &m));
    Ok(QueryResult::new(stmt.kind.title(), tables))
}

/// One-line values of a dataset manifest's details.
fn compact_details(details: &serde_json::Value) -> serde_json::Value {
    use serde_json::{Value as J, json};
    let text = |v: &J| match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = serde_json::Map::new();
    if let (Some(g), Some(v)) = (
        details["graph"]["name"].as_str(),
        details["graph"]["version"].as_u64(),
    ) {
        out.insert("graph".into(), json!(format!("{g}@{v}")));
    }
    for key in ["seed", "rows"] {
        if !details[key].is_null() {
            out.insert(key.into(), json!(text(&details[key])));
        }
    }
    for key in ["favour", "avoid"] {
        if let Some(pairs) = details[key].as_array().filter(|a| !a.is_empty()) {
            let list: Vec<String> = pairs
                .iter()
                .map(|p| format!("({}, {})", text(&p[0]), text(&p[1])))
                .collect();
            out.insert(key.into(), json!(list.join(", ")));
        }
    }
    if let Some(opts) = details["options"].as_object() {
        let list: Vec<String> = opts
            .iter()
            .map(|(k, v)| format!("{k} = {}", text(v)))
            .collect();
        out.insert("options".into(), json!(list.join(", ")));
    }
    if let Some(moves) = details["noise"]["moves"]
        .as_array()
        .filter(|a| !a.is_empty())
    {
        let list: Vec<String> = moves
            .iter()
            .map(|m| {
                format!(
                    "{} -> {}: {}",
                    text(&m["from"]),
                    text(&m["to"]),
                    text(&m["rows"])
                )
            })
            .collect();
        out.insert("noise".into(), json!(list.join(", ")));
    }
    J::Object(out)
}
