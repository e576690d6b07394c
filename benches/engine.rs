//! Engine micro-benchmarks: edge-fraction evaluation (the hot path of
//! DIAGNOSE and SAMPLE) and snapshot loading.
//!
//! `cargo bench --bench engine`

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use valence_engine::NodeId;
use valence_synth as synth;

fn sets(g: &valence::SignedGraph, k: usize, n: usize, seed: u64) -> Vec<Vec<NodeId>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let mut s: Vec<NodeId> = Vec::with_capacity(k);
            while s.len() < k {
                let x = rng.random_range(0..g.node_count() as NodeId);
                if !s.contains(&x) {
                    s.push(x);
                }
            }
            s
        })
        .collect()
}

fn edge_fractions(c: &mut Criterion) {
    let g = synth::generate(&synth::report_like_746(746))
        .to_signed_graph()
        .expect("generated graph");
    let _ = g.dense();
    let sets = sets(&g, 20, 1024, 1);
    let mut group = c.benchmark_group("edge_fractions_746_nodes_20_node_set");
    let mut i = 0;
    group.bench_function("dense_bits", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(g.edge_fractions(black_box(&sets[i])))
        })
    });
    group.bench_function("sparse_contains", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(g.edge_fractions_on(g.sparse(), black_box(&sets[i])))
        })
    });
    group.bench_function("roaring_intersections", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(g.edge_fractions_roaring(black_box(&sets[i])))
        })
    });
    group.finish();
}

fn snapshot(c: &mut Criterion) {
    let g = synth::generate(&synth::report_like_746(746))
        .to_signed_graph()
        .expect("generated graph");
    let bytes = g.to_snapshot().unwrap();
    c.bench_function("snapshot_load_746_nodes_77k_edges", |b| {
        b.iter(|| black_box(valence::SignedGraph::from_snapshot(black_box(&bytes)).unwrap()))
    });
}

criterion_group!(benches, edge_fractions, snapshot);
criterion_main!(benches);
