//! The engine's one error type. Every variant carries the context a user needs
//! to fix the problem: the file and line, the object name, the bounds that
//! could not be met. `Display` is one line (the message); the advice on how to
//! fix it is [`Error::hint`]; [`Error::kind`] is the broad, matchable family;
//! [`Error::code`] the stable fine-grained code; [`Error::subject`] the part of
//! the request or input at fault (an option, a label, a modality, a file and
//! line, a stored object), so a caller places or handles the error without
//! reading its message; and [`std::error::Error::source`] is the underlying
//! I/O, storage (redb, rkyv, serde) or HTTP (reqwest) error when there is one.
//!
//! # Codes
//! Every code [`Error::code`] returns is snake_case and stable (never renamed
//! or reused): either a [`Code`] (a specific refusal, listed and documented
//! there) or, for an error without one, its [`ErrorKind::code`] (`"io"`,
//! `"not_found"`, `"invalid"`, ...).

use std::path::PathBuf;

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input file a problem was found (1-based line; 0 = whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLoc {
    pub path: PathBuf,
    pub line: u64,
}

impl std::fmt::Display for FileLoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = crate::limits::path(&self.path);
        if self.line == 0 {
            write!(f, "{p}")
        } else {
            write!(f, "{p}:{}", self.line)
        }
    }
}

/// What kind of failure an [`Error`] is: one stable code per variant, for
/// callers that branch on the failure (`match e.kind() { ErrorKind::Locked
/// => ..., _ => ... }`) without reading messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A malformed input file (catalogue, edge CSV, expectations...).
    Input,
    /// A file could not be read or written.
    Io,
    /// A named object or version does not exist.
    NotFound,
    /// A well-formed request that cannot be carried out.
    Invalid,
    /// The sampler could not fill a label.
    Sample,
    /// The LLM layer failed (budget, unusable endpoint, bad replies).
    Llm,
    /// The HTTP client failed (configuration, proxy, transport).
    Http,
    /// The database file is held by another process.
    Locked,
    /// The database file is already open in this process.
    AlreadyOpen,
    /// The database is open read-only and a statement tried to write.
    ReadOnly,
    /// The statement was cancelled.
    Cancelled,
    /// A feature this build does not implement.
    NotImplemented,
    /// A stored object does not match its checksum (CHECK DATABASE lists them).
    Corrupt,
    /// The storage layer (redb) or an on-disk snapshot failed.
    Storage,
}

impl ErrorKind {
    /// The stable code, e.g. `"not_found"` (also used in JSON output).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Input => "input",
            ErrorKind::Io => "io",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Sample => "sample",
            ErrorKind::Llm => "llm",
            ErrorKind::Http => "http",
            ErrorKind::Locked => "locked",
            ErrorKind::AlreadyOpen => "already_open",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::NotImplemented => "not_implemented",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Storage => "storage",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A specific, stable error code (see [`Error::code`]). The string of each is
/// its [`Code::as_str`]; the docs below are the one list of what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// `bad_option`: a `WITH` option's value is malformed or out of range.
    BadOption,
    /// `bad_clause`: a clause's value is out of range (e.g. `DIAGNOSE SAMPLES 0`).
    BadClause,
    /// `unknown_modality`: a modality that is not in the graph (or not in TYPES).
    UnknownModality,
    /// `duplicate_modality`: a modality given twice in TYPES.
    DuplicateModality,
    /// `bad_range`: a `[min, max]` range with min > max or outside its bounds.
    BadRange,
    /// `too_few_nodes`: TYPES asks for more nodes of a modality than the graph has.
    TooFewNodes,
    /// `duplicate_label`: two LABELs share a name.
    DuplicateLabel,
    /// `empty_box`: a label's pos_frac and neg_frac minimums sum to more than 1.
    EmptyBox,
    /// `count_mismatch`: the label COUNTs do not add up to the SAMPLE total.
    CountMismatch,
    /// `bad_pair`: a FAVOUR/AVOID pair names one modality twice.
    BadPair,
    /// `too_large`: the request exceeds a size or memory limit.
    TooLarge,
    /// `bad_format`: an unknown export format, or one the file name's
    /// extension contradicts (or does not tell).
    BadFormat,
    /// `bad_target`: an export path that cannot take the file (a directory,
    /// a symbolic-link loop, a non-regular file for SPLIT).
    BadTarget,
    /// `bad_split`: a SPLIT whose parts or fractions do not work.
    BadSplit,
    /// `label_no_room`: a label's box lies inside other labels' boxes (labels
    /// are disjoint), so no row can have it.
    LabelNoRoom,
    /// `label_unfillable`: the sampler could not bring rows into a label's box.
    LabelUnfillable,
    /// `label_not_distinct`: too few distinct node sets fit a label's box.
    LabelNotDistinct,
}

