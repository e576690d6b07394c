//! The engine's one error type. Every variant carries the context a user needs
//! to fix the problem: the file and line, the object name, the bounds that
//! could not be met.

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

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input file (catalogue, edge CSV, expectations...) is malformed.
    #[error("{loc}: {message}{}", hint_suffix(.hint))]
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
    #[error("{kind} {} not found{}", crate::limits::quote(.name), hint_suffix(.hint))]
    NotFound {
        kind: &'static str,
        name: String,
        hint: Option<String>,
    },
    /// A request that is well-formed but cannot be carried out (bad quota,
    /// impossible box, unknown modality, ...).
    #[error("{message}{}", hint_suffix(.hint))]
    Invalid {
        message: String,
        hint: Option<String>,
    },
    /// The sampler could not fill a label.
    #[error("{message}{}", hint_suffix(.hint))]
    Sample {
        message: String,
        hint: Option<String>,
    },
    /// The LLM layer failed (budget exhausted, endpoint unusable, ...).
    #[error("{message}{}", hint_suffix(.hint))]
    Llm {
        message: String,
        hint: Option<String>,
    },
    /// The database file is held by another process.
    #[error("database is locked: {} is open in another process{}", crate::limits::path(.path), hint_suffix(&Some("close the other valence session, or open another file".to_string())))]
    Locked { path: PathBuf },
    /// A statement was cancelled (Ctrl-C); nothing was written.
    #[error(
        "cancelled; no new version was written (LLM answers already journaled are kept: re-run to resume)"
    )]
    Cancelled,
    /// Not implemented yet (named statement or feature).
    #[error("{0} is not implemented yet")]
    NotImplemented(String),
    /// A stored object does not match the checksum written with it.
    #[error(
        "{kind} {}@{version} is corrupted: {detail}\n  hint: restore the file from a backup, or DROP {} {}@{version} and create it again; CHECK DATABASE lists every damaged object",
        crate::limits::excerpt(.name), .kind.to_uppercase(), crate::limits::excerpt(.name)
    )]
    Corrupt {
        kind: &'static str,
        name: String,
        version: u32,
        detail: String,
    },
    /// The storage layer (redb) or an on-disk snapshot failed.
    #[error("storage error: {0}")]
    Storage(String),
}

fn hint_suffix(hint: &Option<String>) -> String {
    match hint {
        Some(h) => format!("\n  hint: {h}"),
        None => String::new(),
    }
}

impl Error {
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
            | Error::Llm { hint, .. } => *hint = Some(h.into()),
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

    pub fn storage(e: impl std::fmt::Display) -> Self {
        Error::Storage(e.to_string())
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
