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
