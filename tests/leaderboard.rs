//! The leaderboard over HTTP and in a real headless browser (Chromium,
//! installed by `.ci/run`): runs on two dataset versions, ranked rows, the
//! version selector, the chart; a screenshot under `target/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;
use valence_server::{Config, Server};

use crate::common::root;

const RUNS: &str = r#"{"run_id": "lr-1", "model": "logreg", "dataset": "ds@1", "split": "test", "metrics": {"accuracy": 0.81, "macro_f1": 0.79}, "tags": {"team": "growth"}, "created": 1795000000}
{"run_id": "gbm-1", "model": "lightgbm", "dataset": "ds@1", "split": "test", "metrics": {"accuracy": 0.88, "macro_f1": 0.86}, "tags": {"team": "growth"}, "created": 1795000100}
{"run_id": "mlp-1", "model": "mlp", "dataset": "ds@1", "split": "test", "metrics": {"accuracy": 0.84, "macro_f1": 0.83}, "tags": {"team": "risk"}, "created": 1795000050}
{"run_id": "lr-2", "model": "logreg", "dataset": "ds@2", "metrics": {"accuracy": 0.91}, "created": 1795000200}
{"run_id": "gbm-2", "model": "lightgbm", "dataset": "ds@2", "metrics": {"accuracy": 0.93}, "created": 1795000300}
"#;

/// A server on a database with `ds@1` and `ds@2`; its base URL.
async fn start(dir: &Path, tokens: Vec<String>) -> (String, tokio::sync::oneshot::Sender<()>) {
    let db = dir.join("lb.vdb");
    {
        let d = valence::Database::open(&db).unwrap();
        let r = root();
        d.execute(&format!(
            "LOAD CATALOGUE small FROM '{0}/fixtures/small/catalogue.csv';
             IMPORT GRAPH ref FROM '{0}/fixtures/small/edges.csv' CATALOGUE small;
             SAMPLE 20 FROM ref TYPES (brand [1,1], audience [1,2]) WHERE pos_frac IN [0, 1] WITH (seed = 1) INTO ds;
             SAMPLE 30 FROM ref TYPES (brand [1,1], audience [1,2]) WHERE pos_frac IN [0, 1] WITH (seed = 2) INTO ds;",
            r.display()
        ))
        .unwrap();
    }
    let mut cfg = Config::new(&db);
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.tokens = tokens;
    let server = Server::bind(cfg).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    (base, tx)
}

async fn post_runs(base: &str, body: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/evaluations"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap())
}

/// The run ids of a JSON leaderboard, in rank order.
fn run_ids(v: &Value) -> Vec<&str> {
    v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect()
}

