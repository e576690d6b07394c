//! Text → AST. One builder function per top-level rule; the grammar lives in
//! `grammar/valence.pest`.

mod clauses;
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

/// Parses a whole script into statements.
pub fn parse_script(src: &str) -> Result<Vec<Statement>> {
    let mut pairs = ValenceParser::parse(Rule::script, src)
        .map_err(|e| syntax_error::from_pest(src, e))?;
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

