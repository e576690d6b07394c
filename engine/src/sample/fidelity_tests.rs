//! Dataset fidelity on the fixture shapes (the checked-in `fixtures/large`
//! and `fixtures/real746`, which `valence_synth` reproduces byte for byte): rows as
//! typical of their box as random draws kept when inside it, graded FAVOUR,
//! disjoint labels, shuffled order.

use super::anneal::{Params, Problem, Scratch, rng_for, stream_id};
use super::*;
use crate::{Catalogue, diagnose, read_edges_csv};

/// The checked-in fixture, imported. The files are what `valence_synth` generates, and
/// importing them gives the generator's graph byte for byte (both checked by the
/// `valence-synth` crate's tests); the engine does not depend on the generator.
pub(super) fn fixture(name: &str) -> SignedGraph {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name);
    let cat = Catalogue::from_csv(&dir.join("catalogue.csv")).unwrap();
    read_edges_csv(&dir.join("edges.csv"), Some(&cat))
        .unwrap()
        .0
}

/// `valence_synth::LARGE_QUOTAS`.
const LARGE_QUOTAS: [(&str, usize, usize); 4] = [
    ("brand", 1, 1),
    ("audience", 2, 4),
    ("platform", 1, 1),
    ("geo", 1, 2),
];

/// `valence_synth::REAL746_QUOTAS`.
pub(super) const REAL746_QUOTAS: [(&str, usize, usize); 10] = [
    ("brand", 1, 1),
    ("campaign-objective", 1, 1),
    ("campaign-buying-type", 1, 1),
    ("platform", 1, 1),
    ("device", 1, 1),
    ("geo", 1, 3),
    ("gender-generation", 4, 8),
    ("interest-and-other-attributes", 3, 7),
    ("media-buy-billing-event", 1, 1),
    ("media-buy-cost-model", 1, 1),
];

pub(super) fn quotas(q: &[(&str, usize, usize)]) -> Vec<TypeQuota> {
    q.iter()
        .map(|&(m, a, b)| TypeQuota::new(m, a as u32, b as u32))
        .collect()
}

fn large() -> SignedGraph {
    fixture("large")
}

fn real746() -> SignedGraph {
    fixture("real746")
}

fn spec_of(types: &[TypeQuota], labels: Vec<LabelSpec>, seed: u64) -> SampleSpec {
    SampleSpec {
        total: labels.iter().map(|l| l.count).sum(),
        types: types.to_vec(),
        labels,
        favour: vec![],
        avoid: vec![],
        options: SampleOptions {
            seed,
            ..Default::default()
        },
    }
}

/// Per label: (rows kept, share hugging an inner edge) over `draws` random
/// node sets drawn under the quotas and kept when inside exactly that
/// label's box (random-and-keep).
fn random_and_keep(
    g: &SignedGraph,
    types: &[TypeQuota],
    labels: &[LabelSpec],
    draws: u64,
) -> Vec<(u64, f64)> {
    let params = Params::random_draw();
    let pb = Problem::new(
        g,
        g.dense().unwrap(),
        resolve_types(g, types).unwrap(),
        Vec::new(),
        params,
    );
    let mut sc = Scratch::new(&pb);
    let mut acc = vec![(0u64, 0u64); labels.len()];
    for i in 0..draws {
        let mut rng = rng_for(1234, stream_id("random-and-keep"), i, 0);
        sc.init_random(&pb, &mut rng);
        let f = crate::EdgeFractions::from_counts(sc.tot_p, sc.tot_q, sc.pairs);
        let inside: Vec<usize> = (0..labels.len())
            .filter(|&j| boxes::in_box(&labels[j], f.pos, f.neg))
            .collect();
        if let [j] = inside[..] {
            acc[j].0 += 1;
            acc[j].1 += hugs_edge(&labels[j], f.pos, f.neg) as u64;
        }
    }
    acc.iter()
        .map(|&(n, h)| (n, if n == 0 { 0.0 } else { h as f64 / n as f64 }))
        .collect()
}

/// SAMPLE's edge-hug share per label is at most random-and-keep's + 0.10.
fn hug_within_bound(
    name: &str,
    g: &SignedGraph,
    types: &[TypeQuota],
    labels: Vec<LabelSpec>,
    draws: u64,
) {
    let sp = spec_of(types, labels.clone(), 5);
    let (_, rep) = sample(g, &sp, &Ctx::default()).unwrap();
    let q = rep.quality.unwrap();
    assert_eq!(q.multi_box_share, 0.0, "{name}");
    let rk = random_and_keep(g, types, &labels, draws);
    for ((l, s), (kept, r)) in q.edge_hug.iter().zip(&rk) {
        eprintln!(
            "{name}: label {l}: edge hug {s:.3} (random-and-keep {r:.3} over {kept} kept draws)"
        );
        assert!(*kept >= 100, "{name} {l}: only {kept} random draws kept");
        assert!(
            *s <= r + 0.10,
            "{name} {l}: edge hug {s:.3} > random-and-keep {r:.3} + 0.10"
        );
    }
}

