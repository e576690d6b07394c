//! Phase 4, labelling: clusters of two or more members, `label_batch`
//! clusters of one modality per call. A singleton's label is its value,
//! its summary its description.

use crate::Result;
use crate::generate::journaled::Job;
use crate::llm::cluster_tasks::{
    ClusterCard, ClusterLabel, ClusterTask, parse_labels, render_label_with,
};
use crate::llm::runner::Parser;

use super::{ClusterOptions, Mod, Phase, PhaseStats, Pipeline, cluster_job, task_parser};

/// Where a job's labels go: (modality, clusters).
pub(super) type Slot = (usize, Vec<usize>);

/// Calls to label `multi` clusters of 2+ members.
pub(super) fn calls_for(multi: usize, label_batch: usize) -> u64 {
    multi.div_ceil(label_batch.max(1)) as u64
}

/// The cards before labelling: a singleton shows its value and description,
/// a larger cluster its first member and size.
fn default_cards(m: &Mod) -> Vec<ClusterCard> {
    m.members
        .iter()
        .map(|c| {
            let names: Vec<String> = c.iter().map(|&i| m.values[i].clone()).collect();
            let (label, summary) = if c.len() == 1 {
                (names[0].clone(), m.descriptions[c[0]].clone())
            } else {
                (
                    format!("{} +{}", names[0], c.len() - 1),
                    format!("{} {} attributes", c.len(), m.name),
                )
            };
            ClusterCard {
                modality: m.name.clone(),
                label,
                summary,
                members: names,
            }
        })
        .collect()
}

/// Sets every modality's default cards; the labelling jobs.
pub(super) fn jobs(
    identity: &str,
    mods: &mut [Mod],
    opts: &ClusterOptions,
) -> (Vec<Job>, Vec<Slot>) {
    let mut jobs = Vec::new();
    let mut slots = Vec::new();
    for (mi, m) in mods.iter_mut().enumerate() {
        m.cards = default_cards(m);
        let multi: Vec<usize> = (0..m.members.len())
            .filter(|&c| m.members[c].len() > 1)
            .collect();
        for chunk in multi.chunks(opts.label_batch) {
            let clusters: Vec<Vec<String>> =
                chunk.iter().map(|&c| m.cards[c].members.clone()).collect();
            let prompt = render_label_with(&opts.templates, &m.name, &clusters);
            let what = format!("{} cluster '{}'..", m.name, clusters[0][0]);
            let task = ClusterTask::Label {
                modality: m.name.clone(),
                clusters,
            };
            jobs.push(cluster_job(identity, task, prompt, what));
            slots.push((mi, chunk.to_vec()));
        }
    }
    (jobs, slots)
}

/// One label per cluster of the task.
pub(super) fn parser() -> Parser<Vec<ClusterLabel>> {
    task_parser(|t, text| match t {
        ClusterTask::Label { clusters, .. } => Some(parse_labels(text, clusters.len())),
        _ => None,
    })
}

/// Runs the phase; a failed request keeps its clusters' default cards.
pub(super) fn run(p: &mut Pipeline, mods: &mut [Mod]) -> Result<PhaseStats> {
    let (jobs, slots) = jobs(&p.identity, mods, p.opts);
    let (answers, stats) = p.run(Phase::Labelling, &jobs, parser())?;
    for ((mi, cs), labels) in slots.into_iter().zip(answers) {
        for (c, l) in cs.into_iter().zip(labels.unwrap_or_default()) {
            let card = &mut mods[mi].cards[c];
            card.label = l.label;
            card.summary = l.summary;
        }
    }
    Ok(stats)
}
