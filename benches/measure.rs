//! Measurements that print figures rather than assert them (they used to be
//! `#[ignore]`d "tests"): GENERATE on the oracle with simulated latency, the
//! real746 plan and run, the journal's cost on a database file, and
//! `cluster_modality` timings on Gaussian blobs.
//!
//! ```text
//! cargo bench --bench measure                  # every section
//! cargo bench --bench measure -- oracle_latency # sections whose name contains the filter
//! ```
//! Sections: `oracle_latency`, `real746`, `file_journal`, `cluster_timings`.

use std::path::PathBuf;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use valence_engine::Store;
use valence_engine::generate::{self, GenerateOptions, MemJournal, PrimaryRule};
use valence_engine::{Catalogue, Ctx};
use valence_engine::{ClusterParams, cluster_modality};

type Section = (&'static str, fn());

const SECTIONS: [Section; 4] = [
    ("oracle_latency", oracle_latency),
    ("real746", real746),
    ("file_journal", file_journal),
    ("cluster_timings", cluster_timings),
];

fn main() {
    // `cargo bench` passes `--bench`; anything else not starting with `-` is a filter.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (name, run) in SECTIONS {
        if filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())) {
            println!("== {name}");
            run();
        }
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn catalogue(f: &str) -> Catalogue {
    Catalogue::from_csv(&fixture(&format!("{f}/catalogue.csv"))).expect("fixture catalogue")
}

/// Wall time of the large catalogue on the oracle with 200 ms latency and 7
/// workers, against the bound calls × latency / workers.
fn oracle_latency() {
    let cat = catalogue("large");
    for rule in [PrimaryRule::FewerCalls, PrimaryRule::First] {
        let o = GenerateOptions {
            reference: Some(fixture("large/edges.csv")),
            oracle_latency_ms: 200,
            workers: 7,
            primary: rule,
            ..GenerateOptions::default()
        };
        let (_, rep) = generate::run_brute_force(&MemJournal::default(), &cat, &o, &Ctx::default())
            .expect("oracle run");
        let bound = rep.calls_made as f64 * 0.2 / 7.0;
        println!(
            "primary={} calls={} wall={:.2}s bound={:.2}s ratio={:.3}",
            rule.name(),
            rep.calls_made,
            rep.seconds,
            bound,
            rep.seconds / bound
        );
    }
}

/// The real746 fixture on the oracle without latency: plan size, planning
/// time and the runner's own overhead.
fn real746() {
    let cat = catalogue("real746");
    for rule in [PrimaryRule::FewerCalls, PrimaryRule::Larger] {
        let o = GenerateOptions {
            reference: Some(fixture("real746/edges.csv")),
            primary: rule,
            ..GenerateOptions::default()
        };
        let t = Instant::now();
        let plan = generate::plan_brute_force(&cat, &o).expect("plan");
        let plan_s = t.elapsed().as_secs_f64();
        let (g, rep) = generate::run_brute_force(&MemJournal::default(), &cat, &o, &Ctx::default())
            .expect("oracle run");
        let (p, n) = g.edge_counts();
        println!(
            "real746 primary={} calls={} pairs={} est_tokens={} plan={plan_s:.2}s run={:.2}s edges=+{p}/-{n}",
            rule.name(),
            plan.total_calls,
            plan.total_pairs,
            plan.est_prompt_tokens,
            rep.seconds
        );
    }
}

/// Journal cost on a database file (one committed transaction per reply),
/// then a replay of the same run from the journal.
fn file_journal() {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in ["large", "real746"] {
        let cat = catalogue(f);
        let store = Store::open(&dir.path().join(format!("{f}.valence"))).expect("store");
        let o = GenerateOptions {
            reference: Some(fixture(&format!("{f}/edges.csv"))),
            ..GenerateOptions::default()
        };
        let ctx = Ctx::default();
        let (_, rep) = generate::run_brute_force(&store, &cat, &o, &ctx).expect("run");
        let (_, again) = generate::run_brute_force(&store, &cat, &o, &ctx).expect("replay");
        println!(
            "{f} file store: calls={} run={:.2}s ({:.2} ms/commit), replay={:.2}s",
            rep.calls_made,
            rep.seconds,
            rep.seconds * 1000.0 / rep.calls_made as f64,
            again.seconds
        );
    }
}

/// Standard normal deviate (Box–Muller), seeded.
fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `sizes.len()` Gaussian blobs in `dim` dimensions; returns points and truth.
fn blobs(sizes: &[usize], dim: usize, spread: f64, seed: u64) -> (Vec<Vec<f32>>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f64>> = sizes
        .iter()
        .map(|_| (0..dim).map(|_| gaussian(&mut rng)).collect())
        .collect();
    let mut points = Vec::new();
    let mut truth = Vec::new();
    for (b, &size) in sizes.iter().enumerate() {
        for _ in 0..size {
            let p = centres[b]
                .iter()
                .map(|c| (c + spread * gaussian(&mut rng)) as f32)
                .collect();
            points.push(p);
            truth.push(b);
        }
    }
    (points, truth)
}

/// Fraction of points whose cluster's majority true class is their own.
fn purity(labels: &[usize], truth: &[usize]) -> f64 {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let t = truth.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0usize; t]; k];
    for (&l, &c) in labels.iter().zip(truth) {
        table[l][c] += 1;
    }
    let hits: usize = table
        .iter()
        .map(|row| row.iter().max().copied().unwrap_or(0))
        .sum();
    hits as f64 / labels.len().max(1) as f64
}

/// `cluster_modality` wall time per shape (UMAP, PCA and singleton paths).
fn cluster_timings() {
    for (sizes, dim) in [
        (vec![20usize, 20, 20], 256usize),
        (vec![100; 10], 256),
        (vec![6, 5, 5], 256),
        (vec![5; 12], 256),
        (vec![8, 6, 5, 4, 3, 2, 1, 1, 1, 1], 256),
    ] {
        let n: usize = sizes.iter().sum();
        let (points, truth) = blobs(&sizes, dim, 0.5, 13);
        let start = Instant::now();
        let c = cluster_modality(&points, &ClusterParams::default()).expect("clustering");
        let took = start.elapsed();
        println!(
            "n = {n:5}, dim = {dim}: {:>9.1} ms, method {}, k = {}, noise = {}, purity = {:.3}",
            took.as_secs_f64() * 1000.0,
            c.method,
            c.k,
            c.noise.iter().filter(|&&x| x).count(),
            purity(&c.labels, &truth)
        );
    }
}
