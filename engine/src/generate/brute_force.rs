//! Running a brute-force plan: replay what the journal holds, call for the
//! rest, commit each usable reply to the journal before using it.

use std::sync::Arc;
use std::time::Instant;

use crate::generate::journaled::{CallLoop, Job, PhaseRun, Wording, replay};
use crate::generate::plan::{Plan, plan_modalities, render};
use crate::generate::{BackendKind, GenerateOptions, GenerateReport, Journal, journal_key};
use crate::llm::backend::{Backend, OpenAiBackend, Request, Task};
use crate::llm::cluster_tasks::ClusterTask;
use crate::llm::oracle::{OracleBackend, OracleReference};
use crate::llm::parse::{ParseError, SignLabel, parse_signs};
use crate::llm::prompt::Template;
use crate::llm::runner::Parser;
use crate::{Catalogue, GraphBuilder, Sign, SignedGraph, read_edges_csv};
use crate::{Ctx, Error, Result};

/// One classified pair with a sign (neutral answers are only counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairAnswer {
    /// (modality, value) of the primary attribute.
    pub primary: (String, String),
    /// (modality, value) of the target attribute.
    pub target: (String, String),
    pub label: SignLabel,
}

/// Signed answers and the report of a complete run.
#[derive(Debug, Clone)]
pub struct BruteForceResult {
    pub answers: Vec<PairAnswer>,
    pub report: GenerateReport,
}

/// The journal key of batch `i` of `plan`.
pub fn batch_key(identity: &str, template: &Template, plan: &Plan, i: usize) -> [u8; 32] {
    let b = &plan.batches[i];
    let mut parts: Vec<&str> = vec![&b.primary_modality, &b.primary_value, &b.target_modality];
    parts.extend(b.targets.iter().map(String::as_str));
    journal_key(identity, template.text(), "classify_signs", &parts)
}

/// The brute-force jobs of `plan`: one sign-classification request per batch.
pub fn plan_jobs(identity: &str, template: &Template, plan: &Plan) -> Vec<Job> {
    (0..plan.batches.len())
        .map(|i| {
            let b = &plan.batches[i];
            let request = Request {
                task: Task::ClassifySigns {
                    primary_modality: b.primary_modality.clone(),
                    primary_value: b.primary_value.clone(),
                    target_modality: b.target_modality.clone(),
                    targets: b.targets.clone(),
                },
                prompt: render(template, b),
            };
            let what = format!(
                "{} '{}' x {} targets [{}..]",
                b.primary_modality,
                b.primary_value,
                b.target_modality,
                b.targets.first().map(String::as_str).unwrap_or("")
            );
            Job::new(batch_key(identity, template, plan, i), request, what)
        })
        .collect()
}

/// Parses a sign-classification reply (a plain or a mixed-modality batch).
pub fn sign_parser() -> Parser<Vec<SignLabel>> {
    Arc::new(|req: &Request, text: &str| match &req.task {
        Task::ClassifySigns { targets, .. } => parse_signs(text, targets.len()),
        Task::Cluster(ClusterTask::ClassifyMixed { targets, .. }) => {
            parse_signs(text, targets.len())
        }
        _ => Err(ParseError("not a sign-classification task".into())),
    })
}

/// Fills `plan.journaled_calls` and each pair's `journaled` count from the
/// journal (EXPLAIN); makes no call.
pub fn count_journaled(
    plan: &mut Plan,
    identity: &str,
    template: &Template,
    journal: &dyn Journal,
) -> Result<()> {
    let mut hits = vec![0u64; plan.pairs.len()];
    let parse = sign_parser();
    for (b, job) in plan.batches.iter().zip(plan_jobs(identity, template, plan)) {
        if replay(journal, &job, &parse)?.is_some() {
            hits[b.pair] += 1;
        }
    }
    for (p, h) in plan.pairs.iter_mut().zip(&hits) {
        p.journaled = *h;
    }
    plan.journaled_calls = hits.iter().sum();
    plan.journal_checked = true;
    Ok(())
}

