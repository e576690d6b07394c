//! Cluster-first vs brute force, measured with the oracle backend.
//!
//! `cargo bench --bench cluster` prints, for the large fixture (160
//! attributes) with oracle_noise 0 and 0.05: calls per phase, edges, recall
//! of the brute-force edges and sign agreement; then the call counts on
//! generated catalogues of 320, 800 and 1,600 attributes (the large
//! fixture's shape scaled, `synth`). Not a timing benchmark: numbers are
//! call counts and graph agreement, deterministic for a given seed.
//!
//! Measured 2026-11-25 (oracle, seed 1, defaults; chat calls = every phase
//! but embedding requests; bf = brute force, primary fewer_calls):
//!
//! | catalogue | chat calls (enrich/label/score/classify) | bf calls | recall of bf edges | sign agreement |
//! |---|---|---|---|---|
//! | large 160, noise 0 | 152 (8/25/42/77) | 440 | 95.2% | 99.5% |
//! | large 160, noise 0.05 | 131 (8/19/28/76) | 440 | 84.4% (86.6% of the reference) | 97.5% (98.9% vs reference) |
//! | synth 320 | 268 | 1,460 | 94.2% | 99.8% |
//! | synth 800 | 1,699 | 8,700 | 94.3% | 99.5% |
//! | synth 1,600 | 5,733 | 34,800 | 95.0% | 99.6% |
//! | real746 | 2,199 | 8,203 | 91.1% | 100% |
//!
//! Environment knobs: `SIZES=320,800` (scaled sizes, `none` to skip),
//! `SWEEP=1` (a small sweep of inherit/threshold/batch knobs on the large
//! fixture), `SEEDS=0,1,2` (seeds for UMAP and the oracle noise; default 1),
//! `VARIANTS=1` (only the defaults), `ONLY=text` (variants whose label
//! contains text), `REAL746=1` (also the 746-node,
//! 10-modality fixture).

use std::path::{Path, PathBuf};

use valence_engine::compare_graphs;
use valence_engine::generate::{
    ClusterOptions, ClusterReport, GenerateOptions, MemJournal, plan_brute_force, run_brute_force,
    run_cluster,
};
use valence_engine::{Catalogue, Ctx, SignedGraph, read_edges_csv};
use valence_synth as synth;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    report: ClusterReport,
    graph: SignedGraph,
}

fn cluster(cat: &Catalogue, opts: &ClusterOptions) -> Run {
    let j = MemJournal::default();
    let (graph, report) = run_cluster(&j, cat, opts, &Ctx::default()).expect("cluster run");
    Run { report, graph }
}

fn line(label: &str, r: &Run, bf: &SignedGraph, reference: &SignedGraph, bf_calls: u64) {
    let c = compare_graphs(&r.graph, bf);
    let cr = compare_graphs(&r.graph, reference);
    let p = |name: &str| {
        r.report
            .phases
            .iter()
            .find(|p| p.phase == name)
            .map_or(0, |p| p.total())
    };
    println!(
        "{label:<34} enrich {:>3} embed {:>2} label {:>3} score {:>3} classify {:>4} | chat {:>4} (bf {:>5}, {:>5.1}%) | edges {:>6} (bf {:>6}) inherited {:>6} | recall(bf) {:>5.1}% agree(bf) {:>5.1}% precision(bf) {:>5.1}% | recall(ref) {:>5.1}% agree(ref) {:>5.1}%",
        p("enrichment"),
        p("embedding"),
        p("labelling"),
        p("cluster_scoring"),
        p("attribute_classification"),
        r.report.chat_calls,
        bf_calls,
        100.0 * r.report.chat_calls as f64 / bf_calls.max(1) as f64,
        c.total.edges_a,
        c.total.edges_b,
        r.report.edges_inherited,
        100.0 * c.total.recall_of_b().unwrap_or(f64::NAN),
        100.0 * c.total.sign_agreement().unwrap_or(f64::NAN),
        100.0 * c.total.precision_vs_b().unwrap_or(f64::NAN),
        100.0 * cr.total.recall_of_b().unwrap_or(f64::NAN),
        100.0 * cr.total.sign_agreement().unwrap_or(f64::NAN),
    );
}

fn clusters_line(r: &ClusterReport) {
    let s: Vec<String> = r
        .modalities
        .iter()
        .map(|m| {
            format!(
                "{} {}/{} (noise {})",
                m.modality, m.clusters, m.attributes, m.noise
            )
        })
        .collect();
    println!(
        "    clusters: {} | cluster pairs {} (+{} -{} band {} null {}) | attr pairs discarded {} inherited {} noise-routed {} classified {}",
        s.join(", "),
        r.cluster_pairs,
        r.cluster_pairs_positive,
        r.cluster_pairs_negative,
        r.cluster_pairs_neutral_band,
        r.cluster_pairs_null,
        r.pairs_discarded,
        r.pairs_inherited,
        r.pairs_noise_routed,
        r.pairs_classified
    );
}

