//! Names and characters an export cannot carry unambiguously: a modality
//! named like a dataset column (`label`, `pos_frac`, ...) and a value with a
//! control character (GraphML). LOAD CATALOGUE and IMPORT GRAPH refuse them
//! and store nothing; EXPORT and `rows(ds)` refuse data stored before that
//! rule and write nothing.

use std::path::Path;
use std::process::{Command, Stdio};

use valence::Database;
use valence_engine::{GraphBuilder, Sign};

use crate::common::{stderr, valence_bin};

const CATALOGUE: &str = "modality,value,description\nbrand,Nike,x\nbrand,Adidas,x\nbrand,Puma,x\n\
label,Sony Music,r\nlabel,Warner,r\nlabel,Universal,r\n";
const EDGES: &str = "source,target,rel,sign\nNike,Sony Music,brand_to_label,+\n\
Adidas,Warner,brand_to_label,-\nPuma,Universal,brand_to_label,+\nNike,Warner,brand_to_label,-\n";

/// The names in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// How many rows `SHOW <what>` lists.
fn count(db: &Database, what: &str) -> usize {
    db.execute(&format!("SHOW {what};")).unwrap()[0]
        .table()
        .rows
        .len()
}

/// The audit's script, run by the shell: refused at LOAD CATALOGUE, exit 1,
/// no file written.
#[test]
fn the_shell_refuses_a_modality_named_label_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cat.csv"), CATALOGUE).unwrap();
    std::fs::write(dir.path().join("edges.csv"), EDGES).unwrap();
    let script = "LOAD CATALOGUE c FROM 'cat.csv'; IMPORT GRAPH g FROM 'edges.csv' CATALOGUE c; \
        SAMPLE 4 FROM g TYPES (brand [1,1], label [1,1]) LABEL pos COUNT 2 WHERE pos_frac IN [1,1] \
        LABEL neg COUNT 2 WHERE neg_frac IN [1,1] WITH (seed=1) INTO ds; \
        EXPORT DATASET ds TO 'ds.jsonl'; EXPORT DATASET ds TO 'ds.csv'; \
        EXPORT DATASET ds TO 'ds.parquet';";
    let o = Command::new(valence_bin())
        .args(["-c", script])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cat.csv:5: modality 'label' is a reserved name: it would collide with the dataset column 'label'")
            && err.contains("hint: rename the modality, e.g. 'record_label'"),
        "{err}"
    );
    assert_eq!(files(dir.path()), ["cat.csv", "edges.csv"]);
}

#[test]
fn load_and_import_refuse_a_reserved_modality_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, edges) = (dir.path().join("cat.csv"), dir.path().join("edges.csv"));
    std::fs::write(&cat, CATALOGUE).unwrap();
    let db = Database::in_memory().unwrap();
    let e = db
        .execute(&format!("LOAD CATALOGUE c FROM '{}';", cat.display()))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("modality 'label' is a reserved name"),
        "{e}"
    );
    assert_eq!(count(&db, "CATALOGUES"), 0);
    // Without CATALOGUE the modalities come from `rel`: refused at line 2.
    std::fs::write(&edges, EDGES.replace("label", "pos_frac")).unwrap();
    let e = db
        .execute(&format!("IMPORT GRAPH g FROM '{}';", edges.display()))
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("edges.csv:2: target modality 'pos_frac' (from rel 'brand_to_pos_frac') is a reserved name"),
        "{text}"
    );
    assert_eq!(count(&db, "GRAPHS"), 0);
}

/// A graph with a modality named `label`, stored as an older version could
/// (through the engine, past the checks), and a dataset sampled from it.
fn old_database() -> Database {
    let db = Database::in_memory().unwrap();
    let mut b = GraphBuilder::new();
    for i in 0..3 {
        let x = b.add_node("brand", &format!("b{i}"));
        let y = b.add_node("label", &format!("l{i}"));
        b.add_edge(x, y, Sign::Pos).unwrap();
    }
    let details = serde_json::json!({});
    db.engine()
        .store_graph("g", b.build(), "(old)", "imported", details)
        .unwrap();
    db.execute("SAMPLE 4 FROM g TYPES (brand [1,1], label [1,1]) LABEL x COUNT 4 INTO ds;")
        .unwrap();
    db
}

#[test]
fn export_and_rows_refuse_an_old_dataset_whose_modality_is_a_column() {
    let db = old_database();
    let dir = tempfile::tempdir().unwrap();
    for tail in [
        "ds.jsonl'",
        "ds.csv'",
        "ds.parquet'",
        "ds.jsonl' SPLIT (train 0.5, test 0.5)",
        "ds.csv' WITH (fractions = true, clean_label = true)",
    ] {
        let e = db
            .execute(&format!(
                "EXPORT DATASET ds TO '{}/{tail};",
                dir.path().display()
            ))
            .unwrap_err();
        assert!(
            e.to_string().contains(
                "dataset 'ds@1' has a modality named 'label', which collides with its column 'label'"
            ) && e.hint().is_some_and(|h| h.contains("record_label")),
            "{e} / {:?}",
            e.hint()
        );
    }
    assert_eq!(files(dir.path()), Vec::<String>::new());
    for q in ["SELECT * FROM rows(ds);", "SELECT label FROM rows(ds);"] {
        let e = db.execute(q).unwrap_err();
        assert!(
            e.to_string()
                .contains("has a modality named 'label', which collides"),
            "{q}: {e}"
        );
    }
    // pairs() names modalities in its cells, not as columns: still readable.
    assert!(db.execute("SELECT * FROM pairs(ds, 0);").is_ok());
}

#[test]
fn control_characters_are_refused_at_load_and_by_the_graphml_writer() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("ctl.csv");
    std::fs::write(
        &cat,
        "modality,value\nbrand,Nike\nbrand,ctl\u{1}char\naudience,X\n",
    )
    .unwrap();
    let db = Database::in_memory().unwrap();
    let e = db
        .execute(&format!("LOAD CATALOGUE c FROM '{}';", cat.display()))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("ctl.csv:3: value 'ctl\\u{1}char' contains the control character U+0001"),
        "{e}"
    );
    assert_eq!(count(&db, "CATALOGUES"), 0);
    // A graph stored before the rule: GraphML is refused, CSV keeps the value.
    let mut b = GraphBuilder::new();
    let x = b.add_node("brand", "ctl\u{1}char");
    let y = b.add_node("audience", "X");
    b.add_edge(x, y, Sign::Pos).unwrap();
    db.engine()
        .store_graph("g", b.build(), "(old)", "imported", serde_json::json!({}))
        .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let e = db
        .execute(&format!("EXPORT GRAPH g TO '{}/g.graphml';", out.display()))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("GraphML cannot hold the value 'ctl\\u{1}char'")
            && e.hint().is_some_and(|h| h.contains("csv, dot or parquet")),
        "{e}"
    );
    assert_eq!(files(&out), Vec::<String>::new());
    db.execute(&format!("EXPORT GRAPH g TO '{}/g.csv';", out.display()))
        .unwrap();
    assert_eq!(files(&out), ["g.csv"]);
}
