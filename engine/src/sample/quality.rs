//! The dataset's health report (the quality section of SAMPLE's answer and of
//! DESCRIBE DATASET), computed from the stored rows and the statement's label
//! boxes, so it is the same whenever it is recomputed.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::LabelSpec;
use super::boxes::in_box;
use super::dataset::Dataset;

/// Distance to an inner box edge under which a row "hugs" the edge.
pub const EDGE_BAND: f64 = 0.01;

/// Node coverage of one modality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub modality: String,
    /// Nodes of the modality in the source graph.
    pub nodes: u64,
    /// Nodes that appear in no row.
    pub unused: u64,
    /// Up to 5 of the unused nodes (dictionary order).
    pub unused_examples: Vec<String>,
}

/// The single attribute whose rows are most dominated by one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predictive {
    pub modality: String,
    pub value: String,
    /// Rows containing the attribute.
    pub rows: u64,
    /// Their most frequent (emitted) label.
    pub label: String,
    /// Share of those rows carrying `label`.
    pub purity: f64,
}

/// The quality section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Share of rows whose fractions lie in two or more label boxes.
    pub multi_box_share: f64,
    /// Per label (as sampled): share of rows within 0.01 of an inner edge of
    /// their box (a bound strictly between 0 and 1).
    pub edge_hug: Vec<(String, f64)>,
    pub coverage: Vec<Coverage>,
    /// Over attributes in at least `max(5, 1% of rows)` rows; `None` when
    /// none is that frequent.
    pub predictive: Option<Predictive>,
    /// Rows whose node set repeats an earlier row's.
    pub duplicates: u64,
}

/// Whether (x, y), inside `l`'s box, lies within [`EDGE_BAND`] of one of its
/// inner edges.
pub fn hugs_edge(l: &LabelSpec, x: f64, y: f64) -> bool {
    let near = |v: f64, b: f64| b > 0.0 && b < 1.0 && (v - b).abs() <= EDGE_BAND + 1e-12;
    near(x, l.pos.0) || near(x, l.pos.1) || near(y, l.neg.0) || near(y, l.neg.1)
}

impl Quality {
    /// Assesses `ds` against the statement's labels (matched by name).
    pub fn assess(ds: &Dataset, labels: &[LabelSpec]) -> Quality {
        let n = ds.len();
        let boxes: Vec<Option<&LabelSpec>> = ds
            .labels()
            .iter()
            .map(|name| labels.iter().find(|l| &l.name == name))
            .collect();
        let mut multi = 0u64;
        let mut hug = vec![(0u64, 0u64); ds.labels().len()];
        let mut used = vec![false; ds.value_count()];
        let mut seen: HashSet<&[u32]> = HashSet::with_capacity(n);
        let mut duplicates = 0u64;
        // Per value: rows per emitted label.
        let nl = ds.labels().len();
        let mut by_value = vec![0u32; ds.value_count() * nl];
        for r in 0..n {
            let f = ds.row(r).fractions();
            let inside = labels.iter().filter(|l| in_box(l, f.pos, f.neg)).count();
            multi += (inside >= 2) as u64;
            let li = ds.sampled_labels()[r] as usize;
            if let Some(l) = boxes[li] {
                hug[li].0 += 1;
                hug[li].1 += hugs_edge(l, f.pos, f.neg) as u64;
            }
            let items = ds.row_items(r);
            let el = ds.emitted_labels()[r] as usize;
            for &i in items {
                used[i as usize] = true;
                by_value[i as usize * nl + el] += 1;
            }
            duplicates += (!seen.insert(items)) as u64;
        }
        let coverage = (0..ds.modalities().len())
            .map(|m| {
                let (lo, hi) = ds.value_range(m);
                let unused: Vec<u32> = (lo..hi).filter(|&i| !used[i as usize]).collect();
                Coverage {
                    modality: ds.modalities()[m].clone(),
                    nodes: (hi - lo) as u64,
                    unused: unused.len() as u64,
                    unused_examples: unused
                        .iter()
                        .take(5)
                        .map(|&i| ds.value(i).to_string())
                        .collect(),
                }
            })
            .collect();
        Quality {
            multi_box_share: if n == 0 { 0.0 } else { multi as f64 / n as f64 },
            edge_hug: ds
                .labels()
                .iter()
                .zip(&hug)
                .map(|(l, &(t, h))| (l.clone(), if t == 0 { 0.0 } else { h as f64 / t as f64 }))
                .collect(),
            coverage,
            predictive: most_predictive(ds, &by_value, nl),
            duplicates,
        }
    }
}

fn most_predictive(ds: &Dataset, by_value: &[u32], nl: usize) -> Option<Predictive> {
    let min_rows = (ds.len() as u64).div_ceil(100).max(5);
    let mut best: Option<(f64, u64, u32, usize)> = None;
    for i in 0..ds.value_count() as u32 {
        let counts = &by_value[i as usize * nl..(i as usize + 1) * nl];
        let rows: u64 = counts.iter().map(|&c| c as u64).sum();
        if rows < min_rows {
            continue;
        }
        let (top, &c) = counts
            .iter()
            .enumerate()
            .max_by_key(|&(j, c)| (*c, std::cmp::Reverse(j)))?;
        let purity = c as f64 / rows as f64;
        if best.is_none_or(|(p, r, _, _)| purity > p || (purity == p && rows > r)) {
            best = Some((purity, rows, i, top));
        }
    }
    best.map(|(purity, rows, i, top)| {
        let m = (0..ds.modalities().len())
            .find(|&m| {
                let (lo, hi) = ds.value_range(m);
                lo <= i && i < hi
            })
            .unwrap_or(0);
        Predictive {
            modality: ds.modalities()[m].clone(),
            value: ds.value(i).to_string(),
            rows,
            label: ds.labels()[top].clone(),
            purity,
        }
    })
}
