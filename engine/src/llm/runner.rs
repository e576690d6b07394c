//! Running many calls: concurrency, timeouts, retries, budget, cancellation.
//!
//! * At most `workers` attempts are in flight (a tokio semaphore; a permit is
//!   held for one attempt, not across backoff sleeps). A usable reply keeps
//!   its permit until the caller has taken it (journaled it), so attempts in
//!   flight plus replies not yet journaled never exceed `workers`.
//! * An attempt fails on a transient error (429, 408, 5xx, timeout,
//!   connection error, malformed body) or an unusable reply (the caller's
//!   parser refuses it). It is retried up to `retries` times, waiting an
//!   exponential backoff (`backoff_base * 2^k`, capped at `backoff_max`) with
//!   jitter (50-100% of that), or the server's `Retry-After` when it is
//!   longer. A `Retry-After` above `retry_after_max` (GENERATE's
//!   `max_wait_s`) fails the request at once: waiting is never unbounded.
//! * Every attempt, first or retry, is a CALL for the budget: a budget of N
//!   means at most N HTTP requests. With prices, `budget_usd` refuses new
//!   attempts once the replies received cost that much (attempts in flight
//!   finish: the run may exceed it by at most `workers` replies).
//! * Every attempt first passes the run's [`RateGate`]: a 429 that says how
//!   long to wait pauses every worker, and `rpm`/`tpm` buckets hold requests
//!   back before the provider has to refuse them.
//! * The `usage` of every reply received (usable or not) is added to the
//!   [`Meter`]'s token counters.
//! * A rejected request (other 4xx) fails its batch at once; a fatal one
//!   (401/403/404) stops the run. A failed batch does not stop the run.
//! * Outcomes are handed to the caller one at a time, in completion order,
//!   on the driving task (so the caller can journal each before the next).
//!   A usable reply received while the run is stopping (after an error) is
//!   still handed over, so it is journaled rather than lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::llm::backend::{Backend, BoxFuture, CallError, Request};
use crate::llm::batch::{BatchApi, CHAT_URL, EMBEDDINGS_URL};
use crate::llm::parse::ParseError;
use crate::llm::rate::RateGate;
use crate::llm::usage::{Pricing, Reply, Usage};
use crate::{Error, Result};

/// The async runtime a GENERATE run drives its calls on (2 worker threads:
/// the calls wait on the network, not the CPU). Refuses to nest inside an
/// existing runtime, where blocking on it would deadlock.
pub fn new_runtime() -> Result<tokio::runtime::Runtime> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::invalid(
            "GENERATE cannot run inside an async runtime (call it from a plain thread)",
        ));
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::llm(format!("cannot start the async runtime: {e}")))
}

/// Concurrency and retry settings.
#[derive(Debug, Clone)]
pub struct CallPolicy {
    pub workers: usize,
    pub retries: u32,
    pub timeout: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub retry_after_max: Duration,
    /// Seeds the jitter (deterministic per request and attempt).
    pub seed: u64,
    /// Requests per minute for the whole run (a token bucket); `None`: no limit.
    pub rpm: Option<u64>,
    /// Prompt tokens per minute (estimated from the prompt text).
    pub tpm: Option<u64>,
    /// Prices (USD per million tokens), when known.
    pub pricing: Option<Pricing>,
    /// Dollars the run may spend (needs `pricing`).
    pub budget_usd: Option<f64>,
    /// How requests travel: one HTTP call each, or provider batches.
    pub transport: Transport,
    /// How often a provider batch is polled.
    pub batch_poll: Duration,
    /// Most requests in one batch file (OpenAI: 50,000).
    pub batch_max_requests: usize,
    /// The share of the sync price a provider batch costs.
    pub batch_discount: f64,
    /// Where `batch_files` writes request files and reads result files.
    pub batch_dir: Option<std::path::PathBuf>,
}

/// How a run's requests reach the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// One HTTP request per call, at most `workers` in flight.
    #[default]
    Sync,
    /// Each phase's requests as provider batches (`/v1/files`, `/v1/batches`).
    Batch,
    /// Each phase's requests as batch files in `batch_dir`, run by an
    /// offline tool (`vllm run-batch`), whose output files are read back.
    BatchFiles,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Sync => "sync",
            Transport::Batch => "batch",
            Transport::BatchFiles => "batch_files",
        }
    }
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            workers: 7,
            retries: 3,
            timeout: Duration::from_secs(60),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            retry_after_max: Duration::from_secs(120),
            seed: 0,
            rpm: None,
            tpm: None,
            pricing: None,
            budget_usd: None,
            transport: Transport::Sync,
            batch_poll: Duration::from_secs(30),
            batch_max_requests: 50_000,
            batch_discount: 0.5,
            batch_dir: None,
        }
    }
}

