//! Valence engine: store, signed graph, generate, diagnose, sample.
//! No parsing of the query language and no terminal I/O live here.

pub mod cluster;
mod error;

pub use error::{Error, FileLoc, Result};
