//! GENERATE ... USING BRUTE_FORCE: plan, oracle simulator, OpenAI-compatible
//! client against the test server (real HTTP on 127.0.0.1), every failure
//! mode, journal and resume, budget, EXPLAIN, API-key hygiene.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use valence_engine::generate::{
    self, BackendKind, GenerateOptions, Journal, MemJournal, PrimaryRule,
};
use valence_engine::llm::parse_signs;
use valence_engine::{Catalogue, Ctx, Engine, Error, SignedGraph};
use valence_engine::{Kind, ObjRef, Store};

use crate::llm_server::{Fault, Node, TestServer};

const SMALL: &[(&str, usize)] = &[("brand", 10), ("audience", 10), ("geo", 4), ("platform", 3)];
const LARGE: &[(&str, usize)] = &[
    ("brand", 60),
    ("audience", 60),
    ("platform", 10),
    ("geo", 30),
];

fn nodes(sizes: &[(&str, usize)]) -> Vec<Node> {
    let mut v = Vec::new();
    for (m, n) in sizes {
        for i in 0..*n {
            v.push((m.to_string(), format!("{m} {i}")));
        }
    }
    v
}

fn catalogue(sizes: &[(&str, usize)]) -> Catalogue {
    let ns = nodes(sizes);
    Catalogue::from_rows(ns.iter().map(|(m, v)| (m.as_str(), v.as_str(), None))).unwrap()
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A deterministic reference graph: ~35% positive, ~12% negative pairs.
fn reference(sizes: &[(&str, usize)]) -> Vec<(Node, Node, char)> {
    let ns = nodes(sizes);
    let mut out = Vec::new();
    for i in 0..ns.len() {
        for j in i + 1..ns.len() {
            if ns[i].0 == ns[j].0 {
                continue;
            }
            let h = fnv(&format!("{}|{}|{}|{}", ns[i].0, ns[i].1, ns[j].0, ns[j].1)) % 100;
            let s = if h < 35 {
                '+'
            } else if h < 47 {
                '-'
            } else {
                continue;
            };
            out.push((ns[i].clone(), ns[j].clone(), s));
        }
    }
    out
}

fn write_reference(dir: &Path, edges: &[(Node, Node, char)]) -> std::path::PathBuf {
    let p = dir.join("edges.csv");
    let mut s = String::from("source,target,rel,sign\n");
    for (a, b, c) in edges {
        s.push_str(&format!("{},{},{}_to_{},{}\n", a.1, b.1, a.0, b.0, c));
    }
    std::fs::write(&p, s).unwrap();
    p
}

type EdgeSet = BTreeSet<(Node, Node, char)>;

fn canon(edges: impl IntoIterator<Item = (Node, Node, char)>) -> EdgeSet {
    edges
        .into_iter()
        .map(|(a, b, c)| if a <= b { (a, b, c) } else { (b, a, c) })
        .collect()
}

fn graph_edges(g: &SignedGraph) -> EdgeSet {
    let node = |id| (g.modality_name(id).to_string(), g.value(id).to_string());
    canon(g.edges().map(|(a, b, s)| (node(a), node(b), s.symbol())))
}

fn fast(mut o: GenerateOptions) -> GenerateOptions {
    o.backoff_ms = 5;
    o
}

fn openai(server: &TestServer) -> GenerateOptions {
    fast(GenerateOptions {
        backend: BackendKind::OpenAi,
        base_url: Some(server.base_url.clone()),
        model: "test-model".into(),
        temperature: 0.15,
        ..GenerateOptions::default()
    })
}

fn serve(sizes: &[(&str, usize)]) -> (TestServer, Catalogue, EdgeSet) {
    let r = reference(sizes);
    let server = TestServer::start(nodes(sizes), r.clone());
    (server, catalogue(sizes), canon(r))
}

fn run(
    j: &dyn Journal,
    cat: &Catalogue,
    o: &GenerateOptions,
) -> valence_engine::Result<(SignedGraph, generate::GenerateReport)> {
    generate::run_brute_force(j, cat, o, &Ctx::default())
}

// ------------------------------------------------------------------ plan --

#[test]
fn plan_call_counts() {
    let count = |sizes, rule| {
        let o = GenerateOptions {
            primary: rule,
            ..GenerateOptions::default()
        };
        generate::plan_brute_force(&catalogue(sizes), &o)
            .unwrap()
            .total_calls
    };
    // Default: the side needing fewer calls is primary.
    assert_eq!(count(SMALL, PrimaryRule::FewerCalls), 27);
    assert_eq!(count(LARGE, PrimaryRule::FewerCalls), 440);
    // The report's counts (54 small, 570 large) come from "larger side primary".
    assert_eq!(count(SMALL, PrimaryRule::Larger), 54);
    assert_eq!(count(LARGE, PrimaryRule::Larger), 570);
    // "First modality in catalogue order" gives 54 and 560.
    assert_eq!(count(SMALL, PrimaryRule::First), 54);
    assert_eq!(count(LARGE, PrimaryRule::First), 560);
    let p = generate::plan_brute_force(&catalogue(LARGE), &GenerateOptions::default()).unwrap();
    assert_eq!(p.total_pairs, 8700);
    let bp = p
        .pairs
        .iter()
        .find(|x| x.primary == "platform" && x.other == "brand")
        .unwrap();
    assert_eq!((bp.calls, bp.batches_per_primary), (30, 3));
    assert!(p.est_prompt_tokens > 440 * 300, "{}", p.est_prompt_tokens);
}

// ---------------------------------------------------------------- oracle --

#[test]
fn oracle_without_noise_reproduces_reference() {
    let dir = tempfile::tempdir().unwrap();
    let r = reference(LARGE);
    let o = GenerateOptions {
        reference: Some(write_reference(dir.path(), &r)),
        ..GenerateOptions::default()
    };
    let cat = catalogue(LARGE);
    let j = MemJournal::default();
    let (g, rep) = run(&j, &cat, &o).unwrap();
    assert_eq!(graph_edges(&g), canon(r.clone()));
    assert_eq!(g.node_count(), 160);
    assert_eq!(
        (
            rep.calls_made,
            rep.calls_replayed,
            rep.retries,
            rep.failed_batches
        ),
        (440, 0, 0, 0)
    );
    assert_eq!(rep.edges_pos + rep.edges_neg, r.len() as u64);
    assert_eq!(rep.edges_pos + rep.edges_neg + rep.neutral_pairs, 8700);
    assert_eq!(j.len(), 440);
    // Re-running replays everything: no call, same graph.
    let (g2, rep2) = run(&j, &cat, &o).unwrap();
    assert_eq!(graph_edges(&g2), canon(r));
    assert_eq!((rep2.calls_made, rep2.calls_replayed), (0, 440));
}

#[test]
fn oracle_noise_is_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let r = reference(SMALL);
    let o = GenerateOptions {
        reference: Some(write_reference(dir.path(), &r)),
        oracle_noise: 0.3,
        seed: 9,
        ..GenerateOptions::default()
    };
    let cat = catalogue(SMALL);
    let (g1, _) = run(&MemJournal::default(), &cat, &o).unwrap();
    let o2 = GenerateOptions {
        workers: 1,
        ..o.clone()
    };
    let (g2, _) = run(&MemJournal::default(), &cat, &o2).unwrap();
    assert_eq!(graph_edges(&g1), graph_edges(&g2));
    let diff = graph_edges(&g1)
        .symmetric_difference(&canon(r.clone()))
        .count();
    assert!(
        diff > 20,
        "noise 0.3 on 252 pairs changed only {diff} edges"
    );
    let o3 = GenerateOptions { seed: 10, ..o };
    let (g3, _) = run(&MemJournal::default(), &cat, &o3).unwrap();
    assert_ne!(graph_edges(&g1), graph_edges(&g3));
}

