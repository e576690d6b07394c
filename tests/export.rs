//! EXPORT as a data scientist reads it back: every file is re-read with plain
//! CSV / JSON / Parquet readers and checked against a naive recount from the
//! edge CSV (no engine code), plus the shell's handling of special targets.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use valence::{Database, DatasetFormat, ExportOptions, GraphFormat, Split};

use crate::common::{Node, edge_signs, naive_fractions, stderr, stdout, valence};

/// A catalogue whose values contain `|`, `,`, `"` and `\`.
const ODD_CATALOGUE: &str = "modality,value
brand,Acme | Co
brand,\"Smith, Jones & Sons\"
brand,\"The \"\"Best\"\" Shoes\"
audience,Athletes
audience,Students|Teens
platform,TikTok
platform,A\\B
";
const ODD_EDGES: &str = "source,target,rel,sign
Acme | Co,Athletes,brand_to_audience,+
\"Smith, Jones & Sons\",Students|Teens,brand_to_audience,-
\"The \"\"Best\"\" Shoes\",TikTok,brand_to_platform,+
Athletes,A\\B,audience_to_platform,-
Students|Teens,TikTok,audience_to_platform,+
";
const MODALITIES: [&str; 3] = ["brand", "audience", "platform"];

/// A database holding `odd`: 60 rows (x 30, y 30), 20% relabelled by noise.
fn odd_dataset(dir: &Path) -> (Database, PathBuf) {
    let cat = dir.join("cat.csv");
    let edges = dir.join("edges.csv");
    std::fs::write(&cat, ODD_CATALOGUE).unwrap();
    std::fs::write(&edges, ODD_EDGES).unwrap();
    let db = Database::in_memory().unwrap();
    db.load_catalogue("c", &cat).unwrap();
    db.import_graph("g", &edges, Some("c")).unwrap();
    db.execute(
        "SAMPLE 60 FROM g TYPES (brand [1,2], audience [1,2], platform [1,1])
           LABEL x COUNT 30 WHERE pos_frac IN [0, 0]
           LABEL y COUNT 30 WHERE pos_frac IN [0.01, 1]
           WITH (distinct = false, noise = 0.2, seed = 5) INTO odd;",
    )
    .unwrap();
    (db, edges)
}

/// One exported row, however it was read.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    values: Vec<Vec<String>>,
    label: String,
    fractions: Option<(f64, f64)>,
    clean: Option<(String, bool)>,
}

impl Row {
    fn nodes(&self) -> Vec<Node> {
        let mut out = Vec::new();
        for (m, vs) in MODALITIES.iter().zip(&self.values) {
            out.extend(vs.iter().map(|v| (m.to_string(), v.clone())));
        }
        out
    }
}

fn read_jsonl(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let values = MODALITIES
                .iter()
                .map(|m| {
                    v[*m]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_str().unwrap().to_string())
                        .collect()
                })
                .collect();
            Row {
                values,
                label: v["label"].as_str().unwrap().to_string(),
                fractions: v["pos_frac"]
                    .as_f64()
                    .map(|p| (p, v["neg_frac"].as_f64().unwrap())),
                clean: v["sampled_label"]
                    .as_str()
                    .map(|s| (s.to_string(), v["relabelled"].as_bool().unwrap())),
            }
        })
        .collect()
}

/// CSV as pandas would read it: `csv` cells, `json.loads` per modality cell.
fn read_csv(path: &Path) -> Vec<Row> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| h.iter().position(|x| x == name);
    rd.records()
        .map(|rec| {
            let r = rec.unwrap();
            let values = MODALITIES
                .iter()
                .map(|m| serde_json::from_str::<Vec<String>>(&r[col(m).unwrap()]).unwrap())
                .collect();
            Row {
                values,
                label: r[col("label").unwrap()].to_string(),
                fractions: col("pos_frac").map(|p| {
                    (
                        r[p].parse().unwrap(),
                        r[col("neg_frac").unwrap()].parse().unwrap(),
                    )
                }),
                clean: col("sampled_label").map(|s| {
                    (
                        r[s].to_string(),
                        r[col("relabelled").unwrap()].parse().unwrap(),
                    )
                }),
            }
        })
        .collect()
}

