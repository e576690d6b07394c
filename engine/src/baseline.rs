//! `EVALUATE BASELINE ON ds@N [SPLIT (train f, test f) SEED s]`: two
//! reference classifiers (smartcore's logistic regression) trained on the
//! train part of a stratified split and scored on the test part, stored as
//! evaluation runs tagged `baseline`:
//!
//! * `baseline-onehot`: one-hot attribute values: how much the values alone
//!   tell the label;
//! * `baseline-graph-oracle`: the row's (pos_frac, neg_frac) recomputed from
//!   the graph: how separable the labels are for a model that knows the
//!   graph (near 1.0 for disjoint boxes; lower under label noise).
//!
//! Metrics: accuracy, macro_f1 and recall per label. Deterministic: the
//! split is seeded, the solver (L-BFGS) has no randomness.

use std::collections::{BTreeMap, HashMap};

use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use crate::export::{Split, split_rows};
use crate::sample::Dataset;
use crate::{Error, EvalRun, Result};

/// What the baselines are trained and scored on.
pub struct BaselineInput<'a> {
    pub ds: &'a Dataset,
    pub name: &'a str,
    pub version: u32,
    pub digest: &'a str,
    pub split: &'a Split,
}

/// The two baseline runs (not stored).
pub fn baseline_runs(input: &BaselineInput<'_>, now: u64) -> Result<Vec<EvalRun>> {
    let split = input.split;
    split.check()?;
    let part = |n: &str| split.parts.iter().position(|(p, _)| p == n);
    let (Some(train_at), Some(test_at)) = (part("train"), part("test")) else {
        return Err(Error::invalid_hint(
            "EVALUATE BASELINE needs a split with parts named train and test",
            "e.g. SPLIT (train 0.8, test 0.2) SEED 7",
        ));
    };
    let parts = split_rows(input.ds, split);
    let (train, test) = (&parts[train_at], &parts[test_at]);
    if train.is_empty() || test.is_empty() {
        return Err(Error::invalid_hint(
            format!(
                "the split leaves {} training and {} test rows",
                train.len(),
                test.len()
            ),
            "sample more rows, or give the test part a larger fraction",
        ));
    }
    let labels = input.ds.labels();
    let y_of = |rows: &[usize]| -> Vec<u32> {
        let index: HashMap<&str, u32> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i as u32))
            .collect();
        rows.iter()
            .map(|&i| index[input.ds.row(i).label()])
            .collect()
    };
    let (y_train, y_test) = (y_of(train), y_of(test));
    let mut runs = Vec::new();
    for (model, features) in [
        ("baseline-onehot", Features::OneHot(vocabulary(input.ds))),
        ("baseline-graph-oracle", Features::Fractions),
    ] {
        let predicted = fit_predict(&features, input.ds, train, &y_train, test)?;
        let metrics = score(labels, &y_test, &predicted);
        runs.push(EvalRun {
            run_id: format!(
                "{model}-{}@{}-seed{}",
                input.name, input.version, split.seed
            ),
            model: model.to_string(),
            dataset: input.name.to_string(),
            version: input.version,
            dataset_digest: input.digest.to_string(),
            split: Some("test".into()),
            metrics,
            params: params(split, &features, train.len(), test.len()),
            tags: [("baseline".to_string(), "true".to_string())].into(),
            created: now,
        });
    }
    Ok(runs)
}

/// How rows become feature vectors.
enum Features {
    /// Column per (modality, value) seen in the dataset.
    OneHot(HashMap<(String, String), usize>),
    Fractions,
}