#[test]
fn oracle_needs_a_reference() {
    let e = run(
        &MemJournal::default(),
        &catalogue(SMALL),
        &GenerateOptions::default(),
    )
    .unwrap_err();
    // Display is the message; the advice is the hint.
    let e = format!("{e} / {}", e.hint().unwrap_or(""));
    assert!(e.contains("reference") && e.contains("simulator"), "{e}");
}

// ---------------------------------------------------------------- openai --

#[test]
fn openai_matches_reference_and_request_shape() {
    let (server, cat, want) = serve(SMALL);
    let j = MemJournal::default();
    let (g, rep) = run(&j, &cat, &openai(&server)).unwrap();
    assert_eq!(graph_edges(&g), want);
    assert_eq!(
        (rep.calls_made, rep.retries, rep.failed_batches),
        (27, 0, 0)
    );
    assert_eq!(rep.backend, "openai");
    let seen = server.seen();
    assert_eq!(seen.len(), 27);
    let mut pairs = BTreeSet::new();
    for s in &seen {
        assert_eq!(s.body["model"], "test-model");
        assert_eq!(s.body["temperature"].as_f64(), Some(0.15));
        let msgs = s.body["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0]["role"], "user");
        let content = msgs[0]["content"].as_str().unwrap();
        assert!(content.starts_with("You are a social media campaign expert."));
        assert!(content.contains("CLASSIFICATION SCALE:") && content.ends_with("JSON OUTPUT:"));
        assert!(!s.targets.is_empty() && s.targets.len() <= 25);
        assert!(
            s.primary.starts_with(&format!("{} ", s.category)),
            "CATEGORY line"
        );
        for t in &s.targets {
            assert!(
                pairs.insert((s.primary.clone(), t.clone())),
                "pair asked twice"
            );
        }
    }
    assert_eq!(pairs.len(), 252);
}

#[test]
fn openai_batches_by_batch_size() {
    let (server, cat, want) = serve(SMALL);
    let o = GenerateOptions {
        batch_size: 3,
        ..openai(&server)
    };
    let plan = generate::plan_brute_force(&cat, &o).unwrap();
    let (g, rep) = run(&MemJournal::default(), &cat, &o).unwrap();
    assert_eq!(graph_edges(&g), want);
    assert_eq!(rep.calls_made, plan.total_calls);
    assert_eq!(server.request_count() as u64, plan.total_calls);
    let sizes: BTreeSet<usize> = server.seen().iter().map(|s| s.targets.len()).collect();
    assert_eq!(
        sizes,
        BTreeSet::from([1, 3]),
        "10 targets in batches of 3 = 3+3+3+1"
    );
}

#[test]
fn at_most_workers_calls_in_flight() {
    for workers in [1, 3, 7] {
        let (server, cat, want) = serve(SMALL);
        server.set_delay_ms(30);
        let o = GenerateOptions {
            workers,
            ..openai(&server)
        };
        let (g, _) = run(&MemJournal::default(), &cat, &o).unwrap();
        assert_eq!(graph_edges(&g), want);
        assert!(
            server.max_in_flight() <= workers as u64,
            "workers = {workers}"
        );
        assert!(server.max_in_flight() >= 1);
    }
}

#[test]
fn openai_same_graph_as_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cat, _) = serve(LARGE);
    let oracle = GenerateOptions {
        reference: Some(write_reference(dir.path(), &reference(LARGE))),
        ..GenerateOptions::default()
    };
    let (go, ro) = run(&MemJournal::default(), &cat, &oracle).unwrap();
    let (gh, rh) = run(&MemJournal::default(), &cat, &openai(&server)).unwrap();
    assert_eq!(graph_edges(&go), graph_edges(&gh));
    assert_eq!(ro.calls_made, rh.calls_made);
    assert_eq!(server.request_count(), 440);
}

