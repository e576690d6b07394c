//! `?` placeholders: a parameter stands wherever a string or number literal
//! may (paths, names in quotes, counts, bounds, option values), so a value
//! holding `'` or `;` is data, never statement text.
//!
//! The i-th `?` of a script (outside strings and comments) takes the i-th
//! parameter; a count mismatch is an error before anything runs. While a
//! script is parsed its bindings sit in a thread-local, so the builders of
//! `string`/`integer`/`number` read a placeholder's value without threading
//! it through every builder.

use std::cell::RefCell;

use crate::ast::Span;
use crate::error::{DslError, Result};

/// A parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Param {
    /// The literal this value would be written as (for manifests: a stored
    /// statement shows the values it ran with).
    pub fn to_literal(&self) -> String {
        match self {
            Param::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Param::Int(i) => i.to_string(),
            Param::Float(f) => f.to_string(),
            Param::Bool(b) => b.to_string(),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Param::Str(_) => "a string",
            Param::Int(_) => "a whole number",
            Param::Float(_) => "a number",
            Param::Bool(_) => "a boolean",
        }
    }
}

macro_rules! param_from {
    ($($t:ty => $v:ident ($conv:expr)),* $(,)?) => {
        $(impl From<$t> for Param {
            fn from(x: $t) -> Param {
                #[allow(clippy::redundant_closure_call)]
                Param::$v(($conv)(x))
            }
        })*
    };
}

param_from! {
    &str => Str(|x: &str| x.to_string()),
    String => Str(|x| x),
    &String => Str(|x: &String| x.clone()),
    &std::path::Path => Str(|x: &std::path::Path| x.to_string_lossy().into_owned()),
    std::path::PathBuf => Str(|x: std::path::PathBuf| x.to_string_lossy().into_owned()),
    &std::path::PathBuf => Str(|x: &std::path::PathBuf| x.to_string_lossy().into_owned()),
    i64 => Int(|x| x),
    i32 => Int(i64::from),
    u32 => Int(i64::from),
    usize => Int(|x: usize| x as i64),
    u64 => Int(|x: u64| x as i64),
    f64 => Float(|x| x),
    bool => Bool(|x| x),
}

/// Byte offsets of the `?` placeholders of `src` (outside strings and
/// comments), in order.
pub(crate) fn placeholders(src: &str) -> Vec<usize> {
    let b = src.as_bytes();
    let (mut i, mut out) = (0, Vec::new());
    while i < b.len() {
        match b[i] {
            b'\'' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'?' => out.push(i),
            _ => {}
        }
        i += 1;
    }
    out
}

/// The placeholders of one script bound to their values.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    slots: Vec<(usize, Param)>,
}

fn span_at(src: &str, pos: usize) -> Span {
    let before = &src[..pos.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    Span {
        start: pos,
        end: pos + 1,
        line,
        col: before[line_start..].chars().count() + 1,
    }
}

impl Bindings {
    /// Binds `params` to the placeholders of `src`; their counts must match.
    pub fn new(src: &str, params: &[Param]) -> Result<Bindings> {
        let at = placeholders(src);
        if at.len() != params.len() {
            let s = |n: usize| if n == 1 { "" } else { "s" };
            let message = format!(
                "the script has {} `?` placeholder{} but {} parameter{} {} given",
                at.len(),
                s(at.len()),
                params.len(),
                s(params.len()),
                if params.len() == 1 { "was" } else { "were" }
            );
            // Point at the first `?` left without a value, or at the end.
            let pos = at
                .get(params.len())
                .copied()
                .unwrap_or(src.trim_end().len().saturating_sub(1));
            return Err(DslError::semantic(message, span_at(src, pos)).hint(
                "pass one parameter per `?`, in order (execute_with_params); a `?` inside quotes is text, not a placeholder",
            ));
        }
        Ok(Bindings {
            slots: at.into_iter().zip(params.iter().cloned()).collect(),
        })
    }

    fn get(&self, pos: usize) -> Option<&Param> {
        self.slots.iter().find(|(p, _)| *p == pos).map(|(_, v)| v)
    }

    /// `text` (which starts at byte `start` of the script) with every bound
    /// placeholder replaced by its literal.
    pub(crate) fn substitute(&self, text: &str, start: usize) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (pos, v) in &self.slots {
            if *pos >= start && *pos < start + text.len() {
                let rel = pos - start;
                out.push_str(&text[last..rel]);
                out.push_str(&v.to_literal());
                last = rel + 1;
            }
        }
        out.push_str(&text[last..]);
        out
    }
}

