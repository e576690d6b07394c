//! The `valence` shell behaving like sqlite3/DuckDB: input sources, Ctrl-C,
//! flags, output documents, write failures. Every test drives the real binary.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{root, sigint, stderr, stdout, valence, valence_bin, wait_for};

mod stdout_data;

fn cmd() -> Command {
    let mut c = Command::new(valence_bin());
    c.current_dir(root());
    c
}

fn output_of(mut child: Child) -> Output {
    use std::io::Read;
    let status = child.wait().unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        o.read_to_end(&mut out).unwrap();
    }
    if let Some(mut e) = child.stderr.take() {
        e.read_to_end(&mut err).unwrap();
    }
    Output {
        status,
        stdout: out,
        stderr: err,
    }
}

const TINY: &str = "LOAD CATALOGUE c FROM 'tests/data/tiny_catalogue.csv';";

// ---- 9.5: -c and script files never read standard input -----------------

#[test]
fn c_and_script_files_do_not_wait_for_an_open_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.vql");
    std::fs::write(&script, "SHOW GRAPHS;\n").unwrap();
    for args in [
        vec!["-c".to_string(), "SHOW GRAPHS;".to_string()],
        vec![script.display().to_string()],
    ] {
        let mut child = cmd()
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The pipe stays open (nothing written, not closed) while we wait.
        let stdin = child.stdin.take();
        let status = wait_for(&mut child, Duration::from_secs(10));
        drop(stdin);
        let _ = child.kill();
        let status = status.unwrap_or_else(|| panic!("{args:?} waited for standard input"));
        assert!(status.success(), "{args:?}: {}", stderr(&output_of(child)));
    }
}

#[test]
fn a_while_read_loop_keeps_its_input() {
    let script = format!(
        "printf 'one\\ntwo\\nthree\\n' | while read x; do '{}' -c 'SHOW GRAPHS;' >/dev/null || exit 9; echo \"$x\"; done",
        valence_bin().display()
    );
    let o = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "one\ntwo\nthree\n");
}

#[test]
fn dash_reads_stdin_after_the_commands() {
    let mut child = cmd()
        .args(["-csv", "-c", TINY, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SHOW CATALOGUES;\n")
        .unwrap();
    let o = output_of(child);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\nc,1,1,"), "{}", stdout(&o));
}

// ---- 9.6: Ctrl-C stops a non-interactive run ------------------------------

/// Starts `valence db script`, waits until the database file exists and the
/// first statement has had time to start, then sends SIGINT.
fn interrupt_script(db: &Path, script: &Path, delay_ms: u64) -> Output {
    let child = cmd()
        .arg(db)
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !db.exists() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(delay_ms));
    sigint(&child);
    let mut child = child;
    let status = wait_for(&mut child, Duration::from_secs(30));
    if status.is_none() {
        let _ = child.kill();
    }
    output_of(child)
}

fn shown(db: &Path, what: &str) -> String {
    let o = valence(&[db.to_str().unwrap(), "-csv", "-c", &format!("SHOW {what};")]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// An edge CSV of 600,000 rows: seconds of IMPORT in a debug build.
fn big_edges(dir: &Path) -> std::path::PathBuf {
    let edges = dir.join("big.csv");
    let mut s = String::from("source,target,rel,sign\n");
    for i in 0..400 {
        for j in 0..1500 {
            let sign = if (i + j) % 3 == 0 { '-' } else { '+' };
            s.push_str(&format!("b{i},a{j},brand_to_audience,{sign}\n"));
        }
    }
    std::fs::write(&edges, s).unwrap();
    edges
}

#[test]
fn sigint_during_a_long_import_exits_130_with_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let edges = big_edges(dir.path());
    let script = dir.path().join("import.vql");
    std::fs::write(
        &script,
        format!(
            "IMPORT GRAPH big FROM '{}';\nSHOW GRAPHS;\n",
            edges.display()
        ),
    )
    .unwrap();
    let db = dir.path().join("x.vdb");
    let started = Instant::now();
    let o = interrupt_script(&db, &script, 700);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("IMPORT GRAPH cancelled"), "{err}");
    assert!(err.contains("nothing of it was stored"), "{err}");
    assert!(!err.contains("LLM"), "{err}");
    assert!(
        stdout(&o).is_empty(),
        "nothing after the IMPORT ran: {}",
        stdout(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        shown(&db, "GRAPHS").trim(),
        "name,version,versions,created,summary"
    );
}

#[test]
fn sigint_during_a_long_load_catalogue_exits_130_with_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat.csv");
    let mut s = String::from("modality,value\n");
    for i in 0..600_000 {
        s.push_str(&format!("m{},value number {i}\n", i % 4));
    }
    std::fs::write(&cat, s).unwrap();
    let script = dir.path().join("load.vql");
    std::fs::write(
        &script,
        format!("LOAD CATALOGUE big FROM '{}';\n", cat.display()),
    )
    .unwrap();
    let db = dir.path().join("x.vdb");
    let o = interrupt_script(&db, &script, 700);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("LOAD CATALOGUE cancelled"), "{err}");
    assert_eq!(
        shown(&db, "CATALOGUES").trim(),
        "name,version,versions,created,summary"
    );
}

