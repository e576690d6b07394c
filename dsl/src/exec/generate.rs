//! GENERATE GRAPH and EXPLAIN GENERATE GRAPH.

use std::path::PathBuf;

use valence_engine::{
    BackendKind, CLUSTER_OPTIONS, ClusterOptions, Ctx, Engine, GENERATE_OPTIONS, GenerateOptions,
    OptionError, PrimaryRule,
};

use super::opts::Opts;
use crate::ast::{Generate, Span, Statement, Strategy};
use crate::error::{DslError, Result};
use crate::table::{Table, Value};

/// What the options are for: EXPLAIN makes no call, so it needs no backend
/// (nor the oracle's reference).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Run,
    Explain,
}

/// The shared `WITH (...)` options, checked and typed. `at` is where an
/// error about an option that was not given points (the strategy).
fn shared_options(opts: &Opts<'_>, at: Span, purpose: Purpose) -> Result<GenerateOptions> {
    let d = GenerateOptions::default();
    let backend = match opts.str("backend")? {
        None => d.backend,
        Some(b) => match b.to_ascii_lowercase().as_str() {
            "oracle" => BackendKind::Oracle,
            "openai" => BackendKind::OpenAi,
            other => {
                return Err(DslError::semantic(
                    format!("unknown backend '{other}'"),
                    opts.span("backend").unwrap_or(at),
                )
                .hint("backend = 'oracle' (offline simulator) or 'openai' (any OpenAI-compatible endpoint)"));
            }
        },
    };
    let primary = match opts.str("primary")? {
        None => d.primary,
        Some(p) => PrimaryRule::parse(&p).ok_or_else(|| {
            DslError::semantic(
                format!("unknown primary rule '{p}'"),
                opts.span("primary").unwrap_or(at),
            )
            .hint("primary = 'fewer_calls' (default), 'larger' or 'first'")
        })?,
    };
    let o = GenerateOptions {
        backend,
        reference: opts.str("reference")?.map(PathBuf::from),
        base_url: opts.str("base_url")?,
        model: opts.str("model")?.unwrap_or(d.model),
        temperature: opts.f64("temperature", d.temperature)?,
        batch_size: opts.positive("batch_size", d.batch_size as u64)? as usize,
        workers: opts.positive("workers", d.workers as u64)? as usize,
        budget: opts.opt_u64("budget")?,
        retries: opts.u64("retries", d.retries as u64)?.min(u32::MAX as u64) as u32,
        timeout_s: opts.f64("timeout_s", d.timeout_s)?,
        oracle_noise: opts.f64("oracle_noise", d.oracle_noise)?,
        oracle_latency_ms: opts.u64("oracle_latency_ms", d.oracle_latency_ms)?,
        seed: opts.u64("seed", d.seed)?,
        prompt: opts.str("prompt")?.map(PathBuf::from),
        primary,
        backoff_ms: opts.u64("backoff_ms", d.backoff_ms)?,
        max_wait_s: opts.f64("max_wait_s", d.max_wait_s)?,
        max_reply_bytes: opts.u64("max_reply_bytes", d.max_reply_bytes)?,
        allow_failed: opts.bool("allow_failed", d.allow_failed)?,
    };
    if purpose == Purpose::Run && o.backend == BackendKind::Oracle && o.reference.is_none() {
        return Err(DslError::semantic(
            "the oracle backend needs a reference graph",
            opts.span("backend").unwrap_or(at),
        )
        .hint("add reference = 'path/to/edges.csv' (the oracle is an offline simulator answering from it), or use backend = 'openai'"));
    }
    if purpose == Purpose::Run
        && o.backend == BackendKind::OpenAi
        && valence_engine::llm::backend::resolve_model(&o.model).is_none()
    {
        let span = opts.span("model").or(opts.span("backend")).unwrap_or(at);
        return Err(DslError::engine(
            valence_engine::llm::backend::missing_model(),
            span,
        ));
    }
    Ok(o)
}

/// An out-of-range option, pointed at where it was given (or, for a
/// default the user did not write, at the strategy).
fn option_error(g: &Generate, opts: &Opts<'_>) -> impl Fn(OptionError) -> DslError {
    let (spans, at) = (
        GENERATE_OPTIONS
            .iter()
            .chain(CLUSTER_OPTIONS)
            .filter_map(|k| opts.span(k).map(|s| (*k, s)))
            .collect::<Vec<_>>(),
        g.strategy.span,
    );
    move |e| {
        let given = |name: &str| spans.iter().find(|(k, _)| *k == name).map(|(_, s)| *s);
        let span = given(e.option)
            .or_else(|| e.related.and_then(given))
            .unwrap_or(at);
        DslError::engine(e.error, span)
    }
}

fn brute_force_options(g: &Generate, purpose: Purpose) -> Result<GenerateOptions> {
    let opts = Opts::new(
        &g.options,
        GENERATE_OPTIONS,
        "GENERATE ... USING BRUTE_FORCE",
    )?;
    let o = shared_options(&opts, g.strategy.span, purpose)?;
    o.check().map_err(option_error(g, &opts))?;
    Ok(o)
}

fn cluster_options(g: &Generate, purpose: Purpose) -> Result<ClusterOptions> {
    let allowed: Vec<&str> = GENERATE_OPTIONS
        .iter()
        .chain(CLUSTER_OPTIONS)
        .copied()
        .collect();
    let opts = Opts::new(&g.options, &allowed, "GENERATE ... USING CLUSTER")?;
    let d = ClusterOptions::default();
    let o = ClusterOptions {
        generate: shared_options(&opts, g.strategy.span, purpose)?,
        min_attributes_to_cluster: opts.u64(
            "min_attributes_to_cluster",
            d.min_attributes_to_cluster as u64,
        )? as usize,
        umap_threshold: opts.u64("umap_threshold", d.umap_threshold as u64)? as usize,
        umap_dims: opts.positive("umap_dims", d.umap_dims as u64)? as usize,
        min_cluster_size: opts.u64("min_cluster_size", d.min_cluster_size as u64)? as usize,
        pos_threshold: opts.f64_in("pos_threshold", d.pos_threshold, 0.0, 10.0)?,
        neg_threshold: opts.f64_in("neg_threshold", d.neg_threshold, 0.0, 10.0)?,
        inherit_pos: opts.f64_in("inherit_pos", d.inherit_pos, 0.0, 10.0)?,
        inherit_neg: opts.f64_in("inherit_neg", d.inherit_neg, 0.0, 10.0)?,
        embedding_model: opts.str("embedding_model")?.unwrap_or(d.embedding_model),
        enrich_batch: opts.positive("enrich_batch", d.enrich_batch as u64)? as usize,
        label_batch: opts.positive("label_batch", d.label_batch as u64)? as usize,
        mix_modalities: opts.bool("mix_modalities", d.mix_modalities)?,
    };
    o.check().map_err(option_error(g, &opts))?;
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
