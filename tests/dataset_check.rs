//! An independent check of SAMPLE's output: every exported JSONL row is
//! re-read with a plain JSON parser and its edge fractions are recounted
//! naively from the edge CSV (no engine code, no bitmaps).

use std::collections::{HashMap, HashSet};

use valence::Database;

type Node = (String, String);
type Range = (f64, f64);

/// (modality, value) pairs → sign, straight from the CSV.
fn edges(path: &str) -> HashMap<(Node, Node), char> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let mut out = HashMap::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        let rel = &r[2];
        let (sm, tm) = rel.split_once("_to_").unwrap();
        let a = (sm.to_string(), r[0].to_string());
        let b = (tm.to_string(), r[1].to_string());
        let s = r[3].chars().next().unwrap();
        out.insert((a.clone(), b.clone()), s);
        out.insert((b, a), s);
    }
    out
}

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
    let signs = edges("fixtures/large/edges.csv");
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
        let (mut pairs, mut pos, mut neg) = (0, 0, 0);
        for a in 0..nodes.len() {
            for b in a + 1..nodes.len() {
                if nodes[a].0 == nodes[b].0 {
                    continue;
                }
                pairs += 1;
                match signs.get(&(nodes[a].clone(), nodes[b].clone())) {
                    Some('+') => pos += 1,
                    Some('-') => neg += 1,
                    _ => {}
                }
            }
        }
        let (pf, nf) = (pos as f64 / pairs as f64, neg as f64 / pairs as f64);
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