fn experiment(
    cat_path: &Path,
    edges: &Path,
    noise: f64,
    seed: u64,
    variants: &[(&str, ClusterOptions)],
) {
    let cat = Catalogue::from_csv(cat_path).expect("catalogue");
    let (reference, _) = read_edges_csv(edges, None).expect("edges");
    let g = GenerateOptions {
        reference: Some(edges.to_path_buf()),
        oracle_noise: noise,
        seed,
        ..GenerateOptions::default()
    };
    let (bf, bfr) =
        run_brute_force(&MemJournal::default(), &cat, &g, &Ctx::default()).expect("brute force");
    let bf_calls = bfr.calls_made;
    println!(
        "-- {} attributes, oracle_noise {noise}, seed {seed}: brute force {} calls (primary fewer_calls; the report's 'larger' rule: {}), {} edges",
        cat.attributes().len(),
        bf_calls,
        plan_brute_force(
            &cat,
            &GenerateOptions {
                primary: valence_engine::generate::PrimaryRule::Larger,
                ..g.clone()
            }
        )
        .map(|p| p.total_calls)
        .unwrap_or(0),
        bf.edge_counts().0 + bf.edge_counts().1
    );
    for (label, o) in variants {
        let o = ClusterOptions {
            generate: g.clone(),
            ..o.clone()
        };
        let r = cluster(&cat, &o);
        line(label, &r, &bf, &reference, bf_calls);
        clusters_line(&r.report);
    }
}

fn scaled_spec(factor: usize, seed: u64) -> synth::SynthSpec {
    let mut spec = synth::report_large_160(seed);
    for m in &mut spec.modalities {
        m.1 *= factor;
    }
    let g = (factor as f64).sqrt();
    spec.groups_per_modality = (10.0 * g).round() as usize;
    spec.group_counts = vec![
        ("platform".into(), (5.0 * g).round() as usize),
        ("geo".into(), (6.0 * g).round() as usize),
    ];
    spec
}

fn main() {
    let defaults = ClusterOptions::default();
    let report_way = ClusterOptions {
        enrich_batch: 1,
        label_batch: 1,
        ..ClusterOptions::default()
    };
    let mut variants: Vec<(&str, ClusterOptions)> = vec![
        ("defaults", defaults.clone()),
        ("report way (enrich 1/call, label 1/call)", report_way),
        (
            "mix_modalities = false",
            ClusterOptions {
                mix_modalities: false,
                ..ClusterOptions::default()
            },
        ),
    ];
    if std::env::var("VARIANTS").is_ok() {
        variants.truncate(1);
    }
    if std::env::var("SWEEP").is_ok() {
        for (name, f) in [
            ("inherit 7/4 (= thresholds)", (7.0, 4.0, 7.0, 4.0)),
            ("inherit 9/2 (report text)", (7.0, 4.0, 9.0, 2.0)),
            ("thresholds 6/4, inherit 8/3", (6.0, 4.0, 8.0, 3.0)),
            ("thresholds 6.5/4, inherit 7.5/3", (6.5, 4.0, 7.5, 3.0)),
        ] {
            variants.push((
                name,
                ClusterOptions {
                    pos_threshold: f.0,
                    neg_threshold: f.1,
                    inherit_pos: f.2,
                    inherit_neg: f.3,
                    ..defaults.clone()
                },
            ));
        }
        variants.push((
            "label_batch 10",
            ClusterOptions {
                label_batch: 10,
                ..defaults.clone()
            },
        ));
    }
    if let Ok(only) = std::env::var("ONLY") {
        variants.retain(|(l, _)| l.contains(only.as_str()));
    }
    let large = root().join("fixtures/large");
    let seeds: Vec<u64> = std::env::var("SEEDS")
        .unwrap_or_else(|_| "1".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for &seed in &seeds {
        for noise in [0.0, 0.05] {
            experiment(
                &large.join("catalogue.csv"),
                &large.join("edges.csv"),
                noise,
                seed,
                &variants,
            );
        }
    }
    if std::env::var("REAL746").is_ok() {
        let d = root().join("fixtures/real746");
        experiment(
            &d.join("catalogue.csv"),
            &d.join("edges.csv"),
            0.0,
            1,
            &variants[..1],
        );
    }
    let sizes = std::env::var("SIZES").unwrap_or_else(|_| "320,800,1600".into());
    let dir = tempfile::tempdir().expect("tempdir");
    for s in sizes
        .split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
    {
        let factor = (s / 160).max(1);
        let spec = scaled_spec(factor, 160);
        let sg = synth::generate(&spec);
        let c = dir.path().join(format!("cat{s}.csv"));
        let e = dir.path().join(format!("edges{s}.csv"));
        synth::write_catalogue_csv(&sg, &c).expect("write");
        synth::write_edges_csv(&sg, &e).expect("write");
        experiment(&c, &e, 0.0, 1, &variants[..1]);
    }
}
