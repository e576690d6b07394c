//! Unit tests of the generator (shape, densities, determinism, fixtures on disk).

use super::*;

fn small_spec(seed: u64) -> SynthSpec {
    SynthSpec::new(
        &[
            ("brand", 40),
            ("audience", 50),
            ("platform", 8),
            ("geo", 20),
        ],
        0.3,
        0.1,
        6,
        seed,
    )
}

#[test]
fn same_seed_same_graph_different_seed_different_graph() {
    let a = generate(&small_spec(7));
    let b = generate(&small_spec(7));
    let c = generate(&small_spec(8));
    assert_eq!(a, b);
    assert_ne!(a.edges, c.edges);
}

#[test]
fn densities_hit_per_modality_pair() {
    let spec = report_large_160(160);
    let g = generate(&spec);
    assert_eq!(g.nodes.len(), 160);
    assert_eq!(g.cross_pairs(), 8700);
    let (pos, neg) = g.edge_counts();
    assert!((pos as i64 - 4092).abs() <= 5, "pos {pos}");
    assert!((neg as i64 - 557).abs() <= 5, "neg {neg}");
    let spec = small_spec(3);
    let g = generate(&spec);
    let (pos, neg) = g.edge_counts();
    let pairs = g.cross_pairs() as f64;
    assert!((pos as f64 / pairs - 0.3).abs() < 0.005);
    assert!((neg as f64 / pairs - 0.1).abs() < 0.005);
}

#[test]
fn approximate_thresholds_stay_close() {
    // Force the sampled-threshold path with a large modality pair.
    let mut spec = SynthSpec::new(&[("a", 2100), ("b", 2000)], 0.05, 0.02, 8, 11);
    spec.edge_noise = 0.3;
    let g = generate(&spec);
    let (pos, neg) = g.edge_counts();
    let pairs = g.cross_pairs() as f64;
    assert!((pos as f64 / pairs - 0.05).abs() < 0.003, "{pos}");
    assert!((neg as f64 / pairs - 0.02).abs() < 0.003, "{neg}");
}

#[test]
fn edges_are_cross_modality_sorted_and_unique() {
    for g in [generate(&small_spec(1)), generate(&report_like_746(746))] {
        let mut seen = HashSet::new();
        for &(a, b, _) in &g.edges {
            assert!(a < b);
            assert_ne!(g.nodes[a as usize].0, g.nodes[b as usize].0);
            assert!(seen.insert((a, b)), "duplicate pair {a},{b}");
        }
        assert!(
            g.edges
                .windows(2)
                .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1))
        );
        let mut values = HashSet::new();
        for n in &g.nodes {
            assert!(values.insert(n), "duplicate value {n:?}");
        }
    }
}

#[test]
fn real746_shape() {
    let g = generate(&report_like_746(746));
    assert_eq!(g.nodes.len(), 746);
    assert_eq!(g.modalities().len(), 10);
    let (pos, neg) = g.edge_counts();
    assert!((pos as i64 - 36_420).abs() < 400, "pos {pos}");
    assert!((neg as i64 - 40_629).abs() < 50, "neg {neg}");
}

/// Two members of one group agree in sign (+, -, absent) with a third attribute far more
/// often than two random attributes of the same modality.
#[test]
fn members_of_a_group_behave_alike() {
    let g = generate(&small_spec(5));
    let mut sign: HashMap<(u32, u32), i8> = HashMap::new();
    for &(a, b, s) in &g.edges {
        sign.insert((a, b), if s { 1 } else { -1 });
        sign.insert((b, a), if s { 1 } else { -1 });
    }
    let s = |a: u32, b: u32| sign.get(&(a, b)).copied().unwrap_or(0);
    let n = g.nodes.len() as u32;
    let (mut same_agree, mut same_total, mut rand_agree, mut rand_total) = (0, 0, 0, 0);
    for x in 0..n {
        for y in 0..n {
            for z in y + 1..n {
                let (mx, my, mz) = (
                    &g.nodes[x as usize].0,
                    &g.nodes[y as usize].0,
                    &g.nodes[z as usize].0,
                );
                if my != mz || mx == my {
                    continue;
                }
                let agree = (s(x, y) == s(x, z)) as u32;
                if g.groups[y as usize] == g.groups[z as usize] {
                    same_agree += agree;
                    same_total += 1;
                } else {
                    rand_agree += agree;
                    rand_total += 1;
                }
            }
        }
    }
    let same = same_agree as f64 / same_total as f64;
    let other = rand_agree as f64 / rand_total as f64;
    assert!(same > 0.8, "same-group agreement {same:.3}");
    assert!(
        same > other + 0.2,
        "same {same:.3} vs different groups {other:.3}"
    );
}

