//! Execution: AST → engine calls → result tables. One file per statement
//! family; the executor never opens redb tables (it goes through
//! [`valence_engine::Engine`]).

mod check;
mod compare;
pub mod evals;
mod export;
mod generate;
mod objects;
pub mod opts;
mod sample;
pub mod select;

use std::sync::Arc;

use valence_engine::{Ctx, Engine};

use crate::ast::{Span, Statement, StatementKind};
use crate::error::{DslError, Result};
use crate::parse::params::{Bindings, Param};
use crate::split::split_statements;
use crate::table::QueryResult;

/// A session runs statements against one engine.
#[derive(Clone)]
pub struct Session {
    engine: Arc<Engine>,
}

/// Parses one statement chunk of a larger script, keeping absolute
/// positions (line/col in the whole script) by blanking what precedes it.
fn parse_chunk(src: &str, start: usize, end: usize, b: &Bindings) -> Result<Vec<Statement>> {
    // Blank each byte (not char) so byte offsets stay those of `src`.
    let prefix: String = src[..start]
        .bytes()
        .map(|c| if c == b'\n' { '\n' } else { ' ' })
        .collect();
    let text = format!("{prefix}{}", &src[start..end]);
    crate::parse::parse_bound(&text, b)
}

impl Session {
    pub fn new(engine: Arc<Engine>) -> Session {
        Session { engine }
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Runs a script statement by statement, calling `on_result` after each
    /// one; stops at the first error (returned) or when `on_result` returns
    /// false. A syntax error stops the script at that statement, after the
    /// earlier ones ran (as sqlite3 does).
    pub fn run_script(
        &self,
        src: &str,
        ctx: &Ctx,
        on_result: impl FnMut(&Statement, QueryResult) -> bool,
    ) -> Result<()> {
        self.run_script_with_params(src, &[], ctx, on_result)
    }

    /// [`Session::run_script`] with `params` bound to the script's `?`
    /// placeholders, in order. A count mismatch is an error before any
    /// statement runs.
    pub fn run_script_with_params(
        &self,
        src: &str,
        params: &[Param],
        ctx: &Ctx,
        mut on_result: impl FnMut(&Statement, QueryResult) -> bool,
    ) -> Result<()> {
        let bindings = Bindings::new(src, params)?;
        for chunk in split_statements(src) {
            for stmt in parse_chunk(src, chunk.start, chunk.end, &bindings)? {
                let r = self.execute_statement(&stmt, ctx)?;
                if !on_result(&stmt, r) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Runs a script and collects every result; stops at the first error.
    pub fn execute(&self, src: &str, ctx: &Ctx) -> Result<Vec<QueryResult>> {
        self.execute_with_params(src, &[], ctx)
    }

    /// [`Session::execute`] with `params` bound to the `?` placeholders.
    pub fn execute_with_params(
        &self,
        src: &str,
        params: &[Param],
        ctx: &Ctx,
    ) -> Result<Vec<QueryResult>> {
        let mut out = Vec::new();
        self.run_script_with_params(src, params, ctx, |_, r| {
            out.push(r);
            true
        })?;
        Ok(out)
    }

    /// Runs one parsed statement.
    /// Every error it returns has a place: the option, clause or path at
    /// fault when known, else the whole statement (never `0:0`).
    pub fn execute_statement(&self, stmt: &Statement, ctx: &Ctx) -> Result<QueryResult> {
        self.dispatch(stmt, ctx)
            .map(|mut r| {
                r.statement = stmt.kind.title();
                r
            })
            .map_err(|e| e.or_at(stmt.span))
    }

    fn dispatch(&self, stmt: &Statement, ctx: &Ctx) -> Result<QueryResult> {
        let e = &*self.engine;
        Ok(match &stmt.kind {
            StatementKind::LoadCatalogue { .. }
            | StatementKind::ImportGraph { .. }
            | StatementKind::Show(_)
            | StatementKind::ShowVersions { .. }
            | StatementKind::Describe { .. }
            | StatementKind::Drop { .. } => objects::execute(e, stmt, ctx)?,
            StatementKind::Diagnose(_) | StatementKind::Sample(_) => sample::execute(e, stmt, ctx)?,
            StatementKind::ExportGraph { .. } | StatementKind::ExportDataset { .. } => {
                export::execute(e, stmt)?
            }
            StatementKind::Generate(_) | StatementKind::ExplainGenerate(_) => {
                generate::execute(e, stmt, ctx)?
            }
            StatementKind::CompareGraph { .. } | StatementKind::CheckGraph { .. } => {
                compare::execute(e, stmt, ctx)?
            }
            StatementKind::CheckDatabase => check::execute(e, stmt, ctx)?,
            StatementKind::Select(sel) => select::execute(e, sel)?,
            StatementKind::ImportEvaluations { path } => evals::import(e, path)?,
            StatementKind::ShowLeaderboard(b) => evals::leaderboard(e, b, stmt.span)?,
            StatementKind::ShowEvaluations(b) => evals::evaluations(e, b, stmt.span)?,
            StatementKind::DropEvaluation { run_id, if_exists } => {
                evals::drop(e, run_id, *if_exists)?
            }
        })
    }
}

/// An engine error located at a span of the statement.
pub(crate) fn at(span: Span) -> impl Fn(valence_engine::Error) -> DslError {
    move |e| DslError::engine(e, span)
}

/// "not implemented yet" for a statement, pointing at it.
pub(crate) fn not_implemented(stmt: &Statement) -> DslError {
    DslError::engine(
        valence_engine::Error::NotImplemented(stmt.kind.title().to_string()),
        stmt.span,
    )
    .hint("this statement is part of the language contract but this build cannot execute it yet")
}
