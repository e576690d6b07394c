//! A test-only OpenAI-compatible server on an ephemeral 127.0.0.1 port.
//!
//! It answers `/v1/chat/completions` sign-classification prompts from a
//! reference graph (reading `PRIMARY ATTRIBUTE: "..."`, `CATEGORY: ...` and
//! the `[i] value` lines of the prompt, like a model would), records every
//! request, and can be told to misbehave on cue: a global queue of faults for
//! successive requests, and per-primary queues (by primary value).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// What the server does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer correctly (plain JSON object).
    Ok,
    /// Answer correctly, wrapped in a ```json fence.
    Fenced,
    /// HTTP 429 with `Retry-After: secs`.
    RateLimit(u64),
    /// Any HTTP status with a JSON error body.
    Status(u16),
    /// Never answer (sleep an hour).
    Hang,
    /// HTTP 200 whose body is not JSON.
    BadBody,
    /// A reply whose content is truncated JSON.
    Truncated,
    /// Keys are attribute names instead of bracket numbers.
    NamesAsKeys,
    /// Bracket number 1 missing.
    MissingKey,
    /// An extra bracket number n+1.
    ExtraKey,
    /// Signs written as words ("positive").
    WordSigns,
    /// A response with no choices.
    NoChoices,
    /// A correct answer padded with spaces to this many bytes of content.
    Huge(usize),
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub body: Value,
    pub authorization: Option<String>,
    pub primary: String,
    pub category: String,
    pub targets: Vec<String>,
    pub fault: Fault,
}

