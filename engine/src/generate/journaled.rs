//! The one journaled call loop: every GENERATE request (brute-force batches,
//! each cluster-first phase, embeddings) goes through [`CallLoop::run`].
//!
//! For one phase's [`Job`]s it
//! 1. replays the journal: a job whose journaled reply the phase's parser
//!    accepts is answered without a call;
//! 2. calls for the rest through [`run_calls`] (at most `workers` in flight,
//!    retries with backoff or the server's `Retry-After`, sleeps that wake on
//!    cancellation, a fatal 401/403/404 stopping the run);
//! 3. journals each usable reply before it is used (bad replies never are);
//! 4. stops the run when the phase's first [`UNUSABLE_AFTER`] requests all
//!    failed after their retries and none succeeded (the breaker: an
//!    endpoint that never answers usefully is not worth hours of timeouts).
//!
//! ONE [`Meter`] counts the calls of every phase of a run, so `budget`
//! bounds the whole run; jobs the budget leaves without a call come back as
//! [`PhaseRun::unfinished`] (the caller says what remains).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::generate::Journal;
use crate::llm::backend::{Backend, Request};
use crate::llm::rate::RateGate;
use crate::llm::runner::{
    Call, CallPolicy, Meter, Outcome, Parser, Transport, new_runtime, run_calls,
};
use crate::llm::usage;
use crate::llm::usage::Pricing;
use crate::{Ctx, Error, Result};

/// A phase stops when this many of its requests failed (after their
/// retries) before any of them succeeded: the endpoint is unusable.
pub const UNUSABLE_AFTER: u64 = 3;

/// At most this many failure messages are kept for the report.
const MAX_FAILURES: usize = 20;

/// One request of a phase, with its journal key and what to call it in a
/// failure message.
#[derive(Debug, Clone)]
pub struct Job<R = Request> {
    pub key: [u8; 32],
    pub request: Arc<R>,
    pub what: String,
}

impl<R> Job<R> {
    pub fn new(key: [u8; 32], request: R, what: String) -> Job<R> {
        Job {
            key,
            request: Arc::new(request),
            what,
        }
    }
}

/// Calls of one phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseStats {
    pub phase: String,
    /// Requests the phase needed (one per batch).
    pub planned: u64,
    /// Requests sent in this run, retries included.
    pub made: u64,
    /// Requests answered from the journal.
    pub replayed: u64,
    pub retries: u64,
    /// Requests with no usable answer after the last retry.
    pub failed: u64,
    /// Prompt tokens of the replies received in this run (usable or not),
    /// as the server reported them (0 when it did not).
    #[serde(default)]
    pub tokens_in: u64,
    /// Completion tokens of the replies received in this run.
    #[serde(default)]
    pub tokens_out: u64,
}

impl PhaseStats {
    /// Calls the result cost (made in this run + replayed from earlier runs).
    pub fn total(&self) -> u64 {
        self.made + self.replayed
    }
}

/// What one phase got: a value per job (`None` = failed or unfinished).
#[derive(Debug)]
pub struct PhaseRun<T> {
    pub values: Vec<Option<T>>,
    pub stats: PhaseStats,
    /// Jobs left without an answer because the budget was spent.
    pub unfinished: u64,
}

/// How failures are worded: brute force speaks of batches; cluster-first
/// names the phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    Batches,
    PhaseRequests,
}

/// The call loop of one GENERATE run (all its phases).
pub struct CallLoop<'a> {
    pub(super) backend: Arc<dyn Backend>,
    pub(super) journal: &'a dyn Journal,
    pub(super) ctx: &'a Ctx,
    pub(super) policy: CallPolicy,
    budget: Option<u64>,
    pub(super) meter: Arc<Meter>,
    pub(super) rt: Option<tokio::runtime::Runtime>,
    pub(super) failures: Vec<String>,
    pub(super) last_failure: Option<String>,
    pub(super) wording: Wording,
    /// Batch transport: lines the progress bar showed ahead of their usable
    /// answers (a batch's request counts included lines that then failed);
    /// absorbed by the follow-up batches' progress, so no line counts twice.
    pub(super) progress_ahead: u64,
}

