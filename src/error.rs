//! The embedded API's error: one type for statements and typed calls.
//!
//! * [`Error::kind`] is a stable [`ErrorKind`] to `match` on;
//! * [`Error::code`] is the stable fine-grained code (`"unknown_modality"`,
//!   `"bad_option"`, `"not_found"`, ...: the engine's codes, listed on
//!   [`valence_engine::Code`], plus `"syntax"` and `"statement"`), and
//!   [`Error::subject`] what the error is about (an option, label, modality,
//!   file and line, stored object);
//! * `Display` is one line (the message, and `(at line:col)` for a
//!   statement); [`Error::hint`] is how to fix it, [`Error::render`] the
//!   caret rendering the shell prints;
//! * [`std::error::Error::source`] is the underlying I/O error
//!   ([`std::io::Error`]), storage error (redb's) or HTTP error
//!   (`reqwest::Error`) when there is one.

use valence_dsl::DslError;
pub use valence_engine::{Clause, Code, Subject};

/// Result alias of the embedded API.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is. Stable: new kinds may be added
/// (`#[non_exhaustive]`), existing ones keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The statement text does not follow the grammar.
    Syntax,
    /// The statement parses but asks for something invalid (unknown
    /// option, bad range, wrong parameter count...).
    Statement,
    /// A malformed input file (catalogue, edge CSV, expectations...).
    Input,
    /// A file could not be read or written.
    Io,
    /// A named object or version does not exist.
    NotFound,
    /// A well-formed request the engine cannot carry out.
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
    /// The storage layer (redb) or an on-disk snapshot failed.
    Storage,
}

impl From<valence_engine::ErrorKind> for ErrorKind {
    fn from(k: valence_engine::ErrorKind) -> ErrorKind {
        use valence_engine::ErrorKind as E;
        match k {
            E::Input => ErrorKind::Input,
            E::Io => ErrorKind::Io,
            E::NotFound => ErrorKind::NotFound,
            E::Invalid => ErrorKind::Invalid,
            E::Sample => ErrorKind::Sample,
            E::Llm => ErrorKind::Llm,
            E::Http => ErrorKind::Http,
            E::Locked => ErrorKind::Locked,
            E::AlreadyOpen => ErrorKind::AlreadyOpen,
            E::ReadOnly => ErrorKind::ReadOnly,
            E::Cancelled => ErrorKind::Cancelled,
            E::NotImplemented => ErrorKind::NotImplemented,
            E::Storage => ErrorKind::Storage,
            _ => ErrorKind::Invalid,
        }
    }
}

/// Errors of the embedded API: a statement failed (with its location), or a
/// typed engine call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    Query(DslError),
    Engine(valence_engine::Error),
}

impl Error {
    /// The stable kind of this error.
    ///
    /// ```
    /// use valence::{Database, ErrorKind};
    /// let db = Database::in_memory()?;
    /// let e = db.execute("DESCRIBE GRAPH nope;").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// assert_eq!(e.to_string(), "graph 'nope' not found (at 1:16)");
    /// assert_eq!(e.position(), Some((1, 16)));
    /// let e = db.execute("DIAGNOZE g TYPES (brand [1,1]);").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Syntax);
    /// assert!(e.to_string().contains("did you mean DIAGNOSE?"));
    /// # Ok::<(), valence::Error>(())
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Engine(e) => e.kind().into(),
            Error::Query(q) => match (q.engine_error(), q.kind) {
                (Some(e), _) => e.kind().into(),
                (None, valence_dsl::ErrorKind::Parse) => ErrorKind::Syntax,
                (None, _) => ErrorKind::Statement,
            },
        }
    }

    /// The stable code to `match` on: an engine error's
    /// [`valence_engine::Error::code`], else `"syntax"` (the statement does
    /// not parse) or `"statement"` (it parses but asks for something invalid).
    ///
    /// ```
    /// use valence::Database;
    /// let db = Database::in_memory()?;
    /// let e = db.execute("DESCRIBE GRAPH nope;").unwrap_err();
    /// assert_eq!(e.code(), "not_found");
    /// let e = db.execute("DIAGNOZE g TYPES (brand [1,1]);").unwrap_err();
    /// assert_eq!(e.code(), "syntax");
    /// # Ok::<(), valence::Error>(())
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::Engine(e) => e.code(),
            Error::Query(q) => q.code(),
        }
    }

    /// What an engine error is about (the option, label, modality, file and
    /// line, or stored object at fault), when one part is.
    pub fn subject(&self) -> Option<Subject> {
        self.engine_error()?.subject()
    }

    /// How to fix it, when known.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Engine(e) => e.hint(),
            Error::Query(q) => q.hint_text(),
        }
    }

    /// The engine error underneath, if the engine raised it.
    pub fn engine_error(&self) -> Option<&valence_engine::Error> {
        match self {
            Error::Engine(e) => Some(e),
            Error::Query(q) => q.engine_error(),
        }
    }

    /// `(line, column)` in the script of the statement, option or clause at
    /// fault (1-based), for an error raised by a statement.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Error::Query(q) => q.span.map(|s| (s.line, s.col)),
            Error::Engine(_) => None,
        }
    }

    /// The error as the shell prints it: message, `origin:line:col`, the
    /// script line with a caret under the fault, and the hint.
    pub fn render(&self, script: &str, origin: &str) -> String {
        match self {
            Error::Query(q) => q.render(script, origin),
            Error::Engine(e) => match e.hint() {
                Some(h) => format!("error: {e}\n  = hint: {h}"),
                None => format!("error: {e}"),
            },
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Query(e) => write!(f, "{e}"),
            Error::Engine(e) => write!(f, "{e}"),
        }
    }
}

