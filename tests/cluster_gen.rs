//! GENERATE ... USING CLUSTER: the oracle on the fixtures (call targets,
//! recall, sign agreement), singletons on the small fixture, journal replay
//! and resume after a budget stop, the budget bound, EXPLAIN's bounds, the
//! manifest, and the openai client against a local server that answers all
//! four prompt kinds and `/v1/embeddings`.

use std::path::{Path, PathBuf};

use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use valence_engine::generate::{
    BackendKind, ClusterOptions, GenerateOptions, MemJournal, explain_cluster, run_cluster,
    run_cluster_with,
};
use valence_engine::llm::{Backend, BoxFuture, CallError, OracleBackend, Request};
use valence_engine::{Catalogue, Ctx, Engine, Error, read_edges_csv};
use valence_engine::{Kind, ObjRef};
use valence_engine::{check_graph, compare_graphs};
use valence_synth as synth;

use crate::common::root;
use crate::llm_cluster_server::serve;

fn fixture(name: &str) -> (Catalogue, PathBuf) {
    let dir = root().join("fixtures").join(name);
    (
        Catalogue::from_csv(&dir.join("catalogue.csv")).unwrap(),
        dir.join("edges.csv"),
    )
}

fn oracle_opts(reference: &Path) -> ClusterOptions {
    ClusterOptions::with_generate(GenerateOptions {
        reference: Some(reference.to_path_buf()),
        ..GenerateOptions::default()
    })
}

/// A generated catalogue with three modalities, two of them clustered.
pub(crate) fn synth_mid(dir: &Path) -> (Catalogue, PathBuf, synth::SynthGraph) {
    let spec = synth::SynthSpec::new(
        &[("brand", 24), ("audience", 20), ("platform", 5)],
        0.35,
        0.08,
        4,
        9,
    );
    let g = synth::generate(&spec);
    let c = dir.join("cat.csv");
    let e = dir.join("edges.csv");
    synth::write_catalogue_csv(&g, &c).unwrap();
    synth::write_edges_csv(&g, &e).unwrap();
    (Catalogue::from_csv(&c).unwrap(), e, g)
}

/// Wraps a backend, counting chat and embedding requests.
struct Counting {
    inner: OracleBackend,
    chat: AtomicU64,
    embed: AtomicU64,
}

impl Counting {
    fn new(opts: &ClusterOptions) -> Arc<Counting> {
        let reference = valence_engine::generate::oracle_reference(&opts.generate).unwrap();
        Arc::new(Counting {
            inner: OracleBackend::new(reference, 0.0, 0, Duration::ZERO).unwrap(),
            chat: AtomicU64::new(0),
            embed: AtomicU64::new(0),
        })
    }
    fn total(&self) -> u64 {
        self.chat.load(Ordering::SeqCst) + self.embed.load(Ordering::SeqCst)
    }
}

impl Backend for Counting {
    fn name(&self) -> &'static str {
        "oracle"
    }
    fn journal_identity(&self) -> String {
        self.inner.journal_identity()
    }
    fn complete<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<String, CallError>> {
        self.chat.fetch_add(1, Ordering::SeqCst);
        self.inner.complete(req)
    }
    fn embed<'a>(
        &'a self,
        inputs: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CallError>> {
        self.embed.fetch_add(1, Ordering::SeqCst);
        self.inner.embed(inputs)
    }
}

