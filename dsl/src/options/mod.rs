//! `WITH (...)` options: one table per statement, the one definition of
//! every option.
//!
//! An entry ([`OptionDef`]) holds the option's name, its type and range
//! ([`Kind`], [`Range`]), a one-line doc, and a getter and a setter on the
//! engine's options struct (`GenerateOptions`, `ClusterOptions`,
//! `SampleOptions`, `ExportOptions`). The default shown anywhere is the
//! getter applied to that struct's `Default`, so it is the default that takes
//! effect. The tables drive:
//!
//! - validation: unknown names (with a "did you mean"), duplicates, the type
//!   and the range, each error with a caret at the option, and the setters
//!   writing the checked values (`exec/opts.rs`: `Given`);
//! - `.help GENERATE` / `SAMPLE` / `EXPORT` / `DIAGNOSE` ([`help`]);
//! - Tab completion of option names inside `WITH (` ([`WithStatement`]);
//! - README.md's option tables, checked by a test ([`markdown`]).
//!
//! Adding an option: add the field to the engine struct (with its default),
//! then one entry in the table here.

mod export;
mod generate;
#[cfg(test)]
mod readme_tests;
pub(crate) mod render;
mod sample;
#[cfg(test)]
mod tests;

pub use export::EXPORT_DATASET;
pub use generate::{CLUSTER, GENERATE};
pub use render::{help, help_topics, markdown};
pub use sample::{DIAGNOSE, SAMPLE};

/// The type of an option's value (and, for whole numbers, its bounds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A whole number from `min` to `max` (inclusive).
    Whole { min: u64, max: u64 },
    /// A number (an integer literal is accepted); see [`Range`].
    Number(Range),
    /// `true` or `false` (`1` and `0` are accepted).
    Bool,
    /// A quoted string or a bare word.
    Text,
    /// One of these words, case-insensitive, each with a short doc.
    Choice(&'static [(&'static str, &'static str)]),
}

/// The accepted range of a [`Kind::Number`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// Any number.
    Any,
    /// Checked here, before the engine runs: a number in `[lo, hi]`.
    Within(f64, f64),
    /// Checked by the engine's own validation of its options struct (the
    /// error names the option; the DSL puts the caret on its value). `lo`
    /// is excluded when `open`; `hi` may be infinite. A test holds the
    /// engine to these bounds.
    Engine { lo: f64, hi: f64, open: bool },
}

/// A typed option value.
#[derive(Debug, Clone, PartialEq)]
pub enum OptValue {
    Whole(u64),
    Number(f64),
    Bool(bool),
    Text(String),
    /// Not set (an optional field left at `None`).
    Unset,
}

impl OptValue {
    pub fn whole(&self) -> u64 {
        match self {
            OptValue::Whole(n) => *n,
            _ => 0,
        }
    }

    pub fn number(&self) -> f64 {
        match self {
            OptValue::Number(x) => *x,
            OptValue::Whole(n) => *n as f64,
            _ => 0.0,
        }
    }

    pub fn bool(&self) -> bool {
        matches!(self, OptValue::Bool(true))
    }

    pub fn text(&self) -> String {
        match self {
            OptValue::Text(s) => s.clone(),
            _ => String::new(),
        }
    }

    /// `Unset` for `None`.
    pub fn from_text(s: Option<&str>) -> OptValue {
        s.map_or(OptValue::Unset, |s| OptValue::Text(s.to_string()))
    }
}

/// One option of one statement.
pub struct OptionDef<T: 'static> {
    pub name: &'static str,
    pub kind: Kind,
    /// One line, no trailing period.
    pub doc: &'static str,
    /// Reads the option from the engine's struct (the default is `get`
    /// applied to `T::default()`).
    pub get: fn(&T) -> OptValue,
    /// Writes a value that passed [`Kind`]'s check into the struct.
    pub set: fn(&mut T, OptValue),
}

/// Statements that take `WITH (...)`, each with its option tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithStatement {
    GenerateBruteForce,
    GenerateCluster,
    Diagnose,
    Sample,
    ExportDataset,
}

/// An option as documentation: what `.help`, completion and the README show.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionDoc {
    pub name: &'static str,
    pub kind: Kind,
    pub default: OptValue,
    pub doc: &'static str,
}

fn docs<T: Default>(table: &[OptionDef<T>]) -> impl Iterator<Item = OptionDoc> + '_ {
    let d = T::default();
    table
        .iter()
        .map(move |o| OptionDoc {
            name: o.name,
            kind: o.kind,
            default: (o.get)(&d),
            doc: o.doc,
        })
        .collect::<Vec<_>>()
        .into_iter()
}

impl WithStatement {
    pub const ALL: [WithStatement; 5] = [
        WithStatement::GenerateBruteForce,
        WithStatement::GenerateCluster,
        WithStatement::Diagnose,
        WithStatement::Sample,
        WithStatement::ExportDataset,
    ];

    /// The statement as errors and docs name it.
    pub fn title(self) -> &'static str {
        match self {
            WithStatement::GenerateBruteForce => "GENERATE ... USING BRUTE_FORCE",
            WithStatement::GenerateCluster => "GENERATE ... USING CLUSTER",
            WithStatement::Diagnose => "DIAGNOSE",
            WithStatement::Sample => "SAMPLE",
            WithStatement::ExportDataset => "EXPORT DATASET",
        }
    }

    /// The statement's first keyword (the `.help` topic).
    pub fn keyword(self) -> &'static str {
        match self {
            WithStatement::GenerateBruteForce | WithStatement::GenerateCluster => "GENERATE",
            WithStatement::Diagnose => "DIAGNOSE",
            WithStatement::Sample => "SAMPLE",
            WithStatement::ExportDataset => "EXPORT",
        }
    }

    /// Every option the statement accepts, in table order.
    pub fn options(self) -> Vec<OptionDoc> {
        match self {
            WithStatement::GenerateBruteForce => docs(GENERATE).collect(),
            WithStatement::GenerateCluster => docs(GENERATE).chain(docs(CLUSTER)).collect(),
            WithStatement::Diagnose => docs(DIAGNOSE).collect(),
            WithStatement::Sample => docs(SAMPLE).collect(),
            WithStatement::ExportDataset => docs(EXPORT_DATASET).collect(),
        }
    }

    /// The option names, in table order.
    pub fn names(self) -> Vec<&'static str> {
        self.options().iter().map(|o| o.name).collect()
    }
}
