//! The one journaled call loop behaves the same in every place that calls:
//! brute force, each cluster-first phase and embeddings. One table of
//! cases against a real 127.0.0.1 server; for each case the faulted kind of
//! request trips the breaker, the budget stops the run at exactly that
//! many requests (shared across phases) and a re-run resumes, and Ctrl-C
//! interrupts a `Retry-After` wait at once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use valence_engine::generate::{
    BackendKind, ClusterOptions, GenerateOptions, MemJournal, UNUSABLE_AFTER, run_brute_force,
    run_cluster,
};
use valence_engine::{Catalogue, Ctx, Error, NoProgress};

use crate::cluster_gen::synth_mid;
use crate::llm_cluster_server::{Fault, Server, serve};

/// Where the loop is exercised: the strategy and the request kind the
/// server faults (its name in the server's counters), and the phase
/// reported for it.
struct Case {
    phase: &'static str,
    cluster: bool,
    kind: &'static str,
}

const CASES: &[Case] = &[
    Case {
        phase: "brute_force",
        cluster: false,
        kind: "classify",
    },
    Case {
        phase: "enrichment",
        cluster: true,
        kind: "describe_batch",
    },
    Case {
        phase: "embedding",
        cluster: true,
        kind: "embed",
    },
    Case {
        phase: "labelling",
        cluster: true,
        kind: "label",
    },
    Case {
        phase: "cluster_scoring",
        cluster: true,
        kind: "score",
    },
    Case {
        phase: "attribute_classification",
        cluster: true,
        kind: "classify",
    },
];

const RETRIES: u32 = 1;

fn opts(server: &Server, workers: usize) -> ClusterOptions {
    ClusterOptions {
        embedding_model: "test-embedding".into(),
        // Several enrichment requests, so the breaker can trip there.
        enrich_batch: 5,
        ..ClusterOptions::with_generate(GenerateOptions {
            backend: BackendKind::OpenAi,
            base_url: Some(server.base_url.clone()),
            model: "test-model".into(),
            workers,
            retries: RETRIES,
            backoff_ms: 10,
            max_wait_s: 60.0,
            ..GenerateOptions::default()
        })
    }
}

/// Calls made by each phase in order (brute force: one phase).
type Run = valence_engine::Result<Vec<(String, u64)>>;

fn run(case: &Case, cat: &Catalogue, o: &ClusterOptions, journal: &MemJournal, ctx: &Ctx) -> Run {
    if case.cluster {
        let (_, r) = run_cluster(journal, cat, o, ctx)?;
        Ok(r.phases.iter().map(|p| (p.phase.clone(), p.made)).collect())
    } else {
        let (_, r) = run_brute_force(journal, cat, &o.generate, ctx)?;
        Ok(vec![("brute_force".into(), r.calls_made)])
    }
}

fn setup(dir: &Path) -> (Catalogue, Server) {
    let (cat, _, sg) = synth_mid(dir);
    (cat, serve(&sg))
}

/// Later request kinds than a case's (the phases that follow it).
fn later_kinds(case: &Case) -> &'static [&'static str] {
    match case.phase {
        "enrichment" => &["embed", "label", "score", "classify"],
        "embedding" => &["label", "score", "classify"],
        "labelling" => &["score", "classify"],
        "cluster_scoring" => &["classify"],
        _ => &[],
    }
}

/// Asserts that no phase after the case's was asked anything.
fn assert_stopped_there(case: &Case, server: &Server) {
    for later in later_kinds(case) {
        let n = server.shared.seen(later);
        assert_eq!(n, 0, "{}: {later} asked", case.phase);
    }
}

/// A server whose every request of the case's kind gets `fault`.
fn faulty(case: &Case, dir: &Path, fault: Fault) -> (Catalogue, Server) {
    let (cat, server) = setup(dir);
    server
        .shared
        .faults
        .lock()
        .unwrap()
        .insert(case.kind, fault);
    (cat, server)
}

/// A clean run of the case: its phases' calls, and the requests sent
/// (computed once per case for the tests of this file).
fn full_run(case: &Case, dir: &Path) -> (Vec<(String, u64)>, u64) {
    type Full = (Vec<(String, u64)>, u64);
    static RUNS: OnceLock<Mutex<HashMap<&'static str, Full>>> = OnceLock::new();
    let runs = RUNS.get_or_init(Default::default);
    if let Some(r) = runs.lock().unwrap().get(case.phase) {
        return r.clone();
    }
    let (cat, server) = setup(dir);
    let full = run(
        case,
        &cat,
        &opts(&server, 4),
        &MemJournal::default(),
        &Ctx::default(),
    )
    .unwrap();
    let r = (full, server.shared.seen_total());
    runs.lock().unwrap().insert(case.phase, r.clone());
    r
}