#[test]
fn large_fixture_meets_the_targets() {
    let (cat, edges) = fixture("large");
    let opts = oracle_opts(&edges);
    let (g, r) = run_cluster(&MemJournal::default(), &cat, &opts, &Ctx::default()).unwrap();
    let (reference, _) = read_edges_csv(&edges, None).unwrap();
    let c = compare_graphs(&g, &reference);
    assert!(r.chat_calls <= 200, "{r:#?}");
    assert!(c.total.recall_of_b().unwrap() >= 0.90, "{:?}", c.total);
    assert!(c.total.sign_agreement().unwrap() >= 0.98, "{:?}", c.total);
    let phases: Vec<&str> = r.phases.iter().map(|p| p.phase.as_str()).collect();
    assert_eq!(
        phases,
        [
            "enrichment",
            "embedding",
            "labelling",
            "cluster_scoring",
            "attribute_classification"
        ]
    );
    // 60 brands, 60 audiences, 30 geos at 25 per call; platform (10) is not clustered.
    assert_eq!(r.phases[0].made, 8);
    assert_eq!(r.edges_pos + r.edges_neg, c.total.edges_a);
    assert_eq!(
        r.pairs_discarded + r.pairs_inherited + r.pairs_classified + r.pairs_unclassified,
        r.attribute_pairs
    );
    assert_eq!(r.attribute_pairs, 8700);
    assert!(r.failures.is_empty());
}

#[test]
fn small_fixture_is_all_singletons_and_exact() {
    // Every modality is below min_attributes_to_cluster: no enrichment, no
    // embedding, no labelling; each singleton pair is scored and extreme
    // scores inherit, so the graph is the reference.
    let (cat, edges) = fixture("small");
    let opts = oracle_opts(&edges);
    let (g, r) = run_cluster(&MemJournal::default(), &cat, &opts, &Ctx::default()).unwrap();
    assert_eq!(r.phases[0].planned, 0);
    assert_eq!(r.phases[1].planned, 0);
    assert_eq!(r.phases[2].planned, 0);
    assert_eq!(r.phases[3].made, 27);
    let (reference, _) = read_edges_csv(&edges, None).unwrap();
    let c = compare_graphs(&g, &reference);
    assert_eq!(
        (c.total.only_a, c.total.only_b, c.total.mismatch),
        (0, 0, 0)
    );
    let check = check_graph(&g, &root().join("fixtures/small/expectations.csv")).unwrap();
    assert_eq!(check.accuracy(), Some(1.0));
}

#[test]
fn journal_replays_and_a_budget_stop_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, edges, _) = synth_mid(dir.path());
    let opts = oracle_opts(&edges);

    // A fresh run: how many requests the whole pipeline needs.
    let fresh = Counting::new(&opts);
    let (g_full, r_full) = run_cluster_with(
        fresh.clone(),
        &MemJournal::default(),
        &cat,
        &opts,
        &Ctx::default(),
    )
    .unwrap();
    let needed = fresh.total();
    assert!(needed >= 6, "{r_full:#?}");
    for p in &r_full.phases {
        assert!(
            p.planned > 0 || p.phase == "attribute_classification",
            "{p:?}"
        );
    }

    // A budget stop part-way: never more requests than the budget.
    let journal = MemJournal::default();
    let budget = needed / 2;
    let first = Counting::new(&opts);
    let mut o = opts.clone();
    o.generate.budget = Some(budget);
    let e = run_cluster_with(first.clone(), &journal, &cat, &o, &Ctx::default()).unwrap_err();
    assert!(matches!(e, Error::Llm { .. }), "{e}");
    assert!(e.to_string().contains("budget"), "{e}");
    assert!(first.total() <= budget);

    // The re-run resumes: together the two runs cost what one run costs.
    let second = Counting::new(&opts);
    let (g2, r2) =
        run_cluster_with(second.clone(), &journal, &cat, &opts, &Ctx::default()).unwrap();
    assert_eq!(first.total() + second.total(), needed);
    assert!(r2.phases.iter().map(|p| p.replayed).sum::<u64>() > 0);
    assert_eq!(compare_graphs(&g2, &g_full).total.only_a, 0);
    assert_eq!(compare_graphs(&g2, &g_full).total.only_b, 0);

    // A third run makes no request at all.
    let third = Counting::new(&opts);
    let (g3, r3) = run_cluster_with(third.clone(), &journal, &cat, &opts, &Ctx::default()).unwrap();
    assert_eq!(third.total(), 0);
    assert_eq!(r3.chat_calls, r_full.chat_calls);
    assert_eq!(compare_graphs(&g3, &g_full).total.mismatch, 0);
    assert_eq!(g3.edge_counts(), g_full.edge_counts());
}

