//! Durable jobs: each submission is a record in the database's `jobs` table
//! (statements, status, results, error, times), run by one writer thread in
//! submission order. A job's statements run exactly as in a script: each in
//! its own transaction, stopping at the first error. Cancelling sets the
//! running statement's cancellation flag: it stores nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use valence::{Ctx, Database};
use valence_dsl::ast::Statement;

use crate::error::{ApiError, ErrorBody};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The server stopped (killed, crashed) while the job ran; what its
    /// finished statements stored stays, the running one stored nothing.
    Interrupted,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }

    pub fn is_final(self) -> bool {
        !matches!(self, Status::Queued | Status::Running)
    }
}

/// What a running job is doing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobProgress {
    /// 1-based index of the running statement.
    pub statement: usize,
    /// The statement's current phase (e.g. `calls`, `annealing`).
    pub phase: String,
    pub done: u64,
    pub total: u64,
}

/// A job as stored and as `GET /v1/jobs/{id}` answers it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Job {
    pub id: u64,
    pub status: Status,
    pub statements: String,
    pub progress: JobProgress,
    /// One object per result table, as the shell's JSON mode writes them
    /// (kept as that text: columns in their order).
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<Box<RawValue>>,
    pub error: Option<ErrorBody>,
    pub created: String,
    pub started: Option<String>,
    pub finished: Option<String>,
    /// blake3 of the request body (the idempotency check): stored and
    /// returned with the job, left out of the OpenAPI schema.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schema(ignore)]
    pub body_digest: String,
}

fn now() -> String {
    valence_engine::format_utc(valence_engine::now_unix())
}

/// Live state shared by the handlers and the writer thread.
#[derive(Default)]
pub struct Live {
    /// Cancellation flags of queued and running jobs.
    cancel: Mutex<HashMap<u64, Arc<AtomicBool>>>,
    /// Progress of the running job.
    progress: Mutex<HashMap<u64, JobProgress>>,
}

impl Live {
    pub fn flag(&self, id: u64) -> Arc<AtomicBool> {
        lock(&self.cancel).entry(id).or_default().clone()
    }

    pub fn cancel(&self, id: u64) {
        self.flag(id).store(true, Ordering::SeqCst);
    }

    pub fn cancel_all(&self) {
        for f in lock(&self.cancel).values() {
            f.store(true, Ordering::SeqCst);
        }
    }

    pub fn progress(&self, id: u64) -> Option<JobProgress> {
        lock(&self.progress).get(&id).cloned()
    }

