//! Valence engine: store, signed graph, generate, diagnose, sample.
//!
//! No parsing of the query language and no terminal I/O live here: the `dsl`
//! crate turns statements into calls on [`Engine`] (every operation is one
//! method on it), the `repl` crate draws.
//!
//! ```
//! use std::path::Path;
//! use valence_engine::{Engine, ObjRef, Sign};
//!
//! # fn main() -> valence_engine::Result<()> {
//! let engine = Engine::in_memory()?;
//! engine.load_catalogue("c", Path::new("../fixtures/small/catalogue.csv"), "LOAD CATALOGUE ...")?;
//! let (w, stats) = engine.import_graph(
//!     "g",
//!     Path::new("../fixtures/small/edges.csv"),
//!     Some(&ObjRef::latest("c")),
//!     "IMPORT GRAPH ...",
//! )?;
//! assert_eq!((w.version, stats.pos), (1, 112));
//! let (_, g) = engine.graph(&ObjRef::latest("g"))?;
//! let nike = g.find("brand", "Nike").unwrap();
//! let athletes = g.find("audience", "Athletes").unwrap();
//! assert_eq!(g.sign(nike, athletes), Some(Sign::Pos));
//! # Ok(())
//! # }
//! ```
//!
//! The modules are private: what callers may use is the list of `pub use`
//! below. Three namespaces stay public, each a flat list of its own (their
//! submodules are private): `generate` (the strategies' run-level building
//! blocks: plans, journals, runs without a store), `llm` (the `Backend`
//! trait and its OpenAI and oracle implementations, the reply parsers: the
//! extension point for other transports) and `query` (SELECT's table
//! functions).

#![forbid(unsafe_code)]
#![warn(unnameable_types)]

mod baseline;
mod catalogue;
mod cluster;
mod compare;
mod ctx;
mod diagnose;
mod edges;
#[cfg(test)]
mod edges_tests;
mod error;
mod export;
pub mod generate;
mod graph;
mod limits;
pub mod llm;
mod ops;
pub mod query;
mod sample;
mod store;
mod util;

// The engine and the inputs and outputs of its operations.
pub use catalogue::{Attribute, Catalogue};
pub use compare::{CheckMiss, CheckReport, CheckRow, CompareCounts, Comparison, Mismatch};
pub use ctx::{Ctx, NoProgress, Progress};
pub use diagnose::{DiagnoseReport, FractionStats, Histogram, SuggestedLabel};
pub use edges::ImportStats;
pub use error::{BoxError, Clause, Code, Error, ErrorKind, FileLoc, Result, Subject};
pub use export::{
    DatasetFormat, ExportOptions, ExportReport, ExportedFile, GraphExport, GraphFormat, Split,
    check_dataset_columns, dataset_columns, part_path, resolve_dataset_format,
    resolve_graph_format,
};
pub use generate::{
    BackendKind, ClusterOptions, ClusterPlan, ClusterReport, GenerateOptions, GenerateReport,
    OptionError, Plan, PrimaryRule,
};
pub use graph::{
    Adjacency, DENSE_ALWAYS_BYTES, DENSE_CAP_BYTES, DenseAdjacency, EdgeFractions, EdgeRejection,
    Evaluator, GraphBuilder, HotPath, NodeId, RelStats, RoaringAdjacency, RoaringKey, Sign,
    SignedGraph, dense_bytes, dense_fits,
};
pub use limits::mask_url_secrets;
pub use llm::backend::{missing_model, resolve_model};
pub use ops::{
    CatalogueDescription, Engine, EvalRun, GraphComparison, GraphDescription, Leaderboard,
    LeaderboardQuery, ModalityDegrees, ModalitySummary, Written, check_name,
};
pub use sample::{
    Coverage, Dataset, DatasetDescription, DatasetRow, LabelReport, LabelSpec, Predictive, Quality,
    SampleOptions, SampleReport, SampleSpec, TypeQuota,
};
pub use store::{
    COMPACT_AFTER, CheckEntry, Integrity, Kind, MAX_RATIO, Manifest, ObjRef, ObjectInfo,
    StorageStats, Store, Stored, Writer, canonical_db_path,
};
pub use util::{format_utc, is_standard_output, now_unix};

// Building blocks below `Engine`, on a graph in memory with no store: the
// fixture generator, the benchmarks and the tests call them directly.
pub use cluster::{ClusterParams, Clustering, cluster_modality, random_projection};
pub use compare::{check_graph, compare_graphs};
pub use diagnose::diagnose;
pub use edges::read_edges_csv;
pub use sample::sample;
