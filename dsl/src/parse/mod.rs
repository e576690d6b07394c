//! Text → AST. One builder function per top-level rule; the grammar lives in
//! `grammar/valence.pest`.

mod clauses;
pub(crate) mod origin;
pub(crate) mod params;
mod select;
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

/// The span of a pair, with its line and column in the whole script.
pub(crate) fn span_of(p: &Pair<'_>) -> Span {
    let s = p.as_span();
    origin::span(s.get_input(), s.start(), s.end())
}

/// Parses a whole script into statements. A `?` placeholder is an error
/// here (it needs a parameter: [`parse_script_with_params`]).
pub fn parse_script(src: &str) -> Result<Vec<Statement>> {
    parse_script_with_params(src, &[])
}

/// Parses a script whose `?` placeholders take `params`, in order.
pub fn parse_script_with_params(src: &str, params: &[params::Param]) -> Result<Vec<Statement>> {
    let b = params::Bindings::new(src, params)?;
    let script = Script::new(src);
    let mut out = Vec::new();
    for chunk in crate::split::split_statements(src) {
        out.extend(script.parse_chunk(chunk, &b)?);
    }
    Ok(out)
}

/// A script being parsed statement by statement, in time linear in its
/// length (see `origin.rs`).
pub(crate) struct Script<'s> {
    src: &'s str,
    lines: std::rc::Rc<origin::LineIndex>,
}

impl<'s> Script<'s> {
    pub(crate) fn new(src: &'s str) -> Script<'s> {
        Script {
            src,
            lines: std::rc::Rc::new(origin::LineIndex::new(src)),
        }
    }

    /// Parses one chunk of the script with placeholders read from `b`
    /// (count-checked against the whole script; offsets are the script's).
    pub(crate) fn parse_chunk(
        &self,
        chunk: crate::split::Chunk,
        b: &params::Bindings,
    ) -> Result<Vec<Statement>> {
        let piece = &self.src[chunk.start..chunk.end];
        let stmts = origin::within(&self.lines, chunk.start, || {
            params::with_bindings(b, || parse_unbound(piece))
        })?;
        Ok(stmts
            .into_iter()
            .map(|mut s| {
                // Stored statements show the values they ran with.
                let raw = &self.src[s.span.start..s.span.end.min(self.src.len())];
                s.text = b.substitute(raw, s.span.start).trim().to_string();
                s
            })
            .collect())
    }
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
