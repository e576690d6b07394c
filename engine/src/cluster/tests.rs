use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

/// `sizes.len()` Gaussian blobs in `dim` dimensions: random centres of norm
/// about 1 per dimension, points = centre + `spread` · N(0, 1). Returns the
/// points and the true blob of each.
fn blobs(sizes: &[usize], dim: usize, spread: f64, seed: u64) -> (Vec<Vec<f32>>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f64>> = sizes
        .iter()
        .map(|_| (0..dim).map(|_| gaussian(&mut rng)).collect())
        .collect();
    let mut points = Vec::new();
    let mut truth = Vec::new();
    for (b, &size) in sizes.iter().enumerate() {
        for _ in 0..size {
            points.push(
                centres[b]
                    .iter()
                    .map(|c| (c + spread * gaussian(&mut rng)) as f32)
                    .collect(),
            );
            truth.push(b);
        }
    }
    (points, truth)
}

/// Fraction of points whose cluster's majority true class is their own.
fn purity(labels: &[usize], truth: &[usize]) -> f64 {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let t = truth.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0usize; t]; k];
    for (&l, &c) in labels.iter().zip(truth) {
        table[l][c] += 1;
    }
    let hits: usize = table
        .iter()
        .map(|row| row.iter().copied().max().unwrap_or(0))
        .sum();
    hits as f64 / labels.len() as f64
}

fn assert_valid(c: &Clustering, n: usize) {
    assert_eq!(c.labels.len(), n);
    assert_eq!(c.noise.len(), n);
    assert!(
        c.labels.iter().all(|&l| l < c.k),
        "label out of range: {c:?}"
    );
    // Every id in 0..k is used.
    let members = c.members();
    assert_eq!(members.len(), c.k);
    assert!(
        members.iter().all(|m| !m.is_empty()),
        "empty cluster: {c:?}"
    );
}

#[test]
fn three_blobs_umap_path() {
    let (points, truth) = blobs(&[14, 13, 13], 32, 0.15, 1);
    let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
    assert_valid(&c, 40);
    assert_eq!(c.method, "umap+hdbscan");
    assert_eq!(c.k, 3, "{c:?}");
    assert!(purity(&c.labels, &truth) >= 0.9, "{c:?}");
}

#[test]
fn three_blobs_pca_path() {
    let (points, truth) = blobs(&[6, 5, 5], 32, 0.15, 2);
    let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
    assert_valid(&c, 16);
    assert_eq!(c.method, "pca+hdbscan");
    assert_eq!(c.k, 3, "{c:?}");
    assert!(purity(&c.labels, &truth) >= 0.9, "{c:?}");
}

#[test]
fn three_blobs_low_dim_skips_reduction() {
    let (points, truth) = blobs(&[6, 5, 5], 8, 0.1, 3);
    let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
    assert_valid(&c, 16);
    assert_eq!(c.method, "hdbscan");
    assert_eq!(c.k, 3, "{c:?}");
    assert!(purity(&c.labels, &truth) >= 0.9, "{c:?}");
}

#[test]
fn blobs_hold_up_across_seeds_and_sizes() {
    for seed in 0..4u64 {
        let (points, truth) = blobs(&[30, 20, 10], 64, 0.15, 100 + seed);
        let params = ClusterParams {
            seed,
            ..ClusterParams::default()
        };
        let c = cluster_modality(&points, &params).unwrap();
        assert_valid(&c, 60);
        assert_eq!(c.k, 3, "seed {seed}: {c:?}");
        assert!(purity(&c.labels, &truth) >= 0.9, "seed {seed}: {c:?}");
    }
}

#[test]
fn small_modality_is_all_singletons() {
    let (points, _) = blobs(&[5, 5], 32, 0.1, 4);
    let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
    assert_eq!(c.method, "singletons");
    assert_eq!(c.k, 10);
    assert_eq!(c.labels, (0..10).collect::<Vec<_>>());
    assert!(c.noise.iter().all(|&x| !x));

    let empty = cluster_modality(&[], &ClusterParams::default()).unwrap();
    assert_eq!((empty.k, empty.labels.len()), (0, 0));
}