#[test]
fn rows_are_as_typical_as_random_and_keep_on_the_large_fixture() {
    let g = large();
    let types = quotas(&LARGE_QUOTAS);
    let d = diagnose(&g, &types, 4000, 7, &Ctx::default()).unwrap();
    let labels: Vec<LabelSpec> = d.suggested.iter().map(|s| s.to_label(400)).collect();
    hug_within_bound("large, DIAGNOSE boxes", &g, &types, labels, 40_000);
    // The README's hand-written boxes, which overlap.
    let labels = vec![
        LabelSpec::new("pos", 400).pos(0.2, 1.0).neg(0.0, 0.3),
        LabelSpec::new("avg", 400).pos(0.1, 0.5).neg(0.1, 0.5),
        LabelSpec::new("neg", 400).pos(0.0, 0.2).neg(0.2, 1.0),
    ];
    hug_within_bound("large, README boxes", &g, &types, labels, 200_000);
}

#[test]
fn rows_are_as_typical_as_random_and_keep_on_the_746_fixture() {
    let g = real746();
    let types = quotas(&REAL746_QUOTAS);
    let d = diagnose(&g, &types, 4000, 7, &Ctx::default()).unwrap();
    let labels: Vec<LabelSpec> = d.suggested.iter().map(|s| s.to_label(400)).collect();
    hug_within_bound("746, DIAGNOSE boxes", &g, &types, labels, 40_000);
}

/// Favoured brand–audience pairs with an edge, over all such pairs of all rows.
fn favoured_share(ds: &Dataset, g: &SignedGraph) -> f64 {
    let (mut e, mut n) = (0u64, 0u64);
    for r in ds.rows() {
        let a: Vec<NodeId> = r.values(0).map(|v| g.find("brand", v).unwrap()).collect();
        let b: Vec<NodeId> = r
            .values(1)
            .map(|v| g.find("audience", v).unwrap())
            .collect();
        for &x in &a {
            for &y in &b {
                n += 1;
                e += g.sign(x, y).is_some() as u64;
            }
        }
    }
    e as f64 / n as f64
}

#[test]
fn favour_is_graded_by_soft_weight_and_keeps_every_node_in_use() {
    let g = large();
    let types = quotas(&LARGE_QUOTAS);
    let d = diagnose(&g, &types, 4000, 7, &Ctx::default()).unwrap();
    let labels: Vec<LabelSpec> = d.suggested.iter().map(|s| s.to_label(1000)).collect();
    let plain = sample(&g, &spec_of(&types, labels.clone(), 3), &Ctx::default())
        .unwrap()
        .0;
    let base = favoured_share(&plain, &g);
    let mut shares = Vec::new();
    for w in [0.02, 0.2, 1.0] {
        let mut sp = spec_of(&types, labels.clone(), 3);
        sp.favour = vec![("brand".into(), "audience".into())];
        sp.options.soft_weight = w;
        let (ds, rep) = sample(&g, &sp, &Ctx::default()).unwrap();
        let q = rep.quality.unwrap();
        if w == 0.2 {
            // The default weight: every brand and audience still appears.
            for c in &q.coverage[..2] {
                assert_eq!(c.unused, 0, "{c:?}");
            }
        }
        assert_eq!(q.multi_box_share, 0.0);
        shares.push(favoured_share(&ds, &g));
    }
    eprintln!("favoured-pair edge share: plain {base:.3}, soft_weight 0.02/0.2/1.0: {shares:.3?}");
    assert!(
        shares[0] < shares[1] && shares[1] < shares[2],
        "{base} {shares:?}"
    );
    assert!(
        shares[0] < base + 0.03 && shares[0] < 0.9,
        "{base} {shares:?}"
    );
    assert!(shares[2] < 1.0, "{shares:?}");
}

#[test]
fn stored_order_is_shuffled_not_grouped_by_label() {
    let g = large();
    let types = quotas(&LARGE_QUOTAS);
    let d = diagnose(&g, &types, 4000, 7, &Ctx::default()).unwrap();
    let labels: Vec<LabelSpec> = d.suggested.iter().map(|s| s.to_label(300)).collect();
    let mut sp = spec_of(&types, labels, 8);
    sp.options.noise = 0.1;
    let (ds, rep) = sample(&g, &sp, &Ctx::default()).unwrap();
    assert_eq!(rep.relabelled, 90);
    let em = ds.emitted_labels();
    let changes = em.windows(2).filter(|w| w[0] != w[1]).count();
    // Grouped rows change label twice; a shuffle of 3 × 300 about 600 times.
    assert!(changes > 450, "{changes} label changes in 900 rows");
    // Neither label nor noise can be read from position: each third of the
    // rows holds about a third of every label and of the noisy rows.
    let sampled = ds.sampled_labels();
    for part in 0..3 {
        let r = part * 300..(part + 1) * 300;
        for l in 0..3u16 {
            let n = em[r.clone()].iter().filter(|&&x| x == l).count();
            assert!((60..=140).contains(&n), "third {part}, label {l}: {n}");
        }
        let noisy = r.filter(|&i| em[i] != sampled[i]).count();
        assert!(
            (10..=55).contains(&noisy),
            "third {part}: {noisy} noisy rows"
        );
    }
}
