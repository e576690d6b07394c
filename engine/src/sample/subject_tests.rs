//! Every SAMPLE and DIAGNOSE refusal carries a stable code and the part of
//! the statement at fault (what the DSL places its caret under).

use super::*;
use crate::{Clause, Code, ErrorKind, GraphBuilder, Sign, Subject, diagnose};

/// Two modalities: `brand` with 3 nodes, `geo` with 2, every pair +.
fn graph() -> SignedGraph {
    let mut b = GraphBuilder::new();
    let brands: Vec<_> = (0..3)
        .map(|i| b.add_node("brand", &format!("b{i}")))
        .collect();
    let geos: Vec<_> = (0..2)
        .map(|i| b.add_node("geo", &format!("g{i}")))
        .collect();
    for &x in &brands {
        for &y in &geos {
            b.add_edge(x, y, Sign::Pos).unwrap();
        }
    }
    b.build()
}

fn spec(labels: Vec<LabelSpec>) -> SampleSpec {
    SampleSpec {
        total: labels.iter().map(|l| l.count).sum(),
        types: vec![TypeQuota::new("brand", 1, 1), TypeQuota::new("geo", 1, 1)],
        labels,
        favour: Vec::new(),
        avoid: Vec::new(),
        options: SampleOptions::default(),
    }
}

fn code_and_subject(e: &Error) -> (&'static str, Option<Subject>) {
    (e.code(), e.subject())
}

fn label(n: &str) -> Option<Subject> {
    Some(Subject::Label(n.into()))
}

fn modality(n: &str) -> Option<Subject> {
    Some(Subject::Modality(n.into()))
}

fn option(n: &str) -> Option<Subject> {
    Some(Subject::Option(n.into()))
}

#[test]
fn label_refusals_name_the_label() {
    let twice = spec(vec![LabelSpec::new("a", 1), LabelSpec::new("a", 1)]);
    let e = twice.validate().unwrap_err();
    assert_eq!(code_and_subject(&e), ("duplicate_label", label("a")));
    assert_eq!(e.kind(), ErrorKind::Invalid);

    let outside = spec(vec![LabelSpec::new("x", 1).pos(0.5, 1.5)]);
    let e = outside.validate().unwrap_err();
    assert_eq!(code_and_subject(&e), ("bad_range", label("x")));

    let empty = spec(vec![LabelSpec::new("y", 1).pos(0.7, 1.0).neg(0.5, 1.0)]);
    let e = empty.validate().unwrap_err();
    assert_eq!(code_and_subject(&e), ("empty_box", label("y")));

    // Two labels with the same box: the second has no room.
    let same = spec(vec![
        LabelSpec::new("p", 1).pos(0.0, 1.0),
        LabelSpec::new("q", 1).pos(0.0, 1.0),
    ]);
    let e = same.validate().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Sample);
    assert_eq!(e.code(), "label_no_room");
    assert!(matches!(e.subject(), Some(Subject::Label(_))), "{e}");

    // Every edge is +: a row cannot have neg_frac >= 0.5.
    let g = graph();
    let mut never = spec(vec![LabelSpec::new("neg", 2).neg(0.5, 1.0)]);
    never.options.max_iters = 20;
    never.options.retries = 0;
    let e = sample(&g, &never, &Ctx::default()).unwrap_err();
    assert_eq!(code_and_subject(&e), ("label_unfillable", label("neg")));

    // 3 brands × 2 geos = 6 distinct rows; 7 cannot be distinct.
    let many = spec(vec![LabelSpec::new("all", 7)]);
    let e = sample(&g, &many, &Ctx::default()).unwrap_err();
    assert_eq!(code_and_subject(&e), ("label_not_distinct", label("all")));
}

#[test]
fn types_refusals_name_the_modality() {
    let g = graph();
    let mut s = spec(vec![LabelSpec::new("a", 1)]);
    s.types.push(TypeQuota::new("brand", 1, 1));
    let e = s.validate().unwrap_err();
    assert_eq!(
        code_and_subject(&e),
        ("duplicate_modality", modality("brand"))
    );

    let mut s = spec(vec![LabelSpec::new("a", 1)]);
    s.types[1] = TypeQuota::new("channel", 1, 1);
    let e = sample(&g, &s, &Ctx::default()).unwrap_err();
    assert_eq!(
        code_and_subject(&e),
        ("unknown_modality", modality("channel"))
    );

    let mut s = spec(vec![LabelSpec::new("a", 1)]);
    s.types[0] = TypeQuota::new("brand", 1, 4);
    let e = sample(&g, &s, &Ctx::default()).unwrap_err();
    assert_eq!(code_and_subject(&e), ("too_few_nodes", modality("brand")));

    let mut s = spec(vec![LabelSpec::new("a", 1)]);
    s.favour.push(("brand".into(), "audience".into()));
    let e = s.validate().unwrap_err();
    assert_eq!(
        code_and_subject(&e),
        ("unknown_modality", modality("audience"))
    );
    s.favour = vec![("geo".into(), "geo".into())];
    assert_eq!(
        code_and_subject(&s.validate().unwrap_err()),
        ("bad_pair", None)
    );

    let e = diagnose(&g, &[TypeQuota::new("nope", 1, 1)], 10, 0, &Ctx::default()).unwrap_err();
    assert_eq!(code_and_subject(&e), ("unknown_modality", modality("nope")));
}

#[test]
fn option_and_clause_refusals_name_them() {
    let two = || {
        spec(vec![
            LabelSpec::new("a", 1).pos(0.0, 0.4),
            LabelSpec::new("b", 1).pos(0.5, 1.0),
        ])
    };
    type Set = fn(&mut SampleOptions);
    let cases: [(&str, Set); 5] = [
        ("max_iters", |o| o.max_iters = 0),
        ("proposals_per_step", |o| o.proposals_per_step = 0),
        ("end_temp", |o| o.end_temp = 0.0),
        ("noise", |o| o.noise = 2.0),
        ("soft_weight", |o| o.soft_weight = -1.0),
    ];
    for (name, set) in cases {
        let mut s = two();
        set(&mut s.options);
        let e = s.validate().unwrap_err();
        assert_eq!(code_and_subject(&e), ("bad_option", option(name)), "{e}");
    }
    let mut one = spec(vec![LabelSpec::new("a", 2)]);
    one.options.noise = 0.5;
    let e = one.validate().unwrap_err();
    assert_eq!(code_and_subject(&e), ("bad_option", option("noise")));

    let mut off = spec(vec![LabelSpec::new("a", 2)]);
    off.total = 3;
    assert_eq!(
        code_and_subject(&off.validate().unwrap_err()),
        ("count_mismatch", None)
    );

    let e = diagnose(&graph(), &spec(vec![]).types, 0, 0, &Ctx::default()).unwrap_err();
    assert_eq!(
        code_and_subject(&e),
        ("bad_clause", Some(Subject::Clause(Clause::Samples)))
    );
    assert!(Code::ALL.iter().any(|c| c.as_str() == e.code()));
}
