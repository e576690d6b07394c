//! # Valence
//!
//! An embedded database engine for signed marketing-compatibility graphs and
//! the synthetic campaign datasets sampled from them.
//!
//! ```
//! use valence::Database;
//!
//! # fn main() -> valence::Result<()> {
//! let db = Database::in_memory()?;
//! let results = db.execute(
//!     "LOAD CATALOGUE small FROM 'fixtures/small/catalogue.csv';
//!      IMPORT GRAPH ref FROM 'fixtures/small/edges.csv' CATALOGUE small;
//!      SHOW GRAPHS;",
//! )?;
//! let shown = results[2].table();
//! assert_eq!(shown.get(0, "name").and_then(|v| v.as_str()), Some("ref"));
//!
//! // Typed access to what scripts do:
//! let g = db.graph("ref")?;
//! let nike = g.find("brand", "Nike").unwrap();
//! let athletes = g.find("audience", "Athletes").unwrap();
//! assert_eq!(g.sign(nike, athletes), Some(valence::Sign::Pos));
//! # Ok(())
//! # }
//! ```
//!
//! Statements are described in the README's DSL tour; every statement answers
//! with one or more [`Table`]s. The typed calls on [`Database`] take and
//! return the engine types re-exported here (a curated list, not the whole
//! engine: the `valence-engine` crate has the rest, for embedders that need
//! its lower-level building blocks).

#![forbid(unsafe_code)]

mod error;
mod typed;

use std::path::Path;
use std::sync::Arc;

pub use error::{Clause, Code, Error, ErrorKind, Result, Subject};
pub use typed::ToParam;

// Statements and their results.
pub use valence_dsl::select::{Over, TABLE_FUNCTIONS, TableFn};
pub use valence_dsl::{
    Chunk, DslError, Mode, Param, QueryResult, Script, Session, Table, Value, is_complete,
    parse_script, render,
};

// The engine handle ([`Database::engine`]), cancellation and progress.
pub use valence_engine::{Ctx, Engine, Kind, Manifest, NoProgress, ObjRef, Progress, StorageStats};

// What the typed calls take and return.
pub use valence_engine::{
    BackendKind, ClusterOptions, ClusterReport, CompareCounts, Comparison, GenerateOptions,
    GenerateReport, Mismatch, PrimaryRule,
};
pub use valence_engine::{
    Catalogue, Dataset, DatasetRow, EdgeFractions, NodeId, Sign, SignedGraph,
};
pub use valence_engine::{
    DatasetFormat, ExportOptions, ExportReport, ExportedFile, GraphExport, GraphFormat, Split,
};
// Where an export writes: a SPLIT part's file, and whether a path is this
// process's standard output (the shell then keeps its result tables apart).
pub use valence_engine::{
    DiagnoseReport, FractionStats, Histogram, LabelReport, LabelSpec, Quality, SampleOptions,
    SampleReport, SampleSpec, SuggestedLabel, TypeQuota,
};
pub use valence_engine::{is_standard_output, part_path};

/// A Valence database: a file, or memory.
#[derive(Clone)]
pub struct Database {
    session: Session,
}

/// The file databases open in this process, so a second `open` of one
/// shares its handle (redb allows one handle per file).
static OPEN: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, std::sync::Weak<Engine>>>,
> = std::sync::LazyLock::new(Default::default);

