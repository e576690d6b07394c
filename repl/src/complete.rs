//! Tab completion in the interactive shell: keywords, dot-commands, the
//! names of stored catalogues, graphs and datasets, file paths inside
//! quotes, modality names inside `TYPES (...)`, option names inside
//! `WITH (...)` (from the statement's option table), and in a `SELECT` the
//! table functions and their columns.

use valence::{Database, Kind};
use valence_dsl::options::WithStatement;

/// In a SELECT: the table functions (`nodes(`), and the columns of the one
/// the line reads (all of them before FROM), plus a dataset's modality
/// columns for `rows(ds)`.
fn select_words(db: Option<&Database>, line: &str) -> Vec<String> {
    let lower = line.to_ascii_lowercase();
    if !lower.trim_start().starts_with("select") {
        return Vec::new();
    }
    let mut out: Vec<String> = valence::TABLE_FUNCTIONS
        .iter()
        .map(|f| format!("{}(", f.name))
        .collect();
    let used: Vec<_> = valence::TABLE_FUNCTIONS
        .iter()
        .filter(|f| lower.contains(&format!("{}(", f.name)))
        .collect();
    let fns = if used.is_empty() {
        valence::TABLE_FUNCTIONS.iter().collect()
    } else {
        used
    };
    for f in fns {
        out.extend(f.columns.iter().map(|(c, _)| c.to_string()));
        if f.name == "rows"
            && let Some(db) = db
            && let Some(arg) = lower.split("rows(").nth(1)
        {
            let raw = &line[line.len() - arg.len()..];
            let r = raw.split([')', ',']).next().unwrap_or("").trim();
            if let Ok(ds) = db.dataset(r) {
                out.extend(ds.modalities().iter().cloned());
            }
        }
    }
    out
}

const DOT_COMMANDS: &[&str] = &[
    ".exit", ".help", ".quit", ".read", ".mode", ".timer", ".output",
];

/// Start of the word ending at `pos`.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '@'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0)
}

/// Byte offset just after an unclosed `'` before `pos` (`''` is an escaped
/// quote), or `None` outside a string.
fn open_quote(line: &str, pos: usize) -> Option<usize> {
    let mut open = None;
    for (i, c) in line[..pos].char_indices() {
        if c == '\'' {
            open = match open {
                None => Some(i + 1),
                Some(_) => None,
            };
        }
    }
    open
}

/// Paths starting with `typed` (relative to the current directory);
/// directories end with `/`.
fn paths(typed: &str) -> Vec<String> {
    let (dir, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let Ok(entries) = std::fs::read_dir(if dir.is_empty() { "." } else { dir }) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    out.sort();
    out
}

/// Inside `TYPES (` … `)`: the graph (or catalogue) the statement names
/// after FROM or DIAGNOSE, if any.
fn in_types(before: &str) -> Option<Option<String>> {
    let upper = before.to_ascii_uppercase();
    let t = upper.rfind("TYPES")?;
    let rest = &before[t + 5..];
    let closed = rest
        .rfind(')')
        .is_some_and(|c| rest.rfind('(').is_none_or(|o| c > o));
    if !rest.trim_start().starts_with('(') || closed {
        return None;
    }
    let words: Vec<&str> = before[..t].split_whitespace().collect();
    let source = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("FROM") || w.eq_ignore_ascii_case("DIAGNOSE"))
        .and_then(|i| words.get(i + 1))
        .map(|w| w.to_string());
    Some(source)
}

