//! Valence engine: store, signed graph, generate, diagnose, sample.
//!
//! No parsing of the query language and no terminal I/O live here: the `dsl`
//! crate turns statements into calls on [`Engine`], the `repl` crate draws.

#![forbid(unsafe_code)]

mod catalogue;
pub mod cluster;
pub mod compare;
mod ctx;
mod diagnose;
mod edges;
#[cfg(test)]
mod edges_tests;
mod error;
pub mod export;
pub mod generate;
mod graph;
pub mod limits;
pub mod llm;
mod ops;
pub mod query;
mod sample;
pub mod store;
pub mod util;

pub use catalogue::{Attribute, Catalogue};
pub use compare::{CheckMiss, CheckReport, CheckRow, CompareCounts, Comparison, Mismatch};
pub use ctx::{Ctx, NoProgress, Progress};
pub use diagnose::{DiagnoseReport, FractionStats, Histogram, SuggestedLabel, diagnose};
pub use edges::{ImportStats, read_edges_csv, read_edges_csv_with};
pub use error::{BoxError, Error, ErrorKind, FileLoc, Result};
pub use export::{
    DatasetFormat, ExportOptions, ExportReport, ExportedFile, GraphExport, GraphFormat, Split,
    write_graph,
};
pub use generate::{
    BackendKind, CLUSTER_OPTIONS, ClusterOptions, ClusterPlan, ClusterReport, GENERATE_OPTIONS,
    GenerateOptions, GenerateReport, OptionError, Plan, PrimaryRule,
};
pub use graph::{
    DenseAdjacency, EdgeFractions, EdgeRejection, GraphBuilder, NodeId, RelStats, Sign,
    SignedGraph, candidate_pairs,
};
pub use ops::{
    CatalogueDescription, Engine, GraphComparison, GraphDescription, ModalityDegrees,
    ModalitySummary, Written, check_name,
};
pub use sample::{
    Coverage, Dataset, DatasetDescription, DatasetRow, EDGE_BAND, LabelReport, LabelSpec,
    Predictive, Quality, SampleOptions, SampleReport, SampleSpec, TypeQuota, hugs_edge, sample,
};
pub use store::{CheckEntry, Integrity, Kind, Manifest, ObjRef, ObjectInfo, Store, Stored};
