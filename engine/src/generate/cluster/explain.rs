//! EXPLAIN GENERATE ... USING CLUSTER: per phase, the calls known before
//! running and an upper bound, counted with the run's own job builders
//! (enrichment and embedding jobs exactly; labelling and scoring with the
//! same call formulas over the largest clustering they can meet).

use serde::Serialize;

use crate::generate::Journal;
use crate::generate::brute_force::explain_identity;
use crate::generate::journaled::count_replayable;
use crate::generate::plan::plan_modalities;
use crate::llm::prompt::Template;
use crate::llm::usage::Pricing;
use crate::{Catalogue, Result};

use super::{ClusterOptions, Mod, Phase, embed, enrich, label, modalities, score};

/// EXPLAIN for CLUSTER: per phase, calls known now and an upper bound.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterPlan {
    pub phases: Vec<PhasePlan>,
    pub upper_bound_calls: u64,
    /// The projected calls of the whole run (see [`PROJECTION`]).
    pub projected_calls: u64,
    /// The brute-force plan's calls on the same catalogue, for comparison.
    pub brute_force_calls: u64,
    /// Prices, when known (the dollar columns).
    pub pricing: Option<Pricing>,
    /// The share of the sync price a provider batch costs.
    pub batch_discount: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhasePlan {
    pub phase: String,
    /// Exact when the phase depends only on the catalogue; otherwise `None`.
    pub calls: Option<u64>,
    /// Most calls the phase can need.
    pub upper_bound: u64,
    /// The calls a run is projected to make (exact phases: their count).
    pub projected: u64,
    /// Requests of the phase already answered in the journal (known only
    /// for enrichment, whose prompts depend only on the catalogue).
    pub journaled: Option<u64>,
    pub note: String,
    /// Rough prompt / completion tokens of the phase's calls (of its upper
    /// bound when the count is not exact); see [`TOKENS`].
    pub est_tokens_in: u64,
    pub est_tokens_out: u64,
    /// The template the phase's prompts use: a file of `prompts`, or built-in.
    pub template: String,
}

/// The projection of the phases known only after clustering: a clustered
/// modality of n attributes is projected to make `ceil(n * clusters_per_attribute)`
/// clusters; labelling makes `labelling` of its bound, attribute
/// classification `classification` of its bound (0 when no modality is
/// clustered: singleton cluster pairs are the attribute pairs). Fitted on
/// the fixtures with the oracle simulator (small, large, real746: total
/// within 10% there); a real model's descriptions cluster differently.
pub const PROJECTION: Projection = Projection {
    clusters_per_attribute: 0.15,
    labelling: 0.27,
    classification: 0.18,
};

/// See [`PROJECTION`].
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    pub clusters_per_attribute: f64,
    pub labelling: f64,
    pub classification: f64,
}

/// Rough tokens per unit the estimates assume: a description (enrichment
/// reply, embedding input), a cluster label reply, a scoring prompt's
/// target card, one score in a reply.
pub const TOKENS: Tokens = Tokens {
    description: 150,
    label_reply: 60,
    card: 40,
    score_reply: 5,
};

/// See [`TOKENS`].
#[derive(Debug, Clone, Copy)]
pub struct Tokens {
    pub description: u64,
    pub label_reply: u64,
    pub card: u64,
    pub score_reply: u64,
}

