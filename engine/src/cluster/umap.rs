//! UMAP reduction with a cosine input metric.
//!
//! - exact k-nearest neighbours by cosine distance (`O(n² · dim)`; `n` is at
//!   most a few thousand attributes per modality), self first at distance 0
//!   as umap-learn does;
//! - fuzzy simplicial set from `umap-rs` (`Umap::learn_manifold`, deterministic);
//! - PCA initialisation scaled to `[0, 10]` per column plus seeded noise
//!   (umap-learn's post-processing of its spectral initialisation);
//! - layout SGD: a sequential port of umap-learn's `optimize_layout_euclidean`
//!   (attraction along graph edges, `negative_sample_rate` = 5 repulsive
//!   samples, gradient clip 4, linearly decaying learning rate from 1.0),
//!   seeded ChaCha8 negative sampling. See `mod.rs` for why umap-rs's own
//!   optimiser is not used.
//!
//! `min_dist` is 0.0 (umap-learn's advice when the embedding feeds a density
//! clusterer); the curve parameters `a`, `b` are umap-learn's fit for
//! `spread = 1, min_dist = 0`.

use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use umap_rs::{GraphParams, ManifoldParams, OptimizationParams, Umap, UmapConfig};

use super::{gaussian, pca};

/// Neighbours per point, including the point itself (umap-learn default 15).
const N_NEIGHBORS: usize = 15;
/// umap-learn `find_ab_params(spread = 1.0, min_dist = 0.0)`.
const CURVE_A: f32 = 1.895_6;
const CURVE_B: f32 = 0.800_6;
const NEGATIVE_SAMPLE_RATE: f32 = 5.0;
const REPULSION: f32 = 1.0;
const LEARNING_RATE: f32 = 1.0;
/// PCA iterations for the initialisation (it need not be exact).
const INIT_PCA_ITERATIONS: usize = 20;

/// Reduce L2-normalised `points` to `dims` dimensions. `None` if the UMAP
/// graph construction panicked (the caller falls back to PCA).
pub(crate) fn reduce(points: &[Vec<f32>], dims: usize, seed: u64) -> Option<Vec<Vec<f64>>> {
    let n = points.len();
    if n < 3 || dims == 0 {
        return None;
    }
    let k = N_NEIGHBORS.min(n - 1);
    let (knn_idx, knn_dist) = cosine_knn(points, k);
    let edges = fuzzy_graph(n, k, &knn_idx, &knn_dist)?;
    let mut embedding = initial_embedding(points, dims, seed);
    let n_epochs = if n <= 10_000 { 500 } else { 200 };
    optimize_layout(&mut embedding, dims, n, &edges, n_epochs, seed);
    Some(
        embedding
            .chunks(dims)
            .map(|row| row.iter().map(|&v| f64::from(v)).collect())
            .collect(),
    )
}

/// Exact kNN by cosine distance `1 - dot` on unit vectors (clamped at 0).
/// Column 0 is the point itself; ties are broken by index.
pub(crate) fn cosine_knn(points: &[Vec<f32>], k: usize) -> (Array2<u32>, Array2<f32>) {
    let n = points.len();
    let mut idx = Array2::<u32>::zeros((n, k));
    let mut dist = Array2::<f32>::zeros((n, k));
    let mut row: Vec<(f32, u32)> = Vec::with_capacity(n);
    for i in 0..n {
        row.clear();
        for (j, q) in points.iter().enumerate() {
            if j == i {
                continue;
            }
            let dot: f32 = points[i].iter().zip(q).map(|(a, b)| a * b).sum();
            row.push(((1.0 - dot).max(0.0), j as u32));
        }
        let by = |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        let take = (k - 1).min(row.len());
        if take < row.len() {
            row.select_nth_unstable_by(take, by);
        }
        row.truncate(take);
        row.sort_unstable_by(by);
        idx[(i, 0)] = i as u32;
        dist[(i, 0)] = 0.0;
        for (c, &(d, j)) in row.iter().enumerate() {
            idx[(i, c + 1)] = j;
            dist[(i, c + 1)] = d;
        }
    }
    (idx, dist)
}

/// Fuzzy simplicial set as a directed edge list `(head, tail, weight)`
/// (both directions of each symmetric edge, as umap-learn's COO matrix).
fn fuzzy_graph(
    n: usize,
    k: usize,
    knn_idx: &Array2<u32>,
    knn_dist: &Array2<f32>,
) -> Option<Vec<(usize, usize, f32)>> {
    let config = UmapConfig {
        n_components: 2,
        manifold: ManifoldParams {
            min_dist: 0.0,
            spread: 1.0,
            a: Some(CURVE_A),
            b: Some(CURVE_B),
        },
        graph: GraphParams {
            n_neighbors: k,
            ..GraphParams::default()
        },
        optimization: OptimizationParams::default(),
    };
    // learn_manifold reads only the row count of `data`.
    let data = Array2::<f32>::zeros((n, 1));
    let manifold = std::panic::catch_unwind(|| {
        Umap::new(config).learn_manifold(data.view(), knn_idx.view(), knn_dist.view())
    })
    .ok()?;
    let graph = manifold.graph();
    let mut edges = Vec::with_capacity(graph.nnz());
    for (i, row) in graph.outer_iterator().enumerate() {
        for (j, &w) in row.iter() {
            if w.is_finite() && w > 0.0 && i != j {
                edges.push((i, j, w));
            }
        }
    }
    // umap-rs fills rows in parallel; fix the order so the SGD below visits
    // edges identically on every run.
    edges.sort_unstable_by_key(|x| (x.0, x.1));
    Some(edges)
}

