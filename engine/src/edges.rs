//! Edge files: reading the report's `edges.csv` (`source,target,rel,sign`).
//! Writing edge files (CSV, GraphML, DOT, Parquet) lives in `export/graph.rs`.
//!
//! Import rules (dsl.md): `rel` is `<source_modality>_to_<target_modality>`;
//! `sign` is `+`, `-` or `0` (neutral rows are dropped and counted); edges are
//! undirected; the same pair twice with the same sign is counted as a
//! duplicate, with two different signs it is an error naming both lines.
//! Same-modality edges are rejected: edge fractions only count pairs of
//! different modalities, so such an edge could never influence anything.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::catalogue::{CsvFile, column, csv_error, is_blank_line};
use crate::limits::quote;
use crate::{Catalogue, Error, GraphBuilder, NodeId, Result, Sign, SignedGraph};

/// What an edge import read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    pub rows: u64,
    pub pos: u64,
    pub neg: u64,
    /// Rows with sign `0`, dropped.
    pub neutral: u64,
    /// Rows repeating a pair already read with the same sign.
    pub duplicates: u64,
}

/// Splits `rel` into (source modality, target modality). Modality names may
/// contain `_`, so every `_to_` split is tried; `known` resolves ambiguity.
fn split_rel<'a>(rel: &'a str, known: Option<&[String]>) -> Option<(&'a str, &'a str)> {
    let splits: Vec<(&str, &str)> = rel
        .match_indices("_to_")
        .map(|(i, _)| (&rel[..i], &rel[i + 4..]))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .collect();
    match known {
        Some(k) => splits
            .iter()
            .find(|(a, b)| k.iter().any(|m| m == a) && k.iter().any(|m| m == b))
            .or(splits.first())
            .copied(),
        None => splits.first().copied(),
    }
}

/// Reads an edge CSV into a graph. With a catalogue, every catalogue
/// attribute is a node (in catalogue order) and every edge endpoint must be in
/// it; without, nodes come from the edges in file order.
pub fn read_edges_csv(
    path: &Path,
    catalogue: Option<&Catalogue>,
) -> Result<(SignedGraph, ImportStats)> {
    read_edges_csv_with(path, catalogue, &crate::Ctx::default())
}

/// [`read_edges_csv`], stopping with `Error::Cancelled` once `ctx` is
/// cancelled (Ctrl-C during IMPORT GRAPH).
pub fn read_edges_csv_with(
    path: &Path,
    catalogue: Option<&Catalogue>,
    ctx: &crate::Ctx,
) -> Result<(SignedGraph, ImportStats)> {
    let file = CsvFile::open(path)?;
    let mut rdr = file.reader();
    let headers = rdr.headers().map_err(|e| csv_error(path, e))?.clone();
    let cols = edge_columns(path, &headers)?;
    let mut import = Import::new(path, catalogue);
    for rec in rdr.records() {
        ctx.check()?;
        let rec = rec.map_err(|e| csv_error(path, e))?;
        let line = file.line_of(&rec);
        file.check_quotes(path, &rec, line)?;
        if is_blank_line(&rec) {
            continue;
        }
        import.row(&rec, cols, line)?;
    }
    import.finish()
}

/// The positions of `source`, `target`, `rel` and `sign` in the header.
fn edge_columns(path: &Path, headers: &csv::StringRecord) -> Result<[usize; 4]> {
    const NAMES: [&str; 4] = ["source", "target", "rel", "sign"];
    let cols = NAMES.map(|c| column(headers, c));
    if let [Some(si), Some(ti), Some(ri), Some(gi)] = cols {
        return Ok([si, ti, ri, gi]);
    }
    let missing: Vec<&str> = NAMES
        .iter()
        .zip(&cols)
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    Err(Error::input(
        path,
        1,
        format!("missing column(s): {}", missing.join(", ")),
    )
    .with_hint("an edge CSV starts with the header `source,target,rel,sign`"))
}

/// An input error at `path:line` with a hint.
fn line_error(path: &Path, line: u64, message: String, hint: &str) -> Error {
    Error::input(path, line, message).with_hint(hint)
}

/// The parsed sign column: `None` is neutral (`0`).
fn parse_sign(path: &Path, line: u64, sign: &str) -> Result<Option<Sign>> {
    match sign {
        "+" | "+1" | "1" => Ok(Some(Sign::Pos)),
        "-" | "-1" | "\u{2212}" | "\u{2013}" => Ok(Some(Sign::Neg)),
        "0" => Ok(None),
        other => Err(line_error(
            path,
            line,
            format!("unknown sign {}", quote(other)),
            "sign must be `+`, `-` or `0` (neutral)",
        )),
    }
}

/// An edge import in progress: the graph so far, the counts, and the line
/// where each pair was first seen (to name both lines of a conflict).
struct Import<'a> {
    path: &'a Path,
    catalogue: Option<&'a Catalogue>,
    known: Option<Vec<String>>,
    b: GraphBuilder,
    stats: ImportStats,
    first_line: HashMap<(NodeId, NodeId), u64>,
}

