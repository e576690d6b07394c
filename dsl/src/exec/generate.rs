//! GENERATE GRAPH and EXPLAIN GENERATE GRAPH.

use std::path::PathBuf;

use valence_engine::{BackendKind, ClusterOptions, Ctx, Engine, GenerateOptions, OptionError};

use super::opts::Given;
use crate::ast::{Generate, Span, Statement, Strategy};
use crate::error::{DslError, Result};
use crate::options::{self, WithStatement};
use crate::table::{Table, Value};

/// What the options are for: EXPLAIN makes no call, so it needs no backend
/// (nor the oracle's reference).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Run,
    Explain,
}

/// Checks that the options can run: the oracle needs a reference, the
/// openai backend a model. `at` is where an error about an option that was
/// not given points (the strategy).
fn check_purpose(o: &GenerateOptions, given: &Given<'_>, at: Span, purpose: Purpose) -> Result<()> {
    if purpose == Purpose::Run && o.backend == BackendKind::Oracle && o.reference.is_none() {
        return Err(DslError::semantic(
            "the oracle backend needs a reference graph",
            given.span("backend").unwrap_or(at),
        )
        .hint("add reference = 'path/to/edges.csv' (the oracle is an offline simulator answering from it), or use backend = 'openai'"));
    }
    if purpose == Purpose::Run
        && o.backend == BackendKind::OpenAi
        && valence_engine::resolve_model(&o.model).is_none()
    {
        let span = given.span("model").or(given.span("backend")).unwrap_or(at);
        return Err(DslError::engine(valence_engine::missing_model(), span));
    }
    Ok(())
}

/// An out-of-range option (the engine's own check), pointed at where it was
/// given (or, for a default the user did not write, at the strategy).
fn option_error<'a>(g: &Generate, given: &'a Given<'a>) -> impl Fn(OptionError) -> DslError + 'a {
    let at = g.strategy.span;
    move |e| {
        let span = given
            .span(e.option)
            .or_else(|| e.related.and_then(|r| given.span(r)))
            .unwrap_or(at);
        DslError::engine(e.error, span)
    }
}

fn brute_force_options(g: &Generate, purpose: Purpose) -> Result<GenerateOptions> {
    let given = Given::new(&g.options, WithStatement::GenerateBruteForce)?;
    let mut o = GenerateOptions::default();
    given.apply(options::GENERATE, &mut o)?;
    check_purpose(&o, &given, g.strategy.span, purpose)?;
    o.check().map_err(option_error(g, &given))?;
    Ok(o)
}

fn cluster_options(g: &Generate, purpose: Purpose) -> Result<ClusterOptions> {
    let given = Given::new(&g.options, WithStatement::GenerateCluster)?;
    let mut o = ClusterOptions::default();
    given.apply(options::GENERATE, &mut o.generate)?;
    check_purpose(&o.generate, &given, g.strategy.span, purpose)?;
    given.apply(options::CLUSTER, &mut o)?;
    o.check().map_err(option_error(g, &given))?;
    Ok(o)
}

/// A table from an engine (header, rows-of-text) pair; numeric cells typed.
fn text_table(header: Vec<String>, rows: Vec<Vec<String>>) -> Table {
    let cols: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&cols);
    for r in rows {
        t.push(
            r.into_iter()
                .map(|c| match c.parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(_) if c.is_empty() => Value::Null,
                    Err(_) => Value::Text(c),
                })
                .collect(),
        );
    }
    t
}

/// The requests that failed after their retries, if any.
fn failures_table(failures: &[String]) -> Option<Table> {
    if failures.is_empty() {
        return None;
    }
    let mut f = Table::new(&["failure"]).titled(
        "requests that failed after their retries (their pairs are unclassified; re-run to retry them)",
    );
    for m in failures {
        f.push(vec![m.clone().into()]);
    }
    Some(f)
}