impl ClusterPlan {
    /// EXPLAIN's table: phase, calls, upper_bound, journaled, note; a total row.
    pub fn explain_table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let header = [
            "phase",
            "calls",
            "upper_bound",
            "projected",
            "journaled",
            "figure",
            "note",
            "est_tokens_in",
            "est_tokens_out",
            "est_usd",
            "est_usd_batch",
            "template",
        ]
        .map(String::from)
        .to_vec();
        let usd = |i: u64, o: u64, d: f64| {
            self.pricing
                .map(|p| format!("{:.4}", p.usd(i, o) * d))
                .unwrap_or_default()
        };
        let money = |i: u64, o: u64| {
            vec![
                i.to_string(),
                o.to_string(),
                usd(i, o, 1.0),
                usd(i, o, self.batch_discount),
            ]
        };
        // Which number a reader can rely on: phases that depend only on the
        // catalogue are exact; the others depend on the clustering (known
        // only by running) and show their upper bound.
        let figure = |exact: bool| {
            if exact {
                "exact"
            } else {
                "estimate: upper bound"
            }
            .to_string()
        };
        let opt = |x: Option<u64>| x.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        let mut rows: Vec<Vec<String>> = self
            .phases
            .iter()
            .map(|p| {
                let mut row = vec![
                    p.phase.clone(),
                    opt(p.calls),
                    p.upper_bound.to_string(),
                    p.projected.to_string(),
                    opt(p.journaled),
                    figure(p.calls.is_some()),
                    p.note.clone(),
                ];
                row.extend(money(p.est_tokens_in, p.est_tokens_out));
                row.push(p.template.clone());
                row
            })
            .collect();
        rows.push(vec![
            "total".into(),
            "?".into(),
            self.upper_bound_calls.to_string(),
            self.projected_calls.to_string(),
            String::new(),
            figure(false),
            format!("brute force: {} calls (exact)", self.brute_force_calls),
        ]);
        let (i, o) = self.phases.iter().fold((0, 0), |(i, o), p| {
            (i + p.est_tokens_in, o + p.est_tokens_out)
        });
        if let Some(total) = rows.last_mut() {
            total.extend(money(i, o));
            total.push(String::new());
        }
        (header, rows)
    }
}

/// The most labelling and scoring calls any clustering can need, with the
/// run's own call formulas.
fn bounds(mods: &[Mod], opts: &ClusterOptions) -> (u64, u64) {
    // Labelling: at most n / min_cluster_size clusters of 2+ members.
    let label_max: u64 = mods
        .iter()
        .filter(|m| m.clustered)
        .map(|m| label::calls_for(m.values.len() / opts.min_cluster_size, opts.label_batch))
        .sum();
    // Scoring: at most one cluster per attribute (all singletons).
    let bs = opts.generate.batch_size.max(1) as u64;
    let sizes: Vec<u64> = mods.iter().map(|m| m.values.len() as u64).collect();
    let mut score_max = 0u64;
    for i in 0..sizes.len() {
        for j in i + 1..sizes.len() {
            score_max += score::plan_pair(sizes[i], sizes[j], bs).1;
        }
    }
    (label_max, score_max)
}

/// The projected labelling, scoring and classification calls
/// ([`PROJECTION`]), each at most its bound.
fn projection(
    mods: &[Mod],
    opts: &ClusterOptions,
    label_max: u64,
    classify_max: u64,
) -> (u64, u64, u64) {
    let p = PROJECTION;
    let k: Vec<u64> = mods
        .iter()
        .map(|m| {
            let n = m.values.len() as u64;
            if m.clustered {
                ((n as f64 * p.clusters_per_attribute).ceil() as u64).clamp(1, n.max(1))
            } else {
                n
            }
        })
        .collect();
    let bs = opts.generate.batch_size.max(1) as u64;
    let mut score = 0;
    for i in 0..k.len() {
        for j in i + 1..k.len() {
            score += score::plan_pair(k[i], k[j], bs).1;
        }
    }
    let any = mods.iter().any(|m| m.clustered);
    let share = |x: u64, f: f64| (x as f64 * f).round() as u64;
    (
        share(label_max, p.labelling),
        score,
        if any {
            share(classify_max, p.classification)
        } else {
            0
        },
    )
}

