//! Per-modality clustering for the cluster-first graph generator
//! (reference §4.2 and the configuration table of §5.1.2).
//!
//! Attributes of one modality arrive as embedding vectors; [`cluster_modality`]
//! groups them so that the LLM can score cluster pairs instead of attribute
//! pairs. The pipeline, with the defaults of [`ClusterParams`]:
//!
//! 1. fewer than `min_attributes_to_cluster` (15) attributes: every attribute
//!    is its own cluster (`method = "singletons"`). The reference (§7.1) found
//!    that density clustering is meaningless at that size;
//! 2. L2-normalise every vector;
//! 3. reduce: UMAP (cosine input metric, `umap_dims` = 15 output dimensions)
//!    when there are at least `umap_threshold` (20) attributes; below that,
//!    PCA to `min(umap_dims, n - 1, dim)` components when the embedding is
//!    wider than `umap_dims`; otherwise no reduction;
//! 4. HDBSCAN (Euclidean, `min_cluster_size` = 2, `min_samples` equal to it,
//!    as in the Python `hdbscan` default) on the reduced points;
//! 5. every HDBSCAN noise point is reassigned to the nearest cluster centroid
//!    (Euclidean, in the reduced space) and flagged in [`Clustering::noise`],
//!    so the expansion step can route it back to the LLM instead of letting
//!    it inherit a cluster score.
//!
//! ```
//! use valence_engine::{ClusterParams, cluster_modality, random_projection};
//!
//! // 30 attributes: two groups of signed adjacency-like rows, projected to a
//! // fixed width as an oracle backend would do.
//! let rows: Vec<Vec<f32>> = (0..30)
//!     .map(|i| (0..40).map(|j| if (j < 20) == (i < 15) { 1.0 } else { -1.0 }).collect())
//!     .collect();
//! let embeddings = random_projection(&rows, 64, 7);
//! let c = cluster_modality(&embeddings, &ClusterParams::default())?;
//! assert_eq!(c.method, "umap+hdbscan");
//! assert_eq!(c.labels.len(), 30);
//! assert!(c.labels.iter().all(|&l| l < c.k));
//! assert_eq!(c.k, 2, "{c:?}");
//! # Ok::<(), valence_engine::Error>(())
//! ```
//!
//! Fallbacks (never a panic):
//! - HDBSCAN finds no cluster at all (or there are fewer than
//!   `2 * min_cluster_size` points, so no split is possible): all
//!   singletons, `noise` all false, `method` still names the path taken.
//!   Singletons are the safe choice: every attribute is then scored on its
//!   own, exactly as brute force would, and nothing inherits a wrong score.
//! - All points identical after normalisation (duplicate or constant
//!   embeddings): one cluster, `k = 1`, no noise.
//! - A panic inside a third-party crate is caught: a UMAP failure falls back
//!   to PCA (`method = "pca+hdbscan"`), an HDBSCAN failure to singletons.
//!   (This relies on `panic = "unwind"`, the workspace setting; the default
//!   panic hook still prints the message to stderr.)
//!
//! Determinism: the result depends only on the input and `params.seed`
//! (UMAP initialisation noise and negative sampling use a seeded ChaCha8
//! stream; the SGD runs sequentially). Cluster ids are numbered in order of
//! their first member.
//!
//! # Crates, and where one could not serve
//! - HDBSCAN: `petal-clustering` 0.14 (`HDbscan`, Euclidean metric, Prim
//!   minimum spanning tree, `boruvka = false`), see `hdbscan.rs`.
//!   `linfa-clustering` has no HDBSCAN and cannot be built together with
//!   `umap-rs` (sprs version pin).
//! - UMAP: `umap-rs` 0.4.5 serves the deterministic half only:
//!   `Umap::learn_manifold` builds the fuzzy simplicial set from our exact
//!   cosine k-nearest-neighbour lists. Its layout optimiser (`Umap::fit`,
//!   `Optimizer::step_epochs`) cannot be used because it draws negative
//!   samples from `rand::rng()` (thread-local, unseeded) and runs Hogwild!
//!   SGD across rayon threads: two runs never give the same embedding and a
//!   seed cannot be supplied. `umap.rs` therefore runs the layout SGD itself,
//!   a sequential port of umap-learn's `optimize_layout_euclidean` driven by a
//!   seeded ChaCha8 RNG. The umap-rs `find_ab_params` is a short gradient
//!   descent; we pass umap-learn's fitted curve parameters instead.
//! - PCA: our own (`pca.rs`: subspace iteration plus a Jacobi Rayleigh–Ritz
//!   step), because linfa's PCA cannot coexist with umap-rs and panicked on
//!   degenerate input.

mod hdbscan;
mod pca;
mod umap;

#[cfg(test)]
mod tests;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Error, Result};

