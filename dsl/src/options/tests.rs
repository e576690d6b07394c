//! The option tables: setters and getters agree, the engine enforces the
//! ranges the tables document, unknown names get a "did you mean" from the
//! tables, `.help` lists them.

use std::sync::Arc;

use valence_engine::generate::{ClusterOptions, GenerateOptions, OptionError};
use valence_engine::{Ctx, Engine};

use super::*;
use crate::ast::{Literal, OptionKv, Span, Spanned};
use crate::exec::opts::Given;
use crate::options::render::{default_text, range_text};

/// Values of `kind` to try: its bounds, its words, both booleans.
fn samples(kind: Kind) -> Vec<OptValue> {
    match kind {
        Kind::Whole { min, max } => vec![
            OptValue::Whole(min),
            OptValue::Whole(min + 1),
            OptValue::Whole(max.min(u32::MAX as u64)),
        ],
        Kind::Number(Range::Within(lo, hi)) => vec![OptValue::Number(lo), OptValue::Number(hi)],
        Kind::Number(_) => vec![OptValue::Number(0.5), OptValue::Number(1.25)],
        Kind::Bool => vec![OptValue::Bool(true), OptValue::Bool(false)],
        Kind::Text => vec![OptValue::Text("a/b.csv".into())],
        Kind::Choice(c) => c
            .iter()
            .map(|(w, _)| OptValue::Text(w.to_string()))
            .collect(),
    }
}

fn round_trips<T: Default>(table: &[OptionDef<T>]) {
    for def in table {
        for v in samples(def.kind) {
            let mut t = T::default();
            (def.set)(&mut t, v.clone());
            assert_eq!((def.get)(&t), v, "option {}: set then get", def.name);
            // Only this option changed: every other entry reads its default.
            let d = T::default();
            for other in table.iter().filter(|o| o.name != def.name) {
                assert_eq!(
                    (other.get)(&t),
                    (other.get)(&d),
                    "{} set {}",
                    def.name,
                    other.name
                );
            }
        }
    }
}

#[test]
fn every_setter_writes_what_its_getter_reads() {
    round_trips(GENERATE);
    round_trips(CLUSTER);
    round_trips(SAMPLE);
    round_trips(EXPORT_DATASET);
}

#[test]
fn names_are_unique_per_statement_and_defaults_come_from_the_engine() {
    for s in WithStatement::ALL {
        let mut names = s.names();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "{} repeats a name", s.title());
    }
    let sample = WithStatement::Sample.options();
    let get = |n: &str| sample.iter().find(|o| o.name == n).unwrap().default.clone();
    assert_eq!(get("max_iters"), OptValue::Whole(5000));
    assert_eq!(get("soft_weight"), OptValue::Number(0.2));
    let cluster = WithStatement::GenerateCluster.options();
    let batch = cluster.iter().find(|o| o.name == "batch_size").unwrap();
    assert_eq!(default_text(&batch.default), "25");
    assert!(WithStatement::Diagnose.options().is_empty());
}

/// The option the engine's own check names, if it refuses.
fn refused<T>(check: impl Fn(&T) -> Result<(), OptionError>, t: &T) -> Option<&'static str> {
    check(t).err().map(|e| e.option)
}