impl Database {
    /// Opens or creates a database file. Opening a file this process already
    /// has open shares that handle (both see the same data); another process
    /// holding the file gives a "database is locked" error
    /// ([`ErrorKind::Locked`]).
    /// An existing file that cannot be opened for writing (its permissions,
    /// a read-only mount) is opened read-only instead: see
    /// [`Database::is_read_only`].
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        let key = valence_engine::canonical_db_path(path.as_ref());
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, w| w.strong_count() > 0);
        if let Some(engine) = open.get(&key).and_then(std::sync::Weak::upgrade) {
            return Ok(Database {
                session: Session::new(engine),
            });
        }
        let engine = Arc::new(Engine::open(path.as_ref())?);
        // Keyed by the name the file has now that it exists.
        let key = valence_engine::canonical_db_path(path.as_ref());
        open.insert(key, Arc::downgrade(&engine));
        Ok(Database {
            session: Session::new(engine),
        })
    }

    /// Opens an existing database file read-only: the file is never written
    /// (not even on open), other processes may read it meanwhile, and a
    /// statement that would write fails with [`ErrorKind::ReadOnly`].
    /// A handle this process already has open is not shared (that is
    /// [`ErrorKind::AlreadyOpen`]).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Database> {
        Ok(Database::from_engine(Engine::open_read_only(
            path.as_ref(),
        )?))
    }

    /// Whether this database refuses writes: opened with
    /// [`Database::open_read_only`], or by [`Database::open`] on a file or
    /// mount that is not writable.
    pub fn is_read_only(&self) -> bool {
        self.session.engine().is_read_only()
    }

    /// A database in memory; gone when the last handle is dropped.
    pub fn in_memory() -> Result<Database> {
        Ok(Database::from_engine(Engine::in_memory()?))
    }

    fn from_engine(engine: Engine) -> Database {
        Database {
            session: Session::new(Arc::new(engine)),
        }
    }

    /// Runs a script; returns one result per statement. Stops at the first
    /// error: statements before it have taken effect, the failing one has
    /// not (one transaction per statement).
    pub fn execute(&self, script: &str) -> Result<Vec<QueryResult>> {
        Ok(self.session.execute(script, &Ctx::default())?)
    }

    /// [`Database::execute`] with one parameter per `?` placeholder, in
    /// order. A `?` stands wherever a string or number literal may (paths,
    /// counts, bounds, option values), so a value holding `'` or `;` is
    /// data, never statement text. A count mismatch is an error before any
    /// statement runs.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let db = valence::Database::in_memory()?;
    /// let path = dir.path().join("it's; here.csv");
    /// std::fs::copy("fixtures/small/catalogue.csv", &path)?;
    /// db.execute_with_params("LOAD CATALOGUE c FROM ?;", &[&path])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute_with_params<P: ToParam>(
        &self,
        script: &str,
        params: &[P],
    ) -> Result<Vec<QueryResult>> {
        let params: Vec<Param> = params.iter().map(ToParam::to_param).collect();
        Ok(self
            .session
            .execute_with_params(script, &params, &Ctx::default())?)
    }

    /// Runs a script with a cancellation/progress context, handing each
    /// result to `on_result` as soon as its statement finishes.
    pub fn execute_with(
        &self,
        script: &str,
        ctx: &Ctx,
        on_result: impl FnMut(&valence_dsl::ast::Statement, QueryResult) -> bool,
    ) -> Result<()> {
        Ok(self.session.run_script(script, ctx, on_result)?)
    }

    /// Runs one chunk of a prepared [`Script`] (a front-end running a long
    /// input statement by statement, like the shell: linear time, errors at
    /// the input's lines). Returns false when `on_result` asked to stop.
    pub fn execute_chunk(
        &self,
        script: &Script<'_>,
        chunk: Chunk,
        ctx: &Ctx,
        on_result: impl FnMut(&valence_dsl::ast::Statement, QueryResult) -> bool,
    ) -> Result<bool> {
        Ok(self.session.run_chunk(script, chunk, ctx, on_result)?)
    }

    /// Runs one `SELECT` and returns its result table (typed cells:
    /// [`Value`]). Read-only: it never opens a write transaction.
    ///
    /// ```
    /// let db = valence::Database::in_memory()?;
    /// db.execute("LOAD CATALOGUE c FROM 'fixtures/small/catalogue.csv';
    ///             IMPORT GRAPH g FROM 'fixtures/small/edges.csv' CATALOGUE c;")?;
    /// let t = db.query("SELECT sign, COUNT(*) AS n FROM edges(g) GROUP BY sign ORDER BY sign")?;
    /// assert_eq!(t.columns, ["sign", "n"]);
    /// assert_eq!(t.rows[0][1], valence::Value::Int(112));
    /// # Ok::<(), valence::Error>(())
    /// ```
    pub fn query(&self, sql: &str) -> Result<Table> {
        self.query_with_params::<&str>(sql, &[])
    }

    /// [`Database::query`] with one parameter per `?` placeholder.
    pub fn query_with_params<P: ToParam>(&self, sql: &str, params: &[P]) -> Result<Table> {
        let params: Vec<Param> = params.iter().map(ToParam::to_param).collect();
        let stmts = valence_dsl::parse_script_with_params(sql, &params)?;
        let [stmt] = stmts.as_slice() else {
            return Err(valence_dsl::DslError::semantic(
                format!("query() runs one SELECT, not {} statements", stmts.len()),
                valence_dsl::ast::Span {
                    start: 0,
                    end: sql.len(),
                    line: 1,
                    col: 1,
                },
            )
            .hint("use execute() for scripts")
            .into());
        };
        if !matches!(stmt.kind, valence_dsl::ast::StatementKind::Select(_)) {
            return Err(valence_dsl::DslError::semantic(
                format!("query() runs SELECT, not {}", stmt.kind.title()),
                stmt.span,
            )
            .hint("use execute() for statements that change or export things")
            .into());
        }
        let r = self.session.execute_statement(stmt, &Ctx::default())?;
        Ok(r.tables
            .into_iter()
            .next()
            .unwrap_or_else(|| Table::new(&[])))
    }

    /// The engine, for typed calls.
    pub fn engine(&self) -> &Engine {
        self.session.engine()
    }

    /// The query session (shared engine).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// `LOAD CATALOGUE name FROM path`; returns the new version.
    pub fn load_catalogue(&self, name: &str, path: impl AsRef<Path>) -> Result<u32> {
        let stmt = format!("LOAD CATALOGUE {name} FROM '{}'", path.as_ref().display());
        Ok(self
            .engine()
            .load_catalogue(name, path.as_ref(), &stmt)?
            .version)
    }

    /// `IMPORT GRAPH name FROM path [CATALOGUE c]`; returns the new version.
    pub fn import_graph(
        &self,
        name: &str,
        path: impl AsRef<Path>,
        catalogue: Option<&str>,
    ) -> Result<u32> {
        let stmt = format!("IMPORT GRAPH {name} FROM '{}'", path.as_ref().display());
        let c = catalogue.map(ObjRef::from);
        Ok(self
            .engine()
            .import_graph(name, path.as_ref(), c.as_ref(), &stmt)?
            .0
            .version)
    }

    /// The file's size against the keys and values it stores (the last
    /// row of `CHECK DATABASE`); reads only.
    pub fn storage_stats(&self) -> Result<StorageStats> {
        Ok(self.engine().storage_stats()?)
    }

    /// Compacts the file now. Large writes already compact a file that has
    /// grown over 1.25× its payload; `false` when nothing ran (nothing was
    /// written in this session, or in memory).
    pub fn compact(&self) -> Result<bool> {
        Ok(self.engine().compact()?)
    }

    /// A graph version (`"g"` or `"g@2"`).
    pub fn graph(&self, r: &str) -> Result<Arc<SignedGraph>> {
        Ok(self.engine().graph(&ObjRef::from(r))?.1)
    }

    /// `DIAGNOSE graph TYPES (...) SAMPLES n SEED s` (read-only).
    pub fn diagnose(
        &self,
        graph: &str,
        types: &[TypeQuota],
        samples: u64,
        seed: u64,
    ) -> Result<DiagnoseReport> {
        Ok(self
            .engine()
            .diagnose(&ObjRef::from(graph), types, samples, seed, &Ctx::default())?)
    }

    /// `SAMPLE ... INTO into`; returns the new dataset version and the report.
    pub fn sample(
        &self,
        graph: &str,
        spec: &SampleSpec,
        into: &str,
    ) -> Result<(u32, SampleReport)> {
        let (w, r) = self.engine().sample(
            &ObjRef::from(graph),
            spec,
            into,
            &format!(
                "SAMPLE {} FROM {graph} ... INTO {into} (embedded API)",
                spec.total
            ),
            &Ctx::default(),
        )?;
        Ok((w.version, r))
    }

    /// A dataset version (`"d"` or `"d@2"`).
    pub fn dataset(&self, r: &str) -> Result<Dataset> {
        Ok(self.engine().dataset(&ObjRef::from(r))?.1)
    }

    /// A catalogue version (`"c"` or `"c@2"`).
    pub fn catalogue(&self, r: &str) -> Result<Catalogue> {
        Ok(self.engine().catalogue(&ObjRef::from(r))?.1)
    }
}

