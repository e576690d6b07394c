//! Running a brute-force plan: replay what the journal holds, call for the
//! rest, commit each usable reply to the journal before using it.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::generate::plan::{Plan, render};
use crate::generate::{GenerateOptions, GenerateReport, Journal, journal_key};
use crate::llm::backend::{Backend, Request, Task};
use crate::llm::parse::{SignLabel, parse_signs};
use crate::llm::prompt::Template;
use crate::llm::runner::{Meter, Outcome, Parser, run_calls};
use crate::{Error, Result};

/// One classified pair with a sign (neutral answers are only counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairAnswer {
    /// (modality, value) of the primary attribute.
    pub primary: (String, String),
    /// (modality, value) of the target attribute.
    pub target: (String, String),
    pub label: SignLabel,
}

/// Progress of a run, reported after every batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub batches_done: u64,
    pub batches_total: u64,
    pub calls_made: u64,
    pub failed_batches: u64,
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

fn replay(journal: &dyn Journal, key: &[u8; 32], n: usize) -> Result<Option<Vec<SignLabel>>> {
    Ok(journal
        .journal_get(key)?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| parse_signs(&text, n).ok()))
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
    for i in 0..plan.batches.len() {
        let key = batch_key(identity, template, plan, i);
        if replay(journal, &key, plan.batches[i].targets.len())?.is_some() {
            hits[plan.batches[i].pair] += 1;
        }
    }
    for (p, h) in plan.pairs.iter_mut().zip(&hits) {
        p.journaled = *h;
    }
    plan.journaled_calls = hits.iter().sum();
    Ok(())
}

/// Runs `plan` on `backend`. Replays journaled batches, calls for the rest
/// (at most `opts.workers` in flight, retries per `opts`), journals every
/// usable reply before using it.
///
/// Errors: `Cancelled` when `cancel` was set; `Llm` when the budget ran out
/// before every batch had an answer (says how many calls remain; a re-run
/// with a larger budget resumes) or when the endpoint refused the requests
/// (401/403/404); journal errors. On success, failed batches (no usable
/// reply after the last retry) are counted in the report, not an error.
pub fn run_plan(
    backend: Arc<dyn Backend>,
    plan: &Plan,
    template: &Template,
    opts: &GenerateOptions,
    journal: &dyn Journal,
    progress: &mut dyn FnMut(&Progress),
    cancel: Arc<AtomicBool>,
) -> Result<BruteForceResult> {
    opts.validate()?;
    let started = Instant::now();
    let identity = backend.journal_identity();
    let n = plan.batches.len();
    let mut labels: Vec<Option<Vec<SignLabel>>> = vec![None; n];
    let mut pending: Vec<usize> = Vec::new();
    let mut replayed = 0u64;
    let keys: Vec<[u8; 32]> = (0..n)
        .map(|i| batch_key(&identity, template, plan, i))
        .collect();
    for i in 0..n {
        match replay(journal, &keys[i], plan.batches[i].targets.len())? {
            Some(l) => {
                labels[i] = Some(l);
                replayed += 1;
            }
            None => pending.push(i),
        }
    }
    let mut prog = Progress {
        batches_done: replayed,
        batches_total: n as u64,
        ..Progress::default()
    };
    progress(&prog);

    let requests: Vec<Arc<Request>> = pending
        .iter()
        .map(|&i| {
            let b = &plan.batches[i];
            Arc::new(Request {
                task: Task::ClassifySigns {
                    primary_modality: b.primary_modality.clone(),
                    primary_value: b.primary_value.clone(),
                    target_modality: b.target_modality.clone(),
                    targets: b.targets.clone(),
                },
                prompt: render(template, b),
            })
        })
        .collect();
    let parse: Parser<Vec<SignLabel>> = Arc::new(|req: &Request, text: &str| match &req.task {
        Task::ClassifySigns { targets, .. } => parse_signs(text, targets.len()),
    });
    let meter = Arc::new(Meter::new(opts.budget));
    let mut failures: Vec<String> = Vec::new();
    let mut failed = 0u64;
    let mut unfinished = 0u64;
    let mut unclassified = 0u64;

    let run_result = if requests.is_empty() {
        Ok(())
    } else {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::invalid(
                "GENERATE cannot run inside an async runtime (call it from a plain thread)",
            ));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::llm(format!("cannot start the async runtime: {e}")))?;
        let policy = opts.call_policy();
        rt.block_on(run_calls(
            backend.clone(),
            requests,
            parse,
            &policy,
            meter.clone(),
            cancel.clone(),
            |j, outcome| {
                let i = pending[j];
                match outcome {
                    Outcome::Done { value, reply, .. } => {
                        // Committed before it is used.
                        journal.journal_put(&keys[i], reply.as_bytes())?;
                        labels[i] = Some(value);
                        prog.batches_done += 1;
                    }
                    Outcome::Failed { error, .. } => {
                        failed += 1;
                        unclassified += plan.batches[i].targets.len() as u64;
                        if failures.len() < 20 {
                            let b = &plan.batches[i];
                            failures.push(format!(
                                "{} '{}' x {} targets [{}..]: {}",
                                b.primary_modality,
                                b.primary_value,
                                b.target_modality,
                                b.targets.first().map(String::as_str).unwrap_or(""),
                                error
                            ));
                        }
                        prog.batches_done += 1;
                        prog.failed_batches += 1;
                    }
                    Outcome::Unfinished { .. } => unfinished += 1,
                }
                prog.calls_made = meter.calls();
                progress(&prog);
                Ok(())
            },
        ))
    };
    run_result?;
    if cancel.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Error::Cancelled);
    }
    if unfinished > 0 {
        let made = meter.calls();
        let answered = labels.iter().filter(|l| l.is_some()).count();
        return Err(Error::Llm {
            message: format!(
                "budget of {} calls spent: {} calls made, {} of {} batches still need a call (at least {} more calls)",
                opts.budget.unwrap_or(made),
                made,
                unfinished,
                n,
                unfinished
            ),
            hint: Some(format!(
                "the {answered} answers received are journaled: re-run the same GENERATE with budget >= {unfinished} to resume without repeating them"
            )),
        });
    }

    let mut answers = Vec::new();
    let (mut pos, mut neg, mut neutral) = (0u64, 0u64, 0u64);
    for (i, l) in labels.iter().enumerate() {
        let Some(l) = l else { continue };
        let b = &plan.batches[i];
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
    let calls_made = meter.calls();
    let edges = pos + neg;
    let report = GenerateReport {
        strategy: "brute_force".into(),
        backend: backend.name().into(),
        model: match opts.backend {
            crate::generate::BackendKind::OpenAi => opts.model.clone(),
            crate::generate::BackendKind::Oracle => "oracle (simulator)".into(),
        },
        temperature: opts.temperature,
        batch_size: plan.batch_size,
        workers: opts.workers,
        primary: plan.rule.name().into(),
        planned_calls: plan.total_calls,
        calls_made,
        calls_replayed: replayed,
        retries: meter.retries(),
        failed_batches: failed,
        unclassified_pairs: unclassified,
        edges_pos: pos,
        edges_neg: neg,
        neutral_pairs: neutral,
        calls_per_edge: if edges == 0 {
            0.0
        } else {
            (calls_made + replayed) as f64 / edges as f64
        },
        seconds: started.elapsed().as_secs_f64(),
        failures,
    };
    Ok(BruteForceResult { answers, report })
}
