//! SAMPLE on the fixture shapes (`valence_synth`): DIAGNOSE's suggested boxes
//! fill 100%, and every row checks out against the generator's own edge list
//! (recounted here, not with engine code). Moved out of the engine's unit
//! tests so the engine does not depend on the generator.

use std::collections::{HashMap, HashSet};

use valence_engine::{
    Ctx, Dataset, LabelSpec, SampleOptions, SampleSpec, TypeQuota, diagnose, sample,
};
use valence_synth::{self as synth, SynthGraph};

fn quotas(q: &[(&str, usize, usize)]) -> Vec<TypeQuota> {
    q.iter()
        .map(|&(m, a, b)| TypeQuota::new(m, a as u32, b as u32))
        .collect()
}

/// Every row: type counts inside the quotas, fractions (recounted from the
/// generator's edges) inside its label's box and equal to the stored ones, no
/// duplicate node sets.
fn check_independently(ds: &Dataset, sg: &SynthGraph, labels: &[LabelSpec], types: &[TypeQuota]) {
    let id: HashMap<(&str, &str), u32> = sg
        .nodes
        .iter()
        .enumerate()
        .map(|(i, (m, v))| ((m.as_str(), v.as_str()), i as u32))
        .collect();
    let sign: HashMap<(u32, u32), bool> = sg.edges.iter().map(|&(a, b, s)| ((a, b), s)).collect();
    let mut seen = HashSet::new();
    let mut rows = 0;
    for row in ds.rows() {
        rows += 1;
        let nodes: Vec<(&str, u32)> = row.nodes().map(|(m, v)| (m, id[&(m, v)])).collect();
        for t in types {
            let c = nodes.iter().filter(|(m, _)| *m == t.modality).count() as u32;
            assert!(c >= t.min && c <= t.max, "{} count {c}", t.modality);
        }
        let (mut p, mut q, mut pairs) = (0u64, 0u64, 0u64);
        for (i, &(ma, a)) in nodes.iter().enumerate() {
            for &(mb, b) in &nodes[i + 1..] {
                if ma == mb {
                    continue;
                }
                pairs += 1;
                match sign.get(&(a.min(b), a.max(b))) {
                    Some(true) => p += 1,
                    Some(false) => q += 1,
                    None => {}
                }
            }
        }
        let (x, y) = (p as f64 / pairs as f64, q as f64 / pairs as f64);
        let l = labels
            .iter()
            .find(|l| l.name == row.sampled_label())
            .unwrap();
        assert!(
            l.pos.0 <= x && x <= l.pos.1,
            "{} pos {x} {:?}",
            l.name,
            l.pos
        );
        assert!(
            l.neg.0 <= y && y <= l.neg.1,
            "{} neg {y} {:?}",
            l.name,
            l.neg
        );
        let f = row.fractions();
        assert_eq!((f.pos_edges, f.neg_edges, f.pairs), (p, q, pairs));
        let mut key: Vec<u32> = nodes.iter().map(|n| n.1).collect();
        key.sort_unstable();
        assert!(seen.insert(key.clone()), "duplicate row {key:?}");
    }
    assert_eq!(rows as u64, labels.iter().map(|l| l.count).sum::<u64>());
}

#[test]
fn suggested_boxes_fill_on_fixture_shapes() {
    let shapes = [
        (
            synth::report_large_160(synth::LARGE_SEED),
            quotas(&synth::LARGE_QUOTAS),
        ),
        (
            synth::report_like_746(synth::REAL746_SEED),
            quotas(&synth::REAL746_QUOTAS),
        ),
    ];
    for (shape, types) in shapes {
        let sg = synth::generate(&shape);
        let g = sg.to_signed_graph().unwrap();
        let ctx = Ctx::default();
        let d = diagnose(&g, &types, 4000, 7, &ctx).unwrap();
        assert!(!d.suggested.is_empty());
        for s in &d.suggested {
            assert!(s.hit_rate >= 0.005, "{s:?}");
        }
        let labels: Vec<LabelSpec> = d.suggested.iter().map(|s| s.to_label(400)).collect();
        let spec = SampleSpec {
            total: labels.iter().map(|l| l.count).sum(),
            types: types.clone(),
            labels: labels.clone(),
            favour: vec![],
            avoid: vec![],
            options: SampleOptions {
                seed: 99,
                ..Default::default()
            },
        };
        let (ds, rep) = sample(&g, &spec, &ctx).unwrap();
        for l in &rep.labels {
            assert_eq!(l.in_range_rate, 1.0, "{l:?}");
        }
        check_independently(&ds, &sg, &labels, &types);
    }
}
