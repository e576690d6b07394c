//! `valence serve` figures (printed, no assertions): requests/s of
//! `GET /v1/jobs/{id}`, and download throughput of a 1,000,000-row dataset
//! with the process's resident memory during the download, and the
//! leaderboard page's render time with 10,000 runs on 50 dataset versions.
//! `cargo bench --bench serve` (release build).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use valence_server::{Config, Server};

const ROWS: u64 = 1_000_000;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("bench.vdb");
    let root = env!("CARGO_MANIFEST_DIR");
    {
        let db = valence::Database::open(&db_path).unwrap();
        let t = Instant::now();
        db.execute(&format!(
            "LOAD CATALOGUE retail FROM '{root}/fixtures/large/catalogue.csv';
             IMPORT GRAPH g FROM '{root}/fixtures/large/edges.csv' CATALOGUE retail;
             SAMPLE {ROWS} FROM g TYPES (brand [1,1], audience [2,4], platform [1,1], geo [1,2])
               LABEL pos COUNT 400000 WHERE pos_frac IN [0.444, 1] AND neg_frac IN [0, 0]
               LABEL avg COUNT 300000 WHERE pos_frac IN [0.266, 0.443] AND neg_frac IN [0, 0.075]
               LABEL neg COUNT 300000 WHERE pos_frac IN [0, 0.334] AND neg_frac IN [0.076, 1]
               WITH (seed = 1) INTO big;"
        ))
        .unwrap();
        println!(
            "setup: {ROWS} rows sampled in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut cfg = Config::new(db_path.clone());
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        let server = Server::bind(cfg).await.unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let run = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        let http = reqwest::Client::new();
        let r: serde_json::Value = http
            .post(format!("{base}/v1/jobs"))
            .json(&serde_json::json!({"statements": "SHOW DATASETS;"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["id"].as_u64().unwrap();
        // Requests/s of job status, 8 clients for 3 s.
        let count = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let t = Instant::now();
        let mut clients = Vec::new();
        for _ in 0..8 {
            let (http, url, count, stop) = (
                http.clone(),
                format!("{base}/v1/jobs/{id}"),
                count.clone(),
                stop.clone(),
            );
            clients.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let r = http.get(&url).send().await.unwrap();
                    assert!(r.status().is_success());
                    let _ = r.bytes().await.unwrap();
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.await.unwrap();
        }
        let n = count.load(Ordering::Relaxed);
        println!(
            "GET /v1/jobs/{{id}}: {:.0} requests/s (8 clients, {n} requests in {:.1} s)",
            n as f64 / t.elapsed().as_secs_f64(),
            t.elapsed().as_secs_f64()
        );
        for format in ["jsonl", "csv", "parquet"] {
            let before = rss_kb();
            let peak = Arc::new(AtomicU64::new(before));
            let done = Arc::new(AtomicBool::new(false));
            let sampler = {
                let (peak, done) = (peak.clone(), done.clone());
                std::thread::spawn(move || {
                    while !done.load(Ordering::Relaxed) {
                        peak.fetch_max(rss_kb(), Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(5));
                    }
                })
            };
            let t = Instant::now();
            let resp = http
                .get(format!("{base}/v1/datasets/big?format={format}"))
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success());
            let mut bytes = 0u64;
            let mut stream = resp.bytes_stream();
            while let Some(chunk) = stream.next().await {
                bytes += chunk.unwrap().len() as u64;
            }
            let secs = t.elapsed().as_secs_f64();
            done.store(true, Ordering::Relaxed);
            sampler.join().unwrap();
            println!(
                "download {ROWS} rows as {format}: {:.1} MB in {secs:.2} s = {:.1} MB/s \
                 (export + stream); RSS {} MB before, peak {} MB during",
                bytes as f64 / 1e6,
                bytes as f64 / 1e6 / secs,
                before / 1024,
                peak.load(Ordering::Relaxed) / 1024
            );
        }
        let db = valence::Database::open(&db_path).unwrap();
        leaderboard_page(&http, &base, &db).await;
        let _ = tx.send(());
        run.await.unwrap().unwrap();
    });
}

/// The leaderboard page with 10,000 runs on 50 dataset versions: time to
/// render `GET /leaderboard` (all runs, and one version) over HTTP.
async fn leaderboard_page(http: &reqwest::Client, base: &str, db: &valence::Database) {
    let root = env!("CARGO_MANIFEST_DIR");
    db.execute(&format!(
        "LOAD CATALOGUE small FROM '{root}/fixtures/small/catalogue.csv';
         IMPORT GRAPH ref FROM '{root}/fixtures/small/edges.csv' CATALOGUE small;"
    ))
    .unwrap();
    for seed in 0..50 {
        db.execute(&format!(
            "SAMPLE 20 FROM ref TYPES (brand [1,1], audience [1,2]) WHERE pos_frac IN [0, 1] \
             WITH (seed = {seed}) INTO lb;"
        ))
        .unwrap();
    }
    let mut body = String::new();
    for i in 0..10_000u32 {
        let v = i % 50 + 1;
        let acc = 0.5 + f64::from(i % 997) / 2000.0;
        body.push_str(&format!(
            "{{\"run_id\": \"r{i}\", \"model\": \"m{}\", \"dataset\": \"lb@{v}\", \"metrics\": \
             {{\"accuracy\": {acc}, \"macro_f1\": {}}}, \"tags\": {{\"team\": \"t{}\"}}, \"created\": {}}}\n",
            i % 40,
            acc - 0.01,
            i % 5,
            1_795_000_000 + i
        ));
    }
    let r = http
        .post(format!("{base}/v1/evaluations"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    for (what, q) in [
        ("all 10,000 runs", ""),
        ("one version (200 runs)", "?dataset=lb&version=7"),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let page = http
                .get(format!("{base}/leaderboard{q}"))
                .send()
                .await
                .unwrap();
            size = page.bytes().await.unwrap().len();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "GET /leaderboard, {what}: median {:.1} ms over 5, {:.0} KB of HTML",
            times[2].as_secs_f64() * 1e3,
            size as f64 / 1e3
        );
    }
}
