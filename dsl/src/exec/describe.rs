//! DESCRIBE CATALOGUE, DESCRIBE GRAPH, DESCRIBE DATASET: the engine's typed
//! descriptions ([`Engine::describe_catalogue`], [`Engine::describe_graph`],
//! [`Engine::describe_dataset`]) as tables, each with its provenance.

use valence_engine::format_utc;
use valence_engine::{Engine, Kind, Manifest};

use super::at;
use super::sample::{label_report, quality};
use crate::ast::Ref;
use crate::error::Result;
use crate::table::{Table, Value};

/// `DESCRIBE kind target`.
pub(crate) fn describe(e: &Engine, kind: Kind, target: &Ref) -> Result<Vec<Table>> {
    match kind {
        Kind::Catalogue => describe_catalogue(e, target),
        Kind::Graph => describe_graph(e, target),
        Kind::Dataset => describe_dataset(e, target),
    }
}

/// The provenance section shared by every DESCRIBE.
fn provenance(name: &str, version: u32, m: &Manifest) -> Table {
    let mut t = Table::new(&["property", "value"]).titled("provenance");
    t.push(vec!["name".into(), format!("{name}@{version}").into()]);
    t.push(vec![
        "created".into(),
        format!("{} UTC", format_utc(m.created)).into(),
    ]);
    t.push(vec!["summary".into(), m.summary.clone().into()]);
    t.push(vec!["statement".into(), m.statement.clone().into()]);
    if !m.engine_version.is_empty() {
        t.push(vec![
            "engine".into(),
            format!("valence {}", m.engine_version).into(),
        ]);
    }
    if let serde_json::Value::Object(map) = &m.details {
        for (k, v) in map {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            t.push(vec![k.clone().into(), text.into()]);
        }
    }
    t
}

fn describe_catalogue(e: &Engine, target: &Ref) -> Result<Vec<Table>> {
    let d = e
        .describe_catalogue(&target.node)
        .map_err(at(target.span))?;
    let mut t = Table::new(&["modality", "attributes", "examples"]);
    for m in &d.modalities {
        let mut ex = m.examples.join(", ");
        if m.attributes > m.examples.len() {
            ex.push_str(", ...");
        }
        t.push(vec![m.name.clone().into(), m.attributes.into(), ex.into()]);
    }
    Ok(vec![
        t,
        provenance(&target.node.name, d.version, &d.manifest),
    ])
}

fn describe_graph(e: &Engine, target: &Ref) -> Result<Vec<Table>> {
    let d = e.describe_graph(&target.node).map_err(at(target.span))?;
    let mut nodes = Table::new(&["modality", "nodes", "pos_degree_mean", "neg_degree_mean"])
        .titled("nodes per modality");
    for m in &d.modalities {
        nodes.push(vec![
            m.name.clone().into(),
            m.nodes.into(),
            Value::Float(m.pos_degree_mean),
            Value::Float(m.neg_degree_mean),
        ]);
    }
    let mut rels =
        Table::new(&["rel", "positive", "negative", "pairs", "density"]).titled("edges per rel");
    for r in &d.rels {
        rels.push(vec![
            r.rel().into(),
            r.pos.into(),
            r.neg.into(),
            r.pairs.into(),
            Value::Float(r.density()),
        ]);
    }
    rels.push(vec![
        "(all)".into(),
        d.total_pos.into(),
        d.total_neg.into(),
        d.total_pairs.into(),
        Value::Float(d.total_density()),
    ]);
    Ok(vec![
        nodes,
        rels,
        provenance(&target.node.name, d.version, &d.manifest),
    ])
}

/// DESCRIBE DATASET.
fn describe_dataset(e: &Engine, target: &Ref) -> Result<Vec<Table>> {
    let d = e.describe_dataset(&target.node).map_err(at(target.span))?;
    let mut types = Table::new(&["modality", "min", "max", "mean_per_row"]).titled("types");
    for (q, mean) in &d.types {
        types.push(vec![
            q.modality.clone().into(),
            q.min.into(),
            q.max.into(),
            Value::Float(*mean),
        ]);
    }
    let mut labels = label_report(&d.report);
    // Rows per label after noise relabelling, when it differs.
    if d.relabelled > 0 {
        labels = labels.titled(format!(
            "per-label report (as sampled; {} rows relabelled by noise)",
            d.relabelled
        ));
    }
    let prov = provenance(&target.node.name, d.version, &d.manifest);
    let mut head = Table::new(&["dataset", "version", "rows", "graph", "seed"]);
    head.push(vec![
        d.name.clone().into(),
        d.version.into(),
        d.rows.into(),
        d.graph.as_ref().map(|(g, v)| format!("{g}@{v}")).into(),
        d.seed.into(),
    ]);
    let mut out = vec![head, labels, types, quality(&d.quality), prov_short(prov)];
    if let Some(best) = best_runs(e, &d.name, d.version).map_err(at(target.span))? {
        out.push(best);
    }
    Ok(out)
}

/// The best evaluation run per metric on this exact version (highest
/// value; ties to the earlier run), when any run was recorded on it.
fn best_runs(e: &Engine, name: &str, version: u32) -> valence_engine::Result<Option<Table>> {
    let q = valence_engine::LeaderboardQuery {
        dataset: Some((name.to_string(), Some(version))),
        ..Default::default()
    };
    let all = e.leaderboard(&q)?;
    if all.runs.is_empty() {
        return Ok(None);
    }
    let mut t = Table::new(&["metric", "best", "model", "run_id", "runs"])
        .titled("best evaluation run per metric (SHOW LEADERBOARD for all)");
    for m in &all.metrics {
        let ranked = e.leaderboard(&valence_engine::LeaderboardQuery {
            metric: Some(m.clone()),
            ..q.clone()
        })?;
        let with: Vec<_> = ranked
            .runs
            .iter()
            .filter(|r| r.metrics.contains_key(m))
            .collect();
        if let Some(r) = with.first() {
            t.push(vec![
                m.clone().into(),
                Value::Float(r.metrics[m]),
                r.model.clone().into(),
                r.run_id.clone().into(),
                with.len().into(),
            ]);
        }
    }
    Ok(Some(t))
}

/// The provenance table without the bulky JSON details already shown above.
fn prov_short(mut t: Table) -> Table {
    t.rows.retain(|r| {
        !matches!(
            r.first().and_then(|v| v.as_str()),
            Some(
                "report"
                    | "labels"
                    | "types"
                    | "options"
                    | "noise"
                    | "favour"
                    | "avoid"
                    | "graph"
                    | "rows"
                    | "total"
                    | "seed"
            )
        )
    });
    t
}
