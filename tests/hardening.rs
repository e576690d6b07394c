//! Issue 15: every bad input bounded, every corruption detected. Inputs and
//! storage here; the LLM limits are in `hardening_llm.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use valence::Database;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn err_of(db: &Database, stmt: &str) -> String {
    db.execute(stmt).unwrap_err().to_string()
}

fn count(db: &Database, show: &str) -> usize {
    db.execute(show).unwrap()[0].table().rows.len()
}

// ---- 15.1: the modality index never wraps --------------------------------

#[test]
fn import_without_catalogue_refuses_modality_65536_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    // Row k (line k + 1) joins modalities m{2k} and m{2k+1}: row 32,768 brings
    // modality number 65,536 as its target.
    let mut text = String::from("source,target,rel,sign\n");
    for k in 0..32_768u32 {
        let (a, b) = (2 * k, 2 * k + 1);
        writeln!(text, "v{a},w{b},m{a}_to_m{b},+").unwrap();
    }
    let p = write(dir.path(), "wide.csv", &text);
    let db = Database::in_memory().unwrap();
    let e = err_of(&db, &format!("IMPORT GRAPH wide FROM '{}';", p.display()));
    assert!(e.contains("wide.csv:32769"), "{e}");
    assert!(
        e.contains("too many modalities") && e.contains("'m65535'"),
        "{e}"
    );
    assert_eq!(count(&db, "SHOW GRAPHS;"), 0);

    // One row fewer (65,534 modalities) imports, and modality names survive.
    let short: String = text
        .lines()
        .take(32_768)
        .map(|l| format!("{l}\n"))
        .collect();
    let p = write(dir.path(), "wide_ok.csv", &short);
    db.execute(&format!("IMPORT GRAPH wide FROM '{}';", p.display()))
        .unwrap();
    let g = db.graph("wide").unwrap();
    assert_eq!(g.modalities().len(), 65_534);
    let last = g
        .find("m65533", "w65533")
        .expect("last node keeps its modality");
    assert_eq!(g.modalities()[g.modality_of(last) as usize], "m65533");
}

// ---- 15.5: no silent CSV acceptance --------------------------------------

#[test]
fn catalogue_with_unterminated_quote_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "cat.csv",
        "modality,value\nbrand,Nike\nbrand,\"Rolex\naudience,Athletes\naudience,Gamers\n",
    );
    let db = Database::in_memory().unwrap();
    let e = err_of(&db, &format!("LOAD CATALOGUE c FROM '{}';", p.display()));
    assert!(e.contains("cat.csv:3"), "{e}");
    assert!(e.contains("unterminated quote"), "{e}");
    assert_eq!(count(&db, "SHOW CATALOGUES;"), 0);

    // A quote left open on the last line (no newline after it) too.
    let p = write(
        dir.path(),
        "cat2.csv",
        "modality,value\nbrand,Nike\nbrand,\"Rolex",
    );
    let e = err_of(&db, &format!("LOAD CATALOGUE c FROM '{}';", p.display()));
    assert!(
        e.contains("cat2.csv:3") && e.contains("never closed"),
        "{e}"
    );

    // Quoted fields that close properly are still fine.
    let p = write(
        dir.path(),
        "cat3.csv",
        "modality,value\nbrand,\"Rolex, \"\"the\"\" watch\"\naudience,Athletes\n",
    );
    db.execute(&format!("LOAD CATALOGUE c FROM '{}';", p.display()))
        .unwrap();
}

