//! An independent check of SELECT: each answer is recomputed naively from
//! the edge CSV, the catalogue CSV and an exported JSONL dataset (plain
//! `csv` / `serde_json`, no engine code) and compared with the query's.

use std::collections::{BTreeMap, HashMap};

use valence::{Database, Table, Value};

/// The CSV's edges: (value, value) both ways → sign, and value → modality
/// (from `rel`; a value belongs to one modality in every fixture).
struct Csv {
    sign: HashMap<(String, String), String>,
    modality: HashMap<String, String>,
    edges: Vec<(String, String, String)>,
}

fn read_csv(path: &str) -> Csv {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let mut c = Csv {
        sign: HashMap::new(),
        modality: HashMap::new(),
        edges: Vec::new(),
    };
    for rec in rdr.records() {
        let r = rec.unwrap();
        let (sm, tm) = r[2].split_once("_to_").unwrap();
        let (a, b, s) = (r[0].to_string(), r[1].to_string(), r[3].to_string());
        c.modality.insert(a.clone(), sm.to_string());
        c.modality.insert(b.clone(), tm.to_string());
        c.sign.insert((a.clone(), b.clone()), s.clone());
        c.sign.insert((b.clone(), a.clone()), s.clone());
        c.edges.push((a, b, s));
    }
    c
}

/// Modalities in catalogue order (first appearance in the catalogue CSV).
fn catalogue_order(path: &str) -> Vec<String> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let mut out: Vec<String> = Vec::new();
    for rec in rdr.records() {
        let m = rec.unwrap()[0].to_string();
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        other => other.display(),
    }
}

fn rows_of(t: &Table) -> Vec<Vec<String>> {
    t.rows
        .iter()
        .map(|r| r.iter().map(text).collect())
        .collect()
}

fn real746() -> (Database, Csv, Vec<String>) {
    let db = Database::in_memory().unwrap();
    db.execute(
        "LOAD CATALOGUE c FROM 'fixtures/real746/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/real746/edges.csv' CATALOGUE c;",
    )
    .unwrap();
    (
        db,
        read_csv("fixtures/real746/edges.csv"),
        catalogue_order("fixtures/real746/catalogue.csv"),
    )
}

#[test]
fn graph_answers_match_a_naive_recount_of_the_edge_csv() {
    let (db, csv, order) = real746();

    // 1. One node's negative neighbours in one modality (parameters bound to `?`).
    let (node, other_m) = ("Dior", "geo");
    let mut want: Vec<String> = csv
        .edges
        .iter()
        .filter(|(_, _, s)| s == "-")
        .filter_map(|(a, b, _)| {
            let other = if a == node {
                b
            } else if b == node {
                a
            } else {
                return None;
            };
            (csv.modality[other] == other_m).then(|| other.clone())
        })
        .collect();
    want.sort();
    let t = db
        .query_with_params(
            "SELECT other FROM neighbours(g) WHERE value = ? AND sign = '-' AND other_modality = ? ORDER BY other",
            &[node, other_m],
        )
        .unwrap();
    let got: Vec<String> = rows_of(&t).into_iter().map(|r| r[0].clone()).collect();
    assert!(
        !want.is_empty(),
        "the check needs a node with negative geo edges"
    );
    assert_eq!(got, want);

    // 2. Edge counts per (modality pair in catalogue order, sign).
    let rank = |m: &str| order.iter().position(|x| x == m).unwrap();
    let mut counts: BTreeMap<(usize, usize, String), u64> = BTreeMap::new();
    for (a, b, s) in &csv.edges {
        let (ra, rb) = (rank(&csv.modality[a]), rank(&csv.modality[b]));
        *counts
            .entry((ra.min(rb), ra.max(rb), s.clone()))
            .or_default() += 1;
    }
    let t = db
        .query(
            "SELECT source_modality, target_modality, sign, COUNT(*) AS n FROM edges(g)
             GROUP BY source_modality, target_modality, sign",
        )
        .unwrap();
    let mut got: BTreeMap<(usize, usize, String), u64> = BTreeMap::new();
    for r in rows_of(&t) {
        let key = (rank(&r[0]), rank(&r[1]), r[2].clone());
        assert!(key.0 <= key.1, "not in catalogue order: {r:?}");
        assert!(
            got.insert(key, r[3].parse().unwrap()).is_none(),
            "group twice: {r:?}"
        );
    }
    assert_eq!(got, counts);

    // 3. The top 5 brands by negative degree (ties by value).
    let mut neg: HashMap<&str, u64> = HashMap::new();
    for (a, b, s) in &csv.edges {
        if s == "-" {
            *neg.entry(a).or_default() += 1;
            *neg.entry(b).or_default() += 1;
        }
    }
    let mut top: Vec<(String, u64)> = neg
        .into_iter()
        .filter(|(v, _)| csv.modality[*v] == "brand")
        .map(|(v, n)| (v.to_string(), n))
        .collect();
    top.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    top.truncate(5);
    let t = db
        .query(
            "SELECT value, neg_degree FROM nodes(g) WHERE modality = 'brand'
             ORDER BY neg_degree DESC, value LIMIT 5",
        )
        .unwrap();
    let got: Vec<(String, u64)> = rows_of(&t)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, top);
}

