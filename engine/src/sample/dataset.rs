//! The stored dataset: self-contained (node values inside, so it survives
//! DROP GRAPH), compact (rows are u32 indices into one value dictionary),
//! serialised with rkyv. Export lives in `crate::export`.
//!
//! Layout: `values` is the dictionary of every node of the TYPES modalities,
//! grouped by modality in TYPES order (`value_start[m]..value_start[m+1]`);
//! row `r` is `items[starts[r]..starts[r+1]]`, ascending, so grouped by
//! modality. Per row: the label it was sampled under, the label it carries
//! (differs only for `noise` rows) and its edge counts.
//!
//! Stored bytes: format 2 (`packed.rs`: the per-row columns bit-packed);
//! format 1 (the rkyv archive of this struct) is still read. Both are
//! checked for consistency when loaded, so a bad payload is an error, never
//! a panic on a row access.

mod packed;

use serde::Serialize;

use super::{LabelReport, LabelSpec, Quality, SampleReport, SampleSpec, TypeQuota};
use crate::graph::{EdgeFractions, NodeId};
use crate::store::Manifest;
use crate::{Error, Result, SignedGraph};

/// The format written; format 1 is still read.
const DATASET_FORMAT: u32 = 2;

/// One sampled row before storage: label index, nodes sorted by (slot, id),
/// edge counts.
pub(crate) struct SampledRow {
    pub label: u16,
    pub nodes: Vec<(u16, NodeId)>,
    pub pos_edges: u64,
    pub neg_edges: u64,
    pub pairs: u64,
}

/// A sampled dataset.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct Dataset {
    format: u32,
    modalities: Vec<String>,
    types: Vec<(u32, u32)>,
    values: Vec<String>,
    value_start: Vec<u32>,
    labels: Vec<String>,
    sampled: Vec<u16>,
    emitted: Vec<u16>,
    starts: Vec<u32>,
    items: Vec<u32>,
    pos_edges: Vec<u32>,
    neg_edges: Vec<u32>,
    pairs: Vec<u32>,
}

/// One row of a [`Dataset`].
#[derive(Debug, Clone, Copy)]
pub struct DatasetRow<'a> {
    ds: &'a Dataset,
    index: usize,
}

impl<'a> DatasetRow<'a> {
    /// The label the row carries (after noise).
    pub fn label(&self) -> &'a str {
        &self.ds.labels[self.ds.emitted[self.index] as usize]
    }
    /// The label whose box the row was sampled under.
    pub fn sampled_label(&self) -> &'a str {
        &self.ds.labels[self.ds.sampled[self.index] as usize]
    }
    fn items(&self) -> &'a [u32] {
        let ds = self.ds;
        &ds.items[ds.starts[self.index] as usize..ds.starts[self.index + 1] as usize]
    }
    /// Values of the `m`-th TYPES modality, in dictionary order.
    pub fn values(&self, m: usize) -> impl Iterator<Item = &'a str> + 'a {
        let ds = self.ds;
        let (lo, hi) = (ds.value_start[m], ds.value_start[m + 1]);
        self.items()
            .iter()
            .filter(move |&&i| i >= lo && i < hi)
            .map(move |&i| ds.values[i as usize].as_str())
    }
    /// (modality, value) of every node of the row.
    pub fn nodes(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let ds = self.ds;
        self.items().iter().map(move |&i| {
            let m = ds.value_start.partition_point(|&s| s <= i) - 1;
            (ds.modalities[m].as_str(), ds.values[i as usize].as_str())
        })
    }
    /// Edge fractions recorded at sampling time.
    pub fn fractions(&self) -> EdgeFractions {
        EdgeFractions::from_counts(
            self.ds.pos_edges[self.index] as u64,
            self.ds.neg_edges[self.index] as u64,
            self.ds.pairs[self.index] as u64,
        )
    }
}