#[test]
fn edge_row_of_empty_fields_is_an_error_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "e.csv",
        "source,target,rel,sign\nNike,Athletes,brand_to_audience,+\n,,,\nRolex,Gamers,brand_to_audience,-\n",
    );
    let db = Database::in_memory().unwrap();
    let e = err_of(&db, &format!("IMPORT GRAPH g FROM '{}';", p.display()));
    assert!(e.contains("e.csv:3") && e.contains("empty fields"), "{e}");
    // Truly blank lines are still skipped.
    let p = write(
        dir.path(),
        "blank.csv",
        "source,target,rel,sign\nNike,Athletes,brand_to_audience,+\n\n   \nRolex,Gamers,brand_to_audience,-\n",
    );
    db.execute(&format!("IMPORT GRAPH g FROM '{}';", p.display()))
        .unwrap();
    let g = db.graph("g").unwrap();
    assert_eq!(g.edge_counts(), (1, 1));
}

#[test]
fn edge_file_quote_fault_names_the_real_cause() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "q.csv",
        "source,target,rel,sign\n\"Nike,Athletes,brand_to_audience,+\nRolex,Gamers,brand_to_audience,-\n",
    );
    let db = Database::in_memory().unwrap();
    let e = err_of(&db, &format!("IMPORT GRAPH g FROM '{}';", p.display()));
    assert!(
        e.contains("q.csv:2") && e.contains("unterminated quote"),
        "{e}"
    );
    assert!(!e.contains("empty target"), "{e}");
}

// ---- 15.6 / 15.7: bounded echoes, bounded names and values ---------------

#[test]
fn a_huge_field_is_quoted_short_with_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(20 * 1024 * 1024);
    let p = write(
        dir.path(),
        "big.csv",
        &format!("source,target,rel,sign\nNike,Athletes,brand_to_audience,{big}\n"),
    );
    let db = Database::in_memory().unwrap();
    let e = err_of(&db, &format!("IMPORT GRAPH g FROM '{}';", p.display()));
    assert!(e.len() < 1000, "error of {} bytes", e.len());
    assert!(e.contains("big.csv:2") && e.contains("(20.0 MB)"), "{e}");
}

#[test]
fn a_huge_path_is_quoted_short() {
    let db = Database::in_memory().unwrap();
    let long = format!("/nonexistent/{}", "d".repeat(1024 * 1024));
    let e = err_of(&db, &format!("LOAD CATALOGUE c FROM '{long}';"));
    assert!(e.len() < 2000, "error of {} bytes", e.len());
    assert!(e.contains("(1.0 MB)"), "{e}");
}

#[test]
fn names_over_255_bytes_are_refused() {
    let db = Database::in_memory().unwrap();
    let ok = "n".repeat(255);
    db.execute(&format!(
        "LOAD CATALOGUE {ok} FROM 'tests/data/tiny_catalogue.csv';"
    ))
    .unwrap();
    let long = "n".repeat(100_000);
    let e = err_of(
        &db,
        &format!("LOAD CATALOGUE {long} FROM 'tests/data/tiny_catalogue.csv';"),
    );
    assert!(
        e.contains("100000 bytes") && e.contains("at most 255"),
        "{e}"
    );
    assert!(e.len() < 2000, "error of {} bytes", e.len());
    assert_eq!(count(&db, "SHOW CATALOGUES;"), 1);
}

#[test]
fn catalogue_values_over_64_kb_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let value = "v".repeat(64 * 1024 + 1);
    let p = write(
        dir.path(),
        "c.csv",
        &format!("modality,value\nbrand,Nike\nbrand,{value}\n"),
    );
    let db = Database::in_memory().unwrap();
    let e = err_of(&db, &format!("LOAD CATALOGUE c FROM '{}';", p.display()));
    assert!(
        e.contains("c.csv:3") && e.contains("at most 64.0 KB"),
        "{e}"
    );
    assert!(e.len() < 1000, "error of {} bytes", e.len());
    let ok = "v".repeat(64 * 1024);
    let p = write(
        dir.path(),
        "c2.csv",
        &format!("modality,value\nbrand,Nike\nbrand,{ok}\n"),
    );
    db.execute(&format!("LOAD CATALOGUE c FROM '{}';", p.display()))
        .unwrap();
}

