//! Stable fuzzing (proptest, seeded): the DSL parser, the catalogue and edge
//! CSV readers and the LLM reply parsers must never panic nor hang on any
//! input, and what they accept must respect the documented limits.
//!
//! CI runs a bounded number of cases with a fixed seed (a failure reproduces
//! exactly). A longer local run:
//! `VALENCE_FUZZ_CASES=20000 VALENCE_FUZZ_SEED=$RANDOM cargo test --release --test tests fuzz::`

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use valence_engine::llm::parse_signs;
use valence_engine::llm::{parse_descriptions, parse_labels, parse_scores};
use valence_engine::{Catalogue, read_edges_csv};

/// Cases per target (env `VALENCE_FUZZ_CASES`, default 300).
fn config() -> Config {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: env("VALENCE_FUZZ_CASES").unwrap_or(300) as u32,
        rng_seed: RngSeed::Fixed(env("VALENCE_FUZZ_SEED").unwrap_or(15)),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Fails on a hang: one input must be handled within 5 s.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t0 = Instant::now();
    let out = f();
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "{what} took {:?}",
        t0.elapsed()
    );
    out
}

const STATEMENTS: &[&str] = &[
    "LOAD CATALOGUE small FROM 'fixtures/small/catalogue.csv';",
    "IMPORT GRAPH ref FROM 'fixtures/small/edges.csv' CATALOGUE small;",
    "EXPORT GRAPH ref@1 TO 'out/e.csv' FORMAT graphml;",
    "GENERATE GRAPH g FROM small USING BRUTE_FORCE WITH (backend = 'oracle', reference = 'x.csv', batch_size = 25);",
    "EXPLAIN GENERATE GRAPH g FROM small USING CLUSTER WITH (pos_threshold = 6.5);",
    "COMPARE GRAPH a WITH b DETAIL;",
    "CHECK GRAPH g AGAINST 'expect.csv';",
    "CHECK DATABASE;",
    "DIAGNOSE ref TYPES (brand [1,1], audience [2,4]) SAMPLES 400 SEED 7;",
    "SAMPLE 30 FROM ref TYPES (brand [1,1], audience [1,2]) LABEL pos COUNT 10 WHERE pos_frac IN [0.2, 1.0] AND neg_frac IN [0, 0.3] LABEL neg COUNT 20 WHERE neg_frac IN [0.2, 1] FAVOUR (brand, audience) AVOID (geo, audience) WITH (seed = 42) INTO ds;",
    "EXPORT DATASET ds TO 'out/d.jsonl';",
    "SHOW VERSIONS OF GRAPH ref; SHOW DATASETS; DESCRIBE CATALOGUE small@1;",
    "DROP GRAPH IF EXISTS g@2; -- comment\n",
];

const PIECES: &[&str] = &[
    "'",
    "''",
    ";",
    "(",
    ")",
    "[",
    "]",
    ",",
    "@",
    "--",
    "\n",
    "=",
    "1e308",
    "-1",
    "99999999999999999999",
    " GRAPH ",
    " WITH ",
    " LABEL ",
    " IN ",
    "é",
    "\u{0}",
    "\u{feff}",
    "0.5",
    " AND ",
];

