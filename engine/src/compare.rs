//! COMPARE GRAPH a WITH b and CHECK GRAPH g AGAINST 'expectations.csv'.
//!
//! Nodes are matched by (modality, value), so graphs over different
//! catalogues (or imported without one) compare by name. Edges are
//! undirected.
//!
//! COMPARE counts, overall and per relation (modality pair, named
//! `<m1>_to_<m2>` in `a`'s modality order, then `b`'s for modalities only
//! `b` has):
//! * `common`: pairs with an edge in both graphs; `agree` / `mismatch`:
//!   of those, same / opposite sign; `sign_agreement` = agree / common;
//! * `only_a`, `only_b`: pairs with an edge in one graph only;
//! * `recall_of_b` = common / edges of b (how much of b's edge set a
//!   recovers, whatever the sign); `precision_vs_b` = common / edges of a.
//!
//! CHECK reads `source_modality,source,target_modality,target,expected`
//! (`expected` is `+`, `-` or `?` for ambiguous; header required, extra
//! columns ignored) and answers, for the obvious (`+`/`-`) pairs, how many
//! the graph gets right (`0` = no edge counts as wrong), and for the
//! ambiguous ones how the graph labels them (+ / - / no edge). A pair
//! whose node is not in the graph counts as no edge and is also counted in
//! `missing_nodes` (so a typo in the file shows).

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::catalogue::CsvFile;
use crate::{Error, NodeId, Result, Sign, SignedGraph};

/// Edge counts of one relation (or of the whole graph).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CompareCounts {
    /// `<m1>_to_<m2>`, or `(all)`.
    pub rel: String,
    pub edges_a: u64,
    pub edges_b: u64,
    pub common: u64,
    pub agree: u64,
    pub mismatch: u64,
    pub only_a: u64,
    pub only_b: u64,
}

impl CompareCounts {
    /// agree / common; `None` when there is no common edge (nothing to
    /// agree on: not a perfect score).
    pub fn sign_agreement(&self) -> Option<f64> {
        ratio(self.agree, self.common)
    }

    /// common / edges of b; `None` when b has no edge.
    pub fn recall_of_b(&self) -> Option<f64> {
        ratio(self.common, self.edges_b)
    }

    /// common / edges of a; `None` when a has no edge.
    pub fn precision_vs_b(&self) -> Option<f64> {
        ratio(self.common, self.edges_a)
    }
}

fn ratio(x: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| x as f64 / n as f64)
}

/// One pair whose sign differs between the graphs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub rel: String,
    pub modality_1: String,
    pub value_1: String,
    pub modality_2: String,
    pub value_2: String,
    pub sign_a: char,
    pub sign_b: char,
}

/// The result of [`compare_graphs`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    pub total: CompareCounts,
    pub by_rel: Vec<CompareCounts>,
    /// Sorted by rel, then values.
    pub mismatches: Vec<Mismatch>,
}

type Key = (String, String);

fn node_key(g: &SignedGraph, id: NodeId) -> Key {
    (g.modality_name(id).to_string(), g.value(id).to_string())
}

/// Compares `a` with `b` (see the module docs).
pub fn compare_graphs(a: &SignedGraph, b: &SignedGraph) -> Comparison {
    // Modality order: a's, then b's extra ones.
    let mut order: Vec<String> = a.modalities().to_vec();
    for m in b.modalities() {
        if !order.contains(m) {
            order.push(m.clone());
        }
    }
    let rank = |m: &str| order.iter().position(|x| x == m).unwrap_or(usize::MAX);
    // Canonical pair: lower-ranked modality first (value order within one).
    let canon = |x: Key, y: Key| -> (Key, Key) {
        if (rank(&x.0), &x.1) <= (rank(&y.0), &y.1) {
            (x, y)
        } else {
            (y, x)
        }
    };
    let edge_map = |g: &SignedGraph| -> HashMap<(Key, Key), Sign> {
        g.edges()
            .map(|(x, y, s)| (canon(node_key(g, x), node_key(g, y)), s))
            .collect()
    };
    let ea = edge_map(a);
    let eb = edge_map(b);
    let mut rels: HashMap<(usize, usize), CompareCounts> = HashMap::new();
    let rel_of = |k: &(Key, Key)| (rank(&k.0.0), rank(&k.1.0));
    fn entry<'m>(
        rels: &'m mut HashMap<(usize, usize), CompareCounts>,
        order: &[String],
        r: (usize, usize),
    ) -> &'m mut CompareCounts {
        rels.entry(r).or_insert_with(|| CompareCounts {
            rel: format!(
                "{}_to_{}",
                order.get(r.0).map(String::as_str).unwrap_or("?"),
                order.get(r.1).map(String::as_str).unwrap_or("?")
            ),
            ..CompareCounts::default()
        })
    }
    let mut mismatches = Vec::new();
    for (k, sa) in &ea {
        let c = entry(&mut rels, &order, rel_of(k));
        c.edges_a += 1;
        match eb.get(k) {
            Some(sb) => {
                c.common += 1;
                if sa == sb {
                    c.agree += 1;
                } else {
                    c.mismatch += 1;
                    mismatches.push(Mismatch {
                        rel: c.rel.clone(),
                        modality_1: k.0.0.clone(),
                        value_1: k.0.1.clone(),
                        modality_2: k.1.0.clone(),
                        value_2: k.1.1.clone(),
                        sign_a: sa.symbol(),
                        sign_b: sb.symbol(),
                    });
                }
            }
            None => c.only_a += 1,
        }
    }
    for k in eb.keys() {
        let c = entry(&mut rels, &order, rel_of(k));
        c.edges_b += 1;
        if !ea.contains_key(k) {
            c.only_b += 1;
        }
    }
    let mut keys: Vec<(usize, usize)> = rels.keys().copied().collect();
    keys.sort_unstable();
    let by_rel: Vec<CompareCounts> = keys.iter().filter_map(|k| rels.remove(k)).collect();
    let mut total = CompareCounts {
        rel: "(all)".into(),
        ..CompareCounts::default()
    };
    for c in &by_rel {
        total.edges_a += c.edges_a;
        total.edges_b += c.edges_b;
        total.common += c.common;
        total.agree += c.agree;
        total.mismatch += c.mismatch;
        total.only_a += c.only_a;
        total.only_b += c.only_b;
    }
    mismatches.sort_by(|x, y| {
        (
            rank(&x.modality_1),
            rank(&x.modality_2),
            &x.value_1,
            &x.value_2,
        )
            .cmp(&(
                rank(&y.modality_1),
                rank(&y.modality_2),
                &y.value_1,
                &y.value_2,
            ))
    });
    Comparison {
        total,
        by_rel,
        mismatches,
    }
}

