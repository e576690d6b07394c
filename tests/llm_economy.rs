//! LLM economy against a real 127.0.0.1 server: one rate limit for every
//! worker, tokens and dollars from the server's `usage`, the dollar budget,
//! and journal entries written before usage was recorded.

use std::sync::atomic::Ordering;
use std::time::Duration;

use valence_engine::generate::{
    BackendKind, ClusterOptions, GenerateOptions, MemJournal, run_brute_force, run_cluster,
};
use valence_engine::{Ctx, SignedGraph};

use crate::cluster_gen::synth_mid;
use crate::llm_cluster_server::{Fault, Server, serve};

fn openai(server: &Server, workers: usize) -> GenerateOptions {
    GenerateOptions {
        backend: BackendKind::OpenAi,
        base_url: Some(server.base_url.clone()),
        model: "test-model".into(),
        workers,
        retries: 2,
        backoff_ms: 10,
        ..GenerateOptions::default()
    }
}

fn cluster(server: &Server, workers: usize) -> ClusterOptions {
    ClusterOptions {
        embedding_model: "test-embedding".into(),
        ..ClusterOptions::with_generate(openai(server, workers))
    }
}

fn edges(g: &SignedGraph) -> Vec<(u32, u32, bool)> {
    let mut v: Vec<_> = g
        .edges()
        .map(|(a, b, s)| (a, b, s == valence_engine::Sign::Pos))
        .collect();
    v.sort();
    v
}

/// One 429 with `Retry-After: 1` pauses every worker: no request of any
/// worker reaches the server in that second (requests already in flight
/// are answered; the margin allows for one in flight when the 429 left),
/// and the run then completes with every batch answered.
#[test]
fn one_429_pauses_every_worker() {
    pause_test(Fault::RetryAfterOnce(1));
}

/// The same with the wait only in `x-ratelimit-reset-requests: 1000ms`.
#[test]
fn a_provider_reset_header_pauses_every_worker() {
    pause_test(Fault::ResetOnce(1000));
}

fn pause_test(fault: Fault) {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());
    let server = serve(&sg);
    server.shared.delay_ms.store(15, Ordering::SeqCst);
    server
        .shared
        .faults
        .lock()
        .unwrap()
        .insert("classify", fault);
    let o = openai(&server, 6);
    let (_, r) = run_brute_force(&MemJournal::default(), &cat, &o, &Ctx::default()).unwrap();
    assert_eq!(r.failed_batches, 0);
    assert_eq!(r.calls_made, r.planned_calls + 1, "one retry: the 429");
    let limited = server.shared.limited_at.lock().unwrap().expect("429 sent");
    let arrivals = server.shared.arrivals.lock().unwrap().clone();
    let inside: Vec<Duration> = arrivals
        .iter()
        .filter(|(t, _)| *t > limited)
        .map(|(t, _)| *t - limited)
        .filter(|d| *d > Duration::from_millis(60) && *d < Duration::from_millis(980))
        .collect();
    assert!(
        inside.is_empty(),
        "requests during the pause: {inside:?} after the 429"
    );
    let after = arrivals.iter().filter(|(t, _)| *t > limited).count();
    assert!(
        after as u64 >= r.planned_calls / 2,
        "the run went on: {after}"
    );
}

/// The tokens a run reports, in total and per phase, are the sums of the
/// server's `usage`; dollars follow the prices; a replayed run spends none.
#[test]
fn token_totals_equal_the_servers_usage_sums() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());

    let server = serve(&sg);
    let mut o = cluster(&server, 4);
    o.generate.price_in = Some(0.4);
    o.generate.price_out = Some(1.6);
    let journal = MemJournal::default();
    let (_, r) = run_cluster(&journal, &cat, &o, &Ctx::default()).unwrap();
    let (sin, sout) = (
        server.shared.usage_in.load(Ordering::SeqCst),
        server.shared.usage_out.load(Ordering::SeqCst),
    );
    assert!(sin > 0 && sout > 0);
    assert_eq!((r.tokens_in, r.tokens_out), (sin, sout));
    let phase_in: u64 = r.phases.iter().map(|p| p.tokens_in).sum();
    let phase_out: u64 = r.phases.iter().map(|p| p.tokens_out).sum();
    assert_eq!((phase_in, phase_out), (sin, sout));
    let embed = r.phases.iter().find(|p| p.phase == "embedding").unwrap();
    assert!(embed.tokens_in > 0 && embed.tokens_out == 0, "{embed:?}");
    let usd = r.usd.expect("prices given");
    let want = (sin as f64 * 0.4 + sout as f64 * 1.6) / 1e6;
    assert!((usd - want).abs() < 1e-12, "{usd} vs {want}");
    let (_, again) = run_cluster(&journal, &cat, &o, &Ctx::default()).unwrap();
    assert_eq!((again.tokens_in, again.tokens_out), (0, 0));
    assert_eq!(again.usd, Some(0.0));

    let server = serve(&sg);
    let (_, b) = run_brute_force(
        &MemJournal::default(),
        &cat,
        &openai(&server, 4),
        &Ctx::default(),
    )
    .unwrap();
    assert_eq!(
        (b.tokens_in, b.tokens_out),
        (
            server.shared.usage_in.load(Ordering::SeqCst),
            server.shared.usage_out.load(Ordering::SeqCst)
        )
    );
    assert_eq!(b.usd, None, "no price: no dollar figure");
}

