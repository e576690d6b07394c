//! The embedded API: typed calls and scripts share one store.

use valence::{Database, Sign};

#[test]
fn typed_calls_and_scripts_share_the_store() {
    let db = Database::in_memory().unwrap();
    assert_eq!(
        db.load_catalogue("tiny", "tests/data/tiny_catalogue.csv")
            .unwrap(),
        1
    );
    assert_eq!(
        db.import_graph("g", "tests/data/tiny_edges.csv", Some("tiny"))
            .unwrap(),
        1
    );
    let g = db.graph("g@1").unwrap();
    let nike = g.find("brand", "Nike").unwrap();
    let ath = g.find("audience", "Athletes").unwrap();
    let tiktok = g.find("platform", "TikTok").unwrap();
    assert_eq!(g.sign(nike, ath), Some(Sign::Pos));
    let f = g.edge_fractions(&[nike, ath, tiktok]);
    // Pairs: nike-ath (+), nike-tiktok (none), ath-tiktok (+).
    assert_eq!((f.pairs, f.pos_edges, f.neg_edges), (3, 2, 0));
    let r = db.execute("SHOW GRAPHS; SHOW CATALOGUES;").unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0].table().get(0, "name").and_then(|v| v.as_str()),
        Some("g")
    );
    assert_eq!(
        r[1].table().get(0, "version").and_then(|v| v.as_i64()),
        Some(1)
    );
}

#[test]
fn a_failing_statement_stops_the_script_after_earlier_ones_ran() {
    let db = Database::in_memory().unwrap();
    let err = db
        .execute(
            "LOAD CATALOGUE tiny FROM 'tests/data/tiny_catalogue.csv';\n\
             IMPORT GRAPH g FROM 'tests/data/conflict_edges.csv';\n\
             LOAD CATALOGUE never FROM 'tests/data/tiny_catalogue.csv';",
        )
        .unwrap_err();
    assert!(err.to_string().contains("conflicting signs"), "{err}");
    let r = db.execute("SHOW CATALOGUES; SHOW GRAPHS;").unwrap();
    assert_eq!(r[0].table().rows.len(), 1);
    assert_eq!(r[1].table().rows.len(), 0);
}

#[test]
fn file_database_persists_and_is_locked_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.vdb");
    {
        let db = Database::open(&path).unwrap();
        db.load_catalogue("tiny", "tests/data/tiny_catalogue.csv")
            .unwrap();
        db.import_graph("g", "tests/data/tiny_edges.csv", Some("tiny"))
            .unwrap();
    }
    let db = Database::open(&path).unwrap();
    let g = db.graph("g").unwrap();
    assert_eq!(g.edge_counts(), (2, 2));
    assert_eq!(db.catalogue("tiny").unwrap().attributes().len(), 5);
}

#[test]
fn typed_diagnose_and_sample() {
    use valence::{SampleOptions, SampleSpec, TypeQuota};
    let db = Database::in_memory().unwrap();
    db.load_catalogue("c", "fixtures/small/catalogue.csv")
        .unwrap();
    db.import_graph("g", "fixtures/small/edges.csv", Some("c"))
        .unwrap();
    let types = vec![
        TypeQuota::new("brand", 1, 1),
        TypeQuota::new("audience", 1, 2),
        TypeQuota::new("platform", 1, 1),
    ];
    let d = db.diagnose("g", &types, 2000, 1).unwrap();
    assert_eq!(d.samples, 2000);
    assert!(d.pos.p5 <= d.pos.p50 && d.pos.p50 <= d.pos.p95);
    // The suggested boxes fill completely.
    let spec = SampleSpec {
        total: 150,
        types: types.clone(),
        labels: d.suggested.iter().map(|s| s.to_label(50)).collect(),
        favour: vec![],
        avoid: vec![],
        options: SampleOptions {
            seed: 3,
            ..SampleOptions::default()
        },
    };
    let (v, report) = db.sample("g", &spec, "ds").unwrap();
    assert_eq!(v, 1);
    assert!(
        report.labels.iter().all(|l| l.in_range_rate == 1.0),
        "{report:?}"
    );
    let ds = db.dataset("ds@1").unwrap();
    assert_eq!(ds.len(), 150);
    for row in ds.rows() {
        let f = row.fractions();
        let s = spec.labels.iter().find(|l| l.name == row.label()).unwrap();
        assert!(f.pos >= s.pos.0 - 1e-9 && f.pos <= s.pos.1 + 1e-9);
        assert!(f.neg >= s.neg.0 - 1e-9 && f.neg <= s.neg.1 + 1e-9);
    }
}

