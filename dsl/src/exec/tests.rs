//! Where the dispatcher's errors point: each statement's error lands on
//! the reference, path or name at fault (the data-file tests check the
//! messages; these check the carets of the operations that moved into
//! `Engine` methods).

use std::sync::Arc;

use valence_engine::{Ctx, Engine};

use super::Session;

const SETUP: &str = "LOAD CATALOGUE tiny FROM '../tests/data/tiny_catalogue.csv';
IMPORT GRAPH g FROM '../tests/data/tiny_edges.csv' CATALOGUE tiny;";

fn session() -> Session {
    let s = Session::new(Arc::new(Engine::in_memory().unwrap()));
    s.execute(SETUP, &Ctx::default()).unwrap();
    s
}

/// The text under the caret of the error `stmt` raises.
fn caret(s: &Session, stmt: &str) -> String {
    let err = s
        .execute(stmt, &Ctx::default())
        .expect_err("the statement should fail");
    let span = err.span.expect("every error has a place");
    stmt[span.start..span.end].to_string()
}

#[test]
fn compare_points_at_the_graph_that_cannot_be_read() {
    let s = session();
    assert_eq!(caret(&s, "COMPARE GRAPH g WITH nope;"), "nope");
    assert_eq!(caret(&s, "COMPARE GRAPH nope WITH g;"), "nope");
    assert_eq!(caret(&s, "COMPARE GRAPH g WITH g@9;"), "g@9");
    assert_eq!(caret(&s, "COMPARE GRAPH g@9 WITH g@8;"), "g@9");
}

#[test]
fn check_graph_points_at_the_file_or_the_graph() {
    let s = session();
    assert_eq!(
        caret(&s, "CHECK GRAPH g AGAINST '../tests/data/nope.csv';"),
        "'../tests/data/nope.csv'"
    );
    assert_eq!(
        caret(
            &s,
            "CHECK GRAPH g AGAINST '../tests/data/compare_badexpect.csv';"
        ),
        "'../tests/data/compare_badexpect.csv'"
    );
    assert_eq!(
        caret(
            &s,
            "CHECK GRAPH nope AGAINST '../tests/data/compare_expect.csv';"
        ),
        "nope"
    );
}

#[test]
fn objects_describe_and_explain_point_at_the_missing_name() {
    let s = session();
    assert_eq!(caret(&s, "SHOW VERSIONS OF GRAPH nope;"), "nope");
    assert_eq!(caret(&s, "DESCRIBE GRAPH nope;"), "nope");
    assert_eq!(caret(&s, "DESCRIBE CATALOGUE nope;"), "nope");
    assert_eq!(caret(&s, "DESCRIBE DATASET nope;"), "nope");
    assert_eq!(caret(&s, "DROP DATASET nope;"), "nope");
    assert_eq!(
        caret(&s, "EXPLAIN GENERATE GRAPH x FROM nope USING BRUTE_FORCE;"),
        "nope"
    );
    assert_eq!(
        caret(&s, "EXPLAIN GENERATE GRAPH x FROM nope USING CLUSTER;"),
        "nope"
    );
}

#[test]
fn every_statement_family_answers_under_its_own_title() {
    let s = session();
    let script = "SHOW GRAPHS; SHOW VERSIONS OF GRAPH g; DESCRIBE GRAPH g; DESCRIBE CATALOGUE tiny;
        COMPARE GRAPH g WITH g; CHECK DATABASE; EXPLAIN GENERATE GRAPH x FROM tiny USING BRUTE_FORCE;
        SELECT COUNT(*) AS n FROM edges(g);";
    let titles: Vec<&str> = s
        .execute(script, &Ctx::default())
        .unwrap()
        .iter()
        .map(|r| r.statement)
        .collect();
    assert_eq!(
        titles,
        [
            "SHOW",
            "SHOW VERSIONS",
            "DESCRIBE",
            "DESCRIBE",
            "COMPARE GRAPH",
            "CHECK DATABASE",
            "EXPLAIN GENERATE GRAPH",
            "SELECT"
        ]
    );
}