/// What a run is shared by all its tasks and phases: call and token
/// counters, the budgets (calls, dollars) and the rate gate.
#[derive(Debug, Default)]
pub struct Meter {
    budget: Option<u64>,
    calls: AtomicU64,
    retries: AtomicU64,
    budget_hit: AtomicBool,
    tokens_in: AtomicU64,
    tokens_out: AtomicU64,
    pricing: Option<Pricing>,
    budget_usd: Option<f64>,
    usd_hit: AtomicBool,
    gate: RateGate,
}

impl Meter {
    pub fn new(budget: Option<u64>) -> Meter {
        Meter {
            budget,
            ..Meter::default()
        }
    }

    /// Sets the rate gate (`rpm`, `tpm` limits).
    pub fn with_gate(mut self, gate: RateGate) -> Meter {
        self.gate = gate;
        self
    }

    /// Sets the prices and the dollar budget (which needs prices).
    pub fn with_money(mut self, pricing: Option<Pricing>, budget_usd: Option<f64>) -> Meter {
        self.pricing = pricing;
        self.budget_usd = budget_usd;
        self
    }

    /// The run's rate gate.
    pub fn gate(&self) -> &RateGate {
        &self.gate
    }

    /// Counts the tokens of a reply received.
    pub fn add_usage(&self, u: Usage) {
        self.tokens_in.fetch_add(u.prompt_tokens, Ordering::SeqCst);
        self.tokens_out
            .fetch_add(u.completion_tokens, Ordering::SeqCst);
    }

    /// Prompt tokens of the replies received in this run.
    pub fn tokens_in(&self) -> u64 {
        self.tokens_in.load(Ordering::SeqCst)
    }

    /// Completion tokens of the replies received in this run.
    pub fn tokens_out(&self) -> u64 {
        self.tokens_out.load(Ordering::SeqCst)
    }

    /// Dollars the replies received cost, when prices are known.
    pub fn usd(&self) -> Option<f64> {
        self.pricing
            .map(|p| p.usd(self.tokens_in(), self.tokens_out()))
    }

    /// Whether an attempt was refused because `budget_usd` was spent.
    pub fn usd_exhausted(&self) -> bool {
        self.usd_hit.load(Ordering::SeqCst)
    }

    /// The dollar budget.
    pub fn budget_usd(&self) -> Option<f64> {
        self.budget_usd
    }

    /// Reserves one call; `false` when a budget (calls or dollars) is spent.
    pub(crate) fn take(&self, retry: bool) -> bool {
        if let (Some(b), Some(spent)) = (self.budget_usd, self.usd())
            && spent >= b
        {
            self.usd_hit.store(true, Ordering::SeqCst);
            self.budget_hit.store(true, Ordering::SeqCst);
            return false;
        }
        let ok = self
            .calls
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| match self.budget {
                Some(b) if c >= b => None,
                _ => Some(c + 1),
            })
            .is_ok();
        if !ok {
            self.budget_hit.store(true, Ordering::SeqCst);
        } else if retry {
            self.retries.fetch_add(1, Ordering::SeqCst);
        }
        ok
    }

    /// Calls made (attempts sent, retries included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Attempts after the first of their request.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::SeqCst)
    }

    /// Whether some request was refused a call because the budget was spent.
    pub fn budget_exhausted(&self) -> bool {
        self.budget_hit.load(Ordering::SeqCst)
    }

    pub fn budget(&self) -> Option<u64> {
        self.budget
    }
}

/// What became of one request.
#[derive(Debug)]
pub enum Outcome<T> {
    /// A usable reply: its parsed value, its text and usage.
    Done {
        value: T,
        reply: String,
        usage: Option<Usage>,
        attempts: u32,
    },
    /// No usable reply after the last retry (or a rejected request).
    Failed { attempts: u32, error: String },
    /// Stopped before a usable reply: budget spent, cancelled, or the run
    /// was stopped by a fatal error. Not a failure: a re-run resumes it.
    Unfinished { attempts: u32 },
}

/// A parser from reply text to a value; `Err` makes the attempt fail.
pub type Parser<T, R = Request> = Arc<dyn Fn(&R, &str) -> Result<T, ParseError> + Send + Sync>;

