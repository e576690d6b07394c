//! SELECT over the virtual tables on the 746-node fixture (77k edges, so
//! 154k `neighbours` rows): a full scan with GROUP BY, point lookups in
//! `nodes` and `pairs`, and a streaming LIMIT.
//!
//! `cargo bench --bench select -- --measurement-time 3 --warm-up-time 1`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use valence::Database;

fn db() -> Database {
    let db = Database::in_memory().expect("in-memory database");
    db.execute(
        "LOAD CATALOGUE c FROM 'fixtures/real746/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/real746/edges.csv' CATALOGUE c;
         SAMPLE 200 FROM g TYPES (brand [1,1], geo [1,2], platform [1,1], device [1,1])
           WHERE pos_frac IN [0.0, 1.0] WITH (seed = 1) INTO ds;",
    )
    .expect("fixture loads");
    db
}

fn select(c: &mut Criterion) {
    let db = db();
    let n = db.query("SELECT COUNT(*) FROM neighbours(g)").unwrap();
    assert_eq!(n.rows[0][0], valence::Value::Int(2 * (36_417 + 40_628)));
    let mut group = c.benchmark_group("select_746");
    let cases = [
        (
            "neighbours_full_scan_group_by",
            "SELECT modality, sign, COUNT(*) AS n FROM neighbours(g) GROUP BY modality, sign",
        ),
        (
            "neighbours_one_node",
            "SELECT other, sign FROM neighbours(g) WHERE value = 'Dior'",
        ),
        (
            "nodes_lookup",
            "SELECT * FROM nodes(g) WHERE value = 'Dior'",
        ),
        ("pairs_lookup", "SELECT * FROM pairs(ds, 17)"),
        ("edges_limit_10", "SELECT * FROM edges(g) LIMIT 10"),
    ];
    for (name, sql) in cases {
        group.bench_function(name, |b| {
            b.iter(|| black_box(db.query(black_box(sql)).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, select);
criterion_main!(benches);
