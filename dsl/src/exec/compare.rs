//! COMPARE GRAPH and CHECK GRAPH.

use valence_engine::{Ctx, Engine};

use crate::ast::Statement;
use crate::error::Result;
use crate::table::QueryResult;

pub(crate) fn execute(_e: &Engine, stmt: &Statement, _ctx: &Ctx) -> Result<QueryResult> {
    Err(super::not_implemented(stmt))
}
