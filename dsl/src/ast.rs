//! The abstract syntax tree. Every node that a user could get wrong carries a
//! [`Span`] so errors can point at it with a caret.

use valence_engine::{Kind, ObjRef};

/// A byte range of the source with its 1-based line and column (of `start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
}

/// A value with the place it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

/// A parsed statement with its source text and span.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    /// The statement's own text (without the `;`), stored in manifests.
    pub text: String,
    pub span: Span,
}

/// A reference to a stored object, `name` or `name@N`.
pub type Ref = Spanned<ObjRef>;

/// A literal in a `WITH (...)` list.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// A bare word, e.g. `backend = oracle`.
    Ident(String),
}

/// `key = value` in a `WITH (...)` list.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionKv {
    pub key: Spanned<String>,
    pub value: Spanned<Literal>,
}

/// `SPLIT (train 0.8, test 0.2) [SEED n]` on `EXPORT DATASET`.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitClause {
    pub parts: Vec<SplitPart>,
    pub seed: Option<Spanned<u64>>,
    pub span: Span,
}

/// One `name fraction` of a SPLIT clause.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitPart {
    pub name: Spanned<String>,
    pub fraction: Spanned<f64>,
}

/// `modality [min, max]` in `TYPES (...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeRange {
    pub modality: Spanned<String>,
    pub min: u32,
    pub max: u32,
    pub span: Span,
}

/// Which edge fraction a `WHERE` condition bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FracMetric {
    Pos,
    Neg,
}

/// `pos_frac IN [lo, hi]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub metric: FracMetric,
    pub lo: f64,
    pub hi: f64,
    pub span: Span,
}

/// `LABEL name COUNT n WHERE ...` (or the short form's single `default` label).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelClause {
    pub name: Spanned<String>,
    pub count: u64,
    pub conditions: Vec<Condition>,
    pub span: Span,
}

/// A `(modality, modality)` pair of `FAVOUR` / `AVOID`.
pub type ModalityPair = Spanned<(String, String)>;

/// Graph generation strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    BruteForce,
    Cluster,
}

/// `GENERATE GRAPH name FROM catalogue USING strategy WITH (...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Generate {
    pub name: Spanned<String>,
    pub catalogue: Ref,
    pub strategy: Spanned<Strategy>,
    pub options: Vec<OptionKv>,
}

/// `SAMPLE n FROM g TYPES (...) LABEL ... [FAVOUR ...] [AVOID ...] [WITH (...)] INTO ds`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub total: Spanned<u64>,
    pub graph: Ref,
    pub types: Vec<TypeRange>,
    pub labels: Vec<LabelClause>,
    /// True for the short form (`WHERE` without `LABEL`).
    pub short_form: bool,
    pub favour: Vec<ModalityPair>,
    pub avoid: Vec<ModalityPair>,
    pub options: Vec<OptionKv>,
    pub into: Spanned<String>,
}

/// `DIAGNOSE g TYPES (...) [SAMPLES n] [SEED s] [WITH (...)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnose {
    pub graph: Ref,
    pub types: Vec<TypeRange>,
    pub samples: Option<Spanned<u64>>,
    pub seed: Option<Spanned<u64>>,
    pub options: Vec<OptionKv>,
}

/// The filters of `SHOW LEADERBOARD` / `SHOW EVALUATIONS`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Board {
    /// `FOR dataset[@N]`.
    pub dataset: Option<Ref>,
    /// `BY metric`.
    pub metric: Option<Spanned<String>>,
    /// `ASC` (lowest first); default `DESC`.
    pub ascending: bool,
    /// `WHERE TAG key = 'value'`.
    pub tag: Option<(Spanned<String>, Spanned<String>)>,
    /// `LIMIT n`.
    pub limit: Option<u64>,
}