/// Parameters of [`cluster_modality`]; `Default` gives the reference values
/// (§5.1.2) with seed 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterParams {
    /// Modalities with fewer attributes than this are all singletons (15).
    pub min_attributes_to_cluster: usize,
    /// UMAP is used from this many attributes on, PCA below (20).
    pub umap_threshold: usize,
    /// Output dimension of UMAP, and the PCA target (15).
    pub umap_dims: usize,
    /// HDBSCAN minimum cluster size, also used as `min_samples` (2).
    pub min_cluster_size: usize,
    /// Seed for every random choice (UMAP init noise, negative sampling, PCA start).
    pub seed: u64,
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            min_attributes_to_cluster: 15,
            umap_threshold: 20,
            umap_dims: 15,
            min_cluster_size: 2,
            seed: 0,
        }
    }
}

/// Result of [`cluster_modality`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clustering {
    /// Cluster id per input row, in `0..k`; ids are numbered by first member.
    pub labels: Vec<usize>,
    /// `true` = HDBSCAN called the row noise; it was reassigned to the
    /// nearest cluster centroid and must not inherit cluster-level scores.
    pub noise: Vec<bool>,
    /// Number of clusters.
    pub k: usize,
    /// Path taken: `"singletons"`, `"pca+hdbscan"`, `"umap+hdbscan"` or `"hdbscan"`.
    pub method: &'static str,
}

impl Clustering {
    /// Row indices of each cluster, `k` lists in id order.
    pub fn members(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.k];
        for (row, &c) in self.labels.iter().enumerate() {
            if let Some(list) = out.get_mut(c) {
                list.push(row);
            }
        }
        out
    }

    fn singletons(n: usize, method: &'static str) -> Clustering {
        Clustering {
            labels: (0..n).collect(),
            noise: vec![false; n],
            k: n,
            method,
        }
    }
}

/// Scale `v` to unit Euclidean length in place. A zero (or non-finite-norm)
/// vector is left unchanged, so no NaN is ever produced.
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm > 0.0 && norm.is_finite() {
        for x in v.iter_mut() {
            *x = (f64::from(*x) / norm) as f32;
        }
    }
}

/// Cluster the embeddings of one modality (one row per attribute).
///
/// See the module documentation for the pipeline and its fallbacks. Errors
/// only on invalid input: rows of different lengths, empty rows, non-finite
/// values, `umap_dims == 0` or `min_cluster_size < 2`.
pub fn cluster_modality(embeddings: &[Vec<f32>], params: &ClusterParams) -> Result<Clustering> {
    validate(embeddings, params)?;
    let n = embeddings.len();
    if n < params.min_attributes_to_cluster {
        return Ok(Clustering::singletons(n, "singletons"));
    }
    let dim = embeddings.first().map_or(0, Vec::len);
    let use_umap = n >= params.umap_threshold;
    let use_pca = !use_umap && dim > params.umap_dims;
    let method = if use_umap {
        "umap+hdbscan"
    } else if use_pca {
        "pca+hdbscan"
    } else {
        "hdbscan"
    };
    // With fewer than two minimum-size groups HDBSCAN cannot split the root.
    if n < 2 * params.min_cluster_size {
        return Ok(Clustering::singletons(n, method));
    }

    let mut points: Vec<Vec<f32>> = embeddings.to_vec();
    for p in &mut points {
        l2_normalize(p);
    }
    if max_spread(points.iter().map(|p| p.iter().map(|&x| f64::from(x)))) < 1e-6 {
        return Ok(one_cluster(n, method));
    }

    let pca_dims = params.umap_dims.min(n - 1).min(dim);
    let (reduced, method): (Vec<Vec<f64>>, &'static str) = if use_umap {
        match umap::reduce(&points, params.umap_dims, params.seed) {
            Some(r) => (r, method),
            None => (
                pca::project(&points, pca_dims, params.seed, pca::ITERATIONS),
                "pca+hdbscan",
            ),
        }
    } else if use_pca {
        (
            pca::project(&points, pca_dims, params.seed, pca::ITERATIONS),
            method,
        )
    } else {
        (
            points
                .iter()
                .map(|p| p.iter().map(|&x| f64::from(x)).collect())
                .collect(),
            method,
        )
    };
    if max_spread(reduced.iter().map(|p| p.iter().copied())) < 1e-9 {
        return Ok(one_cluster(n, method));
    }

    let raw = match hdbscan::fit(&reduced, params.min_cluster_size) {
        Some(raw) if raw.iter().any(Option::is_some) => raw,
        _ => return Ok(Clustering::singletons(n, method)),
    };
    Ok(assign_noise(&reduced, &raw, method))
}