/// A job's journaled answer, if the journal holds one its parser accepts.
pub fn replay<R, T>(
    journal: &dyn Journal,
    job: &Job<R>,
    parse: &Parser<T, R>,
) -> Result<Option<T>> {
    Ok(journal
        .journal_get(&job.key)?
        .and_then(|bytes| usage::decode(&bytes))
        .and_then(|(text, _)| parse(&job.request, &text).ok()))
}

/// How many of `jobs` the journal answers (EXPLAIN); makes no call.
pub fn count_replayable<R, T>(
    journal: &dyn Journal,
    jobs: &[Job<R>],
    parse: &Parser<T, R>,
) -> Result<u64> {
    let mut n = 0;
    for j in jobs {
        if replay(journal, j, parse)?.is_some() {
            n += 1;
        }
    }
    Ok(n)
}

impl<'a> CallLoop<'a> {
    pub fn new(
        backend: Arc<dyn Backend>,
        journal: &'a dyn Journal,
        ctx: &'a Ctx,
        policy: CallPolicy,
        budget: Option<u64>,
        wording: Wording,
    ) -> CallLoop<'a> {
        // A provider batch costs `batch_discount` of the sync price.
        let pricing = match policy.transport {
            Transport::Sync => policy.pricing,
            Transport::Batch | Transport::BatchFiles => policy.pricing.map(|p| Pricing {
                price_in: p.price_in * policy.batch_discount,
                price_out: p.price_out * policy.batch_discount,
            }),
        };
        let meter = Meter::new(budget)
            .with_gate(RateGate::new(policy.rpm, policy.tpm))
            .with_money(pricing, policy.budget_usd);
        CallLoop {
            backend,
            journal,
            ctx,
            policy,
            budget,
            meter: Arc::new(meter),
            rt: None,
            failures: Vec::new(),
            last_failure: None,
            wording,
            progress_ahead: 0,
        }
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Calls made so far in this run (every phase, retries included).
    pub fn calls(&self) -> u64 {
        self.meter.calls()
    }

    /// Retries so far in this run.
    pub fn retries(&self) -> u64 {
        self.meter.retries()
    }

    /// The run's counters (tokens, dollars, budgets, rate gate).
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// The run's budget.
    pub fn budget(&self) -> Option<u64> {
        self.budget
    }

    /// The error of the most recent failed request.
    pub fn last_failure(&self) -> Option<&str> {
        self.last_failure.as_deref()
    }

    /// The first failure messages of the run.
    pub fn into_failures(self) -> Vec<String> {
        self.failures
    }

    /// An error for a request the run cannot do without: keeps the last
    /// transport error (kind Http, reqwest's error as `source()`) when
    /// there is one, else an `Llm` error.
    pub fn failure_error(&self, message: String, hint: Option<String>) -> Error {
        unusable(&*self.backend, message, hint)
    }

