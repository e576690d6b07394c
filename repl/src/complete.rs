//! Tab completion in the interactive shell: keywords, dot-commands, and the
//! names of stored catalogues, graphs and datasets.

use valence::{Database, Kind};

/// Keywords of the language (completed in the case the user started typing).
const KEYWORDS: &[&str] = &[
    "AGAINST",
    "AND",
    "AVOID",
    "BRUTE_FORCE",
    "CATALOGUE",
    "CATALOGUES",
    "CHECK",
    "CLUSTER",
    "COMPARE",
    "COUNT",
    "DATASET",
    "DATASETS",
    "DESCRIBE",
    "DETAIL",
    "DIAGNOSE",
    "DROP",
    "EXISTS",
    "EXPLAIN",
    "EXPORT",
    "FAVOUR",
    "FORMAT",
    "FROM",
    "GENERATE",
    "GRAPH",
    "GRAPHS",
    "IF",
    "IMPORT",
    "IN",
    "INTO",
    "LABEL",
    "LOAD",
    "OF",
    "SAMPLE",
    "SAMPLES",
    "SEED",
    "SHOW",
    "SPLIT",
    "TO",
    "TYPES",
    "USING",
    "VERSIONS",
    "WHERE",
    "WITH",
    "pos_frac",
    "neg_frac",
];

const DOT_COMMANDS: &[&str] = &[".help", ".quit", ".read", ".mode", ".timer", ".output"];

/// Start of the word ending at `pos`.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '@'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0)
}

/// The candidates for the word before `pos`: (start of the word, completions).
pub fn candidates(db: Option<&Database>, line: &str, pos: usize) -> (usize, Vec<String>) {
    let start = word_start(line, pos);
    let word = &line[start..pos];
    if word.starts_with('.') {
        let c = DOT_COMMANDS
            .iter()
            .filter(|d| d.starts_with(word))
            .map(|d| d.to_string())
            .collect();
        return (start, c);
    }
    let lower = word.to_ascii_lowercase();
    let upper_case = word.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    // An empty word completes to stored names only, not to every keyword.
    let mut out: Vec<String> = KEYWORDS
        .iter()
        .filter(|k| !word.is_empty() && k.to_ascii_lowercase().starts_with(&lower))
        .map(|k| {
            // pos_frac / neg_frac are always lower case.
            if upper_case || k.contains("_frac") {
                k.to_string()
            } else {
                k.to_ascii_lowercase()
            }
        })
        .collect();
    if let Some(db) = db {
        for kind in [Kind::Catalogue, Kind::Graph, Kind::Dataset] {
            if let Ok(list) = db.engine().list(kind) {
                out.extend(
                    list.into_iter()
                        .map(|o| o.name)
                        .filter(|n| n.starts_with(word)),
                );
            }
        }
    }
    out.sort();
    out.dedup();
    (start, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_keywords_in_the_typed_case() {
        let (s, c) = candidates(None, "SHOW GRA", 8);
        assert_eq!(s, 5);
        assert_eq!(c, vec!["GRAPH", "GRAPHS"]);
        let (_, c) = candidates(None, "desc", 4);
        assert_eq!(c, vec!["describe"]);
        let (_, c) = candidates(None, "WHERE pos", 9);
        assert_eq!(c, vec!["pos_frac"]);
    }

    #[test]
    fn completes_dot_commands_and_names() {
        let (_, c) = candidates(None, ".ti", 3);
        assert_eq!(c, vec![".timer"]);
        let db = Database::in_memory().unwrap();
        db.execute("LOAD CATALOGUE retail FROM '../tests/data/tiny_catalogue.csv';")
            .unwrap();
        let (s, c) = candidates(Some(&db), "DESCRIBE CATALOGUE ret", 22);
        assert_eq!(s, 19);
        assert_eq!(c, vec!["retail"]);
        let (_, c) = candidates(Some(&db), "DESCRIBE CATALOGUE ", 19);
        assert_eq!(c, vec!["retail"]);
        let (_, c) = candidates(None, "SHOW ", 5);
        assert!(c.is_empty());
    }
}
