//! Semantic tests as data files (sqllogictest style): `tests/scripts/*.vqt`.
//!
//! A file is a sequence of blocks separated by blank lines:
//!
//! ```text
//! # a comment
//! statement ok
//! LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';
//!
//! query [TABLE] [col,col,...]
//! SHOW GRAPHS;
//! ----
//! name,version
//! g,1
//!
//! error
//! IMPORT GRAPH g FROM 'missing.csv';
//! ----
//! missing.csv
//! ```
//!
//! `statement ok` must succeed. `query` renders table TABLE (default 0) of the
//! result as CSV, keeping only the named columns (default all), and compares
//! it with the lines after `----`. `error` must fail; every line after `----`
//! must appear in the rendered error. `$TMP` in a statement is a fresh
//! temporary directory per file. Each file runs in its own in-memory
//! database. `UPDATE_EXPECT=1 cargo test` rewrites the expected query output.
//!
//! This is its own test target (`harness = false`, libtest-mimic): each file
//! is one trial named after it, so `cargo test --test scripts sample` runs the
//! files whose name contains `sample`, and a failure names its file.

use std::path::Path;

use valence::{Database, Mode, Table};

use libtest_mimic::{Arguments, Failed, Trial};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug)]
enum Directive {
    Ok,
    Query { table: usize, columns: Vec<String> },
    Error,
}

struct Block {
    directive: Directive,
    line: usize,
    sql: String,
    /// Line index range of the expected output in the file.
    expected: Vec<String>,
    expected_range: Option<(usize, usize)>,
}

fn parse_file(text: &str, file: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        if l.is_empty() || l.starts_with('#') {
            i += 1;
            continue;
        }
        let mut words = l.split_whitespace();
        let head = words.next().unwrap_or("");
        let directive = match head {
            "statement" => {
                assert_eq!(
                    words.next(),
                    Some("ok"),
                    "{file}:{}: expected `statement ok`",
                    i + 1
                );
                Directive::Ok
            }
            "query" => {
                let mut table = 0;
                let mut columns = Vec::new();
                for w in words {
                    if let Ok(n) = w.parse() {
                        table = n;
                    } else {
                        columns = w.split(',').map(str::to_string).collect();
                    }
                }
                Directive::Query { table, columns }
            }
            "error" => Directive::Error,
            other => panic!("{file}:{}: unknown directive {other:?}", i + 1),
        };
        let line = i + 1;
        i += 1;
        let mut sql = String::new();
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i].trim() != "----" {
            sql.push_str(lines[i]);
            sql.push('\n');
            i += 1;
        }
        let mut expected = Vec::new();
        let mut expected_range = None;
        if i < lines.len() && lines[i].trim() == "----" {
            i += 1;
            let start = i;
            while i < lines.len() && !lines[i].trim().is_empty() {
                expected.push(lines[i].to_string());
                i += 1;
            }
            expected_range = Some((start, i));
        }
        blocks.push(Block {
            directive,
            line,
            sql,
            expected,
            expected_range,
        });
    }
    blocks
}

fn project(t: &Table, columns: &[String]) -> Table {
    if columns.is_empty() {
        return t.clone();
    }
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| {
            t.column(c)
                .unwrap_or_else(|| panic!("no column {c:?} in {:?}", t.columns))
        })
        .collect();
    Table {
        title: None,
        columns: columns.to_vec(),
        rows: t
            .rows
            .iter()
            .map(|r| idx.iter().map(|&i| r[i].clone()).collect())
            .collect(),
    }
}

fn run_file(path: &Path) -> Vec<String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let db = Database::in_memory().unwrap();
    let mut failures = Vec::new();
    let mut rewrites: Vec<((usize, usize), Vec<String>)> = Vec::new();
    for b in parse_file(&text, &name) {
        let sql = b.sql.replace("$TMP", &tmp.path().display().to_string());
        let at = format!("{name}:{}", b.line);
        let result = db.execute(&sql);
        match (&b.directive, result) {
            (Directive::Ok, Ok(_)) => {}
            (Directive::Ok, Err(e)) => failures.push(format!("{at}: statement failed: {e}")),
            (Directive::Query { table, columns }, Ok(rs)) => {
                let Some(r) = rs.last() else {
                    failures.push(format!("{at}: no result"));
                    continue;
                };
                let Some(t) = r.tables.get(*table) else {
                    failures.push(format!("{at}: no table {table}"));
                    continue;
                };
                let got = valence::render::render_table(&project(t, columns), Mode::Csv);
                let got: Vec<String> = got.lines().map(str::to_string).collect();
                if got != b.expected {
                    if std::env::var_os("UPDATE_EXPECT").is_some() {
                        if let Some(range) = b.expected_range {
                            rewrites.push((range, got));
                        }
                    } else {
                        failures.push(format!(
                            "{at}: query output differs\n--- expected\n{}\n--- got\n{}",
                            b.expected.join("\n"),
                            got.join("\n")
                        ));
                    }
                }
            }
            (Directive::Query { .. }, Err(e)) => failures.push(format!("{at}: query failed: {e}")),
            (Directive::Error, Ok(_)) => {
                failures.push(format!("{at}: expected an error, got success"))
            }
            (Directive::Error, Err(e)) => {
                let rendered = match &e {
                    valence::Error::Query(q) => q.render(&sql, "<test>"),
                    other => other.to_string(),
                };
                for want in &b.expected {
                    if !rendered.contains(want.trim()) {
                        failures.push(format!(
                            "{at}: error does not contain {want:?}:\n{rendered}"
                        ));
                    }
                }
            }
        }
    }
    if !rewrites.is_empty() {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for ((s, e), got) in rewrites.into_iter().rev() {
            lines.splice(s..e, got);
        }
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
    failures
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let dir = root().join("tests/scripts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "vqt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no script files in {}", dir.display());
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(name, move || {
                let failures = run_file(&path);
                if failures.is_empty() {
                    Ok(())
                } else {
                    Err(Failed::from(failures.join("\n\n")))
                }
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