    /// Runs one phase's `jobs`: replay, call, journal, count. See the
    /// module docs. Errors: `Cancelled`; `Llm`/`Http` when a fatal error or
    /// the breaker stopped the run; journal errors.
    pub fn run<R: Call, T: Send + 'static>(
        &mut self,
        phase: &str,
        jobs: &[Job<R>],
        parse: Parser<T, R>,
    ) -> Result<PhaseRun<T>> {
        self.ctx.check()?;
        let mut run = PhaseRun {
            values: (0..jobs.len()).map(|_| None).collect(),
            stats: PhaseStats {
                phase: phase.into(),
                planned: jobs.len() as u64,
                ..PhaseStats::default()
            },
            unfinished: 0,
        };
        let mut pending = Vec::new();
        for (i, j) in jobs.iter().enumerate() {
            match replay(self.journal, j, &parse)? {
                Some(v) => {
                    run.values[i] = Some(v);
                    run.stats.replayed += 1;
                }
                None => pending.push(i),
            }
        }
        let progress = self.ctx.progress.clone();
        progress.start(phase, jobs.len() as u64);
        progress.advance(run.stats.replayed);
        let (calls0, retries0) = (self.meter.calls(), self.meter.retries());
        let (in0, out0) = (self.meter.tokens_in(), self.meter.tokens_out());
        let result = if pending.is_empty() {
            Ok(())
        } else if self.policy.transport != Transport::Sync {
            self.call_batched(phase, jobs, &pending, parse, &mut run)
        } else {
            self.call(phase, jobs, &pending, parse, &mut run)
        };
        progress.finish();
        run.stats.made = self.meter.calls() - calls0;
        run.stats.retries = self.meter.retries() - retries0;
        run.stats.tokens_in = self.meter.tokens_in() - in0;
        run.stats.tokens_out = self.meter.tokens_out() - out0;
        result?;
        self.ctx.check()?;
        Ok(run)
    }

    /// The run's async runtime, started on first use.
    pub(super) fn runtime(&mut self) -> Result<&tokio::runtime::Runtime> {
        if self.rt.is_none() {
            self.rt = Some(new_runtime()?);
        }
        self.rt
            .as_ref()
            .ok_or_else(|| Error::llm("no async runtime"))
    }

    /// Records a request that has no usable answer after its retries.
    pub(super) fn fail(&mut self, phase: &str, what: &str, error: String) {
        if self.failures.len() < MAX_FAILURES {
            self.failures.push(match self.wording {
                Wording::Batches => format!("{what}: {error}"),
                Wording::PhaseRequests => format!("{phase}: {what}: {error}"),
            });
        }
        self.last_failure = Some(error);
    }

    /// Calls for the `pending` jobs, journaling and folding each outcome
    /// into `run` as it arrives.
    fn call<R: Call, T: Send + 'static>(
        &mut self,
        phase: &str,
        jobs: &[Job<R>],
        pending: &[usize],
        parse: Parser<T, R>,
        run: &mut PhaseRun<T>,
    ) -> Result<()> {
        if self.rt.is_none() {
            self.rt = Some(new_runtime()?);
        }
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| Error::llm("no async runtime"))?;
        let requests: Vec<Arc<R>> = pending.iter().map(|&i| jobs[i].request.clone()).collect();
        let (journal, backend, progress) = (self.journal, &self.backend, &self.ctx.progress);
        let (failures, wording) = (&mut self.failures, self.wording);
        let (last_failure, retries) = (&mut self.last_failure, self.policy.retries);
        let mut succeeded = 0u64;
        rt.block_on(run_calls(
            backend.clone(),
            requests,
            parse,
            &self.policy,
            self.meter.clone(),
            self.ctx.cancel.clone(),
            |k, outcome| {
                let job = &jobs[pending[k]];
                match outcome {
                    Outcome::Done {
                        value,
                        reply,
                        usage,
                        ..
                    } => {
                        // Committed before it is used, with its usage.
                        journal.journal_put(&job.key, &usage::encode(&reply, usage))?;
                        run.values[pending[k]] = Some(value);
                        succeeded += 1;
                    }
                    Outcome::Failed { error, .. } => {
                        run.stats.failed += 1;
                        if failures.len() < MAX_FAILURES {
                            failures.push(match wording {
                                Wording::Batches => format!("{}: {error}", job.what),
                                Wording::PhaseRequests => format!("{phase}: {}: {error}", job.what),
                            });
                        }
                        let failed = run.stats.failed;
                        if succeeded == 0 && failed >= UNUSABLE_AFTER {
                            let e =
                                breaker_error(&**backend, wording, phase, failed, retries, &error);
                            *last_failure = Some(error);
                            return Err(e);
                        }
                        *last_failure = Some(error);
                    }
                    Outcome::Unfinished { .. } => {
                        run.unfinished += 1;
                        return Ok(());
                    }
                }
                progress.advance(1);
                Ok(())
            },
        ))
    }
}

/// The breaker's error: the first requests of a phase all failed.
fn breaker_error(
    backend: &dyn Backend,
    wording: Wording,
    phase: &str,
    failed: u64,
    retries: u32,
    error: &str,
) -> Error {
    let what = match wording {
        Wording::Batches => "batches".to_string(),
        Wording::PhaseRequests => format!("{phase} requests"),
    };
    unusable(
        backend,
        format!(
            "stopping: the first {failed} {what} all failed after {retries} retries and none succeeded; last error: {error}"
        ),
        Some(
            "check that the endpoint is up and base_url, model and env OPENAI_API_KEY are right; nothing was stored except journaled answers".into(),
        ),
    )
}

/// A transport failure keeps reqwest's error as the source (kind Http); a
/// bad reply stays `Llm`.
fn unusable(backend: &dyn Backend, message: String, hint: Option<String>) -> Error {
    match backend.take_transport_error() {
        Some(source) => Error::Http {
            message,
            hint,
            source,
        },
        None => Error::Llm { message, hint },
    }
}