// -------------------------------------------------------- failure modes --

/// Every journal value must be a strictly valid reply.
fn assert_journal_clean(j: &MemJournal, cat: &Catalogue, o: &GenerateOptions) {
    let plan = generate::plan_brute_force(cat, o).unwrap();
    for v in j.values() {
        let text = String::from_utf8(v).unwrap();
        assert!(
            (1..=o.batch_size).any(|n| parse_signs(&text, n).is_ok()),
            "malformed reply journaled: {text}"
        );
    }
    assert!(j.len() as u64 <= plan.total_calls);
}

#[test]
fn transient_faults_are_retried() {
    for fault in [
        Fault::Status(500),
        Fault::Status(503),
        Fault::RateLimit(0),
        Fault::BadBody,
        Fault::Truncated,
        Fault::NamesAsKeys,
        Fault::MissingKey,
        Fault::ExtraKey,
        Fault::WordSigns,
        Fault::NoChoices,
    ] {
        let (server, cat, want) = serve(SMALL);
        server.script_for("brand 3", vec![fault.clone(), fault.clone()]);
        let o = openai(&server);
        let j = MemJournal::default();
        let (g, rep) = run(&j, &cat, &o).unwrap();
        assert_eq!(graph_edges(&g), want, "{fault:?}");
        assert_eq!(
            (rep.calls_made, rep.retries, rep.failed_batches),
            (29, 2, 0),
            "{fault:?}"
        );
        assert_eq!(j.len(), 27, "{fault:?}");
        assert_journal_clean(&j, &cat, &o);
    }
}