#[test]
fn explain_bounds_the_run() {
    let (cat, edges) = fixture("large");
    let opts = oracle_opts(&edges);
    let journal = MemJournal::default();
    let plan = explain_cluster(&journal, &cat, &opts).unwrap();
    assert_eq!(plan.phases[0].calls, Some(8));
    assert_eq!(plan.phases[0].journaled, Some(0));
    assert_eq!(plan.brute_force_calls, 440);
    let (_, r) = run_cluster(&journal, &cat, &opts, &Ctx::default()).unwrap();
    assert_eq!(plan.phases.len(), r.phases.len());
    for (p, ran) in plan.phases.iter().zip(&r.phases) {
        assert_eq!(p.phase, ran.phase);
        assert!(ran.planned <= p.upper_bound, "{p:?} {ran:?}");
        // Exact phases plan what the run asked, call for call.
        if let Some(calls) = p.calls {
            assert_eq!((calls, calls), (ran.planned, ran.made), "{p:?} {ran:?}");
        }
    }
    assert_eq!(plan.phases[1].calls, Some(2), "150 inputs, 100 per request");
    assert!(r.total_calls <= plan.upper_bound_calls);
    let again = explain_cluster(&journal, &cat, &opts).unwrap();
    assert_eq!(again.phases[0].journaled, Some(8));
    let (h, rows) = again.explain_table();
    assert_eq!(h[0], "phase");
    assert_eq!(rows.last().unwrap()[0], "total");
}

/// Where the clustering cannot change the count (every modality below
/// `min_attributes_to_cluster`: all singletons), EXPLAIN's bounds are the
/// run's calls exactly, phase by phase.
#[test]
fn explain_matches_an_all_singletons_run_call_for_call() {
    let (cat, edges) = fixture("small");
    let opts = oracle_opts(&edges);
    let plan = explain_cluster(&MemJournal::default(), &cat, &opts).unwrap();
    let (_, r) = run_cluster(&MemJournal::default(), &cat, &opts, &Ctx::default()).unwrap();
    let planned: Vec<u64> = plan.phases.iter().take(4).map(|p| p.upper_bound).collect();
    let made: Vec<u64> = r.phases.iter().take(4).map(|p| p.made).collect();
    assert_eq!(planned, made);
    assert_eq!(made, [0, 0, 0, 27]);
    let classified = r.phases[4].made;
    assert!(classified <= plan.phases[4].upper_bound);
}

#[test]
fn options_are_checked() {
    let (cat, edges) = fixture("small");
    let mut o = oracle_opts(&edges);
    o.neg_threshold = 7.5;
    let e = run_cluster(&MemJournal::default(), &cat, &o, &Ctx::default()).unwrap_err();
    assert!(e.to_string().contains("neg_threshold"), "{e}");
    let mut o = oracle_opts(&edges);
    o.min_cluster_size = 1;
    assert!(explain_cluster(&MemJournal::default(), &cat, &o).is_err());
    let mut o = oracle_opts(&edges);
    o.generate.reference = None;
    let e = run_cluster(&MemJournal::default(), &cat, &o, &Ctx::default()).unwrap_err();
    assert!(e.to_string().contains("reference"), "{e}");
}