/// Runs `plan` on `backend` through the journaled call loop: replays
/// journaled batches, calls for the rest (at most `opts.workers` in flight,
/// retries per `opts`), journals every usable reply before using it.
///
/// Errors: `Cancelled` when `cancel` was set; `Llm` when the budget ran out
/// before every batch had an answer (says how many calls remain; a re-run
/// with a larger budget resumes) or when the endpoint refused the requests
/// (401/403/404) or when the first batches all failed on bad replies;
/// `Http` (with reqwest's error as `source()`) when they all failed on the
/// transport; journal errors. On success, failed batches (no usable
/// reply after the last retry) are counted in the report, not an error.
pub fn run_plan(
    backend: Arc<dyn Backend>,
    plan: &Plan,
    template: &Template,
    opts: &GenerateOptions,
    journal: &dyn Journal,
    ctx: &Ctx,
) -> Result<BruteForceResult> {
    opts.validate()?;
    let started = Instant::now();
    let jobs = plan_jobs(&backend.journal_identity(), template, plan);
    let mut calls = CallLoop::new(
        backend.clone(),
        journal,
        ctx,
        opts.call_policy(),
        opts.budget,
        Wording::Batches,
    );
    let run = calls.run("generate", &jobs, sign_parser())?;
    if run.unfinished > 0 {
        if calls.meter().usd_exhausted() {
            return Err(usd_spent(calls.meter(), run.unfinished, "batches"));
        }
        return Err(budget_spent(opts, &run, calls.calls()));
    }
    let mut answers = Vec::new();
    let (mut pos, mut neg, mut neutral, mut unclassified) = (0u64, 0u64, 0u64, 0u64);
    for (b, l) in plan.batches.iter().zip(&run.values) {
        let Some(l) = l else {
            unclassified += b.targets.len() as u64;
            continue;
        };
        for (t, s) in b.targets.iter().zip(l) {
            match s {
                SignLabel::Pos => pos += 1,
                SignLabel::Neg => neg += 1,
                SignLabel::Neutral => {
                    neutral += 1;
                    continue;
                }
            }
            answers.push(PairAnswer {
                primary: (b.primary_modality.clone(), b.primary_value.clone()),
                target: (b.target_modality.clone(), t.clone()),
                label: *s,
            });
        }
    }
    let (calls_made, replayed) = (calls.calls(), run.stats.replayed);
    let edges = pos + neg;
    let report = GenerateReport {
        strategy: "brute_force".into(),
        backend: backend.name().into(),
        model: report_model(opts),
        temperature: opts.temperature,
        batch_size: plan.batch_size,
        workers: opts.workers,
        primary: plan.rule.name().into(),
        planned_calls: plan.total_calls,
        calls_made,
        calls_replayed: replayed,
        retries: calls.retries(),
        failed_batches: run.stats.failed,
        unclassified_pairs: unclassified,
        edges_pos: pos,
        edges_neg: neg,
        neutral_pairs: neutral,
        calls_per_edge: if edges == 0 {
            0.0
        } else {
            (calls_made + replayed) as f64 / edges as f64
        },
        tokens_in: calls.meter().tokens_in(),
        tokens_out: calls.meter().tokens_out(),
        usd: calls.meter().usd(),
        seconds: started.elapsed().as_secs_f64(),
        failures: calls.into_failures(),
    };
    Ok(BruteForceResult { answers, report })
}

/// The model a report names.
pub(crate) fn report_model(opts: &GenerateOptions) -> String {
    match opts.backend {
        BackendKind::OpenAi => crate::llm::backend::resolve_model(&opts.model).unwrap_or_default(),
        BackendKind::Oracle => "oracle (simulator)".into(),
    }
}

/// The error of a run `budget_usd` stopped: what was spent, what remains.
pub(crate) fn usd_spent(meter: &crate::llm::Meter, unfinished: u64, what: &str) -> Error {
    Error::Llm {
        message: format!(
            "budget_usd of ${:.4} spent: ${:.4} for {} prompt and {} completion tokens; {unfinished} {what} still need a call",
            meter.budget_usd().unwrap_or(0.0),
            meter.usd().unwrap_or(0.0),
            meter.tokens_in(),
            meter.tokens_out(),
        ),
        hint: Some(
            "every answer received is journaled: re-run the same GENERATE with a larger budget_usd to resume without paying for them again"
                .into(),
        ),
    }
}