#[test]
fn scaled_keeps_modalities_and_total() {
    let spec = scaled(20_000, 1);
    assert_eq!(spec.modalities.len(), 10);
    assert_eq!(spec.modalities.iter().map(|m| m.1).sum::<usize>(), 20_000);
    let small = scaled(1500, 2);
    let g = generate(&small);
    assert_eq!(g.nodes.len(), 1500);
    let per_node = 2.0 * g.edges.len() as f64 / 1500.0;
    assert!(
        (per_node - 2.0 * 77_049.0 / 746.0).abs() < 15.0,
        "degree {per_node}"
    );
}

#[test]
fn large_diagnostics_near_report() {
    let g = generate(&report_large_160(160));
    let st = edge_fraction_stats(&g, &LARGE_QUOTAS, 4000, 7);
    assert!((st.pos_mean - 0.363).abs() < 0.05, "{st:?}");
    assert!((st.neg_mean - 0.036).abs() < 0.02, "{st:?}");
    let g = generate(&report_like_746(746));
    let st = edge_fraction_stats(&g, &REAL746_QUOTAS, 2000, 7);
    assert!((st.pos_mean - 0.175).abs() < 0.03, "{st:?}");
    assert!((st.neg_mean - 0.210).abs() < 0.03, "{st:?}");
}

/// The checked-in fixtures are exactly what the generator writes (regenerate with
/// `cargo run -p valence-synth --example gen_fixtures`).
#[test]
fn checked_in_fixtures_match_generator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let dir = tempfile::tempdir().unwrap();
    for (name, spec) in [
        ("large", report_large_160(LARGE_SEED)),
        ("real746", report_like_746(REAL746_SEED)),
    ] {
        let g = generate(&spec);
        write_catalogue_csv(&g, dir.path().join("c.csv")).unwrap();
        write_edges_csv(&g, dir.path().join("e.csv")).unwrap();
        for (fresh, disk) in [("c.csv", "catalogue.csv"), ("e.csv", "edges.csv")] {
            let a = std::fs::read(dir.path().join(fresh)).unwrap();
            let b = std::fs::read(root.join(name).join(disk)).unwrap();
            assert!(
                a == b,
                "fixtures/{name}/{disk} differs from the generator output"
            );
        }
    }
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The hand-written small fixture: shape, the report's 7.1 examples, and expectations that agree
/// with the edges (`?` pairs are absent).
#[test]
fn small_fixture_is_consistent() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/small");
    let cat = read_csv(&dir.join("catalogue.csv"));
    assert_eq!(cat.len(), 27);
    let modality: HashMap<&str, &str> =
        cat.iter().map(|r| (r[1].as_str(), r[0].as_str())).collect();
    assert_eq!(modality.len(), 27, "values are unique across modalities");
    let mut sign: HashMap<(String, String), String> = HashMap::new();
    for e in read_csv(&dir.join("edges.csv")) {
        let (ms, mt) = (modality[e[0].as_str()], modality[e[1].as_str()]);
        assert_ne!(ms, mt, "same-modality edge {e:?}");
        assert_eq!(e[2], format!("{ms}_to_{mt}"));
        assert!(e[3] == "+" || e[3] == "-");
        let key = (
            e[0].clone().min(e[1].clone()),
            e[0].clone().max(e[1].clone()),
        );
        assert!(sign.insert(key, e[3].clone()).is_none(), "duplicate {e:?}");
    }
    let get = |a: &str, b: &str| {
        sign.get(&(a.min(b).to_string(), a.max(b).to_string()))
            .cloned()
            .unwrap_or_else(|| "?".into())
    };
    for (a, b, want) in [
        ("Athletes", "Nike", "+"),
        ("Winter Sports Enthusiasts", "The North Face", "+"),
        ("Budget Shoppers", "Rolex", "-"),
        ("Salesforce", "K-Pop Fans", "-"),
        ("Winter Sports Enthusiasts", "Brazil", "-"),
        ("Rolex", "Wish", "-"),
        ("Salesforce", "TikTok", "-"),
        ("Fitness Enthusiasts", "Dior", "?"),
        ("Beauty Enthusiasts", "Red Bull", "?"),
        ("Dior", "TikTok", "?"),
    ] {
        assert_eq!(get(a, b), want, "{a} / {b}");
    }
    for g in ["United States", "Brazil", "South Korea", "Norway"] {
        assert_eq!(get("Women 18-34", g), "?");
    }
    for x in read_csv(&dir.join("expectations.csv")) {
        assert_eq!(modality[x[1].as_str()], x[0]);
        assert_eq!(modality[x[3].as_str()], x[2]);
        assert_eq!(get(&x[1], &x[3]), x[4], "expectation {x:?}");
    }
}

