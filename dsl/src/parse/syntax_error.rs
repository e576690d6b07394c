//! pest errors → one readable syntax error: what was expected and found,
//! with the caret where it went wrong. Three cases get a message of their
//! own: a misspelled statement keyword ("did you mean DIAGNOSE?"), a missing
//! `;` between two statements (caret where the `;` belongs), and a
//! misspelled keyword inside a statement.

use pest::error::{ErrorVariant, InputLocation};

use super::Rule;
use crate::ast::Span;
use crate::error::DslError;
use crate::exec::opts::distance;
use crate::keywords::{KEYWORDS, STATEMENT_KEYWORDS};

/// A readable name for a grammar rule in "expected ..." messages.
fn rule_name(r: &Rule) -> String {
    let s = format!("{r:?}");
    if let Some(k) = s.strip_prefix("kw_") {
        return k.to_uppercase();
    }
    match r {
        Rule::statement | Rule::script => {
            format!("a statement ({})", STATEMENT_KEYWORDS.join(", "))
        }
        // Scripts are parsed one statement at a time: the end of the input
        // is the end of the statement.
        Rule::EOI => "`;` (end of statement)".into(),
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
        Rule::condition => "a condition like `pos_frac IN [0.2, 1.0]`".into(),
        Rule::modality_pair => "a pair like `(brand, audience)`".into(),
        Rule::expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::primary
        | Rule::order_key
        | Rule::sel_item => "an expression (a column, a value, a condition)".into(),
        Rule::sel_list => "a column list or `*`".into(),
        Rule::table_fn => "a table function like `nodes(g)`".into(),
        Rule::cmp_op => "a comparison (=, <>, <, <=, >, >=)".into(),
        Rule::split_part => "a part like `train 0.8`".into(),
        _ => {
            let k = rule_keywords(r);
            if k.is_empty() { s } else { k.join(", ") }
        }
    }
}

/// The keywords a rule starts with (for "did you mean").
fn rule_keywords(r: &Rule) -> Vec<&'static str> {
    match r {
        Rule::label_clause => vec!["LABEL"],
        Rule::where_clause => vec!["WHERE"],
        Rule::kind => vec!["CATALOGUE", "GRAPH", "DATASET"],
        Rule::kind_plural => vec!["CATALOGUES", "GRAPHS", "DATASETS"],
        Rule::types_clause => vec!["TYPES"],
        Rule::with_clause => vec!["WITH"],
        Rule::format_clause => vec!["FORMAT"],
        Rule::split_clause => vec!["SPLIT"],
        Rule::samples_clause => vec!["SAMPLES"],
        Rule::seed_clause => vec!["SEED"],
        Rule::favour_clause => vec!["FAVOUR"],
        Rule::avoid_clause => vec!["AVOID"],
        Rule::detail => vec!["DETAIL"],
        Rule::versions => vec!["VERSIONS"],
        Rule::if_exists => vec!["IF EXISTS"],
        Rule::sel_where => vec!["WHERE"],
        Rule::sel_group => vec!["GROUP BY"],
        Rule::sel_having => vec!["HAVING"],
        Rule::sel_order => vec!["ORDER BY"],
        Rule::sel_limit => vec!["LIMIT"],
        Rule::sel_offset => vec!["OFFSET"],
        Rule::statement | Rule::script => STATEMENT_KEYWORDS.to_vec(),
        _ => match format!("{r:?}").strip_prefix("kw_") {
            Some(k) => KEYWORDS
                .iter()
                .copied()
                .filter(|w| w.eq_ignore_ascii_case(k))
                .collect(),
            None => vec![],
        },
    }
}