impl Code {
    /// Every code, for tests and documentation.
    pub const ALL: &'static [Code] = &[
        Code::BadOption,
        Code::BadClause,
        Code::UnknownModality,
        Code::DuplicateModality,
        Code::BadRange,
        Code::TooFewNodes,
        Code::DuplicateLabel,
        Code::EmptyBox,
        Code::CountMismatch,
        Code::BadPair,
        Code::TooLarge,
        Code::BadFormat,
        Code::BadTarget,
        Code::BadSplit,
        Code::LabelNoRoom,
        Code::LabelUnfillable,
        Code::LabelNotDistinct,
    ];

    /// The stable snake_case string, e.g. `"unknown_modality"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadOption => "bad_option",
            Code::BadClause => "bad_clause",
            Code::UnknownModality => "unknown_modality",
            Code::DuplicateModality => "duplicate_modality",
            Code::BadRange => "bad_range",
            Code::TooFewNodes => "too_few_nodes",
            Code::DuplicateLabel => "duplicate_label",
            Code::EmptyBox => "empty_box",
            Code::CountMismatch => "count_mismatch",
            Code::BadPair => "bad_pair",
            Code::TooLarge => "too_large",
            Code::BadFormat => "bad_format",
            Code::BadTarget => "bad_target",
            Code::BadSplit => "bad_split",
            Code::LabelNoRoom => "label_no_room",
            Code::LabelUnfillable => "label_unfillable",
            Code::LabelNotDistinct => "label_not_distinct",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A clause of a statement (other than `WITH` options) an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Clause {
    /// `DIAGNOSE ... SAMPLES n`.
    Samples,
    /// `DIAGNOSE ... SEED s`.
    Seed,
}

/// What an error is about: the part of the request or input at fault
/// ([`Error::subject`]). The DSL turns it into the caret's place; an
/// embedder can act on it without reading the message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subject {
    /// A `WITH (...)` option, by name.
    Option(String),
    /// A clause of the statement.
    Clause(Clause),
    /// A LABEL of SAMPLE, by name.
    Label(String),
    /// A modality (of TYPES, FAVOUR/AVOID or the graph), by name.
    Modality(String),
    /// An input or output file, and the line at fault (0 = the whole file).
    File(FileLoc),
    /// A stored object: kind (`"graph"`...), name, and version when known.
    Object {
        kind: &'static str,
        name: String,
        version: Option<u32>,
    },
    /// The database file itself (locked, already open, read-only).
    Database(PathBuf),
}

impl Subject {
    /// A file as a whole (line 0).
    pub fn file(path: impl Into<PathBuf>) -> Subject {
        Subject::File(FileLoc {
            path: path.into(),
            line: 0,
        })
    }

    /// A stored object from a name that may end in `@N`.
    fn object(kind: &'static str, name: &str) -> Subject {
        let (name, version) = match name.rsplit_once('@') {
            Some((n, v)) if v.parse::<u32>().is_ok() => (n, v.parse().ok()),
            _ => (name, None),
        };
        Subject::Object {
            kind,
            name: name.to_string(),
            version,
        }
    }
}

/// A boxed underlying error (redb, rkyv, serde_json...).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

const LOCKED_HINT: &str = "close the other valence session, or open another file";
const CANCELLED_HINT: &str = "re-run the statement; a cancelled GENERATE keeps the LLM answers it journaled and resumes from them";
const CORRUPT_HINT: &str = "restore the file from a backup, or DROP the object version and create it \
     again; CHECK DATABASE lists every damaged object";
