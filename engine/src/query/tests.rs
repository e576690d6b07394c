use super::*;
use crate::graph::GraphBuilder;

/// brand:b1, audience:a1, audience:a2, geo:g1; b1-a1 +, a2-b1 -, g1-a1 -.
fn small() -> SignedGraph {
    let mut b = GraphBuilder::new();
    let b1 = b.add_node("brand", "b1");
    let a1 = b.add_node("audience", "a1");
    let a2 = b.add_node("audience", "a2");
    let g1 = b.add_node("geo", "g1");
    b.add_edge(b1, a1, Sign::Pos).unwrap();
    b.add_edge(a2, b1, Sign::Neg).unwrap();
    b.add_edge(g1, a1, Sign::Neg).unwrap();
    b.build()
}

#[test]
fn edges_are_canonical_and_each_edge_appears_once() {
    let g = small();
    let e: Vec<_> = edges(&g)
        .map(|r| (g.value(r.source), g.value(r.target), r.sign))
        .collect();
    assert_eq!(
        e,
        vec![
            ("b1", "a1", Sign::Pos),
            ("b1", "a2", Sign::Neg),
            ("a1", "g1", Sign::Neg)
        ]
    );
}

#[test]
fn neighbours_hold_both_orientations_with_others_ascending() {
    let g = small();
    let n: Vec<_> = neighbours(&g)
        .map(|r| (g.value(r.source), g.value(r.target), r.sign))
        .collect();
    assert_eq!(n.len(), 6);
    assert_eq!(&n[..2], &[("b1", "a1", Sign::Pos), ("b1", "a2", Sign::Neg)]);
    assert!(n.contains(&("g1", "a1", Sign::Neg)));
    assert!(n.contains(&("a1", "g1", Sign::Neg)));
}

#[test]
fn nodes_count_degrees_per_sign() {
    let g = small();
    let a1 = nodes(&g).find(|r| g.value(r.id) == "a1").unwrap();
    assert_eq!((a1.pos_degree, a1.neg_degree), (1, 1));
    let b1 = nodes(&g).find(|r| g.value(r.id) == "b1").unwrap();
    assert_eq!((b1.pos_degree, b1.neg_degree), (1, 1));
}

#[test]
fn neighbours_of_keeps_the_full_scan_order_for_the_kept_nodes() {
    let g = small();
    let a1 = g.find("audience", "a1").unwrap();
    let some: Vec<_> = neighbours_of(&g, |id| id == a1).collect();
    let all: Vec<_> = neighbours(&g).filter(|r| r.source == a1).collect();
    assert_eq!(some, all);
    assert_eq!(some.len(), 2);
}
