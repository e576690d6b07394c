//! GENERATE ... USING CLUSTER: the report's cluster-first strategy (§5.1.2),
//! tuned for fewer calls.
//!
//! Phases (every chat reply is journaled before it is used, keyed by backend
//! identity, template and prompt; a re-run replays and only calls for what
//! is missing; the embeddings are journaled too):
//!
//! 1. **enrichment**: a description per attribute of every modality that
//!    will be clustered (at least `min_attributes_to_cluster` attributes;
//!    smaller modalities are all singletons, their descriptions would feed
//!    nothing). `enrich_batch` attributes of one modality per call (default
//!    25, a JSON reply keyed by bracket number); `enrich_batch = 1` is the
//!    report's one call per attribute with Appendix B's prompt verbatim.
//! 2. **embedding**: `"<modality>: <value>\n<description>"` per attribute,
//!    `/v1/embeddings` with `embedding_model` (openai) or the oracle's
//!    deterministic embeddings; up to 100 inputs per request.
//! 3. **clustering** per modality ([`crate::cluster::cluster_modality`]).
//! 4. **labelling**: clusters of two or more members, `label_batch`
//!    clusters of one modality per call (default 1 = Appendix B's prompt
//!    verbatim). A singleton's label is its value, its summary its
//!    description.
//! 5. **cluster scoring**: for every pair of modalities, the side needing
//!    fewer calls is the source; one call scores one source cluster against
//!    up to `batch_size` target clusters (Appendix B's compatibility prompt).
//! 6. **routing** of each cluster pair: score `>= pos_threshold` or
//!    `<= neg_threshold` survives; the band between and `null` are
//!    discarded (their attribute pairs get no edge and no call). A
//!    surviving pair with score `>= inherit_pos` (`<= inherit_neg`) gives
//!    its attribute pairs `+` (`-`) directly, except pairs touching a
//!    noise-flagged attribute. A cluster pair whose scoring call failed
//!    after its retries is kept and classified (never silently dropped).
//! 7. **attribute classification**: every surviving, non-inherited
//!    attribute pair with the brute-force prompt (Appendix A). Per modality
//!    pair the side needing fewer calls is primary; each primary
//!    attribute's targets are sent in batches of `batch_size`. With
//!    `mix_modalities` (default) a batch may hold targets of several
//!    modalities (Appendix A's prompt already speaks of "other attributes
//!    from different categories"), so a primary's calls are full; a value
//!    text appears at most once per batch. A batch of one modality is the
//!    brute-force task and shares its journal entries.
//!
//! The budget counts every request of every phase (chat and embedding,
//! retries included). Running out stops the run with an `Llm` error; the
//! answers received are journaled and a re-run resumes.
//!
//! # Defaults and the knobs that move the trade-off
//! Defaults are the report's (§5.1.2) except two economy settings the
//! report does not fix: `enrich_batch = 25` (the report: one call per
//! attribute; 150 of its calls on the 160-attribute catalogue become 8) and
//! `mix_modalities = true`. `label_batch = 1` keeps Appendix B's label
//! prompt verbatim (10 saves ~20 calls on 160 attributes).
//! * `pos_threshold` / `neg_threshold` decide what is discarded: every pair
//!   of a cluster pair in the band is lost to recall. Lowering
//!   `pos_threshold` (7 → 6) costs calls (more pairs to classify) but can
//!   add no wrong sign (below `inherit_pos` nothing is inherited). With the
//!   oracle at 5% noise it lifts recall of brute-force edges from 84-91% to
//!   95-96% for 156-192 calls (`cargo bench --bench cluster`).
//! * `inherit_pos` / `inherit_neg` trade classification calls for
//!   precision: 7/4 (inherit all survivors) cuts classification to a few
//!   calls but adds edges brute force does not have (precision ~80%) and
//!   lowers sign agreement; 9/2 (the report's text) costs ~25 more calls.
//! * `min_cluster_size`, `umap_dims`, the seed: cluster granularity. Finer
//!   clusters mean purer cluster pairs (fewer band discards, safer
//!   inheritance) but quadratically more scoring calls.
//! * `batch_size`: targets per scoring and classification call.

//! # Layout
//! One file per phase, each a job builder, a reply parser (typed answers)
//! and what the answers change: `enrich.rs`, `embed.rs` (embedding and
//! clustering), `label.rs`, `score.rs`, [`route`] (pure, no call),
//! `classify.rs`; every call goes through the one journaled call loop
//! ([`crate::generate::journaled`]). `explain.rs` counts with the same job
//! builders. This file runs the phases in order.