#[test]
fn sigint_during_diagnose_says_it_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("diag.vql");
    std::fs::write(
        &script,
        "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/large/edges.csv' CATALOGUE c;
         DIAGNOSE g TYPES (brand [1,1], audience [2,4], platform [1,1], geo [1,2]) SAMPLES 50000000;
         SHOW DATASETS;",
    )
    .unwrap();
    let db = dir.path().join("d.vdb");
    let o = interrupt_script(&db, &script, 2000);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(
        err.contains("DIAGNOSE cancelled (Ctrl-C); it writes nothing"),
        "{err}"
    );
    assert!(!err.contains("journal"), "{err}");
    assert!(!stdout(&o).contains("summary"), "SHOW DATASETS did not run");
    // The statements before it took effect.
    assert!(shown(&db, "GRAPHS").contains("\ng,1,1,"));
}

#[test]
fn sigint_while_waiting_on_stdin_exits_130() {
    let mut child = cmd()
        .arg("-json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"SHOW GRAPHS;\n").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    sigint(&child);
    let status = wait_for(&mut child, Duration::from_secs(10));
    drop(stdin);
    let _ = child.kill();
    assert_eq!(status.and_then(|s| s.code()), Some(130));
    // The statement before the interruption ran, and the JSON document is whole.
    let o = output_of(child);
    let doc: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc[0]["columns"][0], "name");
    assert_eq!(doc[1]["error"], "interrupted (Ctrl-C)");
}

// ---- 9.7: sqlite3/DuckDB flags --------------------------------------------

