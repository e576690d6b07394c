//! GENERATE GRAPH: building a signed graph by asking an LLM backend.
//!
//! `BRUTE_FORCE` ([`run_brute_force`]) classifies every cross-modality pair
//! in batches ([`Plan`]). Every usable reply is committed to a [`Journal`]
//! before it is used, keyed by [`journal_key`]; a re-run replays the journal
//! and only calls for what is missing. Bad replies are never journaled.

mod batch_files;
mod batched;
mod brute_force;
mod cluster;
mod journaled;
mod plan;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::Serialize;

use crate::llm::cluster_tasks::ClusterTemplates;
use crate::llm::prompt::Template;
use crate::llm::runner::CallPolicy;
pub use crate::llm::runner::Transport;
pub use crate::llm::schema::ResponseFormat;
use crate::llm::usage::Pricing;
use crate::{Error, Result};

pub use brute_force::{
    BruteForceResult, PairAnswer, build_backend, catalogue_modalities, count_journaled,
    explain_brute_force, oracle_reference, plan_brute_force, run_brute_force, run_brute_force_with,
    run_plan,
};
pub use cluster::{
    ClusterOptions, ClusterPlan, ClusterReport, ModalityClusters, PhasePlan, RouteReport,
    Thresholds, explain_cluster, run_cluster, run_cluster_with,
};
pub use journaled::{CallLoop, Job, PhaseRun, PhaseStats, UNUSABLE_AFTER, Wording};
pub use plan::{Batch, PairPlan, Plan, PrimaryRule, plan_modalities};

/// Which backend answers the prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// The offline simulator answering from `reference`.
    #[default]
    Oracle,
    /// An OpenAI-compatible endpoint at `base_url`.
    #[serde(rename = "openai")]
    OpenAi,
}

impl BackendKind {
    /// The name used in `WITH (backend = ...)`, reports and manifests (the
    /// same spelling as [`Backend::name`](crate::llm::Backend::name)).
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Oracle => "oracle",
            BackendKind::OpenAi => "openai",
        }
    }
}

