//! Stratified splits: `SPLIT (train 0.8, validation 0.1, test 0.1) SEED n`.
//!
//! For each label (the label a row carries), its rows are shuffled with a
//! ChaCha8 stream derived from (seed, label name) and cut into consecutive
//! runs whose sizes are the label's row count times each fraction, rounded
//! by largest remainder (ties: the earlier part). So each part holds, per
//! label, within one row of the exact proportion; the parts are disjoint and
//! together exactly the dataset. Inside a part, rows keep the dataset's order.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Dataset, Error, Result};

/// A split: named parts with fractions summing to 1, and a seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub parts: Vec<(String, f64)>,
    pub seed: u64,
}

/// How far the fractions may sum from 1.
pub const SPLIT_TOLERANCE: f64 = 1e-9;

impl Split {
    /// A split with seed 0.
    pub fn new(parts: &[(&str, f64)]) -> Split {
        Split {
            parts: parts.iter().map(|(n, f)| (n.to_string(), *f)).collect(),
            seed: 0,
        }
    }

    /// Two or more parts, distinct names usable in a file name, each fraction
    /// in (0, 1], summing to 1 within `SPLIT_TOLERANCE` (1e-9).
    pub fn check(&self) -> Result<()> {
        if self.parts.len() < 2 {
            return Err(Error::rejected(
                crate::Code::BadSplit,
                None,
                "SPLIT needs at least two parts",
                "e.g. SPLIT (train 0.8, test 0.2)",
            ));
        }
        for (i, (name, f)) in self.parts.iter().enumerate() {
            crate::check_name(name).map_err(|_| {
                Error::rejected(
                    crate::Code::BadSplit,
                    None,
                    format!("split part '{name}' is not a valid name"),
                    "part names are letters, digits and `_` (they go into file names)",
                )
            })?;
            if self.parts[..i].iter().any(|(n, _)| n == name) {
                return Err(Error::rejected(
                    crate::Code::BadSplit,
                    None,
                    format!("split part '{name}' is listed twice"),
                    "give each part its own name",
                ));
            }
            if !(f.is_finite() && *f > 0.0 && *f <= 1.0) {
                return Err(Error::rejected(
                    crate::Code::BadSplit,
                    None,
                    format!("split part '{name}' has fraction {f}"),
                    "each fraction lies in (0, 1]",
                ));
            }
        }
        let sum: f64 = self.parts.iter().map(|(_, f)| f).sum();
        if (sum - 1.0).abs() > SPLIT_TOLERANCE {
            return Err(Error::rejected(
                crate::Code::BadSplit,
                None,
                format!("split fractions sum to {sum}, not 1"),
                "make the fractions add up to 1, e.g. (train 0.8, validation 0.1, test 0.1)",
            ));
        }
        Ok(())
    }
}

/// Sizes of the parts of `n` rows by largest remainder.
fn part_sizes(n: usize, fractions: &[f64]) -> Vec<usize> {
    let exact: Vec<f64> = fractions.iter().map(|f| f * n as f64).collect();
    let mut sizes: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let given: usize = sizes.iter().sum();
    let mut order: Vec<usize> = (0..fractions.len()).collect();
    // Largest remainder first; ties keep part order (stable sort).
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra)
    });
    for &k in order.iter().take(n.saturating_sub(given)) {
        sizes[k] += 1;
    }
    sizes
}

fn rng_for_label(seed: u64, label: &str) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&blake3::hash(label.as_bytes()).as_bytes()[..8]);
    key[16..22].copy_from_slice(b"split\0");
    ChaCha8Rng::from_seed(key)
}

/// Row indices of each part (each ascending, i.e. in dataset order).
pub fn split_rows(ds: &Dataset, split: &Split) -> Vec<Vec<usize>> {
    let fractions: Vec<f64> = split.parts.iter().map(|(_, f)| *f).collect();
    let mut parts: Vec<Vec<usize>> = vec![Vec::new(); fractions.len()];
    let mut by_label: Vec<Vec<usize>> = vec![Vec::new(); ds.labels().len()];
    for (i, &l) in ds.emitted_labels().iter().enumerate() {
        by_label[l as usize].push(i);
    }
    for (l, mut rows) in by_label.into_iter().enumerate() {
        let mut rng = rng_for_label(split.seed, &ds.labels()[l]);
        for i in (1..rows.len()).rev() {
            let j = rng.random_range(0..=i);
            rows.swap(i, j);
        }
        let mut at = 0;
        for (k, size) in part_sizes(rows.len(), &fractions).into_iter().enumerate() {
            parts[k].extend_from_slice(&rows[at..at + size]);
            at += size;
        }
    }
    for p in &mut parts {
        p.sort_unstable();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_are_within_one_row_and_sum_to_n() {
        for n in [0usize, 1, 2, 3, 7, 10, 99, 1000, 1001] {
            for fr in [
                vec![0.8, 0.1, 0.1],
                vec![0.5, 0.5],
                vec![1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
                vec![0.7, 0.2, 0.05, 0.05],
            ] {
                let s = part_sizes(n, &fr);
                assert_eq!(s.iter().sum::<usize>(), n, "{n} {fr:?}");
                for (k, &x) in s.iter().enumerate() {
                    assert!(
                        (x as f64 - fr[k] * n as f64).abs() < 1.0,
                        "{n} {fr:?} {s:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn check_rejects_bad_splits() {
        assert!(Split::new(&[("train", 0.8), ("test", 0.2)]).check().is_ok());
        let e = Split::new(&[("train", 0.8), ("test", 0.1)])
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("sum to 0.9"), "{e}");
        assert!(Split::new(&[("all", 1.0)]).check().is_err());
        assert!(Split::new(&[("a", 0.5), ("a", 0.5)]).check().is_err());
        assert!(Split::new(&[("a/b", 0.5), ("c", 0.5)]).check().is_err());
        assert!(Split::new(&[("a", 1.2), ("c", -0.2)]).check().is_err());
    }
}
