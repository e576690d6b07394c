//! Unit tests of the graph: counts, rejections, snapshots, DESCRIBE's pair counts.

use super::*;
use proptest::prelude::*;

/// A random graph over `mods` modalities plus an edge list kept aside
/// for the naive count.
fn random_graph(
    sizes: &[usize],
    edges: &[(usize, usize, bool)],
) -> (SignedGraph, Vec<(NodeId, NodeId, Sign)>) {
    let mut b = GraphBuilder::new();
    for (m, &n) in sizes.iter().enumerate() {
        for i in 0..n {
            b.add_node(&format!("m{m}"), &format!("v{i}"));
        }
    }
    let total = b.node_count();
    let mut kept = Vec::new();
    for &(a, c, pos) in edges {
        let (a, c) = ((a % total) as NodeId, (c % total) as NodeId);
        let s = if pos { Sign::Pos } else { Sign::Neg };
        if b.try_add_edge(a, c, s).is_ok()
            && !kept
                .iter()
                .any(|&(x, y, _)| (x, y) == (a, c) || (x, y) == (c, a))
        {
            kept.push((a, c, s));
        }
    }
    (b.build(), kept)
}

fn naive(g: &SignedGraph, edges: &[(NodeId, NodeId, Sign)], set: &[NodeId]) -> (u64, u64, u64) {
    let (mut p, mut n, mut pairs) = (0, 0, 0);
    for (i, &a) in set.iter().enumerate() {
        for &b in &set[i + 1..] {
            if g.modality_of(a) == g.modality_of(b) {
                continue;
            }
            pairs += 1;
            for &(x, y, s) in edges {
                if (x, y) == (a, b) || (x, y) == (b, a) {
                    match s {
                        Sign::Pos => p += 1,
                        Sign::Neg => n += 1,
                    }
                }
            }
        }
    }
    (p, n, pairs)
}

proptest! {
    #[test]
    fn edge_fractions_match_naive_count(
        sizes in proptest::collection::vec(1usize..12, 1..6),
        edges in proptest::collection::vec((0usize..1000, 0usize..1000, any::<bool>()), 0..300),
        pick in proptest::collection::vec(0usize..1000, 0..25),
    ) {
        let (g, kept) = random_graph(&sizes, &edges);
        let mut set: Vec<NodeId> = pick.iter().map(|&i| (i % g.node_count()) as NodeId).collect();
        set.sort_unstable();
        set.dedup();
        let (p, n, pairs) = naive(&g, &kept, &set);
        let dense = g.edge_fractions_on(g.dense().unwrap(), &set);
        let sparse = g.edge_fractions_on(g.sparse(), &set);
        for f in [g.edge_fractions(&set), dense, sparse, g.edge_fractions_roaring(&set)] {
            prop_assert_eq!((f.pos_edges, f.neg_edges, f.pairs), (p, n, pairs));
            if pairs > 0 {
                prop_assert!((f.pos - p as f64 / pairs as f64).abs() < 1e-12);
                prop_assert!((f.pos + f.neg + f.absent - 1.0).abs() < 1e-12);
            } else {
                prop_assert_eq!(f.absent, 1.0);
            }
        }
    }

    #[test]
    fn snapshot_round_trips(
        sizes in proptest::collection::vec(1usize..8, 1..5),
        edges in proptest::collection::vec((0usize..500, 0usize..500, any::<bool>()), 0..100),
    ) {
        let (g, _) = random_graph(&sizes, &edges);
        let back = SignedGraph::from_snapshot(&g.to_snapshot().unwrap()).unwrap();
        prop_assert_eq!(back.modalities(), g.modalities());
        prop_assert_eq!(back.node_count(), g.node_count());
        prop_assert_eq!(back.edges().collect::<Vec<_>>(), g.edges().collect::<Vec<_>>());
        for id in 0..g.node_count() as NodeId {
            prop_assert_eq!(back.value(id), g.value(id));
            prop_assert_eq!(back.modality_of(id), g.modality_of(id));
        }
    }
}

#[test]
fn snapshot_loads_from_aligned_and_unaligned_bytes() {
    let (g, _) = random_graph(&[4, 5, 3], &[(0, 5, true), (1, 9, false), (2, 11, true)]);
    let bytes = g.to_snapshot().unwrap();
    let mut aligned = rkyv::util::AlignedVec::<16>::new();
    aligned.extend_from_slice(&bytes);
    let mut shifted = rkyv::util::AlignedVec::<16>::new();
    shifted.extend_from_slice(&[0u8]);
    shifted.extend_from_slice(&bytes);
    let (aligned, unaligned) = (&aligned[..], &shifted[1..]);
    assert!((aligned.as_ptr() as usize).is_multiple_of(16));
    assert!(!(unaligned.as_ptr() as usize).is_multiple_of(16));
    for slice in [aligned, unaligned] {
        let back = SignedGraph::from_snapshot(slice).unwrap();
        assert_eq!(
            back.edges().collect::<Vec<_>>(),
            g.edges().collect::<Vec<_>>()
        );
        assert_eq!(back.find("m1", "v2"), g.find("m1", "v2"));
        assert_eq!(back.find("m1", "v2"), Some(6));
        assert_eq!(back.find("m1", "nope"), None);
    }
}

