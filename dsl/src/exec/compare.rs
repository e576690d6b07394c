//! COMPARE GRAPH and CHECK GRAPH.
//!
//! `COMPARE GRAPH a WITH b [DETAIL]` answers one table: a `(all)` row, then
//! one row per relation (modality pair): edges of each graph, common edges,
//! agree / mismatch on them, `sign_agreement` (agree / common), `only_a`,
//! `only_b`, `recall_of_b` (common / edges of b) and `precision_vs_b`
//! (common / edges of a). With `DETAIL`, a second table lists every pair
//! whose sign differs.
//!
//! `CHECK GRAPH g AGAINST 'file.csv'` answers one row per expected class
//! (`+`, `-`, `?`) with how the graph labels those pairs, and an `obvious`
//! row with the accuracy on the `+`/`-` pairs; a second table lists the
//! obvious pairs the graph gets wrong.

use std::path::Path;

use valence_engine::{CheckRow, Ctx, Engine, GraphComparison};

use super::at;
use crate::ast::{Ref, Spanned, Statement};
use crate::error::{Places, Result};
use crate::table::{Table, Value};

/// `COMPARE GRAPH a WITH b [DETAIL]`.
pub(crate) fn compare_graphs(
    e: &Engine,
    stmt: &Statement,
    a: &Ref,
    b: &Ref,
    detail: bool,
    ctx: &Ctx,
) -> Result<Vec<Table>> {
    ctx.check().map_err(at(stmt.span))?;
    let GraphComparison {
        version_a: va,
        version_b: vb,
        comparison: c,
    } = e.compare_graphs(&a.node, &b.node).map_err(|err| {
        // The engine reads `a` first: if `a` reads, `b` is at fault.
        let at = if e.graph(&a.node).is_ok() {
            b.span
        } else {
            a.span
        };
        Places::new().object(at).error(err, at)
    })?;
    let mut t = Table::new(&[
        "rel",
        "edges_a",
        "edges_b",
        "common",
        "agree",
        "mismatch",
        "sign_agreement",
        "only_a",
        "only_b",
        "recall_of_b",
        "precision_vs_b",
    ])
    .titled(format!(
        "a = {}@{va}, b = {}@{vb}",
        a.node.name, b.node.name
    ));
    for r in std::iter::once(&c.total).chain(&c.by_rel) {
        t.push(vec![
            r.rel.clone().into(),
            r.edges_a.into(),
            r.edges_b.into(),
            r.common.into(),
            r.agree.into(),
            r.mismatch.into(),
            r.sign_agreement().map_or(Value::Null, Value::Float),
            r.only_a.into(),
            r.only_b.into(),
            r.recall_of_b().map_or(Value::Null, Value::Float),
            r.precision_vs_b().map_or(Value::Null, Value::Float),
        ]);
    }
    let mut tables = vec![t];
    if detail {
        let mut m = Table::new(&[
            "rel",
            "modality_1",
            "value_1",
            "modality_2",
            "value_2",
            "sign_a",
            "sign_b",
        ])
        .titled("mismatches");
        for x in &c.mismatches {
            m.push(vec![
                x.rel.clone().into(),
                x.modality_1.clone().into(),
                x.value_1.clone().into(),
                x.modality_2.clone().into(),
                x.value_2.clone().into(),
                x.sign_a.to_string().into(),
                x.sign_b.to_string().into(),
            ]);
        }
        tables.push(m);
    }
    Ok(tables)
}

/// `CHECK GRAPH g AGAINST 'file.csv'`.
pub(crate) fn check_graph(
    e: &Engine,
    stmt: &Statement,
    graph: &Ref,
    path: &Spanned<String>,
    ctx: &Ctx,
) -> Result<Vec<Table>> {
    ctx.check().map_err(at(stmt.span))?;
    let file = Path::new(&path.node);
    // Errors about the expectations file point at its path, others at the graph.
    let places = Places::new().object(graph.span).file(path.span);
    let (v, r) = e
        .check_graph(&graph.node, file)
        .map_err(|err| places.error(err, graph.span))?;
    let mut t = Table::new(&[
        "expected",
        "pairs",
        "got_pos",
        "got_neg",
        "got_none",
        "correct",
        "accuracy",
        "missing_nodes",
    ])
    .titled(format!("{}@{v} against {}", graph.node.name, path.node));
    for row in &r.rows {
        let obvious = row.expected != '?';
        t.push(vec![
            row.expected.to_string().into(),
            row.pairs.into(),
            row.got_pos.into(),
            row.got_neg.into(),
            row.got_none.into(),
            if obvious {
                row.correct().into()
            } else {
                Value::Null
            },
            if obvious && row.pairs > 0 {
                Value::Float(row.correct() as f64 / row.pairs as f64)
            } else {
                Value::Null
            },
            row.missing_nodes.into(),
        ]);
    }
    let sum = |f: fn(&CheckRow) -> u64| -> u64 {
        r.rows.iter().filter(|x| x.expected != '?').map(f).sum()
    };
    t.push(vec![
        "obvious".into(),
        r.obvious().into(),
        sum(|x| x.got_pos).into(),
        sum(|x| x.got_neg).into(),
        sum(|x| x.got_none).into(),
        r.correct().into(),
        r.accuracy().map_or(Value::Null, Value::Float),
        sum(|x| x.missing_nodes).into(),
    ]);
    let mut m = Table::new(&[
        "line",
        "source_modality",
        "source",
        "target_modality",
        "target",
        "expected",
        "got",
    ])
    .titled("obvious pairs the graph gets wrong");
    for x in &r.misses {
        m.push(vec![
            x.line.into(),
            x.source_modality.clone().into(),
            x.source.clone().into(),
            x.target_modality.clone().into(),
            x.target.clone().into(),
            x.expected.to_string().into(),
            x.got.to_string().into(),
        ]);
    }
    Ok(vec![t, m])
}