/// Parquet through the arrow reader; also checks the column types.
fn read_parquet(path: &Path) -> Vec<Row> {
    let b = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let schema = b.schema().clone();
    for m in MODALITIES {
        let f = schema.field_with_name(m).unwrap();
        match f.data_type() {
            DataType::List(item) => assert_eq!(item.data_type(), &DataType::Utf8),
            other => panic!("{m} is {other:?}, not list<string>"),
        }
    }
    assert_eq!(
        schema.field_with_name("label").unwrap().data_type(),
        &DataType::Utf8
    );
    let mut out = Vec::new();
    for batch in b.build().unwrap() {
        let batch = batch.unwrap();
        let lists: Vec<_> = MODALITIES
            .iter()
            .map(|m| batch.column_by_name(m).unwrap().as_list::<i32>().clone())
            .collect();
        let label = batch.column_by_name("label").unwrap().as_string::<i32>();
        let pos = batch
            .column_by_name("pos_frac")
            .map(|c| c.as_primitive::<Float64Type>().clone());
        let neg = batch
            .column_by_name("neg_frac")
            .map(|c| c.as_primitive::<Float64Type>().clone());
        let sampled = batch
            .column_by_name("sampled_label")
            .map(|c| c.as_string::<i32>().clone());
        let flag = batch
            .column_by_name("relabelled")
            .map(|c| c.as_boolean().clone());
        for i in 0..batch.num_rows() {
            let values = lists
                .iter()
                .map(|l| {
                    let v = l.value(i);
                    let s = v.as_string::<i32>();
                    (0..s.len()).map(|k| s.value(k).to_string()).collect()
                })
                .collect();
            out.push(Row {
                values,
                label: label.value(i).to_string(),
                fractions: pos
                    .as_ref()
                    .map(|p| (p.value(i), neg.as_ref().unwrap().value(i))),
                clean: sampled
                    .as_ref()
                    .map(|s| (s.value(i).to_string(), flag.as_ref().unwrap().value(i))),
            });
        }
    }
    out
}

fn read(path: &Path) -> Vec<Row> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => read_csv(path),
        Some("parquet") => read_parquet(path),
        _ => read_jsonl(path),
    }
}

fn all_columns() -> ExportOptions {
    ExportOptions {
        fractions: true,
        clean_label: true,
        ..Default::default()
    }
}

#[test]
fn every_format_reads_back_the_same_rows_with_recounted_fractions() {
    let dir = tempfile::tempdir().unwrap();
    let (db, edges) = odd_dataset(dir.path());
    let signs = edge_signs(&edges);
    let mut seen: Vec<Vec<Row>> = Vec::new();
    for name in ["it's.jsonl", "rows.csv", "rows.parquet"] {
        let path = dir.path().join(name);
        let rep = db.export_dataset("odd", &path, &all_columns()).unwrap();
        assert_eq!(rep.files.len(), 1);
        assert_eq!(rep.files[0].rows, 60);
        let rows = read(&path);
        assert_eq!(rows.len(), 60, "{name}");
        let mut relabelled = 0;
        for r in &rows {
            // Full precision: the exported fractions equal the recount exactly.
            assert_eq!(
                r.fractions,
                Some(naive_fractions(&r.nodes(), &signs)),
                "{name} {r:?}"
            );
            let (sampled, flag) = r.clean.clone().unwrap();
            assert_eq!(flag, sampled != r.label, "{name} {r:?}");
            relabelled += usize::from(flag);
        }
        assert_eq!(relabelled, 12, "{name}: round(0.2 x 60) rows relabelled");
        seen.push(rows);
    }
    // The same rows in the same order, whatever the format; odd values intact.
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
    let all: HashSet<String> = seen[0].iter().flat_map(|r| r.values.concat()).collect();
    assert!(
        all.contains("Acme | Co") || all.contains("Students|Teens"),
        "{all:?}"
    );
    assert!(
        all.iter()
            .all(|v| ODD_CATALOGUE.contains(&v.replace('"', "\"\"")))
    );
}