/// The closest of `candidates` to `word`, if close enough to be a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_ascii_uppercase();
    candidates
        .iter()
        .map(|c| (distance(&w, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min()
        .map(|(_, c)| c)
}

/// True when `pos` is where a statement starts: only whitespace, comments
/// and complete statements (ending in `;`) come before it.
fn at_statement_start(src: &str, pos: usize) -> bool {
    let prefix = &src[..pos];
    crate::split::split_statements(prefix)
        .last()
        .is_none_or(|c| c.end != prefix.len())
}

/// The offending token at `start`: up to the next space or punctuation.
fn token_len(rest: &str) -> usize {
    if rest.is_empty() {
        return 0;
    }
    let first = rest.chars().next().map(|c| c.len_utf8()).unwrap_or(1);
    rest.char_indices()
        .find(|(i, c)| *i > 0 && !(c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.'))
        .map(|(i, _)| i)
        .unwrap_or(rest.len())
        .max(first)
}

fn span_at(src: &str, start: usize, len: usize) -> Span {
    super::origin::span(src, start, start + len.max(1))
}

/// Converts a pest error into the DSL's syntax error.
pub(crate) fn from_pest(src: &str, e: pest::error::Error<Rule>) -> DslError {
    let mut start = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .min(src.len());
    if src[start..].trim().is_empty() {
        // Incomplete input: point just after the last word, not at the void.
        start = src.trim_end().len();
    }
    let rest = &src[start..];
    let tok_len = token_len(rest);
    let token = &rest[..tok_len];
    let is_word = !token.is_empty() && token.chars().all(|c| c.is_alphanumeric() || c == '_');
    let found = if rest.trim().is_empty() {
        "end of input".to_string()
    } else {
        format!("'{token}'")
    };
    let positives: Vec<Rule> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => vec![],
    };
    let span = span_at(src, start, tok_len);
    // 1. A statement that does not start with a statement keyword.
    if is_word && at_statement_start(src, start) {
        let list = STATEMENT_KEYWORDS.join(", ");
        return match closest(token, STATEMENT_KEYWORDS) {
            Some(k) => DslError::parse(
                format!("syntax error: unknown statement '{token}'; did you mean {k}?"),
                span,
            )
            .hint(format!("a statement starts with one of {list}")),
            None => DslError::parse(
                format!("syntax error: '{token}' does not start a statement"),
                span,
            )
            .hint(format!("a statement starts with one of {list}")),
        };
    }
    // 2. The statement could end here and a new one starts: a missing `;`.
    let upper = token.to_ascii_uppercase();
    if positives.contains(&Rule::EOI) && is_word && STATEMENT_KEYWORDS.contains(&upper.as_str()) {
        let end_of_previous = src[..start].trim_end().len();
        return DslError::parse(
            format!("syntax error: missing `;` before {upper}"),
            span_at(src, end_of_previous, 0),
        )
        .hint("end each statement with `;`");
    }
    let message = match &e.variant {
        ErrorVariant::ParsingError { .. } if !positives.is_empty() => {
            let mut names: Vec<String> = positives.iter().map(rule_name).collect();
            names.dedup();
            let expected = match names.len() {
                1 => names[0].clone(),
                _ => {
                    let last = names.pop().unwrap_or_default();
                    format!("{} or {}", names.join(", "), last)
                }
            };
            // 3. A misspelled keyword where keywords were expected.
            let keywords: Vec<&str> = positives.iter().flat_map(rule_keywords).collect();
            let suggestion = if is_word {
                closest(token, &keywords)
                    .map(|k| format!("; did you mean {k}?"))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            format!("syntax error: expected {expected}, found {found}{suggestion}")
        }
        ErrorVariant::ParsingError { .. } => format!("syntax error: unexpected {found}"),
        ErrorVariant::CustomError { message } => format!("syntax error: {message}"),
    };
    let hint = if found == "end of input" {
        "the statement is incomplete; see `.help` or shared/design/dsl.md for its full form"
    } else {
        "check the statement against its form in `.help`"
    };
    DslError::parse(message, span).hint(hint)
}

#[cfg(test)]
mod tests {
    use crate::parse_script;

    fn err(src: &str) -> crate::DslError {
        parse_script(src).unwrap_err()
    }

    #[test]
    fn misspelled_statement_keyword_gets_a_suggestion() {
        let e = err("DIAGNOZE g TYPES (brand [1,1]);");
        assert!(
            e.message.contains("did you mean DIAGNOSE?"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("expected script"), "{}", e.message);
        let sp = e.span.unwrap();
        assert_eq!((sp.line, sp.col, sp.end - sp.start), (1, 1, 8));
        // After a complete statement too, on its own line.
        let e = err("SHOW GRAPHS;\n  SHOq DATASETS;");
        assert!(e.message.contains("did you mean SHOW?"), "{}", e.message);
        assert_eq!((e.span.unwrap().line, e.span.unwrap().col), (2, 3));
        let e = err("FROBNICATE x;");
        assert!(
            e.message
                .contains("'FROBNICATE' does not start a statement")
        );
    }

    #[test]
    fn missing_semicolon_points_where_it_belongs() {
        let src = "SHOW GRAPHS\nSHOW DATASETS;";
        let e = err(src);
        assert_eq!(e.message, "syntax error: missing `;` before SHOW");
        let sp = e.span.unwrap();
        // Just after GRAPHS on line 1.
        assert_eq!((sp.line, sp.col, sp.start), (1, 12, 11));
        let e = err("GENERATE GRAPH g FROM c USING BRUTE_FORCE DESCRIBE GRAPH g;");
        assert!(
            e.message.contains("missing `;` before DESCRIBE"),
            "{}",
            e.message
        );
    }

    #[test]
    fn misspelled_keyword_inside_a_statement() {
        let e = err("SHOW GRAPHZ;");
        assert!(e.message.contains("did you mean GRAPHS?"), "{}", e.message);
        assert!(e.message.contains("found 'GRAPHZ'"), "{}", e.message);
    }
}
