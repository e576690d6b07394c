//! Phase 5, cluster scoring: for every pair of modalities, the side needing
//! fewer calls is the source; one call scores one source cluster against up
//! to `batch_size` target clusters (Appendix B's compatibility prompt).

use std::collections::BTreeMap;

use crate::Result;
use crate::generate::journaled::Job;
use crate::llm::cluster_tasks::{ClusterTask, ClusterTemplates, parse_scores, render_score_with};
use crate::llm::runner::Parser;

use super::route::{ClusterPair, Scored};
use super::{Mod, Phase, PhaseStats, Pipeline, a_first, cluster_job, task_parser};

/// Where a job's scores go: (source modality, source cluster, target
/// modality, first target cluster, count).
pub(super) type Slot = (usize, usize, usize, usize, usize);

/// Whether `a` (with `ka` clusters) is the source against `b` (`kb`), and
/// the calls that takes with `bs` targets per call.
pub(super) fn plan_pair(ka: u64, kb: u64, bs: u64) -> (bool, u64) {
    let (via_a, via_b) = (ka * kb.div_ceil(bs), kb * ka.div_ceil(bs));
    if a_first(via_a, via_b) {
        (true, via_a)
    } else {
        (false, via_b)
    }
}

/// The scoring jobs over the modalities' cards.
pub(super) fn jobs(
    identity: &str,
    mods: &[Mod],
    bs: usize,
    templates: &ClusterTemplates,
) -> (Vec<Job>, Vec<Slot>) {
    let mut jobs = Vec::new();
    let mut slots = Vec::new();
    let nm = mods.len();
    for a in 0..nm {
        for b in a + 1..nm {
            let (ka, kb) = (mods[a].cards.len() as u64, mods[b].cards.len() as u64);
            if ka == 0 || kb == 0 {
                continue;
            }
            let (s, t) = if plan_pair(ka, kb, bs as u64).0 {
                (a, b)
            } else {
                (b, a)
            };
            for (sc, card) in mods[s].cards.iter().enumerate() {
                for (ci, chunk) in mods[t].cards.chunks(bs).enumerate() {
                    let prompt = render_score_with(templates, card, chunk);
                    let task = ClusterTask::Score {
                        source_modality: mods[s].name.clone(),
                        source_members: card.members.clone(),
                        targets: chunk
                            .iter()
                            .map(|c| (c.modality.clone(), c.members.clone()))
                            .collect(),
                    };
                    let what = format!(
                        "{} cluster '{}' x {} clusters",
                        mods[s].name, card.label, mods[t].name
                    );
                    jobs.push(cluster_job(identity, task, prompt, what));
                    slots.push((s, sc, t, ci * bs, chunk.len()));
                }
            }
        }
    }
    (jobs, slots)
}

/// A score (or `null`) per target cluster of the task.
pub(super) fn parser() -> Parser<Vec<Option<f64>>> {
    task_parser(|t, text| match t {
        ClusterTask::Score { targets, .. } => Some(parse_scores(text, targets.len())),
        _ => None,
    })
}

/// Runs the phase: the answer about every cluster pair (a failed request
/// marks its pairs [`Scored::Failed`]).
pub(super) fn run(
    p: &mut Pipeline,
    mods: &[Mod],
) -> Result<(BTreeMap<ClusterPair, Scored>, PhaseStats)> {
    let (jobs, slots) = jobs(
        &p.identity,
        mods,
        p.opts.generate.batch_size.max(1),
        &p.opts.templates,
    );
    let (answers, stats) = p.run(Phase::ClusterScoring, &jobs, parser())?;
    let mut scores = BTreeMap::new();
    for ((s, sc, t, first, count), a) in slots.into_iter().zip(answers) {
        for k in 0..count {
            let v = match &a {
                None => Scored::Failed,
                Some(v) => match v.get(k).copied().flatten() {
                    Some(x) => Scored::Score(x),
                    None => Scored::Null,
                },
            };
            scores.insert((s, sc, t, first + k), v);
        }
    }
    Ok((scores, stats))
}