// ---- errors: kind, source, one-line Display, hint -------------------------

#[test]
fn io_errors_are_kind_io_with_the_io_error_as_source() {
    use std::error::Error as _;
    let db = Database::in_memory().unwrap();
    let err = db
        .execute("SHOW GRAPHS;\nLOAD CATALOGUE c FROM 'tests/data/nope.csv';")
        .unwrap_err();
    assert_eq!(err.kind(), valence::ErrorKind::Io);
    let io = err
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(
        io.map(std::io::Error::kind),
        Some(std::io::ErrorKind::NotFound)
    );
    // One line, with the place of the path in the script.
    assert!(!err.to_string().contains('\n'), "{err}");
    assert_eq!(err.position(), Some((2, 23)));
}

#[test]
fn storage_errors_keep_redbs_error_as_source() {
    use std::error::Error as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not_a_db.vdb");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = match Database::open(&path) {
        Err(e) => e,
        Ok(_) => panic!("a file of x's opened as a database"),
    };
    assert_eq!(err.kind(), valence::ErrorKind::Storage);
    assert!(
        err.to_string().contains("is not a valence database"),
        "{err}"
    );
    assert!(!err.to_string().contains('\n'), "{err}");
    assert!(err.hint().unwrap().contains("give a new file name"));
    let src = err.source().expect("a source");
    assert!(
        src.downcast_ref::<redb::DatabaseError>().is_some(),
        "{src:?}"
    );
}

#[test]
fn http_errors_keep_reqwests_error_as_source() {
    use std::error::Error as _;
    // The variables come from a map, not the process environment (shared
    // by every test thread).
    let env = |k: &str| (k == "HTTPS_PROXY").then(|| "http://[::1".to_string());
    let e = valence_engine::llm::OpenAiBackend::with_env(
        Some("https://api.example.invalid/v1"),
        "m",
        0.0,
        &env,
    )
    .unwrap_err();
    let err = valence::Error::from(e);
    assert_eq!(err.kind(), valence::ErrorKind::Http);
    let src = err.source().expect("a source");
    assert!(src.downcast_ref::<reqwest::Error>().is_some(), "{src:?}");
}

#[test]
fn an_unreachable_endpoint_stops_generate_with_reqwests_error_as_source() {
    use std::error::Error as _;
    // Nothing listens on port 1: every batch fails to connect, and the run
    // stops after the first 3 (the breaker), keeping the last transport
    // error.
    let db = Database::in_memory().unwrap();
    let err = db
        .execute(
            "LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';
             GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'openai',
               base_url = 'http://127.0.0.1:1/v1', model = 'm', retries = 0, workers = 1);",
        )
        .unwrap_err();
    assert_eq!(err.kind(), valence::ErrorKind::Http, "{err}");
    assert!(err.to_string().contains("none succeeded"), "{err}");
    assert!(!err.to_string().contains('\n'), "{err}");
    assert_eq!(err.position(), Some((2, 14)));
    let src = err.source().expect("a source");
    let re = src
        .downcast_ref::<reqwest::Error>()
        .expect("reqwest's error");
    assert!(re.is_connect(), "{re:?}");
    assert!(db.graph("g").is_err());
}

