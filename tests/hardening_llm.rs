//! Issue 15, the provider's side: bounded waits (`max_wait_s`), bounded
//! replies (`max_reply_bytes`), failed batches never stored silently
//! (`allow_failed`), against the test server on 127.0.0.1.

use std::time::{Duration, Instant};

use valence::Database;

use crate::llm_server::{Fault, Node, TestServer};

fn n(m: &str, v: &str) -> Node {
    (m.to_string(), v.to_string())
}

/// brand {Nike, Rolex} × audience {Athletes, Gamers}: brand is primary, so
/// one call for Nike and one for Rolex, each with both audiences.
fn setup() -> (TestServer, Database, tempfile::TempDir) {
    let nodes = vec![
        n("brand", "Nike"),
        n("brand", "Rolex"),
        n("audience", "Athletes"),
        n("audience", "Gamers"),
    ];
    let edges = vec![
        (n("brand", "Nike"), n("audience", "Athletes"), '+'),
        (n("brand", "Rolex"), n("audience", "Gamers"), '-'),
    ];
    let server = TestServer::start(nodes, edges);
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat.csv");
    std::fs::write(
        &cat,
        "modality,value\nbrand,Nike\nbrand,Rolex\naudience,Athletes\naudience,Gamers\n",
    )
    .unwrap();
    let db = Database::in_memory().unwrap();
    db.execute(&format!("LOAD CATALOGUE c FROM '{}';", cat.display()))
        .unwrap();
    (server, db, dir)
}

fn generate(
    db: &Database,
    server: &TestServer,
    extra: &str,
) -> valence::Result<Vec<valence::QueryResult>> {
    db.execute(&format!(
        "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'openai', base_url = '{}', \
         model = 'test', retries = 1, backoff_ms = 10{extra});",
        server.base_url
    ))
}

fn journal_len(db: &Database) -> u64 {
    db.engine().store().journal_len().unwrap()
}

#[test]
fn a_huge_retry_after_fails_the_request_at_once_instead_of_stalling() {
    let (server, db, _dir) = setup();
    server.script_for(
        "Nike",
        vec![Fault::RateLimit(100_000), Fault::RateLimit(100_000)],
    );
    let t0 = Instant::now();
    let e = generate(&db, &server, "").unwrap_err().render("", ""); // message and hint
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    assert!(e.contains("1 request(s) failed"), "{e}");
    assert!(
        e.contains("Retry-After") && e.contains("max_wait_s = 120"),
        "{e}"
    );
    assert!(e.contains("re-run the same statement"), "{e}");
    // Not retried: one request for Nike, one for Rolex.
    assert_eq!(server.request_count(), 2);
    // Nothing stored; Rolex's answer is journaled for the re-run.
    assert_eq!(db.execute("SHOW GRAPHS;").unwrap()[0].table().rows.len(), 0);
    assert_eq!(journal_len(&db), 1);

    // allow_failed = true stores the partial graph, marked partial.
    let r = generate(&db, &server, ", allow_failed = true").unwrap();
    let t = r[0].table();
    assert_eq!(t.get(0, "failed_batches").and_then(|v| v.as_i64()), Some(1));
    assert_eq!(t.get(0, "calls_replayed").and_then(|v| v.as_i64()), Some(1));
    assert_eq!(server.request_count(), 3);
    let g = db.graph("g@1").unwrap();
    assert_eq!(g.edge_counts(), (0, 1), "only Rolex's answer is in it");
    let d = db.execute("DESCRIBE GRAPH g@1;").unwrap();
    let prov = d[0].tables.last().unwrap();
    let row = |k: &str| {
        (0..prov.rows.len())
            .find(|&i| prov.get(i, "property").and_then(|v| v.as_str()) == Some(k))
            .and_then(|i| {
                prov.get(i, "value")
                    .and_then(|v| v.as_str())
                    .map(String::from)
            })
    };
    assert!(
        row("summary").unwrap().contains("PARTIAL"),
        "{:?}",
        row("summary")
    );
    assert!(
        row("partial").unwrap().contains("\"unclassified_pairs\":2"),
        "{:?}",
        row("partial")
    );

    // The server recovers: a plain re-run calls only for Nike, stores a whole graph.
    let r = generate(&db, &server, "").unwrap();
    let t = r[0].table();
    assert_eq!(t.get(0, "calls_made").and_then(|v| v.as_i64()), Some(1));
    assert_eq!(server.request_count(), 4);
    assert_eq!(db.graph("g@2").unwrap().edge_counts(), (1, 1));
    let d = db.execute("DESCRIBE GRAPH g@2;").unwrap();
    let prov = d[0].tables.last().unwrap();
    assert!(
        (0..prov.rows.len())
            .all(|i| prov.get(i, "property").and_then(|v| v.as_str()) != Some("partial"))
    );
}

