//! DIAGNOSE and SAMPLE benchmarks on the report's 746-node graph shape
//! (`synth::report_like_746`, ~36,400 + / 40,600 − edges) and on a scaled
//! 20,000-node graph. Measures the statement itself (pure functions, no store).
//!
//! `cargo bench --bench sample` (all) or e.g. `cargo bench --bench sample -- sample_13k`
//! (`SAMPLE_BENCH_SMALL=1` skips the 20,000-node graph and the 100k round trip).
//! Before the timings it prints the DIAGNOSE-suggested boxes, the quality
//! section of a 13,000-row dataset and, for tail boxes, how many annealing
//! steps a row needs. `sample_13k_746_favour_2t` is the same statement with
//! FAVOUR (brand, interest) AVOID (geo, gender-generation).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use valence_engine::{
    Ctx, DiagnoseReport, GraphBuilder, LabelSpec, SampleOptions, SampleSpec, Sign, SignedGraph,
    TypeQuota, diagnose, sample,
};
use valence_synth::{self as synth, SynthGraph};

fn to_graph(s: &SynthGraph) -> SignedGraph {
    let mut b = GraphBuilder::new();
    let ids: Vec<u32> = s.nodes.iter().map(|(m, v)| b.add_node(m, v)).collect();
    for &(x, y, p) in &s.edges {
        let sign = if p { Sign::Pos } else { Sign::Neg };
        b.add_edge(ids[x as usize], ids[y as usize], sign)
            .expect("synthetic edges are valid");
    }
    let g = b.build();
    g.dense();
    g
}

/// The brief's example row: ~20 nodes.
fn quotas() -> Vec<TypeQuota> {
    [
        ("brand", 1, 1),
        ("campaign-objective", 1, 1),
        ("campaign-buying-type", 1, 1),
        ("platform", 1, 1),
        ("device", 1, 1),
        ("geo", 1, 3),
        ("gender-generation", 2, 6),
        ("interest-and-other-attributes", 3, 6),
        ("media-buy-billing-event", 1, 1),
        ("media-buy-cost-model", 1, 1),
    ]
    .iter()
    .map(|&(m, a, b)| TypeQuota::new(m, a, b))
    .collect()
}

fn spec_from(d: &DiagnoseReport, total: u64, seed: u64) -> SampleSpec {
    let per = total / 3;
    let counts = [total - 2 * per, per, per];
    SampleSpec {
        total,
        types: quotas(),
        labels: d
            .suggested
            .iter()
            .zip(counts)
            .map(|(s, n)| s.to_label(n))
            .collect(),
        favour: vec![],
        avoid: vec![],
        options: SampleOptions {
            seed,
            ..Default::default()
        },
    }
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("thread pool")
}