#[test]
fn engine_stores_the_graph_with_phases_in_the_manifest() {
    let engine = Engine::in_memory().unwrap();
    let cat_path = root().join("fixtures/small/catalogue.csv");
    engine.load_catalogue("small", &cat_path, "LOAD").unwrap();
    let opts = oracle_opts(&root().join("fixtures/small/edges.csv"));
    let (w, r) = engine
        .generate_cluster(
            "g_cl",
            &ObjRef::latest("small"),
            &opts,
            "GENERATE GRAPH g_cl FROM small USING CLUSTER",
            &Ctx::default(),
        )
        .unwrap();
    assert_eq!(w.version, 1);
    let (_, m) = engine
        .manifest(Kind::Graph, &ObjRef::latest("g_cl"))
        .unwrap();
    let phases = m.details["generate"]["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 5);
    assert_eq!(m.details["generate"]["chat_calls"], json!(r.chat_calls));
    assert_eq!(m.details["options"]["pos_threshold"], json!(7.0));
    // A second run replays everything from the store's journal.
    let (w2, r2) = engine
        .generate_cluster(
            "g_cl",
            &ObjRef::latest("small"),
            &opts,
            "again",
            &Ctx::default(),
        )
        .unwrap();
    assert_eq!(w2.version, 2);
    assert_eq!(r2.phases.iter().map(|p| p.made).sum::<u64>(), 0);
}

#[test]
fn openai_backend_against_a_local_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, edges, sg) = synth_mid(dir.path());
    let server = serve(&sg);
    let opts = ClusterOptions {
        embedding_model: "test-embedding".into(),
        ..ClusterOptions::with_generate(GenerateOptions {
            backend: BackendKind::OpenAi,
            base_url: Some(server.base_url.clone()),
            model: "test-model".into(),
            retries: 1,
            backoff_ms: 10,
            ..GenerateOptions::default()
        })
    };
    let journal = MemJournal::default();
    let (g, r) = run_cluster(&journal, &cat, &opts, &Ctx::default()).unwrap();
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    assert_eq!(r.backend, "openai");
    let kinds = server.shared.kinds.lock().unwrap().clone();
    for k in ["describe_batch", "label", "score"] {
        assert!(kinds.contains(k), "{k} not asked: {kinds:?}");
    }
    assert!(server.shared.embed.load(Ordering::SeqCst) >= 1);
    let chat = server.shared.chat.load(Ordering::SeqCst);
    assert_eq!(chat, r.chat_calls);
    let (reference, _) = read_edges_csv(&edges, None).unwrap();
    let c = compare_graphs(&g, &reference);
    assert!(c.total.recall_of_b().unwrap() >= 0.8, "{:?}", c.total);
    assert!(c.total.sign_agreement().unwrap() >= 0.95, "{:?}", c.total);

    // Resume: a second run asks the server nothing.
    let (_, r2) = run_cluster(&journal, &cat, &opts, &Ctx::default()).unwrap();
    assert_eq!(server.shared.chat.load(Ordering::SeqCst), chat);
    assert_eq!(r2.phases.iter().map(|p| p.made).sum::<u64>(), 0);

    // The report's one-attribute-per-call enrichment (plain-text replies).
    let one = ClusterOptions {
        enrich_batch: 1,
        label_batch: 1,
        ..opts.clone()
    };
    let (_, r3) = run_cluster(&MemJournal::default(), &cat, &one, &Ctx::default()).unwrap();
    assert!(r3.failures.is_empty(), "{:?}", r3.failures);
    assert_eq!(r3.phases[0].made, 44);
    assert!(server.shared.kinds.lock().unwrap().contains("describe"));
}

// ------------------------------------------------------------ kill -9 --

fn openai_opts(base_url: &str) -> ClusterOptions {
    ClusterOptions {
        embedding_model: "test-embedding".into(),
        ..ClusterOptions::with_generate(GenerateOptions {
            backend: BackendKind::OpenAi,
            base_url: Some(base_url.to_string()),
            model: "test-model".into(),
            workers: 2,
            retries: 1,
            backoff_ms: 10,
            ..GenerateOptions::default()
        })
    }
}

