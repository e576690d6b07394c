//! Phase 7, attribute classification: every surviving, non-inherited
//! attribute pair with the brute-force prompt (Appendix A). Per modality
//! pair the side needing fewer calls is primary; each primary attribute's
//! targets go in batches of `batch_size` (with `mix_modalities`, of
//! several modalities; a value text at most once per batch). A batch of
//! one modality is the brute-force task and shares its journal entries.
//! Then the graph: inherited signs and classified signs.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::generate::brute_force::sign_parser;
use crate::generate::journal_key;
use crate::generate::journaled::Job;
use crate::llm::backend::{Request, Task};
use crate::llm::cluster_tasks::ClusterTask;
use crate::llm::parse::SignLabel;
use crate::llm::prompt::Template;
use crate::{Catalogue, GraphBuilder, Result, Sign, SignedGraph};

use super::route::Routed;
use super::{ClusterOptions, ClusterReport, Mod, Phase, PhaseStats, Pipeline, a_first};

/// (primary modality, attribute, target modality, attribute) per target of
/// a batch.
pub(super) type BatchPairs = Vec<(usize, usize, usize, usize)>;

/// The classification answers: each batch's pairs and its signs (`None` =
/// the request failed).
pub(super) type Answers = Vec<(BatchPairs, Option<Vec<SignLabel>>)>;

/// Value texts that name values of two or more modalities (allowed by the
/// catalogue format): a prompt must say which one it means.
fn texts_in_two_modalities(mods: &[Mod]) -> HashSet<&str> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut shared = HashSet::new();
    for (m, md) in mods.iter().enumerate() {
        for v in &md.values {
            if *first.entry(v.as_str()).or_insert(m) != m {
                shared.insert(v.as_str());
            }
        }
    }
    shared
}

/// The targets per primary attribute: per modality pair the side needing
/// fewer calls is primary.
fn per_primary(
    mods: &[Mod],
    to_classify: &BTreeMap<(usize, usize), Vec<(usize, usize)>>,
    bs: usize,
) -> BTreeMap<(usize, usize), Vec<(usize, usize)>> {
    let mut out: BTreeMap<(usize, usize), Vec<(usize, usize)>> = BTreeMap::new();
    for (&(ma, mb), list) in to_classify {
        if list.is_empty() {
            continue;
        }
        let mut by_a: Vec<Vec<usize>> = vec![Vec::new(); mods[ma].values.len()];
        let mut by_b: Vec<Vec<usize>> = vec![Vec::new(); mods[mb].values.len()];
        for &(x, y) in list {
            by_a[x].push(y);
            by_b[y].push(x);
        }
        let calls = |v: &[Vec<usize>]| v.iter().map(|t| t.len().div_ceil(bs) as u64).sum::<u64>();
        let (p, o, groups) = if a_first(calls(&by_a), calls(&by_b)) {
            (ma, mb, by_a)
        } else {
            (mb, ma, by_b)
        };
        for (pi, targets) in groups.into_iter().enumerate() {
            if !targets.is_empty() {
                out.entry((p, pi))
                    .or_default()
                    .extend(targets.into_iter().map(|t| (o, t)));
            }
        }
    }
    out
}

/// Batches of up to `bs` targets; one modality unless mixing; a value text
/// appears at most once per batch (the reply is keyed by number, but a
/// model must be able to tell targets apart).
fn batches(
    mods: &[Mod],
    mut targets: Vec<(usize, usize)>,
    bs: usize,
    mix: bool,
) -> Vec<Vec<(usize, usize)>> {
    targets.sort_unstable();
    let mut chunks: Vec<Vec<(usize, usize)>> = Vec::new();
    for t in targets {
        let fits = chunks.last().is_some_and(|c| {
            c.len() < bs
                && (mix || c[0].0 == t.0)
                && !c
                    .iter()
                    .any(|u| mods[u.0].values[u.1] == mods[t.0].values[t.1])
        });
        match chunks.last_mut() {
            Some(c) if fits => c.push(t),
            _ => chunks.push(vec![t]),
        }
    }
    chunks
}