fn vocabulary(ds: &Dataset) -> HashMap<(String, String), usize> {
    let mut seen: Vec<(String, String)> = ds
        .rows()
        .flat_map(|r| {
            r.nodes()
                .map(|(m, v)| (m.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    seen.sort();
    seen.dedup();
    seen.into_iter().enumerate().map(|(i, k)| (k, i)).collect()
}

fn matrix(f: &Features, ds: &Dataset, rows: &[usize]) -> Result<DenseMatrix<f64>> {
    let data: Vec<Vec<f64>> = rows
        .iter()
        .map(|&i| {
            let row = ds.row(i);
            match f {
                Features::OneHot(vocab) => {
                    let mut x = vec![0.0; vocab.len()];
                    for (m, v) in row.nodes() {
                        if let Some(&c) = vocab.get(&(m.to_string(), v.to_string())) {
                            x[c] = 1.0;
                        }
                    }
                    x
                }
                Features::Fractions => {
                    let fr = row.fractions();
                    vec![fr.pos, fr.neg]
                }
            }
        })
        .collect();
    DenseMatrix::from_2d_vec(&data).map_err(|e| Error::invalid(format!("baseline features: {e}")))
}

fn fit_predict(
    f: &Features,
    ds: &Dataset,
    train: &[usize],
    y_train: &[u32],
    test: &[usize],
) -> Result<Vec<u32>> {
    let x_test = matrix(f, ds, test)?;
    // One class only in training: every prediction is that class.
    if y_train.iter().all(|&y| y == y_train[0]) {
        return Ok(vec![y_train[0]; test.len()]);
    }
    let x_train = matrix(f, ds, train)?;
    let params = LogisticRegressionParameters::default().with_alpha(alpha_of(f));
    let model = LogisticRegression::fit(&x_train, &y_train.to_vec(), params)
        .map_err(|e| Error::invalid(format!("the baseline classifier did not fit: {e}")))?;
    model
        .predict(&x_test)
        .map_err(|e| Error::invalid(format!("the baseline classifier did not predict: {e}")))
}

/// The L2 penalty: one-hot columns are many and sparse, a unit penalty
/// keeps rare values from fitting noise; the two fraction columns need none
/// (label boxes are thresholds on them).
fn alpha_of(f: &Features) -> f64 {
    match f {
        Features::OneHot(_) => 1.0,
        Features::Fractions => 0.0,
    }
}

/// accuracy, macro_f1, recall_<label>.
fn score(labels: &[String], truth: &[u32], predicted: &[u32]) -> BTreeMap<String, f64> {
    let n = truth.len() as f64;
    let correct = truth.iter().zip(predicted).filter(|(a, b)| a == b).count() as f64;
    let mut out = BTreeMap::new();
    out.insert("accuracy".to_string(), round(correct / n));
    let mut f1_sum = 0.0;
    for (k, label) in labels.iter().enumerate() {
        let k = k as u32;
        let tp = truth
            .iter()
            .zip(predicted)
            .filter(|(t, p)| **t == k && **p == k)
            .count() as f64;
        let actual = truth.iter().filter(|t| **t == k).count() as f64;
        let claimed = predicted.iter().filter(|p| **p == k).count() as f64;
        let recall = if actual > 0.0 { tp / actual } else { 0.0 };
        let precision = if claimed > 0.0 { tp / claimed } else { 0.0 };
        let f1 = if recall + precision > 0.0 {
            2.0 * recall * precision / (recall + precision)
        } else {
            0.0
        };
        f1_sum += f1;
        out.insert(format!("recall_{label}"), round(recall));
    }
    out.insert(
        "macro_f1".to_string(),
        round(f1_sum / labels.len().max(1) as f64),
    );
    out
}

/// Six decimals: scores are shown and compared, not accumulated.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn params(
    split: &Split,
    f: &Features,
    train: usize,
    test: usize,
) -> BTreeMap<String, serde_json::Value> {
    let parts: Vec<String> = split
        .parts
        .iter()
        .map(|(n, x)| format!("{n} {x}"))
        .collect();
    let features = match f {
        Features::OneHot(v) => format!("one-hot attribute values ({} columns)", v.len()),
        Features::Fractions => "pos_frac, neg_frac recomputed from the graph".to_string(),
    };
    [
        (
            "classifier",
            serde_json::json!("logistic regression (smartcore, L-BFGS)"),
        ),
        ("l2_alpha", serde_json::json!(alpha_of(f))),
        ("features", serde_json::json!(features)),
        ("split", serde_json::json!(parts.join(", "))),
        ("seed", serde_json::json!(split.seed)),
        ("train_rows", serde_json::json!(train)),
        ("test_rows", serde_json::json!(test)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