impl<'a> Import<'a> {
    fn new(path: &'a Path, catalogue: Option<&'a Catalogue>) -> Import<'a> {
        Import {
            path,
            catalogue,
            known: catalogue.map(|c| c.modalities().to_vec()),
            b: match catalogue {
                Some(c) => GraphBuilder::from_catalogue(c),
                None => GraphBuilder::new(),
            },
            stats: ImportStats::default(),
            first_line: HashMap::new(),
        }
    }

    /// Reads one data row (not blank) at `line`.
    fn row(&mut self, rec: &csv::StringRecord, cols: [usize; 4], line: u64) -> Result<()> {
        let path = self.path;
        let err = |msg: String, hint: &str| line_error(path, line, msg, hint);
        if rec.iter().all(|f| f.trim().is_empty()) {
            return Err(err(
                "a row of empty fields".into(),
                "every row needs source, target, rel and sign; delete this row",
            ));
        }
        self.stats.rows += 1;
        let field = |i: usize, name: &str| -> Result<String> {
            let v = rec.get(i).unwrap_or("").trim();
            if v.is_empty() {
                Err(err(
                    format!("empty {name}"),
                    "every row needs source, target, rel and sign",
                ))
            } else {
                Ok(v.to_string())
            }
        };
        let [si, ti, ri, gi] = cols;
        let (src, tgt, rel, sign) = (
            field(si, "source")?,
            field(ti, "target")?,
            field(ri, "rel")?,
            field(gi, "sign")?,
        );
        for (what, v) in [("source", &src), ("target", &tgt), ("rel", &rel)] {
            crate::limits::check_value_len(what, v).map_err(|(m, h)| err(m, &h))?;
        }
        let sign = parse_sign(path, line, &sign)?;
        let Some((sm, tm)) = split_rel(&rel, self.known.as_deref()) else {
            return Err(err(
                format!(
                    "rel {} does not match `<source_modality>_to_<target_modality>`",
                    quote(&rel)
                ),
                "write rel as e.g. `audience_to_brand`",
            ));
        };
        if sm == tm {
            return Err(err(
                format!(
                    "same-modality edge ({}): {} and {} are both {}",
                    quote(&rel),
                    quote(&src),
                    quote(&tgt),
                    quote(sm)
                ),
                "edges join values of different modalities; remove this row",
            ));
        }
        let Some(sign) = sign else {
            self.stats.neutral += 1;
            return Ok(());
        };
        let a = self.node(sm, &src, "source", &rel, line)?;
        let t = self.node(tm, &tgt, "target", &rel, line)?;
        self.edge((a, &src), (t, &tgt), sign, line)
    }

    /// The node of value `v` of modality `m`: from the catalogue (which must
    /// have it), or added.
    fn node(&mut self, m: &str, v: &str, role: &str, rel: &str, line: u64) -> Result<NodeId> {
        let err = |msg: String, hint: &str| line_error(self.path, line, msg, hint);
        let Some(c) = self.catalogue else {
            let new_modality = !self.b.has_modality(m);
            if new_modality && self.b.modalities().len() >= crate::catalogue::MAX_MODALITIES {
                let (msg, hint) = crate::catalogue::too_many_modalities(m);
                return Err(err(msg, &hint));
            }
            return Ok(self.b.add_node(m, v));
        };
        if c.modality_index(m).is_none() {
            return Err(err(
                format!(
                    "{role} modality {} (from rel {}) is not in the catalogue",
                    quote(m),
                    quote(rel)
                ),
                &format!(
                    "the catalogue's modalities are: {}",
                    crate::limits::excerpt(&c.modalities().join(", "))
                ),
            ));
        }
        self.b.find(m, v).ok_or_else(|| {
            err(
                format!(
                    "{role} {} is not a {} value of the catalogue",
                    quote(v),
                    quote(m)
                ),
                "add it to the catalogue, fix the spelling, or import without CATALOGUE",
            )
        })
    }

    /// Adds the edge read at `line`, counting duplicates and refusing a
    /// pair given two signs.
    fn edge(&mut self, a: (NodeId, &str), t: (NodeId, &str), sign: Sign, line: u64) -> Result<()> {
        let ((a, src), (t, tgt)) = (a, t);
        let err = |msg: String, hint: &str| line_error(self.path, line, msg, hint);
        let key = (a.min(t), a.max(t));
        match self.b.try_add_edge(a, t, sign) {
            Ok(()) => {
                if let std::collections::hash_map::Entry::Vacant(v) = self.first_line.entry(key) {
                    v.insert(line);
                    match sign {
                        Sign::Pos => self.stats.pos += 1,
                        Sign::Neg => self.stats.neg += 1,
                    }
                } else {
                    self.stats.duplicates += 1;
                }
                Ok(())
            }
            Err(crate::EdgeRejection::Conflict(prev)) => {
                let first = self.first_line.get(&key).copied().unwrap_or(0);
                Err(err(
                    format!(
                        "conflicting signs for the pair {} / {}: line {first} says {}, line {line} says {}",
                        quote(src),
                        quote(tgt),
                        prev.symbol(),
                        sign.symbol()
                    ),
                    "edges are undirected; keep one sign per pair",
                ))
            }
            Err(crate::EdgeRejection::SelfLoop) => Err(err(
                format!("self-loop: {} is paired with itself", quote(src)),
                "remove this row",
            )),
            Err(crate::EdgeRejection::SameModality) => Err(err(
                format!(
                    "same-modality edge between {} and {}",
                    quote(src),
                    quote(tgt)
                ),
                "edges join values of different modalities; remove this row",
            )),
        }
    }

    /// The graph, unless the file gave nothing to build one from.
    fn finish(self) -> Result<(SignedGraph, ImportStats)> {
        if self.b.node_count() == 0 {
            return Err(Error::input(
                self.path,
                0,
                "the edge file has no edges and no catalogue was given",
            )
            .with_hint("add rows below the header, or import with CATALOGUE <name>"));
        }
        Ok((self.b.build(), self.stats))
    }
}