/// At an option name inside `WITH (` … `)` (just after `(` or `,`): the
/// statement whose options those are.
fn in_with(before: &str) -> Option<WithStatement> {
    let open = before.rfind('(')?;
    let after = &before[open + 1..];
    if after.contains(')') || !after.rsplit(',').next()?.trim().is_empty() {
        return None;
    }
    let words: Vec<String> = before[..open]
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    if words.last().map(String::as_str) != Some("WITH") {
        return None;
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    let first = words.iter().find(|w| *w != "EXPLAIN")?;
    match first.as_str() {
        "GENERATE" if has("CLUSTER") => Some(WithStatement::GenerateCluster),
        "GENERATE" => Some(WithStatement::GenerateBruteForce),
        "SAMPLE" => Some(WithStatement::Sample),
        "DIAGNOSE" => Some(WithStatement::Diagnose),
        "EXPORT" if has("DATASET") => Some(WithStatement::ExportDataset),
        _ => None,
    }
}

/// Modality names of the named graph, or of every stored graph and catalogue.
fn modalities(db: &Database, source: Option<&str>) -> Vec<String> {
    if let Some(g) = source.and_then(|s| db.graph(s).ok()) {
        return g.modalities().to_vec();
    }
    let mut out = Vec::new();
    let e = db.engine();
    for (kind, is_graph) in [(Kind::Graph, true), (Kind::Catalogue, false)] {
        for o in e.list(kind).unwrap_or_default() {
            if is_graph {
                if let Ok(g) = db.graph(&o.name) {
                    out.extend(g.modalities().iter().cloned());
                }
            } else if let Ok(c) = db.catalogue(&o.name) {
                out.extend(c.modalities().iter().cloned());
            }
        }
    }
    out
}

/// The candidates for the word before `pos`: (start of the word, completions).
pub fn candidates(db: Option<&Database>, line: &str, pos: usize) -> (usize, Vec<String>) {
    if let Some(q) = open_quote(line, pos) {
        return (q, paths(&line[q..pos]));
    }
    let start = word_start(line, pos);
    if let (Some(db), Some(source)) = (db, in_types(&line[..start])) {
        let word = &line[start..pos];
        let mut c: Vec<String> = modalities(db, source.as_deref())
            .into_iter()
            .filter(|m| m.starts_with(word))
            .collect();
        c.sort();
        c.dedup();
        return (start, c);
    }
    let word = &line[start..pos];
    if let Some(stmt) = in_with(&line[..start]) {
        let mut c: Vec<String> = stmt
            .names()
            .into_iter()
            .filter(|n| n.starts_with(word))
            .map(str::to_string)
            .collect();
        c.sort();
        return (start, c);
    }
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
    let mut out: Vec<String> = valence_dsl::keywords::completion_words()
        .into_iter()
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
    out.extend(
        select_words(db, &line[..pos])
            .into_iter()
            .filter(|w| !word.is_empty() && w.starts_with(word)),
    );
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

    #[test]
    fn completes_paths_inside_quotes() {
        let line = "LOAD CATALOGUE c FROM '../tests/data/tiny_c";
        let (s, c) = candidates(None, line, line.len());
        assert_eq!(s, 23);
        assert_eq!(c, vec!["../tests/data/tiny_catalogue.csv"]);
        let line = "IMPORT GRAPH g FROM '../tests/da";
        let (_, c) = candidates(None, line, line.len());
        assert_eq!(c, vec!["../tests/data/", "../tests/dataset_check.rs"]);
        // A closed string is not completed as a path.
        let line = "LOAD CATALOGUE c FROM 'x.csv' CATA";
        let (_, c) = candidates(None, line, line.len());
        assert_eq!(c, vec!["CATALOGUE", "CATALOGUES"]);
    }

    #[test]
    fn completes_table_functions_and_their_columns_in_select() {
        let line = "SELECT * FROM nei";
        let (_, c) = candidates(None, line, line.len());
        assert_eq!(c, vec!["neighbours("]);
        let line = "SELECT * FROM nodes(g) WHERE neg";
        let (_, c) = candidates(None, line, line.len());
        // neg_frac is a keyword (SAMPLE's WHERE).
        assert_eq!(c, vec!["neg_degree", "neg_frac"]);
        // Only the columns of the table the line reads.
        let line = "SELECT * FROM edges(g) WHERE so";
        let (_, c) = candidates(None, line, line.len());
        assert_eq!(c, vec!["source", "source_modality"]);
        let line = "SELECT * FROM edges(g) WHERE va";
        let (_, c) = candidates(None, line, line.len());
        assert!(c.is_empty(), "edges has no value column: {c:?}");
        // Outside SELECT, no columns.
        let (_, c) = candidates(None, "SHOW sou", 8);
        assert!(c.is_empty());
        let db = Database::in_memory().unwrap();
        db.execute(
            "LOAD CATALOGUE retail FROM '../tests/data/tiny_catalogue.csv';
             IMPORT GRAPH g FROM '../tests/data/tiny_edges.csv' CATALOGUE retail;
             SAMPLE 4 FROM g TYPES (brand [1,1], audience [1,1]) WHERE pos_frac IN [0, 1]
               WITH (seed = 1) INTO ds;",
        )
        .unwrap();
        let line = "SELECT au";
        let (_, c) = candidates(Some(&db), "SELECT row FROM rows(ds) WHERE CONTAINS(au", 42);
        assert_eq!(c, vec!["audience"]);
        let (_, c) = candidates(Some(&db), line, line.len());
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn completes_option_names_inside_with_from_the_tables() {
        let line = "SAMPLE 10 FROM g TYPES (a [1,1]) WHERE pos_frac IN [0, 1] WITH (se";
        let (s, c) = candidates(None, line, line.len());
        assert_eq!(s, line.len() - 2);
        assert_eq!(c, vec!["seed"]);
        // After a comma, every option of the statement's table.
        let line = "EXPORT DATASET d TO 'x.csv' WITH (fractions = true, ";
        let (_, c) = candidates(None, line, line.len());
        assert_eq!(c, vec!["clean_label", "fractions"]);
        // BRUTE_FORCE does not offer CLUSTER's options; CLUSTER offers both.
        let bf = "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (reference = 'e.csv', ";
        let (_, c) = candidates(None, bf, bf.len());
        let mut names = WithStatement::GenerateBruteForce.names();
        names.sort();
        assert_eq!(c, names);
        let cl = "explain generate graph g from c using cluster with (umap";
        let (_, c) = candidates(None, cl, cl.len());
        assert_eq!(c, vec!["umap_dims", "umap_threshold"]);
        let (_, c) = candidates(None, &cl.replace("cluster", "brute_force"), cl.len() + 4);
        assert!(c.is_empty(), "{c:?}");
        // Not at a name: after `=`, after `)`, or COMPARE's WITH.
        let line = "SAMPLE 1 FROM g TYPES (a [1,1]) WITH (seed = 4";
        assert!(candidates(None, line, line.len()).1.is_empty());
        let line = "SAMPLE 1 FROM g TYPES (a [1,1]) WITH (seed = 4) IN";
        assert_eq!(candidates(None, line, line.len()).1, vec!["IN", "INTO"]);
        // COMPARE's WITH names a graph: no option names (the keyword
        // BASELINE may still complete).
        let line = "COMPARE GRAPH a WITH ba";
        let (_, c) = candidates(None, line, line.len());
        assert!(
            !["backend", "batch_size", "backoff_ms"]
                .iter()
                .any(|o| c.iter().any(|x| x == o)),
            "{c:?}"
        );
        let line = "DIAGNOSE g TYPES (a [1,1]) WITH (";
        assert!(candidates(None, line, line.len()).1.is_empty());
    }

    #[test]
    fn completes_modalities_inside_types() {
        let db = Database::in_memory().unwrap();
        db.execute(
            "LOAD CATALOGUE retail FROM '../tests/data/tiny_catalogue.csv';
             IMPORT GRAPH g FROM '../tests/data/tiny_edges.csv' CATALOGUE retail;",
        )
        .unwrap();
        let line = "DIAGNOSE g TYPES (brand [1,1], au";
        let (s, c) = candidates(Some(&db), line, line.len());
        assert_eq!(s, line.len() - 2);
        assert_eq!(c, vec!["audience"]);
        let line = "SAMPLE 10 FROM g TYPES (";
        let (_, c) = candidates(Some(&db), line, line.len());
        assert_eq!(c, vec!["audience", "brand", "platform"]);
        // After the closing parenthesis, keywords again.
        let line = "DIAGNOSE g TYPES (brand [1,1]) SAM";
        let (_, c) = candidates(Some(&db), line, line.len());
        assert_eq!(c, vec!["SAMPLE", "SAMPLES"]);
    }
}