#[test]
fn a_short_retry_after_within_max_wait_is_honoured() {
    let (server, db, _dir) = setup();
    server.script_for("Nike", vec![Fault::RateLimit(1)]);
    let t0 = Instant::now();
    generate(&db, &server, ", max_wait_s = 5").unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(server.request_count(), 3);
    assert_eq!(db.graph("g").unwrap().edge_counts(), (1, 1));
}

#[test]
fn replies_over_max_reply_bytes_are_failed_attempts_never_journaled() {
    let (server, db, _dir) = setup();
    // Both attempts for Nike answer 2 MB (a correct answer padded with spaces).
    server.script_for("Nike", vec![Fault::Huge(2_000_000), Fault::Huge(2_000_000)]);
    let e = generate(&db, &server, "").unwrap_err().render("", ""); // message and hint
    assert!(e.contains("max_reply_bytes = 1048576"), "{e}");
    assert_eq!(
        server.request_count(),
        3,
        "first attempt + 1 retry for Nike, 1 for Rolex"
    );
    assert_eq!(journal_len(&db), 1, "only Rolex's reply is journaled");

    // Under the cap, the same padded answer is accepted.
    server.script_for("Nike", vec![Fault::Huge(500_000)]);
    generate(&db, &server, "").unwrap();
    assert_eq!(db.graph("g").unwrap().edge_counts(), (1, 1));
    // And a lower cap refuses it.
    server.script_for("Nike", vec![Fault::Huge(500_000), Fault::Huge(500_000)]);
    db.execute("DROP GRAPH g;").unwrap();
    let fresh = generate(
        &db,
        &server,
        ", max_reply_bytes = 100000, temperature = 0.5",
    )
    .unwrap_err()
    .to_string();
    assert!(fresh.contains("max_reply_bytes = 100000"), "{fresh}");
}

#[test]
fn secrets_in_base_url_are_never_stored_or_shown() {
    let (server, db, _dir) = setup();
    let port = server.base_url.trim_start_matches("http://127.0.0.1:");
    let url = format!("http://bob:hunter22@127.0.0.1:{port}?api_key=sk-live-777&x=1");
    db.execute(&format!(
        "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'openai', \
         base_url = '{url}', model = 'test');"
    ))
    .unwrap();
    assert_eq!(db.graph("g").unwrap().edge_counts(), (1, 1));
    let mut shown = String::new();
    for q in [
        "DESCRIBE GRAPH g;",
        "SHOW VERSIONS OF GRAPH g;",
        "SHOW GRAPHS;",
    ] {
        shown.push_str(&valence::render::render(
            &db.execute(q).unwrap()[0],
            valence::Mode::Json,
        ));
    }
    assert!(shown.contains("<redacted>@127.0.0.1"), "{shown}");
    assert!(
        !shown.contains("hunter22") && !shown.contains("sk-live-777"),
        "{shown}"
    );
    // An error that names the URL does not show them either.
    server.script(vec![Fault::Status(400); 4]);
    let stmt = format!(
        "GENERATE GRAPH h FROM c USING BRUTE_FORCE WITH (backend = 'openai', \
         base_url = '{url}', model = 'other');"
    );
    let err = db.execute(&stmt).unwrap_err();
    let e = err.to_string();
    assert!(e.contains("HTTP 400"), "{e}");
    assert!(!e.contains("hunter22") && !e.contains("sk-live-777"), "{e}");
    // Nor does the statement line the shell echoes above the caret.
    let shown = err.render(&stmt, "<command>");
    assert!(shown.contains("<command>:1:"), "{shown}");
    assert!(
        !shown.contains("hunter22") && !shown.contains("sk-live-777"),
        "{shown}"
    );
}

#[test]
fn malformed_base_urls_are_refused_up_front_even_by_explain() {
    let (_server, db, _dir) = setup();
    for (url, why) in [
        ("http://127.0.0.1:99999/v1", "invalid port number"),
        ("ftp://127.0.0.1/v1", "not http or https"),
        ("http://u:topsecret@[::1/v1", "not a usable URL"),
    ] {
        let e = db
            .execute(&format!(
                "EXPLAIN GENERATE GRAPH g FROM c USING BRUTE_FORCE \
                 WITH (backend = 'openai', base_url = '{url}', model = 'm');"
            ))
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{url}: {e}");
        assert!(!e.contains("topsecret"), "{e}");
    }
    // Upper-case schemes are fine.
    db.execute(
        "EXPLAIN GENERATE GRAPH g FROM c USING BRUTE_FORCE \
         WITH (backend = 'openai', base_url = 'HTTP://127.0.0.1:9/v1', model = 'm');",
    )
    .unwrap();
}
