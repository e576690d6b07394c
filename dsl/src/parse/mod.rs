//! Text → AST. One builder function per top-level rule; the grammar lives in
//! `grammar/valence.pest`.

mod clauses;
mod statements;

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
    let mut pairs = ValenceParser::parse(Rule::script, src).map_err(|e| pest_error(src, e))?;
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

/// A readable name for a grammar rule in "expected ..." messages.
fn rule_name(r: &Rule) -> String {
    let s = format!("{r:?}");
    if let Some(k) = s.strip_prefix("kw_") {
        return k.to_uppercase();
    }
    match r {
        Rule::statement => "a statement (LOAD, IMPORT, EXPORT, GENERATE, EXPLAIN, COMPARE, CHECK, DIAGNOSE, SAMPLE, SHOW, DESCRIBE, DROP)".into(),
        Rule::EOI => "end of input".into(),
        Rule::name | Rule::obj_ref => "a name".into(),
        Rule::ident | Rule::strategy => "a word".into(),
        Rule::string => "a quoted string ('...')".into(),
        Rule::integer => "a whole number".into(),
        Rule::number => "a number".into(),
        Rule::literal => "a value".into(),
        Rule::modality | Rule::bare_modality => "a modality name".into(),
        Rule::type_quota => "a type quota like `brand [1,1]`".into(),
        Rule::int_range => "a range like `[1,2]`".into(),
        Rule::range => "a range like `[0.2, 1.0]`".into(),
        Rule::option => "an option `key = value`".into(),
        Rule::label_clause => "LABEL".into(),
        Rule::where_clause => "WHERE".into(),
        Rule::condition => "a condition like `pos_frac IN [0.2, 1.0]`".into(),
        Rule::kind => "CATALOGUE, GRAPH, DATASET".into(),
        Rule::kind_plural => "CATALOGUES, GRAPHS, DATASETS".into(),
        Rule::types_clause => "TYPES".into(),
        Rule::with_clause => "WITH".into(),
        Rule::format_clause => "FORMAT".into(),
        Rule::split_clause => "SPLIT".into(),
        Rule::split_part => "a part like `train 0.8`".into(),
        Rule::samples_clause => "SAMPLES".into(),
        Rule::seed_clause => "SEED".into(),
        Rule::favour_clause => "FAVOUR".into(),
        Rule::avoid_clause => "AVOID".into(),
        Rule::modality_pair => "a pair like `(brand, audience)`".into(),
        Rule::detail => "DETAIL".into(),
        Rule::versions => "VERSIONS".into(),
        Rule::if_exists => "IF EXISTS".into(),
        _ => s,
    }
}

fn pest_error(src: &str, e: pest::error::Error<Rule>) -> DslError {
    use pest::error::{ErrorVariant, InputLocation};
    let start = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut start = start.min(src.len());
    let (mut line, mut col) = match e.line_col {
        pest::error::LineColLocation::Pos(lc) => lc,
        pest::error::LineColLocation::Span(lc, _) => lc,
    };
    if src[start..].trim().is_empty() {
        // Incomplete input: point just after the last word, not at the void.
        start = src.trim_end().len();
        let before = &src[..start];
        line = before.matches('\n').count() + 1;
        col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    }
    // The offending token: up to the next space or punctuation.
    let rest = &src[start..];
    let tok_len = if rest.is_empty() {
        0
    } else {
        let first = rest.chars().next().map(|c| c.len_utf8()).unwrap_or(1);
        rest.char_indices()
            .find(|(i, c)| *i > 0 && !(c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len())
            .max(first)
    };
    let found = if rest.trim().is_empty() {
        "end of input".to_string()
    } else {
        format!("'{}'", &rest[..tok_len])
    };
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } if !positives.is_empty() => {
            let mut names: Vec<String> = positives.iter().map(rule_name).collect();
            names.dedup();
            let expected = match names.len() {
                1 => names[0].clone(),
                _ => {
                    let last = names.pop().unwrap_or_default();
                    format!("{} or {}", names.join(", "), last)
                }
            };
            format!("syntax error: expected {expected}, found {found}")
        }
        ErrorVariant::ParsingError { .. } => format!("syntax error: unexpected {found}"),
        ErrorVariant::CustomError { message } => format!("syntax error: {message}"),
    };
    let hint = if found == "end of input" {
        "the statement is incomplete; see `.help` or shared/design/dsl.md for its full form"
    } else {
        "check the statement against its form in `.help`"
    };
    DslError::parse(
        message,
        Span {
            start,
            end: start + tok_len.max(1),
            line,
            col,
        },
    )
    .hint(hint)
}