#[test]
fn kinds_are_matchable_and_hints_are_apart_from_the_message() {
    use valence::ErrorKind;
    let db = Database::in_memory().unwrap();
    let kind_of = |s: &str| db.execute(s).unwrap_err().kind();
    assert_eq!(kind_of("SHOW GRAPHZ;"), ErrorKind::Syntax);
    assert_eq!(kind_of("DESCRIBE GRAPH nope;"), ErrorKind::NotFound);
    let err = db
        .execute("LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';\nGENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (batch_sise = 3);")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Statement);
    let msg = err.to_string();
    assert!(
        !msg.contains('\n') && !msg.contains("did you mean"),
        "{msg}"
    );
    assert!(err.hint().unwrap().contains("did you mean `batch_size`"));
    // The caret rendering the shell prints.
    let r = err.render(
        "LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';\nGENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (batch_sise = 3);",
        "app.vql",
    );
    assert!(r.contains("--> app.vql:2:49"), "{r}");
}

// ---- parameters -------------------------------------------------------------

#[test]
fn parameters_keep_quotes_and_semicolons_out_of_the_statement() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("it's; DROP GRAPH g; --.csv");
    std::fs::copy("fixtures/small/catalogue.csv", &cat).unwrap();
    let edges = dir.path().join("o'brien edges.csv");
    std::fs::copy("fixtures/small/edges.csv", &edges).unwrap();
    let out = dir.path().join("out 'quoted'.jsonl");
    let db = Database::in_memory().unwrap();
    let r = db
        .execute_with_params(
            "LOAD CATALOGUE c FROM ?; IMPORT GRAPH g FROM ? CATALOGUE c;",
            &[&cat, &edges],
        )
        .unwrap();
    assert_eq!(r.len(), 2);
    // Numbers, bounds, option values and the TO path are parameters too.
    db.execute_with_params(
        "SAMPLE ? FROM g TYPES (brand [1,1], audience [1,2]) \
         WHERE pos_frac IN [?, ?] WITH (seed = ?) INTO d; \
         EXPORT DATASET d TO ?;",
        &[
            valence::Param::from(20i64),
            valence::Param::from(0.0),
            valence::Param::from(1.0),
            valence::Param::from(7i64),
            valence::Param::from(out.to_str().unwrap()),
        ],
    )
    .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 20);
    // The manifest shows the statement with its values, quoted.
    let m = db
        .engine()
        .manifest(valence::Kind::Catalogue, &valence::ObjRef::from("c"))
        .unwrap()
        .1;
    assert!(
        m.statement.contains("it''s; DROP GRAPH g; --.csv'"),
        "{}",
        m.statement
    );
    // The graph read through the quoted path is the fixture's.
    db.import_graph("direct", "fixtures/small/edges.csv", Some("c"))
        .unwrap();
    assert_eq!(
        db.graph("g").unwrap().edge_counts(),
        db.graph("direct").unwrap().edge_counts()
    );
}

#[test]
fn a_parameter_count_mismatch_runs_nothing() {
    let db = Database::in_memory().unwrap();
    let err = db
        .execute_with_params(
            "LOAD CATALOGUE c FROM ?; LOAD CATALOGUE d FROM ?;",
            &["fixtures/small/catalogue.csv"],
        )
        .unwrap_err();
    assert_eq!(err.kind(), valence::ErrorKind::Statement);
    assert!(
        err.to_string()
            .contains("2 `?` placeholders but 1 parameter was given"),
        "{err}"
    );
    assert_eq!(err.position(), Some((1, 48)));
    assert!(db.catalogue("c").is_err(), "the first statement ran");
    // A `?` inside quotes is text; without parameters a bare `?` is an error.
    let err = db.execute("LOAD CATALOGUE c FROM ?;").unwrap_err();
    assert!(
        err.to_string()
            .contains("1 `?` placeholder but 0 parameters")
    );
    // A wrong type where a number is needed.
    let err = db
        .execute_with_params(
            "SAMPLE ? FROM g TYPES (a [1,1]) WHERE pos_frac IN [0, 1] INTO d;",
            &["many"],
        )
        .unwrap_err();
    assert!(err.to_string().contains("takes a whole number"), "{err}");
}

