//! The routes: health, queries, jobs; uploads and downloads live in
//! `transfer.rs`. Handlers parse and check at once (a bad statement is a
//! `400` with line and column, never a queued job that fails later) and run
//! engine work on blocking threads.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use valence::Database;
use valence_dsl::ast::Statement;

use crate::confine::Confine;
use crate::error::{ApiError, Params};
use crate::jobs::{Job, Jobs, Status};
use crate::{Config, auth, transfer};

/// State shared by every handler and the writer thread.
pub struct Shared {
    pub db: Database,
    pub jobs: Jobs,
    pub confine: Confine,
    queue: std::sync::Mutex<Option<std::sync::mpsc::Sender<u64>>>,
    writer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Shared {
    /// Recovers the job table and starts the writer thread.
    pub fn start(db: Database, cfg: &Config) -> anyhow::Result<Arc<Shared>> {
        let confine = Confine::new(cfg.data_dir.as_deref())?;
        let jobs = Jobs {
            db: db.clone(),
            live: Default::default(),
        };
        let queued = jobs
            .recover()
            .map_err(|e| anyhow::anyhow!("cannot read the job table: {}", e.body.message))?;
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        for id in queued {
            let _ = tx.send(id);
        }
        let (wjobs, wconfine) = (jobs.clone(), confine.clone());
        let writer = std::thread::Builder::new()
            .name("valence-jobs".into())
            .spawn(move || {
                for id in rx {
                    wjobs.run(id, &wconfine);
                }
            })?;
        Ok(Arc::new(Shared {
            db,
            jobs,
            confine,
            queue: std::sync::Mutex::new(Some(tx)),
            writer: std::sync::Mutex::new(Some(writer)),
        }))
    }

    fn enqueue(&self, id: u64) -> Result<(), ApiError> {
        let q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.as_ref().and_then(|q| q.send(id).ok()).ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the server is stopping",
            )
        })
    }

    /// Cancels the running job and waits for the writer to finish.
    pub fn stop(&self) {
        self.jobs.live.cancel_all();
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = w.join();
        }
    }
}

/// The service's errors keep their one JSON shape when a layer, not a
/// handler, answers: a body over its limit (413) or a method the route does
/// not take (405, its `Allow` header kept).
async fn json_errors(resp: Response) -> Response {
    let json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let e = match resp.status() {
        _ if json => return resp,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is over the size limit",
        )
        .hint(
            "uploads and evaluation runs take up to --upload-limit-mb (256 MB by default), other \
             requests --body-limit-kb (1024 KB)",
        ),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint does not take that method",
        )
        .hint("the methods each endpoint takes are listed in GET /v1/openapi.json"),
        _ => return resp,
    };
    let allow = resp.headers().get(axum::http::header::ALLOW).cloned();
    let mut out = e.into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, a);
    }
    out
}

/// Every route with its layers.
pub fn router(shared: Arc<Shared>, cfg: &Config) -> Router {
    let tokens = auth::Tokens::new(&cfg.tokens);
    let uploads = Router::new()
        .route("/v1/catalogues/{name}", put(transfer::upload_catalogue))
        .route("/v1/graphs/{name}", put(transfer::upload_graph))
        // Evaluation runs arrive in bulk (JSONL): the upload limit applies
        // (not axum's default 2 MB for a buffered body).
        .route("/v1/evaluations", post(crate::board::post_evaluations))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(cfg.upload_limit));
    let api = Router::new()
        .route("/v1/jobs", post(submit).get(list))
        .route("/v1/jobs/{id}", get(status))
        .route("/v1/jobs/{id}/cancel", post(cancel))
        .route("/v1/query", post(query))
        .route("/v1/datasets/{dataset}", get(transfer::download_dataset))
        .route("/v1/graphs/{graph}/edges", get(transfer::download_edges))
        .route("/v1/openapi.json", get(crate::openapi::spec))
        .route("/v1/leaderboard", get(crate::board::get_leaderboard))
        .route("/leaderboard", get(crate::board::page))
        .route("/", get(crate::board::root))
        .layer(RequestBodyLimitLayer::new(cfg.body_limit))
        .merge(uploads)
        .layer(axum::middleware::from_fn_with_state(
            tokens,
            auth::require_token,
        ));
    Router::new()
        .route("/v1/health", get(health))
        .merge(api)
        .fallback(|| async { ApiError::not_found("no such endpoint; see GET /v1/openapi.json") })
        .with_state(shared)
        .layer(axum::middleware::map_response(json_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            cfg.request_timeout,
        ))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .make_span_with(|req: &axum::http::Request<_>| {
            // Method, path and request id only: no query string (it may
            // name data), no headers (they carry the token).
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), id = %id)
        }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
    version: &'static str,
}

/// `GET /v1/health` (no authentication).
#[utoipa::path(get, path = "/v1/health", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// A body with statements.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Statements {
    /// DSL text: one or more statements ending with `;`.
    statements: String,
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("the request body is not the expected JSON: {e}"))
            .at(e.line(), e.column())
            .hint(r#"send {"statements": "SHOW GRAPHS;"}"#)
    })
}

/// Parses and confines, or the `400`/`403` for it.
fn checked(shared: &Shared, text: &str) -> Result<Vec<Statement>, ApiError> {
    let mut stmts = valence::parse_script(text).map_err(|e| ApiError::from_valence(&e.into()))?;
    if stmts.is_empty() {
        return Err(ApiError::bad_request("no statement to run").hint("end each statement with ;"));
    }
    shared.confine.statements(&mut stmts)?;
    Ok(stmts)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Submitted {
    id: u64,
    status: Status,
}

/// `POST /v1/jobs`: queue statements (they are checked now).
#[utoipa::path(post, path = "/v1/jobs", request_body = Statements,
    responses((status = 202, body = Submitted), (status = 400, body = crate::error::ErrorBody),
              (status = 422, description = "idempotency key reused with another body")))]
