//! The option tables as text: error wording, `.help`, README markdown.

use super::{Kind, OptValue, OptionDoc, Range, WithStatement};

/// Largest bound shown as a number; above it a whole number is unbounded.
const UNBOUNDED: u64 = i64::MAX as u64;

/// "a whole number >= 1", "a whole number from 1 to 1024".
pub(crate) fn whole_text(min: u64, max: u64) -> String {
    if max >= UNBOUNDED {
        format!("a whole number >= {min}")
    } else {
        format!("a whole number from {min} to {max}")
    }
}

pub(crate) fn whole_hint(name: &str, min: u64, max: u64) -> String {
    if max >= UNBOUNDED {
        format!("{name} must be at least {min}")
    } else {
        format!("{name} must be at least {min} and at most {max}")
    }
}

/// "backend = 'oracle' (offline simulator) or 'openai' (...)".
pub(crate) fn choice_hint(name: &str, choices: &[(&str, &str)]) -> String {
    let each: Vec<String> = choices
        .iter()
        .map(|(c, d)| format!("'{c}' ({d})"))
        .collect();
    let list = match each.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => each.join(""),
    };
    format!("{name} = {list}")
}

/// A bound: `2`, `0.5`.
fn number(x: f64) -> String {
    format!("{x}")
}

/// The type column: `whole`, `number`, `bool`, `string`, `word`.
pub fn type_text(k: &Kind) -> &'static str {
    match k {
        Kind::Whole { .. } => "whole",
        Kind::Number(_) => "number",
        Kind::Bool => "bool",
        Kind::Text => "string",
        Kind::Choice(_) => "word",
    }
}

/// The range column: bounds, or the allowed words.
pub fn range_text(k: &Kind) -> String {
    match k {
        Kind::Whole { min, max } if *max >= UNBOUNDED => format!(">= {min}"),
        Kind::Whole { min, max } => format!("{min} to {max}"),
        Kind::Number(Range::Any) | Kind::Bool | Kind::Text => String::new(),
        Kind::Number(Range::Within(lo, hi)) => format!("[{}, {}]", number(*lo), number(*hi)),
        Kind::Number(Range::Engine { lo, hi, open }) => match (open, hi.is_infinite()) {
            (true, true) => format!("> {}", number(*lo)),
            (false, true) => format!(">= {}", number(*lo)),
            (true, false) => format!("({}, {}]", number(*lo), number(*hi)),
            (false, false) => format!("[{}, {}]", number(*lo), number(*hi)),
        },
        Kind::Choice(c) => c.iter().map(|(w, _)| *w).collect::<Vec<_>>().join(", "),
    }
}

/// The default column (`none` for an unset or empty value).
pub fn default_text(v: &OptValue) -> String {
    match v {
        OptValue::Whole(n) => n.to_string(),
        OptValue::Number(x) => format!("{x:?}"),
        OptValue::Bool(b) => b.to_string(),
        OptValue::Text(s) if !s.is_empty() => s.clone(),
        OptValue::Text(_) | OptValue::Unset => "none".into(),
    }
}

fn table_rows(o: &OptionDoc) -> [String; 5] {
    [
        o.name.to_string(),
        type_text(&o.kind).to_string(),
        range_text(&o.kind),
        default_text(&o.default),
        o.doc.to_string(),
    ]
}

/// The `.help` topics: the statements' first keywords, once each.
pub fn help_topics() -> Vec<&'static str> {
    let mut t: Vec<&str> = WithStatement::ALL.iter().map(|s| s.keyword()).collect();
    t.dedup();
    t
}

/// `.help TOPIC` (a statement keyword, any case): the statement's `WITH`
/// options, one per line; `None` for an unknown topic.
pub fn help(topic: &str) -> Option<String> {
    let stmts: Vec<WithStatement> = WithStatement::ALL
        .into_iter()
        .filter(|s| s.keyword().eq_ignore_ascii_case(topic.trim()))
        .collect();
    if stmts.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut shown: Vec<&str> = Vec::new();
    for s in stmts {
        let opts: Vec<OptionDoc> = s
            .options()
            .into_iter()
            .filter(|o| !shown.contains(&o.name))
            .collect();
        let more = if shown.is_empty() {
            ""
        } else {
            ", in addition"
        };
        if opts.is_empty() && shown.is_empty() {
            out.push_str(&format!("{} takes no WITH options\n", s.title()));
            continue;
        }
        out.push_str(&format!("{} WITH options{more}\n", s.title()));
        let rows: Vec<[String; 5]> = opts.iter().map(table_rows).collect();
        let w = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        let (w0, w1, w2, w3) = (w(0), w(1), w(2), w(3));
        for r in &rows {
            let line = format!(
                "  {:w0$}  {:w1$}  {:w2$}  default {:w3$}  {}",
                r[0], r[1], r[2], r[3], r[4]
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        shown.extend(opts.iter().map(|o| o.name));
    }
    Some(out)
}

/// README.md's option section: one markdown table per statement. The
/// README holds exactly this text between its `options:begin` and
/// `options:end` markers (a test checks it; `UPDATE_EXPECT=1` rewrites it).
pub fn markdown() -> String {
    let mut out = String::new();
    let shared = WithStatement::GenerateBruteForce.names();
    for s in WithStatement::ALL {
        let opts: Vec<OptionDoc> = s
            .options()
            .into_iter()
            .filter(|o| s != WithStatement::GenerateCluster || !shared.contains(&o.name))
            .collect();
        if opts.is_empty() {
            out.push_str(&format!("**`{}`** takes no `WITH` options.\n\n", s.title()));
            continue;
        }
        let extra = if s == WithStatement::GenerateCluster {
            " (in addition to the above)"
        } else {
            ""
        };
        out.push_str(&format!("**`{}`**{extra}\n\n", s.title()));
        out.push_str("| option | type | range | default | what it does |\n");
        out.push_str("|---|---|---|---|---|\n");
        for o in &opts {
            let [name, ty, range, default, doc] = table_rows(o);
            let range = if range.is_empty() {
                String::new()
            } else {
                format!("`{range}`")
            };
            out.push_str(&format!(
                "| `{name}` | {ty} | {range} | `{default}` | {doc} |\n"
            ));
        }
        out.push('\n');
    }
    out
}