#[test]
fn single_dash_mode_flags() {
    let o = valence(&["-csv", "-c", "SHOW GRAPHS;"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "name,version,versions,created,summary");
    let o = valence(&["-markdown", "-c", "SHOW GRAPHS;"]);
    assert!(
        stdout(&o).starts_with("| name | version |"),
        "{}",
        stdout(&o)
    );
    let o = valence(&["-table", "-c", "SHOW GRAPHS;"]);
    assert!(stdout(&o).starts_with("┌"), "{}", stdout(&o));
    let o = valence(&["-json", "-c", "SHOW GRAPHS;"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["columns"][0], "name");
    let o = valence(&["-csv", "-json", "-c", "SHOW GRAPHS;"]);
    assert_eq!(o.status.code(), Some(2), "two modes conflict");
}

#[test]
fn cmd_init_echo_and_bail() {
    let dir = tempfile::tempdir().unwrap();
    let init = dir.path().join("init.vql");
    std::fs::write(&init, format!(".mode csv\n{TINY}\n")).unwrap();
    let mut child = cmd()
        .args([
            "-init",
            init.to_str().unwrap(),
            "-cmd",
            "-- set up\nSHOW CATALOGUES;",
        ])
        .args(["-echo", "-bail"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SHOW GRAPHS;\nDROP GRAPH nope;\nSHOW DATASETS;\n")
        .unwrap();
    let o = output_of(child);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    // init ran first (csv mode, catalogue loaded), then -cmd, then stdin.
    let load = out.find("LOAD CATALOGUE c FROM").expect("echoed LOAD");
    let cats = out.find("SHOW CATALOGUES;").expect("echoed -cmd");
    let graphs = out.find("SHOW GRAPHS;").expect("echoed stdin");
    assert!(load < cats && cats < graphs, "{out}");
    assert!(out.contains("\nc,1,1,"), "{out}");
    // -bail: stopped at the error, SHOW DATASETS never ran.
    assert!(!out.contains("SHOW DATASETS"), "{out}");
    assert!(stderr(&o).contains("<stdin>:2:12"), "{}", stderr(&o));
}

#[test]
fn c_accepts_a_statement_starting_with_a_comment() {
    let o = valence(&["-csv", "-c", "-- list them\nSHOW GRAPHS;"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "name,version,versions,created,summary");
}

#[test]
fn readonly_refuses_writes_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.vdb");
    let db = db.to_str().unwrap();
    let o = valence(&[db, "-readonly", "-c", "SHOW GRAPHS;"]);
    assert_eq!(o.status.code(), Some(1), "a missing file is not created");
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    assert!(!Path::new(db).exists());
    let o = valence(&[db, "-c", TINY]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = valence(&[
        db,
        "-readonly",
        "-csv",
        "-c",
        &format!(
            "SHOW CATALOGUES; {} DROP CATALOGUE c;",
            TINY.replace(" c ", " d ")
        ),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("read-only (-readonly): LOAD CATALOGUE would write to it"),
        "{err}"
    );
    assert!(err.contains("<command>:1:18"), "{err}");
    assert!(stdout(&o).contains("c,1,1"), "reads still work");
    let after = shown(Path::new(db), "CATALOGUES");
    assert_eq!(after.lines().count(), 2, "{after}");
}

#[test]
fn version_help_and_exit_status() {
    for flag in ["--version", "-version"] {
        let o = valence(&[flag]);
        assert!(o.status.success());
        assert!(stdout(&o).starts_with("valence "), "{}", stdout(&o));
    }
    let o = valence(&["-help"]);
    let help = stdout(&o);
    assert!(
        !help.contains('\u{1b}'),
        "no colour codes into a pipe: {help}"
    );
    for f in [
        "--csv",
        "--json",
        "--cmd",
        "--init",
        "--readonly",
        "--echo",
        "--bail",
    ] {
        assert!(help.contains(f), "{f} missing from --help:\n{help}");
    }
    let o = valence(&["-c", "SHOW GRAPHS;\n.exit 3\nSHOW GRAPHZ;"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "nothing after .exit ran");
}

// ---- 9.8: one JSON document per run ---------------------------------------

fn every_statement_kind(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';
         IMPORT GRAPH ref FROM 'fixtures/small/edges.csv' CATALOGUE c;
         EXPLAIN GENERATE GRAPH g FROM c USING BRUTE_FORCE
           WITH (backend = 'oracle', reference = 'fixtures/small/edges.csv');
         GENERATE GRAPH g FROM c USING BRUTE_FORCE
           WITH (backend = 'oracle', reference = 'fixtures/small/edges.csv');
         COMPARE GRAPH g WITH ref;
         CHECK GRAPH ref AGAINST 'fixtures/small/expectations.csv';
         EXPORT GRAPH ref TO '{d}/edges.csv';
         DIAGNOSE ref TYPES (brand [1,1], audience [1,2], platform [1,1]) SAMPLES 500 SEED 1;
         SAMPLE 20 FROM ref TYPES (brand [1,1], audience [1,2], platform [1,1])
           LABEL pos COUNT 10 WHERE pos_frac IN [0.5, 1.0] AND neg_frac IN [0.0, 1.0]
           LABEL neg COUNT 10 WHERE pos_frac IN [0.0, 0.49] AND neg_frac IN [0.0, 1.0]
           WITH (seed = 1) INTO ds;
         EXPORT DATASET ds TO '{d}/ds.jsonl';
         SHOW CATALOGUES; SHOW GRAPHS; SHOW DATASETS; SHOW VERSIONS OF GRAPH g;
         DESCRIBE CATALOGUE c; DESCRIBE GRAPH g; DESCRIBE DATASET ds;
         DROP GRAPH g;"
    )
}

#[test]
fn json_mode_is_one_document_for_every_statement_kind() {
    let dir = tempfile::tempdir().unwrap();
    let o = valence(&["--mode", "json", "-c", &every_statement_kind(dir.path())]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let doc: Vec<serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let statements: std::collections::BTreeSet<&str> = doc
        .iter()
        .map(|e| e["statement"].as_str().unwrap())
        .collect();
    assert_eq!(statements.len(), 18, "{statements:?}");
    for e in &doc {
        let cols = e["columns"].as_array().unwrap();
        for row in e["rows"].as_array().unwrap() {
            assert_eq!(row.as_object().unwrap().len(), cols.len(), "{e}");
        }
        assert!(e["title"].is_string());
    }
    assert!(!text.contains('█'), "no bar glyphs in JSON");
    // Keys in column order, numbers as numbers.
    assert!(
        text.contains("{\"name\": \"ref\", \"version\": 1, \"versions\": 1, \"created\": "),
        "{text}"
    );
    // Label boxes are [lo, hi] arrays.
    let boxes = doc
        .iter()
        .flat_map(|e| e["rows"].as_array().unwrap())
        .flat_map(|r| r.as_object().unwrap().values())
        .filter(|v| {
            v.as_array()
                .is_some_and(|a| a.len() == 2 && a.iter().all(|x| x.is_f64()))
        })
        .count();
    assert!(boxes >= 6, "DIAGNOSE's suggested boxes as arrays: {text}");

    if let Ok(mut py) = Command::new("python3")
        .args([
            "-c",
            "import json,sys; d=json.load(sys.stdin); print(len(d))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        py.stdin.take().unwrap().write_all(&o.stdout).unwrap();
        let p = py.wait_with_output().unwrap();
        assert!(p.status.success(), "python3 json.load failed");
        assert_eq!(
            String::from_utf8_lossy(&p.stdout).trim(),
            doc.len().to_string()
        );
    }
}

#[test]
fn json_document_stays_whole_when_the_run_stops_on_an_error() {
    let stmts = format!("{TINY} SHOW CATALOGUES; DROP GRAPH nope; SHOW GRAPHS;");
    let o = valence(&["-json", "-c", &stmts]);
    assert_eq!(o.status.code(), Some(1));
    let doc: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc.len(), 3, "{}", stdout(&o));
    assert_eq!(doc[2]["error"], "graph 'nope' not found");
    assert_eq!(doc[2]["code"], "not_found");
    let col = stmts.find("nope").unwrap() + 1;
    assert_eq!(doc[2]["location"], format!("<command>:1:{col}"));
    assert!(stderr(&o).contains("graph 'nope' not found"));
}

#[test]
fn leaving_json_mode_closes_the_document() {
    let o = valence(&[
        "-c",
        ".mode json\nSHOW GRAPHS;\nSHOW DATASETS;\n.mode csv\nSHOW GRAPHS;",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let (json, csv) = out.split_once("\n]\n").expect("a closed JSON document");
    let doc: Vec<serde_json::Value> = serde_json::from_str(&format!("{json}\n]")).unwrap();
    assert_eq!(doc.len(), 2);
    assert_eq!(csv, "name,version,versions,created,summary\n");
}

#[test]
fn csv_and_markdown_separate_results_with_a_blank_line_and_a_title() {
    let stmts = format!("{TINY} SHOW CATALOGUES;");
    let o = valence(&["-csv", "-c", &stmts]);
    assert!(
        stdout(&o).contains("c,1,3,5\n\nSHOW CATALOGUES\nname,version"),
        "{}",
        stdout(&o)
    );
    let o = valence(&["-markdown", "-c", &stmts]);
    assert!(
        stdout(&o).contains("| c | 1 | 3 | 5 |\n\n**SHOW CATALOGUES**\n\n| name |"),
        "{}",
        stdout(&o)
    );
}

// ---- 15.4: output on a full device ----------------------------------------

fn with_redirect(args: &[&str], stdout_to: Stdio, stderr_to: Stdio) -> Output {
    cmd()
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout_to)
        .stderr(stderr_to)
        .output()
        .unwrap()
}

fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full (Linux)")
}

#[test]
fn stdout_on_a_full_device_is_an_error() {
    let o = with_redirect(&["-c", "SHOW GRAPHS;"], dev_full().into(), Stdio::piped());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write results to standard output"),
        "{}",
        stderr(&o)
    );
    let o = with_redirect(&["--help"], dev_full().into(), Stdio::piped());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn stderr_on_a_full_device_does_not_panic() {
    let o = with_redirect(&["-c", "SHOW GRAPHZ;"], Stdio::piped(), dev_full().into());
    assert_eq!(o.status.code(), Some(1));
    let o = with_redirect(&["--frobnicate"], Stdio::piped(), dev_full().into());
    assert_eq!(o.status.code(), Some(2));
}

// ---- 15.13: dot-command and encoding errors carry file:line ----------------

#[test]
fn dot_command_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.vql");
    std::fs::write(&script, "SHOW GRAPHS;\n\n  .mode xml\nSHOW GRAPHS;\n").unwrap();
    let o = valence(&["-csv", script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("unknown mode 'xml'"), "{err}");
    assert!(err.contains("s.vql:3:3"), "{err}");
    assert!(err.contains("^^^^^^^^^"), "{err}");
    assert_eq!(stdout(&o).matches("name,version").count(), 1);
}

#[test]
fn invalid_utf8_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad.vql");
    std::fs::write(&script, b"SHOW GRAPHS;\nSHOW \xff GRAPHS;\n").unwrap();
    let o = valence(&[script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad.vql:2:6: invalid UTF-8"),
        "{}",
        stderr(&o)
    );

    let mut child = cmd()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SHOW GRAPHS;\n\nSHOW \xc3( GRAPHS;\n")
        .unwrap();
    let o = output_of(child);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("<stdin>:3:6: invalid UTF-8"),
        "{}",
        stderr(&o)
    );
}

// ---- 9.10: table width, what the run wrote --------------------------------

#[test]
fn table_mode_fits_the_terminal_width_from_columns() {
    let stmts = format!("{TINY} DESCRIBE CATALOGUE c;");
    let o = cmd()
        .env("COLUMNS", "60")
        .args(["-c", &stmts])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for line in out.lines() {
        assert!(line.chars().count() <= 60, "{line}\n{out}");
    }
    assert!(out.contains('…'), "{out}");
    // Piped without COLUMNS: no terminal, no limit.
    let o = valence(&["-c", &stmts]);
    assert!(stdout(&o).lines().any(|l| l.chars().count() > 60));
}

#[test]
fn a_script_run_ends_with_what_was_written_where() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.vdb");
    let edges = dir.path().join("e.csv");
    let script = dir.path().join("job.vql");
    std::fs::write(
        &script,
        format!(
            "{TINY}\nIMPORT GRAPH g FROM 'tests/data/tiny_edges.csv' CATALOGUE c;\nEXPORT GRAPH g TO '{}';\n",
            edges.display()
        ),
    )
    .unwrap();
    let o = valence(&[db.to_str().unwrap(), script.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = format!(
        "Written:\n  database {}: catalogue c@1, graph g@1\n  file {} (4 edges)\n",
        db.display(),
        edges.display()
    );
    assert!(stdout(&o).ends_with(&expected), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(&edges).unwrap().lines().count(), 5);
}

// ---- the interactive shell, on a pseudo-terminal (util-linux `script`) ------

/// Runs `valence db` on a pseudo-terminal with HOME = `home`, typing each
/// input after its delay; returns the session's output and exit status.
fn pty_session(db: &Path, home: &Path, typed: &[(&[u8], u64)], during: impl FnOnce()) -> Output {
    let mut child = Command::new("script")
        .args([
            "-qec",
            // `exec`: script runs the command through $SHELL; without it a
            // shell that does not exec its last command (dash, CI's /bin/sh)
            // also receives the Ctrl-C and kills itself once valence exits,
            // so script would report 130 for the shell, not valence's status.
            &format!("exec '{}' '{}'", valence_bin().display(), db.display()),
            "/dev/null",
        ])
        .current_dir(root())
        .env("HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` gives the shell a terminal");
    let mut stdin = child.stdin.take().unwrap();
    let mut during = Some(during);
    for (i, (bytes, delay)) in typed.iter().enumerate() {
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(*delay));
        if i == 0
            && let Some(f) = during.take()
        {
            f();
        }
    }
    let status = wait_for(&mut child, Duration::from_secs(30));
    drop(stdin);
    if status.is_none() {
        let _ = child.kill();
    }
    output_of(child)
}

#[test]
fn interactive_history_is_appended_after_every_statement() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join(".valence_history");
    let db = dir.path().join("h.vdb");
    let seen = std::cell::RefCell::new(String::new());
    let o = pty_session(
        &db,
        dir.path(),
        &[(b"SHOW GRAPHS;\r", 300), (b".exit 5\r", 300)],
        || {
            // The shell is still running: the entry is already on disk.
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(10) {
                let h = std::fs::read_to_string(&history).unwrap_or_default();
                if h.contains("SHOW GRAPHS;") {
                    *seen.borrow_mut() = h;
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        },
    );
    assert!(
        seen.borrow().contains("SHOW GRAPHS;"),
        "history not written while the shell ran"
    );
    assert_eq!(o.status.code(), Some(5), "{}", stdout(&o));
}

#[test]
fn interactive_ctrl_c_cancels_an_import_and_the_shell_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let edges = big_edges(dir.path());
    let db = dir.path().join("i.vdb");
    let import = format!("IMPORT GRAPH big FROM '{}';\r", edges.display());
    let o = pty_session(
        &db,
        dir.path(),
        &[
            (import.as_bytes(), 1200),
            (b"\x03", 800),
            (b"SHOW GRAPHS;\r", 500),
            (b".quit\r", 300),
        ],
        || {},
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("IMPORT GRAPH cancelled (Ctrl-C): nothing of it was stored"),
        "{out}"
    );
    assert!(out.contains("0 rows"), "the shell went on: {out}");
    assert_eq!(
        shown(&db, "GRAPHS").trim(),
        "name,version,versions,created,summary"
    );
}