#[test]
fn identical_and_constant_points_do_not_panic() {
    for n in [16usize, 25, 40] {
        for v in [vec![0.3f32; 32], vec![0.0f32; 32], vec![1.0f32; 4]] {
            let points = vec![v.clone(); n];
            let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
            assert_valid(&c, n);
            assert_eq!(c.k, 1, "n = {n}: {c:?}");
        }
    }
}

#[test]
fn duplicates_and_near_degenerate_input_do_not_panic() {
    // Every blob point twice: many zero distances in kNN and in HDBSCAN.
    for sizes in [&[8usize, 8][..], &[5, 4][..]] {
        let (points, truth) = blobs(sizes, 32, 0.15, 5);
        let doubled: Vec<Vec<f32>> = points.iter().flat_map(|p| [p.clone(), p.clone()]).collect();
        let truth2: Vec<usize> = truth.iter().flat_map(|&t| [t, t]).collect();
        let c = cluster_modality(&doubled, &ClusterParams::default()).unwrap();
        assert_valid(&c, doubled.len());
        assert!(purity(&c.labels, &truth2) >= 0.9, "{c:?}");
    }
    // Rank-1 data (points on one line through the origin, plus its negation).
    let line: Vec<Vec<f32>> = (0..30)
        .map(|i| {
            let s = if i % 2 == 0 { 1.0 } else { -1.0 } * (1.0 + i as f32);
            vec![s; 32]
        })
        .collect();
    let c = cluster_modality(&line, &ClusterParams::default()).unwrap();
    assert_valid(&c, 30);
    assert_eq!(c.k, 2, "{c:?}");
    // Some zero vectors among real ones.
    let (mut points, _) = blobs(&[10, 10], 32, 0.1, 6);
    points.extend(std::iter::repeat_n(vec![0.0f32; 32], 3));
    let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
    assert_valid(&c, 23);
}

#[test]
fn same_seed_same_labels() {
    let (points, _) = blobs(&[14, 13, 13, 12], 48, 0.3, 7);
    let params = ClusterParams {
        seed: 42,
        ..ClusterParams::default()
    };
    let a = cluster_modality(&points, &params).unwrap();
    let b = cluster_modality(&points, &params).unwrap();
    assert_eq!(a, b);
    let (small, _) = blobs(&[6, 6, 5], 48, 0.3, 8);
    let a = cluster_modality(&small, &params).unwrap();
    let b = cluster_modality(&small, &params).unwrap();
    assert_eq!(a, b);
}

#[test]
fn outliers_are_flagged_and_reassigned() {
    // PCA path: two tight blobs close to each other (the second centre is
    // the first plus a small offset) and isolated points in unrelated
    // directions, much farther from everything than the blobs are apart.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let centre: Vec<f64> = (0..32).map(|_| gaussian(&mut rng)).collect();
    let offset: Vec<f64> = (0..32).map(|_| 0.5 * gaussian(&mut rng)).collect();
    let mut points: Vec<Vec<f32>> = (0..14)
        .map(|i| {
            let shift = if i < 7 { 0.0 } else { 1.0 };
            (0..32)
                .map(|d| (centre[d] + shift * offset[d] + 0.03 * gaussian(&mut rng)) as f32)
                .collect()
        })
        .collect();
    // Two outliers on opposite sides: each is far from everything, so each
    // falls out of the hierarchy alone (a close pair would be a cluster of 2).
    let u: Vec<f32> = (0..32).map(|_| gaussian(&mut rng) as f32).collect();
    points.push(u.clone());
    points.extend(std::iter::repeat_n(u.iter().map(|x| -x).collect(), 1));
    let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
    assert_valid(&c, 16);
    assert_eq!(c.method, "pca+hdbscan");
    assert_eq!(c.k, 2, "{c:?}");
    assert_eq!(c.noise[14..], [true; 2], "{c:?}");
    // Blob members are not noise and keep their blob together.
    assert!(c.noise[..14].iter().all(|&x| !x), "{c:?}");
    assert!(c.labels[..7].iter().all(|&l| l == c.labels[0]));
    assert!(c.labels[7..14].iter().all(|&l| l == c.labels[7]));
    assert_ne!(c.labels[0], c.labels[7]);
    // Each noise point went to the nearer centroid (both are about equally
    // far here, so only validity is checked) and kept the flag.
    assert!(c.labels[14] < 2 && c.labels[15] < 2);

    // UMAP path: UMAP tends to attach isolated points to a neighbour, so
    // only the invariants are checked here.
    let (mut points, _) = blobs(&[12, 12], 32, 0.05, 9);
    let (outliers, _) = blobs(&[1, 1, 1, 1], 32, 0.0, 10);
    points.extend(outliers);
    let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
    assert_valid(&c, 28);
    assert_eq!(c.method, "umap+hdbscan");
    assert!(c.labels[..12].iter().all(|&l| l == c.labels[0]));
    assert!(c.labels[12..24].iter().all(|&l| l == c.labels[12]));
}