/// Gaussian random projection of `rows` to `dims` columns: `rows · R` with
/// `R[i][j] ~ N(0, 1/dims)` drawn from ChaCha8 seeded with `seed`. Rows
/// shorter than the longest are zero-padded. Row `i` of `R` depends only on
/// `(i, dims, seed)`, so adding input columns never changes earlier ones'
/// contribution. Pairwise distances are preserved in expectation
/// (Johnson–Lindenstrauss).
pub fn random_projection(rows: &[Vec<f32>], dims: usize, seed: u64) -> Vec<Vec<f32>> {
    let in_dim = rows.iter().map(Vec::len).max().unwrap_or(0);
    if dims == 0 {
        return vec![Vec::new(); rows.len()];
    }
    let scale = 1.0 / (dims as f64).sqrt();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut matrix = vec![0.0f64; in_dim * dims];
    for x in matrix.iter_mut() {
        *x = gaussian(&mut rng) * scale;
    }
    rows.iter()
        .map(|row| {
            let mut out = vec![0.0f64; dims];
            for (i, &v) in row.iter().enumerate() {
                let v = f64::from(v);
                if v == 0.0 {
                    continue;
                }
                let r = &matrix[i * dims..(i + 1) * dims];
                for (o, &m) in out.iter_mut().zip(r) {
                    *o += v * m;
                }
            }
            out.into_iter().map(|x| x as f32).collect()
        })
        .collect()
}

/// Standard normal sample (Box–Muller; one of the pair is discarded so that
/// the stream position depends only on the number of samples drawn).
pub(crate) fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    // u1 in (0, 1] so that ln(u1) is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn validate(embeddings: &[Vec<f32>], params: &ClusterParams) -> Result<()> {
    if params.umap_dims == 0 {
        return Err(Error::invalid_hint(
            "cluster parameter umap_dims is 0",
            "use at least 1 output dimension (the reference uses 15)",
        ));
    }
    if params.min_cluster_size < 2 {
        return Err(Error::invalid_hint(
            format!(
                "cluster parameter min_cluster_size is {}",
                params.min_cluster_size
            ),
            "HDBSCAN needs a minimum cluster size of at least 2 (the reference uses 2)",
        ));
    }
    let Some(first) = embeddings.first() else {
        return Ok(());
    };
    let dim = first.len();
    if dim == 0 {
        return Err(Error::invalid_hint(
            "embedding 0 is empty",
            "every attribute needs a non-empty embedding vector",
        ));
    }
    for (i, row) in embeddings.iter().enumerate() {
        if row.len() != dim {
            return Err(Error::invalid_hint(
                format!(
                    "embedding {i} has {} dimensions, embedding 0 has {dim}",
                    row.len()
                ),
                "embed all attributes of a modality with the same model",
            ));
        }
        if let Some(j) = row.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid_hint(
                format!("embedding {i} has a non-finite value at dimension {j}"),
                "check the embedding source; NaN or infinite values cannot be clustered",
            ));
        }
    }
    Ok(())
}

/// Largest Euclidean distance of a point from the mean of all points.
fn max_spread<R, I>(rows: R) -> f64
where
    R: Iterator<Item = I> + Clone,
    I: Iterator<Item = f64>,
{
    let mut mean: Vec<f64> = Vec::new();
    let mut n = 0usize;
    for row in rows.clone() {
        for (j, x) in row.enumerate() {
            if j >= mean.len() {
                mean.push(0.0);
            }
            mean[j] += x;
        }
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    rows.map(|row| {
        row.zip(&mean)
            .map(|(x, m)| (x - m) * (x - m))
            .sum::<f64>()
            .sqrt()
    })
    .fold(0.0, f64::max)
}

fn one_cluster(n: usize, method: &'static str) -> Clustering {
    Clustering {
        labels: vec![0; n],
        noise: vec![false; n],
        k: 1,
        method,
    }
}

/// Turn HDBSCAN's raw labels (`None` = noise; ids already numbered by first
/// member and dense) into a [`Clustering`], moving each noise point to the
/// nearest centroid of the clustered points.
fn assign_noise(points: &[Vec<f64>], raw: &[Option<usize>], method: &'static str) -> Clustering {
    let k = raw.iter().flatten().map(|&c| c + 1).max().unwrap_or(0);
    let dim = points.first().map_or(0, Vec::len);
    let mut centroids = vec![vec![0.0f64; dim]; k];
    let mut counts = vec![0usize; k];
    for (p, c) in points.iter().zip(raw) {
        if let Some(c) = *c {
            counts[c] += 1;
            for (s, x) in centroids[c].iter_mut().zip(p) {
                *s += x;
            }
        }
    }
    for (cen, &cnt) in centroids.iter_mut().zip(&counts) {
        if cnt > 0 {
            for s in cen.iter_mut() {
                *s /= cnt as f64;
            }
        }
    }
    let mut labels = Vec::with_capacity(points.len());
    let mut noise = Vec::with_capacity(points.len());
    for (p, c) in points.iter().zip(raw) {
        match *c {
            Some(c) => {
                labels.push(c);
                noise.push(false);
            }
            None => {
                let mut best = 0usize;
                let mut best_d = f64::INFINITY;
                for (id, cen) in centroids.iter().enumerate() {
                    let d: f64 = p.iter().zip(cen).map(|(a, b)| (a - b) * (a - b)).sum();
                    // Strict `<` keeps the lowest id on ties.
                    if d < best_d {
                        best_d = d;
                        best = id;
                    }
                }
                labels.push(best);
                noise.push(true);
            }
        }
    }
    Clustering {
        labels,
        noise,
        k,
        method,
    }
}
