//! Phase 1, enrichment: a description per attribute of every clustered
//! modality, `enrich_batch` attributes of one modality per call.

use crate::Result;
use crate::generate::journaled::Job;
use crate::llm::cluster_tasks::{ClusterTask, parse_descriptions, render_describe_with};
use crate::llm::runner::Parser;

use super::{ClusterOptions, Mod, Phase, PhaseStats, Pipeline, cluster_job, task_parser};

/// Where a job's descriptions go: (modality, index of its first value).
pub(super) type Slot = (usize, usize);

/// The enrichment jobs (they depend on the catalogue only).
pub(super) fn jobs(identity: &str, mods: &[Mod], opts: &ClusterOptions) -> (Vec<Job>, Vec<Slot>) {
    let batched = opts.enrich_batch > 1;
    let mut jobs = Vec::new();
    let mut slots = Vec::new();
    for (mi, m) in mods.iter().enumerate() {
        if !m.clustered {
            continue;
        }
        for (ci, chunk) in m.values.chunks(opts.enrich_batch).enumerate() {
            let task = ClusterTask::Describe {
                modality: m.name.clone(),
                values: chunk.to_vec(),
                batched,
            };
            let prompt = render_describe_with(&opts.templates, &m.name, chunk, batched);
            let what = format!("{} '{}'..", m.name, chunk[0]);
            jobs.push(cluster_job(identity, task, prompt, what));
            slots.push((mi, ci * opts.enrich_batch));
        }
    }
    (jobs, slots)
}

/// One description per value of the task.
pub(super) fn parser() -> Parser<Vec<String>> {
    task_parser(|t, text| match t {
        ClusterTask::Describe {
            values, batched, ..
        } => Some(parse_descriptions(text, values.len(), *batched)),
        _ => None,
    })
}

/// Runs the phase; a failed request leaves its descriptions empty.
pub(super) fn run(p: &mut Pipeline, mods: &mut [Mod]) -> Result<PhaseStats> {
    let (jobs, slots) = jobs(&p.identity, mods, p.opts);
    let (answers, stats) = p.run(Phase::Enrichment, &jobs, parser())?;
    for ((mi, first), descs) in slots.into_iter().zip(answers) {
        let m = &mut mods[mi];
        for (k, d) in descs.unwrap_or_default().into_iter().enumerate() {
            if let Some(slot) = m.descriptions.get_mut(first + k) {
                *slot = d;
            }
        }
    }
    Ok(stats)
}