    fn forget(&self, id: u64) {
        lock(&self.cancel).remove(&id);
        lock(&self.progress).remove(&id);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The job table of one database.
#[derive(Clone)]
pub struct Jobs {
    pub db: Database,
    pub live: Arc<Live>,
}

impl Jobs {
    fn store(&self) -> &valence_engine::Store {
        self.db.engine().store()
    }

    /// Records a new queued job; with an idempotency key already used, the
    /// existing job (`Err`).
    pub fn create(
        &self,
        statements: &str,
        key: Option<&str>,
        digest: String,
    ) -> Result<Result<Job, Job>, ApiError> {
        let mut job = Job {
            id: 0,
            status: Status::Queued,
            statements: statements.to_string(),
            progress: JobProgress::default(),
            results: Vec::new(),
            error: None,
            created: now(),
            started: None,
            finished: None,
            body_digest: digest,
        };
        let made = self
            .store()
            .job_create(key, |id| {
                job.id = id;
                encode(&job)
            })
            .map_err(engine_err)?;
        match made {
            Ok(_) => Ok(Ok(job)),
            Err(existing) => Ok(Err(self.get(existing)?.ok_or_else(|| {
                ApiError::internal(format!("job {existing} of an idempotency key is missing"))
            })?)),
        }
    }

    pub fn get(&self, id: u64) -> Result<Option<Job>, ApiError> {
        let Some(bytes) = self.store().job_get(id).map_err(engine_err)? else {
            return Ok(None);
        };
        let mut job = decode(&bytes)?;
        if job.status == Status::Running
            && let Some(p) = self.live.progress(id)
        {
            job.progress = p;
        }
        Ok(Some(job))
    }

    pub fn put(&self, job: &Job) -> Result<(), ApiError> {
        self.store()
            .job_put(job.id, &encode(job))
            .map_err(engine_err)
    }

    /// Newest first, ids below `after` (the previous page's last id).
    pub fn list(
        &self,
        status: Option<Status>,
        limit: usize,
        after: Option<u64>,
    ) -> Result<Vec<Job>, ApiError> {
        let keep = |b: &[u8]| status.is_none_or(|s| decode(b).is_ok_and(|j| j.status == s));
        self.store()
            .jobs_newest_first(after, limit, &keep)
            .map_err(engine_err)?
            .iter()
            .map(|(_, b)| decode(b))
            .collect()
    }

    /// At start-up: jobs a stopped server left running become interrupted;
    /// the ids still queued, oldest first, to run again.
    pub fn recover(&self) -> Result<Vec<u64>, ApiError> {
        self.store()
            .jobs_update_all(&|b| {
                let mut j = decode(b).ok()?;
                (j.status == Status::Running).then(|| {
                    j.status = Status::Interrupted;
                    j.finished = Some(now());
                    encode(&j)
                })
            })
            .map_err(engine_err)?;
        let mut queued: Vec<u64> = self
            .list(Some(Status::Queued), usize::MAX, None)?
            .iter()
            .map(|j| j.id)
            .collect();
        queued.reverse();
        Ok(queued)
    }

    /// Runs one job to its end (on the writer thread).
    pub fn run(&self, id: u64, confine: &crate::confine::Confine) {
        let Ok(Some(mut job)) = self.get(id) else {
            return;
        };
        let cancel = self.live.flag(id);
        if job.status != Status::Queued || cancel.load(Ordering::SeqCst) {
            self.live.forget(id);
            return;
        }
        job.status = Status::Running;
        job.started = Some(now());
        if self.put(&job).is_err() {
            return;
        }
        let ended = self.execute(&job.statements, id, &cancel, confine);
        job.progress = self.live.progress(id).unwrap_or_default();
        job.results = ended.results;
        job.status = match &ended.error {
            None => Status::Succeeded,
            Some(_) if ended.cancelled => Status::Cancelled,
            Some(_) => Status::Failed,
        };
        job.error = ended.error.map(|e| e.body);
        job.finished = Some(now());
        let _ = self.put(&job);
        self.live.forget(id);
    }

    fn execute(
        &self,
        text: &str,
        id: u64,
        cancel: &Arc<AtomicBool>,
        confine: &crate::confine::Confine,
    ) -> Ended {
        let mut ended = Ended::default();
        let mut stmts: Vec<Statement> = match valence::parse_script(text) {
            Ok(s) => s,
            Err(e) => return ended.fail(ApiError::from_valence(&e.into())),
        };
        if let Err(e) = confine.statements(&mut stmts) {
            return ended.fail(e);
        }
        for (i, stmt) in stmts.iter().enumerate() {
            let progress = Arc::new(Reporter {
                live: self.live.clone(),
                id,
                statement: i + 1,
            });
            progress.set(String::new(), 0, 0);
            let ctx = Ctx {
                cancel: cancel.clone(),
                progress,
            };
            match self.db.session().execute_statement(stmt, &ctx) {
                Ok(r) => ended.results.extend(result_objects(&stmt.text, &r)),
                Err(e) => {
                    let e = valence::Error::from(e);
                    ended.cancelled = e.kind() == valence::ErrorKind::Cancelled;
                    return ended.fail(ApiError::from_valence(&e));
                }
            }
        }
        ended
    }
}

/// How a job's statements ended: the results of those that ran, and the
/// error that stopped them.
#[derive(Default)]
struct Ended {
    results: Vec<Box<RawValue>>,
    error: Option<ApiError>,
    cancelled: bool,
}

impl Ended {
    fn fail(mut self, e: ApiError) -> Ended {
        self.error = Some(e);
        self
    }
}

/// The JSON mode's result objects of one statement.
pub fn result_objects(statement: &str, r: &valence::QueryResult) -> Vec<Box<RawValue>> {
    r.tables
        .iter()
        .map(|t| {
            let title = t.title.as_deref().unwrap_or(r.statement);
            let text = valence::render::json_table(statement, title, t);
            RawValue::from_string(text).unwrap_or_else(|e| {
                RawValue::from_string(serde_json::json!({ "error": e.to_string() }).to_string())
                    .expect("a JSON object")
            })
        })
        .collect()
}

/// Progress of a running statement, kept for `GET /v1/jobs/{id}`.
struct Reporter {
    live: Arc<Live>,
    id: u64,
    statement: usize,
}

impl Reporter {
    fn set(&self, phase: String, done: u64, total: u64) {
        lock(&self.live.progress).insert(
            self.id,
            JobProgress {
                statement: self.statement,
                phase,
                done,
                total,
            },
        );
    }

    fn update(&self, f: impl FnOnce(&mut JobProgress)) {
        let mut m = lock(&self.live.progress);
        if let Some(p) = m.get_mut(&self.id) {
            f(p);
        }
    }
}

impl valence::Progress for Reporter {
    fn start(&self, phase: &str, total: u64) {
        self.set(phase.to_string(), 0, total);
    }

    fn advance(&self, n: u64) {
        self.update(|p| p.done += n);
    }

    fn finish(&self) {
        self.update(|p| p.done = p.total.max(p.done));
    }
}

fn encode(job: &Job) -> Vec<u8> {
    serde_json::to_vec(job).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Result<Job, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::internal(format!("a stored job record is unreadable: {e}")))
}

fn engine_err(e: valence_engine::Error) -> ApiError {
    ApiError::from_valence(&valence::Error::from(e))
}