#[test]
fn noise_goes_to_nearest_centroid() {
    let points = vec![
        vec![0.0, 0.0],
        vec![0.0, 1.0],
        vec![10.0, 0.0],
        vec![10.0, 1.0],
        vec![9.0, 5.0], // noise, nearer to cluster 1's centroid (10, 0.5)
        vec![1.0, 0.5], // noise, nearer to cluster 0
    ];
    let raw = [Some(0), Some(0), Some(1), Some(1), None, None];
    let c = assign_noise(&points, &raw, "hdbscan");
    assert_eq!(c.k, 2);
    assert_eq!(c.labels, vec![0, 0, 1, 1, 1, 0]);
    assert_eq!(c.noise, vec![false, false, false, false, true, true]);
}

#[test]
fn no_possible_split_falls_back_to_singletons() {
    let (points, _) = blobs(&[8, 8], 32, 0.1, 11);
    let params = ClusterParams {
        min_cluster_size: 9,
        ..ClusterParams::default()
    };
    let c = cluster_modality(&points, &params).unwrap();
    assert_eq!(c.k, 16);
    assert_eq!(c.method, "pca+hdbscan");
}

#[test]
fn invalid_input_is_an_error() {
    let p = ClusterParams::default();
    let ragged = vec![vec![1.0f32; 4], vec![1.0f32; 3]];
    assert!(cluster_modality(&ragged, &p).is_err());
    let nan = vec![vec![f32::NAN; 4]; 20];
    let err = cluster_modality(&nan, &p).unwrap_err().to_string();
    assert!(err.contains("non-finite"), "{err}");
    let bad = ClusterParams {
        min_cluster_size: 1,
        ..ClusterParams::default()
    };
    assert!(cluster_modality(&[vec![1.0]], &bad).is_err());
    let bad = ClusterParams {
        umap_dims: 0,
        ..ClusterParams::default()
    };
    assert!(cluster_modality(&[vec![1.0]], &bad).is_err());
    assert!(cluster_modality(&[vec![]], &p).is_err());
}

#[test]
fn l2_normalize_unit_and_zero() {
    let mut v = vec![3.0f32, 4.0];
    l2_normalize(&mut v);
    assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
    let mut z = vec![0.0f32; 3];
    l2_normalize(&mut z);
    assert_eq!(z, vec![0.0; 3]);
}

#[test]
fn random_projection_is_seeded_and_roughly_isometric() {
    let (rows, _) = blobs(&[10], 200, 1.0, 12);
    let a = random_projection(&rows, 128, 7);
    let b = random_projection(&rows, 128, 7);
    let c = random_projection(&rows, 128, 8);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.iter().all(|r| r.len() == 128));
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    for (r, p) in rows.iter().zip(&a) {
        let ratio = norm(p) / norm(r);
        assert!((0.7..1.3).contains(&ratio), "norm ratio {ratio}");
    }
    // Short rows are zero-padded; zero dims give empty rows.
    let ragged = random_projection(&[vec![1.0], vec![1.0, 0.0]], 4, 1);
    assert_eq!(ragged[0], ragged[1]);
    assert!(random_projection(&rows, 0, 1).iter().all(Vec::is_empty));
}

