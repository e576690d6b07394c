//! Execution: AST → engine calls → result tables. [`Session::dispatch`] is
//! one exhaustive `match` over the statement kinds, each arm one function of
//! the file for its statement family (`objects.rs`, `describe.rs`,
//! `sample.rs`, `export.rs`, `generate.rs`, `compare.rs`, `check.rs`,
//! `select/`); the executor never opens redb tables (it goes through
//! [`valence_engine::Engine`], one method per operation).

mod check;
mod compare;
mod describe;
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
use crate::parse::params::Param;
use crate::table::{QueryResult, Table};

/// A session runs statements against one engine.
#[derive(Clone)]
pub struct Session {
    engine: Arc<Engine>,
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
        let script = crate::parse::Script::with_params(src, params, 1)?;
        for chunk in script.chunks() {
            if !self.run_chunk(&script, chunk, ctx, &mut on_result)? {
                break;
            }
        }
        Ok(())
    }

    /// Runs the statements of one chunk of `script`, calling `on_result`
    /// after each; returns false when `on_result` asked to stop. Errors
    /// carry the script's places (its lines, byte offsets into its text).
    pub fn run_chunk(
        &self,
        script: &crate::parse::Script<'_>,
        chunk: crate::split::Chunk,
        ctx: &Ctx,
        mut on_result: impl FnMut(&Statement, QueryResult) -> bool,
    ) -> Result<bool> {
        for stmt in script.parse_chunk(chunk)? {
            let r = self.execute_statement(&stmt, ctx)?;
            if !on_result(&stmt, r) {
                return Ok(false);
            }
        }
        Ok(true)
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

    /// One arm per statement kind (no catch-all: a new kind fails to
    /// compile until it is dispatched).
    fn dispatch(&self, stmt: &Statement, ctx: &Ctx) -> Result<QueryResult> {
        let e = &*self.engine;
        let tables: Vec<Table> = match &stmt.kind {
            StatementKind::LoadCatalogue { name, path } => {
                objects::load_catalogue(e, stmt, name, path, ctx)?
            }
            StatementKind::ImportGraph {
                name,
                path,
                catalogue,
            } => objects::import_graph(e, stmt, name, path, catalogue.as_ref(), ctx)?,
            StatementKind::Show(kind) => objects::show(e, *kind, stmt.span)?,
            StatementKind::ShowVersions { kind, name } => objects::show_versions(e, *kind, name)?,
            StatementKind::Describe { kind, target } => describe::describe(e, *kind, target)?,
            StatementKind::Drop {
                kind,
                target,
                if_exists,
            } => objects::drop(e, *kind, target, *if_exists)?,
            StatementKind::Diagnose(d) => sample::diagnose(e, stmt, d, ctx)?,
            StatementKind::Sample(s) => sample::sample(e, stmt, s, ctx)?,
            StatementKind::ExportGraph {
                graph,
                path,
                format,
            } => export::export_graph(e, graph, path, format.as_ref())?,
            StatementKind::ExportDataset {
                dataset,
                path,
                format,
                split,
                options,
            } => {
                export::export_dataset(e, dataset, path, format.as_ref(), split.as_ref(), options)?
            }
            StatementKind::Generate(g) => generate::run(e, stmt, g, ctx)?,
            StatementKind::ExplainGenerate(g) => generate::explain(e, stmt, g)?,
            StatementKind::CompareGraph { a, b, detail } => {
                compare::compare_graphs(e, stmt, a, b, *detail, ctx)?
            }
            StatementKind::CheckGraph { graph, path } => {
                compare::check_graph(e, stmt, graph, path, ctx)?
            }
            StatementKind::CheckDatabase => check::check_database(e, stmt, ctx)?,
            StatementKind::Select(sel) => select::execute(e, sel)?,
            StatementKind::ImportEvaluations { path } => evals::import(e, path)?,
            StatementKind::ShowLeaderboard(b) => evals::leaderboard(e, b, stmt.span)?,
            StatementKind::ShowEvaluations(b) => evals::evaluations(e, b, stmt.span)?,
            StatementKind::EvaluateBaseline { dataset, split } => {
                evals::baseline(e, dataset, split.as_ref())?
            }
            StatementKind::DropEvaluation { run_id, if_exists } => {
                evals::drop(e, run_id, *if_exists)?
            }
        };
        Ok(QueryResult::new(stmt.kind.title(), tables))
    }
}

/// An engine error located at a span of the statement.
pub(crate) fn at(span: Span) -> impl Fn(valence_engine::Error) -> DslError {
    move |e| DslError::engine(e, span)
}

#[cfg(test)]
mod tests;