/// Replies journaled by a server that sent no `usage` (or by an older
/// Valence) replay unchanged: the re-run against a server with usage sends
/// nothing and builds the same graph.
#[test]
fn replies_journaled_without_usage_still_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());
    let old = serve(&sg);
    old.shared.no_usage.store(true, Ordering::SeqCst);
    let journal = MemJournal::default();
    let (g1, r1) = run_brute_force(&journal, &cat, &openai(&old, 4), &Ctx::default()).unwrap();
    assert_eq!((r1.tokens_in, r1.tokens_out), (0, 0));
    assert!(journal.values().iter().all(|v| v.first() != Some(&0)));
    let new = serve(&sg);
    let (g2, r2) = run_brute_force(&journal, &cat, &openai(&new, 4), &Ctx::default()).unwrap();
    assert_eq!(new.shared.seen_total(), 0);
    assert_eq!(r2.calls_replayed, r1.planned_calls);
    assert_eq!(edges(&g1), edges(&g2));
}

/// `budget_usd` stops a run once the replies received cost that much
/// (workers = 1: no call in flight overshoots); the error says what was
/// spent; a re-run resumes and together they send what one run sends.
#[test]
fn budget_usd_stops_the_run_and_a_rerun_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());
    let full = serve(&sg);
    let mut o = openai(&full, 1);
    o.price_in = Some(2.0);
    o.price_out = Some(8.0);
    let (_, r) = run_brute_force(&MemJournal::default(), &cat, &o, &Ctx::default()).unwrap();
    let (cost, needed) = (r.usd.unwrap(), full.shared.seen_total());
    assert!(needed >= 4);

    let server = serve(&sg);
    let mut o = openai(&server, 1);
    o.price_in = Some(2.0);
    o.price_out = Some(8.0);
    o.budget_usd = Some(cost / 3.0);
    let journal = MemJournal::default();
    let e = run_brute_force(&journal, &cat, &o, &Ctx::default()).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("budget_usd of $"), "{m}");
    let sent = server.shared.seen_total();
    assert!(sent > 0 && sent < needed, "{sent} of {needed}");
    let spent = (server.shared.usage_in.load(Ordering::SeqCst) as f64 * 2.0
        + server.shared.usage_out.load(Ordering::SeqCst) as f64 * 8.0)
        / 1e6;
    assert!(spent >= cost / 3.0, "stopped before the budget: {spent}");
    o.budget_usd = None;
    run_brute_force(&journal, &cat, &o, &Ctx::default()).unwrap();
    assert_eq!(server.shared.seen_total(), needed);
}

/// Through the language: the result shows tokens and dollars, the
/// manifest (DESCRIBE GRAPH) keeps them; `budget_usd` without a price is
/// one clear error.
#[test]
fn generate_reports_tokens_and_dollars() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, sg) = synth_mid(dir.path());
    let server = serve(&sg);
    let db = valence::Database::in_memory().unwrap();
    let cat = dir.path().join("cat.csv");
    let sql = format!(
        "LOAD CATALOGUE c FROM '{}'; GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH \
         (backend = 'openai', base_url = '{}', model = 'm', price_in = 0.5, price_out = 2);",
        cat.display(),
        server.base_url
    );
    let r = db.execute(&sql).unwrap();
    let t = r[1].table();
    let tin = t.get(0, "tokens_in").and_then(|v| v.as_i64()).unwrap() as u64;
    let tout = t.get(0, "tokens_out").and_then(|v| v.as_i64()).unwrap() as u64;
    assert_eq!(tin, server.shared.usage_in.load(Ordering::SeqCst));
    assert_eq!(tout, server.shared.usage_out.load(Ordering::SeqCst));
    let usd = t.get(0, "usd").and_then(|v| v.as_f64()).unwrap();
    assert!((usd - (tin as f64 * 0.5 + tout as f64 * 2.0) / 1e6).abs() < 1e-12);
    let d = db.execute("DESCRIBE GRAPH g;").unwrap();
    let text = format!("{:?}", d[0].tables);
    assert!(text.contains(&format!("\\\"tokens_in\\\":{tin}")), "{text}");

    let e = db
        .execute(&format!(
            "GENERATE GRAPH h FROM c USING BRUTE_FORCE WITH (backend = 'openai', \
             base_url = '{}', model = 'm', budget_usd = 1);",
            server.base_url
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains("budget_usd needs prices"), "{e}");
}

