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
    let cols: Vec<Option<usize>> = ["source", "target", "rel", "sign"]
        .iter()
        .map(|c| column(&headers, c))
        .collect();
    let [Some(si), Some(ti), Some(ri), Some(gi)] = cols[..] else {
        let missing: Vec<&str> = ["source", "target", "rel", "sign"]
            .iter()
            .zip(&cols)
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| *n)
            .collect();
        return Err(Error::input(
            path,
            1,
            format!("missing column(s): {}", missing.join(", ")),
        )
        .with_hint("an edge CSV starts with the header `source,target,rel,sign`"));
    };
    let mut b = match catalogue {
        Some(c) => GraphBuilder::from_catalogue(c),
        None => GraphBuilder::new(),
    };
    let known = catalogue.map(|c| c.modalities().to_vec());
    let mut stats = ImportStats::default();
    let mut first_line: HashMap<(NodeId, NodeId), u64> = HashMap::new();
    for rec in rdr.records() {
        ctx.check()?;
        let rec = rec.map_err(|e| csv_error(path, e))?;
        let line = file.line_of(&rec);
        file.check_quotes(path, &rec, line)?;
        if is_blank_line(&rec) {
            continue;
        }
        if rec.iter().all(|f| f.trim().is_empty()) {
            return Err(Error::input(path, line, "a row of empty fields")
                .with_hint("every row needs source, target, rel and sign; delete this row"));
        }
        stats.rows += 1;
        let err = |msg: String, hint: &str| Error::Input {
            loc: crate::FileLoc {
                path: path.to_path_buf(),
                line,
            },
            message: msg,
            hint: Some(hint.to_string()),
        };
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
        let (src, tgt, rel, sign) = (
            field(si, "source")?,
            field(ti, "target")?,
            field(ri, "rel")?,
            field(gi, "sign")?,
        );
        for (what, v) in [("source", &src), ("target", &tgt), ("rel", &rel)] {
            crate::limits::check_value_len(what, v).map_err(|(m, h)| err(m, &h))?;
        }
        let sign = match sign.as_str() {
            "+" | "+1" | "1" => Some(Sign::Pos),
            "-" | "-1" | "\u{2212}" | "\u{2013}" => Some(Sign::Neg),
            "0" => None,
            other => {
                return Err(err(
                    format!("unknown sign {}", quote(other)),
                    "sign must be `+`, `-` or `0` (neutral)",
                ));
            }
        };
        let Some((sm, tm)) = split_rel(&rel, known.as_deref()) else {
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
            stats.neutral += 1;
            continue;
        };
        let node = |b: &mut GraphBuilder, m: &str, v: &str, role: &str| -> Result<NodeId> {
            match catalogue {
                Some(c) => {
                    if c.modality_index(m).is_none() {
                        return Err(err(
                            format!(
                                "{role} modality {} (from rel {}) is not in the catalogue",
                                quote(m),
                                quote(&rel)
                            ),
                            &format!(
                                "the catalogue's modalities are: {}",
                                crate::limits::excerpt(&c.modalities().join(", "))
                            ),
                        ));
                    }
                    b.find(m, v).ok_or_else(|| {
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
                None => {
                    let new_modality = !b.has_modality(m);
                    if new_modality && b.modalities().len() >= crate::catalogue::MAX_MODALITIES {
                        let (msg, hint) = crate::catalogue::too_many_modalities(m);
                        return Err(err(msg, &hint));
                    }
                    Ok(b.add_node(m, v))
                }
            }
        };
        let a = node(&mut b, sm, &src, "source")?;
        let t = node(&mut b, tm, &tgt, "target")?;
        let key = (a.min(t), a.max(t));
        match b.try_add_edge(a, t, sign) {
            Ok(()) => {
                if let std::collections::hash_map::Entry::Vacant(v) = first_line.entry(key) {
                    v.insert(line);
                    match sign {
                        Sign::Pos => stats.pos += 1,
                        Sign::Neg => stats.neg += 1,
                    }
                } else {
                    stats.duplicates += 1;
                }
            }
            Err(crate::EdgeRejection::Conflict(prev)) => {
                let first = first_line.get(&key).copied().unwrap_or(0);
                return Err(err(
                    format!(
                        "conflicting signs for the pair {} / {}: line {first} says {}, line {line} says {}",
                        quote(&src),
                        quote(&tgt),
                        prev.symbol(),
                        sign.symbol()
                    ),
                    "edges are undirected; keep one sign per pair",
                ));
            }
            Err(crate::EdgeRejection::SelfLoop) => {
                return Err(err(
                    format!("self-loop: {} is paired with itself", quote(&src)),
                    "remove this row",
                ));
            }
            Err(crate::EdgeRejection::SameModality) => {
                return Err(err(
                    format!(
                        "same-modality edge between {} and {}",
                        quote(&src),
                        quote(&tgt)
                    ),
                    "edges join values of different modalities; remove this row",
                ));
            }
        }
    }
    if b.node_count() == 0 {
        return Err(Error::input(
            path,
            0,
            "the edge file has no edges and no catalogue was given",
        )
        .with_hint("add rows below the header, or import with CATALOGUE <name>"));
    }
    Ok((b.build(), stats))
}
