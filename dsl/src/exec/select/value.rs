//! Values and types of the SELECT evaluator. Strings are shared (`Rc<str>`)
//! so a scan clones pointers, not text.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use crate::table::Value;

/// A column or expression type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Int,
    Float,
    Text,
    /// A list of text values (a `rows(ds)` modality column).
    List,
    /// The type of a bare `NULL`: fits anywhere.
    Null,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Int => "a whole number",
            Ty::Float => "a number",
            Ty::Text => "text",
            Ty::List => "a list",
            Ty::Null => "NULL",
        }
    }

    pub fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Null)
    }

    /// True when values of the two types can be compared.
    pub fn comparable(self, other: Ty) -> bool {
        self == Ty::Null
            || other == Ty::Null
            || (self.numeric() && other.numeric())
            || (self == other && self != Ty::List)
    }
}

/// A value.
#[derive(Debug, Clone)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Rc<str>),
    List(Rc<[Rc<str>]>),
}

impl Val {
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// SQL truth: `Some(true)`, `Some(false)` or unknown (`None`).
    pub fn truth(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Total order used by ORDER BY, MIN/MAX and comparisons of non-null
    /// values of comparable types; NULL sorts first.
    pub fn order(&self, other: &Val) -> Ordering {
        match (self, other) {
            (Val::Null, Val::Null) => Ordering::Equal,
            (Val::Null, _) => Ordering::Less,
            (_, Val::Null) => Ordering::Greater,
            (Val::Int(a), Val::Int(b)) => a.cmp(b),
            (Val::Bool(a), Val::Bool(b)) => a.cmp(b),
            (Val::Text(a), Val::Text(b)) => a.cmp(b),
            (Val::List(a), Val::List(b)) => a.cmp(b),
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => rank(a).cmp(&rank(b)),
            },
        }
    }

    /// The result-table cell. A list prints as its values joined by `, `.
    pub fn to_value(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Int(*i),
            Val::Float(f) => Value::Float(*f),
            Val::Text(s) => Value::Text(s.to_string()),
            Val::List(l) => Value::Text(l.iter().map(|s| &**s).collect::<Vec<_>>().join(", ")),
        }
    }
}

fn rank(v: &Val) -> u8 {
    match v {
        Val::Null => 0,
        Val::Bool(_) => 1,
        Val::Int(_) | Val::Float(_) => 2,
        Val::Text(_) => 3,
        Val::List(_) => 4,
    }
}

/// Equality for grouping and DISTINCT: `1 = 1.0`, NULL equals NULL.
impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        self.order(other) == Ordering::Equal
    }
}
impl Eq for Val {}

impl Hash for Val {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            Val::Null => 0u8.hash(h),
            Val::Bool(b) => b.hash(h),
            Val::Int(_) | Val::Float(_) => {
                let f = self.as_f64().unwrap_or(0.0);
                // 0.0 and -0.0 compare equal: hash them alike.
                (if f == 0.0 { 0.0f64 } else { f }).to_bits().hash(h)
            }
            Val::Text(s) => s.hash(h),
            Val::List(l) => l.hash(h),
        }
    }
}

/// SQL `LIKE`: `%` any run, `_` one character; case-sensitive.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // prev[j]: does t[..i] match p[..j]
    let mut prev = vec![false; p.len() + 1];
    prev[0] = true;
    for j in 1..=p.len() {
        prev[j] = prev[j - 1] && p[j - 1] == '%';
    }
    for &c in &t {
        let mut cur = vec![false; p.len() + 1];
        for j in 1..=p.len() {
            cur[j] = match p[j - 1] {
                '%' => cur[j - 1] || prev[j],
                '_' => prev[j - 1],
                pc => prev[j - 1] && pc == c,
            };
        }
        prev = cur;
    }
    prev[p.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_handles_percent_and_underscore() {
        assert!(like("Nike", "N%"));
        assert!(like("Nike", "%ke"));
        assert!(like("Nike", "N_ke"));
        assert!(!like("Nike", "n%"));
        assert!(!like("Nike", "N_e"));
        assert!(like("", "%"));
        assert!(like("a%b", "a%b"));
    }

    #[test]
    fn ints_and_floats_group_together_and_null_sorts_first() {
        assert_eq!(Val::Int(1), Val::Float(1.0));
        assert_eq!(Val::Null.order(&Val::Int(0)), Ordering::Less);
        assert!(Val::Text("a".into()).order(&Val::Text("b".into())).is_lt());
    }
}
