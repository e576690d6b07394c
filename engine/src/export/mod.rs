//! EXPORT: datasets and graphs to files, safely.
//!
//! * **Formats** follow the file's extension (`.csv`, `.jsonl`/`.json`/`.ndjson`,
//!   `.parquet`; `.graphml`/`.dot` for graphs). An explicit format that
//!   contradicts a known extension is an error; an unknown extension without
//!   an explicit format is an error listing the formats ([`resolve_dataset_format`],
//!   [`resolve_graph_format`]).
//! * **Safety**: every file goes through [`crate::util::write_all_or_none`]:
//!   regular files and new paths are written to a temporary sibling and
//!   renamed; symlinks are followed; devices and FIFOs are written in place.
//! * **Split**: a dataset can be written as stratified parts (`split.rs`),
//!   all renamed into place only once every part is complete.
//! * **Columns** (`rows.rs`): one per TYPES modality, `label`, and optionally
//!   `pos_frac`/`neg_frac` and `sampled_label`/`relabelled`. The fixed names
//!   are `rows::dataset_columns`; a dataset with a modality of one of those
//!   names is refused before anything is written.

mod graph;
mod parquet;
mod rows;
mod split;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::util::write_all_or_none;
use crate::{Code, Dataset, Error, Result, Subject};

pub use graph::write_graph;
pub(crate) use rows::reserved_modality;
pub use rows::{Columns, check_dataset_columns, dataset_columns};
pub use split::{Split, split_rows};

/// Export formats of `EXPORT DATASET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DatasetFormat {
    /// One JSON object per row (the report's record format).
    Jsonl,
    /// One column per modality (each cell a JSON array of values) plus `label`.
    Csv,
    /// Apache Parquet: one `list<string>` column per modality plus `label`.
    Parquet,
}

/// Export formats of `EXPORT GRAPH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GraphFormat {
    /// The edge CSV (`source,target,rel,sign`), re-importable.
    Csv,
    GraphMl,
    Dot,
    /// The edge list as Parquet (`source,target,rel,sign` string columns).
    Parquet,
}

const DATASET_FORMATS: &str = "csv, jsonl (or json), parquet";
const GRAPH_FORMATS: &str = "csv, graphml, dot, parquet";

impl DatasetFormat {
    /// Parses `jsonl` / `json` / `ndjson` / `csv` / `parquet` (any case).
    pub fn parse(s: &str) -> Result<DatasetFormat> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "json" | "ndjson" => Ok(DatasetFormat::Jsonl),
            "csv" => Ok(DatasetFormat::Csv),
            "parquet" => Ok(DatasetFormat::Parquet),
            _ => Err(Error::rejected(
                Code::BadFormat,
                None,
                format!("unknown dataset format '{s}'"),
                format!("datasets export as {DATASET_FORMATS}"),
            )),
        }
    }

    /// The lower-case name shown in results.
    pub fn name(self) -> &'static str {
        match self {
            DatasetFormat::Jsonl => "jsonl",
            DatasetFormat::Csv => "csv",
            DatasetFormat::Parquet => "parquet",
        }
    }
}

impl GraphFormat {
    /// Parses `csv` / `graphml` / `dot` / `parquet` (any case).
    pub fn parse(s: &str) -> Result<GraphFormat> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(GraphFormat::Csv),
            "graphml" => Ok(GraphFormat::GraphMl),
            "dot" | "gv" => Ok(GraphFormat::Dot),
            "parquet" => Ok(GraphFormat::Parquet),
            _ => Err(Error::rejected(
                Code::BadFormat,
                None,
                format!("unknown graph format '{s}'"),
                format!("graphs export as {GRAPH_FORMATS}"),
            )),
        }
    }

    /// The lower-case name shown in results.
    pub fn name(self) -> &'static str {
        match self {
            GraphFormat::Csv => "csv",
            GraphFormat::GraphMl => "graphml",
            GraphFormat::Dot => "dot",
            GraphFormat::Parquet => "parquet",
        }
    }
}