/// A valid statement with random edits: deletions, insertions of syntax
/// pieces, duplicated slices.
fn mutated_statement() -> impl Strategy<Value = String> {
    let edits = prop::collection::vec(
        (0usize..4, any::<prop::sample::Index>(), 0..PIECES.len()),
        0..6,
    );
    (0..STATEMENTS.len(), edits).prop_map(|(i, edits)| {
        let mut s: Vec<char> = STATEMENTS[i].chars().collect();
        for (op, at, piece) in edits {
            let pos = at.index(s.len() + 1);
            match op {
                0 if pos < s.len() => {
                    s.remove(pos);
                }
                1 => {
                    for (k, c) in PIECES[piece].chars().enumerate() {
                        s.insert(pos + k, c);
                    }
                }
                2 if pos < s.len() => {
                    let end = (pos + 12).min(s.len());
                    let dup: Vec<char> = s[pos..end].to_vec();
                    for (k, c) in dup.into_iter().enumerate() {
                        s.insert(end + k, c);
                    }
                }
                _ => s.truncate(pos),
            }
        }
        s.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn dsl_parser_never_panics(src in prop_oneof![mutated_statement(), any::<String>()]) {
        let _ = timed("parse_script", || valence::parse_script(&src));
        let _ = timed("is_complete", || valence::is_complete(&src));
    }
}

const FIELDS: &[&str] = &[
    "brand",
    "audience",
    "Nike",
    "Athletes",
    "brand_to_audience",
    "audience_to_brand",
    "+",
    "-",
    "0",
    "",
    " ",
    "\"",
    "\"\"",
    "\"Ro,lex\"",
    "\"open",
    "x\"y",
    "\r",
    "é",
    "\u{feff}modality",
    "value",
    "source",
    "target",
    "rel",
    "sign",
    "description",
    "a_to_b_to_c",
    "_to_",
];

/// CSV-like text: a header and rows of fields drawn from `FIELDS`, joined
/// with commas and line breaks (some missing, some doubled).
fn csv_text() -> impl Strategy<Value = Vec<u8>> {
    let row = prop::collection::vec(0..FIELDS.len(), 0..6)
        .prop_map(|ix| ix.iter().map(|&i| FIELDS[i]).collect::<Vec<_>>().join(","));
    let header = prop_oneof![
        Just("modality,value,description".to_string()),
        Just("source,target,rel,sign".to_string()),
        row.clone(),
    ];
    (header, prop::collection::vec(row, 0..12), prop::bool::ANY).prop_map(|(h, rows, crlf)| {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut s = h;
        for r in rows {
            s.push_str(nl);
            s.push_str(&r);
        }
        s.into_bytes()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn csv_readers_never_panic(bytes in prop_oneof![csv_text(), any::<Vec<u8>>()]) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.csv");
        std::fs::write(&p, &bytes).unwrap();
        let cat = timed("Catalogue::from_csv", || Catalogue::from_csv(&p));
        if let Ok(c) = &cat {
            for a in c.attributes() {
                prop_assert!(!a.value.contains('\n') && !a.value.is_empty());
                prop_assert!(a.value.len() <= 64 * 1024);
                // No control character but tab: GraphML can carry every value.
                let control = |c: char| (c < ' ' && c != '\t') || c == '\x7f';
                prop_assert!(!a.value.chars().any(control), "{:?}", a.value);
            }
            for m in c.modalities() {
                prop_assert!(!valence_engine::dataset_columns::RESERVED.contains(&m.as_str()));
            }
        }
        let _ = timed("read_edges_csv", || read_edges_csv(&p, None));
        if let Ok(c) = &cat {
            let _ = timed("read_edges_csv+catalogue", || read_edges_csv(&p, Some(c)));
        }
    }
}

const REPLY_PIECES: &[&str] = &[
    "{",
    "}",
    "\"1\"",
    "\"2\"",
    ":",
    ",",
    "\"+\"",
    "\"-\"",
    "\"0\"",
    "```json",
    "```",
    "[",
    "]",
    "\"label\"",
    "\"score\"",
    "7.5",
    "null",
    "\"description\"",
    "positive",
    "1e999",
    "-0",
    "\"cluster_1\"",
    "\n",
    "\\u0000",
    "\"",
];

fn reply_text() -> impl Strategy<Value = String> {
    prop::collection::vec(0..REPLY_PIECES.len(), 0..40)
        .prop_map(|ix| ix.iter().map(|&i| REPLY_PIECES[i]).collect::<String>())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reply_parsers_never_panic(
        text in prop_oneof![reply_text(), any::<String>()],
        n in 0usize..30,
        batched in prop::bool::ANY,
    ) {
        if let Ok(signs) = timed("parse_signs", || parse_signs(&text, n)) {
            prop_assert_eq!(signs.len(), n);
        }
        if let Ok(scores) = timed("parse_scores", || parse_scores(&text, n)) {
            prop_assert_eq!(scores.len(), n);
        }
        let _ = timed("parse_labels", || parse_labels(&text, n));
        let _ = timed("parse_descriptions", || parse_descriptions(&text, n, batched));
    }
}
