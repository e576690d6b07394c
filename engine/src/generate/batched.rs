//! `transport = 'batch'`: the call loop's other way to send a phase's
//! requests, as provider batches ([`crate::llm::batch`]).
//!
//! For one phase's pending jobs, per round (the first, then up to
//! `retries` follow-ups for lines without a usable answer):
//! 1. the jobs are cut into files of at most `batch_max_requests` lines
//!    and [`MAX_FILE_BYTES`];
//! 2. each file's batch is looked up in the database by its lines (a
//!    **batch record** in the journal table, keyed by the phase and the
//!    lines' journal keys): a batch still open from an earlier, killed
//!    run is re-attached (no second upload); else the file is uploaded,
//!    the batch created, and its id committed at once;
//! 3. the batch is polled every `batch_poll_s` until it is completed,
//!    expired, cancelled or failed (Ctrl-C stops waiting, not the batch);
//! 4. its output and error files are joined on `custom_id` (the job's
//!    journal key in hex): every usable reply is journaled exactly as a
//!    synchronous one (with its usage), the rest go to the next round;
//!    the record is then marked done.
//!
//! Every line sent is a call for `budget`; dollars use the batch price.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use crate::generate::journaled::{CallLoop, Job, PhaseRun};
use crate::llm::backend::CallError;
use crate::llm::batch::{BatchApi, BatchStatus, input_line, output_line};
use crate::llm::runner::{Call, Parser, Transport, sleep_unless};
use crate::llm::usage;
use crate::{Error, Result};

/// Largest batch input file (OpenAI's limit is 200 MB).
pub const MAX_FILE_BYTES: usize = 200 * 1000 * 1000;

const RECORD_MAGIC: &[u8; 4] = b"\0VB1";

/// A batch this database started, as committed in the journal table.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    batch_id: String,
    input_file_id: String,
    /// Its results were read: a re-run starts a new batch.
    done: bool,
}

pub(super) fn record_key(identity: &str, phase: &str, ids: &[String]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"valence-batch-v1");
    for p in [identity, phase]
        .into_iter()
        .chain(ids.iter().map(String::as_str))
    {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    *h.finalize().as_bytes()
}

pub(super) fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// One file of a round: the jobs (indices into the phase's jobs) and the
/// JSONL text.
pub(super) struct File {
    pub(super) jobs: Vec<usize>,
    pub(super) ids: Vec<String>,
    pub(super) endpoint: &'static str,
    pub(super) jsonl: Vec<u8>,
}

fn http(e: CallError, doing: &str) -> Error {
    Error::Llm {
        message: format!("{doing} failed: {}", e.message()),
        hint: Some(
            "check base_url, model and env OPENAI_API_KEY, and that the endpoint offers /v1/files and /v1/batches; answers already received are journaled and a re-run resumes"
                .into(),
        ),
    }
}