pub async fn submit(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    raw: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: Statements = body(&raw)?;
    checked(&shared, &req.statements)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 255)
                .ok_or_else(|| {
                    ApiError::bad_request("Idempotency-Key must be 1-255 visible ASCII characters")
                })?
                .to_string(),
        ),
    };
    let digest = blake3::hash(req.statements.as_bytes()).to_hex().to_string();
    let s = shared.clone();
    let made = blocking(move || {
        s.jobs
            .create(&req.statements, key.as_deref(), digest.clone())
            .map(|r| (r, digest))
    })
    .await?;
    match made {
        (Ok(job), _) => {
            shared.enqueue(job.id)?;
            Ok((
                StatusCode::ACCEPTED,
                Json(Submitted {
                    id: job.id,
                    status: job.status,
                }),
            )
                .into_response())
        }
        (Err(existing), digest) if existing.body_digest == digest => Ok((
            StatusCode::ACCEPTED,
            Json(Submitted {
                id: existing.id,
                status: existing.status,
            }),
        )
            .into_response()),
        (Err(existing), _) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "this Idempotency-Key already created job {} with other statements",
                existing.id
            ),
        )
        .hint("use a new key for new statements")),
    }
}

/// Runs blocking engine work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("a worker failed: {e}")))?
}

fn job_id(s: &str) -> Result<u64, ApiError> {
    s.parse()
        .map_err(|_| ApiError::bad_request(format!("'{s}' is not a job id")))
}

/// `GET /v1/jobs/{id}`.
#[utoipa::path(get, path = "/v1/jobs/{id}", responses((status = 200, body = Job), (status = 404)))]
pub async fn status(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    let id = job_id(&id)?;
    let s = shared.clone();
    blocking(move || s.jobs.get(id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("job {id} does not exist")))
}

/// `POST /v1/jobs/{id}/cancel`: a queued job never runs; a running one
/// stops at its next check and stores nothing of its statement.
#[utoipa::path(post, path = "/v1/jobs/{id}/cancel", responses((status = 202, body = Job), (status = 409)))]
pub async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = job_id(&id)?;
    let s = shared.clone();
    let job = blocking(move || {
        let Some(mut job) = s.jobs.get(id)? else {
            return Err(ApiError::not_found(format!("job {id} does not exist")));
        };
        if job.status.is_final() {
            return Err(ApiError::conflict(format!(
                "job {id} has already ended ({:?})",
                job.status
            )));
        }
        s.jobs.live.cancel(id);
        if job.status == Status::Queued {
            job.status = Status::Cancelled;
            job.finished = Some(valence_engine::format_utc(valence_engine::now_unix()));
            s.jobs.put(&job)?;
        }
        Ok(job)
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<usize>,
    /// The last id of the previous page.
    after: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobPage {
    jobs: Vec<Job>,
    /// Pass as `after` for the next page; absent on the last page.
    next: Option<u64>,
}

/// `GET /v1/jobs?status=&limit=&after=`: newest first.
#[utoipa::path(get, path = "/v1/jobs", params(ListParams), responses((status = 200, body = JobPage)))]
pub async fn list(
    State(shared): State<Arc<Shared>>,
    Params(p): Params<ListParams>,
) -> Result<Json<JobPage>, ApiError> {
    let status = p
        .status
        .as_deref()
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!("unknown status '{s}'"))
                    .hint("queued, running, succeeded, failed, cancelled or interrupted")
            })
        })
        .transpose()?;
    let limit = p.limit.unwrap_or(50).clamp(1, 1000);
    let s = shared.clone();
    let jobs = blocking(move || s.jobs.list(status, limit, p.after)).await?;
    let next = (jobs.len() == limit)
        .then(|| jobs.last().map(|j| j.id))
        .flatten();
    Ok(Json(JobPage { jobs, next }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueryAnswer {
    #[schema(value_type = Vec<Object>)]
    results: Vec<Box<serde_json::value::RawValue>>,
}

/// `POST /v1/query`: read-only statements, answered at once on read
/// transactions (never blocked by a running job).
#[utoipa::path(post, path = "/v1/query", request_body = Statements,
    responses((status = 200, body = QueryAnswer), (status = 409, description = "a statement writes: submit it to /v1/jobs")))]
pub async fn query(
    State(shared): State<Arc<Shared>>,
    raw: axum::body::Bytes,
) -> Result<Json<QueryAnswer>, ApiError> {
    let req: Statements = body(&raw)?;
    let stmts = checked(&shared, &req.statements)?;
    if let Some(w) = stmts.iter().find(|s| s.kind.writes()) {
        return Err(ApiError::conflict(format!(
            "{} writes: /v1/query runs read-only statements",
            w.kind.title()
        ))
        .at(w.span.line, w.span.col)
        .hint("submit it with POST /v1/jobs and poll GET /v1/jobs/{id}"));
    }
    let s = shared.clone();
    let results = blocking(move || {
        let ctx = valence::Ctx::default();
        let mut out = Vec::new();
        for stmt in &stmts {
            let r =
                s.db.session()
                    .execute_statement(stmt, &ctx)
                    .map_err(|e| ApiError::from_valence(&e.into()))?;
            out.extend(crate::jobs::result_objects(&stmt.text, &r));
        }
        Ok(out)
    })
    .await?;
    Ok(Json(QueryAnswer { results }))
}