/// The process that gets killed: GENERATE ... USING CLUSTER on a database
/// file (VALENCE_CL_KILL_DB), started by its parent test with `--ignored`.
#[test]
#[ignore = "child process of the cluster kill -9 resume test"]
fn cluster_kill_child() {
    let db = std::env::var("VALENCE_CL_KILL_DB").expect("run by its parent test");
    let url = std::env::var("VALENCE_CL_KILL_URL").unwrap();
    let cat = std::env::var("VALENCE_CL_KILL_CAT").unwrap();
    let engine = Engine::open(Path::new(&db)).unwrap();
    engine
        .load_catalogue("cat", Path::new(&cat), "LOAD")
        .unwrap();
    engine
        .generate_cluster(
            "g",
            &ObjRef::latest("cat"),
            &openai_opts(&url),
            "GENERATE",
            &Ctx::default(),
        )
        .unwrap();
}

/// kill -9 in the middle of a CLUSTER run, then re-run: what was journaled
/// is not asked again, the killed run stored no graph, and the final graph
/// is the one an uninterrupted run builds.
#[test]
fn cluster_kill_mid_run_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());
    let server = serve(&sg);
    let o = openai_opts(&server.base_url);
    // An uninterrupted run (in memory) gives the request count and graph.
    let (want, fresh) = run_cluster(&MemJournal::default(), &cat, &o, &Ctx::default()).unwrap();
    let needed = fresh.chat_calls;
    let base = server.shared.chat.load(Ordering::SeqCst);
    assert_eq!(base, needed);

    server.shared.delay_ms.store(40, Ordering::SeqCst);
    let db = dir.path().join("kill.valence");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "--ignored",
            "cluster_gen::cluster_kill_child",
            "--test-threads",
            "1",
        ])
        .env("VALENCE_CL_KILL_DB", &db)
        .env("VALENCE_CL_KILL_URL", &server.base_url)
        .env("VALENCE_CL_KILL_CAT", dir.path().join("cat.csv"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    while server.shared.chat.load(Ordering::SeqCst) < base + needed / 2 {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "child made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = server.shared.chat.load(Ordering::SeqCst) - base;
    assert!(at_kill < needed, "the child finished before the kill");
    server.shared.delay_ms.store(0, Ordering::SeqCst);

    let engine = Engine::open(&db).unwrap();
    assert!(engine.list(Kind::Graph).unwrap().is_empty());
    assert!(engine.store().journal_len().unwrap() > 0);
    let (_, r) = engine
        .generate_cluster("g", &ObjRef::latest("cat"), &o, "GENERATE", &Ctx::default())
        .unwrap();
    let replayed: u64 = r.phases.iter().map(|p| p.replayed).sum();
    assert!(replayed > 0);
    assert_eq!(r.chat_calls, needed);
    // Asked twice at most: the requests in flight at the kill.
    let after = server.shared.chat.load(Ordering::SeqCst) - base;
    assert!(
        after <= needed + 2 * 2,
        "{after} requests for {needed} calls"
    );
    let (_, g) = engine.graph(&ObjRef::latest("g")).unwrap();
    let c = compare_graphs(&g, &want);
    assert_eq!(
        (c.total.only_a, c.total.only_b, c.total.mismatch),
        (0, 0, 0)
    );
}

#[test]
fn compare_and_check_from_the_shell() {
    let o = crate::common::valence(&[
        "-c",
        "LOAD CATALOGUE small FROM 'fixtures/small/catalogue.csv';
         IMPORT GRAPH ref FROM 'fixtures/small/edges.csv' CATALOGUE small;
         IMPORT GRAPH alt FROM 'tests/data/compare_alt_edges.csv';
         COMPARE GRAPH alt WITH ref DETAIL;
         CHECK GRAPH ref AGAINST 'fixtures/small/expectations.csv';",
    ]);
    let out = crate::common::stdout(&o);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    for needle in [
        "recall_of_b",
        "a = alt@1, b = ref@1",
        "mismatches",
        "Budget Shoppers",
        "obvious",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
    let bad = crate::common::valence(&[
        "-c",
        "LOAD CATALOGUE small FROM 'fixtures/small/catalogue.csv';
         IMPORT GRAPH ref FROM 'fixtures/small/edges.csv' CATALOGUE small;
         CHECK GRAPH ref AGAINST 'tests/data/compare_badexpect.csv';",
    ]);
    assert!(!bad.status.success());
    assert!(crate::common::stderr(&bad).contains("compare_badexpect.csv:3"));
}

#[test]
fn mixing_modalities_saves_calls_and_changes_no_edge() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, edges, _) = synth_mid(dir.path());
    let mixed = oracle_opts(&edges);
    let single = ClusterOptions {
        mix_modalities: false,
        ..mixed.clone()
    };
    let (gm, rm) = run_cluster(&MemJournal::default(), &cat, &mixed, &Ctx::default()).unwrap();
    let (gs, rs) = run_cluster(&MemJournal::default(), &cat, &single, &Ctx::default()).unwrap();
    let c = compare_graphs(&gm, &gs);
    assert_eq!(
        (c.total.only_a, c.total.only_b, c.total.mismatch),
        (0, 0, 0)
    );
    assert_eq!(rm.pairs_classified, rs.pairs_classified);
    assert!(rm.phases[4].made <= rs.phases[4].made, "{rm:?} {rs:?}");
}

/// The same text in two modalities (three audiences named like three
/// brands): a classification call that mixes target modalities
/// names each target's category, so a server answering by (category, value)
/// is never asked an ambiguous question and the graph equals the truth.
#[test]
fn mixed_calls_name_each_targets_category_so_shared_texts_are_not_confused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, mut sg) = synth_mid(dir.path());
    // Give three audiences the texts of three brands: in a call mixing
    // brand and audience targets, a bare "X" could be either.
    let brands: Vec<String> = sg
        .nodes
        .iter()
        .filter(|n| n.0 == "brand")
        .map(|n| n.1.clone())
        .take(3)
        .collect();
    let mut k = 0;
    for n in sg.nodes.iter_mut().filter(|n| n.0 == "audience").take(3) {
        n.1 = brands[k].clone();
        k += 1;
    }
    assert_eq!(k, 3);
    let (c, e) = (
        dir.path().join("shared.csv"),
        dir.path().join("shared_edges.csv"),
    );
    synth::write_catalogue_csv(&sg, &c).unwrap();
    synth::write_edges_csv(&sg, &e).unwrap();
    let cat = Catalogue::from_csv(&c).unwrap();
    let server = serve(&sg);
    // Nothing inherited, nothing in a neutral band: every pair of a scored
    // cluster pair is classified (a null score means no edge at all), so
    // the result can equal the truth exactly.
    let opts = ClusterOptions {
        embedding_model: "test-embedding".into(),
        inherit_pos: 11.0,
        inherit_neg: -1.0,
        pos_threshold: 0.5,
        neg_threshold: 0.0,
        mix_modalities: true,
        ..ClusterOptions::with_generate(GenerateOptions {
            backend: BackendKind::OpenAi,
            base_url: Some(server.base_url.clone()),
            model: "test-model".into(),
            retries: 1,
            backoff_ms: 10,
            ..GenerateOptions::default()
        })
    };
    let (g, r) = run_cluster(&MemJournal::default(), &cat, &opts, &Ctx::default()).unwrap();
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    let (truth, _) = read_edges_csv(&e, Some(&cat)).unwrap();
    let cmp = compare_graphs(&g, &truth);
    assert_eq!(
        (cmp.total.only_a, cmp.total.only_b, cmp.total.mismatch),
        (0, 0, 0),
        "{:?} {:?} {:?}",
        cmp.total,
        cmp.mismatches,
        cmp.by_rel
    );
}