// ---- typed calls ------------------------------------------------------------

#[test]
fn typed_generate_compare_and_drop() {
    use valence::{ClusterOptions, GenerateOptions, Kind};
    let db = Database::in_memory().unwrap();
    db.load_catalogue("c", "fixtures/small/catalogue.csv")
        .unwrap();
    db.import_graph("ref", "fixtures/small/edges.csv", Some("c"))
        .unwrap();
    let opts = GenerateOptions {
        reference: Some("fixtures/small/edges.csv".into()),
        ..GenerateOptions::default()
    };
    let (v, report) = db.generate_brute_force("g", "c", &opts).unwrap();
    assert_eq!((v, report.calls_made), (1, 27));
    let cl = ClusterOptions {
        generate: opts.clone(),
        ..ClusterOptions::default()
    };
    let (v, _) = db.generate_cluster("gc", "c", &cl).unwrap();
    assert_eq!(v, 1);
    // The oracle answers from ref: the brute-force graph is ref.
    let cmp = db.compare_graphs("g", "ref").unwrap();
    assert_eq!(cmp.total.mismatch, 0);
    assert_eq!(cmp.total.sign_agreement(), Some(1.0));
    assert_eq!(
        cmp.total.edges_a,
        db.graph("ref").unwrap().edge_counts().0 + db.graph("ref").unwrap().edge_counts().1
    );
    // Without a reference the oracle cannot run: an error, nothing stored.
    let err = db
        .generate_brute_force("bad", "c", &GenerateOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("reference"), "{err}");
    assert_eq!(db.drop_object(Kind::Graph, "g", false).unwrap(), 1);
    assert_eq!(db.drop_object(Kind::Graph, "g", true).unwrap(), 0);
    let err = db.drop_object(Kind::Graph, "g", false).unwrap_err();
    assert_eq!(err.kind(), valence::ErrorKind::NotFound);
    assert!(db.graph("gc").is_ok());
}

// ---- one file, one process ---------------------------------------------------

#[test]
fn opening_a_file_twice_shares_the_handle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.vdb");
    let a = Database::open(&path).unwrap();
    // Another spelling of the same file.
    let b = Database::open(dir.path().join(".").join("shared.vdb")).unwrap();
    a.load_catalogue("c", "fixtures/small/catalogue.csv")
        .unwrap();
    assert_eq!(b.catalogue("c").unwrap().attributes().len(), 27);
    // The engine itself says "in this process", not "another process".
    let err = match valence::Engine::open(&path) {
        Err(e) => valence::Error::from(e),
        Ok(_) => panic!("a second engine on one file"),
    };
    assert_eq!(err.kind(), valence::ErrorKind::AlreadyOpen);
    assert!(
        err.to_string().contains("already open in this process"),
        "{err}"
    );
    assert!(!err.to_string().contains("another process"), "{err}");
    // When every handle is gone, the file opens again.
    drop((a, b));
    let c = Database::open(&path).unwrap();
    assert!(c.catalogue("c").is_ok());
}

#[test]
fn dataset_get_is_checked() {
    let db = Database::in_memory().unwrap();
    db.execute(
        "LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/small/edges.csv' CATALOGUE c;
         SAMPLE 5 FROM g TYPES (brand [1,1], audience [1,1]) WHERE pos_frac IN [0, 1] INTO d;",
    )
    .unwrap();
    let ds = db.dataset("d").unwrap();
    assert_eq!(ds.len(), 5);
    assert!(ds.get(4).is_some());
    assert_eq!(
        ds.get(4).map(|r| r.label().to_string()),
        Some("default".into())
    );
    assert!(ds.get(5).is_none());
    assert!(ds.get(usize::MAX).is_none());
}