/// EXPLAIN estimates the prompt tokens the run will be billed (within 10%
/// of the server's usage here, whose tokens are a quarter of the
/// characters, as the estimate assumes), completion tokens, and dollars
/// for sync and batch (`batch_discount`, 0.5 by default).
#[test]
fn explain_estimates_tokens_and_dollars() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, sg) = synth_mid(dir.path());
    let server = serve(&sg);
    let db = valence::Database::in_memory().unwrap();
    let with = format!(
        "WITH (backend = 'openai', base_url = '{}', model = 'm', price_in = 1, price_out = 4)",
        server.base_url
    );
    let sql = format!(
        "LOAD CATALOGUE c FROM '{}'; EXPLAIN GENERATE GRAPH g FROM c USING BRUTE_FORCE {with};",
        dir.path().join("cat.csv").display()
    );
    let r = db.execute(&sql).unwrap();
    assert_eq!(server.shared.seen_total(), 0, "EXPLAIN makes no call");
    let t = r[1].table();
    let last = t.rows.len() - 1;
    let num = |c: &str| -> f64 {
        let v = t.get(last, c).unwrap();
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .unwrap_or_else(|| panic!("{c}: {v:?}"))
    };
    let (est_in, est_out) = (num("est_prompt_tokens"), num("est_completion_tokens"));
    let (usd, batch) = (num("est_usd"), num("est_usd_batch"));
    assert!((usd - (est_in + 4.0 * est_out) / 1e6).abs() < 1e-4, "{usd}");
    assert!((batch - usd / 2.0).abs() < 1e-4, "{batch} vs {usd}");
    db.execute(&format!(
        "GENERATE GRAPH g FROM c USING BRUTE_FORCE {with};"
    ))
    .unwrap();
    let billed = server.shared.usage_in.load(Ordering::SeqCst) as f64;
    assert!(
        (est_in - billed).abs() <= 0.1 * billed,
        "estimate {est_in} vs billed {billed}"
    );
    assert!(est_out > 0.0);
}

/// `response_format = 'json_schema'` puts a strict schema per prompt kind
/// in every chat request whose reply is JSON (classification: exactly the
/// bracket numbers, each `+`/`-`/`0`); `text` sends none; the graph is the
/// same (replies are parsed as strictly either way).
#[test]
fn structured_outputs_carry_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());
    let plain = serve(&sg);
    let (g1, _) = run_cluster(
        &MemJournal::default(),
        &cat,
        &cluster(&plain, 4),
        &Ctx::default(),
    )
    .unwrap();
    let formats = plain.shared.formats.lock().unwrap().clone();
    assert!(!formats.is_empty() && formats.iter().all(|(_, f)| f.is_null()));

    let server = serve(&sg);
    let mut o = cluster(&server, 4);
    o.generate.response_format = valence_engine::generate::ResponseFormat::JsonSchema;
    let (g2, _) = run_cluster(&MemJournal::default(), &cat, &o, &Ctx::default()).unwrap();
    assert_eq!(edges(&g1), edges(&g2));
    let formats = server.shared.formats.lock().unwrap().clone();
    let mut kinds = std::collections::BTreeSet::new();
    for (kind, f) in &formats {
        kinds.insert(*kind);
        assert_eq!(f["type"], "json_schema", "{kind}: {f}");
        assert_eq!(f["json_schema"]["strict"], true);
        let s = &f["json_schema"]["schema"];
        let props = s["properties"].as_object().unwrap();
        match *kind {
            "classify" => {
                let n = props.len();
                let want: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
                assert_eq!(s["required"], serde_json::json!(want));
                assert_eq!(s["additionalProperties"], false);
                assert!(
                    props
                        .values()
                        .all(|p| p["enum"] == serde_json::json!(["+", "-", "0"]))
                );
            }
            "score" => assert!(
                props
                    .values()
                    .all(|p| p["type"] == serde_json::json!(["number", "null"]))
            ),
            "describe_batch" => assert!(props.values().all(|p| p["type"] == "string")),
            "label" => assert_eq!(
                s["required"],
                serde_json::json!(["label", "summary", "characteristics"])
            ),
            other => panic!("unexpected kind {other}"),
        }
    }
    assert!(
        kinds.contains("classify") && kinds.contains("score"),
        "{kinds:?}"
    );
}