/// Engine errors of a GENERATE: a missing catalogue points at its name, a
/// file that cannot be read at the option naming it (`reference`,
/// `prompt`), anything else at the statement.
fn gen_error(g: &Generate, stmt: &Statement) -> impl Fn(valence_engine::Error) -> DslError {
    let (cat, whole) = (g.catalogue.span, stmt.span);
    let files: Vec<(PathBuf, Span)> = ["reference", "prompt"]
        .iter()
        .filter_map(|k| {
            let o = g.options.iter().find(|o| o.key.node == *k)?;
            match &o.value.node {
                crate::ast::Literal::Str(p) => Some((PathBuf::from(p), o.value.span)),
                _ => None,
            }
        })
        .collect();
    move |err| {
        let file = match &err {
            valence_engine::Error::Io { path, .. } => Some(path),
            valence_engine::Error::Input { loc, .. } => Some(&loc.path),
            _ => None,
        };
        let span = match (&err, file) {
            (valence_engine::Error::NotFound { .. }, _) => cat,
            (_, Some(p)) => files
                .iter()
                .find(|(f, _)| f == p)
                .map(|(_, s)| *s)
                .unwrap_or(whole),
            _ => whole,
        };
        DslError::engine(err, span)
    }
}

/// `GENERATE GRAPH name FROM catalogue USING strategy [WITH (...)]`.
pub(crate) fn run(e: &Engine, stmt: &Statement, g: &Generate, ctx: &Ctx) -> Result<Vec<Table>> {
    match g.strategy.node {
        Strategy::BruteForce => {
            let o = brute_force_options(g, Purpose::Run)?;
            let (w, r) = e
                .generate_brute_force(&g.name.node, &g.catalogue.node, &o, &stmt.text, ctx)
                .map_err(gen_error(g, stmt))?;
            let t = Table::record(vec![
                ("graph", w.name.into()),
                ("version", w.version.into()),
                ("strategy", r.strategy.clone().into()),
                ("backend", r.backend.clone().into()),
                ("calls_made", r.calls_made.into()),
                ("calls_replayed", r.calls_replayed.into()),
                ("retries", r.retries.into()),
                ("failed_batches", r.failed_batches.into()),
                ("positive", r.edges_pos.into()),
                ("negative", r.edges_neg.into()),
                ("neutral_pairs", r.neutral_pairs.into()),
                ("calls_per_edge", Value::Float(r.calls_per_edge)),
                ("tokens_in", r.tokens_in.into()),
                ("tokens_out", r.tokens_out.into()),
                ("usd", usd(r.usd)),
                ("seconds", Value::Float(r.seconds)),
            ]);
            let mut tables = vec![t];
            tables.extend(failures_table(&r.failures));
            Ok(tables)
        }
        Strategy::Cluster => {
            let o = cluster_options(g, Purpose::Run)?;
            let (w, r) = e
                .generate_cluster(&g.name.node, &g.catalogue.node, &o, &stmt.text, ctx)
                .map_err(gen_error(g, stmt))?;
            let t = Table::record(vec![
                ("graph", w.name.into()),
                ("version", w.version.into()),
                ("strategy", r.strategy.clone().into()),
                ("backend", r.backend.clone().into()),
                ("chat_calls", r.chat_calls.into()),
                ("total_calls", r.total_calls.into()),
                ("pairs_discarded", r.pairs_discarded.into()),
                ("pairs_inherited", r.pairs_inherited.into()),
                ("pairs_classified", r.pairs_classified.into()),
                ("positive", r.edges_pos.into()),
                ("negative", r.edges_neg.into()),
                ("tokens_in", r.tokens_in.into()),
                ("tokens_out", r.tokens_out.into()),
                ("usd", usd(r.usd)),
                ("seconds", Value::Float(r.seconds)),
            ]);
            let (h, rows) = r.phase_table();
            let phases = text_table(h, rows).titled("calls per phase");
            let mut tables = vec![t, phases];
            tables.extend(failures_table(&r.failures));
            Ok(tables)
        }
    }
}

/// Dollars spent, or empty when no price is known.
fn usd(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Float)
}

/// `EXPLAIN GENERATE GRAPH ...`: the plan, no call made.
pub(crate) fn explain(e: &Engine, stmt: &Statement, g: &Generate) -> Result<Vec<Table>> {
    match g.strategy.node {
        Strategy::BruteForce => {
            let o = brute_force_options(g, Purpose::Explain)?;
            let plan = e
                .explain_brute_force(&g.catalogue.node, &o)
                .map_err(gen_error(g, stmt))?;
            let (header, rows) = plan.explain_table();
            Ok(vec![text_table(header, rows)])
        }
        Strategy::Cluster => {
            let o = cluster_options(g, Purpose::Explain)?;
            let plan = e
                .explain_cluster(&g.catalogue.node, &o)
                .map_err(gen_error(g, stmt))?;
            let (header, rows) = plan.explain_table();
            Ok(vec![text_table(header, rows)])
        }
    }
}