#[test]
fn csv_cells_are_json_arrays_so_pipes_and_commas_survive() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = odd_dataset(dir.path());
    let path = dir.path().join("rows.csv");
    db.export_dataset("odd", &path, &ExportOptions::default())
        .unwrap();
    let mut rd = csv::Reader::from_path(&path).unwrap();
    assert_eq!(
        rd.headers().unwrap().iter().collect::<Vec<_>>(),
        ["brand", "audience", "platform", "label"]
    );
    let ds = db.dataset("odd").unwrap();
    for (i, rec) in rd.records().enumerate() {
        let rec = rec.unwrap();
        let row = ds.row(i);
        for m in 0..3 {
            let want: Vec<&str> = row.values(m).collect();
            let got: Vec<String> = serde_json::from_str(&rec[m]).unwrap();
            assert_eq!(got, want, "row {i} column {m}: {}", &rec[m]);
        }
    }
}

/// Label counts of a part.
fn label_counts(rows: &[Row]) -> HashMap<String, usize> {
    let mut c = HashMap::new();
    for r in rows {
        *c.entry(r.label.clone()).or_default() += 1;
    }
    c
}

fn key(r: &Row) -> String {
    format!(
        "{:?}",
        (&r.values, &r.label, r.fractions.map(|f| f.0.to_bits()))
    )
}

#[test]
fn split_parts_are_stratified_disjoint_and_together_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::in_memory().unwrap();
    db.execute(
        "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/large/edges.csv' CATALOGUE c;
         SAMPLE 1001 FROM g TYPES (brand [1,1], audience [2,4], platform [1,1], geo [1,2])
           LABEL pos COUNT 401 WHERE pos_frac IN [0.45, 1.0] AND neg_frac IN [0.0, 0.05]
           LABEL avg COUNT 300 WHERE pos_frac IN [0.25, 0.45] AND neg_frac IN [0.0, 0.1]
           LABEL neg COUNT 300 WHERE pos_frac IN [0.0, 0.3] AND neg_frac IN [0.1, 1.0]
           WITH (seed = 11) INTO ds;",
    )
    .unwrap();
    // The whole dataset, as the reference (rows are distinct: distinct = true).
    let whole = read(&{
        let p = dir.path().join("all.jsonl");
        db.export_dataset("ds", &p, &all_columns()).unwrap();
        p
    });
    let total = label_counts(&whole);
    let fractions = [("train", 0.7), ("validation", 0.2), ("test", 0.1)];
    for ext in ["jsonl", "csv", "parquet"] {
        let path = dir.path().join(format!("{ext}/ds.{ext}"));
        let options = ExportOptions {
            split: Some(Split {
                parts: fractions.iter().map(|(n, f)| (n.to_string(), *f)).collect(),
                seed: 9,
            }),
            ..all_columns()
        };
        let rep = db.export_dataset("ds", &path, &options).unwrap();
        assert!(!path.exists(), "no unsplit file is written");
        let mut union: Vec<String> = Vec::new();
        for (k, (part, f)) in fractions.iter().enumerate() {
            let p = dir.path().join(format!("{ext}/ds.{part}.{ext}"));
            assert_eq!(rep.files[k].path, p);
            let rows = read(&p);
            assert_eq!(rep.files[k].rows as usize, rows.len());
            for (label, n) in label_counts(&rows) {
                let exact = total[&label] as f64 * f;
                assert!(
                    (n as f64 - exact).abs() < 1.0,
                    "{ext} {part} {label}: {n} rows, exact {exact}"
                );
            }
            union.extend(rows.iter().map(key));
        }
        let distinct: HashSet<&String> = union.iter().collect();
        assert_eq!(distinct.len(), union.len(), "{ext}: parts overlap");
        let mut want: Vec<String> = whole.iter().map(key).collect();
        union.sort();
        want.sort();
        assert_eq!(union, want, "{ext}: the parts are not exactly the dataset");
    }
    // Deterministic for a seed; another seed, another partition.
    let bytes = |seed: u64, sub: &str| {
        let p = dir.path().join(format!("{sub}/d.jsonl"));
        let options = ExportOptions {
            split: Some(Split {
                seed,
                ..Split::new(&fractions)
            }),
            ..Default::default()
        };
        db.export_dataset("ds", &p, &options).unwrap();
        std::fs::read(dir.path().join(format!("{sub}/d.train.jsonl"))).unwrap()
    };
    assert_eq!(bytes(4, "a"), bytes(4, "b"));
    assert_ne!(bytes(4, "a"), bytes(5, "c"));
}