#[test]
fn fenced_reply_is_accepted() {
    let (server, cat, want) = serve(SMALL);
    server.script(vec![Fault::Fenced; 30]);
    let (g, rep) = run(&MemJournal::default(), &cat, &openai(&server)).unwrap();
    assert_eq!(graph_edges(&g), want);
    assert_eq!((rep.calls_made, rep.retries), (27, 0));
}

#[test]
fn retry_after_is_honoured() {
    let (server, cat, want) = serve(SMALL);
    server.script_for("brand 0", vec![Fault::RateLimit(1)]);
    let (g, rep) = run(&MemJournal::default(), &cat, &openai(&server)).unwrap();
    assert_eq!(graph_edges(&g), want);
    assert_eq!(rep.retries, 1);
    let seen: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.primary == "brand 0")
        .collect();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (&seen[0].fault, &seen[1].fault),
        (&Fault::RateLimit(1), &Fault::Ok)
    );
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= std::time::Duration::from_millis(950),
        "retried after {gap:?}"
    );
}

#[test]
fn hanging_call_times_out_and_is_retried() {
    let (server, cat, want) = serve(SMALL);
    server.script_for("brand 5", vec![Fault::Hang]);
    let o = GenerateOptions {
        timeout_s: 0.5,
        ..openai(&server)
    };
    let (g, rep) = run(&MemJournal::default(), &cat, &o).unwrap();
    assert_eq!(graph_edges(&g), want);
    assert_eq!((rep.calls_made, rep.retries), (28, 1));
}

#[test]
fn batch_failing_every_retry_is_reported_and_run_continues() {
    let (server, cat, want) = serve(SMALL);
    server.script_for("brand 2", vec![Fault::Status(500); 4]);
    let o = openai(&server);
    let j = MemJournal::default();
    let (g, rep) = run(&j, &cat, &o).unwrap();
    assert_eq!(
        (rep.calls_made, rep.retries, rep.failed_batches),
        (30, 3, 1)
    );
    assert_eq!(rep.unclassified_pairs, 10);
    assert_eq!(rep.failures.len(), 1);
    assert!(rep.failures[0].contains("brand 2") && rep.failures[0].contains("500"));
    let missing: EdgeSet = want.difference(&graph_edges(&g)).cloned().collect();
    assert!(!missing.is_empty());
    assert!(
        missing
            .iter()
            .all(|(a, b, _)| a.1 == "brand 2" || b.1 == "brand 2")
    );
    assert_eq!(j.len(), 26);
    // The re-run calls only the failed batch.
    let before = server.request_count();
    let (g2, rep2) = run(&j, &cat, &o).unwrap();
    assert_eq!(graph_edges(&g2), want);
    assert_eq!((rep2.calls_made, rep2.calls_replayed), (1, 26));
    assert_eq!(server.request_count(), before + 1);
}

#[test]
fn rejected_request_is_not_retried() {
    let (server, cat, _) = serve(SMALL);
    server.script_for("brand 1", vec![Fault::Status(400)]);
    let (_, rep) = run(&MemJournal::default(), &cat, &openai(&server)).unwrap();
    assert_eq!(
        (rep.calls_made, rep.retries, rep.failed_batches),
        (27, 0, 1)
    );
}

#[test]
fn unauthorised_stops_the_run() {
    let (server, cat, _) = serve(SMALL);
    server.script(vec![Fault::Status(401); 100]);
    let e = run(&MemJournal::default(), &cat, &openai(&server)).unwrap_err();
    assert!(matches!(e, Error::Llm { .. }), "{e:?}");
    let m = format!("{e} / {}", e.hint().unwrap_or(""));
    assert!(m.contains("401") && m.contains("OPENAI_API_KEY"), "{m}");
    assert!(
        server.request_count() <= 8,
        "{} calls after a 401",
        server.request_count()
    );
}

#[test]
fn no_endpoint_is_a_clear_error() {
    let cat = catalogue(SMALL);
    let o = GenerateOptions {
        backend: BackendKind::OpenAi,
        base_url: Some("http://127.0.0.1:1/v1".into()),
        model: "m".into(),
        retries: 1,
        ..fast(GenerateOptions::default())
    };
    let e = run(&MemJournal::default(), &cat, &o)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("127.0.0.1:1") && e.contains("none succeeded"),
        "{e}"
    );
}

// ------------------------------------------------------ budget, resume --