mod classify;
mod embed;
mod enrich;
mod explain;
mod label;
mod options;
mod report;
pub mod route;
mod score;

use std::sync::Arc;
use std::time::Instant;

use crate::cluster::Clustering;
use crate::generate::brute_force::{catalogue_modalities, report_model};
use crate::generate::journaled::{CallLoop, Job, Wording};
use crate::generate::{BackendKind, Journal, journal_key};
use crate::llm::backend::{Backend, OpenAiBackend, Request, Task};
use crate::llm::cluster_tasks::{ClusterCard, ClusterTask, templates_digest};
use crate::llm::runner::{Call, Parser};
use crate::{Catalogue, Ctx, Error, Result, SignedGraph};

pub use explain::{ClusterPlan, PhasePlan, explain_cluster};
pub use options::ClusterOptions;
pub use report::{ClusterReport, ModalityClusters, Phase, PhaseStats};
pub use route::{RouteReport, Thresholds};

/// One modality of the catalogue, with what the phases learn about it.
#[derive(Debug, Clone)]
struct Mod {
    name: String,
    values: Vec<String>,
    /// At least `min_attributes_to_cluster` attributes: enriched, embedded
    /// and clustered (else every attribute is a singleton).
    clustered: bool,
    descriptions: Vec<String>,
    clustering: Clustering,
    /// Members per cluster (of `clustering`).
    members: Vec<Vec<usize>>,
    /// What the scoring prompt shows, per cluster.
    cards: Vec<ClusterCard>,
}

impl Mod {
    fn set_clustering(&mut self, c: Clustering) {
        self.members = c.members();
        self.clustering = c;
    }
}

/// The catalogue's modalities, all singletons before clustering.
fn modalities(cat: &Catalogue, opts: &ClusterOptions) -> Vec<Mod> {
    catalogue_modalities(cat)
        .into_iter()
        .map(|(name, values)| {
            let n = values.len();
            let mut m = Mod {
                clustered: n >= opts.min_attributes_to_cluster,
                descriptions: vec![String::new(); n],
                clustering: singletons(0),
                members: Vec::new(),
                cards: Vec::new(),
                name,
                values,
            };
            m.set_clustering(singletons(n));
            m
        })
        .collect()
}

fn singletons(n: usize) -> Clustering {
    Clustering {
        labels: (0..n).collect(),
        noise: vec![false; n],
        k: n,
        method: "singletons",
    }
}

/// A cluster-task job: keyed by identity, the cluster templates, the task
/// kind and the prompt.
fn cluster_job(identity: &str, task: ClusterTask, prompt: String, what: String) -> Job {
    let key = journal_key(identity, templates_digest(), task.kind(), &[&prompt]);
    Job::new(
        key,
        Request {
            task: Task::Cluster(task),
            prompt,
        },
        what,
    )
}

/// Which side of a modality pair is the source/primary: the one needing
/// fewer calls, tie = the first.
fn a_first(a_calls: u64, b_calls: u64) -> bool {
    a_calls <= b_calls
}

/// What every phase runs with: the call loop of the run (one budget), the
/// backend's journal identity and the options.
struct Pipeline<'a> {
    calls: CallLoop<'a>,
    identity: String,
    opts: &'a ClusterOptions,
}

impl Pipeline<'_> {
    /// Runs one phase through the call loop; a budget that leaves jobs
    /// without a call stops the run saying what remains.
    fn run<R: Call, T: Send + 'static>(
        &mut self,
        phase: Phase,
        jobs: &[Job<R>],
        parse: Parser<T, R>,
    ) -> Result<(Vec<Option<T>>, PhaseStats)> {
        let calls = &mut self.calls;
        let run = calls.run(phase.name(), jobs, parse)?;
        if run.unfinished > 0 && calls.meter().usd_exhausted() {
            let what = format!("{} requests", phase.name());
            return Err(super::brute_force::usd_spent(
                calls.meter(),
                run.unfinished,
                &what,
            ));
        }
        if run.unfinished > 0 {
            let made = calls.calls();
            return Err(Error::Llm {
                message: format!(
                    "budget of {} calls spent: {made} calls made, the {} phase still needs at least {} more",
                    calls.budget().unwrap_or(made),
                    phase.name(),
                    run.unfinished
                ),
                hint: Some(
                    "every answer received is journaled: re-run the same GENERATE with a larger budget to resume without repeating them"
                        .into(),
                ),
            });
        }
        Ok((run.values, run.stats))
    }
}

