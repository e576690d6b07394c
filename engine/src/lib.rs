//! Valence engine: store, signed graph, generate, diagnose, sample.
//! No parsing of the query language and no terminal I/O live here.

mod error;
pub mod generate;
pub mod llm;

pub use error::{Error, FileLoc, Result};
