//! Checking a statement's `WITH (...)` list against its option tables
//! ([`crate::options`]), with errors that point at the option.

use crate::ast::{Literal, OptionKv, Span};
use crate::error::{DslError, Result};
use crate::options::{Kind, OptValue, OptionDef, Range, WithStatement, render};

/// Edit distance (Levenshtein) of two words.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// The `WITH (...)` list of one statement, its names checked against the
/// statement's tables.
pub struct Given<'a> {
    list: &'a [OptionKv],
}

impl<'a> Given<'a> {
    /// Rejects an unknown name (suggesting the closest) or a name given
    /// twice, with the caret on the name.
    pub fn new(list: &'a [OptionKv], stmt: WithStatement) -> Result<Given<'a>> {
        let allowed = stmt.names();
        for (i, o) in list.iter().enumerate() {
            let name = o.key.node.as_str();
            if !allowed.contains(&name) {
                return Err(unknown(name, o.key.span, &allowed, stmt));
            }
            if list[..i].iter().any(|p| p.key.node == name) {
                return Err(DslError::semantic(
                    format!("option '{name}' is given twice"),
                    o.key.span,
                )
                .hint("give each option once"));
            }
        }
        Ok(Given { list })
    }

    /// The span of an option's value, if it was given.
    pub fn span(&self, name: &str) -> Option<Span> {
        self.list
            .iter()
            .find(|o| o.key.node == name)
            .map(|o| o.value.span)
    }

    /// Checks and sets every given option that `table` defines.
    pub fn apply<T>(&self, table: &[OptionDef<T>], target: &mut T) -> Result<()> {
        for o in self.list {
            if let Some(def) = table.iter().find(|d| d.name == o.key.node) {
                let v = value(def, o)?;
                (def.set)(target, v);
            }
        }
        Ok(())
    }
}

fn unknown(name: &str, at: Span, allowed: &[&str], stmt: WithStatement) -> DslError {
    let accepts = if allowed.is_empty() {
        format!("{} accepts no options", stmt.title())
    } else {
        format!("{} accepts: {}", stmt.title(), allowed.join(", "))
    };
    let close = allowed
        .iter()
        .map(|a| (distance(a, name), *a))
        .min()
        .filter(|(d, _)| *d <= 3);
    let hint = match close {
        Some((_, a)) => format!("did you mean `{a}`? {accepts}"),
        None => accepts,
    };
    DslError::semantic(format!("unknown option '{name}'"), at).hint(hint)
}

/// The given value, checked against the entry's [`Kind`] (and a
/// [`Range::Within`]).
fn value<T>(def: &OptionDef<T>, o: &OptionKv) -> Result<OptValue> {
    let name = def.name;
    let wrong = |want: String, hint: String| {
        DslError::semantic(format!("option '{name}' takes {want}"), o.value.span).hint(hint)
    };
    match (def.kind, &o.value.node) {
        (Kind::Whole { min, max }, Literal::Int(i))
            if *i >= 0 && (*i as u64) >= min && (*i as u64) <= max =>
        {
            Ok(OptValue::Whole(*i as u64))
        }
        (Kind::Whole { min, max }, _) => Err(wrong(
            render::whole_text(min, max),
            render::whole_hint(name, min, max),
        )),
        (Kind::Number(r), Literal::Int(_) | Literal::Float(_)) => {
            let x = match o.value.node {
                Literal::Int(i) => i as f64,
                Literal::Float(f) => f,
                _ => 0.0,
            };
            if !x.is_finite() {
                return Err(wrong(
                    "a finite number".into(),
                    format!("{x} is too large, e.g. {name} = 0.5"),
                ));
            }
            if let Range::Within(lo, hi) = r
                && !(lo..=hi).contains(&x)
            {
                return Err(DslError::semantic(
                    format!("option '{name}' = {x} is outside [{lo}, {hi}]"),
                    o.value.span,
                ));
            }
            Ok(OptValue::Number(x))
        }
        (Kind::Number(_), _) => Err(wrong(
            "a number".into(),
            format!("expected a number, e.g. {name} = 0.5"),
        )),
        (Kind::Bool, Literal::Bool(b)) => Ok(OptValue::Bool(*b)),
        (Kind::Bool, Literal::Int(i @ (0 | 1))) => Ok(OptValue::Bool(*i == 1)),
        (Kind::Bool, _) => Err(wrong(
            "true or false".into(),
            format!("expected true or false, e.g. {name} = true"),
        )),
        (Kind::Text, Literal::Str(s) | Literal::Ident(s)) => Ok(OptValue::Text(s.clone())),
        (Kind::Text, _) => Err(wrong(
            "a string".into(),
            format!("quote it: {name} = '...'"),
        )),
        (Kind::Choice(choices), Literal::Str(s) | Literal::Ident(s)) => choices
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(s))
            .map(|(c, _)| OptValue::Text(c.to_string()))
            .ok_or_else(|| {
                DslError::semantic(format!("unknown {name} '{s}'"), o.value.span)
                    .hint(render::choice_hint(name, choices))
            }),
        (Kind::Choice(choices), _) => {
            Err(wrong("a word".into(), render::choice_hint(name, choices)))
        }
    }
}