// ---- 15.3: checksums, CHECK DATABASE, format 1 read back ----------------

/// The rows of `CHECK DATABASE` as (kind, name, version, status), without
/// the last line of a file database (its size).
fn check_rows(db: &Database) -> Vec<(String, String, Option<i64>, String)> {
    let r = db.execute("CHECK DATABASE;").unwrap();
    let t = r[0].table();
    (0..t.rows.len())
        .filter(|&i| t.get(i, "kind").and_then(|v| v.as_str()) != Some("file"))
        .map(|i| {
            let s = |c: &str| {
                t.get(i, c)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let v = t.get(i, "version").and_then(|v| v.as_i64());
            (s("kind"), s("name"), v, s("status"))
        })
        .collect()
}

#[test]
fn format_1_database_reads_back_identically_and_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.vdb");
    std::fs::copy("tests/data/format1/v1.vdb", &path).unwrap();
    let db = Database::open(&path).unwrap();
    let ds = dir.path().join("ds.jsonl");
    let (gref, ggen) = (dir.path().join("ref.csv"), dir.path().join("gen.csv"));
    db.execute(&format!(
        "EXPORT DATASET ds TO '{}'; EXPORT GRAPH ref TO '{}'; EXPORT GRAPH gen TO '{}';",
        ds.display(),
        gref.display(),
        ggen.display()
    ))
    .unwrap();
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(read(&ds), read(Path::new("tests/data/format1/ds.jsonl")));
    assert_eq!(read(&gref), read(Path::new("tests/data/format1/ref.csv")));
    assert_eq!(read(&ggen), read(Path::new("tests/data/format1/ref.csv")));
    let cat = db.execute("DESCRIBE CATALOGUE small;").unwrap();
    assert!(!cat[0].table().rows.is_empty());
    // Opening migrated it to format 2: every object now has a checksum.
    let rows = check_rows(&db);
    let objects: Vec<_> = rows
        .iter()
        .map(|(k, n, v, s)| (k.as_str(), n.as_str(), *v, s.as_str()))
        .collect();
    assert_eq!(
        objects,
        vec![
            ("catalogue", "small", Some(1), "ok"),
            ("dataset", "ds", Some(1), "ok"),
            ("graph", "gen", Some(1), "ok"),
            ("graph", "ref", Some(1), "ok"),
            ("journal", "", None, "ok"),
        ]
    );
    // The journal written by format 1 still answers: a re-run makes no call.
    let r = db
        .execute(
            "GENERATE GRAPH gen FROM small USING BRUTE_FORCE \
             WITH (backend = 'oracle', reference = 'fixtures/small/edges.csv');",
        )
        .unwrap();
    let t = r[0].table();
    assert_eq!(t.get(0, "calls_made").and_then(|v| v.as_i64()), Some(0));
    assert_eq!(
        t.get(0, "calls_replayed").and_then(|v| v.as_i64()),
        Some(27)
    );
}

/// Flips one bit inside every occurrence of `needle` in the file.
fn flip_inside(path: &Path, needle: &[u8]) -> usize {
    let mut d = std::fs::read(path).unwrap();
    let hits: Vec<usize> = d
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    for &i in &hits {
        d[i + needle.len() / 2] ^= 0x01;
    }
    std::fs::write(path, d).unwrap();
    hits.len()
}

