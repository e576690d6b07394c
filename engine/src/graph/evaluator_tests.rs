//! The two hot-path evaluators agree bit for bit: SAMPLE datasets and
//! reports, DIAGNOSE reports and edge fractions are identical whether the
//! dense matrix or the roaring bitmaps answer the lookups.

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::{Ctx, SampleOptions, SampleSpec, TypeQuota, diagnose, sample};

/// A random graph: modality `m` has `sizes[m]` nodes; each cross pair is
/// + with probability `pp`, − with `pn`.
fn random_graph(sizes: &[usize], pp: f64, pn: f64, seed: u64) -> SignedGraph {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut b = GraphBuilder::new();
    let mut ids = Vec::new();
    for (m, &n) in sizes.iter().enumerate() {
        for i in 0..n {
            ids.push((m, b.add_node(&format!("m{m}"), &format!("v{i}"))));
        }
    }
    for i in 0..ids.len() {
        for j in i + 1..ids.len() {
            if ids[i].0 == ids[j].0 {
                continue;
            }
            let r: f64 = rng.random();
            let sign = if r < pp {
                Sign::Pos
            } else if r < pp + pn {
                Sign::Neg
            } else {
                continue;
            };
            b.add_edge(ids[i].1, ids[j].1, sign).unwrap();
        }
    }
    b.build()
}

fn is_dense(g: &SignedGraph) -> bool {
    matches!(g.hot_path(), HotPath::Dense(_))
}

/// SAMPLE's full output, or its error's text.
type SampleRun = std::result::Result<(crate::Dataset, crate::SampleReport), String>;

fn run_both(
    g: &mut SignedGraph,
    types: &[TypeQuota],
    spec: impl Fn(&crate::DiagnoseReport) -> SampleSpec,
) -> [(crate::DiagnoseReport, SampleRun); 2] {
    let ctx = Ctx::default();
    [Evaluator::Dense, Evaluator::Sparse].map(|ev| {
        g.set_evaluator(ev);
        assert_eq!(is_dense(g), ev == Evaluator::Dense);
        let d = diagnose(g, types, 300, 5, &ctx).unwrap();
        let s = sample(g, &spec(&d), &ctx).map_err(|e| e.to_string());
        (d, s)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn dense_and_sparse_evaluators_give_identical_results(
        sizes in proptest::collection::vec(2usize..14, 2..5),
        pp in 0.0f64..0.6,
        pn in 0.0f64..0.4,
        seed in 0u64..1_000_000,
        soft in any::<bool>(),
        resize in any::<bool>(),
    ) {
        let mut g = random_graph(&sizes, pp, pn, seed);
        let types: Vec<TypeQuota> = sizes
            .iter()
            .enumerate()
            .map(|(m, &n)| TypeQuota::new(format!("m{m}"), 1, n.min(4) as u32))
            .collect();
        let spec = |d: &crate::DiagnoseReport| SampleSpec {
            total: 30,
            types: types.clone(),
            labels: d.suggested.iter().map(|s| s.to_label(10)).collect(),
            favour: if soft { vec![("m0".into(), "m1".into())] } else { vec![] },
            avoid: vec![],
            options: SampleOptions {
                seed,
                resize_moves: resize,
                max_iters: 400,
                distinct: false,
                ..Default::default()
            },
        };
        let [dense, sparse] = run_both(&mut g, &types, spec);
        prop_assert_eq!(&dense.0, &sparse.0);
        prop_assert_eq!(&dense.1, &sparse.1);
        if let Ok((ds, _)) = &dense.1 {
            prop_assert_eq!(ds.len(), 30);
        }
    }

    #[test]
    fn edge_fractions_agree_on_both_evaluators(
        sizes in proptest::collection::vec(1usize..40, 1..6),
        seed in 0u64..1_000_000,
        pick in proptest::collection::vec(0usize..10_000, 0..40),
    ) {
        let g = random_graph(&sizes, 0.3, 0.2, seed);
        let mut set: Vec<NodeId> = pick.iter().map(|&i| (i % g.node_count()) as NodeId).collect();
        set.sort_unstable();
        set.dedup();
        let d = g.edge_fractions_on(g.dense().unwrap(), &set);
        prop_assert_eq!(d, g.edge_fractions_on(g.sparse(), &set));
        prop_assert_eq!(d, g.edge_fractions_roaring(&set));
    }
}

/// The real746 fixture (746 nodes): a label set from DIAGNOSE's
/// suggestions, 600 rows with distinct rows, FAVOUR and resize moves on.
#[test]
fn report_shaped_graph_same_dataset_on_both_evaluators() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/real746");
    let cat = crate::Catalogue::from_csv(&dir.join("catalogue.csv")).unwrap();
    let mut g = crate::read_edges_csv(&dir.join("edges.csv"), Some(&cat))
        .unwrap()
        .0;
    assert_eq!(g.node_count(), 746);
    let types: Vec<TypeQuota> = [
        ("brand", 1, 1),
        ("geo", 1, 3),
        ("interest-and-other-attributes", 3, 6),
        ("gender-generation", 2, 6),
    ]
    .iter()
    .map(|&(m, a, b)| TypeQuota::new(m, a, b))
    .collect();
    let spec = |d: &crate::DiagnoseReport| SampleSpec {
        total: 600,
        types: types.clone(),
        labels: d.suggested.iter().map(|s| s.to_label(200)).collect(),
        favour: vec![("brand".into(), "geo".into())],
        avoid: vec![],
        options: SampleOptions {
            seed: 9,
            ..Default::default()
        },
    };
    let [dense, sparse] = run_both(&mut g, &types, spec);
    assert_eq!(dense.0, sparse.0);
    let (dd, _) = dense.1.as_ref().expect("dense sample");
    let (sd, _) = sparse.1.as_ref().expect("sparse sample");
    assert_eq!(dd.len(), 600);
    assert_eq!(dense.1, sparse.1);
    assert_eq!(dd.to_bytes().unwrap(), sd.to_bytes().unwrap());
}

#[test]
fn auto_uses_dense_for_small_graphs_and_sparse_when_forced() {
    let mut g = random_graph(&[5, 5], 0.3, 0.3, 1);
    assert!(is_dense(&g));
    g.set_evaluator(Evaluator::Sparse);
    assert!(!is_dense(&g));
    assert!(g.dense().is_none());
    g.set_evaluator(Evaluator::Auto);
    assert!(is_dense(&g));
}
