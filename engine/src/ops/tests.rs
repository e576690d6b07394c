//! The typed descriptions DESCRIBE shows, recounted naively from the CSV
//! files the objects came from.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::{Engine, Kind, ObjRef};

const CATALOGUE: &str = "../fixtures/small/catalogue.csv";
const EDGES: &str = "../fixtures/small/edges.csv";

fn engine() -> Engine {
    let e = Engine::in_memory().unwrap();
    e.load_catalogue("c", Path::new(CATALOGUE), "LOAD").unwrap();
    e.import_graph("g", Path::new(EDGES), Some(&ObjRef::latest("c")), "IMPORT")
        .unwrap();
    e
}

/// (modality, value) rows of the catalogue, in file order.
fn catalogue_rows() -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(CATALOGUE).unwrap();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (x[0].to_string(), x[1].to_string())
        })
        .collect()
}

#[test]
fn describe_catalogue_counts_and_examples_follow_the_file() {
    let rows = catalogue_rows();
    let d = engine().describe_catalogue(&ObjRef::latest("c")).unwrap();
    assert_eq!(d.version, 1);
    assert_eq!(d.manifest.statement, "LOAD");
    let mut order: Vec<&str> = Vec::new();
    for (m, _) in &rows {
        if !order.contains(&m.as_str()) {
            order.push(m);
        }
    }
    let names: Vec<&str> = d.modalities.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, order);
    for m in &d.modalities {
        let values: Vec<&str> = rows
            .iter()
            .filter(|(x, _)| *x == m.name)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(m.attributes, values.len(), "{}", m.name);
        assert_eq!(m.examples, values[..values.len().min(3)], "{}", m.name);
    }
}

#[test]
fn describe_graph_degrees_and_densities_match_a_recount_of_the_edge_csv() {
    let modality: HashMap<String, String> =
        catalogue_rows().into_iter().map(|(m, v)| (v, m)).collect();
    let mut nodes: BTreeMap<String, u64> = BTreeMap::new();
    for m in modality.values() {
        *nodes.entry(m.clone()).or_default() += 1;
    }
    // Distinct signed pairs (unordered), neutral rows dropped.
    let mut edges: BTreeMap<BTreeSet<String>, String> = BTreeMap::new();
    let mut r = csv::Reader::from_path(EDGES).unwrap();
    for x in r.records() {
        let x = x.unwrap();
        if &x[3] != "0" {
            let pair: BTreeSet<String> = [x[0].to_string(), x[1].to_string()].into();
            edges.insert(pair, x[3].to_string());
        }
    }
    let (mut deg, mut rel): (HashMap<(String, String), u64>, HashMap<_, u64>) = Default::default();
    for (pair, sign) in &edges {
        let mods: BTreeSet<String> = pair.iter().map(|v| modality[v].clone()).collect();
        for v in pair {
            *deg.entry((modality[v].clone(), sign.clone())).or_default() += 1;
        }
        *rel.entry((mods, sign.clone())).or_default() += 1;
    }

    let d = engine().describe_graph(&ObjRef::latest("g")).unwrap();
    assert_eq!(d.version, 1);
    for m in &d.modalities {
        let n = nodes[&m.name];
        assert_eq!(m.nodes as u64, n);
        let mean =
            |s: &str| deg.get(&(m.name.clone(), s.into())).copied().unwrap_or(0) as f64 / n as f64;
        assert!((m.pos_degree_mean - mean("+")).abs() < 1e-12, "{}", m.name);
        assert!((m.neg_degree_mean - mean("-")).abs() < 1e-12, "{}", m.name);
    }
    let k = nodes.len();
    assert_eq!(d.rels.len(), k * (k - 1) / 2);
    for r in &d.rels {
        let mods: BTreeSet<String> = [r.source.clone(), r.target.clone()].into();
        let count = |s: &str| rel.get(&(mods.clone(), s.into())).copied().unwrap_or(0);
        assert_eq!((r.pos, r.neg), (count("+"), count("-")), "{}", r.rel());
        assert_eq!(r.pairs, nodes[&r.source] * nodes[&r.target]);
    }
    let all_pairs: u64 = d.rels.iter().map(|r| r.pairs).sum();
    let signed = edges.len() as u64;
    assert_eq!(d.total_pos + d.total_neg, signed);
    assert_eq!(d.total_pairs, all_pairs);
    assert!((d.total_density() - signed as f64 / all_pairs as f64).abs() < 1e-12);
}

#[test]
fn versions_of_a_missing_name_is_not_found() {
    let e = engine();
    assert_eq!(e.versions(Kind::Graph, "g").unwrap().len(), 1);
    let err = e.versions(Kind::Graph, "nope").unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::NotFound);
}
