//! An independent check of SAMPLE's output: every exported JSONL row is
//! re-read with a plain JSON parser and its edge fractions are recounted
//! naively from the edge CSV (no engine code, no bitmaps).

use std::collections::{HashMap, HashSet};

use valence::Database;

use crate::common::{Node, edge_signs, naive_fractions};

type Range = (f64, f64);

#[test]
fn every_exported_row_is_inside_its_box_and_types() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.jsonl");
    let db = Database::in_memory().unwrap();
    db.execute(&format!(
        "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/large/edges.csv' CATALOGUE c;
         SAMPLE 900 FROM g TYPES (brand [1,1], audience [2,4], platform [1,1], geo [1,2])
           LABEL pos COUNT 300 WHERE pos_frac IN [0.45, 1.0] AND neg_frac IN [0.0, 0.05]
           LABEL avg COUNT 300 WHERE pos_frac IN [0.25, 0.45] AND neg_frac IN [0.0, 0.1]
           LABEL neg COUNT 300 WHERE pos_frac IN [0.0, 0.3] AND neg_frac IN [0.1, 1.0]
           WITH (seed = 11)
           INTO d;
         EXPORT DATASET d TO '{}';",
        out.display()
    ))
    .unwrap();
    let signs = edge_signs("fixtures/large/edges.csv");
    let boxes: HashMap<&str, (Range, Range)> = [
        ("pos", ((0.45, 1.0), (0.0, 0.05))),
        ("avg", ((0.25, 0.45), (0.0, 0.1))),
        ("neg", ((0.0, 0.3), (0.1, 1.0))),
    ]
    .into_iter()
    .collect();
    let types: HashMap<&str, (usize, usize)> = [
        ("brand", (1, 1)),
        ("audience", (2, 4)),
        ("platform", (1, 1)),
        ("geo", (1, 2)),
    ]
    .into_iter()
    .collect();
    let text = std::fs::read_to_string(&out).unwrap();
    let mut seen = HashSet::new();
    let mut per_label: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let obj = v.as_object().unwrap();
        let label = obj["label"].as_str().unwrap().to_string();
        *per_label.entry(label.clone()).or_default() += 1;
        let mut nodes: Vec<(String, String)> = Vec::new();
        for (m, (lo, hi)) in &types {
            let vals = obj[*m].as_array().unwrap();
            assert!(
                (*lo..=*hi).contains(&vals.len()),
                "row {i}: {m} has {} values",
                vals.len()
            );
            nodes.extend(
                vals.iter()
                    .map(|x| (m.to_string(), x.as_str().unwrap().to_string())),
            );
        }
        assert_eq!(obj.len(), types.len() + 1, "row {i}: unexpected keys");
        let mut key = nodes.clone();
        key.sort();
        assert!(seen.insert(key), "row {i} repeats an earlier row");
        let (pf, nf) = naive_fractions(&nodes, &signs);
        let ((plo, phi), (nlo, nhi)) = boxes[label.as_str()];
        let eps = 1e-9;
        assert!(
            pf >= plo - eps && pf <= phi + eps && nf >= nlo - eps && nf <= nhi + eps,
            "row {i} ({label}): pos_frac {pf}, neg_frac {nf} outside its box"
        );
    }
    assert_eq!(per_label.len(), 3);
    assert!(per_label.values().all(|&n| n == 300), "{per_label:?}");
}

#[test]
fn same_seed_same_bytes_other_seed_other_rows() {
    let dir = tempfile::tempdir().unwrap();
    let run = |seed: u64, name: &str| {
        let db = Database::in_memory().unwrap();
        let path = dir.path().join(name);
        db.execute(&format!(
            "LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';
             IMPORT GRAPH g FROM 'fixtures/small/edges.csv' CATALOGUE c;
             SAMPLE 200 FROM g TYPES (brand [1,1], audience [1,3], geo [1,1], platform [1,1])
               LABEL pos COUNT 100 WHERE pos_frac IN [0.5, 1.0]
               LABEL neg COUNT 100 WHERE neg_frac IN [0.1, 1.0]
               WITH (seed = {seed}) INTO d;
             EXPORT DATASET d TO '{}';",
            path.display()
        ))
        .unwrap();
        std::fs::read(path).unwrap()
    };
    let a = run(5, "a.jsonl");
    let b = run(5, "b.jsonl");
    let c = run(6, "c.jsonl");
    assert_eq!(a, b);
    assert_ne!(a, c);
}

/// Every exported row's (label, pos_frac, neg_frac), recounted from the edge
/// CSV (no engine code). Also checks that `neg` rows hold a negative edge
/// when `neg_needs_edge`.
fn recount(
    jsonl: &std::path::Path,
    edges_csv: &str,
    modalities: &[&str],
) -> Vec<(String, f64, f64)> {
    let signs = edge_signs(edges_csv);
    let text = std::fs::read_to_string(jsonl).unwrap();
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let mut nodes: Vec<Node> = Vec::new();
            for m in modalities {
                for x in v[*m].as_array().unwrap() {
                    nodes.push((m.to_string(), x.as_str().unwrap().to_string()));
                }
            }
            let (pf, nf) = naive_fractions(&nodes, &signs);
            (v["label"].as_str().unwrap().to_string(), pf, nf)
        })
        .collect()
}