/// How the graph labels the pairs of one expected class.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckRow {
    /// `+`, `-` or `?`.
    pub expected: char,
    pub pairs: u64,
    /// Graph says `+`.
    pub got_pos: u64,
    /// Graph says `-`.
    pub got_neg: u64,
    /// No edge.
    pub got_none: u64,
    /// Pairs naming a node the graph does not have (counted in `got_none`).
    pub missing_nodes: u64,
}

impl CheckRow {
    /// Correct answers for an obvious class (`+` or `-`); 0 for `?`.
    pub fn correct(&self) -> u64 {
        match self.expected {
            '+' => self.got_pos,
            '-' => self.got_neg,
            _ => 0,
        }
    }
}

/// One obvious pair the graph gets wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckMiss {
    pub line: u64,
    pub source_modality: String,
    pub source: String,
    pub target_modality: String,
    pub target: String,
    pub expected: char,
    /// `+`, `-` or `0` (no edge).
    pub got: char,
}

/// The result of [`check_graph`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckReport {
    /// Rows for `+`, `-`, `?` (in that order).
    pub rows: Vec<CheckRow>,
    /// Obvious pairs the graph gets wrong, in file order.
    pub misses: Vec<CheckMiss>,
}

impl CheckReport {
    /// Obvious (`+`/`-`) pairs.
    pub fn obvious(&self) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.expected != '?')
            .map(|r| r.pairs)
            .sum()
    }

    /// Correct obvious pairs.
    pub fn correct(&self) -> u64 {
        self.rows.iter().map(CheckRow::correct).sum()
    }

    /// correct / obvious; `None` when there is no obvious pair (an accuracy
    /// over nothing is unknown, not perfect).
    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.correct(), self.obvious())
    }
}

fn column(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers.iter().position(|h| {
        h.trim()
            .trim_start_matches('\u{feff}')
            .eq_ignore_ascii_case(name)
    })
}