fn benches(c: &mut Criterion) {
    let ctx = Ctx::default();
    let g = to_graph(&synth::generate(&synth::report_like_746(
        synth::REAL746_SEED,
    )));
    let (p, n) = g.edge_counts();
    eprintln!("746 graph: {} nodes, {p} + / {n} - edges", g.node_count());
    let d = diagnose(&g, &quotas(), 10_000, 7, &ctx).expect("diagnose");
    eprintln!(
        "DIAGNOSE 10k: pos mean {:.3} p5 {:.3} p25 {:.3} p50 {:.3} p75 {:.3} p95 {:.3}",
        d.pos.mean, d.pos.p5, d.pos.p25, d.pos.p50, d.pos.p75, d.pos.p95
    );
    eprintln!(
        "              neg mean {:.3} p5 {:.3} p25 {:.3} p50 {:.3} p75 {:.3} p95 {:.3}",
        d.neg.mean, d.neg.p5, d.neg.p25, d.neg.p50, d.neg.p75, d.neg.p95
    );
    for s in &d.suggested {
        eprintln!(
            "  {} (hit rate {:.3})",
            valence_dsl::reports::label_clause(s, 0),
            s.hit_rate
        );
    }

    let mut gr = c.benchmark_group("diagnose");
    gr.throughput(Throughput::Elements(10_000));
    for t in [1, 2] {
        let pl = pool(t);
        gr.bench_function(format!("diagnose_10k_746_{t}t"), |b| {
            b.iter(|| pl.install(|| black_box(diagnose(&g, &quotas(), 10_000, 7, &ctx).unwrap())))
        });
    }
    gr.finish();

    let mut gr = c.benchmark_group("sample");
    gr.sample_size(20);
    for (rows, threads) in [(13_000u64, 1usize), (13_000, 2), (1_000, 2), (100_000, 2)] {
        let sp = spec_from(&d, rows, 42);
        let (_, rep) = sample(&g, &sp, &ctx).expect("sample");
        for l in &rep.labels {
            assert_eq!(l.in_range_rate, 1.0, "{l:?}");
        }
        if threads == 2 && rows == 13_000 {
            if let Some(q) = &rep.quality {
                eprintln!("  quality: {:?}", valence_dsl::reports::quality_lines(q));
            }
            for l in &rep.labels {
                eprintln!(
                    "  {}: mean steps/row {:.1}, max {}, retried {}, duplicate redraws {}",
                    l.label, l.mean_steps, l.max_steps, l.retried_rows, l.duplicate_redraws
                );
            }
        }
        let pl = pool(threads);
        gr.throughput(Throughput::Elements(rows));
        gr.bench_function(format!("sample_{}k_746_{threads}t", rows / 1000), |b| {
            b.iter(|| pl.install(|| black_box(sample(&g, &sp, &ctx).unwrap())))
        });
    }
    // The same statement on the sparse evaluator (roaring bitmaps), forced:
    // what graphs past the dense matrix's budget run on.
    let mut gs = to_graph(&synth::generate(&synth::report_like_746(
        synth::REAL746_SEED,
    )));
    gs.set_evaluator(valence_engine::Evaluator::Sparse);
    let sp = spec_from(&d, 13_000, 42);
    let pl2 = pool(2);
    gr.throughput(Throughput::Elements(13_000));
    gr.bench_function("sample_13k_746_2t_sparse", |b| {
        b.iter(|| pl2.install(|| black_box(sample(&gs, &sp, &ctx).unwrap())))
    });
    drop(gs);

    // FAVOUR/AVOID tilt the in-box mixing (every row mixes `mix_steps`
    // steps, soft terms evaluated incrementally): benched at the defaults.
    let mut sp = spec_from(&d, 13_000, 42);
    sp.favour = vec![("brand".into(), "interest-and-other-attributes".into())];
    sp.avoid = vec![("geo".into(), "gender-generation".into())];
    let pl2 = pool(2);
    let (_, rep) = pl2
        .install(|| sample(&g, &sp, &ctx))
        .expect("sample favour");
    if let Some(q) = &rep.quality {
        eprintln!(
            "FAVOUR/AVOID quality: {:?}",
            valence_dsl::reports::quality_lines(q)
        );
    }
    gr.throughput(Throughput::Elements(13_000));
    gr.bench_function("sample_13k_746_favour_2t", |b| {
        b.iter(|| pl2.install(|| black_box(sample(&g, &sp, &ctx).unwrap())))
    });

    // Tail boxes: pos_frac above the graph's p75, p95 and beyond. Prints
    // steps per row and a one-shot wall time (2 threads); benches two of them.
    let pl = pool(2);
    for (name, lo, bench) in [
        ("p75", d.pos.p75, false),
        ("p95", d.pos.p95, true),
        ("p95+0.03", d.pos.p95 + 0.03, false),
        ("p95+0.06", d.pos.p95 + 0.06, true),
        ("p95+0.09", d.pos.p95 + 0.09, false),
        ("p95+0.12", d.pos.p95 + 0.12, false),
        ("p95+0.18", d.pos.p95 + 0.18, false),
        ("p95+0.24", d.pos.p95 + 0.24, false),
    ] {
        let lo = (lo * 1000.0).ceil() / 1000.0;
        let mut sp = spec_from(&d, 1_000, 42);
        sp.labels = vec![LabelSpec::new("tail", 1_000).pos(lo, 1.0)];
        let t0 = std::time::Instant::now();
        let res = pl.install(|| sample(&g, &sp, &ctx));
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        match res {
            Ok((_, rep)) => {
                let l = &rep.labels[0];
                eprintln!(
                    "tail pos_frac >= {lo} ({name}): 1000 rows in {ms:.1} ms; steps/row mean {:.1}, max {}; retried rows {}; in range {:.3}",
                    l.mean_steps, l.max_steps, l.retried_rows, l.in_range_rate
                );
                if bench {
                    gr.throughput(Throughput::Elements(1_000));
                    gr.bench_function(format!("sample_1k_tail_{name}_2t"), |b| {
                        b.iter(|| pl.install(|| black_box(sample(&g, &sp, &ctx).unwrap())))
                    });
                }
            }
            Err(e) => eprintln!("tail pos_frac >= {lo} ({name}): fails after {ms:.0} ms: {e}"),
        }
    }
    gr.finish();

    // Graph size: 20,000 nodes (the 746 shape scaled; densities fall as 746/20000).
    // SAMPLE_BENCH_SMALL=1 skips it (and the 100k store round trip) when profiling.
    if std::env::var_os("SAMPLE_BENCH_SMALL").is_some() {
        return;
    }
    let mut big = to_graph(&synth::generate(&synth::scaled(
        20_000,
        synth::REAL746_SEED,
    )));
    let (p, n) = big.edge_counts();
    eprintln!("20k graph: {} nodes, {p} + / {n} - edges", big.node_count());
    let db = diagnose(&big, &quotas(), 10_000, 7, &ctx).expect("diagnose 20k");
    for s in &db.suggested {
        eprintln!(
            "  {} (hit rate {:.3})",
            valence_dsl::reports::label_clause(s, 0),
            s.hit_rate
        );
    }
    let mut gr = c.benchmark_group("graph_size");
    gr.sample_size(20);
    let pl = pool(2);
    gr.throughput(Throughput::Elements(10_000));
    gr.bench_function("diagnose_10k_20000_2t", |b| {
        b.iter(|| pl.install(|| black_box(diagnose(&big, &quotas(), 10_000, 7, &ctx).unwrap())))
    });
    let sp = spec_from(&db, 13_000, 42);
    let (_, rep) = sample(&big, &sp, &ctx).expect("sample 20k");
    for l in &rep.labels {
        eprintln!(
            "  20k {}: in range {:.3}, mean steps/row {:.1}, max {}",
            l.label, l.in_range_rate, l.mean_steps, l.max_steps
        );
    }
    // Auto (DIAGNOSE above) is the sparse path at this size and density
    // (`dense_fits`); SAMPLE on each evaluator, forced.
    gr.throughput(Throughput::Elements(13_000));
    big.set_evaluator(valence_engine::Evaluator::Dense);
    gr.bench_function("sample_13k_20000_2t_dense", |b| {
        b.iter(|| pl.install(|| black_box(sample(&big, &sp, &ctx).unwrap())))
    });
    big.set_evaluator(valence_engine::Evaluator::Sparse);
    gr.bench_function("sample_13k_20000_2t_sparse", |b| {
        b.iter(|| pl.install(|| black_box(sample(&big, &sp, &ctx).unwrap())))
    });
    gr.finish();

    // Store round trip of a 100k-row dataset.
    let (ds, _) = sample(&g, &spec_from(&d, 100_000, 1), &ctx).expect("sample 100k");
    let bytes = ds.to_bytes().expect("bytes");
    eprintln!("100k-row dataset: {} bytes", bytes.len());
    let mut gr = c.benchmark_group("dataset");
    gr.sample_size(20);
    gr.bench_function("dataset_100k_to_bytes", |b| {
        b.iter(|| black_box(ds.to_bytes().unwrap()))
    });
    gr.bench_function("dataset_100k_from_bytes", |b| {
        b.iter(|| black_box(valence_engine::Dataset::from_bytes(&bytes).unwrap()))
    });
    let m = valence_engine::Manifest::new("bench", "100k rows", serde_json::Value::Null);
    gr.bench_function("store_put_100k", |b| {
        b.iter_batched(
            || valence_engine::Engine::in_memory().expect("engine"),
            |eng| {
                eng.store()
                    .put(valence_engine::Kind::Dataset, "ds", &bytes, &m)
                    .unwrap();
                eng
            },
            criterion::BatchSize::PerIteration,
        )
    });
    let eng = valence_engine::Engine::in_memory().expect("engine");
    eng.store()
        .put(valence_engine::Kind::Dataset, "ds", &bytes, &m)
        .expect("put");
    let r = valence_engine::ObjRef::latest("ds");
    gr.bench_function("engine_load_100k", |b| {
        b.iter(|| black_box(eng.dataset(&r).unwrap()))
    });
    gr.finish();
}

criterion_group!(sample_benches, benches);
criterion_main!(sample_benches);
