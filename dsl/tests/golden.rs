//! Golden tests for the parser (rust-analyzer style): each
//! `tests/parser/*.vql` is parsed and its AST (or rendered error) compared
//! with the `.ast` file beside it. `UPDATE_EXPECT=1 cargo test -p valence-dsl`
//! rewrites the expectations; review them as diffs.

use std::path::PathBuf;

#[test]
fn parser_golden_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/parser");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "vql"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let got = match valence_dsl::parse_script(&src) {
            Ok(stmts) => format!("{stmts:#?}\n"),
            Err(e) => format!("{}\n", e.render(&src, "input.vql")),
        };
        let expect_path = f.with_extension("ast");
        let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
        if got != expected {
            if update {
                std::fs::write(&expect_path, &got).unwrap();
            } else {
                failures.push(format!(
                    "{} differs from {} (run with UPDATE_EXPECT=1 and review the diff)",
                    f.display(),
                    expect_path.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