type Boxes = Vec<(String, Range, Range)>;

fn inside(b: &(String, Range, Range), x: f64, y: f64) -> bool {
    b.1.0 <= x && x <= b.1.1 && b.2.0 <= y && y <= b.2.1
}

/// Each row lies in its own label's box and in no other.
fn assert_disjoint_rows(rows: &[(String, f64, f64)], boxes: &Boxes, what: &str) {
    for (i, (label, x, y)) in rows.iter().enumerate() {
        let own = boxes.iter().find(|b| &b.0 == label).unwrap();
        assert!(
            inside(own, *x, *y),
            "{what}: row {i} ({label}) at ({x}, {y}) outside its box"
        );
        for b in boxes.iter().filter(|b| &b.0 != label) {
            assert!(
                !inside(b, *x, *y),
                "{what}: row {i} ({label}) at ({x}, {y}) also lies in {}'s box",
                b.0
            );
        }
    }
}

fn suggested(
    db: &Database,
    graph: &str,
    types: &[valence::TypeQuota],
    n: u64,
) -> (Boxes, Vec<String>) {
    let d = db.diagnose(graph, types, 4000, 7).unwrap();
    let boxes = d
        .suggested
        .iter()
        .map(|s| (s.name.clone(), s.pos, s.neg))
        .collect();
    let clauses = d
        .suggested
        .iter()
        .map(|s| valence_dsl::reports::label_clause(s, n))
        .collect();
    (boxes, clauses)
}

/// DIAGNOSE's boxes on small rows (fractions on a 1/6 or 1/9 lattice) are
/// pairwise disjoint, the `neg` box needs a negative edge, a SAMPLE made of
/// their clauses fills every row, and no recounted row lies in two boxes.
#[test]
fn suggested_boxes_on_small_rows_are_disjoint_and_fill() {
    use valence::TypeQuota;
    let dir = tempfile::tempdir().unwrap();
    let db = Database::in_memory().unwrap();
    db.execute(
        "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/large/edges.csv' CATALOGUE c;
         LOAD CATALOGUE s FROM 'fixtures/small/catalogue.csv';
         IMPORT GRAPH small FROM 'fixtures/small/edges.csv' CATALOGUE s;",
    )
    .unwrap();
    // The small graph has few distinct rows per box (~100 with pos_frac = 1
    // for brand + 1-2 audiences), hence the smaller counts.
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, u32, u32)>, u64);
    let cases: [Case; 4] = [
        (
            "g",
            "fixtures/large/edges.csv",
            vec![
                ("brand", 1, 1),
                ("audience", 1, 1),
                ("platform", 1, 1),
                ("geo", 1, 1),
            ],
            200,
        ),
        (
            "g",
            "fixtures/large/edges.csv",
            vec![
                ("brand", 1, 1),
                ("audience", 1, 2),
                ("platform", 1, 1),
                ("geo", 1, 1),
            ],
            200,
        ),
        (
            "small",
            "fixtures/small/edges.csv",
            vec![("brand", 1, 1), ("audience", 1, 2)],
            50,
        ),
        (
            "small",
            "fixtures/small/edges.csv",
            vec![("brand", 1, 1), ("audience", 1, 2), ("platform", 1, 1)],
            50,
        ),
    ];
    for (k, (graph, csv, t, n)) in cases.iter().enumerate() {
        let types: Vec<TypeQuota> = t.iter().map(|&(m, a, b)| TypeQuota::new(m, a, b)).collect();
        let (boxes, clauses) = suggested(&db, graph, &types, *n);
        let what = format!("{graph} {t:?}");
        for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                let (a, b) = (&boxes[i], &boxes[j]);
                let apart = a.1.1 < b.1.0 || b.1.1 < a.1.0 || a.2.1 < b.2.0 || b.2.1 < a.2.0;
                assert!(apart, "{what}: suggested boxes {a:?} and {b:?} overlap");
            }
        }
        assert!(
            boxes[2].2.0 > 0.0,
            "{what}: the neg box {:?} allows no negative edge",
            boxes[2]
        );
        let ty: Vec<String> = t.iter().map(|(m, a, b)| format!("{m} [{a},{b}]")).collect();
        let out = dir.path().join(format!("s{k}.jsonl"));
        db.execute(&format!(
            "SAMPLE {} FROM {graph} TYPES ({}) {} WITH (seed = 3) INTO d{k};
             EXPORT DATASET d{k} TO '{}';",
            3 * n,
            ty.join(", "),
            clauses.join(" "),
            out.display()
        ))
        .unwrap();
        let mods: Vec<&str> = t.iter().map(|x| x.0).collect();
        let rows = recount(&out, csv, &mods);
        assert_eq!(rows.len() as u64, 3 * n, "{what}");
        for (name, ..) in &boxes {
            assert_eq!(
                rows.iter().filter(|r| &r.0 == name).count() as u64,
                *n,
                "{what} {name}"
            );
        }
        assert_disjoint_rows(&rows, &boxes, &what);
        assert!(
            rows.iter().filter(|r| r.0 == "neg").all(|r| r.2 > 0.0),
            "{what}"
        );
    }
}