/// Every option of `GENERATE ... WITH (...)` shared by the strategies, with
/// the documented defaults (`GenerateOptions::default()`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateOptions {
    /// `backend` ('oracle' | 'openai'); default oracle.
    pub backend: BackendKind,
    /// `reference`: the edge CSV the oracle answers from (required for oracle).
    pub reference: Option<PathBuf>,
    /// `base_url` (openai); `None` = env OPENAI_BASE_URL. Serialized (into
    /// manifests) without its secrets: userinfo and `key=`/`token=`... values.
    #[serde(serialize_with = "crate::limits::serialize_redacted_url")]
    pub base_url: Option<String>,
    /// `model`; empty = env `OPENAI_MODEL` (no built-in default: the openai
    /// backend refuses to run without one; the oracle ignores it).
    pub model: String,
    /// `temperature`; default 0.15.
    pub temperature: f64,
    /// `batch_size`: targets per call; default 25.
    pub batch_size: usize,
    /// `workers`: calls in flight; default 7.
    pub workers: usize,
    /// `budget`: max calls in this run (retries count); default unlimited.
    pub budget: Option<u64>,
    /// `retries` after a failed attempt; default 3.
    pub retries: u32,
    /// `timeout_s` per call; default 60.
    pub timeout_s: f64,
    /// `oracle_noise`: fraction of oracle answers flipped; default 0.
    pub oracle_noise: f64,
    /// `oracle_latency_ms`: simulated latency per oracle call; default 0.
    pub oracle_latency_ms: u64,
    /// `seed`: oracle noise and retry jitter; default 0.
    pub seed: u64,
    /// `prompt`: a file overriding the sign-classification template.
    pub prompt: Option<PathBuf>,
    /// `primary` ('fewer_calls' | 'larger' | 'first'); default fewer_calls.
    pub primary: PrimaryRule,
    /// `backoff_ms`: first retry wait (doubles each retry, max 30 s); default 500.
    pub backoff_ms: u64,
    /// `max_wait_s`: the longest `Retry-After` honoured; a server asking for
    /// longer fails that request at once (re-run later). Default 120.
    pub max_wait_s: f64,
    /// `max_reply_bytes`: the largest response body read; a larger one is a
    /// failed attempt, never journaled. Default 1 MiB.
    pub max_reply_bytes: u64,
    /// `allow_failed`: store the graph even when failed batches leave pairs
    /// unclassified (marked partial). Default false: store nothing, error.
    pub allow_failed: bool,
    /// `rpm`: requests per minute for all workers together; default none.
    pub rpm: Option<u64>,
    /// `tpm`: prompt tokens per minute (estimated); default none.
    pub tpm: Option<u64>,
    /// `price_in`: USD per million prompt tokens; none = env
    /// `VALENCE_PRICE_IN` (unset: no dollar figures).
    pub price_in: Option<f64>,
    /// `price_out`: USD per million completion tokens; none = env
    /// `VALENCE_PRICE_OUT`.
    pub price_out: Option<f64>,
    /// `batch_discount`: the share of the sync price a provider batch costs
    /// (EXPLAIN's batch estimate); default 0.5.
    pub batch_discount: f64,
    /// `budget_usd`: the dollars a run may spend (needs prices); default none.
    pub budget_usd: Option<f64>,
    /// `transport` ('sync' | 'batch'); default sync.
    pub transport: Transport,
    /// `batch_poll_s`: seconds between polls of a provider batch; default 30.
    pub batch_poll_s: f64,
    /// `batch_max_requests`: most requests per batch file; default 50,000.
    pub batch_max_requests: u64,
    /// `response_format` ('text' | 'json_object' | 'json_schema'); default text.
    pub response_format: ResponseFormat,
    /// `batch_dir`: where `transport = 'batch_files'` writes and reads.
    pub batch_dir: Option<PathBuf>,
    /// `prompts`: a directory of prompt files overriding the built-in
    /// templates ([`ClusterTemplates::from_dir`]).
    pub prompts: Option<PathBuf>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            backend: BackendKind::Oracle,
            reference: None,
            base_url: None,
            model: String::new(),
            temperature: 0.15,
            batch_size: 25,
            workers: 7,
            budget: None,
            retries: 3,
            timeout_s: 60.0,
            oracle_noise: 0.0,
            oracle_latency_ms: 0,
            seed: 0,
            prompt: None,
            primary: PrimaryRule::FewerCalls,
            backoff_ms: 500,
            max_wait_s: 120.0,
            max_reply_bytes: 1024 * 1024,
            allow_failed: false,
            rpm: None,
            tpm: None,
            price_in: None,
            price_out: None,
            batch_discount: 0.5,
            budget_usd: None,
            transport: Transport::Sync,
            batch_poll_s: 30.0,
            batch_max_requests: 50_000,
            response_format: ResponseFormat::Text,
            batch_dir: None,
            prompts: None,
        }
    }
}

/// A `WITH` option whose value is out of range: which option (so the DSL
/// can point at it) and the error.
#[derive(Debug)]
pub struct OptionError {
    pub option: &'static str,
    /// Another option the check involves (e.g. `pos_threshold` for a
    /// `neg_threshold` not below it), for when `option` was not written.
    pub related: Option<&'static str>,
    pub error: Error,
}

impl OptionError {
    pub(crate) fn range(option: &'static str, value: String, range: &str) -> OptionError {
        OptionError {
            option,
            related: None,
            error: Error::invalid_hint(
                format!("GENERATE option {option} = {value} is out of range"),
                format!("{option} must be {range}"),
            ),
        }
    }
}

impl GenerateOptions {
    /// Checks ranges; errors name the option and its valid range.
    pub fn validate(&self) -> Result<()> {
        self.check().map_err(|e| e.error)
    }

    /// [`GenerateOptions::validate`], saying which option is wrong.
    pub fn check(&self) -> std::result::Result<(), OptionError> {
        let bad =
            |name: &'static str, v: String, range: &str| Err(OptionError::range(name, v, range));
        if self.batch_size == 0 {
            return bad("batch_size", "0".into(), "at least 1");
        }
        if self.workers == 0 || self.workers > 1024 {
            return bad("workers", self.workers.to_string(), "1..1024");
        }
        if self.retries > 100 {
            return bad("retries", self.retries.to_string(), "0..100");
        }
        if !(self.timeout_s.is_finite() && self.timeout_s > 0.0 && self.timeout_s <= 86_400.0) {
            return bad(
                "timeout_s",
                self.timeout_s.to_string(),
                "a number of seconds above 0",
            );
        }
        if !(0.0..=1.0).contains(&self.oracle_noise) {
            return bad(
                "oracle_noise",
                self.oracle_noise.to_string(),
                "between 0 and 1",
            );
        }
        if !(0.0..=2.0).contains(&self.temperature) {
            return bad(
                "temperature",
                self.temperature.to_string(),
                "between 0 and 2",
            );
        }
        if !(self.max_wait_s.is_finite() && (0.0..=86_400.0).contains(&self.max_wait_s)) {
            return bad(
                "max_wait_s",
                self.max_wait_s.to_string(),
                "a number of seconds between 0 and 86400",
            );
        }
        if self.max_reply_bytes < 1024 || self.max_reply_bytes > 1 << 30 {
            return bad(
                "max_reply_bytes",
                self.max_reply_bytes.to_string(),
                "between 1024 and 1073741824 (1 GiB)",
            );
        }
        if self.backend == BackendKind::OpenAi
            && let Some(u) = self
                .base_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
        {
            crate::llm::backend::check_base_url(u.trim_end_matches('/')).map_err(|error| {
                OptionError {
                    option: "base_url",
                    related: None,
                    error,
                }
            })?;
        }
        if self.budget == Some(0) {
            return bad("budget", "0".into(), "at least 1 (omit it for no limit)");
        }
        self.check_money()
    }