#[test]
fn a_flipped_byte_in_a_payload_is_an_error_naming_the_object() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.vdb");
    let other = write(
        dir.path(),
        "other.csv",
        "modality,value\nbrand,Acme\naudience,Kids\n",
    );
    {
        let db = Database::open(&path).unwrap();
        db.execute(&format!(
            "LOAD CATALOGUE tiny FROM 'tests/data/tiny_catalogue.csv';
             IMPORT GRAPH g FROM 'tests/data/tiny_edges.csv' CATALOGUE tiny;
             LOAD CATALOGUE other FROM '{}';",
            other.display()
        ))
        .unwrap();
        assert!(check_rows(&db).iter().all(|r| r.3 == "ok"));
    }
    // "Budget Shoppers" is in tiny's catalogue JSON and g's snapshot only.
    assert!(flip_inside(&path, b"Budget Shoppers") >= 2);
    let db = Database::open(&path).unwrap();
    let e = err_of(&db, "DESCRIBE GRAPH g;");
    assert!(e.contains("graph g@1 is corrupted"), "{e}");
    let e = err_of(&db, "DESCRIBE CATALOGUE tiny;");
    assert!(e.contains("catalogue tiny@1 is corrupted"), "{e}");
    let e = err_of(
        &db,
        "SAMPLE 2 FROM g TYPES (brand [1,1]) LABEL x COUNT 2 WHERE pos_frac IN [0, 1] INTO d;",
    );
    assert!(e.contains("graph g@1 is corrupted"), "{e}");
    // Untouched objects still load.
    db.execute("DESCRIBE CATALOGUE other;").unwrap();
    let rows = check_rows(&db);
    let status = |k: &str, n: &str| {
        rows.iter()
            .find(|r| r.0 == k && r.1 == n)
            .map(|r| r.3.clone())
            .unwrap()
    };
    assert_eq!(status("catalogue", "tiny"), "corrupt");
    assert_eq!(status("graph", "g"), "corrupt");
    assert_eq!(status("catalogue", "other"), "ok");
    // The damaged version can be dropped and made again.
    db.execute(
        "DROP GRAPH g@1; DROP CATALOGUE tiny@1;
         LOAD CATALOGUE tiny FROM 'tests/data/tiny_catalogue.csv';",
    )
    .unwrap();
    assert!(check_rows(&db).iter().all(|r| r.3 == "ok"));
}

#[test]
fn a_flipped_byte_in_a_manifest_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.vdb");
    {
        let db = Database::open(&path).unwrap();
        db.execute("LOAD CATALOGUE tiny FROM 'tests/data/tiny_catalogue.csv';")
            .unwrap();
    }
    // The statement text is only in the manifest.
    assert_eq!(flip_inside(&path, b"LOAD CATALOGUE tiny FROM"), 1);
    let db = Database::open(&path).unwrap();
    let e = err_of(&db, "SHOW CATALOGUES;");
    assert!(
        e.contains("catalogue tiny@1 is corrupted") && e.contains("manifest"),
        "{e}"
    );
    let rows = check_rows(&db);
    assert_eq!(rows[0].3, "corrupt");
}

// ---- 15.12: a SAMPLE too large for memory is refused at once ------------

#[test]
fn a_sample_too_large_for_memory_is_refused_at_once() {
    let db = Database::in_memory().unwrap();
    db.execute(
        "LOAD CATALOGUE tiny FROM 'tests/data/tiny_catalogue.csv';
         IMPORT GRAPH g FROM 'tests/data/tiny_edges.csv' CATALOGUE tiny;",
    )
    .unwrap();
    let t0 = std::time::Instant::now();
    // 1e9 rows of up to 3 nodes: ~160 GB, more than any test machine has.
    let e = err_of(
        &db,
        "SAMPLE 1000000000 FROM g TYPES (brand [1,1], audience [1,1], platform [1,1]) \
         LABEL x COUNT 1000000000 WHERE pos_frac IN [0, 1] WITH (distinct = false) INTO d;",
    );
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t0.elapsed()
    );
    assert!(e.contains("SAMPLE 1000000000 would need about"), "{e}");
    assert!(e.contains("GB") && e.contains("available"), "{e}");
    assert_eq!(count(&db, "SHOW DATASETS;"), 0);
}

// ---- 15.9: a failed create leaves no stub --------------------------------