/// Candidate pairs of one JSONL row with their signs ("" when no edge).
fn naive_pairs(row: &serde_json::Value, mods: &[String], csv: &Csv) -> Vec<[String; 5]> {
    let nodes: Vec<(String, String)> = mods
        .iter()
        .flat_map(|m| {
            row[m.as_str()]
                .as_array()
                .unwrap()
                .iter()
                .map(move |v| (m.clone(), v.as_str().unwrap().to_string()))
        })
        .collect();
    let mut out = Vec::new();
    for (i, (am, a)) in nodes.iter().enumerate() {
        for (bm, b) in &nodes[i + 1..] {
            if am != bm {
                let s = csv
                    .sign
                    .get(&(a.clone(), b.clone()))
                    .cloned()
                    .unwrap_or_default();
                out.push([am.clone(), a.clone(), bm.clone(), b.clone(), s]);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn dataset_answers_match_a_naive_recount_of_the_exported_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds.jsonl");
    let db = Database::in_memory().unwrap();
    db.execute(
        "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/large/edges.csv' CATALOGUE c;
         SAMPLE 300 FROM g TYPES (brand [1,1], audience [2,4], platform [1,1], geo [1,2])
           LABEL pos COUNT 100 WHERE pos_frac IN [0.45, 1.0] AND neg_frac IN [0.0, 0.05]
           LABEL avg COUNT 100 WHERE pos_frac IN [0.25, 0.45] AND neg_frac IN [0.0, 0.1]
           LABEL neg COUNT 100 WHERE pos_frac IN [0.0, 0.3] AND neg_frac IN [0.1, 1.0]
           WITH (seed = 11, noise = 0.05) INTO ds;",
    )
    .unwrap();
    db.execute_with_params("EXPORT DATASET ds TO ?;", &[&out])
        .unwrap();
    let csv = read_csv("fixtures/large/edges.csv");
    let mods: Vec<String> = ["brand", "audience", "platform", "geo"]
        .map(String::from)
        .to_vec();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 300);

    // 4. Mean pos/neg fractions per (carried) label.
    let mut sums: BTreeMap<String, (f64, f64, u64)> = BTreeMap::new();
    for row in &lines {
        let pairs = naive_pairs(row, &mods, &csv);
        let n = pairs.len() as f64;
        let pos = pairs.iter().filter(|p| p[4] == "+").count() as f64 / n;
        let neg = pairs.iter().filter(|p| p[4] == "-").count() as f64 / n;
        let e = sums
            .entry(row["label"].as_str().unwrap().to_string())
            .or_default();
        *e = (e.0 + pos, e.1 + neg, e.2 + 1);
    }
    let t = db
        .query("SELECT label, AVG(pos_frac) AS pos, AVG(neg_frac) AS neg, COUNT(*) AS n FROM rows(ds) GROUP BY label ORDER BY label")
        .unwrap();
    assert_eq!(t.rows.len(), sums.len());
    for (r, (label, (p, n, c))) in t.rows.iter().zip(&sums) {
        assert_eq!(text(&r[0]), *label);
        assert_eq!(r[3], Value::Int(*c as i64));
        let (gp, gn) = (r[1].as_f64().unwrap(), r[2].as_f64().unwrap());
        assert!(
            (gp - p / *c as f64).abs() < 1e-9,
            "{label}: pos {gp} vs {}",
            p / *c as f64
        );
        assert!(
            (gn - n / *c as f64).abs() < 1e-9,
            "{label}: neg {gn} vs {}",
            n / *c as f64
        );
    }

    // 5. Rows' pairs and signs: pairs(ds, k) is line k + 1 of the JSONL.
    for k in [0usize, 7, 299] {
        let want = naive_pairs(&lines[k], &mods, &csv);
        let t = db
            .query_with_params("SELECT * FROM pairs(ds, ?)", &[k as i64])
            .unwrap();
        assert_eq!(t.columns, ["a_modality", "a", "b_modality", "b", "sign"]);
        let mut got: Vec<[String; 5]> = rows_of(&t)
            .into_iter()
            .map(|r| {
                [
                    r[0].clone(),
                    r[1].clone(),
                    r[2].clone(),
                    r[3].clone(),
                    r[4].clone(),
                ]
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "row {k}");
        // The row's own list columns agree with the JSONL line.
        let t = db
            .query_with_params(
                "SELECT label, audience FROM rows(ds) WHERE row = ?",
                &[k as i64],
            )
            .unwrap();
        assert_eq!(text(&t.rows[0][0]), lines[k]["label"].as_str().unwrap());
        let aud: Vec<&str> = lines[k]["audience"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(text(&t.rows[0][1]), aud.join(", "));
    }
}

#[test]
fn query_refuses_anything_but_one_select_and_never_writes() {
    let (db, _, _) = real746();
    let e = db.query("SHOW GRAPHS").unwrap_err();
    assert!(
        e.to_string().contains("query() runs SELECT, not SHOW"),
        "{e}"
    );
    let e = db
        .query("SELECT * FROM nodes(g); SELECT * FROM nodes(g)")
        .unwrap_err();
    assert!(e.to_string().contains("not 2 statements"), "{e}");
    // `?` inside SELECT through the script API too.
    let r = db
        .execute_with_params(
            "SELECT degree FROM nodes(g) WHERE value = ? AND degree > ?;",
            &[valence::Param::Str("Dior".into()), valence::Param::Int(0)],
        )
        .unwrap();
    assert_eq!(r[0].table().rows.len(), 1);
    // A SELECT leaves the store as it was: same versions, no new object.
    let before = db
        .execute("SHOW GRAPHS; SHOW CATALOGUES; SHOW DATASETS")
        .unwrap();
    let t = db.query("SELECT COUNT(*) AS n FROM edges(g)").unwrap();
    assert_eq!(t.rows[0][0], Value::Int(36_417 + 40_628));
    let after = db
        .execute("SHOW GRAPHS; SHOW CATALOGUES; SHOW DATASETS")
        .unwrap();
    assert_eq!(before, after);
    // LIMIT without ORDER BY streams: the first rows of the scan.
    let t = db.query("SELECT source FROM edges(g) LIMIT 3").unwrap();
    assert_eq!(t.rows.len(), 3);
}

#[test]
fn the_readme_questions_run_and_each_has_an_answer() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme.split("## Asking questions").nth(1).unwrap();
    let block = section
        .split("```sql")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let db = Database::in_memory().unwrap();
    let results = db.execute(block).unwrap();
    let selects: Vec<_> = results.iter().filter(|r| r.statement == "SELECT").collect();
    assert_eq!(selects.len(), 10, "ten questions");
    for (i, r) in selects.iter().enumerate() {
        assert!(
            !r.table().rows.is_empty(),
            "question {} has no answer",
            i + 1
        );
    }
}

#[test]
fn the_shell_runs_select_under_readonly_in_every_mode() {
    use crate::common::{stderr, stdout, valence};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.vdb");
    let db = db.to_str().unwrap();
    let o = valence(&[
        db,
        "-c",
        "LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/small/edges.csv' CATALOGUE c;",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let q = "SELECT sign, COUNT(*) AS n FROM edges(g) GROUP BY sign ORDER BY sign;";
    let csv = valence(&[db, "-readonly", "-csv", "-c", q]);
    assert!(csv.status.success(), "{}", stderr(&csv));
    assert_eq!(stdout(&csv).trim(), "sign,n\n+,112\n-,26");
    let json = valence(&[db, "-readonly", "-json", "-c", q]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(doc[0]["rows"][1]["n"], 26);
    let md = valence(&[db, "-readonly", "-markdown", "-c", q]);
    assert!(stdout(&md).contains("| - "), "{}", stdout(&md));
    let table = valence(&[db, "-readonly", "-c", q]);
    assert!(stdout(&table).contains("112"), "{}", stdout(&table));
    // A type error in the shell: message, place and caret.
    let bad = valence(&[db, "-c", "SELECT value FROM nodes(g) WHERE degree = 'x';"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(
        err.contains("cannot compare a whole number with text"),
        "{err}"
    );
    assert!(
        err.contains("<command>:1:34") && err.contains("^^^^^^^^^^^^"),
        "{err}"
    );
}