    /// Checks the rate limits, prices and dollar budget.
    fn check_money(&self) -> std::result::Result<(), OptionError> {
        let bad =
            |name: &'static str, v: String, range: &str| Err(OptionError::range(name, v, range));
        for (name, v) in [("rpm", self.rpm), ("tpm", self.tpm)] {
            if v == Some(0) {
                return bad(name, "0".into(), "at least 1 (omit it for no limit)");
            }
        }
        for (name, v) in [("price_in", self.price_in), ("price_out", self.price_out)] {
            if let Some(p) = v.filter(|p| !(p.is_finite() && *p >= 0.0)) {
                return bad(name, p.to_string(), "a number of dollars >= 0");
            }
        }
        if !(self.batch_poll_s.is_finite()
            && self.batch_poll_s > 0.0
            && self.batch_poll_s <= 86_400.0)
        {
            return bad(
                "batch_poll_s",
                self.batch_poll_s.to_string(),
                "a number of seconds above 0, at most 86400",
            );
        }
        if !(1..=50_000).contains(&self.batch_max_requests) {
            return bad(
                "batch_max_requests",
                self.batch_max_requests.to_string(),
                "between 1 and 50000",
            );
        }
        if self.transport == Transport::BatchFiles && self.batch_dir.is_none() {
            return Err(OptionError {
                option: "batch_dir",
                related: Some("transport"),
                error: Error::invalid_hint(
                    "transport = 'batch_files' needs batch_dir",
                    "add batch_dir = 'some/dir': request files are written there, result files read from there",
                ),
            });
        }
        if self.transport != Transport::Sync && self.backend != BackendKind::OpenAi {
            return Err(OptionError {
                option: "transport",
                related: Some("backend"),
                error: Error::invalid_hint(
                    format!(
                        "transport = '{}' needs backend = 'openai' (the oracle has no batch API)",
                        self.transport.name()
                    ),
                    "add backend = 'openai' with a base_url whose server offers /v1/files and /v1/batches, or drop transport",
                ),
            });
        }
        if !(0.0..=1.0).contains(&self.batch_discount) {
            return bad(
                "batch_discount",
                self.batch_discount.to_string(),
                "between 0 and 1",
            );
        }
        if let Some(b) = self.budget_usd {
            if !(b.is_finite() && b > 0.0) {
                return bad("budget_usd", b.to_string(), "a number of dollars above 0");
            }
            let priced = self.pricing().map_err(|error| OptionError {
                option: "price_in",
                related: None,
                error,
            })?;
            if priced.is_none() {
                return Err(OptionError {
                    option: "price_in",
                    related: Some("budget_usd"),
                    error: Error::invalid_hint(
                        "budget_usd needs prices: no price_in/price_out was given and env VALENCE_PRICE_IN/VALENCE_PRICE_OUT are not set",
                        "add price_in = ..., price_out = ... (USD per million tokens) to WITH (...)",
                    ),
                });
            }
        }
        Ok(())
    }

    /// The prices: `price_in`/`price_out`, else env `VALENCE_PRICE_IN`/
    /// `VALENCE_PRICE_OUT`; `None` when neither side is known (one known
    /// side prices the other at 0).
    pub fn pricing(&self) -> Result<Option<Pricing>> {
        self.pricing_with(&|k| std::env::var(k).ok())
    }

