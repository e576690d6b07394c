//! The hot path at scale: first statement after opening a stored graph,
//! SAMPLE throughput and peak RSS, on `valence_synth::scaled(n)` graphs (the
//! real746 shape with the same ~104 edges a node: 100,000 nodes ≈ 10.4M
//! edges). Each measurement runs in its own process, so the peak RSS is the
//! statement's, not the generator's.
//!
//! ```text
//! cargo bench --bench hotpath -- gen 100000          # writes target/hotpath-100000.snap (slow, once)
//! cargo bench --bench hotpath -- run 100000 [auto|dense|sparse]
//! PREBUILD=1 cargo bench --bench hotpath -- run 100000   # time the search structures apart
//! SAMPLE_FIRST=1 cargo bench --bench hotpath -- run 100000   # SAMPLE builds them
//! cargo bench --bench hotpath -- stats 100000        # nodes and degrees per modality
//! cargo bench --bench hotpath -- rel 100000          # edges per modality pair
//! ```
//!
//! `run` opens the graph, DIAGNOSEs it (which builds the sparse path's
//! signatures, unless `PREBUILD` built them first; its time is then the
//! DIAGNOSE alone), and prints the first SAMPLE of the process and the
//! median and minimum of five more (warm). With `SAMPLE_FIRST` the DIAGNOSE
//! runs on a copy (its time is not "first DIAGNOSE after opening" then), so
//! the first SAMPLE is the graph's first statement and builds the
//! signatures. The machine's noise is ±15%: compare two
//! builds by alternating their runs.

use std::time::Instant;

use valence_engine::{
    Ctx, Evaluator, SampleOptions, SampleSpec, SignedGraph, TypeQuota, diagnose, sample,
};

fn snap_path(n: usize) -> std::path::PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target")),
        std::path::PathBuf::from,
    );
    dir.join(format!("hotpath-{n}.snap"))
}

/// Peak resident set size of this process, in MB (`VmHWM`).
fn peak_rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn quotas() -> Vec<TypeQuota> {
    valence_synth::REAL746_QUOTAS
        .iter()
        .map(|&(m, a, b)| TypeQuota::new(m, a as u32, b as u32))
        .collect()
}

