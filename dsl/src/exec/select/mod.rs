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
use crate::table::QueryResult;

pub use source::{Over, TABLE_FUNCTIONS, TableFn};

/// Runs one SELECT.
pub(crate) fn execute(e: &Engine, sel: &ast::Select) -> Result<QueryResult> {
    let loaded = source::load(e, &sel.table)?;
    let columns = loaded.columns();
    let plan = plan::Plan::build(sel, &columns)?;
    let table = loaded.scan(|rows| plan.run(rows));
    Ok(QueryResult::new("SELECT", vec![table]))
}

/// Edit distance (Levenshtein, case-insensitive).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
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

    #[test]
    fn closest_finds_typos_only() {
        let names = ["edges", "neighbours", "nodes"];
        assert_eq!(closest("neighbors", &names), Some("neighbours"));
        assert_eq!(closest("edge", &names), Some("edges"));
        assert_eq!(closest("frobnicate", &names), None);
    }
}