/// The lower-case extension of `path`, if any.
fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// Extensions that name a format of either kind (so `x.graphml` given to a
/// dataset is a contradiction, not an unknown extension).
fn is_known_extension(ext: &str) -> bool {
    matches!(
        ext,
        "csv" | "jsonl" | "json" | "ndjson" | "parquet" | "graphml" | "dot" | "gv"
    )
}

fn contradiction(path: &Path, ext: &str, given: &str, hint: String) -> Error {
    Error::rejected(
        Code::BadFormat,
        Subject::file(path),
        format!(
            "FORMAT {given} contradicts the extension of '{}' (.{ext})",
            path.display()
        ),
        hint,
    )
}

fn drop_format(implied: &str) -> String {
    format!("drop FORMAT to write {implied} (from the extension), or change the file name")
}

fn unknown_extension(path: &Path, formats: &str) -> Error {
    Error::rejected(
        Code::BadFormat,
        Subject::file(path),
        format!(
            "cannot tell the format of '{}' from its extension",
            path.display()
        ),
        format!("name the file with one of the extensions {formats}, or add FORMAT <format>"),
    )
}

/// What the format resolution needs to know of a kind of export.
trait FileFormat: Copy + PartialEq {
    /// `"dataset"` or `"graph"`.
    const KIND: &'static str;
    /// `"graph"` or `"dataset"`: whose extensions are a likely mix-up.
    const OTHER: &'static str;
    /// The formats, for errors.
    const FORMATS: &'static str;
    fn parse_ext(ext: &str) -> Option<Self>;
    fn label(self) -> &'static str;
}

impl FileFormat for DatasetFormat {
    const KIND: &'static str = "dataset";
    const OTHER: &'static str = "graph";
    const FORMATS: &'static str = DATASET_FORMATS;
    fn parse_ext(ext: &str) -> Option<Self> {
        DatasetFormat::parse(ext).ok()
    }
    fn label(self) -> &'static str {
        self.name()
    }
}

impl FileFormat for GraphFormat {
    const KIND: &'static str = "graph";
    const OTHER: &'static str = "dataset";
    const FORMATS: &'static str = GRAPH_FORMATS;
    fn parse_ext(ext: &str) -> Option<Self> {
        GraphFormat::parse(ext).ok()
    }
    fn label(self) -> &'static str {
        self.name()
    }
}

/// The format an export writes: from the extension of `path`, checked
/// against an explicit `format` if one is given.
fn resolve_format<F: FileFormat>(path: &Path, format: Option<F>) -> Result<F> {
    let ext = extension(path);
    let from_ext = ext.as_deref().and_then(F::parse_ext);
    match (format, from_ext, ext.as_deref()) {
        (Some(f), Some(e), _) if f != e => Err(contradiction(
            path,
            ext.as_deref().unwrap_or(""),
            f.label(),
            drop_format(e.label()),
        )),
        (Some(f), None, Some(x)) if is_known_extension(x) => Err(contradiction(
            path,
            x,
            f.label(),
            format!(
                "'.{x}' is a {} format; {}s export as {}",
                F::OTHER,
                F::KIND,
                F::FORMATS
            ),
        )),
        (Some(f), _, _) => Ok(f),
        (None, Some(e), _) => Ok(e),
        (None, None, Some(x)) if is_known_extension(x) => Err(Error::rejected(
            Code::BadFormat,
            Subject::file(path),
            format!("'.{x}' is a {} format, not a {} format", F::OTHER, F::KIND),
            format!("{}s export as {}", F::KIND, F::FORMATS),
        )),
        (None, None, _) => Err(unknown_extension(path, F::FORMATS)),
    }
}

/// The format a dataset export writes: from the extension of `path`,
/// checked against an explicit `format` if one is given.
pub fn resolve_dataset_format(path: &Path, format: Option<DatasetFormat>) -> Result<DatasetFormat> {
    resolve_format(path, format)
}

