//! Crash consistency: `kill -9` of the `valence` process at seeded moments
//! during IMPORT, SAMPLE, EXPORT and GENERATE. After each kill the database
//! opens, CHECK DATABASE finds nothing damaged, every listed version loads
//! (no partial version), and a GENERATE re-run repeats at most the calls that
//! were in flight.
//!
//! CI: a few kills with a fixed seed. Longer: `VALENCE_CRASH_KILLS=25
//! VALENCE_CRASH_SEED=$RANDOM cargo test --test tests crash::`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use valence::Database;

use crate::common::{root, valence_bin};
use crate::llm_server::{Node, TestServer};

fn kills(default: u64) -> u64 {
    std::env::var("VALENCE_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rng() -> ChaCha8Rng {
    let seed = std::env::var("VALENCE_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    ChaCha8Rng::seed_from_u64(seed)
}

fn spawn(db: &Path, script: &str) -> Child {
    Command::new(valence_bin())
        .arg(db)
        .arg("-c")
        .arg(script)
        .current_dir(root())
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn valence")
}

fn kill9(mut child: Child) {
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
}

/// Opens the database after a kill and checks it is whole: CHECK DATABASE
/// reports nothing damaged and every listed version loads.
fn assert_whole(db: &Path) -> Database {
    let d = Database::open(db).expect("the database opens after kill -9");
    let r = d.execute("CHECK DATABASE;").unwrap();
    let t = r[0].table();
    for i in 0..t.rows.len() {
        let status = t.get(i, "status").and_then(|v| v.as_str()).unwrap_or("");
        assert_ne!(
            status, "corrupt",
            "row {i} of CHECK DATABASE: {:?}",
            t.rows[i]
        );
    }
    for (show, what) in [("SHOW GRAPHS;", "GRAPH"), ("SHOW DATASETS;", "DATASET")] {
        let r = d.execute(show).unwrap();
        let t = r[0].table();
        for i in 0..t.rows.len() {
            let name = t
                .get(i, "name")
                .and_then(|v| v.as_str())
                .unwrap()
                .to_string();
            d.execute(&format!("DESCRIBE {what} {name};"))
                .unwrap_or_else(|e| panic!("{what} {name} does not load: {e}"));
        }
    }
    d
}

#[test]
fn kill_9_during_import_sample_and_export_leaves_a_whole_database() {
    let mut rng = rng();
    let dir = tempfile::tempdir().unwrap();
    let script = "LOAD CATALOGUE large FROM 'fixtures/large/catalogue.csv';
        IMPORT GRAPH ref FROM 'fixtures/large/edges.csv' CATALOGUE large;
        IMPORT GRAPH ref FROM 'fixtures/large/edges.csv';
        SAMPLE 3000 FROM ref TYPES (brand [1,1], audience [2,4], platform [1,1], geo [1,2])
          LABEL any COUNT 3000 WHERE pos_frac IN [0, 1] WITH (seed = 3) INTO ds;
        EXPORT DATASET ds TO 'OUT';
        IMPORT GRAPH ref FROM 'fixtures/large/edges.csv' CATALOGUE large;
        SAMPLE 3000 FROM ref TYPES (brand [1,1], audience [2,4], platform [1,1], geo [1,2])
          LABEL any COUNT 3000 WHERE pos_frac IN [0, 1] WITH (seed = 4) INTO ds;";
    // How long the whole script takes here, to spread the kills over it.
    let full = dir.path().join("full.vdb");
    let out = dir.path().join("full.jsonl");
    let t0 = Instant::now();
    let status = spawn(&full, &script.replace("OUT", out.to_str().unwrap()))
        .wait()
        .unwrap();
    assert!(status.success());
    let span = t0.elapsed().as_millis().max(20) as u64;
    let rows_full = std::fs::read_to_string(&out).unwrap().lines().count();
    for k in 0..kills(4) {
        let db = dir.path().join(format!("k{k}.vdb"));
        let out = dir.path().join(format!("k{k}.jsonl"));
        let child = spawn(&db, &script.replace("OUT", out.to_str().unwrap()));
        std::thread::sleep(Duration::from_millis(rng.random_range(5..span)));
        kill9(child);
        if !db.exists() {
            continue; // killed before the file was created
        }
        assert_whole(&db);
        // An export file is there whole or not at all.
        if out.exists() {
            let rows = std::fs::read_to_string(&out).unwrap().lines().count();
            assert_eq!(rows, rows_full, "kill {k}: a partial export");
        }
    }
}

fn crash_catalogue() -> Vec<Node> {
    let mut v = Vec::new();
    for (m, n) in [("brand", 12), ("audience", 6), ("geo", 5)] {
        for i in 0..n {
            v.push((m.to_string(), format!("{m} {i}")));
        }
    }
    v
}

#[test]
fn kill_9_during_generate_repeats_at_most_the_calls_in_flight() {
    let mut rng = rng();
    let nodes = crash_catalogue();
    let mut edges = Vec::new();
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            if a.0 != b.0 && (a.1.len() + b.1.len() + i) % 3 == 0 {
                edges.push((a.clone(), b.clone(), if i % 2 == 0 { '+' } else { '-' }));
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat.csv");
    let mut text = String::from("modality,value\n");
    for (m, v) in &nodes {
        text.push_str(&format!("{m},{v}\n"));
    }
    std::fs::write(&cat, text).unwrap();
    let workers = 3;
    for k in 0..kills(3) {
        let server = TestServer::start(nodes.clone(), edges.clone());
        server.set_delay_ms(30);
        let stmt = format!(
            "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'openai', \
             base_url = '{}', model = 'test', workers = {workers}, batch_size = 3);",
            server.base_url
        );
        let db = dir.path().join(format!("g{k}.vdb"));
        Database::open(&db)
            .unwrap()
            .execute(&format!("LOAD CATALOGUE c FROM '{}';", cat.display()))
            .unwrap();
        // Kill once the server has seen a seeded number of requests.
        let at = rng.random_range(1..20);
        let child = spawn(&db, &stmt);
        let t0 = Instant::now();
        while server.request_count() < at && t0.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(2));
        }
        kill9(child);
        let sent = server.request_count() as u64;
        let d = assert_whole(&db);
        let journaled = d.engine().store().journal_len().unwrap();
        assert!(
            journaled <= sent,
            "kill {k}: {journaled} journaled > {sent} sent"
        );
        assert!(
            sent - journaled <= workers,
            "kill {k}: {sent} sent, {journaled} journaled: more than the {workers} in flight lost"
        );
        assert_eq!(
            d.execute("SHOW GRAPHS;").unwrap()[0].table().rows.len(),
            0,
            "kill {k}: no partial graph version"
        );
        // The re-run calls only for what the journal lacks.
        server.set_delay_ms(0);
        let r = d.execute(&stmt).unwrap();
        let t = r[0].table();
        let made = t.get(0, "calls_made").and_then(|v| v.as_i64()).unwrap() as u64;
        let replayed = t.get(0, "calls_replayed").and_then(|v| v.as_i64()).unwrap() as u64;
        assert_eq!(replayed, journaled, "kill {k}");
        assert_eq!(server.request_count() as u64, sent + made, "kill {k}");
        assert_eq!(
            d.graph("g").unwrap().edge_counts().0 + d.graph("g").unwrap().edge_counts().1,
            edges.len() as u64
        );
    }
}
