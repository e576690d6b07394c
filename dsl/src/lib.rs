//! The Valence query language: pest grammar (`grammar/valence.pest`) → AST
//! ([`ast`]) → execution against the engine ([`Session`]) → result tables
//! ([`QueryResult`]), rendered in the shell's modes by [`render`].

#![forbid(unsafe_code)]

pub mod ast;
mod error;
mod exec;
pub mod keywords;
pub mod options;
mod parse;
pub mod render;
pub mod reports;
mod split;
mod table;

pub use error::{DslError, ErrorKind, Result};
pub use exec::Session;
/// SELECT: its AST and the table functions it reads (`TABLE_FUNCTIONS`).
pub use exec::select;
pub use parse::params::Param;
pub use parse::{Script, parse_script, parse_script_with_params};
pub use render::Mode;
pub use split::{Chunk, is_complete, split_statements};
pub use table::{QueryResult, Table, Value, format_float};
