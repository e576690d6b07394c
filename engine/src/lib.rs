//! Valence engine: store, signed graph, generate, diagnose, sample.
//!
//! No parsing of the query language and no terminal I/O live here: the `dsl`
//! crate turns statements into calls on [`Engine`], the `repl` crate draws.

#![forbid(unsafe_code)]

mod catalogue;
pub mod cluster;
pub mod compare;
mod ctx;
mod db;
mod diagnose;
mod edges;
#[cfg(test)]
mod edges_tests;
mod error;
mod eval;
pub mod export;
pub mod generate;
mod graph;
mod integrity;
pub mod limits;
pub mod llm;
pub mod query;
mod sample;
pub mod store;
pub mod util;

pub use catalogue::{Attribute, Catalogue};
pub use ctx::{Ctx, NoProgress, Progress};
pub use db::{Engine, Written, check_name};
pub use diagnose::{DiagnoseReport, FractionStats, Histogram, SuggestedLabel, diagnose};
pub use edges::{ImportStats, read_edges_csv, read_edges_csv_with};
pub use error::{BoxError, Clause, Code, Error, ErrorKind, FileLoc, Result, Subject};
pub use eval::{EvalRun, Leaderboard, LeaderboardQuery};
pub use export::{
    DatasetFormat, ExportOptions, ExportReport, ExportedFile, GraphExport, GraphFormat, Split,
    write_graph,
};
pub use graph::{
    DenseAdjacency, EdgeFractions, EdgeRejection, GraphBuilder, NodeId, RelStats, Sign,
    SignedGraph, candidate_pairs,
};
pub use sample::{
    Coverage, Dataset, DatasetDescription, DatasetRow, EDGE_BAND, LabelReport, LabelSpec,
    Predictive, Quality, SampleOptions, SampleReport, SampleSpec, TypeQuota, hugs_edge, sample,
};
pub use store::{CheckEntry, Integrity, Kind, Manifest, ObjRef, ObjectInfo, Store, Stored};