#[test]
fn a_database_that_cannot_be_created_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.vdb");
    // A file-size limit of 8 blocks (a few KB, far below the ~72 KB redb
    // writes at creation) fails the creation the way a full disk does;
    // SIGXFSZ is ignored so the write returns EFBIG instead of killing.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 8; exec '{}' '{}' -c 'SHOW GRAPHS;'",
            crate::common::valence_bin().display(),
            db.display()
        ))
        .current_dir(crate::common::root())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = crate::common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot create the database") && err.contains("no file was left"),
        "{err}"
    );
    assert!(!db.exists(), "a stub was left behind");
    // Without the limit the same path works.
    let out = crate::common::valence(&[db.to_str().unwrap(), "-c", "SHOW GRAPHS;"]);
    assert!(out.status.success(), "{}", crate::common::stderr(&out));
}

// ---- 15.13: numbers are echoed compactly ---------------------------------

#[test]
fn huge_numbers_in_a_box_are_printed_compactly() {
    let db = Database::in_memory().unwrap();
    db.execute(
        "LOAD CATALOGUE tiny FROM 'tests/data/tiny_catalogue.csv';
         IMPORT GRAPH g FROM 'tests/data/tiny_edges.csv' CATALOGUE tiny;",
    )
    .unwrap();
    let e = err_of(
        &db,
        "SAMPLE 2 FROM g TYPES (brand [1,1]) LABEL x COUNT 2 WHERE pos_frac IN [0, 1e308] INTO d;",
    );
    assert!(e.contains("range [0, 1e308] leaves [0, 1]"), "{e}");
    assert!(e.len() < 300, "{e}");
    use valence::Value;
    assert_eq!(Value::Interval(0.0, 1e308).display(), "[0, 1e308]");
    assert_eq!(Value::Interval(0.125, 1.0).display(), "[0.125, 1]");
    assert_eq!(Value::Interval(1e-9, 0.3).display(), "[1e-9, 0.3]");
}

#[test]
fn the_shell_quotes_a_huge_statement_line_short() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "big.vql",
        &format!(
            "LOAD CATALOGUE c FROM '/nonexistent/{}';\n",
            "d".repeat(1_000_000)
        ),
    );
    let out = crate::common::valence(&[script.to_str().unwrap()]);
    let err = crate::common::stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.len() < 2000, "{} bytes of error", err.len());
    assert!(
        err.contains("big.vql:1:23") && err.contains("characters)"),
        "{err}"
    );
    assert!(err.contains("^^^^"), "{err}");
}

#[test]
fn a_damaged_journal_reply_is_reported_and_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.vdb");
    let generate = "GENERATE GRAPH g FROM small USING BRUTE_FORCE \
               WITH (backend = 'oracle', reference = 'fixtures/small/edges.csv');";
    {
        let db = Database::open(&path).unwrap();
        db.execute("LOAD CATALOGUE small FROM 'fixtures/small/catalogue.csv';")
            .unwrap();
        db.execute(generate).unwrap();
    }
    let flipped = flip_inside(&path, b"\"3\": \"+\"");
    assert!(flipped > 0);
    let db = Database::open(&path).unwrap();
    let rows = check_rows(&db);
    let damaged = rows
        .iter()
        .filter(|r| r.0 == "journal" && !r.1.is_empty() && r.3 == "corrupt")
        .count();
    assert_eq!(damaged, flipped, "{rows:?}");
    assert_eq!(
        rows.last().unwrap().3,
        "corrupt",
        "the journal row sums it up"
    );
    // The graph itself is intact; a re-run asks only for the damaged replies.
    let r = db.execute(generate).unwrap();
    let t = r[0].table();
    assert_eq!(
        t.get(0, "calls_made").and_then(|v| v.as_i64()),
        Some(damaged as i64)
    );
    assert_eq!(
        db.graph("g@1").unwrap().edge_counts(),
        db.graph("g@2").unwrap().edge_counts()
    );
    assert!(check_rows(&db).iter().all(|r| r.3 == "ok"));
}