#[test]
fn pca_recovers_dominant_direction_and_handles_rank_deficit() {
    // Points along (1, 2, 2)/3 with small variation in a second direction.
    let points: Vec<Vec<f32>> = (0..10)
        .map(|i| {
            let t = i as f32 - 4.5;
            let s = if i % 2 == 0 { 0.1 } else { -0.1 };
            vec![t / 3.0 + s, 2.0 * t / 3.0, 2.0 * t / 3.0 - s]
        })
        .collect();
    let scores = pca::project(&points, 3, 0, pca::ITERATIONS);
    assert_eq!(scores.len(), 10);
    let var = |j: usize| scores.iter().map(|r| r[j] * r[j]).sum::<f64>();
    // Total variance is preserved; components are ordered.
    let total: f64 = {
        let mean: Vec<f64> = (0..3)
            .map(|j| points.iter().map(|p| f64::from(p[j])).sum::<f64>() / 10.0)
            .collect();
        points
            .iter()
            .map(|p| {
                (0..3)
                    .map(|j| (f64::from(p[j]) - mean[j]).powi(2))
                    .sum::<f64>()
            })
            .sum()
    };
    assert!((var(0) + var(1) + var(2) - total).abs() < 1e-4 * total);
    assert!(var(0) > var(1) && var(1) >= var(2));
    assert!(
        var(2) < 1e-6 * total,
        "rank 2 data, third component {}",
        var(2)
    );
    assert!(scores.iter().flatten().all(|v| v.is_finite()));
    // Constant input.
    let flat = pca::project(&vec![vec![1.0f32; 5]; 4], 3, 0, 10);
    assert!(flat.iter().flatten().all(|&v| v == 0.0));
}

#[test]
fn jacobi_matches_known_eigenvalues() {
    let (values, vectors) = pca::jacobi_eigen(vec![
        vec![2.0, 1.0, 0.0],
        vec![1.0, 2.0, 0.0],
        vec![0.0, 0.0, 5.0],
    ]);
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    for (got, want) in sorted.iter().zip([1.0, 3.0, 5.0]) {
        assert!((got - want).abs() < 1e-10, "{values:?}");
    }
    // Columns are orthonormal.
    for a in 0..3 {
        for b in 0..3 {
            let dot: f64 = (0..3).map(|i| vectors[i][a] * vectors[i][b]).sum();
            let want = if a == b { 1.0 } else { 0.0 };
            assert!((dot - want).abs() < 1e-10);
        }
    }
}

#[test]
fn cosine_knn_lists_self_first_then_nearest() {
    let mut points = vec![
        vec![1.0f32, 0.0],
        vec![0.0, 1.0],
        vec![0.8, 0.6],
        vec![-1.0, 0.0],
    ];
    points.iter_mut().for_each(|p| l2_normalize(p));
    let (idx, dist) = umap::cosine_knn(&points, 3);
    assert_eq!(idx.row(0).to_vec(), vec![0, 2, 1]);
    assert_eq!(dist[(0, 0)], 0.0);
    assert!((dist[(0, 1)] - 0.2).abs() < 1e-6);
    assert_eq!(idx.row(3).to_vec(), vec![3, 1, 2]);
}

/// Reduction and clustering of one fixed input (UMAP path), as text: the
/// embedding's bits folded into one word, then method, `k`, labels and noise.
fn fingerprint() -> String {
    let (points, _) = blobs(&[14, 13, 13], 32, 0.4, 14);
    let reduced = umap::reduce(&points, 15, 3).unwrap();
    let bits: u64 = reduced
        .iter()
        .flatten()
        .fold(0u64, |h, v| h.rotate_left(5) ^ v.to_bits());
    let c = cluster_modality(&points, &ClusterParams::default()).unwrap();
    format!(
        "embedding {bits:016x} {} k {} labels {:?} noise {:?}",
        c.method, c.k, c.labels, c.noise
    )
}

/// Prints the fingerprint for [`same_fingerprint_across_processes_and_thread_counts`].
#[test]
#[ignore = "child process of same_fingerprint_across_processes_and_thread_counts"]
fn fingerprint_child() {
    println!("fingerprint: {}", fingerprint());
}

/// Same input, same embedding and clusters: on one and two rayon threads,
/// and in a second process (hash seeds and allocations differ there).
#[test]
fn same_fingerprint_across_processes_and_thread_counts() {
    let on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(fingerprint)
    };
    let here = on(1);
    assert_eq!(here, on(2));
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "cluster::tests::fingerprint_child",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let child = stdout
        .lines()
        .find_map(|l| l.split_once("fingerprint: ").map(|(_, f)| f))
        .unwrap_or_else(|| panic!("no fingerprint in the child's output: {stdout}"));
    assert_eq!(child, here);
}
