//! Backends: who answers a prompt.
//!
//! Every backend receives the same [`Request`]: a structured [`Task`] (so the
//! offline oracle can answer without reading prose) and the rendered prompt
//! (what a model reads). Every backend answers reply TEXT, and the same parser
//! handles all of them.
//!
//! * [`OpenAiBackend`]: any OpenAI-compatible `/v1/chat/completions`
//!   endpoint. The API key is read from env `OPENAI_API_KEY` (may be unset)
//!   and kept only in memory: it is never stored, logged, put in a manifest,
//!   a journal key or an error message.
//! * the offline oracle simulator lives in [`crate::llm::oracle`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::llm::batch::{BatchApi, BatchStatus};
use crate::llm::schema::ResponseFormat;
use crate::llm::usage::{Reply, Usage};
use crate::{Error, Result};

/// Embedding vectors and the tokens they cost, when known.
pub type Embedded = (Vec<Vec<f32>>, Option<Usage>);

/// A boxed, sendable future (the trait must be usable as `dyn Backend`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a prompt asks, in structured form. New strategies add variants.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Task {
    /// Classify each target against the primary attribute as `+`, `-`, `0`;
    /// the reply is a JSON object keyed by bracket numbers 1..=targets.len().
    ClassifySigns {
        primary_modality: String,
        primary_value: String,
        target_modality: String,
        targets: Vec<String>,
    },
    /// A task of the cluster-first strategy (`llm::cluster_tasks`).
    Cluster(crate::llm::cluster_tasks::ClusterTask),
}

/// One call: the structured task and the prompt text sent to a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub task: Task,
    pub prompt: String,
}

/// Why a call produced no usable reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Worth retrying: 429, 408, 5xx, timeout, connection error, malformed
    /// response body. `retry_after` is the server's `Retry-After`, if any.
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// This request will not succeed if repeated (another 4xx): the batch
    /// fails without retries and the run continues.
    Rejected { message: String },
    /// No request will succeed (401, 403, 404: key, URL or model wrong):
    /// the run stops, keeping what was journaled.
    Fatal { message: String },
}

impl CallError {
    pub fn message(&self) -> &str {
        match self {
            CallError::Transient { message, .. }
            | CallError::Rejected { message }
            | CallError::Fatal { message } => message,
        }
    }
}

/// Something that answers prompts.
pub trait Backend: Send + Sync {
    /// `openai` or `oracle`.
    fn name(&self) -> &'static str;

    /// What, besides the prompt, determines the answer: backend, model and
    /// temperature (oracle: reference digest, noise, seed). Part of the
    /// journal key. Never contains a secret.
    fn journal_identity(&self) -> String;

    /// Answers one request with the reply text.
    fn complete<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<String, CallError>>;

    /// Answers one request with the reply text and the tokens it cost, when
    /// the backend knows them (default: [`Backend::complete`], no usage).
    fn complete_reply<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Reply, CallError>> {
        Box::pin(async move { self.complete(req).await.map(Reply::text) })
    }

    /// The transport error (connection refused, TLS, proxy...) of an HTTP
    /// backend's most recent request, if that request failed on the
    /// transport, taken out, so a run that stops because nothing
    /// works can keep it as its error's `source()`. `None` by default.
    fn take_transport_error(&self) -> Option<reqwest::Error> {
        None
    }

    /// Embeds texts (one vector per input). Backends without embeddings
    /// answer `Fatal`.
    fn embed<'a>(
        &'a self,
        _inputs: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CallError>> {
        let name = self.name();
        Box::pin(async move {
            Err(CallError::Fatal {
                message: format!("the {name} backend does not provide embeddings"),
            })
        })
    }

    /// The provider batch API of this backend, if it has one.
    fn batch_api(&self) -> Option<&dyn BatchApi> {
        None
    }

