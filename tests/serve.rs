//! `valence serve`: a real server on an ephemeral 127.0.0.1 port, driven
//! over HTTP with reqwest (in-process for most tests, the `valence` binary
//! for the kill -9 test).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use valence_server::{Config, Server};

use crate::common::{root, valence_bin};

const TOKEN: &str = "test-token-0123456789abcdef";
const SAMPLE: &str = "SAMPLE 30 FROM ref TYPES (brand [1,1], audience [1,2]) \
    LABEL pos COUNT 10 WHERE pos_frac IN [0.2, 1.0] AND neg_frac IN [0, 0.3] \
    LABEL neg COUNT 20 WHERE neg_frac IN [0.2, 1] WITH (seed = 42) INTO ds;";

struct Svc {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Svc {
    async fn start(cfg: Config) -> Svc {
        let token = cfg.tokens.first().cloned();
        let server = Server::bind(cfg).await.expect("server binds");
        let addr = server.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Svc {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            token,
            stop: Some(tx),
            done: Some(done),
        }
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(d) = self.done.take() {
            d.await.unwrap().unwrap();
        }
    }

    fn req(&self, m: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(m, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn send(&self, r: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = r.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.req(reqwest::Method::POST, path).json(&body))
            .await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.req(reqwest::Method::GET, path)).await
    }

    async fn put_file(&self, path: &str, file: &Path) -> (StatusCode, Value) {
        let body = std::fs::read(file).unwrap();
        self.send(self.req(reqwest::Method::PUT, path).body(body))
            .await
    }

    async fn submit(&self, statements: &str) -> u64 {
        let (s, v) = self
            .post("/v1/jobs", json!({ "statements": statements }))
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["status"], "queued", "{v}");
        v["id"].as_u64().unwrap()
    }

    /// The number of rows of each result of read-only statements.
    async fn row_counts(&self, statements: &str) -> Vec<usize> {
        let (s, v) = self
            .post("/v1/query", json!({ "statements": statements }))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rows"].as_array().map_or(0, Vec::len))
            .collect()
    }