// ---- typed exports (no statement text: any path, quotes included, is safe)

impl Database {
    /// `EXPORT DATASET dataset TO path ...` without statement text, so a path
    /// containing `'` cannot break anything. The format follows the
    /// extension unless `options.format` says otherwise (a contradiction is
    /// an error); `options.split` writes stratified parts beside `path`.
    ///
    /// ```
    /// # fn main() -> valence::Result<()> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// use valence::{Database, ExportOptions, Split};
    /// let db = Database::in_memory()?;
    /// db.execute("LOAD CATALOGUE c FROM 'tests/data/tiny_catalogue.csv';
    ///             IMPORT GRAPH g FROM 'tests/data/tiny_edges.csv' CATALOGUE c;
    ///             SAMPLE 20 FROM g TYPES (brand [1,1], audience [1,2])
    ///               LABEL a COUNT 10 WHERE pos_frac IN [0, 0]
    ///               LABEL b COUNT 10 WHERE pos_frac IN [0.01, 1] WITH (distinct = false) INTO d;")?;
    /// let path = dir.path().join("it's here.jsonl");
    /// let options = ExportOptions {
    ///     split: Some(Split::new(&[("train", 0.8), ("test", 0.2)])),
    ///     fractions: true,
    ///     ..Default::default()
    /// };
    /// let report = db.export_dataset("d", &path, &options)?;
    /// assert_eq!(report.files.len(), 2);
    /// assert_eq!(report.files.iter().map(|f| f.rows).sum::<u64>(), 20);
    /// # Ok(())
    /// # }
    /// ```
    pub fn export_dataset(
        &self,
        dataset: &str,
        path: impl AsRef<Path>,
        options: &ExportOptions,
    ) -> Result<ExportReport> {
        Ok(self
            .engine()
            .export_dataset(&ObjRef::from(dataset), path.as_ref(), options)?)
    }

    /// `EXPORT GRAPH graph TO path [FORMAT f]` without statement text
    /// (`format: None` = from the extension).
    pub fn export_graph(
        &self,
        graph: &str,
        path: impl AsRef<Path>,
        format: Option<GraphFormat>,
    ) -> Result<GraphExport> {
        Ok(self
            .engine()
            .export_graph(&ObjRef::from(graph), path.as_ref(), format)?)
    }
}
