//! A test-only OpenAI-compatible server on an ephemeral 127.0.0.1 port that
//! answers all four cluster-first prompt kinds, sign classification and
//! `/v1/embeddings` from a synthetic graph, counts requests per kind, and
//! can be told to fail every request of one kind (`Shared::faults`). Every
//! answer carries `usage` (tokens: a quarter of the characters, plus one),
//! summed in `usage_in`/`usage_out` unless `no_usage` is set; every
//! arrival is timestamped (`arrivals`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use valence_synth as synth;

type Node = (String, String);

/// What the server does with every request of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP status with a JSON error body (500: transient, 401: fatal).
    Status(u16),
    /// HTTP 429 with `Retry-After: secs`.
    RetryAfter(u64),
    /// One HTTP 429 with `Retry-After: secs` (the first request of the
    /// kind), then none; when it was answered is `limited_at`.
    RetryAfterOnce(u64),
    /// Like `RetryAfterOnce`, but the wait is only in OpenAI's
    /// `x-ratelimit-reset-requests` header (`<ms>ms`).
    ResetOnce(u64),
}

#[derive(Default)]
pub struct Shared {
    nodes: Vec<Node>,
    signs: HashMap<(Node, Node), char>,
    /// Chat requests answered (faulted ones excluded).
    pub chat: AtomicU64,
    /// Embedding requests answered (faulted ones excluded).
    pub embed: AtomicU64,
    pub delay_ms: AtomicU64,
    /// Prompt kinds asked.
    pub kinds: Mutex<BTreeSet<&'static str>>,
    /// Requests per kind, faulted ones included.
    pub seen: Mutex<HashMap<&'static str, u64>>,
    /// Distinct request bodies per kind (a retry repeats its body).
    pub distinct: Mutex<HashMap<&'static str, HashSet<String>>>,
    /// A fault for every request of a kind.
    pub faults: Mutex<HashMap<&'static str, Fault>>,
    /// Prompt and completion tokens of the answers given (usage sums).
    pub usage_in: AtomicU64,
    pub usage_out: AtomicU64,
    /// Answer without `usage` (an older server).
    pub no_usage: std::sync::atomic::AtomicBool,
    /// When each request arrived, and its kind.
    pub arrivals: Mutex<Vec<(Instant, &'static str)>>,
    /// When a `RetryAfterOnce` 429 was answered.
    pub limited_at: Mutex<Option<Instant>>,
    /// The `response_format` of each chat request (kind, value; null when
    /// absent).
    pub formats: Mutex<Vec<(&'static str, Value)>>,
    /// `/v1/files` and `/v1/batches` (`llm_batch_server`).
    pub batch: crate::llm_batch_server::BatchState,
}

impl Shared {
    /// Requests of `kind` seen so far (faulted ones included).
    pub fn seen(&self, kind: &str) -> u64 {
        self.seen.lock().unwrap().get(kind).copied().unwrap_or(0)
    }

    /// Requests of `kind` that repeated an earlier body (retries).
    pub fn repeats(&self, kind: &str) -> u64 {
        let distinct = self
            .distinct
            .lock()
            .unwrap()
            .get(kind)
            .map_or(0, HashSet::len);
        self.seen(kind) - distinct as u64
    }

    /// Every request seen so far.
    pub fn seen_total(&self) -> u64 {
        self.seen.lock().unwrap().values().sum()
    }

    /// Counts a request of `kind`; its fault, if one is set.
    fn arrive(&self, kind: &'static str, body: &str) -> Option<Response> {
        // Counted together, so `repeats` never sees one without the other.
        let (mut seen, mut distinct) = (self.seen.lock().unwrap(), self.distinct.lock().unwrap());
        *seen.entry(kind).or_default() += 1;
        self.arrivals.lock().unwrap().push((Instant::now(), kind));
        distinct.entry(kind).or_default().insert(body.to_string());
        drop((seen, distinct));
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            let f = faults.get(kind).copied()?;
            if let Fault::RetryAfterOnce(_) | Fault::ResetOnce(_) = f {
                faults.remove(kind);
                *self.limited_at.lock().unwrap() = Some(Instant::now());
            }
            f
        };
        Some(match fault {
            Fault::Status(code) => (
                StatusCode::from_u16(code).unwrap(),
                axum::Json(json!({"error": {"message": format!("status {code}")}})),
            )
                .into_response(),
            Fault::ResetOnce(ms) => (
                StatusCode::TOO_MANY_REQUESTS,
                [("x-ratelimit-reset-requests", format!("{ms}ms"))],
                axum::Json(json!({"error": {"message": "rate limited"}})),
            )
                .into_response(),
            Fault::RetryAfter(secs) | Fault::RetryAfterOnce(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, secs.to_string())],
                axum::Json(json!({"error": {"message": "rate limited"}})),
            )
                .into_response(),
        })
    }
}