#[test]
fn a_failing_split_writes_no_part() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = odd_dataset(dir.path());
    // The second part's path is a directory: the first must not appear.
    std::fs::create_dir_all(dir.path().join("out/ds.b.jsonl")).unwrap();
    let options = ExportOptions {
        split: Some(Split::new(&[("a", 0.5), ("b", 0.5)])),
        ..Default::default()
    };
    let err = db
        .export_dataset("odd", dir.path().join("out/ds.jsonl"), &options)
        .unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
    let names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["ds.b.jsonl"], "only the directory is there");
}

#[test]
fn split_into_a_device_is_refused_and_writes_nothing_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = odd_dataset(dir.path());
    let node = dir.path().join("null");
    let st = std::process::Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(st.success(), "mknod (tests run as root)");
    let options = ExportOptions {
        format: Some(valence::DatasetFormat::Jsonl),
        split: Some(Split::new(&[("a", 0.5), ("b", 0.5)])),
        ..Default::default()
    };
    let err = db.export_dataset("odd", &node, &options).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert!(!names.iter().any(|n| n.starts_with("null.")), "{names:?}");
}

#[test]
fn graph_edge_list_as_parquet_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::in_memory().unwrap();
    db.load_catalogue("c", "fixtures/small/catalogue.csv")
        .unwrap();
    db.import_graph("g", "fixtures/small/edges.csv", Some("c"))
        .unwrap();
    let p = dir.path().join("g's edges.parquet");
    let r = db.export_graph("g", &p, None).unwrap();
    assert_eq!(r.format, GraphFormat::Parquet);
    let b = ParquetRecordBatchReaderBuilder::try_new(File::open(&p).unwrap()).unwrap();
    let names: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["source", "target", "rel", "sign"]);
    assert!(
        b.schema()
            .fields()
            .iter()
            .all(|f| f.data_type() == &DataType::Utf8)
    );
    let mut got: HashSet<(String, String, String)> = HashSet::new();
    for batch in b.build().unwrap() {
        let batch = batch.unwrap();
        let c: Vec<_> = (0..4)
            .map(|i| batch.column(i).as_string::<i32>().clone())
            .collect();
        for i in 0..batch.num_rows() {
            got.insert((
                c[0].value(i).to_string(),
                c[1].value(i).to_string(),
                c[3].value(i).to_string(),
            ));
        }
    }
    // Every signed row of the source CSV, recounted independently.
    let mut want = HashSet::new();
    let mut rd = csv::Reader::from_path("fixtures/small/edges.csv").unwrap();
    for rec in rd.records() {
        let r = rec.unwrap();
        if &r[3] != "0" {
            let (a, b) = (r[0].to_string(), r[1].to_string());
            let key = if got.contains(&(a.clone(), b.clone(), r[3].to_string())) {
                (a, b, r[3].to_string())
            } else {
                (b, a, r[3].to_string())
            };
            want.insert(key);
        }
    }
    assert_eq!(got.len() as u64, r.edges);
    assert_eq!(got, want);
}

#[test]
fn typed_export_checks_format_against_extension() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = odd_dataset(dir.path());
    let options = ExportOptions {
        format: Some(DatasetFormat::Csv),
        ..Default::default()
    };
    let e = db
        .export_dataset("odd", dir.path().join("x.parquet"), &options)
        .unwrap_err();
    assert!(e.to_string().contains("contradicts"), "{e}");
    assert!(!dir.path().join("x.parquet").exists());
    let e = db
        .export_dataset("odd", dir.path().join("x.xlsx"), &Default::default())
        .unwrap_err();
    assert!(e.to_string().contains("cannot tell the format"), "{e}");
}

// ---- the shell -------------------------------------------------------------