impl CallLoop<'_> {
    /// Sends the `pending` jobs of a phase as provider batches. See the
    /// module docs.
    pub(super) fn call_batched<R: Call, T: Send + 'static>(
        &mut self,
        phase: &str,
        jobs: &[Job<R>],
        pending: &[usize],
        parse: Parser<T, R>,
        run: &mut PhaseRun<T>,
    ) -> Result<()> {
        let backend = self.backend.clone();
        if self.policy.transport == Transport::BatchFiles {
            return self.call_files(phase, jobs, pending, parse, run);
        }
        let Some(api) = backend.batch_api() else {
            return Err(Error::invalid_hint(
                format!(
                    "transport = 'batch' needs a backend with a batch API; the {} backend has none",
                    backend.name()
                ),
                "use backend = 'openai' with an endpoint that offers /v1/files and /v1/batches, or transport = 'sync'",
            ));
        };
        let mut todo = pending.to_vec();
        let mut errors: HashMap<usize, String> = HashMap::new();
        self.progress_ahead = 0;
        for round in 0..=self.policy.retries {
            if todo.is_empty() {
                break;
            }
            let mut next = Vec::new();
            for file in files(api, jobs, &todo, self.policy.batch_max_requests)? {
                let missed = self.one_batch(api, phase, jobs, file, round > 0, &parse, run)?;
                next.extend(missed.into_iter().map(|(i, e)| {
                    errors.insert(i, e);
                    i
                }));
            }
            todo = next;
        }
        for i in todo {
            match errors.remove(&i) {
                Some(e) if e != UNSENT => {
                    run.stats.failed += 1;
                    self.fail(phase, &jobs[i].what, e);
                }
                _ => run.unfinished += 1,
            }
        }
        Ok(())
    }

    /// Runs (or re-attaches to) one batch and ingests its results; the
    /// jobs left without a usable answer, with why.
    #[allow(clippy::too_many_arguments)]
    fn one_batch<R: Call, T: Send + 'static>(
        &mut self,
        api: &dyn BatchApi,
        phase: &str,
        jobs: &[Job<R>],
        file: File,
        retry: bool,
        parse: &Parser<T, R>,
        run: &mut PhaseRun<T>,
    ) -> Result<Vec<(usize, String)>> {
        let identity = self.backend.journal_identity();
        let key = record_key(&identity, phase, &file.ids);
        let open = self
            .journal
            .journal_get(&key)?
            .and_then(|v| v.strip_prefix(RECORD_MAGIC).map(<[u8]>::to_vec))
            .and_then(|v| serde_json::from_slice::<Record>(&v).ok())
            .filter(|r| !r.done);
        let record = match open {
            Some(r) => r,
            None => {
                // Every line is a call for the budget; a file the budget
                // cannot pay for in full is not sent (a re-run resumes).
                let n = file.jobs.len() as u64;
                let room = self
                    .meter
                    .budget()
                    .map_or(u64::MAX, |b| b.saturating_sub(self.meter.calls()));
                if room < n || !(0..n).all(|_| self.meter.take(retry)) {
                    return Ok(file.jobs.iter().map(|&i| (i, UNSENT.to_string())).collect());
                }
                let r = self.start(api, phase, &file)?;
                self.put_record(&key, &r)?;
                r
            }
        };
        let (status, shown) = self.wait(api, phase, &record.batch_id, file.jobs.len() as u64)?;
        if status.status == "failed" {
            return Err(Error::Llm {
                message: format!(
                    "the provider refused batch {} of the {phase} phase: {}",
                    record.batch_id,
                    status.errors.as_deref().unwrap_or("no reason given")
                ),
                hint: Some("check the model and the endpoint's batch support; nothing was charged for a batch that failed validation".into()),
            });
        }
        let missed = self.ingest(api, jobs, &file, &status, parse, run)?;
        // The progress bar moved with the batch's request counts while it
        // ran; the rest of the usable answers now.
        let usable = (file.jobs.len() - missed.len()) as u64;
        if shown > usable {
            self.progress_ahead += shown - usable;
        } else {
            self.show(usable - shown);
        }
        self.put_record(
            &key,
            &Record {
                done: true,
                ..record
            },
        )?;
        Ok(missed)
    }

    /// Moves the progress bar by `n` lines, less what earlier batches of
    /// the phase already showed ahead of their usable answers.
    fn show(&mut self, n: u64) {
        let absorbed = n.min(self.progress_ahead);
        self.progress_ahead -= absorbed;
        self.ctx.progress.advance(n - absorbed);
    }

    fn put_record(&self, key: &[u8; 32], r: &Record) -> Result<()> {
        let mut v = RECORD_MAGIC.to_vec();
        v.extend(serde_json::to_vec(r).map_err(|e| Error::llm(e.to_string()))?);
        self.journal.journal_put(key, &v)
    }

    /// Uploads the file and creates its batch.
    fn start(&mut self, api: &dyn BatchApi, phase: &str, file: &File) -> Result<Record> {
        let rt = self.runtime()?;
        let input_file_id = rt
            .block_on(api.upload(file.jsonl.clone()))
            .map_err(|e| http(e, "uploading the batch file (POST /v1/files)"))?;
        let meta =
            serde_json::json!({"valence_phase": phase, "requests": file.jobs.len().to_string()});
        let status = rt
            .block_on(api.create(&input_file_id, file.endpoint, meta))
            .map_err(|e| http(e, "creating the batch (POST /v1/batches)"))?;
        Ok(Record {
            batch_id: status.id,
            input_file_id,
            done: false,
        })
    }

    /// Polls until the batch is done; Ctrl-C stops waiting (the batch keeps
    /// running and a re-run re-attaches).
    /// Also the completed lines shown on the progress bar meanwhile (from
    /// the batch's `request_counts`, at most `lines`).
    fn wait(
        &mut self,
        api: &dyn BatchApi,
        phase: &str,
        id: &str,
        lines: u64,
    ) -> Result<(BatchStatus, u64)> {
        let mut shown = 0u64;
        let poll = self.policy.batch_poll;
        let cancel = self.ctx.cancel.clone();
        let mut failures = 0;
        loop {
            match self.runtime()?.block_on(api.status(id)) {
                Ok(s) if s.is_done() => return Ok((s, shown)),
                Ok(s) => {
                    failures = 0;
                    let done = s.completed.min(lines);
                    self.show(done.saturating_sub(shown));
                    shown = shown.max(done);
                }
                Err(e @ CallError::Fatal { .. }) => {
                    return Err(http(e, &format!("polling batch {id}")));
                }
                Err(e) => {
                    failures += 1;
                    if failures > self.policy.retries.max(3) {
                        return Err(http(e, &format!("polling batch {id}")));
                    }
                }
            }
            let rt = self.runtime()?;
            if !rt.block_on(sleep_unless(poll, &cancel)) || cancel.load(Ordering::SeqCst) {
                return Err(Error::CancelledWaiting {
                    message: format!(
                        "stopped waiting for batch {id} of the {phase} phase; it keeps running at the provider"
                    ),
                    hint: format!(
                        "re-run the same statement to pick up its results (nothing is uploaded twice), or cancel it with POST <base_url>/batches/{id}/cancel"
                    ),
                });
            }
        }
    }

    /// Reads the output and error files, journals every usable reply; the
    /// jobs left without one, with why.
    fn ingest<R: Call, T: Send + 'static>(
        &mut self,
        api: &dyn BatchApi,
        jobs: &[Job<R>],
        file: &File,
        status: &BatchStatus,
        parse: &Parser<T, R>,
        run: &mut PhaseRun<T>,
    ) -> Result<Vec<(usize, String)>> {
        let mut text = String::new();
        for f in [&status.output_file_id, &status.error_file_id]
            .into_iter()
            .flatten()
        {
            let content = self
                .runtime()?
                .block_on(api.content(f))
                .map_err(|e| http(e, &format!("downloading batch file {f}")))?;
            text.push_str(&content);
            text.push('\n');
        }
        let source = format!("batch {} ({})", status.id, status.status);
        self.ingest_text(api, jobs, file, &text, &source, parse, run)
    }

    /// Joins output lines (`text`) to the file's jobs on `custom_id`,
    /// journals every usable reply; the jobs left without one, with why.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ingest_text<R: Call, T: Send + 'static>(
        &mut self,
        api: &dyn BatchApi,
        jobs: &[Job<R>],
        file: &File,
        text: &str,
        source: &str,
        parse: &Parser<T, R>,
        run: &mut PhaseRun<T>,
    ) -> Result<Vec<(usize, String)>> {
        let by_id: HashMap<&str, usize> = file
            .ids
            .iter()
            .map(String::as_str)
            .zip(file.jobs.iter().copied())
            .collect();
        let mut why: HashMap<usize, String> = HashMap::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Some((id, result)) = output_line(line) else {
                continue;
            };
            let Some(&i) = by_id.get(id.as_str()) else {
                continue;
            };
            let job = &jobs[i];
            let reply = result.and_then(|body| job.request.batch_reply(api, &body));
            let outcome = reply.and_then(|r| {
                if let Some(u) = r.usage {
                    self.meter.add_usage(u);
                }
                parse(&job.request, &r.text)
                    .map(|v| (v, r))
                    .map_err(|e| format!("unusable reply: {e}"))
            });
            match outcome {
                Ok((value, r)) if run.values[i].is_none() => {
                    // Committed before it is used, exactly as a sync reply.
                    self.journal
                        .journal_put(&job.key, &usage::encode(&r.text, r.usage))?;
                    run.values[i] = Some(value);
                }
                Ok(_) => {}
                Err(e) => {
                    why.insert(i, e);
                }
            }
        }
        Ok(file
            .jobs
            .iter()
            .filter(|&&i| run.values[i].is_none())
            .map(|&i| {
                let e = why
                    .remove(&i)
                    .unwrap_or_else(|| format!("no result line in {source}"));
                (i, e)
            })
            .collect())
    }
}