/// EXPLAIN GENERATE ... USING CLUSTER: the phases, calls known from the
/// catalogue alone, and an upper bound per phase. Makes no call.
pub fn explain_cluster(
    journal: &dyn Journal,
    cat: &Catalogue,
    opts: &ClusterOptions,
) -> Result<ClusterPlan> {
    opts.validate()?;
    let opts = &opts.loaded()?;
    let g = &opts.generate;
    let mods = modalities(cat, opts);
    // No backend identity (EXPLAIN without backend/reference/model): the
    // plan is still exact where it depends on the catalogue only; the
    // journal is not checked.
    let identity = explain_identity(g)?;
    let (enrich_jobs, _) = enrich::jobs(identity.as_deref().unwrap_or(""), &mods, opts);
    let enrich_journaled = match &identity {
        Some(_) => Some(count_replayable(journal, &enrich_jobs, &enrich::parser())?),
        None => None,
    };
    let enrich_calls = enrich_jobs.len() as u64;
    let (texts, _) = embed::texts(&mods);
    let embed_calls = embed::jobs("", opts, &texts).len() as u64;
    let (label_max, score_max) = bounds(&mods, opts);
    let named: Vec<(String, Vec<String>)> = mods
        .iter()
        .map(|m| (m.name.clone(), m.values.clone()))
        .collect();
    let bf = plan_modalities(&named, g.batch_size, g.primary, &Template::default_sign());
    let exact = |phase: Phase, calls: u64, journaled: Option<u64>, note: String| PhasePlan {
        phase: phase.name().into(),
        calls: Some(calls),
        upper_bound: calls,
        projected: calls,
        journaled,
        note,
        est_tokens_in: 0,
        est_tokens_out: 0,
        template: String::new(),
    };
    let bound = |phase: Phase, upper_bound: u64, note: String| PhasePlan {
        phase: phase.name().into(),
        calls: None,
        upper_bound,
        projected: upper_bound,
        journaled: None,
        note,
        est_tokens_in: 0,
        est_tokens_out: 0,
        template: String::new(),
    };
    let mut phases = vec![
        exact(
            Phase::Enrichment,
            enrich_calls,
            enrich_journaled,
            format!(
                "{} attributes per call; modalities with fewer than {} attributes are not clustered",
                opts.enrich_batch, opts.min_attributes_to_cluster
            ),
        ),
        exact(
            Phase::Embedding,
            embed_calls,
            None,
            format!(
                "{} inputs, up to {} per request",
                texts.len(),
                embed::EMBED_CHUNK
            ),
        ),
        bound(
            Phase::Labelling,
            label_max,
            format!(
                "one call per {} cluster(s) of 2+ members; known after clustering",
                opts.label_batch
            ),
        ),
        bound(
            Phase::ClusterScoring,
            score_max,
            format!(
                "one source cluster x up to {} target clusters per call; bound = all singletons",
                g.batch_size
            ),
        ),
        bound(
            Phase::AttributeClassification,
            bf.total_calls,
            format!(
                "surviving, non-inherited pairs; bound = brute force; pos >= {}, neg <= {}, inherit >= {} / <= {}",
                opts.pos_threshold, opts.neg_threshold, opts.inherit_pos, opts.inherit_neg
            ),
        ),
    ];
    let tokens = |t: &str| crate::llm::prompt::estimate_tokens(t);
    let described: u64 = mods
        .iter()
        .filter(|m| m.clustered)
        .map(|m| m.values.len() as u64)
        .sum();
    let t = TOKENS;
    let est = [
        (
            enrich_jobs.iter().map(|j| tokens(&j.request.prompt)).sum(),
            described * t.description,
        ),
        (
            texts.iter().map(|x| tokens(x)).sum::<u64>() + described * t.description,
            0,
        ),
        (
            // A label prompt: the template and up to min_cluster_size..n members.
            label_max * (100 + 10 * opts.min_cluster_size as u64 * opts.label_batch as u64),
            label_max * t.label_reply * opts.label_batch as u64,
        ),
        (
            score_max * (150 + t.card * (1 + g.batch_size as u64)),
            score_max * t.score_reply * g.batch_size as u64,
        ),
        (bf.est_prompt_tokens, bf.est_completion_tokens),
    ];
    let templates = [
        opts.templates.source("enrich"),
        "-".into(),
        opts.templates.source("label"),
        opts.templates.source("score"),
        g.sign_template_source()?,
    ];
    for ((p, (i, o)), t) in phases.iter_mut().zip(est).zip(templates) {
        p.est_tokens_in = i;
        p.est_tokens_out = o;
        p.template = t;
    }
    let (label_p, score_p, classify_p) = projection(&mods, opts, label_max, bf.total_calls);
    phases[2].projected = label_p;
    phases[3].projected = score_p;
    phases[4].projected = classify_p;
    Ok(ClusterPlan {
        projected_calls: phases.iter().map(|p| p.projected).sum(),
        upper_bound_calls: phases.iter().map(|p| p.upper_bound).sum(),
        phases,
        brute_force_calls: bf.total_calls,
        pricing: g.pricing()?,
        batch_discount: g.batch_discount,
    })
}