/// Every statement of the language.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    LoadCatalogue {
        name: Spanned<String>,
        path: Spanned<String>,
    },
    ImportGraph {
        name: Spanned<String>,
        path: Spanned<String>,
        catalogue: Option<Ref>,
    },
    ExportGraph {
        graph: Ref,
        path: Spanned<String>,
        format: Option<Spanned<String>>,
    },
    ExportDataset {
        dataset: Ref,
        path: Spanned<String>,
        format: Option<Spanned<String>>,
        split: Option<SplitClause>,
        options: Vec<OptionKv>,
    },
    Generate(Generate),
    ExplainGenerate(Generate),
    CompareGraph {
        a: Ref,
        b: Ref,
        detail: bool,
    },
    CheckGraph {
        graph: Ref,
        path: Spanned<String>,
    },
    /// `CHECK DATABASE`: verify every stored checksum and payload.
    CheckDatabase,
    Diagnose(Diagnose),
    Sample(Sample),
    Show(Kind),
    ShowVersions {
        kind: Kind,
        name: Spanned<String>,
    },
    Describe {
        kind: Kind,
        target: Ref,
    },
    Drop {
        kind: Kind,
        target: Ref,
        if_exists: bool,
    },
    /// `SELECT ... FROM table_fn(obj)`: read-only.
    Select(Box<crate::exec::select::ast::Select>),
    /// `IMPORT EVALUATIONS FROM 'runs.jsonl'`.
    ImportEvaluations {
        path: Spanned<String>,
    },
    /// `SHOW LEADERBOARD ...`: ranked runs.
    ShowLeaderboard(Board),
    /// `SHOW EVALUATIONS ...`: the runs, newest first.
    ShowEvaluations(Board),
    /// `EVALUATE BASELINE ON ds[@N] [SPLIT (train f, test f) [SEED s]]`.
    EvaluateBaseline {
        dataset: Ref,
        split: Option<SplitClause>,
    },
    /// `DROP EVALUATION [IF EXISTS] run_id`.
    DropEvaluation {
        run_id: Spanned<String>,
        if_exists: bool,
    },
}

impl StatementKind {
    /// Whether running the statement changes the database or writes a file:
    /// LOAD, IMPORT, GENERATE, SAMPLE, DROP and EXPORT. The others (SHOW,
    /// DESCRIBE, DIAGNOSE, EXPLAIN, COMPARE, CHECK, SELECT) only read.
    pub fn writes(&self) -> bool {
        match self {
            StatementKind::LoadCatalogue { .. }
            | StatementKind::ImportGraph { .. }
            | StatementKind::ExportGraph { .. }
            | StatementKind::ExportDataset { .. }
            | StatementKind::Generate(_)
            | StatementKind::Sample(_)
            | StatementKind::Drop { .. }
            | StatementKind::ImportEvaluations { .. }
            | StatementKind::DropEvaluation { .. }
            | StatementKind::EvaluateBaseline { .. } => true,
            StatementKind::ExplainGenerate(_)
            | StatementKind::CompareGraph { .. }
            | StatementKind::CheckGraph { .. }
            | StatementKind::CheckDatabase
            | StatementKind::Diagnose(_)
            | StatementKind::Show(_)
            | StatementKind::ShowVersions { .. }
            | StatementKind::Describe { .. }
            | StatementKind::Select(_)
            | StatementKind::ShowLeaderboard(_)
            | StatementKind::ShowEvaluations(_) => false,
        }
    }

    /// The statement's name as users write it, e.g. `IMPORT GRAPH`.
    pub fn title(&self) -> &'static str {
        match self {
            StatementKind::LoadCatalogue { .. } => "LOAD CATALOGUE",
            StatementKind::ImportGraph { .. } => "IMPORT GRAPH",
            StatementKind::ExportGraph { .. } => "EXPORT GRAPH",
            StatementKind::ExportDataset { .. } => "EXPORT DATASET",
            StatementKind::Generate(_) => "GENERATE GRAPH",
            StatementKind::ExplainGenerate(_) => "EXPLAIN GENERATE GRAPH",
            StatementKind::CompareGraph { .. } => "COMPARE GRAPH",
            StatementKind::CheckGraph { .. } => "CHECK GRAPH",
            StatementKind::CheckDatabase => "CHECK DATABASE",
            StatementKind::Diagnose(_) => "DIAGNOSE",
            StatementKind::Sample(_) => "SAMPLE",
            StatementKind::Show(_) => "SHOW",
            StatementKind::ShowVersions { .. } => "SHOW VERSIONS",
            StatementKind::Describe { .. } => "DESCRIBE",
            StatementKind::Drop { .. } => "DROP",
            StatementKind::Select(_) => "SELECT",
            StatementKind::ImportEvaluations { .. } => "IMPORT EVALUATIONS",
            StatementKind::ShowLeaderboard(_) => "SHOW LEADERBOARD",
            StatementKind::ShowEvaluations(_) => "SHOW EVALUATIONS",
            StatementKind::DropEvaluation { .. } => "DROP EVALUATION",
            StatementKind::EvaluateBaseline { .. } => "EVALUATE BASELINE",
        }
    }
}