/// Something a backend can be asked: a chat [`Request`] or an
/// [`EmbedRequest`]. The answer is text (what the journal stores).
pub trait Call: Send + Sync + 'static {
    fn send<'a>(&'a self, backend: &'a dyn Backend) -> BoxFuture<'a, Result<Reply, CallError>>;

    /// The prompt tokens the request is estimated to take (`tpm`).
    fn est_tokens(&self) -> u64;

    /// Its line in a provider batch file: the endpoint and the body.
    fn batch_line(&self, api: &dyn BatchApi) -> Result<(&'static str, serde_json::Value), String>;

    /// Its reply from the response body of its batch output line.
    fn batch_reply(&self, api: &dyn BatchApi, body: &serde_json::Value) -> Result<Reply, String>;
}

impl Call for Request {
    fn send<'a>(&'a self, backend: &'a dyn Backend) -> BoxFuture<'a, Result<Reply, CallError>> {
        backend.complete_reply(self)
    }

    fn est_tokens(&self) -> u64 {
        crate::llm::prompt::estimate_tokens(&self.prompt)
    }

    fn batch_line(&self, api: &dyn BatchApi) -> Result<(&'static str, serde_json::Value), String> {
        Ok((CHAT_URL, api.chat_body(self)))
    }

    fn batch_reply(&self, api: &dyn BatchApi, body: &serde_json::Value) -> Result<Reply, String> {
        api.chat_reply(body)
    }
}

/// One `/embeddings` request. Its answer text is the JSON array of vectors
/// (serde_json writes each `f32` so that it reads back bit for bit).
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedRequest {
    pub inputs: Vec<String>,
}

impl Call for EmbedRequest {
    fn send<'a>(&'a self, backend: &'a dyn Backend) -> BoxFuture<'a, Result<Reply, CallError>> {
        Box::pin(async move {
            let (vectors, usage) = backend.embed_usage(&self.inputs).await?;
            let text = serde_json::to_string(&vectors).map_err(|e| CallError::Transient {
                message: format!("embeddings that cannot be written as JSON: {e}"),
                retry_after: None,
            })?;
            Ok(Reply { text, usage })
        })
    }

    fn est_tokens(&self) -> u64 {
        self.inputs
            .iter()
            .map(|i| crate::llm::prompt::estimate_tokens(i))
            .sum()
    }

    fn batch_line(&self, api: &dyn BatchApi) -> Result<(&'static str, serde_json::Value), String> {
        Ok((EMBEDDINGS_URL, api.embed_body(&self.inputs)?))
    }

    fn batch_reply(&self, api: &dyn BatchApi, body: &serde_json::Value) -> Result<Reply, String> {
        api.embed_reply(body, self.inputs.len())
    }
}

enum TaskEnd<T> {
    Outcome(Outcome<T>),
    /// A usable reply, with the concurrency permit of its call: the permit is
    /// released only once the driver has handed the reply over (journaled
    /// it), so calls in flight plus replies not yet journaled never exceed
    /// `workers` (a kill -9 loses at most that many).
    Reply(Outcome<T>, tokio::sync::OwnedSemaphorePermit),
    Fatal(String),
}

fn jitter(seed: u64, job: usize, attempt: u32) -> f64 {
    let mut h = blake3::Hasher::new();
    h.update(&seed.to_le_bytes());
    h.update(&(job as u64).to_le_bytes());
    h.update(&attempt.to_le_bytes());
    let b = h.finalize();
    let mut u = [0u8; 8];
    u.copy_from_slice(&b.as_bytes()[..8]);
    0.5 + 0.5 * ((u64::from_le_bytes(u) >> 11) as f64 / (1u64 << 53) as f64)
}

/// The wait before retry number `k` (1-based).
fn backoff(policy: &CallPolicy, job: usize, k: u32, retry_after: Option<Duration>) -> Duration {
    let exp = policy
        .backoff_base
        .saturating_mul(1u32.checked_shl(k.saturating_sub(1)).unwrap_or(u32::MAX))
        .min(policy.backoff_max);
    let d = exp.mul_f64(jitter(policy.seed, job, k));
    match retry_after {
        Some(ra) => d.max(ra.min(policy.retry_after_max)),
        None => d,
    }
}

/// Sleeps `d`, waking early (returning `false`) when `stop` is set.
pub(crate) async fn sleep_unless(d: Duration, stop: &AtomicBool) -> bool {
    let step = Duration::from_millis(25);
    let deadline = tokio::time::Instant::now() + d;
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return true;
        }
        tokio::time::sleep(step.min(deadline - now)).await;
    }
}