/// The parser of one cluster task kind: `pick` takes the task's typed
/// answer out of the reply, refusing other tasks.
fn task_parser<T: 'static>(
    pick: impl Fn(&ClusterTask, &str) -> Option<Result<T, crate::llm::ParseError>>
    + Send
    + Sync
    + 'static,
) -> Parser<T> {
    Arc::new(move |req: &Request, text: &str| {
        let picked = match &req.task {
            Task::Cluster(t) => pick(t, text),
            _ => None,
        };
        picked.unwrap_or_else(|| Err(crate::llm::ParseError("not a task of this phase".into())))
    })
}

/// Runs the pipeline on `backend`. See the module docs.
pub fn run_cluster_with(
    backend: Arc<dyn Backend>,
    journal: &dyn Journal,
    cat: &Catalogue,
    opts: &ClusterOptions,
    ctx: &Ctx,
) -> Result<(SignedGraph, ClusterReport)> {
    opts.validate()?;
    let started = Instant::now();
    // Prompt files are read and checked before any call.
    let opts = &opts.loaded()?;
    let g = &opts.generate;
    let sign_template = g.sign_template()?;
    let mut p = Pipeline {
        calls: CallLoop::new(
            backend.clone(),
            journal,
            ctx,
            g.call_policy(),
            g.budget,
            Wording::PhaseRequests,
        ),
        identity: backend.journal_identity(),
        opts,
    };
    let mut report = ClusterReport {
        strategy: "cluster".into(),
        backend: backend.name().into(),
        model: report_model(g),
        embedding_model: match g.backend {
            BackendKind::OpenAi => opts.resolved_embedding_model().unwrap_or_default(),
            BackendKind::Oracle => "oracle (simulator)".into(),
        },
        ..ClusterReport::default()
    };
    let mut mods = modalities(cat, opts);
    report.phases.push(enrich::run(&mut p, &mut mods)?);
    let (st, clusters) = embed::run(&mut p, &mut mods)?;
    report.phases.push(st);
    report.modalities = clusters;
    report.phases.push(label::run(&mut p, &mut mods)?);
    let (scores, st) = score::run(&mut p, &mods)?;
    report.phases.push(st);
    let sides: Vec<route::Side> = mods
        .iter()
        .map(|m| route::Side {
            members: &m.members,
            noise: &m.clustering.noise,
        })
        .collect();
    let routed = route::route(&scores, &sides, &opts.thresholds());
    report.set_route(&routed.report);
    let (st, answers) = classify::run(&mut p, &sign_template, &mods, &routed)?;
    report.phases.push(st);
    let graph = classify::build_graph(cat, &mods, &routed, &answers, &mut report)?;
    report.chat_calls = report
        .phases
        .iter()
        .filter(|p| p.phase != Phase::Embedding.name())
        .map(PhaseStats::total)
        .sum();
    report.total_calls = report.phases.iter().map(PhaseStats::total).sum();
    report.tokens_in = p.calls.meter().tokens_in();
    report.tokens_out = p.calls.meter().tokens_out();
    report.usd = p.calls.meter().usd();
    report.failures = p.calls.into_failures();
    report.seconds = started.elapsed().as_secs_f64();
    Ok((graph, report))
}

/// Builds the backend for CLUSTER: the oracle (checking that its reference
/// shares attributes with the catalogue) or the openai client with
/// `embedding_model` set.
pub fn build_cluster_backend(cat: &Catalogue, opts: &ClusterOptions) -> Result<Arc<dyn Backend>> {
    opts.validate()?;
    let g = &opts.generate;
    Ok(match g.backend {
        BackendKind::Oracle => Arc::new(super::brute_force::oracle_for(cat, g)?),
        BackendKind::OpenAi => {
            let b = OpenAiBackend::new(
                super::brute_force::base_url(g).as_deref(),
                &g.model,
                g.temperature,
            )?
            .with_max_reply_bytes(g.max_reply_bytes)
            .with_response_format(g.response_format);
            // Without one, the embedding phase (if any modality is large
            // enough to cluster) stops with an error naming the option.
            Arc::new(match opts.resolved_embedding_model() {
                Some(m) => b.with_embedding_model(&m),
                None => b,
            })
        }
    })
}

/// Runs GENERATE ... USING CLUSTER with the backend the options name.
/// Writes only journal entries (storing the graph is [`Engine::generate_cluster`](crate::Engine::generate_cluster)'s).
pub fn run_cluster(
    journal: &dyn Journal,
    cat: &Catalogue,
    opts: &ClusterOptions,
    ctx: &Ctx,
) -> Result<(SignedGraph, ClusterReport)> {
    let backend = build_cluster_backend(cat, opts)?;
    run_cluster_with(backend, journal, cat, opts, ctx)
}
