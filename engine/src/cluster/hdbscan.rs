//! HDBSCAN through `petal-clustering`, with deterministic cluster ids.

use ndarray::Array2;
use petal_clustering::{Fit, HDbscan};

/// Run HDBSCAN (Euclidean, `min_samples = min_cluster_size`) on `points`.
/// Returns one entry per point: `Some(id)` with ids dense in `0..c` and
/// numbered by first member, or `None` for noise. Returns `None` if the
/// input is unusable or the crate panicked (the caller falls back).
pub(crate) fn fit(points: &[Vec<f64>], min_cluster_size: usize) -> Option<Vec<Option<usize>>> {
    let n = points.len();
    let dim = points.first().map_or(0, Vec::len);
    if n < 2 || dim == 0 || points.iter().flatten().any(|v| !v.is_finite()) {
        return None;
    }
    let flat: Vec<f64> = points.iter().flatten().copied().collect();
    let data = Array2::from_shape_vec((n, dim), flat).ok()?;
    let mcs = min_cluster_size.min(n);
    let (clusters, _noise, _scores) = std::panic::catch_unwind(move || {
        let mut model = HDbscan {
            alpha: 1.0,
            min_samples: mcs,
            min_cluster_size: mcs,
            boruvka: false,
            ..HDbscan::default()
        };
        model.fit(&data, None)
    })
    .ok()?;
    // The crate returns a HashMap keyed by internal node id: renumber by the
    // smallest member so the result does not depend on map iteration order.
    let mut groups: Vec<Vec<usize>> = clusters.into_values().filter(|m| !m.is_empty()).collect();
    groups.iter_mut().for_each(|m| m.sort_unstable());
    groups.sort_unstable_by_key(|m| m[0]);
    let mut raw = vec![None; n];
    for (id, members) in groups.iter().enumerate() {
        for &p in members {
            if let Some(slot) = raw.get_mut(p) {
                *slot = Some(id);
            }
        }
    }
    Some(raw)
}