#[test]
fn budget_stops_and_resume_repeats_nothing() {
    let (server, cat, want) = serve(SMALL);
    let store = Store::in_memory().unwrap();
    let o = GenerateOptions {
        budget: Some(10),
        workers: 3,
        ..openai(&server)
    };
    let e = run(&store, &cat, &o).unwrap_err();
    let m = format!("{e} / {}", e.hint().unwrap_or(""));
    assert!(
        m.contains("budget of 10 calls") && m.contains("17 of 27"),
        "{m}"
    );
    assert!(m.contains("re-run") && m.contains("resume"), "{m}");
    assert_eq!(server.request_count(), 10);
    assert_eq!(store.journal_len().unwrap(), 10);
    // EXPLAIN sees the journal and makes no call.
    let plan = generate::explain_brute_force(&store, &cat, &o).unwrap();
    assert_eq!((plan.total_calls, plan.journaled_calls), (27, 10));
    assert_eq!(server.request_count(), 10);
    let o2 = GenerateOptions {
        budget: Some(17),
        ..o
    };
    let (g, rep) = run(&store, &cat, &o2).unwrap();
    assert_eq!(graph_edges(&g), want);
    assert_eq!((rep.calls_made, rep.calls_replayed), (17, 10));
    // Each batch seen exactly once.
    let mut batches = BTreeSet::new();
    for s in server.seen() {
        assert!(batches.insert((s.primary, s.targets)), "batch called twice");
    }
    assert_eq!(batches.len(), 27);
}

#[test]
fn retries_count_against_the_budget() {
    let (server, cat, _) = serve(SMALL);
    server.script(vec![Fault::Status(500); 5]);
    let o = GenerateOptions {
        budget: Some(27),
        workers: 1,
        ..openai(&server)
    };
    let e = run(&MemJournal::default(), &cat, &o)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("budget of 27 calls") && e.contains("5 of 27"),
        "{e}"
    );
    assert_eq!(server.request_count(), 27);
}

#[test]
fn journal_key_covers_template_model_and_temperature() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cat, want) = serve(SMALL);
    let j = MemJournal::default();
    let o = openai(&server);
    run(&j, &cat, &o).unwrap();
    let (_, same) = run(&j, &cat, &o).unwrap();
    assert_eq!(same.calls_made, 0);
    let t = GenerateOptions {
        temperature: 0.3,
        ..o.clone()
    };
    assert_eq!(run(&j, &cat, &t).unwrap().1.calls_made, 27);
    let m = GenerateOptions {
        model: "other".into(),
        ..o.clone()
    };
    assert_eq!(run(&j, &cat, &m).unwrap().1.calls_made, 27);
    // A template from a file: the prompt sent is that template.
    let tp = dir.path().join("prompt.txt");
    std::fs::write(
        &tp,
        "Rate for \"{primary_attr}\" ({primary_mod}):\nPRIMARY ATTRIBUTE: \"{primary_attr}\"\nCATEGORY: {primary_mod}\n{attr_list}\nAnswer {{\"1\": \"+\"}}",
    )
    .unwrap();
    let p = GenerateOptions {
        prompt: Some(tp),
        ..o
    };
    let before = server.request_count();
    let (g, rep) = run(&j, &cat, &p).unwrap();
    assert_eq!((rep.calls_made, graph_edges(&g)), (27, want));
    let last = &server.seen()[before];
    let content = last.body["messages"][0]["content"].as_str().unwrap();
    assert!(content.starts_with("Rate for \"") && content.ends_with("Answer {\"1\": \"+\"}"));
}