fn generate(n: usize) {
    let t = Instant::now();
    let g = valence_synth::generate(&valence_synth::scaled(n, valence_synth::REAL746_SEED))
        .to_signed_graph()
        .expect("generated graph");
    let (p, q) = g.edge_counts();
    let bytes = g.to_snapshot().expect("snapshot");
    std::fs::write(snap_path(n), &bytes).expect("write snapshot");
    println!(
        "generated {} nodes, {p} + / {q} - edges, snapshot {:.1} MB, in {:.1} s",
        g.node_count(),
        bytes.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
}

fn run(n: usize, ev: Evaluator) {
    let bytes = std::fs::read(snap_path(n)).expect("run `gen N` first");
    let ctx = Ctx::default();
    let t0 = Instant::now();
    let mut g = SignedGraph::from_snapshot(&bytes).expect("snapshot");
    let t_load = t0.elapsed().as_secs_f64();
    drop(bytes);
    if ev != Evaluator::Auto {
        g.set_evaluator(ev);
    }
    if std::env::var_os("PREBUILD").is_some() {
        let t = Instant::now();
        let _ = g.search_path();
        println!(
            "search structures built in {:.3} s",
            t.elapsed().as_secs_f64()
        );
    }
    let t1 = Instant::now();
    let d = if std::env::var_os("SAMPLE_FIRST").is_some() {
        // The labels from a DIAGNOSE of a throwaway copy: SAMPLE is then
        // the first statement on `g` and builds its signatures itself.
        let copy =
            SignedGraph::from_snapshot(&g.to_snapshot().expect("snapshot")).expect("snapshot");
        diagnose(&copy, &quotas(), 10_000, 7, &ctx).expect("diagnose")
    } else {
        diagnose(&g, &quotas(), 10_000, 7, &ctx).expect("diagnose")
    };
    let t_diag = t1.elapsed().as_secs_f64();
    let dense = g.dense().is_some();
    let spec = SampleSpec {
        total: 13_000,
        types: quotas(),
        labels: d
            .suggested
            .iter()
            .zip([4_334, 4_333, 4_333])
            .map(|(s, c)| s.to_label(c))
            .collect(),
        favour: vec![],
        avoid: vec![],
        options: SampleOptions {
            seed: 42,
            ..Default::default()
        },
    };
    let t2 = Instant::now();
    let (ds, rep) = sample(&g, &spec, &ctx).expect("sample");
    let t_sample = t2.elapsed().as_secs_f64();
    let steps: f64 = rep
        .labels
        .iter()
        .map(|l| l.mean_steps * l.count as f64)
        .sum();
    for (l, s) in rep.labels.iter().zip(&d.suggested) {
        println!(
            "  {} pos {:?} neg {:?} (hit rate {:.3}): mean steps/row {:.1}, max {}, retried {}",
            l.label, l.pos, l.neg, s.hit_rate, l.mean_steps, l.max_steps, l.retried_rows
        );
    }
    println!(
        "  {:.0} steps in all, {:.0} ns a step",
        steps,
        t_sample * 1e9 / steps
    );
    // Warm runs (the search structures already built): the median of 5.
    let mut warm: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let (again, _) = sample(&g, &spec, &ctx).expect("sample");
            let s = t.elapsed().as_secs_f64();
            assert_eq!(ds, again);
            s
        })
        .collect();
    warm.sort_by(f64::total_cmp);
    let t_sample2 = warm[2];
    println!(
        "{n} nodes ({}): from_snapshot {:.3} s; first DIAGNOSE 10k {:.3} s (open + diagnose {:.3} s); \
         SAMPLE 13k {:.3} s = {:.0} rows/s (warm: median {:.3} s = {:.0} rows/s, min {:.3} s); peak RSS {:.0} MB",
        if dense { "dense" } else { "sparse" },
        t_load,
        t_diag,
        t_load + t_diag,
        t_sample,
        ds.len() as f64 / t_sample,
        t_sample2,
        ds.len() as f64 / t_sample2,
        warm[0],
        peak_rss_mb()
    );
}

/// Per modality: node count and degree (mean, max), the shape that decides
/// how often a lookup falls through the signatures.
fn stats(n: usize) {
    let bytes = std::fs::read(snap_path(n)).expect("run `gen N` first");
    let g = SignedGraph::from_snapshot(&bytes).expect("snapshot");
    for (m, name) in g.modalities().iter().enumerate() {
        let nodes = g.nodes_of(m as u16);
        let deg: Vec<u64> = nodes
            .iter()
            .map(|&v| g.pos(v).len() + g.neg(v).len())
            .collect();
        let sum: u64 = deg.iter().sum();
        println!(
            "{name:32} {:6} nodes, degree mean {:8.1} max {:6}",
            nodes.len(),
            sum as f64 / nodes.len().max(1) as f64,
            deg.iter().max().unwrap_or(&0)
        );
    }
}

fn rel(n: usize) {
    let bytes = std::fs::read(snap_path(n)).expect("run `gen N` first");
    let g = SignedGraph::from_snapshot(&bytes).expect("snapshot");
    for r in g.rel_stats() {
        println!(
            "{:32} {:32} {:8} {:8} {:.5}",
            r.source,
            r.target,
            r.pos,
            r.neg,
            (r.pos + r.neg) as f64 / r.pairs as f64
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    match args.first().map(String::as_str) {
        Some("gen") => generate(n),
        Some("stats") => stats(n),
        Some("rel") => rel(n),
        Some("run") => {
            let ev = match args.get(2).map(String::as_str) {
                Some("dense") => Evaluator::Dense,
                Some("sparse") => Evaluator::Sparse,
                _ => Evaluator::Auto,
            };
            run(n, ev)
        }
        _ => eprintln!("usage: cargo bench --bench hotpath -- gen|run N [auto|dense|sparse]"),
    }
}