const ALREADY_OPEN_HINT: &str =
    "reuse the handle you have (valence::Database::open shares it), or drop it first";

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input file (catalogue, edge CSV, expectations...) is malformed.
    #[error("{loc}: {message}")]
    Input {
        loc: FileLoc,
        message: String,
        hint: Option<String>,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", crate::limits::path(.path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A named object (catalogue, graph, dataset) or version does not exist.
    #[error("{kind} {} not found", crate::limits::quote(.name))]
    NotFound {
        kind: &'static str,
        name: String,
        hint: Option<String>,
    },
    /// A request that is well-formed but cannot be carried out (bad quota,
    /// impossible box, unknown modality, ...).
    #[error("{message}")]
    Invalid {
        message: String,
        hint: Option<String>,
    },
    /// A well-formed request refused because of one part of it (an option,
    /// a label, a modality, a clause): `code` says what is wrong, `subject`
    /// which part. Its [`ErrorKind`] is `Invalid`.
    #[error("{message}")]
    Rejected {
        code: Code,
        /// Boxed: keeps `Error` small (it travels in every `Result`).
        subject: Option<Box<Subject>>,
        message: String,
        hint: Option<String>,
    },
    /// The sampler could not fill a label (`code`: why).
    #[error("{message}")]
    Sample {
        code: Code,
        label: String,
        message: String,
        hint: Option<String>,
    },
    /// The LLM layer failed (budget exhausted, endpoint unusable, ...).
    #[error("{message}")]
    Llm {
        message: String,
        hint: Option<String>,
    },
    /// The HTTP client failed; `source` is reqwest's error.
    #[error("{message}")]
    Http {
        message: String,
        hint: Option<String>,
        #[source]
        source: reqwest::Error,
    },
    /// The database file is held by another process.
    #[error("database is locked: {} is open in another process", crate::limits::path(.path))]
    Locked { path: PathBuf },
    /// The database file is already open in this process (redb allows one
    /// handle per file).
    #[error("database {} is already open in this process", .path.display())]
    AlreadyOpen { path: PathBuf },
    /// A write was attempted on a database opened read-only: asked for
    /// (`-readonly`, `open_read_only`) or because the file or its mount is
    /// not writable (`forced`).
    #[error("the database {} is open read-only", crate::limits::path(.path))]
    ReadOnly { path: PathBuf, forced: bool },
    /// A statement was cancelled (Ctrl-C); nothing was written.
    #[error("cancelled; nothing of this statement was stored")]
    Cancelled,
    /// A statement was cancelled while it waited for work that keeps
    /// running elsewhere (a provider's batch): nothing of it was stored,
    /// and `hint` says how a re-run picks the work up. Kind
    /// [`ErrorKind::Cancelled`], like [`Error::Cancelled`].
    #[error("{message}")]
    CancelledWaiting { message: String, hint: String },
    /// Not implemented yet (named statement or feature).
    #[error("{0} is not implemented yet")]
    NotImplemented(String),
    /// A stored object does not match the checksum written with it.
    #[error(
        "{kind} {}@{version} is corrupted: {detail}",
        crate::limits::excerpt(.name)
    )]
    Corrupt {
        kind: &'static str,
        name: String,
        version: u32,
        detail: String,
    },
    /// The storage layer (redb) or an on-disk snapshot failed; `source` is
    /// the underlying error when there is one.
    #[error("storage error: {message}")]
    Storage {
        message: String,
        hint: Option<String>,
        #[source]
        source: Option<BoxError>,
    },
}