/// For every bounded entry: the engine accepts the table's bounds and
/// refuses just outside them, naming the option (so the documented range is
/// the enforced one).
fn engine_agrees<T: Default>(
    table: &[OptionDef<T>],
    check: impl Fn(&T) -> Result<(), OptionError> + Copy,
) -> usize {
    let mut checked = 0;
    for def in table {
        let (inside, outside): (Vec<OptValue>, Vec<OptValue>) = match def.kind {
            Kind::Whole { min, max } => {
                let mut out = Vec::new();
                if min > 0 {
                    out.push(OptValue::Whole(min - 1));
                }
                if max < u32::MAX as u64 {
                    out.push(OptValue::Whole(max + 1));
                }
                (
                    vec![
                        OptValue::Whole(min),
                        OptValue::Whole(max.min(u32::MAX as u64)),
                    ],
                    out,
                )
            }
            Kind::Number(Range::Engine { lo, hi, open }) => {
                let mut inside = vec![OptValue::Number(lo + 0.25)];
                let mut out = vec![OptValue::Number(lo - 0.25)];
                if open {
                    out.push(OptValue::Number(lo));
                } else {
                    inside.push(OptValue::Number(lo));
                }
                if hi.is_finite() {
                    inside.push(OptValue::Number(hi));
                    out.push(OptValue::Number(hi + 0.25));
                }
                (inside, out)
            }
            _ => continue,
        };
        for v in inside {
            let mut t = T::default();
            (def.set)(&mut t, v.clone());
            assert_ne!(
                refused(check, &t),
                Some(def.name),
                "{} = {v:?} refused",
                def.name
            );
        }
        for v in outside {
            let mut t = T::default();
            (def.set)(&mut t, v.clone());
            assert_eq!(
                refused(check, &t),
                Some(def.name),
                "{} = {v:?} accepted",
                def.name
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn the_engine_enforces_the_ranges_the_generate_tables_document() {
    let n = engine_agrees(GENERATE, GenerateOptions::check);
    assert!(n >= 10, "only {n} bounds checked");
    let mut with_gen = 0;
    for def in GENERATE {
        // The shared options behave the same inside ClusterOptions.
        if let Kind::Whole { min, .. } = def.kind
            && min > 0
        {
            let mut c = ClusterOptions::default();
            (def.set)(&mut c.generate, OptValue::Whole(min - 1));
            assert_eq!(refused(ClusterOptions::check, &c), Some(def.name));
            with_gen += 1;
        }
    }
    assert!(with_gen >= 4);
    assert!(engine_agrees(CLUSTER, ClusterOptions::check) >= 4);
}

/// The tiny graph, in memory.
fn session() -> crate::Session {
    let e = Arc::new(Engine::in_memory().unwrap());
    let s = crate::Session::new(e);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data");
    let src = format!(
        "LOAD CATALOGUE c FROM '{root}/tiny_catalogue.csv';
         IMPORT GRAPH g FROM '{root}/tiny_edges.csv' CATALOGUE c;"
    );
    s.run_script(&src, &Ctx::default(), |_, _| true).unwrap();
    s
}

fn run(s: &crate::Session, src: &str) -> Result<(), crate::DslError> {
    s.run_script(src, &Ctx::default(), |_, _| true)
}

fn sample_with(option: &str, value: f64) -> String {
    format!(
        "SAMPLE 2 FROM g TYPES (brand [1,1], audience [1,1]) \
         LABEL a COUNT 1 WHERE pos_frac IN [0, 0.4] LABEL b COUNT 1 WHERE pos_frac IN [0.6, 1] \
         WITH (max_iters = 50, {option} = {value}) INTO d;"
    )
}

#[test]
fn sample_ranges_checked_by_the_engine_are_the_documented_ones() {
    let s = session();
    let mut checked = 0;
    for def in SAMPLE {
        let Kind::Number(Range::Engine { lo, hi, open }) = def.kind else {
            continue;
        };
        let mut inside = vec![if open { lo + 0.25 } else { lo }];
        if hi.is_finite() {
            inside.push(hi);
        }
        for v in inside {
            run(&s, &sample_with(def.name, v))
                .unwrap_or_else(|e| panic!("{} = {v} refused: {e}", def.name));
        }
        let mut outside = vec![lo - 0.25];
        if open {
            outside.push(lo);
        }
        if hi.is_finite() {
            outside.push(hi + 0.25);
        }
        for v in outside {
            let e = run(&s, &sample_with(def.name, v)).unwrap_err();
            assert!(e.message.contains(def.name), "{} = {v}: {e}", def.name);
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked}");
}

fn kv(name: &str, value: Literal) -> OptionKv {
    let span = Span {
        start: 10,
        end: 12,
        line: 1,
        col: 11,
    };
    OptionKv {
        key: Spanned {
            node: name.to_string(),
            span: Span::default(),
        },
        value: Spanned { node: value, span },
    }
}

/// A typo of `name`: its last letter doubled.
fn typo(name: &str) -> String {
    format!("{name}{}", name.chars().last().unwrap())
}

#[test]
fn unknown_names_get_the_closest_name_of_the_statements_table() {
    for s in WithStatement::ALL {
        let names = s.names();
        for n in &names {
            let given = [kv(&typo(n), Literal::Int(1))];
            let e = Given::new(&given, s).err().expect("unknown name accepted");
            assert_eq!(e.message, format!("unknown option '{}'", typo(n)));
            let hint = e.hint_text().unwrap();
            assert!(hint.contains(&format!("did you mean `{n}`?")), "{hint}");
            assert!(hint.contains(&names.join(", ")), "{hint}");
        }
        let given = [kv("zzzzzzzzzzzz", Literal::Int(1))];
        let e = Given::new(&given, s).err().unwrap();
        assert!(!e.hint_text().unwrap().contains("did you mean"));
    }
    // A BRUTE_FORCE statement does not take CLUSTER's options.
    let given = [kv("umap_dims", Literal::Int(3))];
    assert!(Given::new(&given, WithStatement::GenerateBruteForce).is_err());
    assert!(Given::new(&given, WithStatement::GenerateCluster).is_ok());
    let e = Given::new(&given, WithStatement::Diagnose).err().unwrap();
    assert!(
        e.hint_text()
            .unwrap()
            .contains("DIAGNOSE accepts no options")
    );
}

#[test]
fn values_are_checked_by_kind_with_the_caret_on_the_value() {
    let twice = [kv("seed", Literal::Int(1)), kv("seed", Literal::Int(2))];
    let e = Given::new(&twice, WithStatement::Sample).err().unwrap();
    assert!(e.message.contains("given twice"), "{e}");
    let cases: [(&str, Literal, &str); 7] = [
        (
            "timeout_s",
            Literal::Float(f64::INFINITY),
            "takes a finite number",
        ),
        (
            "batch_size",
            Literal::Int(0),
            "option 'batch_size' takes a whole number >= 1",
        ),
        (
            "workers",
            Literal::Int(2000),
            "takes a whole number from 1 to 1024",
        ),
        (
            "allow_failed",
            Literal::Str("x".into()),
            "takes true or false",
        ),
        ("temperature", Literal::Bool(true), "takes a number"),
        ("model", Literal::Int(3), "takes a string"),
        (
            "backend",
            Literal::Str("claude".into()),
            "unknown backend 'claude'",
        ),
    ];
    for (name, lit, want) in cases {
        let given = [kv(name, lit)];
        let g = Given::new(&given, WithStatement::GenerateBruteForce).unwrap();
        let mut o = GenerateOptions::default();
        let e = g.apply(GENERATE, &mut o).expect_err(name);
        assert!(e.message.contains(want), "{name}: {}", e.message);
        assert_eq!(
            e.span.map(|s| s.col),
            Some(11),
            "{name}: caret on the value"
        );
    }
    let given = [kv("backend", Literal::Ident("OpenAI".into()))];
    let mut o = GenerateOptions::default();
    Given::new(&given, WithStatement::GenerateBruteForce)
        .unwrap()
        .apply(GENERATE, &mut o)
        .unwrap();
    assert_eq!(o.backend, valence_engine::generate::BackendKind::OpenAi);
    let given = [kv("inherit_pos", Literal::Float(10.5))];
    let mut c = ClusterOptions::default();
    let e = Given::new(&given, WithStatement::GenerateCluster)
        .unwrap()
        .apply(CLUSTER, &mut c)
        .err()
        .unwrap();
    assert_eq!(e.message, "option 'inherit_pos' = 10.5 is outside [0, 10]");
}

#[test]
fn help_lists_every_option_with_its_default() {
    assert_eq!(
        help_topics(),
        vec!["GENERATE", "DIAGNOSE", "SAMPLE", "EXPORT"]
    );
    for s in WithStatement::ALL {
        let text = help(&s.keyword().to_lowercase()).unwrap();
        assert!(text.contains(s.title()), "{text}");
        for o in s.options() {
            let line = text
                .lines()
                .find(|l| l.split_whitespace().next() == Some(o.name))
                .unwrap_or_else(|| panic!("{} missing from .help {}", o.name, s.keyword()));
            let default = format!("default {}", default_text(&o.default));
            assert!(line.contains(&default), "{line}");
            assert!(line.contains(o.doc), "{line}");
            assert!(line.contains(&range_text(&o.kind)), "{line}");
        }
    }
    assert!(help("DIAGNOSE").unwrap().contains("takes no WITH options"));
    assert_eq!(help("FROBNICATE"), None);
}