/// Fraction of nodes whose nearest same-modality neighbour (cosine over signed adjacency rows)
/// is in the same latent group.
fn nn_same_group(g: &SynthGraph) -> f64 {
    let n = g.nodes.len();
    let mut m = vec![0f32; n * n];
    for &(a, b, s) in &g.edges {
        let v = if s { 1.0 } else { -1.0 };
        m[a as usize * n + b as usize] = v;
        m[b as usize * n + a as usize] = v;
    }
    let norm: Vec<f32> = (0..n)
        .map(|i| {
            m[i * n..(i + 1) * n]
                .iter()
                .map(|x| x * x)
                .sum::<f32>()
                .sqrt()
                .max(1e-6)
        })
        .collect();
    let mut hits = 0;
    for i in 0..n {
        let best = (0..n)
            .filter(|&j| j != i && g.nodes[j].0 == g.nodes[i].0)
            .map(|j| {
                let dot: f32 = (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum();
                (dot / (norm[i] * norm[j]), j)
            })
            .max_by(|x, y| x.0.total_cmp(&y.0));
        if let Some((_, j)) = best {
            hits += (g.groups[i] == g.groups[j]) as usize;
        }
    }
    hits as f64 / n as f64
}

/// Adjacency-derived embeddings separate the groups (what the cluster strategy relies on).
#[test]
fn adjacency_neighbours_share_groups() {
    let large = nn_same_group(&generate(&report_large_160(LARGE_SEED)));
    let small = nn_same_group(&generate(&small_spec(9)));
    let real = nn_same_group(&generate(&report_like_746(REAL746_SEED)));
    eprintln!("nn same group: large {large:.3}, small spec {small:.3}, real746 {real:.3}");
    assert!(large > 0.8, "large {large:.3}");
    assert!(small > 0.8, "small spec {small:.3}");
    assert!(real > 0.8, "real746 {real:.3}");
}

/// `to_signed_graph` keeps ids and signs, and this module's row fractions agree with the
/// engine's `edge_fractions` on the same rows.
#[test]
fn engine_graph_agrees() {
    let g = generate(&report_large_160(LARGE_SEED));
    let sg = g.to_signed_graph().unwrap();
    assert_eq!(sg.node_count(), g.nodes.len());
    let (p, n) = g.edge_counts();
    assert_eq!(sg.edge_counts(), (p as u64, n as u64));
    for (i, (m, v)) in g.nodes.iter().enumerate() {
        assert_eq!(sg.find(m, v), Some(i as u32));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = g.nodes.len() as u64;
    for _ in 0..200 {
        let row: Vec<u32> = {
            let mut r: Vec<u32> = (0..8).map(|_| (rng.next_u64() % n) as u32).collect();
            r.sort_unstable();
            r.dedup();
            r
        };
        let (mut pairs, mut pos, mut neg) = (0u64, 0u64, 0u64);
        for (i, &a) in row.iter().enumerate() {
            for &b in &row[i + 1..] {
                if g.nodes[a as usize].0 != g.nodes[b as usize].0 {
                    pairs += 1;
                    match g.edges.binary_search_by_key(&(a, b), |e| (e.0, e.1)) {
                        Ok(k) if g.edges[k].2 => pos += 1,
                        Ok(_) => neg += 1,
                        Err(_) => {}
                    }
                }
            }
        }
        let f = sg.edge_fractions(&row);
        assert_eq!(
            (f.pairs, f.pos_edges, f.neg_edges),
            (pairs, pos, neg),
            "{row:?}"
        );
    }
}

/// Importing the checked-in fixture CSVs gives exactly the generator's engine graph (same node
/// ids, same snapshot bytes), so engine tests may read the files instead of generating.
#[test]
fn fixture_csv_import_is_the_generated_graph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    for (name, spec) in [
        ("large", report_large_160(LARGE_SEED)),
        ("real746", report_like_746(REAL746_SEED)),
    ] {
        let cat =
            valence_engine::Catalogue::from_csv(&root.join(name).join("catalogue.csv")).unwrap();
        let (imported, _) =
            valence_engine::read_edges_csv(&root.join(name).join("edges.csv"), Some(&cat)).unwrap();
        let generated = generate(&spec).to_signed_graph().unwrap();
        assert!(
            imported.to_snapshot().unwrap() == generated.to_snapshot().unwrap(),
            "fixtures/{name}: the imported graph differs from the generated one"
        );
    }
}