/// CLUSTER's EXPLAIN estimates tokens and dollars per phase (of the upper
/// bound where the count is not exact) and in total, sync and batch; here
/// the total covers what the run is billed.
#[test]
fn cluster_explain_estimates_tokens_and_dollars() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, sg) = synth_mid(dir.path());
    let server = serve(&sg);
    let db = valence::Database::in_memory().unwrap();
    let with = format!(
        "WITH (backend = 'openai', base_url = '{}', model = 'm', embedding_model = 'e', \
         price_in = 1, price_out = 4)",
        server.base_url
    );
    let sql = format!(
        "LOAD CATALOGUE c FROM '{}'; EXPLAIN GENERATE GRAPH g FROM c USING CLUSTER {with};",
        dir.path().join("cat.csv").display()
    );
    let r = db.execute(&sql).unwrap();
    let t = r[1].table();
    let num = |row: usize, c: &str| -> f64 {
        let v = t.get(row, c).unwrap();
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .unwrap_or_else(|| panic!("{c}: {v:?}"))
    };
    let last = t.rows.len() - 1;
    let phases_in: f64 = (0..last).map(|r| num(r, "est_tokens_in")).sum();
    assert_eq!(phases_in, num(last, "est_tokens_in"));
    let (tin, tout) = (num(last, "est_tokens_in"), num(last, "est_tokens_out"));
    assert!((num(last, "est_usd") - (tin + 4.0 * tout) / 1e6).abs() < 1e-4);
    assert!((num(last, "est_usd_batch") - num(last, "est_usd") / 2.0).abs() < 1e-4);
    db.execute(&format!("GENERATE GRAPH g FROM c USING CLUSTER {with};"))
        .unwrap();
    let billed_in = server.shared.usage_in.load(Ordering::SeqCst) as f64;
    let billed_out = server.shared.usage_out.load(Ordering::SeqCst) as f64;
    assert!(
        billed_in <= tin && billed_out <= tout,
        "{billed_in}/{billed_out} vs {tin}/{tout}"
    );
}

/// CLUSTER's EXPLAIN projects the calls a run makes: within ±35% of the
/// calls actually made on the fixtures (oracle simulator), never above the
/// upper bound, equal to the count where the count is exact.
#[test]
fn cluster_explain_projection_is_within_35_percent_on_the_fixtures() {
    for fixture in ["small", "large"] {
        let db = valence::Database::in_memory().unwrap();
        let root = crate::common::root().join("fixtures").join(fixture);
        let with = format!("WITH (reference = '{}')", root.join("edges.csv").display());
        let r = db
            .execute(&format!(
                "LOAD CATALOGUE c FROM '{}'; EXPLAIN GENERATE GRAPH g FROM c USING CLUSTER {with};\
                 GENERATE GRAPH g FROM c USING CLUSTER {with};",
                root.join("catalogue.csv").display()
            ))
            .unwrap();
        let plan = r[1].table();
        let cell = |row: usize, c: &str| -> f64 {
            let v = plan.get(row, c).unwrap();
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(f64::NAN)
        };
        for row in 0..plan.rows.len() {
            assert!(
                cell(row, "projected") <= cell(row, "upper_bound"),
                "{fixture} row {row}"
            );
            let calls = cell(row, "calls");
            if calls.is_finite() {
                assert_eq!(cell(row, "projected"), calls, "{fixture} row {row}");
            }
        }
        let projected = cell(plan.rows.len() - 1, "projected");
        let made = r[2]
            .table()
            .get(0, "total_calls")
            .and_then(|v| v.as_i64())
            .unwrap() as f64;
        assert!(
            (projected - made).abs() <= 0.35 * made,
            "{fixture}: projected {projected}, made {made}"
        );
    }
}