/// Evaluation runs arrive in bulk: a 3 MB JSONL is within the upload limit
/// (axum's default 2 MB cap on a buffered body does not apply).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_of_runs_over_two_megabytes_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = start(dir.path(), Vec::new()).await;
    let body: String = (0..24_000)
        .map(|i| {
            format!(
                "{{\"run_id\": \"bulk-{i:05}\", \"model\": \"logreg\", \"dataset\": \"ds@1\", \
                 \"metrics\": {{\"accuracy\": 0.5}}, \"tags\": {{\"batch\": \"bulk\"}}, \"created\": 1795000000}}\n"
            )
        })
        .collect();
    assert!(body.len() > 3_000_000, "{}", body.len());
    let (s, v) = post_runs(&base, &body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["runs"].as_array().map(Vec::len), Some(24_000));
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluations_and_leaderboard_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = start(dir.path(), Vec::new()).await;
    let (s, v) = post_runs(&base, RUNS).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["runs"].as_array().map(Vec::len), Some(5));
    // A bad line names its line; nothing of the body is stored.
    let bad = "{\"run_id\": \"x-1\", \"model\": \"m\", \"dataset\": \"ds@1\", \"metrics\": {\"accuracy\": 0.5}}\n\
               {\"run_id\": \"x-2\", \"model\": \"m\", \"dataset\": \"ds@1\", \"metrics\": {\"accuracy\": null}}\n";
    let (s, v) = post_runs(&base, bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["line"].as_u64(), Some(2), "{v}");
    let http = reqwest::Client::new();
    let get = |q: &str| {
        let url = format!("{base}/v1/leaderboard{q}");
        let http = http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let v = get("?dataset=ds&version=1").await;
    assert_eq!(run_ids(&v), ["gbm-1", "mlp-1", "lr-1"], "{v}");
    assert_eq!(v["metric"], "accuracy");
    let v = get("?dataset=ds&metric=macro_f1&order=asc&tag=team%3Dgrowth").await;
    assert_eq!(run_ids(&v), ["lr-1", "gbm-1"], "{v}");
    // The page shows a limited number of rows and says how many match.
    let page = http
        .get(format!("{base}/leaderboard?limit=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&page), ["gbm-2", "lr-2"]);
    assert!(page.contains("Showing the first 2 of 5 runs"), "{page}");
    assert!(page.contains("href=\"/leaderboard?limit=5\""), "{page}");
    assert_eq!(v["runs"][0]["rank"], 1);
    assert!(
        v["runs"][0]["dataset_digest"]
            .as_str()
            .is_some_and(|d| d.len() == 64),
        "{v}"
    );
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_needs_the_token_once_then_a_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let token = "page-token-0123456789abcdef".to_string();
    let (base, stop) = start(dir.path(), vec![token.clone()]).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .get(format!("{base}/leaderboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(format!("{base}/leaderboard?dataset=ds&token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/leaderboard?dataset=ds");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let r = http
        .get(format!("{base}/leaderboard?dataset=ds"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Valence leaderboard"));
    let r = http
        .get(format!("{base}/leaderboard?token=wrong-0123456789abcdef"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let _ = stop.send(());
}

/// Chromium as `.ci/run` installs it (Debian's package).
fn chromium() -> PathBuf {
    for c in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(c).exists() {
            return PathBuf::from(c);
        }
    }
    panic!("headless Chromium is missing: `.ci/run` installs it (apt-get install chromium)");
}

/// Runs headless Chromium on `url` with `args` (e.g. --dump-dom).
fn browse(url: &str, args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `data-run` ids of the board's rows, in page order.
fn rows(dom: &str) -> Vec<String> {
    dom.split("data-run=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = start(dir.path(), Vec::new()).await;
    let (s, _) = post_runs(&base, RUNS).await;
    assert_eq!(s, StatusCode::CREATED);
    let b = base.clone();
    let (v1, v2, all, shot) = tokio::task::spawn_blocking(move || {
        let v1 = browse(
            &format!("{b}/leaderboard?dataset=ds&version=1"),
            &["--dump-dom"],
        );
        let v2 = browse(
            &format!("{b}/leaderboard?dataset=ds&version=2"),
            &["--dump-dom"],
        );
        let all = browse(&format!("{b}/"), &["--dump-dom"]);
        // Under the target directory (target/leaderboard.png), for a person to look at.
        let exe = std::env::current_exe().unwrap();
        let target = exe.ancestors().nth(3).expect("target dir").to_path_buf();
        let shot = target.join("leaderboard.png");
        let _ = std::fs::remove_file(&shot);
        browse(
            &format!("{b}/leaderboard?dataset=ds"),
            &[
                &format!("--screenshot={}", shot.display()),
                "--window-size=1280,800",
            ],
        );
        (v1, v2, all, shot)
    })
    .await
    .unwrap();
    // Rank order on version 1; the version selector switches the table.
    assert_eq!(rows(&v1), ["gbm-1", "mlp-1", "lr-1"], "{v1}");
    assert_eq!(rows(&v2), ["gbm-2", "lr-2"], "{v2}");
    // `/` redirected to the page: every run, best first.
    assert_eq!(rows(&all), ["gbm-2", "lr-2", "gbm-1", "mlp-1", "lr-1"]);
    // The version links, the chart with one point per version, the card.
    assert!(v1.contains("data-version=\"2\""), "{v1}");
    let chart = v1
        .split("id=\"best-by-version\"")
        .nth(1)
        .expect("the chart is rendered");
    assert_eq!(
        chart
            .split("</svg>")
            .next()
            .unwrap()
            .matches("<circle")
            .count(),
        2
    );
    assert!(v1.contains("id=\"dataset-card\""), "{v1}");
    assert!(
        v1.contains("valence 0.1.0"),
        "the page names the server version"
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    let _ = stop.send(());
}

/// EVALUATE BASELINE on disjoint label boxes: the graph oracle classifies
/// every test row; accuracy agrees with the per-label recalls weighted by
/// the test part EXPORT ... SPLIT writes; the runs are deterministic.
#[test]
fn baseline_runs_are_consistent_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let db = valence::Database::open(dir.path().join("b.vdb")).unwrap();
    let r = root();
    db.execute(&format!(
        "LOAD CATALOGUE small FROM '{0}/fixtures/small/catalogue.csv';
         IMPORT GRAPH ref FROM '{0}/fixtures/small/edges.csv' CATALOGUE small;
         SAMPLE 120 FROM ref TYPES (brand [1,1], audience [1,2], geo [1,1])
           LABEL pos COUNT 60 WHERE pos_frac IN [0.5, 1] AND neg_frac IN [0, 0]
           LABEL neg COUNT 60 WHERE neg_frac IN [0.2, 1] WITH (seed = 3) INTO ds;",
        r.display()
    ))
    .unwrap();
    let split = "SPLIT (train 0.75, test 0.25) SEED 7";
    db.execute(&format!("EVALUATE BASELINE ON ds {split};"))
        .unwrap();
    let runs = db.engine().evaluations().unwrap();
    assert_eq!(runs.len(), 2);
    // The test part as EXPORT writes it: rows per label.
    let out = dir.path().join("ds.jsonl");
    db.execute(&format!(
        "EXPORT DATASET ds TO '{}' {split};",
        out.display()
    ))
    .unwrap();
    let test = std::fs::read_to_string(dir.path().join("ds.test.jsonl")).unwrap();
    let mut per_label = std::collections::BTreeMap::<String, f64>::new();
    for line in test.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        *per_label
            .entry(v["label"].as_str().unwrap().to_string())
            .or_default() += 1.0;
    }
    let n: f64 = per_label.values().sum();
    for run in &runs {
        assert_eq!(run.tags.get("baseline").map(String::as_str), Some("true"));
        assert_eq!(run.params["test_rows"], n as u64, "{run:?}");
        let weighted: f64 = per_label
            .iter()
            .map(|(l, k)| run.metrics[&format!("recall_{l}")] * k)
            .sum::<f64>()
            / n;
        assert!((weighted - run.metrics["accuracy"]).abs() < 1e-5, "{run:?}");
        assert!((0.0..=1.0).contains(&run.metrics["macro_f1"]));
    }
    let oracle = runs
        .iter()
        .find(|r| r.model == "baseline-graph-oracle")
        .unwrap();
    assert_eq!(
        oracle.metrics["accuracy"], 1.0,
        "disjoint boxes are thresholds on the fractions"
    );
    // Again: refused while the runs exist; the same numbers once dropped.
    let e = db
        .execute(&format!("EVALUATE BASELINE ON ds {split};"))
        .unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    for r in &runs {
        db.execute(&format!("DROP EVALUATION '{}';", r.run_id))
            .unwrap();
    }
    db.execute(&format!("EVALUATE BASELINE ON ds {split};"))
        .unwrap();
    let mut again = db.engine().evaluations().unwrap();
    let mut first = runs.clone();
    again.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    first.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(a.metrics, b.metrics);
    }
    let e = db
        .execute("EVALUATE BASELINE ON ds SPLIT (fit 0.5, holdout 0.5);")
        .unwrap_err();
    assert!(e.to_string().contains("train and test"), "{e}");
}
