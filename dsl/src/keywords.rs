//! The words of the language, in one place: the grammar's keywords, the
//! statements' first keywords, SELECT's functions and SAMPLE's metrics.
//! Syntax-error hints ("did you mean DIAGNOSE?", "expected ...") and the
//! shell's Tab completion read these lists; a test checks them against
//! `grammar/valence.pest`.

/// Every keyword of the grammar, upper case: one per `kw_*` rule, in the
/// grammar's order (`kw_catalogue` also accepts CATALOG, `kw_catalogues`
/// CATALOGS).
pub const KEYWORDS: &[&str] = &[
    "LOAD",
    "IMPORT",
    "EXPORT",
    "GENERATE",
    "EXPLAIN",
    "COMPARE",
    "CHECK",
    "AGAINST",
    "DATABASE",
    "DETAIL",
    "DIAGNOSE",
    "SAMPLE",
    "SAMPLES",
    "SEED",
    "SPLIT",
    "SHOW",
    "DESCRIBE",
    "DROP",
    "IF",
    "EXISTS",
    "VERSIONS",
    "OF",
    "CATALOGUE",
    "CATALOGUES",
    "GRAPH",
    "GRAPHS",
    "DATASET",
    "DATASETS",
    "FROM",
    "TO",
    "FORMAT",
    "USING",
    "WITH",
    "TYPES",
    "LABEL",
    "COUNT",
    "WHERE",
    "AND",
    "IN",
    "FAVOUR",
    "FAVOR",
    "AVOID",
    "INTO",
    "SELECT",
    "AS",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "ASC",
    "DESC",
    "LIMIT",
    "OFFSET",
    "OR",
    "NOT",
    "IS",
    "NULL",
    "LIKE",
    "DISTINCT",
    "EVALUATIONS",
    "EVALUATION",
    "LEADERBOARD",
    "FOR",
    "TAG",
    "EVALUATE",
    "BASELINE",
    "ON",
];

/// The keywords a statement starts with (the first keyword of each
/// alternative of the grammar's `statement` rule, once each).
pub const STATEMENT_KEYWORDS: &[&str] = &[
    "LOAD", "IMPORT", "EXPORT", "GENERATE", "EXPLAIN", "COMPARE", "CHECK", "DIAGNOSE", "SAMPLE",
    "EVALUATE", "SHOW", "DESCRIBE", "DROP", "SELECT",
];

/// The strategies of `GENERATE ... USING` (words the grammar reads as an
/// `ident`, not keywords).
pub const STRATEGIES: &[&str] = &["BRUTE_FORCE", "CLUSTER"];

/// SELECT's functions (aggregates and CONTAINS).
pub const FUNCTIONS: &[&str] = &["COUNT", "SUM", "AVG", "MIN", "MAX", "CONTAINS"];

/// The fractions a SAMPLE `WHERE` condition bounds (always lower case).
pub const METRICS: &[&str] = &["pos_frac", "neg_frac"];

/// Keywords Tab does not offer: ASC and DESC (so `desc` completes to
/// DESCRIBE) and FAVOR (the alias of FAVOUR).
const NOT_COMPLETED: &[&str] = &["ASC", "DESC", "FAVOR"];

/// The words Tab completion offers: the keywords (but [`NOT_COMPLETED`]),
/// the strategies, the functions and the metrics.
pub fn completion_words() -> Vec<&'static str> {
    let mut w: Vec<&'static str> = KEYWORDS
        .iter()
        .chain(STRATEGIES)
        .chain(FUNCTIONS)
        .chain(METRICS)
        .copied()
        .filter(|k| !NOT_COMPLETED.contains(k))
        .collect();
    w.sort_unstable();
    w.dedup();
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grammar() -> String {
        let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../grammar/valence.pest");
        std::fs::read_to_string(p).unwrap()
    }

    /// `(name, body)` of every rule `name = ... { body }` of the grammar
    /// (a rule starts a line; its body ends at the matching brace).
    fn rules(g: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (at, line) in g
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .map(|i| (i, &g[i..]))
        {
            let Some((name, _)) = line.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let open = at + g[at..].find('{').unwrap();
            let (mut depth, mut in_str, mut close) = (0, false, open);
            for (i, c) in g[open..].char_indices() {
                match c {
                    '"' => in_str = !in_str,
                    '{' if !in_str => depth += 1,
                    '}' if !in_str => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    close = open + i;
                    break;
                }
            }
            out.push((name.to_string(), g[open + 1..close].to_string()));
        }
        out
    }

    #[test]
    fn keywords_are_exactly_the_grammars_kw_rules() {
        let g = grammar();
        let kw: Vec<(String, String)> = rules(&g)
            .into_iter()
            .filter(|(n, _)| n.starts_with("kw_") && n != "kw_end")
            .collect();
        assert!(kw.len() >= 50, "{} kw_ rules found", kw.len());
        let names: Vec<String> = kw
            .iter()
            .map(|(n, _)| n["kw_".len()..].to_ascii_uppercase())
            .collect();
        assert_eq!(
            KEYWORDS,
            names.as_slice(),
            "KEYWORDS != the grammar's kw_* rules"
        );
        for (name, body) in &kw {
            let word = name["kw_".len()..].to_string();
            assert!(
                body.contains(&format!("^\"{word}\"")),
                "{name} does not match {word}"
            );
        }
    }

    #[test]
    fn statement_keywords_start_the_statement_rules() {
        let all = rules(&grammar());
        let body = |n: &str| all.iter().find(|(r, _)| r == n).map(|(_, b)| b.clone());
        let statement = body("statement").unwrap();
        let mut first: Vec<String> = Vec::new();
        for alt in statement.split('|').map(str::trim) {
            let b = body(alt).unwrap_or_else(|| panic!("no rule {alt}"));
            let kw = b.split_whitespace().next().unwrap();
            let word = kw.strip_prefix("kw_").expect(alt).to_ascii_uppercase();
            if !first.contains(&word) {
                first.push(word);
            }
        }
        let mut want: Vec<&str> = STATEMENT_KEYWORDS.to_vec();
        let mut got: Vec<&str> = first.iter().map(String::as_str).collect();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want);
        for s in STRATEGIES {
            let text = format!("GENERATE GRAPH g FROM c USING {s};");
            assert!(crate::parse::parse_script(&text).is_ok(), "{s}");
        }
        assert!(crate::parse::parse_script("GENERATE GRAPH g FROM c USING FROB;").is_err());
    }

    #[test]
    fn completion_offers_keywords_but_not_asc_desc_favor() {
        let w = completion_words();
        for k in KEYWORDS.iter().filter(|k| !NOT_COMPLETED.contains(k)) {
            assert!(w.contains(k), "{k}");
        }
        for k in NOT_COMPLETED {
            assert!(!w.contains(k), "{k}");
        }
        for extra in ["BRUTE_FORCE", "SUM", "pos_frac"] {
            assert!(w.contains(&extra), "{extra}");
        }
    }
}
