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
    let script = Script::with_params(src, params, 1)?;
    let mut out = Vec::new();
    for chunk in script.chunks() {
        out.extend(script.parse_chunk(chunk)?);
    }
    Ok(out)
}

/// A script prepared for parsing statement by statement in time linear in
/// its length (see `origin.rs`): its line index and placeholder bindings
/// are built once, then each [`Chunk`](crate::Chunk) is parsed alone with
/// spans placed in the script. A front-end that runs a long input piece by
/// piece (the shell) makes one `Script` per piece and says which line of
/// its source the piece starts on.
pub struct Script<'s> {
    src: &'s str,
    first_line: usize,
    lines: std::rc::Rc<origin::LineIndex>,
    bindings: params::Bindings,
}

impl<'s> Script<'s> {
    /// `src` with no parameters: a `?` placeholder in it is an error.
    pub fn new(src: &'s str, first_line: usize) -> Result<Script<'s>> {
        Script::with_params(src, &[], first_line)
    }

    /// `src` whose first line is line `first_line` of its source, with
    /// `params` bound to its `?` placeholders in order (counts must match).
    pub fn with_params(
        src: &'s str,
        params: &[params::Param],
        first_line: usize,
    ) -> Result<Script<'s>> {
        Ok(Script {
            src,
            first_line: first_line.max(1),
            lines: std::rc::Rc::new(origin::LineIndex::starting_at(src, first_line)),
            bindings: params::Bindings::new(src, params)?,
        })
    }

    /// The text.
    pub fn src(&self) -> &'s str {
        self.src
    }

    /// The line of its source the text starts on.
    pub fn first_line(&self) -> usize {
        self.first_line
    }

    /// The statements' byte ranges (`split_statements`).
    pub fn chunks(&self) -> Vec<crate::split::Chunk> {
        crate::split::split_statements(self.src)
    }

    /// Parses one chunk; spans are the script's (byte offsets into `src`,
    /// lines of its source).
    pub fn parse_chunk(&self, chunk: crate::split::Chunk) -> Result<Vec<Statement>> {
        let piece = &self.src[chunk.start..chunk.end];
        let b = &self.bindings;
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