/// The prompt kind of a chat request, as `answer` tells them apart.
pub fn kind_of(content: &str) -> &'static str {
    if content.contains("PRIMARY ATTRIBUTE: \"") {
        "classify"
    } else if content.contains("Score how well a source cluster") {
        "score"
    } else if content.contains("grouped together based on semantic similarity") {
        "label"
    } else if content.contains("ATTRIBUTES:\n[1]") {
        "describe_batch"
    } else {
        "describe"
    }
}

impl Shared {
    /// The `usage` of an answer, counted in the sums (or `null` with
    /// `no_usage`).
    fn usage(&self, prompt: &str, reply: &str) -> Value {
        if self.no_usage.load(Ordering::SeqCst) {
            return Value::Null;
        }
        let (i, o) = (prompt.len() as u64 / 4 + 1, reply.len() as u64 / 4 + 1);
        self.usage_in.fetch_add(i, Ordering::SeqCst);
        self.usage_out.fetch_add(o, Ordering::SeqCst);
        json!({"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o})
    }

    fn sign(&self, a: &Node, b: &Node) -> char {
        let k = if a <= b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        self.signs.get(&k).copied().unwrap_or('0')
    }

    /// The node with this value in a modality other than `not`.
    fn node(&self, value: &str, not: &str) -> Option<&Node> {
        self.nodes.iter().find(|(m, v)| v == value && m != not)
    }

    /// A target line as a model reads it: `value (category)` names its node
    /// exactly; a bare `value` is a guess (the first modality that has it).
    fn target(&self, line: &str, not: &str) -> Option<&Node> {
        let named = line.rsplit_once(" (").and_then(|(v, m)| {
            let m = m.strip_suffix(')')?;
            self.nodes.iter().find(|n| n.0 == m && n.1 == v)
        });
        named.or_else(|| self.node(line, not))
    }

    fn score(&self, am: &str, a: &[String], bm: &str, b: &[String]) -> Value {
        let (mut pos, mut neg) = (0i64, 0i64);
        for x in a {
            for y in b {
                match self.sign(&(am.into(), x.clone()), &(bm.into(), y.clone())) {
                    '+' => pos += 1,
                    '-' => neg += 1,
                    _ => {}
                }
            }
        }
        if pos + neg == 0 {
            return Value::Null;
        }
        json!((5.0 + 5.0 * (pos - neg) as f64 / (a.len() * b.len()) as f64).round() as i64)
    }
}

fn numbered(content: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in content.lines() {
        if let Some(r) = line.strip_prefix('[')
            && let Some((n, v)) = r.split_once("] ")
            && n.parse::<usize>() == Ok(out.len() + 1)
        {
            out.push(v.to_string());
        }
    }
    out
}

fn keyed(values: impl IntoIterator<Item = Value>) -> String {
    let mut m = serde_json::Map::new();
    for (i, v) in values.into_iter().enumerate() {
        m.insert((i + 1).to_string(), v);
    }
    Value::Object(m).to_string()
}

fn answer(st: &Shared, content: &str) -> String {
    let kind = |k: &'static str| {
        st.kinds.lock().unwrap().insert(k);
    };
    if content.contains("PRIMARY ATTRIBUTE: \"") {
        kind("classify");
        let (primary, category, targets) = crate::llm_server::read_prompt(content);
        let p = (category.clone(), primary);
        return keyed(targets.iter().map(|t| {
            let s = st.target(t, &category).map_or('0', |n| st.sign(&p, n));
            Value::from(s.to_string())
        }));
    }
    if content.contains("Score how well a source cluster") {
        kind("score");
        let mut src_mod = String::new();
        let mut src_members = Vec::new();
        for line in content.lines() {
            if let Some(r) = line.strip_prefix("SOURCE \u{2014} ") {
                src_mod = r.split_once(": ").map(|x| x.0).unwrap_or("").to_string();
            } else if let Some(r) = line.strip_prefix("Members: ") {
                src_members = r.split(", ").map(String::from).collect();
            }
        }
        return keyed(numbered(content).iter().map(|t| {
            let (head, members) = t.rsplit_once(" Members: ").unwrap_or((t, ""));
            let head = head.split(" \u{2014} ").next().unwrap_or(head);
            let m = head
                .rsplit_once('(')
                .and_then(|x| x.1.strip_suffix(')'))
                .unwrap_or("");
            let members: Vec<String> = members.split(", ").map(String::from).collect();
            st.score(&src_mod, &src_members, m, &members)
        }));
    }
    if content.contains("grouped together based on semantic similarity") {
        kind("label");
        let one = |members: &str| {
            json!({"label": format!("Group of {members}"), "summary": "A test group.",
                   "characteristics": ["a", "b", "c"]})
        };
        let groups = numbered(content);
        if groups.is_empty() {
            return one("members").to_string();
        }
        return keyed(groups.iter().map(|g| one(g)));
    }
    if content.contains("ATTRIBUTES:\n[1]") {
        kind("describe_batch");
        return keyed(
            numbered(content)
                .iter()
                .map(|v| Value::from(format!("{v}: a test description."))),
        );
    }
    kind("describe");
    "A test description.".into()
}

async fn chat(State(st): State<Arc<Shared>>, body: String) -> Response {
    let delay = st.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let content = body
        .pointer("/messages/0/content")
        .and_then(|c| c.as_str())
        .unwrap_or("");
    st.formats
        .lock()
        .unwrap()
        .push((kind_of(content), body["response_format"].clone()));
    if let Some(fault) = st.arrive(kind_of(content), content) {
        return fault;
    }
    st.chat.fetch_add(1, Ordering::SeqCst);
    axum::Json(chat_body(&st, content)).into_response()
}

/// The answer to a chat request whose prompt is `content`.
pub fn chat_body(st: &Shared, content: &str) -> Value {
    let reply = format!("```json\n{}\n```", answer(st, content));
    let usage = st.usage(content, &reply);
    let mut v = json!({"choices": [{"index": 0, "message": {"role": "assistant",
        "content": reply}}]});
    if !usage.is_null() {
        v["usage"] = usage;
    }
    v
}

/// Each input's signed adjacency row over every node (first line of the
/// input = `modality: value`).
async fn embeddings(State(st): State<Arc<Shared>>, body: String) -> Response {
    if let Some(fault) = st.arrive("embed", &body) {
        return fault;
    }
    st.embed.fetch_add(1, Ordering::SeqCst);
    axum::Json(embed_body(&st, &body)).into_response()
}

/// The answer to an embeddings request `body`.
pub fn embed_body(st: &Shared, body: &str) -> Value {
    let (_, inputs) = crate::llm_server::embedding_inputs(body);
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let first = t.lines().next().unwrap_or("");
            let (m, v) = first.split_once(": ").unwrap_or(("", first));
            let me: Node = (m.into(), v.into());
            let row: Vec<f64> = st
                .nodes
                .iter()
                .map(|n| match st.sign(&me, n) {
                    '+' => 1.0,
                    '-' => -1.0,
                    _ => 0.0,
                })
                .chain(std::iter::once(0.01))
                .collect();
            json!({"object": "embedding", "index": i, "embedding": row})
        })
        .collect();
    let usage = st.usage(&inputs.concat(), "");
    let mut v = json!({"object": "list", "data": data});
    if let Some(u) = usage.as_object() {
        // Embeddings are billed for their input only.
        st.usage_out
            .fetch_sub(u["completion_tokens"].as_u64().unwrap(), Ordering::SeqCst);
        v["usage"] =
            json!({"prompt_tokens": u["prompt_tokens"], "total_tokens": u["prompt_tokens"]});
    }
    v
}

pub struct Server {
    pub base_url: String,
    pub shared: Arc<Shared>,
    _rt: tokio::runtime::Runtime,
}

/// Starts a server answering from `g` on an ephemeral 127.0.0.1 port.
pub fn serve(g: &synth::SynthGraph) -> Server {
    let mut shared = Shared {
        nodes: g.nodes.clone(),
        ..Shared::default()
    };
    for &(a, b, pos) in &g.edges {
        let (x, y) = (g.nodes[a as usize].clone(), g.nodes[b as usize].clone());
        let k = if x <= y { (x, y) } else { (y, x) };
        shared.signs.insert(k, if pos { '+' } else { '-' });
    }
    let shared = Arc::new(shared);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let st = shared.clone();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/embeddings", post(embeddings))
            .merge(crate::llm_batch_server::routes())
            .with_state(st);
        let _ = axum::serve(listener, app).await;
    });
    Server {
        base_url: format!("http://{addr}/v1"),
        shared,
        _rt: rt,
    }
}
