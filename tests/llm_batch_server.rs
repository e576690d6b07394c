//! The test server's OpenAI-style batch API: `POST /v1/files` (multipart,
//! `purpose=batch`), `GET /v1/files/{id}/content`, `POST /v1/batches`,
//! `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`. A batch is
//! processed `delay_ms` after its creation, on the first poll after that:
//! each line is answered as the synchronous endpoint would (same answers,
//! same `usage`), the output file lists them in reverse order (clients must
//! join on `custom_id`); `fail_lines` makes that many lines (the first ones
//! processed, across batches) answer HTTP 500 in the error file;
//! `expire_after` makes the next batch expire with only that many lines
//! done.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::llm_cluster_server::{Shared, chat_body, embed_body};

struct Batch {
    input_file_id: String,
    endpoint: String,
    created: Instant,
    status: &'static str,
    output_file_id: Option<String>,
    error_file_id: Option<String>,
    counts: (u64, u64, u64),
}

/// Batch API state and counters.
#[derive(Default)]
pub struct BatchState {
    /// Files uploaded (`POST /v1/files`).
    pub uploads: AtomicU64,
    /// Batches created.
    pub created: AtomicU64,
    /// Lines received in uploaded files.
    pub lines: AtomicU64,
    /// Polls (`GET /v1/batches/{id}`).
    pub polls: AtomicU64,
    /// How long a batch takes.
    pub delay_ms: AtomicU64,
    /// This many lines, across batches, fail with HTTP 500.
    pub fail_lines: AtomicU64,
    /// The next batch expires with only this many lines done.
    pub expire_after: Mutex<Option<usize>>,
    /// The `purpose` field of each upload.
    pub purposes: Mutex<Vec<String>>,
    files: Mutex<HashMap<String, String>>,
    batches: Mutex<HashMap<String, Batch>>,
    next: AtomicU64,
}

impl BatchState {
    fn id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.next.fetch_add(1, Ordering::SeqCst))
    }
}

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/files", post(upload))
        .route("/v1/files/{id}/content", get(content))
        .route("/v1/batches", post(create))
        .route("/v1/batches/{id}", get(status))
        .route("/v1/batches/{id}/cancel", post(cancel))
}

/// The fields of a multipart form: (name, content).
fn form_fields(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = ct.split("boundary=").nth(1) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(body);
    let delim = format!("--{boundary}");
    text.split(delim.as_str())
        .filter_map(|part| {
            let part = part.strip_prefix("\r\n")?;
            let (head, content) = part.split_once("\r\n\r\n")?;
            let name = head.split("name=\"").nth(1)?.split('"').next()?;
            Some((
                name.to_string(),
                content.strip_suffix("\r\n").unwrap_or(content).to_string(),
            ))
        })
        .collect()
}

async fn upload(
    State(st): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let fields = form_fields(&headers, &body);
    let field = |n: &str| fields.iter().find(|f| f.0 == n).map(|f| f.1.clone());
    let (Some(purpose), Some(file)) = (field("purpose"), field("file")) else {
        return (StatusCode::BAD_REQUEST, "need purpose and file").into_response();
    };
    let b = &st.batch;
    b.purposes.lock().unwrap().push(purpose);
    b.uploads.fetch_add(1, Ordering::SeqCst);
    b.lines.fetch_add(
        file.lines().filter(|l| !l.is_empty()).count() as u64,
        Ordering::SeqCst,
    );
    let id = b.id("file");
    b.files.lock().unwrap().insert(id.clone(), file);
    axum::Json(json!({"id": id, "object": "file", "purpose": "batch"})).into_response()
}

