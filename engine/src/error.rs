//! The engine's one error type. Every variant carries the context a user needs
//! to fix the problem: the file and line, the object name, the bounds that
//! could not be met. `Display` is one line (the message); the advice on how to
//! fix it is [`Error::hint`]; [`Error::kind`] is a stable, matchable code; and
//! [`std::error::Error::source`] is the underlying I/O, storage (redb) or HTTP
//! (reqwest) error when there is one.

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
    /// The sampler could not fill a label.
    #[error("{message}")]
    Sample {
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
            Error::Invalid { .. } => ErrorKind::Invalid,
            Error::Sample { .. } => ErrorKind::Sample,
            Error::Llm { .. } => ErrorKind::Llm,
            Error::Http { .. } => ErrorKind::Http,
            Error::Locked { .. } => ErrorKind::Locked,
            Error::AlreadyOpen { .. } => ErrorKind::AlreadyOpen,
            Error::ReadOnly { .. } => ErrorKind::ReadOnly,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::NotImplemented(_) => ErrorKind::NotImplemented,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Storage { .. } => ErrorKind::Storage,
        }
    }

    /// How to fix it, when the engine knows.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Input { hint, .. }
            | Error::NotFound { hint, .. }
            | Error::Invalid { hint, .. }
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

    /// Adds (or replaces) the hint of an error that carries one.
    pub fn with_hint(mut self, h: impl Into<String>) -> Self {
        match &mut self {
            Error::Input { hint, .. }
            | Error::NotFound { hint, .. }
            | Error::Invalid { hint, .. }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn display_is_one_line_and_the_hint_is_apart() {
        let e = Error::invalid_hint("bad quota", "use [1,2]");
        assert_eq!(e.to_string(), "bad quota");
        assert_eq!(e.hint(), Some("use [1,2]"));
        assert_eq!(e.kind(), ErrorKind::Invalid);
        let l = Error::Locked {
            path: "x.vdb".into(),
        };
        assert!(!l.to_string().contains('\n'));
        assert!(l.hint().unwrap().contains("close the other"));
        assert_eq!(l.kind().code(), "locked");
    }

    #[test]
    fn cancelled_fits_every_statement_and_only_the_hint_mentions_the_journal() {
        let c = Error::Cancelled;
        assert_eq!(
            c.to_string(),
            "cancelled; nothing of this statement was stored"
        );
        assert!(!c.to_string().contains("LLM"));
        assert!(c.hint().unwrap().contains("GENERATE"));
        assert_eq!(c.kind(), ErrorKind::Cancelled);
    }

    #[test]
    fn storage_and_io_keep_their_source() {
        let io = std::io::Error::other("disk on fire");
        let e = Error::io("a.csv", io);
        let src = e.source().expect("io source");
        assert!(src.downcast_ref::<std::io::Error>().is_some());
        let e = Error::storage_source(std::io::Error::other("page torn"));
        assert_eq!(e.kind(), ErrorKind::Storage);
        assert_eq!(e.source().unwrap().to_string(), "page torn");
        assert!(Error::storage("plain").source().is_none());
    }
}