impl Dataset {
    /// Builds the stored form from sampled rows.
    pub(crate) fn build(
        g: &SignedGraph,
        spec: &SampleSpec,
        rows: &[SampledRow],
        emitted: Vec<u16>,
    ) -> Dataset {
        let mut values = Vec::new();
        let mut value_start = vec![0u32];
        let mut index = vec![u32::MAX; g.node_count()];
        for t in &spec.types {
            if let Some(m) = g.modality_index(&t.modality) {
                for &n in g.nodes_of(m) {
                    index[n as usize] = values.len() as u32;
                    values.push(g.value(n).to_string());
                }
            }
            value_start.push(values.len() as u32);
        }
        let n_items: usize = rows.iter().map(|r| r.nodes.len()).sum();
        let mut items = Vec::with_capacity(n_items);
        let mut starts = Vec::with_capacity(rows.len() + 1);
        starts.push(0u32);
        for r in rows {
            // (slot, id) order is dictionary order: no sort needed.
            items.extend(r.nodes.iter().map(|&(_, n)| index[n as usize]));
            starts.push(items.len() as u32);
        }
        Dataset {
            format: DATASET_FORMAT,
            modalities: spec.types.iter().map(|t| t.modality.clone()).collect(),
            types: spec.types.iter().map(|t| (t.min, t.max)).collect(),
            values,
            value_start,
            labels: spec.labels.iter().map(|l| l.name.clone()).collect(),
            sampled: rows.iter().map(|r| r.label).collect(),
            emitted,
            starts,
            items,
            pos_edges: rows.iter().map(|r| r.pos_edges as u32).collect(),
            neg_edges: rows.iter().map(|r| r.neg_edges as u32).collect(),
            pairs: rows.iter().map(|r| r.pairs as u32).collect(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.sampled.len()
    }
    pub fn is_empty(&self) -> bool {
        self.sampled.is_empty()
    }
    /// TYPES modalities, in order.
    pub fn modalities(&self) -> &[String] {
        &self.modalities
    }
    /// TYPES of the dataset.
    pub fn types(&self) -> Vec<TypeQuota> {
        self.modalities
            .iter()
            .zip(&self.types)
            .map(|(m, &(a, b))| TypeQuota::new(m.clone(), a, b))
            .collect()
    }
    /// Label names, in spec order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    /// Per row: index into [`Self::labels`] of the box it was sampled under.
    pub fn sampled_labels(&self) -> &[u16] {
        &self.sampled
    }
    /// Per row: index into [`Self::labels`] of the label it carries.
    pub fn emitted_labels(&self) -> &[u16] {
        &self.emitted
    }
    /// Row `index`; panics when `index >= len()` (as slice indexing does):
    /// use [`Dataset::get`] for a checked access.
    pub fn row(&self, index: usize) -> DatasetRow<'_> {
        assert!(
            index < self.len(),
            "row {index} out of range: the dataset has {} rows",
            self.len()
        );
        DatasetRow { ds: self, index }
    }

    /// Row `index`, or `None` when `index >= len()`.
    pub fn get(&self, index: usize) -> Option<DatasetRow<'_>> {
        (index < self.len()).then_some(DatasetRow { ds: self, index })
    }
    pub fn rows(&self) -> impl Iterator<Item = DatasetRow<'_>> + '_ {
        (0..self.len()).map(move |i| self.row(i))
    }
    /// Dictionary indices of row `r`'s values, ascending.
    pub(crate) fn row_items(&self, r: usize) -> &[u32] {
        &self.items[self.starts[r] as usize..self.starts[r + 1] as usize]
    }
    /// Size of the value dictionary (every node of the TYPES modalities).
    pub(crate) fn value_count(&self) -> usize {
        self.values.len()
    }
    /// Dictionary indices `lo..hi` of the `m`-th modality's values.
    pub(crate) fn value_range(&self, m: usize) -> (u32, u32) {
        (self.value_start[m], self.value_start[m + 1])
    }
    /// The value at dictionary index `i`.
    pub(crate) fn value(&self, i: u32) -> &str {
        &self.values[i as usize]
    }