#[derive(Default)]
struct Shared {
    /// (modality, value) of every node.
    nodes: Vec<(String, String)>,
    /// Unordered pair -> '+' or '-'.
    signs: HashMap<(Node, Node), char>,
    global: Mutex<VecDeque<Fault>>,
    per_primary: Mutex<HashMap<String, VecDeque<Fault>>>,
    seen: Mutex<Vec<Seen>>,
    /// Milliseconds every answer waits (after the request is recorded).
    delay_ms: std::sync::atomic::AtomicU64,
    in_flight: std::sync::atomic::AtomicU64,
    max_in_flight: std::sync::atomic::AtomicU64,
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn new(st: &'a Shared) -> InFlight<'a> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = st.in_flight.fetch_add(1, SeqCst) + 1;
        st.max_in_flight.fetch_max(now, SeqCst);
        InFlight(st)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn key(a: Node, b: Node) -> (Node, Node) {
    if a <= b { (a, b) } else { (b, a) }
}

pub type Node = (String, String);

/// A running server; stops when dropped.
pub struct TestServer {
    pub base_url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server answering from `edges` ((a, b, '+'|'-')) over `nodes`.
    pub fn start(nodes: Vec<Node>, edges: Vec<(Node, Node, char)>) -> TestServer {
        let mut shared = Shared {
            nodes,
            ..Shared::default()
        };
        for (a, b, s) in edges {
            shared.signs.insert(key(a, b), s);
        }
        let shared = Arc::new(shared);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let st = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = Router::new()
                    .route("/v1/chat/completions", post(chat))
                    .route("/v1/embeddings", post(embeddings))
                    .with_state(st);
                tokio::select! {
                    r = axum::serve(listener, app) => { r.unwrap(); }
                    _ = stop_rx => {}
                }
            });
            // Dropping the runtime cancels hanging handlers.
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        let addr = addr_rx.recv().unwrap();
        TestServer {
            base_url: format!("http://{addr}/v1"),
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Faults for the next requests, in arrival order (then `Ok`).
    pub fn script(&self, faults: Vec<Fault>) {
        self.shared.global.lock().unwrap().extend(faults);
    }

    /// Faults for the next requests whose primary attribute is `primary`;
    /// they take precedence over the global script.
    pub fn script_for(&self, primary: &str, faults: Vec<Fault>) {
        self.shared
            .per_primary
            .lock()
            .unwrap()
            .entry(primary.to_string())
            .or_default()
            .extend(faults);
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Makes every answer wait `ms` milliseconds.
    pub fn set_delay_ms(&self, ms: u64) {
        self.shared
            .delay_ms
            .store(ms, std::sync::atomic::Ordering::SeqCst);
    }

    /// The most requests the server was handling at once.
    pub fn max_in_flight(&self) -> u64 {
        self.shared
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn request_count(&self) -> usize {
        self.shared.seen.lock().unwrap().len()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads primary, category and numbered targets from a prompt.
pub fn read_prompt(content: &str) -> (String, String, Vec<String>) {
    let mut primary = String::new();
    let mut category = String::new();
    let mut targets = Vec::new();
    for line in content.lines() {
        if let Some(r) = line.strip_prefix("PRIMARY ATTRIBUTE: \"") {
            primary = r.strip_suffix('"').unwrap_or(r).to_string();
        } else if let Some(r) = line.strip_prefix("CATEGORY: ") {
            category = r.to_string();
        } else if let Some(r) = line.strip_prefix('[')
            && let Some((n, v)) = r.split_once("] ")
            && n.parse::<usize>() == Ok(targets.len() + 1)
        {
            targets.push(v.to_string());
        }
    }
    (primary, category, targets)
}

fn answer(st: &Shared, category: &str, primary: &str, targets: &[String]) -> Vec<char> {
    let p = (category.to_string(), primary.to_string());
    targets
        .iter()
        .map(|t| {
            // The target's modality: the node with this value in another modality.
            st.nodes
                .iter()
                .filter(|(m, v)| v == t && m != category)
                .find_map(|n| st.signs.get(&key(p.clone(), n.clone())))
                .copied()
                .unwrap_or('0')
        })
        .collect()
}

fn completion(content: &str) -> Response {
    let body = json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn chat(State(st): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let _in_flight = InFlight::new(&st);
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let content = body
        .pointer("/messages/0/content")
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .to_string();
    let (primary, category, targets) = read_prompt(&content);
    let fault = {
        let mut pp = st.per_primary.lock().unwrap();
        match pp.get_mut(&primary).and_then(|q| q.pop_front()) {
            Some(f) => f,
            None => st.global.lock().unwrap().pop_front().unwrap_or(Fault::Ok),
        }
    };
    st.seen.lock().unwrap().push(Seen {
        at: Instant::now(),
        body: body.clone(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from),
        primary: primary.clone(),
        category: category.clone(),
        targets: targets.clone(),
        fault: fault.clone(),
    });
    let delay = st.delay_ms.load(std::sync::atomic::Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let signs = answer(&st, &category, &primary, &targets);
    let object = |keys: &dyn Fn(usize) -> String, val: &dyn Fn(char) -> String, extra: bool| {
        let mut parts: Vec<String> = signs
            .iter()
            .enumerate()
            .map(|(i, s)| format!("\"{}\": \"{}\"", keys(i), val(*s)))
            .collect();
        if extra {
            parts.push(format!("\"{}\": \"0\"", signs.len() + 1));
        }
        format!("{{{}}}", parts.join(", "))
    };
    let num = |i: usize| (i + 1).to_string();
    let sym = |c: char| c.to_string();
    match fault {
        Fault::Ok => completion(&object(&num, &sym, false)),
        Fault::Fenced => completion(&format!("```json\n{}\n```", object(&num, &sym, false))),
        Fault::RateLimit(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
            axum::Json(json!({"error": {"message": "rate limited"}})),
        )
            .into_response(),
        Fault::Status(code) => (
            StatusCode::from_u16(code).unwrap(),
            axum::Json(json!({"error": {"message": format!("status {code}")}})),
        )
            .into_response(),
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            completion("{}")
        }
        Fault::BadBody => (StatusCode::OK, "{\"choices\": [ this is not json").into_response(),
        Fault::Truncated => {
            let full = object(&num, &sym, false);
            completion(&full[..full.len() / 2])
        }
        Fault::NamesAsKeys => {
            let names = |i: usize| targets[i].clone();
            completion(&object(&names, &sym, false))
        }
        Fault::MissingKey => {
            let full = object(&num, &sym, false);
            // Drop the first entry.
            let rest = full
                .split_once(", ")
                .map(|(_, r)| format!("{{{r}"))
                .unwrap_or("{}".into());
            completion(&rest)
        }
        Fault::ExtraKey => completion(&object(&num, &sym, true)),
        Fault::WordSigns => {
            let words = |c: char| match c {
                '+' => "positive".to_string(),
                '-' => "negative".to_string(),
                _ => "neutral".to_string(),
            };
            completion(&object(&num, &words, false))
        }
        Fault::NoChoices => (StatusCode::OK, axum::Json(json!({"choices": []}))).into_response(),
        Fault::Huge(n) => {
            let o = object(&num, &sym, false);
            completion(&format!("{o}{}", " ".repeat(n.saturating_sub(o.len()))))
        }
    }
}

/// An `/v1/embeddings` request body and its `input` texts.
pub fn embedding_inputs(body: &str) -> (Value, Vec<String>) {
    let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let inputs = body["input"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    (body, inputs)
}

/// `/v1/embeddings`: a 3-dimensional vector per input (length, first byte,
/// 1), listed in reverse order with explicit indices.
async fn embeddings(body: String) -> Response {
    let (body, inputs) = embedding_inputs(&body);
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, t)| {
            json!({"object": "embedding", "index": i,
                   "embedding": [t.len() as f64, *t.as_bytes().first().unwrap_or(&0) as f64, 1.0]})
        })
        .collect();
    axum::Json(json!({"object": "list", "model": body["model"], "data": data})).into_response()
}
