//! Result tables: every statement answers with one or more tables (header +
//! typed rows). The first table is the statement's answer; later ones are
//! sections (e.g. DIAGNOSE's suggested bounds).

use serde::Serialize;

/// A typed cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// A closed interval `[lo, hi]` (label boxes, histogram bins): printed
    /// `[lo, hi]` with full precision (copy-pasteable), a two-number array in JSON.
    Interval(f64, f64),
}

impl Value {
    /// The cell as the table/csv/markdown modes print it.
    pub fn display(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Text(s) => s.clone(),
            Value::Interval(lo, hi) => {
                format!("[{}, {}]", compact_number(*lo), compact_number(*hi))
            }
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// A number at full precision but compact: the shortest text that reads
/// back to the same `f64`, in exponent form when it is very large or very
/// small (`1e308`, not 309 digits; `0.25`; `1`).
pub fn compact_number(f: f64) -> String {
    let a = f.abs();
    if f.is_finite() && a != 0.0 && !(1e-6..1e15).contains(&a) {
        format!("{f:e}")
    } else {
        format!("{f}")
    }
}

/// Floats print with up to 4 decimals, trailing zeros trimmed (0.2500 → 0.25).
pub fn format_float(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    let s = format!("{f:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value { Value::Int(v as i64) }
        }
    )*};
}
from_int!(i32, i64, u32, u64, usize, u16);

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// One table of a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(columns: &[&str]) -> Table {
        Table {
            title: None,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn titled(mut self, title: impl Into<String>) -> Table {
        self.title = Some(title.into());
        self
    }

    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// A one-column, one-row table (used by statements that only report).
    pub fn message(column: &str, text: impl Into<String>) -> Table {
        let mut t = Table::new(&[column]);
        t.push(vec![Value::Text(text.into())]);
        t
    }

    /// A one-row table from (column, value) pairs: column names and values
    /// stay side by side, so they cannot drift apart.
    pub fn record(fields: Vec<(&str, Value)>) -> Table {
        let (columns, row): (Vec<&str>, Vec<Value>) = fields.into_iter().unzip();
        let mut t = Table::new(&columns);
        t.push(row);
        t
    }

    /// The index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The cell at (row, column name).
    pub fn get(&self, row: usize, column: &str) -> Option<&Value> {
        self.rows.get(row)?.get(self.column(column)?)
    }
}

/// What one statement answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    /// The statement's name, e.g. `IMPORT GRAPH`.
    pub statement: &'static str,
    pub tables: Vec<Table>,
}

impl QueryResult {
    pub fn new(statement: &'static str, tables: Vec<Table>) -> QueryResult {
        QueryResult { statement, tables }
    }

    /// The main table.
    pub fn table(&self) -> &Table {
        static EMPTY: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        self.tables
            .first()
            .unwrap_or_else(|| EMPTY.get_or_init(|| Table::new(&[])))
    }
}
