//! LOAD CATALOGUE, IMPORT GRAPH, SHOW, DESCRIBE, DROP.

use std::path::Path;

use valence_engine::util::format_utc;
use valence_engine::{Ctx, Engine, Kind, Manifest};

use super::at;
use crate::ast::{Statement, StatementKind};
use crate::error::{DslError, Places, Result};
use crate::table::{QueryResult, Table, Value};

pub(crate) fn execute(e: &Engine, stmt: &Statement, ctx: &Ctx) -> Result<QueryResult> {
    let title = stmt.kind.title();
    let tables = match &stmt.kind {
        StatementKind::LoadCatalogue { name, path } => {
            let w = e
                .load_catalogue_with(&name.node, Path::new(&path.node), &stmt.text, ctx)
                .map_err(at(path.span))?;
            let (_, cat) = e
                .catalogue(&valence_engine::ObjRef::at(&w.name, w.version))
                .map_err(at(stmt.span))?;
            let mut t = Table::new(&["catalogue", "version", "modalities", "attributes"]);
            t.push(vec![
                w.name.into(),
                w.version.into(),
                cat.modalities().len().into(),
                cat.attributes().len().into(),
            ]);
            vec![t]
        }
        StatementKind::ImportGraph {
            name,
            path,
            catalogue,
        } => {
            let cref = catalogue.as_ref().map(|c| &c.node);
            // A missing or damaged catalogue: at its name; anything else: at the path.
            let mut places = Places::new().file(path.span);
            if let Some(c) = catalogue {
                places = places.object(c.span);
            }
            let (w, st) = e
                .import_graph_with(&name.node, Path::new(&path.node), cref, &stmt.text, ctx)
                .map_err(|err| places.error(err, path.span))?;
            let (_, g) = e
                .graph(&valence_engine::ObjRef::at(&w.name, w.version))
                .map_err(at(stmt.span))?;
            let mut t = Table::new(&[
                "graph",
                "version",
                "nodes",
                "positive",
                "negative",
                "neutral_dropped",
                "duplicates",
            ]);
            t.push(vec![
                w.name.into(),
                w.version.into(),
                g.node_count().into(),
                st.pos.into(),
                st.neg.into(),
                st.neutral.into(),
                st.duplicates.into(),
            ]);
            vec![t]
        }
        StatementKind::Show(kind) => {
            let list = e.list(*kind).map_err(at(stmt.span))?;
            let mut t = Table::new(&["name", "version", "versions", "created", "summary"]);
            for o in list {
                t.push(vec![
                    o.name.into(),
                    o.latest.into(),
                    o.versions.into(),
                    format_utc(o.manifest.created).into(),
                    o.manifest.summary.into(),
                ]);
            }
            vec![t]
        }
        StatementKind::ShowVersions { kind, name } => {
            let vs = e
                .store()
                .versions(*kind, &name.node)
                .map_err(at(name.span))?;
            if vs.is_empty() {
                return Err(DslError::engine(
                    valence_engine::Error::NotFound {
                        kind: kind.as_str(),
                        name: name.node.clone(),
                        hint: None,
                    },
                    name.span,
                ));
            }
            let mut t = Table::new(&["version", "created", "summary", "statement"]);
            for (v, m) in vs {
                t.push(vec![
                    v.into(),
                    format_utc(m.created).into(),
                    m.summary.into(),
                    m.statement.into(),
                ]);
            }
            vec![t]
        }
        StatementKind::Describe { kind, target } => match kind {
            Kind::Catalogue => describe_catalogue(e, target)?,
            Kind::Graph => describe_graph(e, target)?,
            Kind::Dataset => return super::sample::describe_dataset(e, stmt, target, ctx),
        },
        StatementKind::Drop {
            kind,
            target,
            if_exists,
        } => {
            let n = match e.drop_object(*kind, &target.node) {
                Ok(n) => n,
                Err(valence_engine::Error::NotFound { .. }) if *if_exists => 0,
                Err(err) => return Err(DslError::engine(err, target.span)),
            };
            let mut t = Table::new(&["dropped", "name", "versions"]);
            t.push(vec![
                kind.as_str().into(),
                target.node.to_string().into(),
                n.into(),
            ]);
            vec![t]
        }
        _ => return Err(super::not_implemented(stmt)),
    };
    Ok(QueryResult::new(title, tables))
}

/// The provenance section shared by every DESCRIBE.
pub(crate) fn provenance(name: &str, version: u32, m: &Manifest) -> Table {
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

fn describe_catalogue(e: &Engine, target: &crate::ast::Ref) -> Result<Vec<Table>> {
    let (v, cat) = e.catalogue(&target.node).map_err(at(target.span))?;
    let (_, m) = e
        .manifest(
            Kind::Catalogue,
            &valence_engine::ObjRef::at(&target.node.name, v),
        )
        .map_err(at(target.span))?;
    let mut t = Table::new(&["modality", "attributes", "examples"]);
    for (i, name) in cat.modalities().iter().enumerate() {
        let vals: Vec<&str> = cat
            .of_modality(i as u16)
            .map(|(_, a)| a.value.as_str())
            .collect();
        let mut ex = vals.iter().take(3).copied().collect::<Vec<_>>().join(", ");
        if vals.len() > 3 {
            ex.push_str(", ...");
        }
        t.push(vec![name.clone().into(), vals.len().into(), ex.into()]);
    }
    Ok(vec![t, provenance(&target.node.name, v, &m)])
}

fn describe_graph(e: &Engine, target: &crate::ast::Ref) -> Result<Vec<Table>> {
    let (v, g) = e.graph(&target.node).map_err(at(target.span))?;
    let (_, m) = e
        .manifest(
            Kind::Graph,
            &valence_engine::ObjRef::at(&target.node.name, v),
        )
        .map_err(at(target.span))?;
    let mut nodes = Table::new(&["modality", "nodes", "pos_degree_mean", "neg_degree_mean"])
        .titled("nodes per modality");
    for (i, name) in g.modalities().iter().enumerate() {
        let ids = g.nodes_of(i as u16);
        let n = ids.len().max(1) as f64;
        let pd: u64 = ids.iter().map(|&x| g.pos(x).len()).sum();
        let nd: u64 = ids.iter().map(|&x| g.neg(x).len()).sum();
        nodes.push(vec![
            name.clone().into(),
            ids.len().into(),
            Value::Float(pd as f64 / n),
            Value::Float(nd as f64 / n),
        ]);
    }
    let mut rels =
        Table::new(&["rel", "positive", "negative", "pairs", "density"]).titled("edges per rel");
    let (mut tp, mut tn) = (0u64, 0u64);
    for r in g.rel_stats() {
        tp += r.pos;
        tn += r.neg;
        rels.push(vec![
            r.rel().into(),
            r.pos.into(),
            r.neg.into(),
            r.pairs.into(),
            Value::Float(r.density()),
        ]);
    }
    let total = g.total_candidate_pairs();
    rels.push(vec![
        "(all)".into(),
        tp.into(),
        tn.into(),
        total.into(),
        Value::Float(if total == 0 {
            0.0
        } else {
            (tp + tn) as f64 / total as f64
        }),
    ]);
    Ok(vec![nodes, rels, provenance(&target.node.name, v, &m)])
}
