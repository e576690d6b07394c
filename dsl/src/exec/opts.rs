//! Typed access to a `WITH (...)` list, with errors that point at the option.

use crate::ast::{Literal, OptionKv, Span};
use crate::error::{DslError, Result};

/// The options of one statement, checked against the names it accepts.
pub struct Opts<'a> {
    list: &'a [OptionKv],
}

pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

impl<'a> Opts<'a> {
    /// Rejects any option not in `allowed`, suggesting the closest name.
    pub fn new(list: &'a [OptionKv], allowed: &[&str], statement: &str) -> Result<Opts<'a>> {
        for o in list {
            if !allowed.contains(&o.key.node.as_str()) {
                let close = allowed
                    .iter()
                    .map(|a| (distance(a, &o.key.node), *a))
                    .min()
                    .filter(|(d, _)| *d <= 3);
                let hint = match close {
                    Some((_, a)) => format!(
                        "did you mean `{a}`? {statement} accepts: {}",
                        allowed.join(", ")
                    ),
                    None => format!("{statement} accepts: {}", allowed.join(", ")),
                };
                return Err(DslError::semantic(
                    format!("unknown option '{}'", o.key.node),
                    o.key.span,
                )
                .hint(hint));
            }
        }
        Ok(Opts { list })
    }

    fn get(&self, key: &str) -> Option<&'a OptionKv> {
        self.list.iter().find(|o| o.key.node == key)
    }

    /// The span of an option's value, if given.
    pub fn span(&self, key: &str) -> Option<Span> {
        self.get(key).map(|o| o.value.span)
    }

    fn wrong(o: &OptionKv, want: &str) -> DslError {
        DslError::semantic(
            format!("option '{}' takes {want}", o.key.node),
            o.value.span,
        )
    }

    pub fn f64(&self, key: &str, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(o) => match &o.value.node {
                Literal::Int(i) => Ok(*i as f64),
                Literal::Float(f) => Ok(*f),
                _ => Err(Self::wrong(o, "a number")),
            },
        }
    }

    /// A number in `[lo, hi]`.
    pub fn f64_in(&self, key: &str, default: f64, lo: f64, hi: f64) -> Result<f64> {
        let v = self.f64(key, default)?;
        if v < lo || v > hi {
            let o = self.get(key).map(|o| o.value.span).unwrap_or_default();
            return Err(DslError::semantic(
                format!("option '{key}' = {v} is outside [{lo}, {hi}]"),
                o,
            ));
        }
        Ok(v)
    }

    pub fn u64(&self, key: &str, default: u64) -> Result<u64> {
        match self.get(key) {
            None => Ok(default),
            Some(o) => match &o.value.node {
                Literal::Int(i) if *i >= 0 => Ok(*i as u64),
                _ => Err(Self::wrong(o, "a whole number >= 0")),
            },
        }
    }

    /// A whole number >= 1.
    pub fn positive(&self, key: &str, default: u64) -> Result<u64> {
        match self.get(key) {
            None => Ok(default),
            Some(o) => match &o.value.node {
                Literal::Int(i) if *i >= 1 => Ok(*i as u64),
                _ => Err(Self::wrong(o, "a whole number >= 1")),
            },
        }
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.u64(key, 0).map(Some),
        }
    }

    pub fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(o) => match &o.value.node {
                Literal::Bool(b) => Ok(*b),
                Literal::Int(0) => Ok(false),
                Literal::Int(1) => Ok(true),
                _ => Err(Self::wrong(o, "true or false")),
            },
        }
    }

    /// A string or bare word.
    pub fn str(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(o) => match &o.value.node {
                Literal::Str(s) | Literal::Ident(s) => Ok(Some(s.clone())),
                _ => Err(Self::wrong(o, "a string")),
            },
        }
    }
}
