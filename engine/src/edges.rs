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

#[path = "edge_keys.rs"]
pub(crate) mod edge_keys;

use self::edge_keys::{EdgeKeys, OutOfMemory, SortedKeys};
use crate::catalogue::{CsvFile, column, is_blank_line};
use crate::limits::quote;
use crate::{
    Catalogue, Code, Error, FileLoc, GraphBuilder, NodeId, Result, Sign, SignedGraph, Subject,
};

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
///
/// Streams: one record at a time, names looked up without allocating, and
/// each edge kept as an 8-byte key until the end (see `edge_keys.rs`); an
/// allocation that fails is a `too_large` error at the line reached.
pub fn read_edges_csv_with(
    path: &Path,
    catalogue: Option<&Catalogue>,
    ctx: &crate::Ctx,
) -> Result<(SignedGraph, ImportStats)> {
    if let Some((msg, hint)) = catalogue.and_then(|c| {
        let reserved = |m: &String| {
            crate::export::reserved_modality(m, || format!("the catalogue's modality {}", quote(m)))
        };
        c.modalities().iter().find_map(reserved)
    }) {
        // A catalogue stored before LOAD CATALOGUE refused such names.
        return Err(Error::invalid_hint(
            msg,
            format!("{hint}; then LOAD CATALOGUE again"),
        ));
    }
    let mut file = CsvFile::open(path)?;
    let cols = edge_columns(path, file.headers())?;
    let mut import = Import::new(path, catalogue, cols);
    loop {
        let (rec, line) = match file.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(import.first_error(e)),
        };
        ctx.check()?;
        if is_blank_line(rec) {
            continue;
        }
        if let Err(e) = import.row(rec, line) {
            return Err(import.first_error(e));
        }
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

/// One edge row, resolved to nodes.
struct Edge<'r> {
    a: NodeId,
    t: NodeId,
    sign: Sign,
    src: &'r str,
    tgt: &'r str,
}

/// An edge import in progress: the nodes so far (in the builder), each edge
/// as a key (duplicates and conflicts are found once all are read), the
/// counts, and how each `rel` value splits.
struct Import<'a> {
    path: &'a Path,
    catalogue: Option<&'a Catalogue>,
    known: Option<Vec<String>>,
    cols: [usize; 4],
    b: GraphBuilder,
    stats: ImportStats,
    keys: EdgeKeys,
    /// `rel` → the byte index of the `_to_` it splits at (`None`: no split).
    rels: HashMap<Box<str>, Option<usize>>,
    /// The last line read.
    line: u64,
}

/// Most distinct `rel` values whose split is remembered.
const REL_CACHE: usize = 1 << 16;