/// The error of a brute-force run the budget stopped: what remains.
fn budget_spent(opts: &GenerateOptions, run: &PhaseRun<Vec<SignLabel>>, made: u64) -> Error {
    let unfinished = run.unfinished;
    let n = run.values.len();
    let answered = run.values.iter().filter(|l| l.is_some()).count();
    let failed = run.stats.failed;
    Error::Llm {
        message: format!(
            "budget of {} calls spent: {made} calls made, {unfinished} of {n} batches still need a call (at least {unfinished} more calls)",
            opts.budget.unwrap_or(made),
        ),
        hint: Some(format!(
            "the {answered} answers received are journaled{}: re-run the same GENERATE with budget >= {unfinished} to resume without repeating them",
            if failed > 0 {
                format!("; {failed} batches failed after retries and will be asked again")
            } else {
                String::new()
            }
        )),
    }
}

// ------------------------------------------------------------ public API --

/// (modality, values) in catalogue order.
pub fn catalogue_modalities(cat: &Catalogue) -> Vec<(String, Vec<String>)> {
    cat.modalities()
        .iter()
        .enumerate()
        .map(|(m, name)| {
            (
                name.clone(),
                cat.of_modality(m as u16)
                    .map(|(_, a)| a.value.clone())
                    .collect(),
            )
        })
        .collect()
}

/// The brute-force plan for a catalogue (no call, no journal lookup).
pub fn plan_brute_force(cat: &Catalogue, opts: &GenerateOptions) -> Result<Plan> {
    opts.validate()?;
    let template = opts.sign_template()?;
    Ok(plan_modalities(
        &catalogue_modalities(cat),
        opts.batch_size,
        opts.primary,
        &template,
    ))
}

/// The oracle's reference answers, read from `opts.reference`.
pub fn oracle_reference(opts: &GenerateOptions) -> Result<OracleReference> {
    let Some(path) = &opts.reference else {
        return Err(Error::invalid_hint(
            "backend 'oracle' needs a reference graph",
            "add reference = 'path/to/edges.csv' to WITH (...): the oracle is an offline simulator that answers from that edge file",
        ));
    };
    let (g, _) = read_edges_csv(path, None)?;
    let node = |id| (g.modality_name(id).to_string(), g.value(id).to_string());
    Ok(OracleReference::from_edges(g.edges().map(|(a, b, s)| {
        let l = match s {
            Sign::Pos => SignLabel::Pos,
            Sign::Neg => SignLabel::Neg,
        };
        (node(a), node(b), l)
    })))
}

/// Builds the backend the options name (reads the oracle's reference file;
/// the openai backend reads env OPENAI_API_KEY and OPENAI_BASE_URL).
pub fn build_backend(opts: &GenerateOptions) -> Result<Arc<dyn Backend>> {
    opts.validate()?;
    Ok(match opts.backend {
        BackendKind::Oracle => Arc::new(OracleBackend::new(
            oracle_reference(opts)?,
            opts.oracle_noise,
            opts.seed,
            std::time::Duration::from_millis(opts.oracle_latency_ms),
        )?),
        BackendKind::OpenAi => Arc::new(
            OpenAiBackend::new(base_url(opts).as_deref(), &opts.model, opts.temperature)?
                .with_max_reply_bytes(opts.max_reply_bytes)
                .with_response_format(opts.response_format),
        ),
    })
}