/// A database file holding the 20-row dataset `d` from the tiny fixtures.
pub(crate) fn db_with_dataset(dir: &Path) -> String {
    let db = dir.join("x.vdb").to_str().unwrap().to_string();
    let o = valence(&[
        &db,
        "-c",
        "LOAD CATALOGUE c FROM 'tests/data/tiny_catalogue.csv';
         IMPORT GRAPH g FROM 'tests/data/tiny_edges.csv' CATALOGUE c;
         SAMPLE 20 FROM g TYPES (brand [1,1], audience [1,2])
           LABEL a COUNT 10 WHERE pos_frac IN [0, 0]
           LABEL b COUNT 10 WHERE pos_frac IN [0.01, 1] WITH (distinct = false) INTO d;",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    db
}

#[test]
fn shell_export_to_dev_stdout_streams_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_dataset(dir.path());
    let o = valence(&[
        &db,
        "--mode",
        "csv",
        "-c",
        "EXPORT DATASET d TO '/dev/stdout' FORMAT jsonl;",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let rows = out
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["label"].is_string())
        })
        .count();
    assert_eq!((rows, out.lines().count()), (20, 20), "{out}");
    // The result table goes to standard error (tests/shell/stdout_data.rs).
    assert!(
        stderr(&o).contains("d,1,/dev/stdout,jsonl,20"),
        "{}",
        stderr(&o)
    );
    // Without FORMAT the extension-less path is refused, pointing at it.
    let o = valence(&[&db, "-c", "EXPORT DATASET d TO '/dev/stdout';"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("cannot tell the format of '/dev/stdout'"),
        "{err}"
    );
    assert!(err.contains("<command>:1:21"), "{err}");
}

#[test]
fn shell_export_keeps_device_nodes_and_symlinks() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_dataset(dir.path());
    let node = dir.path().join("null");
    let st = std::process::Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(st.success(), "mknod (tests run as root)");
    let real = dir.path().join("real.csv");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = valence(&[
        &db,
        "-c",
        &format!(
            "EXPORT DATASET d TO '{}' FORMAT csv; EXPORT DATASET d TO '{}';",
            node.display(),
            link.display()
        ),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ft = std::fs::symlink_metadata(&node).unwrap().file_type();
    assert!(ft.is_char_device(), "device replaced by {ft:?}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let mut rd = csv::Reader::from_path(&real).unwrap();
    assert_eq!(rd.headers().unwrap(), vec!["brand", "audience", "label"]);
    assert_eq!(rd.records().count(), 20);
}

#[test]
fn shell_split_error_points_at_the_clause() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_dataset(dir.path());
    let o = valence(&[
        &db,
        "-c",
        "EXPORT DATASET d TO 'out/d.jsonl' SPLIT (train 0.8, test 0.1);",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("split fractions sum to 0.9"), "{err}");
    assert!(err.contains(":1:35"), "{err}");
    let caret = err.lines().find(|l| l.contains('^')).unwrap();
    assert_eq!(
        caret.find('^'),
        err.lines()
            .find(|l| l.contains("SPLIT ("))
            .unwrap()
            .find("SPLIT"),
        "{err}"
    );
}

#[test]
fn export_with_params_takes_any_path_and_split_fractions() {
    use valence::Param;
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = odd_dataset(dir.path());
    let path = dir.path().join("it's; a test.jsonl");
    let params = [
        Param::Str(path.to_str().unwrap().to_string()),
        Param::Float(0.75),
        Param::Float(0.25),
        Param::Int(3),
    ];
    let r = db
        .execute_with_params(
            "EXPORT DATASET odd TO ? SPLIT (train ?, test ?) SEED ? WITH (fractions = true);",
            &params,
        )
        .unwrap();
    let t = r[0].table();
    assert_eq!(t.get(0, "part").and_then(|v| v.as_str()), Some("train"));
    assert_eq!(t.get(1, "part").and_then(|v| v.as_str()), Some("test"));
    let train = read(&dir.path().join("it's; a test.train.jsonl"));
    let test = read(&dir.path().join("it's; a test.test.jsonl"));
    assert_eq!(train.len() + test.len(), 60);
    let x = label_counts(&test)["x"];
    assert!(x == 7 || x == 8, "30 x 0.25 = 7.5 rows of x: {x}");
    assert!(train[0].fractions.is_some());
}
