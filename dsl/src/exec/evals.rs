//! IMPORT EVALUATIONS, SHOW LEADERBOARD, SHOW EVALUATIONS, DROP EVALUATION.

use std::path::Path;

use valence_engine::{Engine, EvalRun, Leaderboard, LeaderboardQuery};

use super::at;
use crate::ast::{Board, Ref, Spanned, SplitClause};
use crate::error::Result;
use crate::table::{Table, Value};

pub(crate) fn import(e: &Engine, path: &Spanned<String>) -> Result<Vec<Table>> {
    let runs = e
        .import_evaluations(Path::new(&path.node))
        .map_err(at(path.span))?;
    let mut t = Table::new(&["run_id", "model", "dataset", "version", "metrics"]);
    for r in &runs {
        t.push(vec![
            r.run_id.clone().into(),
            r.model.clone().into(),
            r.dataset.clone().into(),
            r.version.into(),
            r.metrics.len().into(),
        ]);
    }
    Ok(vec![t])
}

/// The engine query a statement's filters ask for.
pub fn query_of(b: &Board) -> LeaderboardQuery {
    LeaderboardQuery {
        dataset: b
            .dataset
            .as_ref()
            .map(|d| (d.node.name.clone(), d.node.version)),
        metric: b.metric.as_ref().map(|m| m.node.clone()),
        ascending: b.ascending,
        tag: b
            .tag
            .as_ref()
            .map(|(k, v)| (k.node.clone(), v.node.clone())),
        model: None,
        limit: b.limit.map(|n| n as usize),
    }
}

pub(crate) fn leaderboard(
    e: &Engine,
    b: &Board,
    stmt_span: crate::ast::Span,
) -> Result<Vec<Table>> {
    let board = e.leaderboard(&query_of(b)).map_err(at(stmt_span))?;
    let title = match &board.metric {
        Some(m) => format!(
            "leaderboard by {m} ({})",
            if b.ascending {
                "lowest first"
            } else {
                "highest first"
            }
        ),
        None => "leaderboard (no metric)".to_string(),
    };
    Ok(vec![runs_table(&board, true).titled(title)])
}

pub(crate) fn evaluations(
    e: &Engine,
    b: &Board,
    stmt_span: crate::ast::Span,
) -> Result<Vec<Table>> {
    let mut q = query_of(b);
    let limit = q.limit.take();
    let mut board = e.leaderboard(&q).map_err(at(stmt_span))?;
    board
        .runs
        .sort_by(|a, b| b.created.cmp(&a.created).then(a.run_id.cmp(&b.run_id)));
    if let Some(n) = limit {
        board.runs.truncate(n);
    }
    Ok(vec![runs_table(&board, false)])
}

/// `EVALUATE BASELINE`: default split (train 0.8, test 0.2) seed 0.
pub(crate) fn baseline(e: &Engine, ds: &Ref, split: Option<&SplitClause>) -> Result<Vec<Table>> {
    let spec = match split {
        Some(s) => valence_engine::Split {
            parts: s
                .parts
                .iter()
                .map(|q| (q.name.node.clone(), q.fraction.node))
                .collect(),
            seed: s.seed.as_ref().map_or(0, |x| x.node),
        },
        None => valence_engine::Split::new(&[("train", 0.8), ("test", 0.2)]),
    };
    let span = split.map_or(ds.span, |s| s.span);
    let runs = e
        .evaluate_baseline(&ds.node, &spec)
        .map_err(|err| match err {
            valence_engine::Error::NotFound { .. } => at(ds.span)(err),
            other => at(span)(other),
        })?;
    let mut metrics: Vec<String> = runs
        .iter()
        .flat_map(|r| r.metrics.keys().cloned())
        .collect();
    metrics.sort();
    metrics.dedup();
    let board = Leaderboard {
        metric: None,
        metrics,
        runs,
    };
    Ok(vec![runs_table(&board, false)])
}

pub(crate) fn drop(e: &Engine, run_id: &Spanned<String>, if_exists: bool) -> Result<Vec<Table>> {
    let mut t = Table::new(&["run_id", "dropped"]);
    match e.drop_evaluation(&run_id.node) {
        Ok(()) => t.push(vec![run_id.node.clone().into(), true.into()]),
        Err(valence_engine::Error::NotFound { .. }) if if_exists => {
            t.push(vec![run_id.node.clone().into(), false.into()])
        }
        Err(err) => return Err(at(run_id.span)(err)),
    }
    Ok(vec![t])
}

/// rank?, model, the metrics (the ranking one first), split, params,
/// tags, dataset@version, created, run_id.
pub fn runs_table(board: &Leaderboard, ranked: bool) -> Table {
    let mut cols: Vec<&str> = Vec::new();
    if ranked {
        cols.push("rank");
    }
    cols.push("model");
    cols.extend(board.metrics.iter().map(String::as_str));
    cols.extend(["split", "params", "tags", "dataset", "created", "run_id"]);
    let mut t = Table::new(&cols);
    for (i, r) in board.runs.iter().enumerate() {
        let mut row: Vec<Value> = Vec::new();
        if ranked {
            row.push((i + 1).into());
        }
        row.push(r.model.clone().into());
        for m in &board.metrics {
            row.push(r.metrics.get(m).map_or(Value::Null, |v| Value::Float(*v)));
        }
        row.extend(tail(r));
        t.push(row);
    }
    t
}

fn tail(r: &EvalRun) -> Vec<Value> {
    let params = if r.params.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&r.params).unwrap_or_default()
    };
    let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    vec![
        r.split.clone().map_or(Value::Null, Value::Text),
        params.into(),
        tags.join(", ").into(),
        format!("{}@{}", r.dataset, r.version).into(),
        valence_engine::format_utc(r.created).into(),
        r.run_id.clone().into(),
    ]
}
