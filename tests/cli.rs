//! The `valence` shell as a user runs it: exit codes, stderr, files.

use crate::common::{stderr, stdout, valence};

#[test]
fn file_database_across_processes_with_versions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.vdb");
    let db = db.to_str().unwrap();
    let o = valence(&[
        db,
        "-c",
        "LOAD CATALOGUE c FROM 'tests/data/tiny_catalogue.csv'; \
         IMPORT GRAPH g FROM 'tests/data/tiny_edges.csv' CATALOGUE c; DESCRIBE GRAPH g;",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("brand_to_audience"), "{out}");
    assert!(out.contains("nodes per modality"), "{out}");

    let o = valence(&[db, "--mode", "csv", "-c", "SHOW GRAPHS;"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).lines().any(|l| l.starts_with("g,1,1,")),
        "{}",
        stdout(&o)
    );

    // Re-import: version 2, and g@1 still answers.
    let o = valence(&[
        db,
        "--mode",
        "csv",
        "-c",
        "IMPORT GRAPH g FROM 'tests/data/tiny_edges.csv'; DESCRIBE GRAPH g@1;",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("g,2,5,2,2,1,0"), "{}", stdout(&o));
}

#[test]
fn malformed_edges_fail_with_file_and_line_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.vdb");
    let db = db.to_str().unwrap();
    let o = valence(&[
        db,
        "-c",
        "IMPORT GRAPH g FROM 'tests/data/badsign_edges.csv';",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("tests/data/badsign_edges.csv:3: unknown sign '?'"),
        "{err}"
    );
    assert!(err.contains("^"), "{err}");
    let o = valence(&[db, "--mode", "csv", "-c", "SHOW GRAPHS;"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), "name,version,versions,created,summary");
}

#[test]
fn scripts_stop_at_the_first_error_and_report_file_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.vql");
    std::fs::write(
        &script,
        "-- a script\nSHOW GRAPHS;\n\nSHOW\n  GRAPHZ;\nSHOW CATALOGUES;\n",
    )
    .unwrap();
    let o = valence(&["--mode", "csv", script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("s.vql:5:3"), "{err}");
    // The first statement ran, the one after the error did not.
    assert_eq!(
        stdout(&o).matches("name,version").count(),
        1,
        "{}",
        stdout(&o)
    );
}

#[test]
fn statements_from_stdin_and_dot_commands() {
    use std::io::Write;
    let mut child = std::process::Command::new(crate::common::valence_bin())
        .current_dir(crate::common::root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b".mode markdown\nLOAD CATALOGUE c FROM\n 'tests/data/tiny_catalogue.csv';\n.mode json\nSHOW CATALOGUES\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("| catalogue | version |"), "{out}");
    assert!(out.contains("\"name\": \"c\""), "{out}");
}

#[test]
fn unknown_dot_command_fails_non_interactively() {
    let o = valence(&["-c", ".frobnicate"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(".help"));
}

#[test]
fn same_seed_same_dataset_bytes_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let out = dir.path().join(format!("t{threads}.jsonl"));
        let o = std::process::Command::new(crate::common::valence_bin())
            .current_dir(crate::common::root())
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "-c",
                &format!(
                    "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';
                     IMPORT GRAPH g FROM 'fixtures/large/edges.csv' CATALOGUE c;
                     SAMPLE 600 FROM g TYPES (brand [1,1], audience [2,4], platform [1,1], geo [1,2])
                       LABEL pos COUNT 300 WHERE pos_frac IN [0.2, 1.0] AND neg_frac IN [0.0, 0.3]
                       LABEL neg COUNT 300 WHERE pos_frac IN [0.0, 0.2] AND neg_frac IN [0.2, 1.0]
                       FAVOUR (brand, audience) AVOID (geo, audience)
                       WITH (seed = 9, max_iters = 800, patience = 50) INTO d;
                     EXPORT DATASET d TO '{}';",
                    out.display()
                ),
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out).unwrap()
    };
    let one = run("1");
    let two = run("2");
    assert!(!one.is_empty());
    assert_eq!(one, two, "datasets differ between 1 and 2 threads");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let before = std::fs::read(crate::common::root().join("fixtures/small/edges.csv")).unwrap();
    let o = valence(&["fixtures/small/edges.csv", "-c", "SHOW GRAPHS;"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is not a valence database"),
        "{}",
        stderr(&o)
    );
    let after = std::fs::read(crate::common::root().join("fixtures/small/edges.csv")).unwrap();
    assert_eq!(before, after);
}

#[test]
fn a_second_process_gets_database_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.vdb");
    // The first process holds the file while it reads a slow stdin.
    let mut first = std::process::Command::new(crate::common::valence_bin())
        .current_dir(crate::common::root())
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the file exists (the first process opened it).
    for _ in 0..100 {
        if db.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let o = valence(&[db.to_str().unwrap(), "-c", "SHOW GRAPHS;"]);
    drop(first.stdin.take());
    let _ = first.wait();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("database is locked"), "{}", stderr(&o));
}