    /// [`Backend::embed`] with the tokens it cost, when known (default: no
    /// usage).
    fn embed_usage<'a>(
        &'a self,
        inputs: &'a [String],
    ) -> BoxFuture<'a, Result<Embedded, CallError>> {
        Box::pin(async move { self.embed(inputs).await.map(|v| (v, None)) })
    }
}

// ---------------------------------------------------------------- openai --

/// The model a request names: `model` when given, else env `OPENAI_MODEL`;
/// `None` when neither is set (there is no built-in default).
pub fn resolve_model(model: &str) -> Option<String> {
    resolve_model_with(model, &|k| std::env::var(k).ok())
}

fn resolve_model_with(model: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let m = model.trim();
    if !m.is_empty() {
        return Some(m.to_string());
    }
    env("OPENAI_MODEL")
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
}

/// The error for a request with no model.
pub fn missing_model() -> Error {
    Error::invalid_hint(
        "backend 'openai' needs a model: no model = '...' was given and env OPENAI_MODEL is not set",
        "give model = '...' in WITH (...) (e.g. 'gpt-4.1-mini' for OpenAI, 'gemini-2.5-flash' for Gemini, 'llama3.2' for Ollama), or set env OPENAI_MODEL",
    )
}

/// Client for an OpenAI-compatible chat-completions endpoint.
pub struct OpenAiBackend {
    client: reqwest::Client,
    url: String,
    embeddings_url: String,
    /// The base URL as given (it may hold secrets: see [`Self::scrub`]).
    base: String,
    model: String,
    embedding_model: Option<String>,
    temperature: f64,
    /// From env `OPENAI_API_KEY`; memory only.
    key: Option<String>,
    /// The largest response body read (larger: a failed attempt).
    max_reply_bytes: u64,
    /// The last error of `send()` ([`Backend::take_transport_error`]).
    last_transport: std::sync::Mutex<Option<reqwest::Error>>,
    /// Structured outputs ([`crate::llm::schema`]).
    response_format: ResponseFormat,
}