/// Why a job was not sent: the budget could not pay for its file.
const UNSENT: &str = "\0unsent";

/// Cuts `todo` into batch files of at most `max` lines and
/// [`MAX_FILE_BYTES`], one endpoint per file.
pub(super) fn files<R: Call>(
    api: &dyn BatchApi,
    jobs: &[Job<R>],
    todo: &[usize],
    max: usize,
) -> Result<Vec<File>> {
    let mut out: Vec<File> = Vec::new();
    for &i in todo {
        let (url, body) = jobs[i].request.batch_line(api).map_err(|m| Error::Llm {
            message: m,
            hint: None,
        })?;
        let id = hex(&jobs[i].key);
        let line = input_line(&id, url, &body);
        let fits = out.last().is_some_and(|f| {
            f.endpoint == url
                && f.jobs.len() < max.max(1)
                && f.jsonl.len() + line.len() < MAX_FILE_BYTES
        });
        if !fits {
            out.push(File {
                jobs: Vec::new(),
                ids: Vec::new(),
                endpoint: url,
                jsonl: Vec::new(),
            });
        }
        if let Some(f) = out.last_mut() {
            f.jobs.push(i);
            f.ids.push(id);
            f.jsonl.extend_from_slice(line.as_bytes());
            f.jsonl.push(b'\n');
        }
    }
    Ok(out)
}