async fn wait_stop(stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn one<T: Send + 'static, R: Call>(
    job: usize,
    backend: Arc<dyn Backend>,
    req: Arc<R>,
    parse: Parser<T, R>,
    policy: CallPolicy,
    meter: Arc<Meter>,
    sem: Arc<Semaphore>,
    stop: Arc<AtomicBool>,
) -> TaskEnd<T> {
    let mut attempts = 0u32;
    let mut last_error = String::new();
    let mut retry_after = None;
    while attempts <= policy.retries {
        if attempts > 0 && !sleep_unless(backoff(&policy, job, attempts, retry_after), &stop).await
        {
            return TaskEnd::Outcome(Outcome::Unfinished { attempts });
        }
        let Ok(permit) = sem.clone().acquire_owned().await else {
            return TaskEnd::Outcome(Outcome::Unfinished { attempts });
        };
        // Every worker waits out a pause another one's 429 set.
        if !meter.gate().admit(req.est_tokens(), &stop).await
            || stop.load(Ordering::SeqCst)
            || !meter.take(attempts > 0)
        {
            return TaskEnd::Outcome(Outcome::Unfinished { attempts });
        }
        attempts += 1;
        retry_after = None;
        let call = tokio::time::timeout(policy.timeout, req.send(&*backend));
        // Biased: a reply that is already there is taken, even when the run
        // is stopping at the same moment (it is then handed over and journaled).
        let res = tokio::select! {
            biased;
            r = call => r,
            _ = wait_stop(&stop) => return TaskEnd::Outcome(Outcome::Unfinished { attempts }),
        };
        match res {
            Err(_) => {
                last_error = format!(
                    "no answer within the timeout of {} s",
                    policy.timeout.as_secs_f64()
                )
            }
            Ok(Err(CallError::Transient {
                message,
                retry_after: ra,
            })) => {
                if let Some(ra) = ra.filter(|ra| *ra > policy.retry_after_max) {
                    return TaskEnd::Outcome(Outcome::Failed {
                        attempts,
                        error: format!(
                            "the server asks to wait {} s (Retry-After), more than max_wait_s = \
                             {} s: not retried (re-run later, or raise max_wait_s); {message}",
                            ra.as_secs_f64(),
                            policy.retry_after_max.as_secs_f64()
                        ),
                    });
                }
                if let Some(ra) = ra {
                    meter.gate().pause(ra);
                }
                last_error = message;
                retry_after = ra;
            }
            Ok(Err(CallError::Rejected { message })) => {
                return TaskEnd::Outcome(Outcome::Failed {
                    attempts,
                    error: message,
                });
            }
            Ok(Err(CallError::Fatal { message })) => {
                // Stop the other tasks at once, not when the driver sees this.
                stop.store(true, Ordering::SeqCst);
                return TaskEnd::Fatal(message);
            }
            Ok(Ok(Reply { text, usage })) => match parse(&req, &text) {
                Ok(value) => {
                    if let Some(u) = usage {
                        meter.add_usage(u);
                    }
                    let done = Outcome::Done {
                        value,
                        reply: text,
                        usage,
                        attempts,
                    };
                    return TaskEnd::Reply(done, permit);
                }
                Err(e) => {
                    // Paid for all the same.
                    if let Some(u) = usage {
                        meter.add_usage(u);
                    }
                    last_error = format!("unusable reply: {e}")
                }
            },
        }
    }
    TaskEnd::Outcome(Outcome::Failed {
        attempts,
        error: last_error,
    })
}