#[test]
fn snapshot_with_out_of_range_ids_is_an_error() {
    let bm = |ids: &[u32]| {
        let b: RoaringBitmap = ids.iter().copied().collect();
        let mut v = Vec::new();
        b.serialize_into(&mut v).unwrap();
        v
    };
    let snap = |node_modality: Vec<u16>, pos: Vec<Vec<u8>>| GraphSnapshot {
        format: SNAPSHOT_FORMAT,
        modalities: vec!["a".into(), "b".into()],
        node_modality,
        node_value: vec!["x".into(), "y".into()],
        neg: vec![bm(&[]), bm(&[])],
        pos,
    };
    let ok = snap(vec![0, 1], vec![bm(&[1]), bm(&[0])]);
    let far = snap(vec![0, 1], vec![bm(&[7]), bm(&[0])]);
    let bad_mod = snap(vec![0, 2], vec![bm(&[1]), bm(&[0])]);
    let short = snap(vec![0, 1], vec![bm(&[1])]);
    let load = |s: &GraphSnapshot| {
        let b = rkyv::to_bytes::<rkyv::rancor::Error>(s).unwrap();
        SignedGraph::from_snapshot(&b).map(|g| g.edge_counts())
    };
    assert_eq!(load(&ok).unwrap(), (1, 0));
    for s in [&far, &bad_mod, &short] {
        let e = load(s).unwrap_err().to_string();
        assert!(e.contains("corrupt graph snapshot"), "{e}");
    }
}

#[test]
fn builder_rejects_bad_edges() {
    let mut b = GraphBuilder::new();
    let a = b.add_node("brand", "Nike");
    let c = b.add_node("brand", "Vans");
    let d = b.add_node("audience", "Athletes");
    assert_eq!(
        b.try_add_edge(a, a, Sign::Pos),
        Err(EdgeRejection::SelfLoop)
    );
    assert_eq!(
        b.try_add_edge(a, c, Sign::Pos),
        Err(EdgeRejection::SameModality)
    );
    assert_eq!(b.try_add_edge(a, d, Sign::Pos), Ok(()));
    assert_eq!(b.try_add_edge(d, a, Sign::Pos), Ok(()));
    assert_eq!(
        b.try_add_edge(d, a, Sign::Neg),
        Err(EdgeRejection::Conflict(Sign::Pos))
    );
    let g = b.build();
    assert_eq!(g.edge_counts(), (1, 0));
    assert_eq!(g.sign(d, a), Some(Sign::Pos));
    assert_eq!(g.sign(c, d), None);
}

proptest! {
    /// DESCRIBE's per-pair counts match a count over the kept edge list.
    #[test]
    fn rel_stats_count_every_edge_once(
        sizes in proptest::collection::vec(1usize..6, 2..5),
        edges in proptest::collection::vec((0usize..40, 0usize..40, any::<bool>()), 0..80),
    ) {
        let (g, kept) = random_graph(&sizes, &edges);
        let mut want: HashMap<(String, String), (u64, u64)> = HashMap::new();
        for &(a, b, s) in &kept {
            let (ma, mb) = (g.modality_of(a), g.modality_of(b));
            let (i, j) = (ma.min(mb) as usize, ma.max(mb) as usize);
            let e = want
                .entry((g.modalities()[i].clone(), g.modalities()[j].clone()))
                .or_default();
            match s {
                Sign::Pos => e.0 += 1,
                Sign::Neg => e.1 += 1,
            }
        }
        for r in g.rel_stats() {
            let w = want.remove(&(r.source.clone(), r.target.clone())).unwrap_or_default();
            prop_assert_eq!((r.pos, r.neg), w, "{} -- {}", r.source, r.target);
        }
        prop_assert!(want.is_empty(), "pairs missing from rel_stats: {:?}", want);
    }
}

#[test]
fn candidate_pairs_exclude_same_modality() {
    assert_eq!(candidate_pairs([1, 2, 1]), 5);
    assert_eq!(candidate_pairs([3]), 0);
    assert_eq!(candidate_pairs([]), 0);
}

/// DIAGNOSE's evaluator: the signatures only when its lookups win back half
/// of building them (`lookups ≥ edges / 8`), then for everything after;
/// never on the dense path.
#[test]
fn draw_path_builds_signatures_only_where_they_pay() {
    let edges: Vec<(usize, usize, bool)> = (0..40).map(|i| (i, 40 + i, i % 3 > 0)).collect();
    let (mut g, kept) = random_graph(&[40, 40], &edges);
    let e = kept.len() as u64;
    assert_eq!(e, 40);
    let signed = |p: HotPath<'_>| match p {
        HotPath::Sparse(s) => Some(s.sig.is_some()),
        HotPath::Dense(_) => None,
    };
    assert_eq!(signed(g.draw_path(1_000_000)), None, "dense: no signatures");
    g.set_evaluator(Evaluator::Sparse);
    assert_eq!(signed(g.draw_path(e / 8 - 1)), Some(false));
    assert!(
        g.signatures.get().is_none(),
        "nothing built for a small DIAGNOSE"
    );
    assert_eq!(signed(g.draw_path(e / 8)), Some(true));
    assert_eq!(signed(g.draw_path(1)), Some(true), "built once, used after");
}