impl<'a> Import<'a> {
    fn new(path: &'a Path, catalogue: Option<&'a Catalogue>, cols: [usize; 4]) -> Import<'a> {
        Import {
            path,
            catalogue,
            known: catalogue.map(|c| c.modalities().to_vec()),
            cols,
            b: match catalogue {
                Some(c) => GraphBuilder::from_catalogue(c),
                None => GraphBuilder::new(),
            },
            stats: ImportStats::default(),
            keys: EdgeKeys::default(),
            rels: HashMap::new(),
            line: 0,
        }
    }

    /// Reads one data row (not blank) at `line`.
    fn row(&mut self, rec: &csv::StringRecord, line: u64) -> Result<()> {
        self.line = line;
        if let Some(e) = self.resolve(rec, line)? {
            let (a, t, sign) = (e.a, e.t, e.sign);
            self.keys
                .push(a, t, sign)
                .map_err(|e| self.out_of_memory(e, line))?;
        }
        Ok(())
    }

    /// The edge of a data row (`None` for a neutral one), or the error that
    /// names its line.
    fn resolve<'r>(&mut self, rec: &'r csv::StringRecord, line: u64) -> Result<Option<Edge<'r>>> {
        let path = self.path;
        let err = |msg: String, hint: &str| line_error(path, line, msg, hint);
        if rec.iter().all(|f| f.trim().is_empty()) {
            return Err(err(
                "a row of empty fields".into(),
                "every row needs source, target, rel and sign; delete this row",
            ));
        }
        self.stats.rows += 1;
        let field = |i: usize, name: &str| -> Result<&'r str> {
            let v = rec.get(i).unwrap_or("").trim();
            if v.is_empty() {
                Err(err(
                    format!("empty {name}"),
                    "every row needs source, target, rel and sign",
                ))
            } else {
                Ok(v)
            }
        };
        let [si, ti, ri, gi] = self.cols;
        let (src, tgt, rel, sign) = (
            field(si, "source")?,
            field(ti, "target")?,
            field(ri, "rel")?,
            field(gi, "sign")?,
        );
        for (what, v) in [("source", src), ("target", tgt), ("rel", rel)] {
            crate::limits::check_value_len(what, v).map_err(|(m, h)| err(m, &h))?;
        }
        let sign = parse_sign(path, line, sign)?;
        // Control characters are checked once per distinct rel and new node
        // (`node`), not on every field of every row.
        let at = match self.rels.get(rel) {
            Some(&at) => at,
            None => {
                crate::limits::check_control_chars("rel", rel).map_err(|(m, h)| err(m, &h))?;
                self.split(rel)
            }
        };
        let Some(at) = at else {
            return Err(err(
                format!(
                    "rel {} does not match `<source_modality>_to_<target_modality>`",
                    quote(rel)
                ),
                "write rel as e.g. `audience_to_brand`",
            ));
        };
        let (sm, tm) = (&rel[..at], &rel[at + 4..]);
        if sm == tm {
            return Err(err(
                format!(
                    "same-modality edge ({}): {} and {} are both {}",
                    quote(rel),
                    quote(src),
                    quote(tgt),
                    quote(sm)
                ),
                "edges join values of different modalities; remove this row",
            ));
        }
        let Some(sign) = sign else {
            self.stats.neutral += 1;
            return Ok(None);
        };
        let a = self.node(sm, src, "source", rel, line)?;
        let t = self.node(tm, tgt, "target", rel, line)?;
        if a == t {
            return Err(err(
                format!("self-loop: {} is paired with itself", quote(src)),
                "remove this row",
            ));
        }
        if self.b.modality_of(a) == self.b.modality_of(t) {
            return Err(err(
                format!(
                    "same-modality edge between {} and {}",
                    quote(src),
                    quote(tgt)
                ),
                "edges join values of different modalities; remove this row",
            ));
        }
        Ok(Some(Edge {
            a,
            t,
            sign,
            src,
            tgt,
        }))
    }

    /// Where `rel` splits into its two modalities (remembered per value).
    fn split(&mut self, rel: &str) -> Option<usize> {
        if let Some(&at) = self.rels.get(rel) {
            return at;
        }
        let at = split_rel(rel, self.known.as_deref()).map(|(a, _)| a.len());
        if self.rels.len() < REL_CACHE {
            self.rels.insert(rel.into(), at);
        }
        at
    }

    /// The node of value `v` of modality `m`: from the catalogue (which must
    /// have it), or added.
    fn node(&mut self, m: &str, v: &str, role: &str, rel: &str, line: u64) -> Result<NodeId> {
        let err = |msg: String, hint: &str| line_error(self.path, line, msg, hint);
        let Some(c) = self.catalogue else {
            let mi = match self.b.modality_id(m) {
                Some(mi) => mi,
                None if self.b.modalities().len() >= crate::catalogue::MAX_MODALITIES => {
                    let (msg, hint) = crate::catalogue::too_many_modalities(m);
                    return Err(err(msg, &hint));
                }
                None => {
                    let subject =
                        || format!("{role} modality {} (from rel {})", quote(m), quote(rel));
                    if let Some((msg, hint)) = crate::export::reserved_modality(m, subject) {
                        return Err(err(msg, &hint));
                    }
                    self.b.add_modality(m)
                }
            };
            let before = self.b.node_count();
            let id = self.b.add_node_in(mi, v);
            if self.b.node_count() > before {
                // A catalogue's values were checked when it was loaded.
                crate::limits::check_control_chars(role, v).map_err(|(m, h)| err(m, &h))?;
            }
            return Ok(id);
        };
        // The builder's modalities are the catalogue's (indexed by name).
        let Some(mi) = self.b.modality_id(m) else {
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
        };
        self.b.find_in(mi, v).ok_or_else(|| {
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

    /// A `too_large` error: the memory an import could not get, at `line`.
    fn out_of_memory(&self, e: OutOfMemory, line: u64) -> Error {
        let loc = FileLoc {
            path: self.path.to_path_buf(),
            line,
        };
        let human = crate::limits::human_bytes;
        Error::rejected(
            Code::TooLarge,
            Subject::File(loc.clone()),
            format!(
                "{loc}: not enough memory to import the edges: {} more was needed, \
                 holding {} for the {} edges read so far",
                human(e.bytes),
                human(self.keys.bytes()),
                self.keys.len()
            ),
            "free memory or raise the process's memory limit (`ulimit -v`); an import holds \
             8 bytes an edge while reading, then about 12 more an edge to build the graph",
        )
    }

    /// The error to report for `e`: an earlier line whose sign contradicts
    /// an earlier row comes first (rows are checked in file order, pairs
    /// only once all are read).
    fn first_error(&mut self, e: Error) -> Error {
        let line = match (&e, e.subject()) {
            (Error::Input { .. }, Some(Subject::File(loc))) => loc.line,
            _ => return e,
        };
        let conflicts = std::mem::take(&mut self.keys).sort().conflicts();
        if conflicts.is_empty() {
            return e;
        }
        self.conflict_error(&conflicts, line).unwrap_or(e)
    }

    /// Second pass over the file, only when some pairs have two signs: the
    /// first line before `before` that contradicts an earlier one, as the
    /// error naming both lines.
    fn conflict_error(&mut self, conflicts: &[u64], before: u64) -> Option<Error> {
        let mut file = CsvFile::open(self.path).ok()?;
        let mut first: HashMap<u64, (u64, Sign)> = HashMap::new();
        while let Ok(Some((rec, line))) = file.next_record() {
            if line >= before {
                break;
            }
            if is_blank_line(rec) {
                continue;
            }
            let Ok(Some(e)) = self.resolve(rec, line) else {
                continue;
            };
            let k = edge_keys::key(e.a, e.t);
            if conflicts.binary_search(&k).is_err() {
                continue;
            }
            match first.get(&k) {
                None => {
                    first.insert(k, (line, e.sign));
                }
                Some(&(l, s)) if s != e.sign => {
                    return Some(line_error(
                        self.path,
                        line,
                        format!(
                            "conflicting signs for the pair {} / {}: line {l} says {}, line {line} says {}",
                            quote(e.src),
                            quote(e.tgt),
                            s.symbol(),
                            e.sign.symbol()
                        ),
                        "edges are undirected; keep one sign per pair",
                    ));
                }
                Some(_) => {}
            }
        }
        None
    }

    /// The graph, unless the file gave nothing to build one from or gave a
    /// pair two signs.
    fn finish(mut self) -> Result<(SignedGraph, ImportStats)> {
        if self.b.node_count() == 0 {
            return Err(Error::input(
                self.path,
                0,
                "the edge file has no edges and no catalogue was given",
            )
            .with_hint("add rows below the header, or import with CATALOGUE <name>"));
        }
        let sorted = std::mem::take(&mut self.keys).sort();
        let conflicts = sorted.conflicts();
        if !conflicts.is_empty() {
            drop(sorted);
            return Err(self
                .conflict_error(&conflicts, u64::MAX)
                .unwrap_or_else(|| {
                    Error::input(self.path, 0, "a pair is given both signs")
                        .with_hint("edges are undirected; keep one sign per pair")
                }));
        }
        self.stats.pos = sorted.pos.len() as u64;
        self.stats.neg = sorted.neg.len() as u64;
        self.stats.duplicates = sorted.duplicates;
        let n = self.b.node_count();
        let (line, edges) = (self.line, sorted.pos.len() + sorted.neg.len());
        // The transposed copy of the larger sign, then both signs' bitmaps.
        let need =
            sorted.pos.len().max(sorted.neg.len()) * 4 + edge_keys::adjacency_bytes(edges, n);
        edge_keys::probe(need).map_err(|e| self.out_of_memory(e, line))?;
        let SortedKeys { pos, neg, .. } = sorted;
        let pos_bits = edge_keys::adjacency(&pos, n).map_err(|e| self.out_of_memory(e, line))?;
        drop(pos);
        let neg_bits = edge_keys::adjacency(&neg, n).map_err(|e| self.out_of_memory(e, line))?;
        drop(neg);
        Ok((self.b.build_with(pos_bits, neg_bits), self.stats))
    }
}