/// PCA of the data scaled to `[0, 10]` per column, plus N(0, 1e-4) noise
/// before scaling so constant columns still get distinct coordinates.
fn initial_embedding(points: &[Vec<f32>], dims: usize, seed: u64) -> Vec<f32> {
    let n = points.len();
    let pcs = pca::project(points, dims, seed, INIT_PCA_ITERATIONS);
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(0x1417));
    let mut emb = vec![0.0f64; n * dims];
    for (i, row) in pcs.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            emb[i * dims + j] = v;
        }
    }
    // Expansion to a max |value| of 10, as umap-learn does for spectral init.
    let max_abs = emb.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max_abs > 0.0 {
        emb.iter_mut().for_each(|v| *v *= 10.0 / max_abs);
    }
    for v in emb.iter_mut() {
        *v += 1e-4 * gaussian(&mut rng);
    }
    for j in 0..dims {
        let (lo, hi) = (0..n).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), i| {
            let v = emb[i * dims + j];
            (lo.min(v), hi.max(v))
        });
        let range = hi - lo;
        for i in 0..n {
            let v = &mut emb[i * dims + j];
            *v = if range > 0.0 {
                10.0 * (*v - lo) / range
            } else {
                0.0
            };
        }
    }
    emb.into_iter().map(|v| v as f32).collect()
}

fn clip(v: f32) -> f32 {
    v.clamp(-4.0, 4.0)
}

/// umap-learn `optimize_layout_euclidean` (move_other = true), sequential.
fn optimize_layout(
    emb: &mut [f32],
    dims: usize,
    n: usize,
    edges: &[(usize, usize, f32)],
    n_epochs: usize,
    seed: u64,
) {
    let max_w = edges.iter().fold(0.0f32, |m, e| m.max(e.2));
    if max_w <= 0.0 || n == 0 {
        return;
    }
    // Drop edges too weak to be sampled once (umap-learn prunes the same way).
    let floor = max_w / n_epochs as f32;
    let edges: Vec<(usize, usize, f32)> = edges.iter().copied().filter(|e| e.2 >= floor).collect();
    let eps: Vec<f32> = edges.iter().map(|e| max_w / e.2).collect();
    let eps_neg: Vec<f32> = eps.iter().map(|e| e / NEGATIVE_SAMPLE_RATE).collect();
    let mut next = eps.clone();
    let mut next_neg = eps_neg.clone();
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(0x5eed));
    let (a, b) = (CURVE_A, CURVE_B);
    let mut alpha = LEARNING_RATE;
    let mut cur = vec![0.0f32; dims];

    for epoch in 0..n_epochs {
        let e = epoch as f32;
        for (i, &(j, k, _)) in edges.iter().enumerate() {
            if next[i] > e {
                continue;
            }
            // Attraction.
            let (jo, ko) = (j * dims, k * dims);
            let d2: f32 = (0..dims).map(|d| (emb[jo + d] - emb[ko + d]).powi(2)).sum();
            let coeff = if d2 > 0.0 {
                // d2^(b-1) = d2^b / d2: one powf instead of two.
                let pb = d2.powf(b);
                -2.0 * a * b * (pb / d2) / (a * pb + 1.0)
            } else {
                0.0
            };
            for d in 0..dims {
                let g = clip(coeff * (emb[jo + d] - emb[ko + d]));
                emb[jo + d] += g * alpha;
                emb[ko + d] -= g * alpha;
            }
            next[i] += eps[i];

            // Repulsion from random points.
            let n_neg = ((e - next_neg[i]) / eps_neg[i]).max(0.0) as usize;
            cur.copy_from_slice(&emb[jo..jo + dims]);
            for _ in 0..n_neg {
                let other = rng.random_range(0..n);
                if other == j {
                    continue;
                }
                let oo = other * dims;
                let d2: f32 = (0..dims).map(|d| (cur[d] - emb[oo + d]).powi(2)).sum();
                let coeff = if d2 > 0.0 {
                    2.0 * REPULSION * b / ((0.001 + d2) * (a * d2.powf(b) + 1.0))
                } else {
                    // Same point (or an exact duplicate): no defined direction.
                    continue;
                };
                for d in 0..dims {
                    cur[d] += clip(coeff * (cur[d] - emb[oo + d])) * alpha;
                }
            }
            emb[jo..jo + dims].copy_from_slice(&cur);
            next_neg[i] += n_neg as f32 * eps_neg[i];
        }
        alpha = LEARNING_RATE * (1.0 - (epoch + 1) as f32 / n_epochs as f32);
    }
}