impl Error {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Input { .. } => ErrorKind::Input,
            Error::Io { .. } => ErrorKind::Io,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Invalid { .. } | Error::Rejected { .. } => ErrorKind::Invalid,
            Error::Sample { .. } => ErrorKind::Sample,
            Error::Llm { .. } => ErrorKind::Llm,
            Error::Http { .. } => ErrorKind::Http,
            Error::Locked { .. } => ErrorKind::Locked,
            Error::AlreadyOpen { .. } => ErrorKind::AlreadyOpen,
            Error::ReadOnly { .. } => ErrorKind::ReadOnly,
            Error::Cancelled | Error::CancelledWaiting { .. } => ErrorKind::Cancelled,
            Error::NotImplemented(_) => ErrorKind::NotImplemented,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Storage { .. } => ErrorKind::Storage,
        }
    }

    /// The stable code: the [`Code`] of a specific refusal, else the
    /// [`ErrorKind::code`] (see the module docs).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Rejected { code, .. } | Error::Sample { code, .. } => code.as_str(),
            _ => self.kind().code(),
        }
    }

    /// What the error is about (the option, label, modality, file and line,
    /// stored object...), when one part of the request or input is at fault.
    pub fn subject(&self) -> Option<Subject> {
        match self {
            Error::Input { loc, .. } => Some(Subject::File(loc.clone())),
            Error::Io { path, .. } => Some(Subject::file(path.clone())),
            Error::NotFound { kind, name, .. } => Some(Subject::object(kind, name)),
            Error::Rejected { subject, .. } => subject.as_deref().cloned(),
            Error::Sample { label, .. } => Some(Subject::Label(label.clone())),
            Error::Locked { path } | Error::AlreadyOpen { path } | Error::ReadOnly { path, .. } => {
                Some(Subject::Database(path.clone()))
            }
            Error::Corrupt {
                kind,
                name,
                version,
                ..
            } => Some(Subject::Object {
                kind,
                name: name.clone(),
                version: Some(*version),
            }),
            Error::Invalid { .. }
            | Error::Llm { .. }
            | Error::Http { .. }
            | Error::Cancelled
            | Error::CancelledWaiting { .. }
            | Error::NotImplemented(_)
            | Error::Storage { .. } => None,
        }
    }

    /// How to fix it, when the engine knows.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Input { hint, .. }
            | Error::NotFound { hint, .. }
            | Error::Invalid { hint, .. }
            | Error::Rejected { hint, .. }
            | Error::Sample { hint, .. }
            | Error::Llm { hint, .. }
            | Error::Http { hint, .. }
            | Error::Storage { hint, .. } => hint.as_deref(),
            Error::Locked { .. } => Some(LOCKED_HINT),
            Error::AlreadyOpen { .. } => Some(ALREADY_OPEN_HINT),
            Error::ReadOnly { forced: false, .. } => Some(
                "it was opened read-only (-readonly or open_read_only); open it without -readonly to change it",
            ),
            Error::ReadOnly { forced: true, .. } => Some(
                "the file or its mount is read-only; copy the file to a writable location (or fix its permissions) to change it",
            ),
            Error::Corrupt { .. } => Some(CORRUPT_HINT),
            Error::Cancelled => Some(CANCELLED_HINT),
            Error::CancelledWaiting { hint, .. } => Some(hint),
            _ => None,
        }
    }

    /// For a cancellation that left work running elsewhere
    /// ([`Error::CancelledWaiting`]): what keeps running, and how a re-run
    /// picks it up.
    pub fn left_running(&self) -> Option<(&str, &str)> {
        match self {
            Error::CancelledWaiting { message, hint } => Some((message, hint)),
            _ => None,
        }
    }

    /// An `Invalid` error without a hint.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            hint: None,
        }
    }

    /// An `Invalid` error with a hint on how to fix it.
    pub fn invalid_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// An `Input` error at a file and line.
    pub fn input(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        Error::Input {
            loc: FileLoc {
                path: path.into(),
                line,
            },
            message: message.into(),
            hint: None,
        }
    }

    /// A request refused because of `subject`, with its code and a hint.
    pub fn rejected(
        code: Code,
        subject: impl Into<Option<Subject>>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Error::Rejected {
            code,
            subject: subject.into().map(Box::new),
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A refused `WITH` option (`bad_option`).
    pub fn bad_option(
        option: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Error::rejected(
            Code::BadOption,
            Subject::Option(option.into()),
            message,
            hint,
        )
    }

    /// Adds (or replaces) the hint of an error that carries one.
    pub fn with_hint(mut self, h: impl Into<String>) -> Self {
        match &mut self {
            Error::Input { hint, .. }
            | Error::NotFound { hint, .. }
            | Error::Invalid { hint, .. }
            | Error::Rejected { hint, .. }
            | Error::Sample { hint, .. }
            | Error::Llm { hint, .. }
            | Error::Http { hint, .. }
            | Error::Storage { hint, .. } => *hint = Some(h.into()),
            _ => {}
        }
        self
    }

    pub fn llm(message: impl Into<String>) -> Self {
        Error::Llm {
            message: message.into(),
            hint: None,
        }
    }

    /// A storage error described by a message only.
    pub fn storage(e: impl std::fmt::Display) -> Self {
        Error::Storage {
            message: e.to_string(),
            hint: None,
            source: None,
        }
    }

    /// A storage error that keeps its underlying error as `source()`.
    pub fn storage_source(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Storage {
            message: e.to_string(),
            hint: None,
            source: Some(Box::new(e)),
        }
    }

    /// A storage error with context, keeping the underlying error.
    pub fn storage_context(
        context: impl std::fmt::Display,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Storage {
            message: format!("{context}: {e}"),
            hint: None,
            source: Some(Box::new(e)),
        }
    }

    /// An HTTP client error, keeping reqwest's error as `source()`.
    pub fn http(context: impl std::fmt::Display, e: reqwest::Error) -> Self {
        Error::Http {
            message: format!("{context}: {e}"),
            hint: None,
            source: e,
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// A GENERATE option out of range becomes a `bad_option` error about that
/// option (other errors pass through).
impl From<crate::generate::OptionError> for Error {
    fn from(e: crate::generate::OptionError) -> Error {
        match e.error {
            Error::Invalid { message, hint } => Error::Rejected {
                code: Code::BadOption,
                subject: Some(Box::new(Subject::Option(e.option.to_string()))),
                message,
                hint,
            },
            other => other,
        }
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