    /// Polls until the job has ended.
    async fn wait(&self, id: u64) -> Value {
        let t = Instant::now();
        loop {
            let (s, v) = self.get(&format!("/v1/jobs/{id}")).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            if !matches!(v["status"].as_str(), Some("queued" | "running")) {
                return v;
            }
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "job never ended: {v}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls until the job runs.
    async fn wait_running(&self, id: u64) {
        let t = Instant::now();
        loop {
            let (_, v) = self.get(&format!("/v1/jobs/{id}")).await;
            if v["status"] == "running" {
                return;
            }
            assert_eq!(v["status"], "queued", "{v}");
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "job never started: {v}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn config(dir: &Path) -> Config {
    let mut c = Config::new(dir.join("s.vdb"));
    c.listen = "127.0.0.1:0".parse().unwrap();
    c
}

/// Upload, DIAGNOSE as a query, SAMPLE as a job, poll, download JSONL: the
/// bytes equal EXPORT DATASET of the same version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_through_upload_query_job_download() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Svc::start(config(dir.path())).await;
    let (s, v) = svc.get("/v1/health").await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("ok")));
    let (s, v) = svc
        .put_file(
            "/v1/catalogues/small",
            &root().join("fixtures/small/catalogue.csv"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["name"].as_str(), v["version"].as_u64()),
        (Some("small"), Some(1))
    );
    let (s, v) = svc
        .put_file(
            "/v1/graphs/ref?catalogue=small",
            &root().join("fixtures/small/edges.csv"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = svc
        .post(
            "/v1/query",
            json!({"statements": "DIAGNOSE ref TYPES (brand [1,1], audience [1,2]) SAMPLES 500 SEED 3;"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["results"][0]["statement"],
        "DIAGNOSE ref TYPES (brand [1,1], audience [1,2]) SAMPLES 500 SEED 3"
    );
    assert!(
        v["results"][0]["rows"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{v}"
    );
    let id = svc.submit(SAMPLE).await;
    let job = svc.wait(id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["results"][0]["rows"][0]["dataset"], "ds", "{job}");
    assert!(
        job["started"].is_string() && job["finished"].is_string(),
        "{job}"
    );
    // The download equals EXPORT DATASET of the same version (the server's
    // handle is shared: same process, same file).
    let resp = svc
        .req(reqwest::Method::GET, "/v1/datasets/ds@1?format=jsonl")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    let got = resp.bytes().await.unwrap();
    let db = valence::Database::open(dir.path().join("s.vdb")).unwrap();
    let expect = dir.path().join("expect.jsonl");
    db.execute(&format!("EXPORT DATASET ds@1 TO '{}';", expect.display()))
        .unwrap();
    assert_eq!(got.as_ref(), std::fs::read(&expect).unwrap().as_slice());
    assert_eq!(got.iter().filter(|b| **b == b'\n').count(), 30);
    // Parquet and one split part, and the graph's edges as CSV.
    let (s, _) = svc.get("/v1/datasets/ds?format=parquet").await;
    assert_eq!(s, StatusCode::OK);
    // A misspelt or malformed parameter is a JSON 400 naming it, never
    // skipped (`fraction=true` would silently drop the columns asked for).
    for (path, names) in [
        ("/v1/datasets/ds?fraction=true", "fraction"),
        ("/v1/datasets/ds?fractions=maybe", "fractions"),
        ("/v1/jobs?limt=5", "limt"),
        ("/v1/graphs/ref/edges?fromat=csv", "fromat"),
        ("/v1/leaderboard?dataset=ds&metrc=f1", "metrc"),
    ] {
        let (s, v) = svc.get(path).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["error"]["code"], "bad_request", "{path}: {v}");
        let m = v["error"]["message"].as_str().unwrap_or_default();
        assert!(m.contains(names), "{path}: {v}");
        assert!(v["error"]["hint"].as_str().is_some(), "{path}: {v}");
    }
    let resp = svc
        .req(
            reqwest::Method::GET,
            "/v1/datasets/ds?split=train&parts=train:0.8,test:0.2&seed=7",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let train = resp.bytes().await.unwrap();
    assert_eq!(train.iter().filter(|b| **b == b'\n').count(), 24);
    // A part the split does not have: a 400, and no spooled copy of the
    // dataset (its parts) is left behind in the temporary directory.
    let parts = || -> std::collections::BTreeSet<_> {
        walk_spool()
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(".train."))
            .collect()
    };
    let before = parts();
    let (s, v) = svc
        .get("/v1/datasets/ds?split=foo&parts=train:0.8,test:0.2")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let left: Vec<_> = parts().difference(&before).cloned().collect();
    assert!(left.is_empty(), "{left:?}");
    let resp = svc
        .req(reqwest::Method::GET, "/v1/graphs/ref/edges?format=csv")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().starts_with("source,target"));
    // Listing, newest first; the OpenAPI description names the routes.
    let (_, v) = svc.get("/v1/jobs?status=succeeded&limit=5").await;
    assert_eq!(v["jobs"][0]["id"].as_u64(), Some(id), "{v}");
    let (s, v) = svc.get("/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["paths"]["/v1/jobs/{id}/cancel"].is_object(), "{v}");
    drop(db);
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_statements_are_refused_at_submission() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Svc::start(config(dir.path())).await;
    let (s, v) = svc
        .post(
            "/v1/jobs",
            json!({"statements": "SHOW GRAPHS;\n  DIAGNOZE g TYPES (brand [1,1]);"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "syntax");
    assert_eq!(
        (v["error"]["line"].as_u64(), v["error"]["col"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("DIAGNOSE"),
        "{v}"
    );
    // Nothing was queued.
    let (_, v) = svc.get("/v1/jobs").await;
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(0), "{v}");
    // Not JSON, unknown fields, writes sent to /v1/query.
    let (s, v) = svc
        .send(
            svc.req(reqwest::Method::POST, "/v1/jobs")
                .body("SHOW GRAPHS;"),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = svc
        .post("/v1/query", json!({"statement": "SHOW GRAPHS;"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = svc
        .post(
            "/v1/query",
            json!({"statements": "SHOW GRAPHS;\nDROP GRAPH g;"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["line"].as_u64(), Some(2), "{v}");
    assert!(
        v["error"]["hint"].as_str().unwrap().contains("/v1/jobs"),
        "{v}"
    );
    // A bad upload names the body line.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "modality,value\nbrand,Nike\nbrand\n").unwrap();
    let (s, v) = svc.put_file("/v1/catalogues/c", &bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["line"].as_u64(), Some(3), "{v}");
    assert!(
        !v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("valence-serve-"),
        "{v}"
    );
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Svc::start(config(dir.path())).await;
    let send = |body: &str| {
        svc.req(reqwest::Method::POST, "/v1/jobs")
            .header("Idempotency-Key", "k-1")
            .json(&json!({ "statements": body }))
    };
    let (s1, a) = svc.send(send("SHOW GRAPHS;")).await;
    let (s2, b) = svc.send(send("SHOW GRAPHS;")).await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(a["id"], b["id"]);
    let (s3, c) = svc.send(send("SHOW DATASETS;")).await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY, "{c}");
    assert_eq!(c["error"]["code"], "idempotency_key_reused");
    let (_, v) = svc.get("/v1/jobs").await;
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(1), "{v}");
    svc.stop().await;
}

/// LOAD the large catalogue, then a GENERATE slow enough to be caught
/// running (oracle with 200 ms a call, one worker).
fn long_job() -> String {
    "LOAD CATALOGUE retail FROM 'catalogue.csv';\n\
     GENERATE GRAPH slow FROM retail USING BRUTE_FORCE WITH (backend = 'oracle', \
     reference = 'edges.csv', oracle_latency_ms = 200, workers = 1);"
        .to_string()
}

/// A data dir holding the large fixture's catalogue and edges.
fn data_dir(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    for f in ["catalogue.csv", "edges.csv"] {
        std::fs::copy(root().join("fixtures/large").join(f), data.join(f)).unwrap();
    }
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_long_generate_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.data_dir = Some(data_dir(dir.path()));
    let svc = Svc::start(cfg).await;
    let id = svc.submit(&long_job()).await;
    // Queued behind it: cancelled before it starts, it never runs.
    let queued = svc
        .submit("LOAD CATALOGUE other FROM 'catalogue.csv';")
        .await;
    svc.wait_running(id).await;
    let (s, v) = svc
        .post(&format!("/v1/jobs/{queued}/cancel"), json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (s, v) = svc.post(&format!("/v1/jobs/{id}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = svc.wait(id).await;
    assert_eq!(job["status"], "cancelled", "{job}");
    assert_eq!(job["error"]["code"], "cancelled", "{job}");
    // The first statement's result stays; the GENERATE stored nothing.
    assert_eq!(job["results"][0]["rows"][0]["catalogue"], "retail", "{job}");
    let other = svc.wait(queued).await;
    assert_eq!(other["status"], "cancelled", "{other}");
    assert!(other["started"].is_null(), "{other}");
    // No graph; the catalogue of the first statement.
    assert_eq!(
        svc.row_counts("SHOW GRAPHS; SHOW CATALOGUES;").await,
        [0, 1]
    );
    // An ended job cannot be cancelled again.
    let (s, _) = svc.post(&format!("/v1/jobs/{id}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    svc.stop().await;
}

/// Errors a layer answers (a body over its limit, a method the route does
/// not take) keep the service's JSON shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layer_errors_are_json_too() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Svc::start(config(dir.path())).await;
    let big = "a".repeat(1100 * 1024);
    let (s, v) = svc
        .send(svc.req(reqwest::Method::POST, "/v1/query").body(big))
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["error"]["code"], "body_too_large", "{v}");
    assert!(v["error"]["hint"].as_str().is_some(), "{v}");
    let resp = svc
        .req(reqwest::Method::DELETE, "/v1/jobs/1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(resp.headers().contains_key("allow"));
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "method_not_allowed", "{v}");
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_required_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.tokens = vec![TOKEN.into()];
    let mut svc = Svc::start(cfg).await;
    let (s, _) = svc.get("/v1/jobs").await;
    assert_eq!(s, StatusCode::OK);
    svc.token = None;
    let (s, v) = svc.get("/v1/jobs").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(v["error"]["code"], "unauthorized");
    svc.token = Some("wrong-token-0123456789abcdef".into());
    let (s, _) = svc
        .post("/v1/query", json!({"statements": "SHOW GRAPHS;"}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = svc.get("/v1/datasets/ds").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Health needs no token.
    let (s, _) = svc.get("/v1/health").await;
    assert_eq!(s, StatusCode::OK);
    svc.stop().await;
}

#[tokio::test]
async fn no_token_no_listening_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.listen = "0.0.0.0:0".parse().unwrap();
    let e = Server::bind(cfg.clone()).await.err().expect("refused");
    assert!(e.to_string().contains("without a token"), "{e}");
    assert!(!dir.path().join("s.vdb").exists(), "nothing is created");
    cfg.tokens = vec!["short".into()];
    let e = Server::bind(cfg).await.err().expect("refused");
    assert!(e.to_string().contains("16 characters"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_outside_the_data_dir_and_endpoints_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.data_dir = Some(data_dir(dir.path()));
    let svc = Svc::start(cfg).await;
    for (stmt, code) in [
        ("LOAD CATALOGUE c FROM '../s.vdb';", "forbidden_path"),
        ("LOAD CATALOGUE c FROM '/etc/passwd';", "forbidden_path"),
        ("EXPORT GRAPH g TO '/tmp/out.csv';", "forbidden_path"),
        (
            "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'openai', base_url = 'http://127.0.0.1:1/');",
            "forbidden_option",
        ),
    ] {
        let (s, v) = svc.post("/v1/jobs", json!({ "statements": stmt })).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{stmt}: {v}");
        assert_eq!(v["error"]["code"], code, "{stmt}: {v}");
        assert_eq!(v["error"]["line"].as_u64(), Some(1), "{v}");
    }
    // Without a data dir, no path at all.
    let dir2 = tempfile::tempdir().unwrap();
    let svc2 = Svc::start(config(dir2.path())).await;
    let (s, v) = svc2
        .post(
            "/v1/jobs",
            json!({"statements": "LOAD CATALOGUE c FROM 'catalogue.csv';"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("PUT /v1/catalogues"),
        "{v}"
    );
    // A path inside the data dir works.
    let id = svc.submit("LOAD CATALOGUE c FROM 'catalogue.csv';").await;
    assert_eq!(svc.wait(id).await["status"], "succeeded");
    svc.stop().await;
    svc2.stop().await;
}

/// 50 clients poll a job's status and run SHOW while a long write job runs:
/// all succeed (reads never wait for the writer).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_during_a_long_job() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.data_dir = Some(data_dir(dir.path()));
    let svc = std::sync::Arc::new(Svc::start(cfg).await);
    let id = svc.submit(&long_job()).await;
    svc.wait_running(id).await;
    let mut tasks = Vec::new();
    for c in 0..50 {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for _ in 0..4 {
                let t = Instant::now();
                let (s, v) = if c % 2 == 0 {
                    svc.get(&format!("/v1/jobs/{id}")).await
                } else {
                    svc.post("/v1/query", json!({"statements": "SHOW CATALOGUES;"}))
                        .await
                };
                assert_eq!(s, StatusCode::OK, "{v}");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    lat.sort();
    let (_, v) = svc.get(&format!("/v1/jobs/{id}")).await;
    assert_eq!(v["status"], "running", "the job ran all along: {v}");
    eprintln!(
        "200 requests from 50 clients during a running job: p50 {:?}, p99 {:?}",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );
    let (s, _) = svc.post(&format!("/v1/jobs/{id}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    svc.wait(id).await;
    std::sync::Arc::into_inner(svc).unwrap().stop().await;
}

/// Starts `valence serve` on a free port; its address from its first line.
fn spawn_server(db: &Path, data: &Path) -> (std::process::Child, String) {
    let mut child = Command::new(valence_bin())
        .args([
            "serve",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // Keep draining the log so the server never blocks on it.
    std::thread::spawn(move || for _ in err.lines() {});
    (child, format!("http://{addr}"))
}

/// kill -9 mid-job, restart: the job is `interrupted`, the database opens
/// and holds no partial version; a queued job runs after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_job_then_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(dir.path());
    let db = dir.path().join("k.vdb");
    let (mut child, base) = spawn_server(&db, &data);
    let svc = Svc {
        base,
        http: reqwest::Client::new(),
        token: None,
        stop: None,
        done: None,
    };
    let id = svc.submit(&long_job()).await;
    let queued = svc
        .submit("LOAD CATALOGUE later FROM 'catalogue.csv';")
        .await;
    svc.wait_running(id).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (mut child, base) = spawn_server(&db, &data);
    let svc = Svc { base, ..svc };
    let (_, v) = svc.get(&format!("/v1/jobs/{id}")).await;
    assert_eq!(v["status"], "interrupted", "{v}");
    let later = svc.wait(queued).await;
    assert_eq!(later["status"], "succeeded", "{later}");
    // No partial graph; both catalogues; the file checks out.
    let counts = svc
        .row_counts("SHOW GRAPHS; SHOW CATALOGUES; CHECK DATABASE;")
        .await;
    assert_eq!(counts[..2], [0, 2]);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Every file under the temporary directory's `valence-serve-*` entries
/// (the service's spool).
fn walk_spool() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
        let p = e.path();
        if !e
            .file_name()
            .to_string_lossy()
            .starts_with("valence-serve-")
        {
            continue;
        }
        match std::fs::read_dir(&p) {
            Ok(d) => out.extend(d.flatten().map(|f| f.path())),
            Err(_) => out.push(p),
        }
    }
    out
}
