//! An export whose file is the shell's standard output (`/dev/stdout`, or
//! the file standard output is redirected to) leaves the data alone there:
//! the statement's result table goes to standard error, in every mode.

use std::path::Path;
use std::process::{Output, Stdio};

use super::cmd;
use crate::common::{stderr, stdout, valence};
use crate::export::db_with_dataset;

/// The bytes an export of `what` to a regular file writes.
fn exported_to_file(db: &str, dir: &Path, what: &str, format: &str) -> Vec<u8> {
    let file = dir.join(format!("ref.{format}"));
    let stmt = format!("EXPORT {what} TO '{}' FORMAT {format};", file.display());
    let o = valence(&[db, "-c", &stmt]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read(file).unwrap()
}

fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn jsonl_records(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn run(db: &str, mode: &str, stmts: &str) -> Output {
    let o = valence(&[db, mode, "-c", stmts]);
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

#[test]
fn export_to_dev_stdout_leaves_only_the_data_on_stdout_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_dataset(dir.path());
    let csv_ref = exported_to_file(&db, dir.path(), "DATASET d", "csv");
    let jsonl_ref = exported_to_file(&db, dir.path(), "DATASET d", "jsonl");
    assert_eq!(csv_records(&csv_ref).len(), 21);
    for mode in ["-table", "-csv", "-json", "-markdown"] {
        let o = run(&db, mode, "EXPORT DATASET d TO '/dev/stdout' FORMAT csv;");
        assert_eq!(csv_records(&o.stdout), csv_records(&csv_ref), "{mode}");
        assert_eq!(o.stdout, csv_ref, "{mode}: exactly the file's bytes");
        let err = stderr(&o);
        assert!(
            err.contains("/dev/stdout") && err.contains("20"),
            "{mode}: {err}"
        );
        let o = run(&db, mode, "EXPORT DATASET d TO '/dev/fd/1' FORMAT jsonl;");
        assert_eq!(
            jsonl_records(&o.stdout),
            jsonl_records(&jsonl_ref),
            "{mode}"
        );
        assert!(stderr(&o).contains("/dev/fd/1"), "{mode}: {}", stderr(&o));
    }
    // csv mode: the result table is on standard error, as csv.
    let o = run(
        &db,
        "-csv",
        "EXPORT DATASET d TO '/dev/stdout' FORMAT jsonl;",
    );
    assert_eq!(
        stderr(&o),
        "dataset,version,path,format,rows\nd,1,/dev/stdout,jsonl,20\n"
    );
    // json mode: standard error holds the statement's own JSON document.
    let o = run(
        &db,
        "-json",
        "EXPORT DATASET d TO '/dev/stdout' FORMAT jsonl;",
    );
    let doc: serde_json::Value = serde_json::from_str(&stderr(&o)).expect("one JSON document");
    assert_eq!(doc[0]["rows"][0]["rows"], 20, "{doc}");
    assert_eq!(doc[0]["rows"][0]["path"], "/dev/stdout", "{doc}");
}

#[test]
fn export_graph_to_dev_stdout_and_a_script_summary_keep_stdout_pure() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_dataset(dir.path());
    let edges = exported_to_file(&db, dir.path(), "GRAPH g", "csv");
    let o = run(&db, "-table", "EXPORT GRAPH g TO '/dev/stdout' FORMAT csv;");
    assert_eq!(o.stdout, edges);
    assert!(stderr(&o).contains("│ g"), "{}", stderr(&o));
    // A script run in table mode ends with "Written: ...": after data on
    // standard output it goes to standard error too.
    let script = dir.path().join("job.vql");
    std::fs::write(&script, "EXPORT GRAPH g TO '/dev/stdout' FORMAT csv;\n").unwrap();
    let o = valence(&[&db, script.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, edges);
    assert!(
        stderr(&o).contains("Written:\n  file /dev/stdout (4 edges)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_mode_runs_around_a_stdout_export_never_nest_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_dataset(dir.path());
    let csv_ref = exported_to_file(&db, dir.path(), "DATASET d", "csv");
    // A failing export to standard output: its error is not appended to
    // the data as a JSON element (standard error says what went wrong).
    let o = valence(&[
        &db,
        "-json",
        "-c",
        "EXPORT DATASET d TO '/dev/stdout' FORMAT csv;
         EXPORT DATASET nope TO '/dev/stdout' FORMAT csv;",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(o.stdout, csv_ref, "{}", stdout(&o));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
    // A document opened by an earlier statement is closed before the data.
    let o = run(
        &db,
        "-json",
        "SHOW GRAPHS; EXPORT DATASET d TO '/dev/stdout' FORMAT csv;",
    );
    let out = stdout(&o);
    let (doc, data) = out.split_once("\n]\n").expect("a closed document first");
    let doc: serde_json::Value = serde_json::from_str(&format!("{doc}]")).unwrap();
    assert_eq!(doc[0]["rows"][0]["name"], "g");
    assert_eq!(data.as_bytes(), &csv_ref[..]);
}

/// Runs `valence db -csv -c stmts` with standard output appended to `out`.
fn redirected_to(db: &str, stmts: &str, out: &Path) -> Output {
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(out)
        .unwrap();
    let o = cmd()
        .args([db, "-csv", "-c", stmts])
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

#[test]
fn export_to_the_file_stdout_is_redirected_to_writes_through_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_dataset(dir.path());
    let csv_ref = exported_to_file(&db, dir.path(), "DATASET d", "csv");
    // `valence ... > out.csv` exporting to out.csv: the data, nothing else,
    // and the result table on standard error.
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "").unwrap();
    let stmt = format!("EXPORT DATASET d TO '{}';", out.display());
    let o = redirected_to(&db, &stmt, &out);
    assert_eq!(std::fs::read(&out).unwrap(), csv_ref);
    assert!(stderr(&o).contains("out.csv,csv,20"), "{}", stderr(&o));
    // Results printed before and after are kept around the data (a rename
    // would have dropped the first and sent the last to an unlinked file),
    // and `>>` keeps what the file held.
    let log = dir.path().join("log.txt");
    std::fs::write(&log, "old\n").unwrap();
    let stmts = format!(
        "SHOW GRAPHS; EXPORT DATASET d TO '{}' FORMAT csv; SHOW DATASETS;",
        log.display()
    );
    let o = redirected_to(&db, &stmts, &log);
    let text = std::fs::read_to_string(&log).unwrap();
    let data = String::from_utf8(csv_ref).unwrap();
    assert!(text.starts_with("old\nname,version,"), "{text}");
    assert!(text.contains(&format!("\n{data}")), "{text}");
    assert!(text.trim_end().ends_with("100.0% in range\""), "{text}");
    assert!(stderr(&o).contains("log.txt,csv,20"), "{}", stderr(&o));
}

/// An EXPORT onto the file `.output` sends results to is refused before it
/// runs: renamed over it, the shell would go on writing into the replaced
/// file and lose every result after it.
#[test]
fn export_onto_the_output_file_is_refused_and_the_results_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_dataset(dir.path());
    let res = dir.path().join("res.txt");
    let script = dir.path().join("s.vql");
    std::fs::write(
        &script,
        format!(
            ".output {res}\nSHOW DATASETS;\nEXPORT DATASET d TO '{res}' FORMAT csv;\nSHOW GRAPHS;\n",
            res = res.display()
        ),
    )
    .unwrap();
    let o = valence(&["-csv", &db, script.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("the file .output sends results to"), "{err}");
    assert!(err.contains("s.vql:3:1"), "{err}");
    let kept = std::fs::read_to_string(&res).unwrap();
    assert!(kept.starts_with("name,version"), "{kept}");
    assert!(
        !kept.contains("[\""),
        "no dataset rows in the results file: {kept}"
    );
    // Another path is fine.
    let other = dir.path().join("data.csv");
    std::fs::write(
        &script,
        format!(
            ".output {res}\nEXPORT DATASET d TO '{}' FORMAT csv;\n",
            other.display(),
            res = res.display()
        ),
    )
    .unwrap();
    let o = valence(&["-csv", &db, script.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(csv_records(&std::fs::read(&other).unwrap()).len(), 21);
}