/// The index of the case's phase in a run's phases.
fn phase_index(case: &Case, phases: &[(String, u64)]) -> usize {
    phases.iter().position(|p| p.0 == case.phase).unwrap()
}

/// A phase whose requests all fail stops the run there: the breaker
/// after `UNUSABLE_AFTER` failed requests when the phase has that many
/// (embeddings: at the first, as clustering needs every vector); no later
/// phase is asked anything and the error says what failed.
#[test]
fn the_breaker_stops_every_phase_alike() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let (full, _) = full_run(case, dir.path());
        let planned = full[phase_index(case, &full)].1;
        let (cat, server) = faulty(case, dir.path(), Fault::Status(500));
        let e = run(
            case,
            &cat,
            &opts(&server, 1),
            &MemJournal::default(),
            &Ctx::default(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Llm { .. }), "{}: {e}", case.phase);
        let m = e.to_string();
        assert!(m.contains("status 500"), "{}: {m}", case.phase);
        if planned >= UNUSABLE_AFTER {
            let first = format!("stopping: the first {UNUSABLE_AFTER} ");
            assert!(
                m.contains(&first) && m.contains("none succeeded"),
                "{}: {m}",
                case.phase
            );
        }
        let sent = server.shared.seen(case.kind);
        assert!(
            sent > 0 && sent <= planned * u64::from(RETRIES + 1),
            "{}: {sent}",
            case.phase
        );
        assert_stopped_there(case, &server);
    }
}

/// The budget counts every request of every phase: a budget that ends
/// inside the case's phase stops there with exactly that many requests
/// sent; the re-run resumes and together they cost one run.
#[test]
fn one_budget_spans_the_phases_and_a_rerun_resumes() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let (full, needed) = full_run(case, dir.path());
        assert_eq!(
            needed,
            full.iter().map(|p| p.1).sum::<u64>(),
            "{}",
            case.phase
        );
        let at = phase_index(case, &full);
        let before: u64 = full[..at].iter().map(|p| p.1).sum();
        let budget = before + (full[at].1 - 1) / 2;
        assert!(budget >= 1, "{}: {full:?}", case.phase);

        let (cat, server) = setup(dir.path());
        let mut o = opts(&server, 4);
        o.generate.budget = Some(budget);
        let journal = MemJournal::default();
        let e = run(case, &cat, &o, &journal, &Ctx::default()).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains(&format!("budget of {budget} calls")),
            "{}: {m}",
            case.phase
        );
        if case.cluster {
            assert!(m.contains(&format!("the {} phase", case.phase)), "{m}");
        }
        assert_eq!(server.shared.seen_total(), budget, "{}", case.phase);
        o.generate.budget = None;
        let resumed = run(case, &cat, &o, &journal, &Ctx::default()).unwrap();
        assert_eq!(
            server.shared.seen_total(),
            needed,
            "{}: {resumed:?}",
            case.phase
        );
    }
}

/// A `Retry-After` is honoured (no retry within it, though the backoff is
/// 10 ms) and cancellation interrupts the wait at once, whichever phase is
/// waiting.
#[test]
fn cancellation_interrupts_a_retry_after_wait_in_every_phase() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let (cat, server) = faulty(case, dir.path(), Fault::RetryAfter(30));
        let ctx = Ctx {
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(NoProgress),
        };
        let o = opts(&server, 2);
        let (cancel, shared) = (ctx.cancel.clone(), server.shared.clone());
        let kind = case.kind;
        let watcher = std::thread::spawn(move || {
            let t = Instant::now();
            while shared.seen(kind) == 0 {
                assert!(t.elapsed() < Duration::from_secs(60), "{kind} never asked");
                std::thread::sleep(Duration::from_millis(5));
            }
            // Well past the 10 ms backoff: only Retry-After keeps it waiting.
            std::thread::sleep(Duration::from_millis(300));
            cancel.store(true, Ordering::SeqCst);
            Instant::now()
        });
        let e = run(case, &cat, &o, &MemJournal::default(), &ctx).unwrap_err();
        let ended = Instant::now();
        let cancelled_at = watcher.join().unwrap();
        assert!(matches!(e, Error::Cancelled), "{}: {e}", case.phase);
        assert!(
            ended.duration_since(cancelled_at) < Duration::from_secs(3),
            "{}: the wait was not interrupted",
            case.phase
        );
        assert!(server.shared.seen(case.kind) > 0);
        assert_eq!(
            server.shared.repeats(case.kind),
            0,
            "{}: retried within Retry-After",
            case.phase
        );
        assert_stopped_there(case, &server);
    }
}