thread_local! {
    static CURRENT: RefCell<Bindings> = RefCell::new(Bindings::default());
}

/// Runs `f` (a parse) with `b` as the bindings placeholders read.
pub(crate) fn with_bindings<T>(b: &Bindings, f: impl FnOnce() -> T) -> T {
    let prev = CURRENT.with(|c| c.replace(b.clone()));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = prev);
    out
}

/// The value bound to the placeholder at byte `pos`.
pub(crate) fn value_at(pos: usize, span: Span) -> Result<Param> {
    CURRENT
        .with(|c| c.borrow().get(pos).cloned())
        .ok_or_else(|| {
            DslError::semantic("a `?` placeholder has no parameter", span)
                .hint("run the script with execute_with_params, one parameter per `?`")
        })
}

/// A placeholder's value where a string is expected (other values are
/// written as their text). Bindings are count-checked before parsing, so a
/// placeholder always has a value; an unbound one (not possible through
/// the public API) reads as the empty string.
pub(crate) fn string_at(pos: usize) -> String {
    match CURRENT.with(|c| c.borrow().get(pos).cloned()) {
        Some(Param::Str(s)) => s,
        Some(Param::Int(i)) => i.to_string(),
        Some(Param::Float(f)) => f.to_string(),
        Some(Param::Bool(b)) => b.to_string(),
        None => String::new(),
    }
}

/// A placeholder's value where a whole number >= 0 is expected.
pub(crate) fn integer_at(pos: usize, span: Span) -> Result<u64> {
    match value_at(pos, span)? {
        Param::Int(i) if i >= 0 => Ok(i as u64),
        p => Err(wrong(&p, "a whole number >= 0", span)),
    }
}

/// A placeholder's value where a number is expected.
pub(crate) fn number_at(pos: usize, span: Span) -> Result<f64> {
    match value_at(pos, span)? {
        Param::Int(i) => Ok(i as f64),
        Param::Float(f) if f.is_finite() => Ok(f),
        p => Err(wrong(&p, "a finite number", span)),
    }
}

fn wrong(p: &Param, want: &str, span: Span) -> DslError {
    DslError::semantic(
        format!(
            "parameter {} is {}; this place takes {want}",
            p.to_literal(),
            p.type_name()
        ),
        span,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_skip_strings_and_comments() {
        let s = "EXPORT DATASET d TO ? -- why?\n; CHECK GRAPH g AGAINST 'a?b.csv'; SAMPLE ? FROM g";
        let at = placeholders(s);
        assert_eq!(at.len(), 2);
        assert!(at.iter().all(|&i| &s[i..i + 1] == "?"));
    }

    #[test]
    fn count_mismatch_is_an_error_pointing_at_the_unbound_placeholder() {
        let e = Bindings::new("SAMPLE ? FROM g ... INTO ?;", &[Param::Int(3)]).unwrap_err();
        assert!(
            e.message
                .contains("2 `?` placeholders but 1 parameter was given")
        );
        assert_eq!(e.span.unwrap().col, 26);
        let e = Bindings::new("SHOW GRAPHS;", &["x".into()]).unwrap_err();
        assert!(e.message.contains("0 `?` placeholders but 1 parameter"));
    }

    #[test]
    fn substitute_writes_literals() {
        let b = Bindings::new("X ? Y ?", &["it's".into(), Param::Int(4)]).unwrap();
        assert_eq!(b.substitute("X ? Y ?", 0), "X 'it''s' Y 4");
        assert_eq!(b.substitute("Y ?", 4), "Y 4");
    }
}