#[test]
fn cancel_stops_the_run() {
    let (server, cat, _) = serve(SMALL);
    server.script(vec![Fault::Hang; 30]);
    let ctx = Ctx::default();
    let cancel: Arc<AtomicBool> = ctx.cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let t = std::time::Instant::now();
    let e = generate::run_brute_force(&MemJournal::default(), &cat, &openai(&server), &ctx);
    assert!(matches!(e, Err(Error::Cancelled)), "{e:?}");
    assert!(t.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn generate_graph_stores_one_version_with_report() {
    let dir = tempfile::tempdir().unwrap();
    let r = reference(SMALL);
    let csv = dir.path().join("cat.csv");
    let mut s = String::from("modality,value\n");
    for (m, v) in nodes(SMALL) {
        s.push_str(&format!("{m},{v}\n"));
    }
    std::fs::write(&csv, s).unwrap();
    let engine = Engine::in_memory().unwrap();
    engine.load_catalogue("cat", &csv, "LOAD").unwrap();
    let o = GenerateOptions {
        reference: Some(write_reference(dir.path(), &r)),
        ..GenerateOptions::default()
    };
    let (w, rep) = engine
        .generate_brute_force(
            "g",
            &ObjRef::latest("cat"),
            &o,
            "GENERATE GRAPH g FROM cat USING BRUTE_FORCE",
            &Ctx::default(),
        )
        .unwrap();
    assert_eq!((w.version, rep.calls_made), (1, 27));
    let (_, g) = engine.graph(&ObjRef::latest("g")).unwrap();
    assert_eq!(graph_edges(&g), canon(r));
    let (_, m) = engine.manifest(Kind::Graph, &ObjRef::latest("g")).unwrap();
    assert_eq!(m.details["generate"]["calls_made"], 27);
    assert_eq!(m.details["options"]["batch_size"], 25);
}

// ------------------------------------------------------------- API key --

const SECRET: &str = "sk-valence-test-SECRET-0123456789";

/// Runs in a child process (so setting the env var cannot race other
/// tests), started by `api_key_is_sent_but_never_stored` with `--ignored`.
#[test]
#[ignore = "child process of api_key_is_sent_but_never_stored"]
fn api_key_child() {
    let db = std::env::var("VALENCE_KEY_CHILD").expect("run by its parent test");
    assert_eq!(std::env::var("OPENAI_API_KEY").as_deref(), Ok(SECRET));
    let (server, cat, want) = serve(SMALL);
    let engine = Engine::open(Path::new(&db)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cat.csv");
    let mut s = String::from("modality,value\n");
    for (m, v) in nodes(SMALL) {
        s.push_str(&format!("{m},{v}\n"));
    }
    std::fs::write(&csv, s).unwrap();
    engine.load_catalogue("cat", &csv, "LOAD").unwrap();
    server.script(vec![Fault::Status(500)]);
    let (_, rep) = engine
        .generate_brute_force(
            "g",
            &ObjRef::latest("cat"),
            &openai(&server),
            "GENERATE",
            &Ctx::default(),
        )
        .unwrap();
    assert_eq!(rep.calls_made, 28);
    let (_, g) = engine.graph(&ObjRef::latest("g")).unwrap();
    assert_eq!(graph_edges(&g), want);
    for seen in server.seen() {
        assert_eq!(
            seen.authorization.as_deref(),
            Some(format!("Bearer {SECRET}").as_str())
        );
    }
    // A 401 error message never shows the key.
    server.script(vec![Fault::Status(401); 50]);
    let o = GenerateOptions {
        model: "m2".into(),
        ..openai(&server)
    };
    let e = run(engine.store(), &cat, &o).unwrap_err();
    assert!(!format!("{e} {e:?}").contains(SECRET));
    let b = valence_engine::llm::OpenAiBackend::new(Some(&server.base_url), "m", 0.1).unwrap();
    assert!(!format!("{b:?}").contains(SECRET));
}

#[test]
fn api_key_is_sent_but_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("key.valence");
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "--ignored",
            "llm::api_key_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("VALENCE_KEY_CHILD", &db)
        .env("OPENAI_API_KEY", SECRET)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && log.contains("1 passed"), "{log}");
    assert!(!log.contains(SECRET), "the key was printed");
    let bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 1000);
    let needle = SECRET.as_bytes();
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle),
        "the key is in the store file"
    );
}

// ------------------------------------------------------------ kill -9 --

fn write_catalogue(dir: &Path, sizes: &[(&str, usize)]) -> std::path::PathBuf {
    let csv = dir.join("cat.csv");
    let mut s = String::from("modality,value\n");
    for (m, v) in nodes(sizes) {
        s.push_str(&format!("{m},{v}\n"));
    }
    std::fs::write(&csv, s).unwrap();
    csv
}

fn kill_opts(base_url: &str) -> GenerateOptions {
    GenerateOptions {
        backend: BackendKind::OpenAi,
        base_url: Some(base_url.to_string()),
        model: "test-model".into(),
        batch_size: 3,
        workers: 3,
        backoff_ms: 5,
        ..GenerateOptions::default()
    }
}