/// `source()` skips the wrappers: it is the I/O, storage or HTTP error
/// itself (use [`Error::engine_error`] for the engine's error).
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(self.engine_error()?)
    }
}

impl From<DslError> for Error {
    fn from(e: DslError) -> Self {
        Error::Query(e)
    }
}

impl From<valence_engine::Error> for Error {
    fn from(e: valence_engine::Error) -> Self {
        Error::Engine(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;
    use std::error::Error as _;

    const SMALL: &str = "LOAD CATALOGUE small FROM 'fixtures/small/catalogue.csv';
        IMPORT GRAPH ref FROM 'fixtures/small/edges.csv' CATALOGUE small;";

    #[test]
    fn statement_errors_expose_code_subject_and_place() {
        let db = Database::in_memory().unwrap();
        db.execute(SMALL).unwrap();
        let stmt = "SAMPLE 10 FROM ref TYPES (brand [1,1], channel [1,1]) WHERE pos_frac IN [0, 1] INTO d;";
        let e = db.execute(stmt).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert_eq!(e.code(), "unknown_modality");
        assert_eq!(e.subject(), Some(Subject::Modality("channel".into())));
        let col = stmt.find("channel").unwrap() + 1;
        assert_eq!(e.position(), Some((1, col)));
        let e = db
            .execute("SAMPLE 4 FROM ref TYPES (brand [1,1], geo [1,1]) LABEL a COUNT 4 WHERE pos_frac IN [0.5, 1] AND neg_frac IN [0.6, 1] INTO d;")
            .unwrap_err();
        assert_eq!(
            (e.code(), e.subject()),
            ("empty_box", Some(Subject::Label("a".into())))
        );
        let e = db
            .execute("DIAGNOSE ref TYPES (brand [1,1]) SAMPLES 0;")
            .unwrap_err();
        assert_eq!(
            (e.code(), e.subject()),
            ("bad_clause", Some(Subject::Clause(Clause::Samples)))
        );
        let e = db.execute("SHOW TABLEZ;").unwrap_err();
        assert_eq!((e.code(), e.subject()), ("syntax", None));
    }

    #[test]
    fn source_is_the_underlying_error_for_every_wrapper() {
        let db = Database::in_memory().unwrap();
        // A statement error (Query) over an engine I/O error.
        let e = db
            .execute("LOAD CATALOGUE c FROM 'no/such/file.csv';")
            .unwrap_err();
        assert!(matches!(e, Error::Query(_)));
        assert_eq!(e.code(), "io");
        assert!(matches!(e.subject(), Some(Subject::File(_))), "{e:?}");
        let src = e.source().expect("the I/O error");
        assert!(src.downcast_ref::<std::io::Error>().is_some(), "{src}");
        // A typed call's error (Engine) over a decoder error.
        let bad = valence_engine::SignedGraph::from_snapshot(b"junk").unwrap_err();
        let e = Error::from(bad);
        assert_eq!(e.code(), "storage");
        assert!(e.source().is_some());
        // No underlying error: no source.
        let e = db.execute("DESCRIBE GRAPH nope;").unwrap_err();
        assert!(e.source().is_none());
        assert_eq!(e.code(), "not_found");
        assert!(
            matches!(e.subject(), Some(Subject::Object { name, version: None, .. }) if name == "nope")
        );
    }
}