/// The base URL of the openai client: `base_url`, else env
/// `OPENAI_BASE_URL`; with `transport = 'batch_files'` (no endpoint is
/// called) a placeholder when neither is set.
pub(crate) fn base_url(opts: &GenerateOptions) -> Option<String> {
    opts.base_url
        .clone()
        .or_else(|| {
            std::env::var("OPENAI_BASE_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
        })
        .or_else(|| {
            (opts.transport == crate::llm::Transport::BatchFiles)
                .then(|| "http://127.0.0.1/v1".to_string())
        })
}

/// The journal identity the options' backend will have, without building a
/// client (EXPLAIN needs no endpoint). `None` when the options do not name
/// one yet: an oracle without `reference`, or openai without a model.
pub(crate) fn explain_identity(opts: &GenerateOptions) -> Result<Option<String>> {
    Ok(match opts.backend {
        BackendKind::Oracle if opts.reference.is_none() => None,
        BackendKind::Oracle => Some(build_backend(opts)?.journal_identity()),
        BackendKind::OpenAi => crate::llm::backend::resolve_model(&opts.model)
            .map(|m| OpenAiBackend::identity_for(&m, opts.temperature, opts.response_format)),
    })
}

/// EXPLAIN GENERATE ... USING BRUTE_FORCE: the plan, with how many batches
/// the journal already answers. Makes no call, and needs no backend: without
/// one (or without the oracle's reference) the journal is not checked.
pub fn explain_brute_force(
    journal: &dyn Journal,
    cat: &Catalogue,
    opts: &GenerateOptions,
) -> Result<Plan> {
    opts.validate()?;
    let mut plan = plan_brute_force(cat, opts)?;
    plan.pricing = opts.pricing()?;
    plan.template = opts.sign_template_source()?;
    plan.batch_discount = opts.batch_discount;
    let template = opts.sign_template()?;
    if let Some(id) = explain_identity(opts)? {
        count_journaled(&mut plan, &id, &template, journal)?;
    }
    Ok(plan)
}

/// Runs GENERATE ... USING BRUTE_FORCE with the backend the options name.
/// Returns the graph (every catalogue attribute is a node; `+`/`-` answers
/// are edges) and the report. Writes only journal entries: storing the graph
/// version (one transaction) is the caller's, e.g. [`Engine::generate_brute_force`](crate::Engine::generate_brute_force).
pub fn run_brute_force(
    journal: &dyn Journal,
    cat: &Catalogue,
    opts: &GenerateOptions,
    ctx: &Ctx,
) -> Result<(SignedGraph, GenerateReport)> {
    let backend: Arc<dyn Backend> = match opts.backend {
        BackendKind::Oracle => Arc::new(oracle_for(cat, opts)?),
        BackendKind::OpenAi => build_backend(opts)?,
    };
    run_brute_force_with(backend, journal, cat, opts, ctx)
}

/// The oracle simulator for a catalogue, refusing a reference that shares
/// no attribute with it (most likely the wrong file or modality names).
pub fn oracle_for(cat: &Catalogue, opts: &GenerateOptions) -> Result<OracleBackend> {
    let reference = oracle_reference(opts)?;
    let shared = cat
        .attributes()
        .iter()
        .filter(|a| reference.contains(&cat.modalities()[a.modality as usize], &a.value))
        .count();
    if !reference.is_empty() && shared == 0 {
        let path = opts
            .reference
            .as_deref()
            .unwrap_or(std::path::Path::new(""));
        return Err(Error::invalid_hint(
            format!(
                "the oracle reference {} has no attribute in common with the catalogue",
                path.display()
            ),
            "the reference must use the catalogue's modality names and values (its rel column is <source_modality>_to_<target_modality>)",
        ));
    }
    OracleBackend::new(
        reference,
        opts.oracle_noise,
        opts.seed,
        std::time::Duration::from_millis(opts.oracle_latency_ms),
    )
}

/// [`run_brute_force`] with a given backend (tests, embedding).
pub fn run_brute_force_with(
    backend: Arc<dyn Backend>,
    journal: &dyn Journal,
    cat: &Catalogue,
    opts: &GenerateOptions,
    ctx: &Ctx,
) -> Result<(SignedGraph, GenerateReport)> {
    let plan = plan_brute_force(cat, opts)?;
    let template = opts.sign_template()?;
    let r = run_plan(backend, &plan, &template, opts, journal, ctx)?;
    let mut b = GraphBuilder::from_catalogue(cat);
    for a in &r.answers {
        let (Some(x), Some(y)) = (
            b.find(&a.primary.0, &a.primary.1),
            b.find(&a.target.0, &a.target.1),
        ) else {
            continue;
        };
        let s = match a.label {
            SignLabel::Pos => Sign::Pos,
            SignLabel::Neg => Sign::Neg,
            SignLabel::Neutral => continue,
        };
        b.add_edge(x, y, s)?;
    }
    Ok((b.build(), r.report))
}