    /// [`GenerateOptions::pricing`] reading `env` instead of the process
    /// environment.
    pub fn pricing_with(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Pricing>> {
        let side = |given: Option<f64>, var: &str| -> Result<Option<f64>> {
            if given.is_some() {
                return Ok(given);
            }
            match env(var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
            {
                None => Ok(None),
                Some(v) => match v.parse::<f64>() {
                    Ok(p) if p.is_finite() && p >= 0.0 => Ok(Some(p)),
                    _ => Err(Error::invalid_hint(
                        format!(
                            "env {var} = '{}' is not a price",
                            crate::limits::excerpt(&v)
                        ),
                        format!("set {var} to USD per million tokens, e.g. 0.4, or unset it"),
                    )),
                },
            }
        };
        let (i, o) = (
            side(self.price_in, "VALENCE_PRICE_IN")?,
            side(self.price_out, "VALENCE_PRICE_OUT")?,
        );
        Ok((i.is_some() || o.is_some()).then(|| Pricing {
            price_in: i.unwrap_or(0.0),
            price_out: o.unwrap_or(0.0),
        }))
    }

    /// The retry/concurrency policy these options describe.
    pub fn call_policy(&self) -> CallPolicy {
        CallPolicy {
            workers: self.workers.max(1),
            retries: self.retries,
            timeout: std::time::Duration::from_secs_f64(self.timeout_s.clamp(0.001, 86_400.0)),
            backoff_base: std::time::Duration::from_millis(self.backoff_ms),
            retry_after_max: std::time::Duration::from_secs_f64(self.max_wait_s),
            seed: self.seed,
            rpm: self.rpm,
            tpm: self.tpm,
            // Checked by `validate` when a dollar budget needs it.
            pricing: self.pricing().ok().flatten(),
            budget_usd: self.budget_usd,
            transport: self.transport,
            batch_poll: std::time::Duration::from_secs_f64(
                self.batch_poll_s.clamp(0.001, 86_400.0),
            ),
            batch_max_requests: self.batch_max_requests.clamp(1, 50_000) as usize,
            batch_discount: self.batch_discount,
            batch_dir: self.batch_dir.clone(),
            ..CallPolicy::default()
        }
    }

    /// The sign-classification template: `prompt`, else `classify.txt` of
    /// `prompts`, else Appendix A.
    pub fn sign_template(&self) -> Result<Template> {
        match &self.prompt {
            Some(p) => Template::sign_from_file(p),
            None => Ok(self
                .templates()?
                .classify
                .unwrap_or_else(Template::default_sign)),
        }
    }

    /// Which file the sign-classification template comes from.
    pub fn sign_template_source(&self) -> Result<String> {
        Ok(match &self.prompt {
            Some(p) => p.display().to_string(),
            None => match self.templates()?.classify {
                Some(_) => self.templates()?.source("classify"),
                None => "built-in (Appendix A)".into(),
            },
        })
    }

    /// The templates of `prompts` (checked: a bad file is an error naming
    /// it), or the built-in ones.
    pub fn templates(&self) -> Result<ClusterTemplates> {
        match &self.prompts {
            Some(dir) => ClusterTemplates::from_dir(dir),
            None => Ok(ClusterTemplates::default()),
        }
    }
}

/// Where replies are committed. Each `put` must be durable when it returns
/// (its own committed transaction).
pub trait Journal {
    fn journal_get(&self, key: &[u8; 32]) -> Result<Option<Vec<u8>>>;
    fn journal_put(&self, key: &[u8; 32], value: &[u8]) -> Result<()>;
}

impl Journal for crate::store::Store {
    fn journal_get(&self, key: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        crate::store::Store::journal_get(self, key)
    }

    fn journal_put(&self, key: &[u8; 32], value: &[u8]) -> Result<()> {
        crate::store::Store::journal_put(self, key, value)
    }
}

/// An in-memory journal (tests, in-memory databases).
#[derive(Debug, Default)]
pub struct MemJournal {
    map: Mutex<HashMap<[u8; 32], Vec<u8>>>,
}

impl MemJournal {
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All stored values (tests inspect them).
    pub fn values(&self) -> Vec<Vec<u8>> {
        self.map
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }
}

impl Journal for MemJournal {
    fn journal_get(&self, key: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        let m = self
            .map
            .lock()
            .map_err(|_| Error::storage("journal lock poisoned"))?;
        Ok(m.get(key).cloned())
    }

    fn journal_put(&self, key: &[u8; 32], value: &[u8]) -> Result<()> {
        let mut m = self
            .map
            .lock()
            .map_err(|_| Error::storage("journal lock poisoned"))?;
        m.insert(*key, value.to_vec());
        Ok(())
    }
}

/// The journal key of one call: blake3 of (backend identity = backend,
/// model, temperature; template text; task kind; primary modality and value;
/// target modality and targets), each part length-prefixed.
pub fn journal_key(identity: &str, template: &str, kind: &str, parts: &[&str]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"valence-journal-v1");
    for p in [identity, template, kind]
        .into_iter()
        .chain(parts.iter().copied())
    {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    *h.finalize().as_bytes()
}

/// What a GENERATE run did (it goes into the graph version's manifest).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct GenerateReport {
    pub strategy: String,
    pub backend: String,
    pub model: String,
    pub temperature: f64,
    pub batch_size: usize,
    pub workers: usize,
    pub primary: String,
    /// Calls the plan needs (one per batch).
    pub planned_calls: u64,
    /// HTTP/oracle calls made in this run, retries included.
    pub calls_made: u64,
    /// Batches answered from the journal without a call.
    pub calls_replayed: u64,
    /// Calls that were retries of a failed attempt.
    pub retries: u64,
    /// Batches with no usable reply after the last retry (pairs unclassified).
    pub failed_batches: u64,
    pub unclassified_pairs: u64,
    pub edges_pos: u64,
    pub edges_neg: u64,
    pub neutral_pairs: u64,
    /// (calls made + replayed) / edges; 0 when there is no edge.
    pub calls_per_edge: f64,
    /// Prompt tokens of the replies received in this run (server's usage).
    #[serde(default)]
    pub tokens_in: u64,
    /// Completion tokens of the replies received in this run.
    #[serde(default)]
    pub tokens_out: u64,
    /// Dollars those tokens cost, when prices are known.
    #[serde(default)]
    pub usd: Option<f64>,
    pub seconds: f64,
    /// The first few failure messages, one per failed batch.
    pub failures: Vec<String>,
}

/// The statement text as stored in the manifest: without the secrets of
/// its `base_url` (userinfo, `key=`/`token=`... values).
pub(crate) fn scrub_statement(statement: &str, opts: &GenerateOptions) -> String {
    match &opts.base_url {
        Some(u) => crate::limits::scrub_url_secrets(statement, u),
        None => statement.to_string(),
    }
}

/// How complete a generation run is: failed requests that left pairs
/// unclassified make the graph partial.
pub(crate) trait Completeness {
    /// Requests with no usable answer after their retries.
    fn failed_requests(&self) -> u64;
    /// Pairs no answer classified.
    fn unclassified_pairs(&self) -> u64;
    /// The first failure messages.
    fn failure_messages(&self) -> &[String];
}

impl Completeness for GenerateReport {
    fn failed_requests(&self) -> u64 {
        self.failed_batches
    }
    fn unclassified_pairs(&self) -> u64 {
        self.unclassified_pairs
    }
    fn failure_messages(&self) -> &[String] {
        &self.failures
    }
}

/// The error of a run whose failed requests left pairs unclassified, when
/// `allow_failed` is off: nothing is stored, the journal keeps the rest.
pub(crate) fn incomplete_error(r: &dyn Completeness) -> Error {
    let first = r
        .failure_messages()
        .first()
        .map(|m| format!("; first failure: {m}"))
        .unwrap_or_default();
    Error::Llm {
        message: format!(
            "{} request(s) failed after their retries, leaving {} pair(s) unclassified; \
             no graph version was stored{first}",
            r.failed_requests(),
            r.unclassified_pairs()
        ),
        hint: Some(
            "re-run the same statement: every answer received is journaled, so only the failed \
             requests are sent again; or add allow_failed = true to store the partial graph \
             (marked partial in its manifest)"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Backend;

    /// The manifest's `options.backend` and `generate.backend` spell a
    /// backend the same way (`openai`, not `open_ai`), as WITH does.
    #[test]
    fn backend_is_spelled_one_way() {
        let o = GenerateOptions {
            backend: BackendKind::OpenAi,
            model: "m".into(),
            ..GenerateOptions::default()
        };
        let v = serde_json::to_value(&o).unwrap();
        let client =
            crate::llm::OpenAiBackend::with_env(Some("http://127.0.0.1:9/v1"), "m", 0.1, &|_| None)
                .unwrap();
        assert_eq!(v["backend"], client.name());
        assert_eq!(v["backend"], BackendKind::OpenAi.name());
        let v = serde_json::to_value(GenerateOptions::default()).unwrap();
        assert_eq!(v["backend"], BackendKind::Oracle.name());
    }
}