/// The process that gets killed: GENERATE on a database file
/// (VALENCE_KILL_CHILD), started by its parent test with `--ignored`.
#[test]
#[ignore = "child process of the kill -9 resume test"]
fn kill_child() {
    let db = std::env::var("VALENCE_KILL_CHILD").expect("run by its parent test");
    let url = std::env::var("VALENCE_KILL_URL").unwrap();
    let cat = std::env::var("VALENCE_KILL_CAT").unwrap();
    let engine = Engine::open(Path::new(&db)).unwrap();
    engine
        .load_catalogue("cat", Path::new(&cat), "LOAD")
        .unwrap();
    engine
        .generate_brute_force(
            "g",
            &ObjRef::latest("cat"),
            &kill_opts(&url),
            "GENERATE",
            &Ctx::default(),
        )
        .unwrap();
}

/// kill -9 in the middle of a run, then re-run: answers journaled before
/// the kill are not asked again (only the few in flight at the kill are),
/// no graph version was written by the killed run, and the final graph is
/// the reference.
#[test]
fn kill_mid_run_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kill.valence");
    let (server, cat, want) = serve(SMALL);
    server.set_delay_ms(60);
    let o = kill_opts(&server.base_url);
    let planned = generate::plan_brute_force(&cat, &o).unwrap().total_calls;
    let csv = write_catalogue(dir.path(), SMALL);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "--ignored",
            "llm::kill_child",
            "--test-threads",
            "1",
        ])
        .env("VALENCE_KILL_CHILD", &db)
        .env("VALENCE_KILL_URL", &server.base_url)
        .env("VALENCE_KILL_CAT", &csv)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    while server.request_count() < (planned / 3) as usize {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(60),
            "child made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = server.request_count();
    assert!(
        (at_kill as u64) < planned,
        "the child finished before the kill"
    );

    let engine = Engine::open(&db).unwrap();
    assert!(
        engine.list(Kind::Graph).unwrap().is_empty(),
        "killed run wrote a graph"
    );
    let journaled = engine.store().journal_len().unwrap();
    assert!(journaled > 0 && journaled <= at_kill as u64);
    let (_, rep) = engine
        .generate_brute_force("g", &ObjRef::latest("cat"), &o, "GENERATE", &Ctx::default())
        .unwrap();
    assert_eq!(rep.calls_replayed, journaled);
    assert_eq!(rep.calls_made, planned - journaled);
    let (_, g) = engine.graph(&ObjRef::latest("g")).unwrap();
    assert_eq!(graph_edges(&g), want);
    // Each batch seen once, except those whose answer was not committed at
    // the kill: at most `workers` in flight plus replies received but not
    // yet committed (the driver commits one at a time).
    let mut counts = std::collections::HashMap::new();
    for s in server.seen() {
        *counts.entry((s.primary, s.targets)).or_insert(0u32) += 1;
    }
    assert_eq!(counts.len() as u64, planned);
    let repeated = counts.values().filter(|c| **c > 1).count();
    assert!(repeated <= 2 * o.workers, "{repeated} batches asked twice");
    assert_eq!(server.request_count() as u64, planned + repeated as u64);
    assert!(counts.values().all(|c| *c <= 2));
}

// -------------------------------------------------------------- fixtures --

fn fixture(name: &str) -> std::path::PathBuf {
    crate::common::root().join("fixtures").join(name)
}

#[test]
fn fixture_plans() {
    let count = |f: &str, rule| {
        let cat = Catalogue::from_csv(&fixture(f)).unwrap();
        let o = GenerateOptions {
            primary: rule,
            ..GenerateOptions::default()
        };
        generate::plan_brute_force(&cat, &o).unwrap().total_calls
    };
    assert_eq!(count("small/catalogue.csv", PrimaryRule::FewerCalls), 27);
    assert_eq!(count("small/catalogue.csv", PrimaryRule::Larger), 54);
    assert_eq!(count("small/catalogue.csv", PrimaryRule::First), 54);
    assert_eq!(count("large/catalogue.csv", PrimaryRule::FewerCalls), 440);
    assert_eq!(count("large/catalogue.csv", PrimaryRule::Larger), 570);
    assert_eq!(count("large/catalogue.csv", PrimaryRule::First), 560);
}

#[test]
fn oracle_reproduces_fixture_graphs() {
    for f in ["small", "large"] {
        let cat = Catalogue::from_csv(&fixture(&format!("{f}/catalogue.csv"))).unwrap();
        let edges = fixture(&format!("{f}/edges.csv"));
        let (reference, _) = valence_engine::read_edges_csv(&edges, Some(&cat)).unwrap();
        let o = GenerateOptions {
            reference: Some(edges),
            ..GenerateOptions::default()
        };
        let (g, rep) = run(&MemJournal::default(), &cat, &o).unwrap();
        assert_eq!(graph_edges(&g), graph_edges(&reference), "{f}");
        let (p, n) = reference.edge_counts();
        assert_eq!((rep.edges_pos, rep.edges_neg), (p, n), "{f}");
    }
}