/// Hand-written overlapping boxes: each label's rows come from its part
/// outside the others; the stored order is not grouped by label.
#[test]
fn overlapping_user_boxes_give_rows_in_one_box_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let db = Database::in_memory().unwrap();
    let results = db
        .execute(&format!(
            "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/large/edges.csv' CATALOGUE c;
         SAMPLE 900 FROM g TYPES (brand [1,1], audience [1,2], platform [1,1], geo [1,1])
           LABEL pos COUNT 300 WHERE pos_frac IN [0.2, 1.0] AND neg_frac IN [0.0, 0.3]
           LABEL avg COUNT 300 WHERE pos_frac IN [0.1, 0.5] AND neg_frac IN [0.1, 0.5]
           LABEL neg COUNT 300 WHERE pos_frac IN [0.0, 0.2] AND neg_frac IN [0.2, 1.0]
           WITH (seed = 4) INTO d;
         EXPORT DATASET d TO '{}';",
            out.display()
        ))
        .unwrap();
    let boxes: Boxes = vec![
        ("pos".into(), (0.2, 1.0), (0.0, 0.3)),
        ("avg".into(), (0.1, 0.5), (0.1, 0.5)),
        ("neg".into(), (0.0, 0.2), (0.2, 1.0)),
    ];
    let rows = recount(
        &out,
        "fixtures/large/edges.csv",
        &["brand", "audience", "platform", "geo"],
    );
    assert_eq!(rows.len(), 900);
    assert_disjoint_rows(&rows, &boxes, "README boxes");
    let changes = rows.windows(2).filter(|w| w[0].0 != w[1].0).count();
    assert!(
        changes > 450,
        "rows look grouped by label: {changes} label changes"
    );

    // The quality section agrees with figures recounted from the file.
    let quality = &results[2].tables[2];
    let figure = |k: &str| -> String {
        let r = quality
            .rows
            .iter()
            .find(|r| r[0].as_str() == Some(k))
            .unwrap_or_else(|| panic!("no quality figure {k}"));
        r[1].as_str().unwrap().to_string()
    };
    assert_eq!(figure("rows in 2+ boxes"), "0.0000");
    assert_eq!(figure("duplicates"), "0");
    for b in &boxes {
        let own: Vec<_> = rows.iter().filter(|r| r.0 == b.0).collect();
        let near = |v: f64, e: f64| e > 0.0 && e < 1.0 && (v - e).abs() <= 0.01 + 1e-12;
        let hug = own
            .iter()
            .filter(|r| {
                near(r.1, b.1.0) || near(r.1, b.1.1) || near(r.2, b.2.0) || near(r.2, b.2.1)
            })
            .count();
        let share = format!("{:.4}", hug as f64 / own.len() as f64);
        assert_eq!(figure(&format!("edge hug {}", b.0)), share, "{}", b.0);
    }
    let text = std::fs::read_to_string(&out).unwrap();
    for (m, total) in [
        ("brand", 60),
        ("audience", 60),
        ("platform", 10),
        ("geo", 30),
    ] {
        let used: HashSet<String> = text
            .lines()
            .flat_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v[m].as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        let shown = figure(&format!("coverage {m}"));
        assert!(
            shown.starts_with(&format!("{} of {total} nodes unused", total - used.len())),
            "{m}: {shown} but {} used",
            used.len()
        );
    }
}

/// A label whose every reachable fraction lies in another label's box: one
/// error naming both labels and the overlap, and nothing stored.
#[test]
fn an_overlap_that_leaves_no_room_is_an_error_and_stores_nothing() {
    let db = Database::in_memory().unwrap();
    db.execute(
        "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/large/edges.csv' CATALOGUE c;",
    )
    .unwrap();
    // 4-node rows: fractions are multiples of 1/6, so [0.34, 0.49] holds
    // none that [0.3, 0.5] does not.
    let err = db
        .execute(
            "SAMPLE 20 FROM g TYPES (brand [1,1], audience [1,1], platform [1,1], geo [1,1])
               LABEL wide COUNT 10 WHERE pos_frac IN [0.3, 0.5]
               LABEL narrow COUNT 10 WHERE pos_frac IN [0.2, 0.49]
               INTO d;",
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("label 'narrow' has no room outside label 'wide'"),
        "{err}"
    );
    assert!(err.contains("pos_frac IN [0.3, 0.49]"), "{err}");
    assert!(err.contains("disjoint"), "{err}");
    assert!(db.dataset("d").is_err());
    let shown = db.execute("SHOW DATASETS;").unwrap();
    assert_eq!(shown[0].table().rows.len(), 0);
}