    /// The stored bytes (format 2, bit-packed columns).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        packed::encode(self)
    }

    /// Loads stored bytes of format 2 or 1 (validated).
    pub fn from_bytes(bytes: &[u8]) -> Result<Dataset> {
        let ds = match bytes.strip_prefix(packed::MAGIC) {
            Some(archive) => packed::decode(archive, DATASET_FORMAT)?,
            None => Dataset::from_format_1(bytes)?,
        };
        ds.validate()?;
        Ok(ds)
    }

    fn from_format_1(bytes: &[u8]) -> Result<Dataset> {
        let mut aligned = rkyv::util::AlignedVec::<16>::with_capacity(bytes.len());
        aligned.extend_from_slice(bytes);
        let ds = rkyv::from_bytes::<Dataset, rkyv::rancor::Error>(&aligned)
            .map_err(|e| Error::storage_context("corrupt dataset", e))?;
        if ds.format != 1 {
            return Err(Error::storage(format!(
                "dataset format {} is not supported (this build reads 1 and {DATASET_FORMAT})",
                ds.format
            )));
        }
        Ok(ds)
    }

    /// The columns agree with each other (lengths, offsets, indices).
    fn validate(&self) -> Result<()> {
        let n = self.sampled.len();
        let rows_ok = [
            self.emitted.len(),
            self.pos_edges.len(),
            self.neg_edges.len(),
        ]
        .iter()
        .chain([self.pairs.len()].iter())
        .all(|&l| l == n)
            && self.starts.len() == n + 1
            && self.starts[0] == 0
            && self.starts.windows(2).all(|w| w[0] <= w[1])
            && self.starts[n] as usize == self.items.len();
        let dict_ok = self.types.len() == self.modalities.len()
            && self.value_start.len() == self.modalities.len() + 1
            && self.value_start.first() == Some(&0)
            && self.value_start.windows(2).all(|w| w[0] <= w[1])
            && self.value_start.last().map(|&l| l as usize) == Some(self.values.len());
        let nv = self.values.len();
        let nl = self.labels.len();
        let refs_ok = self.items.iter().all(|&i| (i as usize) < nv)
            && self
                .sampled
                .iter()
                .chain(&self.emitted)
                .all(|&l| (l as usize) < nl);
        if rows_ok && dict_ok && refs_ok {
            Ok(())
        } else {
            Err(Error::storage(
                "corrupt dataset: its columns do not agree (lengths, offsets or indices)",
            ))
        }
    }
}

/// What `DESCRIBE DATASET` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetDescription {
    pub name: String,
    pub version: u32,
    pub rows: u64,
    /// Source graph (name, version) from the manifest.
    pub graph: Option<(String, u32)>,
    pub seed: Option<u64>,
    /// TYPES with the mean number of values per row.
    pub types: Vec<(TypeQuota, f64)>,
    /// Per label: rows carrying it (after noise).
    pub label_rows: Vec<(String, u64)>,
    /// Rows relabelled by noise.
    pub relabelled: u64,
    /// The per-label sampling report from the manifest.
    pub report: Vec<LabelReport>,
    /// The health report, recomputed from the rows and the manifest's boxes.
    pub quality: Quality,
    pub manifest: Manifest,
}

impl DatasetDescription {
    pub(crate) fn new(name: &str, version: u32, ds: &Dataset, manifest: Manifest) -> Self {
        let d = &manifest.details;
        let graph = d["graph"]["name"]
            .as_str()
            .zip(d["graph"]["version"].as_u64())
            .map(|(n, v)| (n.to_string(), v as u32));
        let report: Option<SampleReport> = serde_json::from_value(d["report"].clone()).ok();
        let boxes: Vec<LabelSpec> = serde_json::from_value(d["labels"].clone()).unwrap_or_default();
        let quality = Quality::assess(ds, &boxes);
        let n = ds.len().max(1) as f64;
        let types = ds
            .types()
            .into_iter()
            .enumerate()
            .map(|(m, t)| {
                let (lo, hi) = (ds.value_start[m], ds.value_start[m + 1]);
                let c = ds.items.iter().filter(|&&i| i >= lo && i < hi).count();
                (t, c as f64 / n)
            })
            .collect();
        let mut counts = vec![0u64; ds.labels.len()];
        for &l in &ds.emitted {
            counts[l as usize] += 1;
        }
        let relabelled = ds
            .sampled
            .iter()
            .zip(&ds.emitted)
            .filter(|(a, b)| a != b)
            .count() as u64;
        DatasetDescription {
            name: name.to_string(),
            version,
            rows: ds.len() as u64,
            graph,
            seed: d["seed"].as_u64(),
            types,
            label_rows: ds.labels.iter().cloned().zip(counts).collect(),
            relabelled,
            report: report.map(|r| r.labels).unwrap_or_default(),
            quality,
            manifest,
        }
    }
}
