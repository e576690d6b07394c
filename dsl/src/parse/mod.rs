//! Text → AST. One builder function per top-level rule; the grammar lives in
//! `grammar/valence.pest`.

mod clauses;
pub(crate) mod params;
mod statements;
mod syntax_error;

use pest::Parser as _;
use pest_derive::Parser;

use crate::ast::{Span, Statement};
use crate::error::{DslError, Result};

#[derive(Parser)]
#[grammar = "../grammar/valence.pest"]
pub(crate) struct ValenceParser;

pub(crate) type Pair<'i> = pest::iterators::Pair<'i, Rule>;

/// The span of a pair, with its line and column.
pub(crate) fn span_of(p: &Pair<'_>) -> Span {
    let s = p.as_span();
    let (line, col) = s.start_pos().line_col();
    Span {
        start: s.start(),
        end: s.end(),
        line,
        col,
    }
}

/// Parses a whole script into statements. A `?` placeholder is an error
/// here (it needs a parameter: [`parse_script_with_params`]).
pub fn parse_script(src: &str) -> Result<Vec<Statement>> {
    parse_script_with_params(src, &[])
}

/// Parses a script whose `?` placeholders take `params`, in order.
pub fn parse_script_with_params(src: &str, params: &[params::Param]) -> Result<Vec<Statement>> {
    let b = params::Bindings::new(src, params)?;
    parse_bound(src, &b)
}

/// Parses `src` with placeholders read from `b` (already count-checked
/// against the whole script `src` is part of; offsets are absolute).
pub(crate) fn parse_bound(src: &str, b: &params::Bindings) -> Result<Vec<Statement>> {
    params::with_bindings(b, || parse_unbound(src)).map(|stmts| {
        stmts
            .into_iter()
            .map(|mut s| {
                // Stored statements show the values they ran with.
                let start = s.span.start;
                let raw = &src[start..s.span.end.min(src.len())];
                s.text = b.substitute(raw, start).trim().to_string();
                s
            })
            .collect()
    })
}

fn parse_unbound(src: &str) -> Result<Vec<Statement>> {
    let mut pairs =
        ValenceParser::parse(Rule::script, src).map_err(|e| syntax_error::from_pest(src, e))?;
    let script = pairs
        .next()
        .ok_or_else(|| DslError::parse("empty parse", Span::default()))?;
    let mut out = Vec::new();
    for p in script.into_inner() {
        if p.as_rule() == Rule::statement {
            out.push(statements::build(p)?);
        }
    }
    Ok(out)
}
