//! Small dependency-free PCA: subspace (block power) iteration on the centred
//! data, then a Rayleigh–Ritz step solved with cyclic Jacobi. Cost per
//! iteration is `O(n · dim · k)`, so it serves both the small-modality path
//! (`n < 20`, converges in a few iterations because `k` is close to the rank)
//! and the UMAP initialisation (`n` in the thousands).
//!
//! Degenerate input never yields NaN: directions without variance come out as
//! zero columns, constant input projects to all zeros.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::gaussian;

/// Iteration cap for the PCA reduction path.
pub(crate) const ITERATIONS: usize = 100;

/// Project `points` (n rows of equal length) onto their top `k` principal
/// components. Returns `n` rows of `min(k, dim)` scores, components in
/// decreasing variance order; each component's sign is fixed so that its
/// largest-magnitude score is positive.
pub(crate) fn project(points: &[Vec<f32>], k: usize, seed: u64, max_iter: usize) -> Vec<Vec<f64>> {
    let n = points.len();
    let dim = points.first().map_or(0, Vec::len);
    let k = k.min(dim);
    if n == 0 || k == 0 {
        return vec![Vec::new(); n];
    }
    // Centred data, row-major n × dim.
    let mut mean = vec![0.0f64; dim];
    for p in points {
        for (m, &x) in mean.iter_mut().zip(p) {
            *m += f64::from(x);
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    let x: Vec<f64> = points
        .iter()
        .flat_map(|p| p.iter().zip(&mean).map(|(&v, m)| f64::from(v) - m))
        .collect();
    let total: f64 = x.iter().map(|v| v * v).sum();
    if total <= f64::MIN_POSITIVE {
        return vec![vec![0.0; k]; n];
    }

    // Random orthonormal start, k columns of length dim.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_F9CA);
    let mut q: Vec<Vec<f64>> = (0..k)
        .map(|_| (0..dim).map(|_| gaussian(&mut rng)).collect())
        .collect();
    orthonormalise(&mut q);

    let mut last_trace = -1.0f64;
    for _ in 0..max_iter {
        // Z = X Q (n × k as k columns), Y = Xᵀ Z.
        let z: Vec<Vec<f64>> = q.iter().map(|col| mul_x(&x, n, dim, col)).collect();
        let trace: f64 = z.iter().map(|c| c.iter().map(|v| v * v).sum::<f64>()).sum();
        q = z.iter().map(|col| mul_xt(&x, n, dim, col)).collect();
        orthonormalise(&mut q);
        if (trace - last_trace).abs() <= 1e-12 * total {
            break;
        }
        last_trace = trace;
    }

    // Rayleigh–Ritz: B = Zᵀ Z, eigenvectors V, scores = Z V.
    let z: Vec<Vec<f64>> = q.iter().map(|col| mul_x(&x, n, dim, col)).collect();
    let mut b = vec![vec![0.0f64; k]; k];
    for i in 0..k {
        for j in i..k {
            let s: f64 = z[i].iter().zip(&z[j]).map(|(a, c)| a * c).sum();
            b[i][j] = s;
            b[j][i] = s;
        }
    }
    let (values, vectors) = jacobi_eigen(b);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &c| values[c].total_cmp(&values[a]).then(a.cmp(&c)));

    let mut scores = vec![vec![0.0f64; k]; n];
    for (out_col, &e) in order.iter().enumerate() {
        let mut col = vec![0.0f64; n];
        for (i, zc) in z.iter().enumerate() {
            let v = vectors[i][e];
            if v != 0.0 {
                for (c, zv) in col.iter_mut().zip(zc) {
                    *c += v * zv;
                }
            }
        }
        // Sign convention: largest |score| positive (first one on ties).
        let mut pivot = 0.0f64;
        for &c in &col {
            if c.abs() > pivot.abs() {
                pivot = c;
            }
        }
        let sign = if pivot < 0.0 { -1.0 } else { 1.0 };
        for (row, c) in scores.iter_mut().zip(&col) {
            row[out_col] = sign * c;
        }
    }
    scores
}

fn mul_x(x: &[f64], n: usize, dim: usize, v: &[f64]) -> Vec<f64> {
    (0..n)
        .map(|i| {
            x[i * dim..(i + 1) * dim]
                .iter()
                .zip(v)
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect()
}

fn mul_xt(x: &[f64], n: usize, dim: usize, v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0f64; dim];
    for (i, &w) in v.iter().enumerate().take(n) {
        if w == 0.0 {
            continue;
        }
        for (o, a) in out.iter_mut().zip(&x[i * dim..(i + 1) * dim]) {
            *o += w * a;
        }
    }
    out
}

/// Modified Gram–Schmidt, applied twice for stability. A column that is
/// (numerically) in the span of the previous ones becomes all zeros.
fn orthonormalise(cols: &mut [Vec<f64>]) {
    for i in 0..cols.len() {
        let (done, rest) = cols.split_at_mut(i);
        let c = &mut rest[0];
        let norm0 = c.iter().map(|v| v * v).sum::<f64>().sqrt();
        for _ in 0..2 {
            for prev in done.iter() {
                let d: f64 = c.iter().zip(prev).map(|(a, b)| a * b).sum();
                for (a, b) in c.iter_mut().zip(prev) {
                    *a -= d * b;
                }
            }
        }
        let norm = c.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 1e-10 * norm0.max(f64::MIN_POSITIVE) && norm > 1e-300 {
            for a in c.iter_mut() {
                *a /= norm;
            }
        } else {
            c.iter_mut().for_each(|a| *a = 0.0);
        }
    }
}

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations.
/// Returns `(eigenvalues, V)` with eigenvector `e` in column `e` of `V`.
pub(crate) fn jacobi_eigen(mut a: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let k = a.len();
    let mut v: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let scale: f64 = a.iter().flatten().map(|x| x * x).sum::<f64>();
    for _sweep in 0..100 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off <= 1e-24 * scale || off == 0.0 {
            break;
        }
        for p in 0..k {
            for r in (p + 1)..k {
                let apr = a[p][r];
                if apr.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[r][r] - a[p][p]) / (2.0 * apr);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (x, y) = (row[p], row[r]);
                    row[p] = c * x - s * y;
                    row[r] = s * x + c * y;
                }
                let (low, high) = a.split_at_mut(r);
                for (x, y) in low[p].iter_mut().zip(high[0].iter_mut()) {
                    let (xv, yv) = (*x, *y);
                    *x = c * xv - s * yv;
                    *y = s * xv + c * yv;
                }
                for row in v.iter_mut() {
                    let (x, y) = (row[p], row[r]);
                    row[p] = c * x - s * y;
                    row[r] = s * x + c * y;
                }
            }
        }
    }
    ((0..k).map(|i| a[i][i]).collect(), v)
}