/// The format a graph export writes (see [`resolve_dataset_format`]).
pub fn resolve_graph_format(path: &Path, format: Option<GraphFormat>) -> Result<GraphFormat> {
    resolve_format(path, format)
}

/// Options of a dataset export (`EXPORT DATASET ... [FORMAT f] [SPLIT (...)]
/// [WITH (fractions = true, clean_label = true)]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportOptions {
    /// `None`: from the file's extension.
    pub format: Option<DatasetFormat>,
    /// Stratified parts written beside `path` (`out/ds.train.jsonl`, ...).
    pub split: Option<Split>,
    /// Add each row's `pos_frac` and `neg_frac` (full precision).
    pub fractions: bool,
    /// Add each row's `sampled_label` (the label before noise) and
    /// `relabelled` (whether noise changed it).
    pub clean_label: bool,
}

/// One file an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedFile {
    /// The split part, if any.
    pub part: Option<String>,
    pub path: PathBuf,
    pub rows: u64,
}

/// What a dataset export wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportReport {
    pub version: u32,
    pub format: DatasetFormat,
    pub files: Vec<ExportedFile>,
}

/// What a graph export wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphExport {
    pub version: u32,
    pub format: GraphFormat,
    pub path: PathBuf,
    pub edges: u64,
}

/// `out/ds.jsonl` + `train` → `out/ds.train.jsonl` (no extension: `out/ds.train`).
pub fn part_path(path: &Path, part: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{part}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{part}"),
    };
    path.with_file_name(name)
}

/// Writes `rows` of `ds` (indices, in order) in `format` with `cols`.
fn write_rows(
    ds: &Dataset,
    rows: &[usize],
    format: DatasetFormat,
    cols: Columns,
    w: crate::util::Sink<'_>,
) -> std::io::Result<u64> {
    match format {
        DatasetFormat::Jsonl => rows::write_jsonl(ds, rows, cols, w),
        DatasetFormat::Csv => rows::write_csv(ds, rows, cols, w),
        DatasetFormat::Parquet => parquet::write_dataset(ds, rows, cols, w),
    }
}

/// SPLIT writes one regular file per part beside `path`; a device, FIFO or
/// directory there (`/dev/stdout`, `/dev/null`) would name files like
/// `/dev/stdout.train`, so it is refused.
fn check_split_target(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(Error::rejected(
            Code::BadTarget,
            Subject::file(path),
            format!(
                "SPLIT writes one file per part beside {}, which is not a regular file",
                crate::limits::path(path)
            ),
            "give a file name such as 'out/ds.jsonl' (parts: out/ds.train.jsonl, ...)",
        )),
        _ => Ok(()),
    }
}

/// Writes a dataset (whole, or as split parts) to `path`; see the module doc.
pub fn export_dataset_to(
    ds: &Dataset,
    path: &Path,
    options: &ExportOptions,
) -> Result<(DatasetFormat, Vec<ExportedFile>)> {
    let format = resolve_dataset_format(path, options.format)?;
    check_dataset_columns(ds, "the dataset")?;
    let cols = Columns {
        fractions: options.fractions,
        clean_label: options.clean_label,
    };
    let (parts, names): (Vec<Vec<usize>>, Vec<Option<String>>) = match &options.split {
        None => (vec![(0..ds.len()).collect()], vec![None]),
        Some(s) => {
            s.check()?;
            check_split_target(path)?;
            let parts = split_rows(ds, s);
            (
                parts,
                s.parts.iter().map(|(n, _)| Some(n.clone())).collect(),
            )
        }
    };
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|n| match n {
            Some(n) => part_path(path, n),
            None => path.to_path_buf(),
        })
        .collect();
    let counts = write_all_or_none(&paths, |i, w| write_rows(ds, &parts[i], format, cols, w))?;
    let files = names
        .into_iter()
        .zip(paths)
        .zip(counts)
        .map(|((part, path), rows)| ExportedFile { part, path, rows })
        .collect();
    Ok((format, files))
}

#[cfg(test)]
mod tests;