async fn content(State(st): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match st.batch.files.lock().unwrap().get(&id) {
        Some(f) => f.clone().into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

async fn create(State(st): State<Arc<Shared>>, body: String) -> Response {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let (Some(file), Some(endpoint)) = (v["input_file_id"].as_str(), v["endpoint"].as_str()) else {
        return (StatusCode::BAD_REQUEST, "need input_file_id and endpoint").into_response();
    };
    let b = &st.batch;
    if !b.files.lock().unwrap().contains_key(file) || v["completion_window"] != "24h" {
        return (StatusCode::BAD_REQUEST, "bad file or window").into_response();
    }
    b.created.fetch_add(1, Ordering::SeqCst);
    let id = b.id("batch");
    b.batches.lock().unwrap().insert(
        id.clone(),
        Batch {
            input_file_id: file.into(),
            endpoint: endpoint.into(),
            created: Instant::now(),
            status: "in_progress",
            output_file_id: None,
            error_file_id: None,
            counts: (0, 0, 0),
        },
    );
    describe(&st, &id)
}

fn describe(st: &Shared, id: &str) -> Response {
    let batches = st.batch.batches.lock().unwrap();
    let Some(b) = batches.get(id) else {
        return (StatusCode::NOT_FOUND, "no such batch").into_response();
    };
    let mut counts = b.counts;
    if b.status == "in_progress" {
        // Partial counts while it runs, in proportion to the time elapsed.
        let total = st.batch.files.lock().unwrap()[&b.input_file_id]
            .lines()
            .filter(|l| !l.is_empty())
            .count() as u64;
        let delay = st.batch.delay_ms.load(Ordering::SeqCst).max(1) as f64;
        let share = (b.created.elapsed().as_millis() as f64 / delay).min(1.0);
        counts = (
            total,
            ((total as f64 * share) as u64).min(total.saturating_sub(1)),
            0,
        );
    }
    axum::Json(json!({"id": id, "object": "batch", "status": b.status,
        "endpoint": b.endpoint, "input_file_id": b.input_file_id,
        "output_file_id": b.output_file_id, "error_file_id": b.error_file_id,
        "request_counts": {"total": counts.0, "completed": counts.1, "failed": counts.2}}))
    .into_response()
}

async fn status(State(st): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    st.batch.polls.fetch_add(1, Ordering::SeqCst);
    let due = {
        let batches = st.batch.batches.lock().unwrap();
        batches.get(&id).is_some_and(|b| {
            b.status == "in_progress"
                && b.created.elapsed()
                    >= Duration::from_millis(st.batch.delay_ms.load(Ordering::SeqCst))
        })
    };
    if due {
        process(&st, &id);
    }
    describe(&st, &id)
}

async fn cancel(State(st): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if let Some(b) = st.batch.batches.lock().unwrap().get_mut(&id) {
        b.status = "cancelled";
    }
    describe(&st, &id)
}

/// Answers every line of a due batch and writes its files.
fn process(st: &Shared, id: &str) {
    let b = &st.batch;
    let input = {
        let batches = b.batches.lock().unwrap();
        let f = &batches[id].input_file_id;
        b.files.lock().unwrap()[f].clone()
    };
    let expire = b.expire_after.lock().unwrap().take();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let lines: Vec<&str> = input.lines().filter(|l| !l.is_empty()).collect();
    for (k, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        let cid = v["custom_id"].clone();
        if expire.is_some_and(|n| k >= n) {
            err.push(json!({"id": format!("r{k}"), "custom_id": cid, "response": null,
                "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}));
            continue;
        }
        let failing = b
            .fail_lines
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            err.push(json!({"id": format!("r{k}"), "custom_id": cid,
                "response": {"status_code": 500, "body": {"error": {"message": "line failed"}}}, "error": null}));
            continue;
        }
        let body = match v["url"].as_str() {
            Some("/v1/chat/completions") => {
                let prompt = v
                    .pointer("/body/messages/0/content")
                    .and_then(|c| c.as_str())
                    .unwrap_or("");
                chat_body(st, prompt)
            }
            Some("/v1/embeddings") => embed_body(st, &v["body"].to_string()),
            _ => json!({"error": "bad url"}),
        };
        out.push(json!({"id": format!("r{k}"), "custom_id": cid,
            "response": {"status_code": 200, "request_id": format!("q{k}"), "body": body}, "error": null}));
    }
    out.reverse();
    let write = |rows: Vec<Value>| {
        (!rows.is_empty()).then(|| {
            let id = b.id("file");
            let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
            b.files.lock().unwrap().insert(id.clone(), text);
            id
        })
    };
    let (n_out, n_err) = (out.len() as u64, err.len() as u64);
    let (out_id, err_id) = (write(out), write(err));
    let mut batches = b.batches.lock().unwrap();
    let batch = batches.get_mut(id).unwrap();
    batch.status = if expire.is_some() {
        "expired"
    } else {
        "completed"
    };
    batch.output_file_id = out_id;
    batch.error_file_id = err_id;
    batch.counts = (lines.len() as u64, n_out, n_err);
}