/// Runs `requests` against `backend`, handing each outcome to `on_outcome`
/// (request index, outcome) as it completes. Returns an `Llm` error when a
/// fatal endpoint error stopped the run (after every finished outcome was
/// handed over), or the first error `on_outcome` returned (the run is
/// stopped and drained first). Budget exhaustion and cancellation are not
/// errors here: they show as `Unfinished` outcomes (see [`Meter`]).
pub async fn run_calls<T: Send + 'static, R: Call>(
    backend: Arc<dyn Backend>,
    requests: Vec<Arc<R>>,
    parse: Parser<T, R>,
    policy: &CallPolicy,
    meter: Arc<Meter>,
    cancel: Arc<AtomicBool>,
    mut on_outcome: impl FnMut(usize, Outcome<T>) -> Result<()>,
) -> Result<()> {
    let sem = Arc::new(Semaphore::new(policy.workers.max(1)));
    // `stop` is set by cancel, a fatal error or a failing `on_outcome`.
    let stop = Arc::new(AtomicBool::new(false));
    let mut set = JoinSet::new();
    for (i, req) in requests.into_iter().enumerate() {
        let fut = one(
            i,
            backend.clone(),
            req,
            parse.clone(),
            policy.clone(),
            meter.clone(),
            sem.clone(),
            stop.clone(),
        );
        set.spawn(async move { (i, fut.await) });
    }
    // Mirror the caller's cancel flag into `stop` while tasks run.
    let watcher = {
        let (cancel, stop) = (cancel.clone(), stop.clone());
        tokio::spawn(async move {
            wait_stop(&cancel).await;
            stop.store(true, Ordering::SeqCst);
        })
    };
    let mut first_err: Option<Error> = None;
    while let Some(joined) = set.join_next().await {
        let end = match joined {
            Ok(end) => end,
            Err(e) => {
                stop.store(true, Ordering::SeqCst);
                first_err.get_or_insert(Error::llm(format!("an LLM call task failed: {e}")));
                continue;
            }
        };
        // A reply keeps its call's permit until it has been handed over.
        let (end, _permit) = match end {
            (i, TaskEnd::Reply(o, p)) => ((i, Ok(o)), Some(p)),
            (i, TaskEnd::Outcome(o)) => ((i, Ok(o)), None),
            (i, TaskEnd::Fatal(m)) => ((i, Err(m)), None),
        };
        match end {
            (i, Ok(o)) => {
                if first_err.is_none() {
                    if let Err(e) = on_outcome(i, o) {
                        stop.store(true, Ordering::SeqCst);
                        first_err = Some(e);
                    }
                } else if matches!(o, Outcome::Done { .. }) {
                    // A reply received while the run stops is still handed
                    // over (journaled): it was paid for.
                    let _ = on_outcome(i, o);
                }
            }
            (i, Err(m)) => {
                stop.store(true, Ordering::SeqCst);
                if first_err.is_none() {
                    let _ = on_outcome(i, Outcome::Unfinished { attempts: 1 });
                    first_err = Some(Error::Llm {
                        message: format!("the endpoint refused the request: {m}"),
                        hint: Some(
                            "check base_url, model and env OPENAI_API_KEY; answers already received are journaled and a re-run resumes"
                                .into(),
                        ),
                    });
                }
            }
        }
    }
    watcher.abort();
    match first_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::backend::Task;

    /// Answers every request after 20 ms, counting the replies it gave.
    struct Slow(Arc<AtomicU64>);

    impl Backend for Slow {
        fn name(&self) -> &'static str {
            "slow"
        }
        fn journal_identity(&self) -> String {
            "slow".into()
        }
        fn complete<'a>(&'a self, _req: &'a Request) -> BoxFuture<'a, Result<String, CallError>> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                self.0.fetch_add(1, Ordering::SeqCst);
                Ok("reply".to_string())
            })
        }
    }

    #[test]
    fn replies_received_while_stopping_are_still_handed_over() {
        let requests: Vec<Arc<Request>> = (0..5)
            .map(|i| {
                Arc::new(Request {
                    task: Task::ClassifySigns {
                        primary_modality: "m".into(),
                        primary_value: format!("v{i}"),
                        target_modality: "t".into(),
                        targets: vec!["x".into()],
                    },
                    prompt: format!("p{i}"),
                })
            })
            .collect();
        let parse: Parser<()> = Arc::new(|_: &Request, _: &str| Ok(()));
        let policy = CallPolicy {
            workers: 5,
            ..CallPolicy::default()
        };
        let meter = Arc::new(Meter::new(None));
        let mut handed = 0u64;
        let replied = Arc::new(AtomicU64::new(0));
        let rt = new_runtime().unwrap();
        let r = rt.block_on(run_calls(
            Arc::new(Slow(replied.clone())),
            requests,
            parse,
            &policy,
            meter.clone(),
            Arc::new(AtomicBool::new(false)),
            |_, o| {
                if matches!(o, Outcome::Done { .. }) {
                    handed += 1;
                }
                // The caller stops the run at the first outcome.
                Err(Error::invalid("stop"))
            },
        ));
        assert!(r.is_err());
        let replied = replied.load(Ordering::SeqCst);
        assert!(replied > 1, "several calls were answered together");
        assert_eq!(handed, replied, "every received reply was handed over");
    }
}