#[test]
fn dot_read_output_and_timer() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner.vql");
    std::fs::write(
        &inner,
        ".mode csv\nLOAD CATALOGUE c FROM 'tests/data/tiny_catalogue.csv';\nSHOW CATALOGUES;\n",
    )
    .unwrap();
    let out = dir.path().join("out.txt");
    let script = format!(
        ".output {}\n.read {}\n.output\n.timer on\nSHOW GRAPHS;\n",
        out.display(),
        inner.display()
    );
    let o = valence(&["-c", &script]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = std::fs::read_to_string(&out).unwrap();
    assert!(
        file.contains("catalogue,version,modalities,attributes"),
        "{file}"
    );
    assert!(file.contains("c,1,"), "{file}");
    let shown = stdout(&o);
    assert!(
        !shown.contains("c,1,"),
        "results went to the file, not stdout: {shown}"
    );
    assert!(
        shown.contains("name,version,versions,created,summary"),
        "{shown}"
    );
    assert!(shown.contains("Run Time: "), "{shown}");
}

#[test]
fn an_error_inside_dot_read_names_the_inner_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner.vql");
    std::fs::write(&inner, "SHOW GRAPHS;\n\nDROP GRAPH missing;\n").unwrap();
    let o = valence(&["-c", &format!(".read {}", inner.display())]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("inner.vql:3:12"), "{err}");
    assert!(err.contains("graph 'missing' not found"), "{err}");
}

/// `kill -9` of the shell in the middle of GENERATE ... USING CLUSTER, then
/// the same statement again: the journal answers what was paid for, the rest
/// is asked, and the graph equals an uninterrupted run's.
#[test]
fn cluster_generate_resumes_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.vdb");
    let db = db.to_str().unwrap();
    let gen_stmt = "GENERATE GRAPH g FROM c USING CLUSTER WITH (reference = 'fixtures/large/edges.csv', \
                    oracle_noise = 0.02, seed = 4, oracle_latency_ms = 40, workers = 2);";
    let load = "LOAD CATALOGUE c FROM 'fixtures/large/catalogue.csv';";
    let o = valence(&[db, "-c", load]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut child = std::process::Command::new(crate::common::valence_bin())
        .current_dir(crate::common::root())
        .args([db, "-c", gen_stmt])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!finished_early, "the run finished before the kill");

    // The killed run stored no graph.
    let o = valence(&[db, "--mode", "csv", "-c", "SHOW GRAPHS;"]);
    assert_eq!(stdout(&o).trim(), "name,version,versions,created,summary");

    // Resume: the phase table's total row is `total,planned,made,replayed,...`.
    let o = valence(&[db, "--mode", "csv", "-c", gen_stmt]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let total: Vec<u64> = out
        .lines()
        .find(|l| l.starts_with("total,"))
        .unwrap_or_else(|| panic!("no phase table in {out}"))
        .split(',')
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    let (planned, made, replayed) = (total[0], total[1], total[2]);
    assert!(replayed > 0, "nothing was replayed from the journal: {out}");
    assert!(made < planned, "everything was asked again: {out}");
    assert_eq!(made + replayed, planned, "{out}");

    // The same statement uninterrupted, in memory, gives the same graph.
    let fresh = valence(&[
        "--mode",
        "csv",
        "-c",
        &format!(
            "{load} {} EXPORT GRAPH g TO '{}';",
            gen_stmt.replace("oracle_latency_ms = 40", "oracle_latency_ms = 0"),
            dir.path().join("fresh.csv").display()
        ),
    ]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    let o = valence(&[
        db,
        "--mode",
        "csv",
        "-c",
        &format!(
            "IMPORT GRAPH fresh FROM '{}' CATALOGUE c; COMPARE GRAPH g WITH fresh;",
            dir.path().join("fresh.csv").display()
        ),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let all = stdout(&o)
        .lines()
        .find(|l| l.starts_with("(all),"))
        .map(str::to_string)
        .unwrap_or_default();
    // rel,edges_a,edges_b,common,agree,mismatch,...,only_a,only_b
    let f: Vec<&str> = all.split(',').collect();
    assert_eq!(f[1], f[2], "{all}");
    assert_eq!(f[1], f[3], "{all}");
    assert_eq!(f[5], "0", "{all}");
}

/// The README's main job, end to end: the quickstart script runs offline,
/// exits 0, and writes the whole dataset and its stratified parts, each row
/// once (run in a scratch directory that sees the fixtures through a link).
#[test]
fn the_quickstart_main_job_runs_and_writes_what_it_says() {
    use crate::common::{root, valence_bin};
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root().join("fixtures"), dir.path().join("fixtures")).unwrap();
    let o = std::process::Command::new(valence_bin())
        .args(["quickstart.vdb", "fixtures/quickstart.vql"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines = |name: &str| -> Vec<String> {
        std::fs::read_to_string(dir.path().join("out").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .lines()
            .map(str::to_string)
            .collect()
    };
    let whole = lines("campaigns.jsonl");
    assert_eq!(whole.len(), 13000);
    let mut parts = Vec::new();
    for (part, n) in [("train", 10400), ("validation", 1300), ("test", 1300)] {
        let p = lines(&format!("campaigns.{part}.jsonl"));
        assert_eq!(p.len(), n, "{part}");
        assert!(
            out.contains(&format!("out/campaigns.{part}.jsonl ({n} rows)")),
            "{out}"
        );
        parts.extend(p);
    }
    let (mut a, mut b) = (whole.clone(), parts);
    a.sort();
    b.sort();
    assert_eq!(a, b, "the parts are exactly the dataset");
    assert!(out.contains("rows in 2+ boxes"), "{out}");
}