impl std::fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiBackend")
            .field("url", &crate::limits::redact_url(&self.url))
            .field("model", &self.model)
            .field("temperature", &self.temperature)
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl OpenAiBackend {
    /// `base_url` is the API root including `/v1` (e.g.
    /// `http://127.0.0.1:8080/v1`); `None` = env `OPENAI_BASE_URL`. An empty
    /// `model` = env `OPENAI_MODEL` (there is no built-in default: an unset
    /// model is an error). Proxies follow `HTTPS_PROXY`/`HTTP_PROXY`/
    /// `ALL_PROXY`/`NO_PROXY` ([`ProxyEnv`](crate::llm::ProxyEnv)).
    pub fn new(base_url: Option<&str>, model: &str, temperature: f64) -> Result<OpenAiBackend> {
        OpenAiBackend::with_env(base_url, model, temperature, &|k| std::env::var(k).ok())
    }

    /// [`OpenAiBackend::new`] reading the `OPENAI_*` and proxy variables
    /// from `env` instead of the process environment.
    pub fn with_env(
        base_url: Option<&str>,
        model: &str,
        temperature: f64,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<OpenAiBackend> {
        let env_url = env("OPENAI_BASE_URL");
        let base = match base_url.or(env_url.as_deref()) {
            Some(b) if !b.trim().is_empty() => b.trim().trim_end_matches('/').to_string(),
            _ => {
                return Err(Error::Llm {
                    message: "backend 'openai' needs an endpoint".into(),
                    hint: Some(
                        "give base_url = 'http://host:port/v1' in WITH (...) or set env OPENAI_BASE_URL"
                            .into(),
                    ),
                });
            }
        };
        check_base_url(&base)?;
        let model = resolve_model_with(model, env).ok_or_else(missing_model)?;
        if !(0.0..=2.0).contains(&temperature) {
            return Err(Error::invalid(format!(
                "temperature {temperature} is outside 0..2"
            )));
        }
        let key = env("OPENAI_API_KEY").filter(|k| !k.trim().is_empty());
        let client = crate::llm::ProxyEnv::from_lookup(env)
            .client_builder()?
            .build()
            .map_err(|e| Error::http("cannot build the HTTP client", e))?;
        Ok(OpenAiBackend {
            client,
            url: endpoint(&base, "chat/completions"),
            embeddings_url: endpoint(&base, "embeddings"),
            base,
            model,
            embedding_model: None,
            temperature,
            key,
            max_reply_bytes: 1024 * 1024,
            last_transport: std::sync::Mutex::new(None),
            response_format: ResponseFormat::Text,
        })
    }

    /// Caps the response bodies read (default 1 MiB).
    pub fn with_max_reply_bytes(mut self, n: u64) -> OpenAiBackend {
        self.max_reply_bytes = n;
        self
    }

    /// Reads a response body, refusing more than `max_reply_bytes` (checked
    /// against Content-Length first, then while reading).
    async fn read_body(&self, mut resp: reqwest::Response, max: u64) -> Result<String, CallError> {
        let too_big = |n: String| CallError::Transient {
            message: format!(
                "the reply is larger than max_reply_bytes = {max} ({n}); it is dropped, not journaled"
            ),
            retry_after: None,
        };
        if let Some(n) = resp.content_length().filter(|n| *n > max) {
            return Err(too_big(format!("Content-Length {n}")));
        }
        let mut body: Vec<u8> = Vec::new();
        loop {
            let chunk = resp.chunk().await.map_err(|e| CallError::Transient {
                message: self.scrub(format!("reading the response failed: {}", error_chain(&e))),
                retry_after: None,
            })?;
            let Some(chunk) = chunk else { break };
            if body.len() as u64 + chunk.len() as u64 > max {
                return Err(too_big(format!("more than {max} bytes received")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// Sends `response_format` with every chat request whose reply is
    /// JSON (default `text`: none).
    pub fn with_response_format(mut self, f: ResponseFormat) -> OpenAiBackend {
        self.response_format = f;
        self
    }

    /// The journal identity of a client for `model` at `temperature` with
    /// `format` (`text` keeps the identity journals had before structured
    /// outputs existed).
    pub fn identity_for(model: &str, temperature: f64, format: ResponseFormat) -> String {
        match format {
            ResponseFormat::Text => format!("openai\0{model}\0{temperature}"),
            f => format!("openai\0{model}\0{temperature}\0{}", f.name()),
        }
    }

    /// The chat-completions URL called.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Removes the key, and the secrets of the base URL (userinfo, `key=`
    /// values...), from any text that might echo them.
    fn scrub(&self, s: String) -> String {
        let s = crate::limits::scrub_url_secrets(&s, &self.base);
        let s = crate::limits::mask_auth_credentials(&s);
        match &self.key {
            Some(k) if k.len() >= 4 => s.replace(k.as_str(), "<redacted>"),
            _ => s,
        }
    }

    /// POSTs a JSON body and returns the JSON answer, classifying failures.
    async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, CallError> {
        let text = self
            .send(self.client.post(url).json(body), url, self.max_reply_bytes)
            .await?;
        self.json(&text)
    }

    /// Reads a JSON answer.
    fn json(&self, text: &str) -> Result<serde_json::Value, CallError> {
        serde_json::from_str(text).map_err(|e| CallError::Transient {
            message: self.scrub(format!(
                "response body is not JSON ({e}): {}",
                crate::llm::parse::excerpt(text)
            )),
            retry_after: None,
        })
    }

    /// Sends a request (with the key) and returns the body of a 2xx answer
    /// (at most `max` bytes), classifying failures.
    async fn send(
        &self,
        mut rb: reqwest::RequestBuilder,
        url: &str,
        max: u64,
    ) -> Result<String, CallError> {
        if let Some(k) = &self.key {
            rb = rb.bearer_auth(k);
        }
        let resp = match rb.send().await {
            Ok(r) => {
                // The transport works: an older error is no longer the story.
                self.last_transport
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
                r
            }
            Err(e) => {
                let message = self.scrub(error_chain(&e));
                // reqwest's error names the URL, never the key (a header).
                *self
                    .last_transport
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(e);
                return Err(CallError::Transient {
                    message,
                    retry_after: None,
                });
            }
        };
        let status = resp.status();
        let retry_after = retry_after(resp.headers(), status.as_u16());
        let text = self.read_body(resp, max).await?;
        if !status.is_success() {
            let message = self.scrub(format!(
                "{url} answered HTTP {status}: {}",
                crate::llm::parse::excerpt(&text)
            ));
            let code = status.as_u16();
            return Err(if code == 429 || code == 408 || status.is_server_error() {
                CallError::Transient {
                    message,
                    retry_after,
                }
            } else if matches!(code, 401 | 403 | 404) {
                CallError::Fatal { message }
            } else {
                CallError::Rejected { message }
            });
        }
        Ok(text)
    }

    async fn call(&self, req: &Request) -> Result<Reply, CallError> {
        let body = self.chat_body_of(req);
        let v = self.post_json(&self.url, &body).await?;
        self.chat_reply_of(&v)
            .map_err(|message| CallError::Transient {
                message: self.scrub(message),
                retry_after: None,
            })
    }

    fn chat_body_of(&self, req: &Request) -> serde_json::Value {
        let mut body = serde_json::json!({
            "model": self.model,
            "temperature": self.temperature,
            "messages": [{"role": "user", "content": req.prompt}],
        });
        if let Some(f) = crate::llm::schema::response_format(self.response_format, &req.task) {
            body["response_format"] = f;
        }
        body
    }

    fn chat_reply_of(&self, v: &serde_json::Value) -> Result<Reply, String> {
        match v
            .pointer("/choices/0/message/content")
            .and_then(|c| c.as_str())
        {
            Some(c) => Ok(Reply {
                text: c.to_string(),
                usage: Usage::from_response(v),
            }),
            None => Err(format!(
                "response has no choices[0].message.content: {}",
                crate::llm::parse::excerpt(&v.to_string())
            )),
        }
    }

    /// Sets the model used by [`Backend::embed`] (`/embeddings`).
    pub fn with_embedding_model(mut self, model: &str) -> OpenAiBackend {
        self.embedding_model = Some(model.to_string());
        self
    }

    async fn embed_call(&self, inputs: &[String]) -> Result<Embedded, CallError> {
        let body = self
            .embed_body_of(inputs)
            .map_err(|message| CallError::Fatal { message })?;
        let v = self.post_json(&self.embeddings_url, &body).await?;
        let vectors = embed_vectors(&v, inputs.len()).map_err(|message| CallError::Transient {
            message,
            retry_after: None,
        })?;
        Ok((vectors, Usage::from_response(&v)))
    }

    fn embed_body_of(&self, inputs: &[String]) -> Result<serde_json::Value, String> {
        match &self.embedding_model {
            Some(model) => Ok(serde_json::json!({"model": model, "input": inputs})),
            None => Err("no embedding model: give embedding_model = '...' in WITH (...) or set env OPENAI_EMBEDDING_MODEL (e.g. 'text-embedding-3-small', 'gemini-embedding-001', 'nomic-embed-text')".into()),
        }
    }

    /// `base` + `tail` (e.g. `files`), the base's query string kept.
    fn api(&self, tail: &str) -> String {
        endpoint(&self.base, tail)
    }
}

/// The vectors of an embeddings response, in input order.
fn embed_vectors(v: &serde_json::Value, inputs: usize) -> Result<Vec<Vec<f32>>, String> {
    let bad = |m: &str| format!("embeddings response {m}");
    let data = v
        .get("data")
        .and_then(|d| d.as_array())
        .ok_or_else(|| bad("has no data array"))?;
    if data.len() != inputs {
        return Err(bad(&format!(
            "has {} vectors for {inputs} inputs",
            data.len()
        )));
    }
    let mut out: Vec<Option<Vec<f32>>> = vec![None; inputs];
    for (pos, item) in data.iter().enumerate() {
        let i = item
            .get("index")
            .and_then(|x| x.as_u64())
            .map(|x| x as usize)
            .unwrap_or(pos);
        let vec: Option<Vec<f32>> = item
            .get("embedding")
            .and_then(|e| e.as_array())
            .and_then(|a| a.iter().map(|x| x.as_f64().map(|f| f as f32)).collect());
        match (out.get_mut(i), vec) {
            (Some(slot @ None), Some(v)) if !v.is_empty() => *slot = Some(v),
            _ => return Err(bad(&format!("has a bad or repeated vector at index {i}"))),
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// The largest batch output or error file read (OpenAI's input limit is
/// 200 MB; outputs are of that order).
const MAX_BATCH_FILE: u64 = 1 << 30;

impl BatchApi for OpenAiBackend {
    fn chat_body(&self, req: &Request) -> serde_json::Value {
        self.chat_body_of(req)
    }

    fn embed_body(&self, inputs: &[String]) -> Result<serde_json::Value, String> {
        self.embed_body_of(inputs)
    }

    fn chat_reply(&self, body: &serde_json::Value) -> Result<Reply, String> {
        self.chat_reply_of(body)
    }

    fn embed_reply(&self, body: &serde_json::Value, inputs: usize) -> Result<Reply, String> {
        let vectors = embed_vectors(body, inputs)?;
        let text = serde_json::to_string(&vectors).map_err(|e| e.to_string())?;
        Ok(Reply {
            text,
            usage: Usage::from_response(body),
        })
    }

    fn upload<'a>(&'a self, jsonl: Vec<u8>) -> BoxFuture<'a, Result<String, CallError>> {
        Box::pin(async move {
            let boundary = format!("valence-{}", blake3::hash(&jsonl).to_hex());
            let (ct, body) = crate::llm::batch::multipart(&jsonl, &boundary);
            let url = self.api("files");
            let rb = self
                .client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, ct)
                .body(body);
            let v = self.json(&self.send(rb, &url, self.max_reply_bytes).await?)?;
            v.get("id")
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .ok_or_else(|| CallError::Transient {
                    message: format!("{url} answered without a file id"),
                    retry_after: None,
                })
        })
    }

    fn create<'a>(
        &'a self,
        file_id: &'a str,
        endpoint: &'a str,
        metadata: serde_json::Value,
    ) -> BoxFuture<'a, Result<BatchStatus, CallError>> {
        Box::pin(async move {
            let url = self.api("batches");
            let body = serde_json::json!({"input_file_id": file_id, "endpoint": endpoint,
                "completion_window": "24h", "metadata": metadata});
            let v = self.post_json(&url, &body).await?;
            self.batch_status(&url, &v)
        })
    }

    fn status<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<BatchStatus, CallError>> {
        Box::pin(async move {
            let url = self.api(&format!("batches/{id}"));
            let text = self
                .send(self.client.get(&url), &url, self.max_reply_bytes)
                .await?;
            self.batch_status(&url, &self.json(&text)?)
        })
    }

    fn content<'a>(&'a self, file_id: &'a str) -> BoxFuture<'a, Result<String, CallError>> {
        Box::pin(async move {
            let url = self.api(&format!("files/{file_id}/content"));
            self.send(self.client.get(&url), &url, MAX_BATCH_FILE).await
        })
    }
}

impl OpenAiBackend {
    fn batch_status(&self, url: &str, v: &serde_json::Value) -> Result<BatchStatus, CallError> {
        BatchStatus::from_json(v).ok_or_else(|| CallError::Transient {
            message: self.scrub(format!(
                "{url} answered no batch id and status: {}",
                crate::llm::parse::excerpt(&v.to_string())
            )),
            retry_after: None,
        })
    }
}

/// How long a failed response asks every request to wait: `Retry-After` in
/// seconds (an HTTP-date is ignored: backoff applies), and on a 429 the
/// providers' `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens`
/// (`1s`, `6m0s`, `20ms`); the longest of them.
fn retry_after(headers: &reqwest::header::HeaderMap, status: u16) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let ra = get("retry-after")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64);
    if status != 429 {
        return ra;
    }
    ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
        .iter()
        .filter_map(|h| get(h).and_then(|v| crate::llm::rate::parse_reset(&v)))
        .chain(ra)
        .max()
}

/// `base` + `/tail`, keeping a query string of `base` at the end.
fn endpoint(base: &str, tail: &str) -> String {
    match base.split_once('?') {
        Some((path, query)) => format!("{}/{tail}?{query}", path.trim_end_matches('/')),
        None => format!("{base}/{tail}"),
    }
}

/// Checks a base URL up front: it parses (a port over 65535 does not), its
/// scheme is http or https (any case), it has a host. Errors never show its
/// secrets.
pub(crate) fn check_base_url(base: &str) -> Result<()> {
    let shown = crate::limits::excerpt(&crate::limits::redact_url(base));
    let bad = |why: String| Error::Llm {
        message: format!("base_url '{shown}' is not a usable URL: {why}"),
        hint: Some("write it like 'http://127.0.0.1:8080/v1'".into()),
    };
    let u = reqwest::Url::parse(base).map_err(|e| bad(e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad(format!(
            "the scheme is '{}', not http or https",
            u.scheme()
        )));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host".into()));
    }
    Ok(())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

impl Backend for OpenAiBackend {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn embed<'a>(
        &'a self,
        inputs: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CallError>> {
        Box::pin(async move { self.embed_call(inputs).await.map(|(v, _)| v) })
    }

    fn embed_usage<'a>(
        &'a self,
        inputs: &'a [String],
    ) -> BoxFuture<'a, Result<Embedded, CallError>> {
        Box::pin(self.embed_call(inputs))
    }

    fn journal_identity(&self) -> String {
        OpenAiBackend::identity_for(&self.model, self.temperature, self.response_format)
    }

    fn batch_api(&self) -> Option<&dyn BatchApi> {
        Some(self)
    }

    fn take_transport_error(&self) -> Option<reqwest::Error> {
        self.last_transport
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    fn complete<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<String, CallError>> {
        Box::pin(async move { self.call(req).await.map(|r| r.text) })
    }

    fn complete_reply<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Reply, CallError>> {
        Box::pin(self.call(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_needs_an_url() {
        let e = OpenAiBackend::new(Some("ftp://x"), "m", 0.1).unwrap_err();
        assert!(e.to_string().contains("not http or https"), "{e}");
        let e = OpenAiBackend::new(Some("http://127.0.0.1:99999/v1"), "m", 0.1).unwrap_err();
        assert!(e.to_string().contains("invalid port number"), "{e}");
        let e = OpenAiBackend::new(Some("http://bob:hunter2@[::1/v1"), "m", 0.1).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let b = OpenAiBackend::new(Some("HTTP://127.0.0.1:9/v1"), "m", 0.1).unwrap();
        assert_eq!(b.url(), "HTTP://127.0.0.1:9/v1/chat/completions");
        let b = OpenAiBackend::new(Some("http://u:pw12@127.0.0.1:9/v1?key=k3y"), "m", 0.1).unwrap();
        let dbg = format!("{b:?}");
        assert!(!dbg.contains("pw12") && !dbg.contains("k3y"), "{dbg}");
        let b = OpenAiBackend::new(Some("http://127.0.0.1:9/v1/"), "m", 0.1).unwrap();
        assert_eq!(b.url(), "http://127.0.0.1:9/v1/chat/completions");
    }
}
