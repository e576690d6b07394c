//! `SELECT` over read-only virtual tables of one stored object version.
//!
//! Stages (one file each): [`ast`] (built by `parse/select.rs`) →
//! [`source`] (resolve and load the table) → [`bind`] (names, types) →
//! [`plan`] (filter, group, order, limit) → [`eval`]. Rows stream from the
//! engine's iterators (`valence_engine::query`); without ORDER BY and
//! GROUP BY a LIMIT stops the scan. SELECT never opens a write transaction.

pub mod ast;
mod bind;
mod eval;
mod plan;
pub mod source;
mod value;

use valence_engine::Engine;

use crate::error::Result;
use crate::table::Table;

pub use source::{Over, TABLE_FUNCTIONS, TableFn};

/// Runs one SELECT.
pub(crate) fn execute(e: &Engine, sel: &ast::Select) -> Result<Vec<Table>> {
    let loaded = source::load(e, &sel.table)?;
    let columns = loaded.columns();
    let plan = plan::Plan::build(sel, &columns)?;
    let value = sel.filter.as_ref().and_then(|f| equal_text(f, "value"));
    let table = loaded.scan(value.as_deref(), |rows| plan.run(rows));
    Ok(vec![table])
}

/// `column = 'text'` when it is one of the top-level AND terms of a WHERE:
/// the scan may start from that value's node (WHERE still filters every row).
fn equal_text(e: &ast::Expr, column: &str) -> Option<String> {
    use ast::{CmpOp, ExprKind, Lit};
    match &e.kind {
        ExprKind::And(a, b) => equal_text(a, column).or_else(|| equal_text(b, column)),
        ExprKind::Cmp(CmpOp::Eq, a, b) => match (&a.kind, &b.kind) {
            (ExprKind::Column(c), ExprKind::Lit(Lit::Text(s)))
            | (ExprKind::Lit(Lit::Text(s)), ExprKind::Column(c))
                if c.eq_ignore_ascii_case(column) =>
            {
                Some(s.clone())
            }
            _ => None,
        },
        _ => None,
    }
}

/// Edit distance (Levenshtein, case-insensitive).
fn distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(&a.to_lowercase(), &b.to_lowercase())
}

/// The candidate closest to `word` when it is near enough to be a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len())
        .min()
        .map(|(_, c)| c)
}

fn did_you_mean(c: &str, all: &[&str]) -> String {
    format!("did you mean '{c}'? (one of: {})", all.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(sql: &str) -> ast::Select {
        let stmts = crate::parse::parse_script(sql).unwrap();
        match &stmts[0].kind {
            crate::ast::StatementKind::Select(s) => (**s).clone(),
            other => panic!("not a SELECT: {other:?}"),
        }
    }

    #[test]
    fn limit_without_order_stops_an_endless_scan() {
        let cols = vec![("n".to_string(), value::Ty::Int)];
        let plan = plan::Plan::build(
            &select("SELECT n FROM nodes(g) WHERE n > 0 LIMIT 3 OFFSET 2"),
            &cols,
        )
        .unwrap();
        let mut i = 0i64;
        let mut endless = std::iter::from_fn(|| {
            i += 1;
            Some(vec![value::Val::Int(i)])
        });
        let t = plan.run(&mut endless);
        let got: Vec<_> = t.rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(got, [3, 4, 5].map(crate::table::Value::Int));
    }

    #[test]
    fn closest_finds_typos_only() {
        let names = ["edges", "neighbours", "nodes"];
        assert_eq!(closest("neighbors", &names), Some("neighbours"));
        assert_eq!(closest("edge", &names), Some("edges"));
        assert_eq!(closest("frobnicate", &names), None);
    }
}