#[test]
fn openai_on_small_fixture_matches_reference() {
    let cat = Catalogue::from_csv(&fixture("small/catalogue.csv")).unwrap();
    let (reference, _) =
        valence_engine::read_edges_csv(&fixture("small/edges.csv"), Some(&cat)).unwrap();
    let want = graph_edges(&reference);
    let nodes: Vec<Node> = cat
        .attributes()
        .iter()
        .map(|a| {
            (
                cat.modalities()[a.modality as usize].clone(),
                a.value.clone(),
            )
        })
        .collect();
    let server = TestServer::start(nodes, want.iter().cloned().collect());
    let (g, rep) = run(&MemJournal::default(), &cat, &openai(&server)).unwrap();
    assert_eq!(graph_edges(&g), want);
    assert_eq!(rep.calls_made, 27);
}

#[test]
fn openai_embeddings() {
    use valence_engine::llm::{Backend, OpenAiBackend};
    let (server, _, _) = serve(SMALL);
    let b = OpenAiBackend::new(Some(&server.base_url), "m", 0.1).unwrap();
    let inputs = vec!["ab".to_string(), "xyz".to_string()];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(
        rt.block_on(b.embed(&inputs)).is_err(),
        "no embedding model set"
    );
    let b = b.with_embedding_model("emb");
    let v = rt.block_on(b.embed(&inputs)).unwrap();
    assert_eq!(v, vec![vec![2.0, 97.0, 1.0], vec![3.0, 120.0, 1.0]]);
}

/// The same kill test through the `valence` shell binary: `kill -9` while
/// `GENERATE` runs, re-run the same statements, and check that journaled
/// answers are not asked again and the final graph is the reference.
#[test]
fn kill_valence_binary_mid_run_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kill.vdb");
    let (server, cat, want) = serve(SMALL);
    server.set_delay_ms(60);
    let csv = write_catalogue(dir.path(), SMALL);
    let script = format!(
        "LOAD CATALOGUE c FROM '{}'; \
         GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'openai', base_url = '{}', \
         model = 'test-model', batch_size = 3, workers = 3);",
        csv.display(),
        server.base_url
    );
    let o = kill_opts(&server.base_url);
    let planned = generate::plan_brute_force(&cat, &o).unwrap().total_calls;
    let spawn = || {
        std::process::Command::new(crate::common::valence_bin())
            .arg(&db)
            .args(["--mode", "csv", "-c", &script])
            .current_dir(crate::common::root())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut child = spawn();
    let t = std::time::Instant::now();
    while server.request_count() < (planned / 3) as usize {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(60),
            "no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = server.request_count() as u64;
    assert!(at_kill < planned, "finished before the kill");

    let journaled = {
        let store = Store::open(&db).unwrap();
        assert!(
            store.list(Kind::Graph).unwrap().is_empty(),
            "killed run wrote a graph"
        );
        store.journal_len().unwrap()
    };
    assert!(journaled > 0 && journaled <= at_kill);

    let out = spawn().wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // graph,version,strategy,backend,calls_made,calls_replayed,...
    let row: Vec<&str> = stdout
        .lines()
        .find(|l| l.starts_with("g,1,brute_force,openai,"))
        .unwrap_or_else(|| panic!("no GENERATE row in {stdout}"))
        .split(',')
        .collect();
    assert_eq!(row[5].parse::<u64>().unwrap(), journaled, "{stdout}");
    assert_eq!(
        row[4].parse::<u64>().unwrap(),
        planned - journaled,
        "{stdout}"
    );
    let engine = Engine::open(&db).unwrap();
    let (v, g) = engine.graph(&ObjRef::latest("g")).unwrap();
    assert_eq!(v, 1, "the killed run wrote no version");
    assert_eq!(graph_edges(&g), want);
    let mut counts = std::collections::HashMap::new();
    for s in server.seen() {
        *counts.entry((s.primary, s.targets)).or_insert(0u32) += 1;
    }
    assert_eq!(counts.len() as u64, planned);
    let repeated = counts.values().filter(|c| **c > 1).count();
    assert!(repeated <= 2 * o.workers, "{repeated} batches asked twice");
    assert!(counts.values().all(|c| *c <= 2));
}