/// The job classifying `chunk` against primary attribute (`p`, `pi`).
fn batch_job(
    identity: &str,
    template: &Template,
    mods: &[Mod],
    shared_texts: &HashSet<&str>,
    (p, pi): (usize, usize),
    chunk: &[(usize, usize)],
) -> Job {
    let pm = mods[p].name.clone();
    let pv = mods[p].values[pi].clone();
    let tv: Vec<String> = chunk
        .iter()
        .map(|&(o, t)| mods[o].values[t].clone())
        .collect();
    let single = chunk.iter().all(|t| t.0 == chunk[0].0);
    // A call mixing target modalities, or holding a text that is a value of
    // two modalities (an audience and an interest "Outdoor"), names each
    // target's category: no model could otherwise tell which is meant.
    let named = !single
        || chunk
            .iter()
            .any(|&(o, t)| shared_texts.contains(mods[o].values[t].as_str()));
    let prompt = if !named {
        template.render_signs(&pm, &pv, &tv)
    } else {
        let shown: Vec<String> = chunk
            .iter()
            .map(|&(o, t)| format!("{} ({})", mods[o].values[t], mods[o].name))
            .collect();
        template.render_signs(&pm, &pv, &shown)
    };
    let what = format!("{pm} '{pv}' x {} targets", chunk.len());
    let (key, task) = if single {
        let om = mods[chunk[0].0].name.clone();
        let mut parts: Vec<&str> = vec![&pm, &pv, &om];
        parts.extend(tv.iter().map(String::as_str));
        (
            journal_key(identity, template.text(), "classify_signs", &parts),
            Task::ClassifySigns {
                primary_modality: pm.clone(),
                primary_value: pv.clone(),
                target_modality: om,
                targets: tv,
            },
        )
    } else {
        let typed: Vec<(String, String)> = chunk
            .iter()
            .map(|&(o, t)| (mods[o].name.clone(), mods[o].values[t].clone()))
            .collect();
        let flat: Vec<String> = typed.iter().map(|(m, v)| format!("{m}\0{v}")).collect();
        let mut parts: Vec<&str> = vec![&pm, &pv];
        parts.extend(flat.iter().map(String::as_str));
        (
            journal_key(identity, template.text(), "classify_mixed", &parts),
            Task::Cluster(ClusterTask::ClassifyMixed {
                primary_modality: pm.clone(),
                primary_value: pv.clone(),
                targets: typed,
            }),
        )
    };
    Job::new(key, Request { task, prompt }, what)
}

/// The classification jobs for what routing left to classify.
pub(super) fn jobs(
    identity: &str,
    template: &Template,
    opts: &ClusterOptions,
    mods: &[Mod],
    routed: &Routed,
) -> (Vec<Job>, Vec<BatchPairs>) {
    let bs = opts.generate.batch_size.max(1);
    let shared_texts = texts_in_two_modalities(mods);
    let mut jobs = Vec::new();
    let mut pairs = Vec::new();
    for ((p, pi), targets) in per_primary(mods, &routed.to_classify, bs) {
        for chunk in batches(mods, targets, bs, opts.mix_modalities) {
            jobs.push(batch_job(
                identity,
                template,
                mods,
                &shared_texts,
                (p, pi),
                &chunk,
            ));
            pairs.push(chunk.iter().map(|&(o, t)| (p, pi, o, t)).collect());
        }
    }
    (jobs, pairs)
}

/// Runs the phase.
pub(super) fn run(
    p: &mut Pipeline,
    template: &Template,
    mods: &[Mod],
    routed: &Routed,
) -> Result<(PhaseStats, Answers)> {
    let (jobs, pairs) = jobs(&p.identity, template, p.opts, mods, routed);
    let (answers, stats) = p.run(Phase::AttributeClassification, &jobs, sign_parser())?;
    Ok((stats, pairs.into_iter().zip(answers).collect()))
}

/// The graph: every catalogue attribute a node, inherited and classified
/// signs as edges; counts edges and (un)classified pairs in `report`.
pub(super) fn build_graph(
    cat: &Catalogue,
    mods: &[Mod],
    routed: &Routed,
    answers: &Answers,
    report: &mut ClusterReport,
) -> Result<SignedGraph> {
    let mut gb = GraphBuilder::from_catalogue(cat);
    let mut add = |gb: &mut GraphBuilder, ma: usize, x: usize, mb: usize, y: usize, s: Sign| {
        match s {
            Sign::Pos => report.edges_pos += 1,
            Sign::Neg => report.edges_neg += 1,
        }
        let (Some(a), Some(b)) = (
            gb.find(&mods[ma].name, &mods[ma].values[x]),
            gb.find(&mods[mb].name, &mods[mb].values[y]),
        ) else {
            return Ok(());
        };
        gb.add_edge(a, b, s)
    };
    for &(ma, x, mb, y, s) in &routed.inherited {
        add(&mut gb, ma, x, mb, y, s)?;
    }
    let inherited = routed.inherited.len() as u64;
    let (mut classified, mut unclassified) = (0u64, 0u64);
    for (pairs, labels) in answers {
        let Some(labels) = labels else {
            unclassified += pairs.len() as u64;
            continue;
        };
        classified += pairs.len() as u64;
        for (&(ma, x, mb, y), l) in pairs.iter().zip(labels) {
            let s = match l {
                SignLabel::Pos => Sign::Pos,
                SignLabel::Neg => Sign::Neg,
                SignLabel::Neutral => continue,
            };
            add(&mut gb, ma, x, mb, y, s)?;
        }
    }
    report.edges_inherited += inherited;
    report.pairs_classified += classified;
    report.pairs_unclassified += unclassified;
    Ok(gb.build())
}