/// Checks `g` against an expectations file (see the module docs). Errors
/// name the file and line.
pub fn check_graph(g: &SignedGraph, path: &Path) -> Result<CheckReport> {
    const COLS: [&str; 5] = [
        "source_modality",
        "source",
        "target_modality",
        "target",
        "expected",
    ];
    let mut file = CsvFile::open(path)?;
    let headers = file.headers().clone();
    let idx: Vec<Option<usize>> = COLS.iter().map(|c| column(&headers, c)).collect();
    let Some(idx) = idx.into_iter().collect::<Option<Vec<usize>>>() else {
        return Err(Error::input(
            path,
            1,
            format!(
                "missing column: the header must name {} (found: {})",
                COLS.join(","),
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        )
        .with_hint("an expectations file starts with `source_modality,source,target_modality,target,expected`"));
    };
    let mut rows: Vec<CheckRow> = ['+', '-', '?']
        .into_iter()
        .map(|e| CheckRow {
            expected: e,
            ..CheckRow::default()
        })
        .collect();
    let mut misses = Vec::new();
    while let Some((rec, line)) = file.next_record()? {
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let f = |i: usize| rec.get(idx[i]).unwrap_or("").trim().to_string();
        let (sm, sv, tm, tv, ex) = (f(0), f(1), f(2), f(3), f(4));
        let expected = match ex.as_str() {
            "+" => '+',
            "-" => '-',
            "?" => '?',
            other => {
                return Err(
                    Error::input(path, line, format!("unknown expected value '{other}'"))
                        .with_hint("expected is + (compatible), - (incompatible) or ? (ambiguous)"),
                );
            }
        };
        if sm.is_empty() || sv.is_empty() || tm.is_empty() || tv.is_empty() {
            return Err(Error::input(
                path,
                line,
                "a pair needs both modalities and both values",
            ));
        }
        let row = match expected {
            '+' => &mut rows[0],
            '-' => &mut rows[1],
            _ => &mut rows[2],
        };
        row.pairs += 1;
        let got = match (g.find(&sm, &sv), g.find(&tm, &tv)) {
            (Some(a), Some(b)) => g.sign(a, b),
            _ => {
                row.missing_nodes += 1;
                None
            }
        };
        let got = match got {
            Some(Sign::Pos) => {
                row.got_pos += 1;
                '+'
            }
            Some(Sign::Neg) => {
                row.got_neg += 1;
                '-'
            }
            None => {
                row.got_none += 1;
                '0'
            }
        };
        if expected != '?' && got != expected {
            misses.push(CheckMiss {
                line,
                source_modality: sm,
                source: sv,
                target_modality: tm,
                target: tv,
                expected,
                got,
            });
        }
    }
    Ok(CheckReport { rows, misses })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GraphBuilder;

    fn graph(edges: &[(&str, &str, &str, &str, Sign)]) -> SignedGraph {
        let mut b = GraphBuilder::new();
        for (m1, v1, m2, v2, s) in edges {
            let x = b.add_node(m1, v1);
            let y = b.add_node(m2, v2);
            b.add_edge(x, y, *s).unwrap();
        }
        b.build()
    }

    #[test]
    fn compare_counts() {
        use Sign::*;
        let a = graph(&[
            ("brand", "Nike", "audience", "Athletes", Pos),
            ("brand", "Rolex", "audience", "Budget", Pos),
            ("brand", "Nike", "geo", "US", Pos),
        ]);
        let b = graph(&[
            ("audience", "Athletes", "brand", "Nike", Pos),
            ("brand", "Rolex", "audience", "Budget", Neg),
            ("audience", "Budget", "geo", "US", Pos),
            ("brand", "Dior", "audience", "Budget", Neg),
        ]);
        let c = compare_graphs(&a, &b);
        assert_eq!((c.total.common, c.total.agree, c.total.mismatch), (2, 1, 1));
        assert_eq!((c.total.only_a, c.total.only_b), (1, 2));
        assert_eq!(c.total.recall_of_b(), Some(0.5));
        assert_eq!(c.by_rel.len(), 3);
        assert_eq!(c.by_rel[0].rel, "brand_to_audience");
        assert_eq!(c.mismatches.len(), 1);
        assert_eq!(c.mismatches[0].value_1, "Rolex");
        assert_eq!((c.mismatches[0].sign_a, c.mismatches[0].sign_b), ('+', '-'));
        let same = compare_graphs(&b, &b);
        assert_eq!(same.total.sign_agreement(), Some(1.0));
        assert_eq!(same.total.recall_of_b(), Some(1.0));
    }

    /// No common edge: agreement is unknown (None), not perfect; an empty
    /// side makes its ratio unknown too.
    #[test]
    fn ratios_over_nothing_are_none() {
        use Sign::*;
        let a = graph(&[("brand", "Nike", "audience", "Athletes", Pos)]);
        let b = graph(&[("brand", "Rolex", "audience", "Budget", Neg)]);
        let c = compare_graphs(&a, &b);
        assert_eq!(c.total.common, 0);
        assert_eq!(c.total.sign_agreement(), None);
        assert_eq!(c.total.recall_of_b(), Some(0.0));
        assert_eq!(c.total.precision_vs_b(), Some(0.0));
        let empty = CompareCounts::default();
        assert_eq!(empty.recall_of_b(), None);
        assert_eq!(empty.precision_vs_b(), None);
    }

    #[test]
    fn check_file() {
        let g = graph(&[
            ("brand", "Nike", "audience", "Athletes", Sign::Pos),
            ("brand", "Rolex", "audience", "Budget", Sign::Neg),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.csv");
        std::fs::write(
            &p,
            "source_modality,source,target_modality,target,expected\n\
             audience,Athletes,brand,Nike,+\nbrand,Rolex,audience,Budget,+\n\
             brand,Nike,audience,Budget,?\nbrand,Nope,audience,Budget,-\n",
        )
        .unwrap();
        let r = check_graph(&g, &p).unwrap();
        assert_eq!((r.obvious(), r.correct()), (3, 1));
        assert_eq!(r.rows[2].got_none, 1);
        assert_eq!(r.rows[1].missing_nodes, 1);
        assert_eq!(r.misses.len(), 2);
        std::fs::write(
            &p,
            "source_modality,source,target_modality,target,expected\na,b,c,d,x\n",
        )
        .unwrap();
        let e = check_graph(&g, &p).unwrap_err().to_string();
        assert!(e.contains("e.csv:2") && e.contains("'x'"), "{e}");
        std::fs::write(&p, "a,b\n").unwrap();
        assert!(
            check_graph(&g, &p)
                .unwrap_err()
                .to_string()
                .contains("missing column")
        );
    }
}
