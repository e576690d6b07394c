//! Evaluation runs: a model's scores on an exact dataset version, ranked in
//! a leaderboard. A run stores the blake3 digest of the dataset version it
//! was measured on, so a score always points at the bytes it was earned on.
//!
//! Input record (one JSON object; JSONL for many):
//! `{"run_id"?, "model", "dataset": "campaigns@2", "split"?, "metrics": {name: number},
//!   "params"?: {}, "tags"?: {name: text}, "created"?: unix seconds, "dataset_digest"?}`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Kind, ObjRef};
use crate::{Engine, Error, Result};

/// One stored evaluation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRun {
    pub run_id: String,
    pub model: String,
    pub dataset: String,
    pub version: u32,
    /// blake3 (hex) of the dataset version's stored payload.
    pub dataset_digest: String,
    pub split: Option<String>,
    pub metrics: BTreeMap<String, f64>,
    pub params: BTreeMap<String, Value>,
    pub tags: BTreeMap<String, String>,
    /// Unix seconds.
    pub created: u64,
}

/// Which runs a leaderboard shows, and in which order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeaderboardQuery {
    /// A dataset name, and a version (`None`: every version).
    pub dataset: Option<(String, Option<u32>)>,
    /// The metric to rank by (`None`: `accuracy` if any run has it, else
    /// the first metric name in alphabetical order).
    pub metric: Option<String>,
    /// Lowest first (for losses); default highest first.
    pub ascending: bool,
    /// Only runs with this tag value.
    pub tag: Option<(String, String)>,
    /// Only runs whose model name contains this text (case-insensitive).
    pub model: Option<String>,
    pub limit: Option<usize>,
}

/// A ranked list of runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaderboard {
    /// The metric ranked by (`None` when no run has any metric).
    pub metric: Option<String>,
    /// Every metric name of the runs shown, the ranking one first.
    pub metrics: Vec<String>,
    pub runs: Vec<EvalRun>,
}

/// A field of a record, or the error naming it and the line.
fn field<'a>(obj: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

impl Engine {
    /// `IMPORT EVALUATIONS FROM 'runs.jsonl'`: every line one run, stored in
    /// one transaction (a bad line stores nothing and names file:line).
    pub fn import_evaluations(&self, path: &Path) -> Result<Vec<EvalRun>> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        self.add_evaluations(&text, path)
    }

    /// Runs from JSONL text (or one JSON object); `origin` names it in
    /// errors (a file, or an HTTP body).
    pub fn add_evaluations(&self, text: &str, origin: &Path) -> Result<Vec<EvalRun>> {
        let mut runs = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = |m: String| Error::input(origin, i as u64 + 1, m);
            let run = self.parse_run(line).map_err(|m| at(m.0).with_hint(m.1))?;
            if !seen.insert(run.run_id.clone()) || self.store().eval_exists(&run.run_id)? {
                return Err(at(format!(
                    "run_id '{}' is already used",
                    crate::limits::excerpt(&run.run_id)
                ))
                .with_hint(
                    "give each run a new run_id (or leave it out: one is derived from the line)",
                ));
            }
            runs.push(run);
        }
        if runs.is_empty() {
            return Err(Error::input(origin, 0, "no evaluation run in it")
                .with_hint("one JSON object per line: {\"model\", \"dataset\": \"name@N\", \"metrics\": {...}}"));
        }
        let records: Vec<(String, Vec<u8>)> = runs
            .iter()
            .map(|r| (r.run_id.clone(), serde_json::to_vec(r).unwrap_or_default()))
            .collect();
        self.store().evals_put(&records)?;
        Ok(runs)
    }

    /// One record, or (message, hint).
    fn parse_run(&self, line: &str) -> std::result::Result<EvalRun, (String, String)> {
        const SHAPE: &str = "one JSON object per line: {\"model\": \"m\", \"dataset\": \"name@N\", \"metrics\": {\"accuracy\": 0.91}}";
        let v: Value = serde_json::from_str(line)
            .map_err(|e| (format!("not a JSON object: {e}"), SHAPE.to_string()))?;
        let obj = v
            .as_object()
            .ok_or_else(|| ("not a JSON object".to_string(), SHAPE.to_string()))?;
        let text = |k: &str| -> std::result::Result<Option<String>, (String, String)> {
            match field(obj, k) {
                None => Ok(None),
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
                Some(_) => Err((format!("\"{k}\" must be a non-empty string"), SHAPE.into())),
            }
        };
        let model = text("model")?
            .ok_or_else(|| ("\"model\" is missing".to_string(), SHAPE.to_string()))?;
        let dataset = text("dataset")?
            .ok_or_else(|| ("\"dataset\" is missing".to_string(), SHAPE.to_string()))?;
        let r = parse_ref(&dataset).ok_or_else(|| {
            (
                format!(
                    "\"dataset\": '{}' is not name or name@N",
                    crate::limits::excerpt(&dataset)
                ),
                "e.g. \"dataset\": \"campaigns@2\"".to_string(),
            )
        })?;
        let stored = self.store().get(Kind::Dataset, &r).map_err(|e| {
            (
                e.to_string(),
                "IMPORT the run after the dataset version exists (SHOW DATASETS)".into(),
            )
        })?;
        let digest = blake3::hash(&stored.payload).to_hex().to_string();
        if let Some(d) = text("dataset_digest")?
            && d != digest
        {
            return Err((
                format!(
                    "dataset_digest {} does not match {}@{} ({digest})",
                    crate::limits::excerpt(&d),
                    r.name,
                    stored.version
                ),
                "the run was measured on other bytes: check the dataset version it used".into(),
            ));
        }
        let metrics = metrics_of(field(obj, "metrics"))?;
        let tags = tags_of(field(obj, "tags"))?;
        let params = match field(obj, "params") {
            None => BTreeMap::new(),
            Some(Value::Object(m)) => m.clone().into_iter().collect(),
            Some(_) => return Err(("\"params\" must be an object".into(), SHAPE.into())),
        };
        let created = match field(obj, "created") {
            None => crate::util::now_unix(),
            Some(v) => v.as_u64().ok_or_else(|| {
                (
                    "\"created\" must be unix seconds (a whole number)".to_string(),
                    SHAPE.to_string(),
                )
            })?,
        };
        let run_id = text("run_id")?
            .unwrap_or_else(|| format!("run-{}", &blake3::hash(line.as_bytes()).to_hex()[..12]));
        Ok(EvalRun {
            run_id,
            model,
            dataset: r.name,
            version: stored.version,
            dataset_digest: digest,
            split: text("split")?,
            metrics,
            params,
            tags,
            created,
        })
    }

    /// Every stored run (unordered).
    pub fn evaluations(&self) -> Result<Vec<EvalRun>> {
        self.store()
            .evals_all()?
            .iter()
            .map(|b| serde_json::from_slice(b).map_err(Error::storage))
            .collect()
    }

    /// `DROP EVALUATION run_id`.
    pub fn drop_evaluation(&self, run_id: &str) -> Result<()> {
        if self.store().eval_drop(run_id)? {
            Ok(())
        } else {
            Err(Error::NotFound {
                kind: "evaluation run",
                name: run_id.to_string(),
                hint: Some("SHOW EVALUATIONS lists the run ids".into()),
            })
        }
    }

    /// `EVALUATE BASELINE ON r SPLIT (...)`: the two baseline runs of
    /// `baseline.rs`, stored (one transaction) and returned.
    pub fn evaluate_baseline(
        &self,
        r: &ObjRef,
        split: &crate::export::Split,
    ) -> Result<Vec<EvalRun>> {
        let stored = self.store().get(Kind::Dataset, r)?;
        let ds = crate::sample::Dataset::from_bytes(&stored.payload)?;
        let digest = blake3::hash(&stored.payload).to_hex().to_string();
        let input = crate::baseline::BaselineInput {
            ds: &ds,
            name: &r.name,
            version: stored.version,
            digest: &digest,
            split,
        };
        let runs = crate::baseline::baseline_runs(&input, crate::util::now_unix())?;
        for run in &runs {
            if self.store().eval_exists(&run.run_id)? {
                return Err(Error::invalid_hint(
                    format!("baseline run '{}' already exists", run.run_id),
                    format!(
                        "DROP EVALUATION '{}' first, or use another SEED",
                        run.run_id
                    ),
                ));
            }
        }
        let records: Vec<(String, Vec<u8>)> = runs
            .iter()
            .map(|r| (r.run_id.clone(), serde_json::to_vec(r).unwrap_or_default()))
            .collect();
        self.store().evals_put(&records)?;
        Ok(runs)
    }

    /// The runs `q` selects, ranked.
    pub fn leaderboard(&self, q: &LeaderboardQuery) -> Result<Leaderboard> {
        Ok(rank(self.evaluations()?, q))
    }
}

/// `name` or `name@N`.
fn parse_ref(s: &str) -> Option<ObjRef> {
    match s.split_once('@') {
        None => crate::check_name(s).ok().map(|()| ObjRef::latest(s)),
        Some((n, v)) => {
            crate::check_name(n).ok()?;
            Some(ObjRef::at(n, v.parse().ok()?))
        }
    }
}

fn metrics_of(v: Option<&Value>) -> std::result::Result<BTreeMap<String, f64>, (String, String)> {
    let Some(Value::Object(m)) = v else {
        return Err((
            "\"metrics\" must be an object of numbers".into(),
            "e.g. \"metrics\": {\"accuracy\": 0.91, \"macro_f1\": 0.88}".into(),
        ));
    };
    let mut out = BTreeMap::new();
    for (k, x) in m {
        match x.as_f64().filter(|f| f.is_finite()) {
            Some(f) => {
                out.insert(k.clone(), f);
            }
            None => {
                return Err((
                    format!(
                        "metric '{}' is not a finite number ({})",
                        crate::limits::excerpt(k),
                        crate::limits::excerpt(&x.to_string())
                    ),
                    "metrics are numbers such as 0.91; leave out a metric that was not measured"
                        .into(),
                ));
            }
        }
    }
    Ok(out)
}

fn tags_of(v: Option<&Value>) -> std::result::Result<BTreeMap<String, String>, (String, String)> {
    match v {
        None => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, x)| match x {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Ok((k.clone(), other.to_string())),
            })
            .collect(),
        Some(_) => Err((
            "\"tags\" must be an object".into(),
            "e.g. \"tags\": {\"team\": \"growth\"}".into(),
        )),
    }
}

/// Filters and orders runs: by the metric (runs without it last), ties by
/// creation time then run id.
pub fn rank(mut runs: Vec<EvalRun>, q: &LeaderboardQuery) -> Leaderboard {
    runs.retain(|r| {
        q.dataset
            .as_ref()
            .is_none_or(|(n, v)| &r.dataset == n && v.is_none_or(|v| r.version == v))
            && q.tag.as_ref().is_none_or(|(k, v)| r.tags.get(k) == Some(v))
            && q.model
                .as_ref()
                .is_none_or(|m| r.model.to_lowercase().contains(&m.to_lowercase()))
    });
    let mut names: Vec<String> = runs
        .iter()
        .flat_map(|r| r.metrics.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let metric = q.metric.clone().or_else(|| {
        names
            .iter()
            .find(|n| n.as_str() == "accuracy")
            .or(names.first())
            .cloned()
    });
    if let Some(m) = &metric {
        runs.sort_by(|a, b| {
            let (x, y) = (a.metrics.get(m), b.metrics.get(m));
            let by_metric = match (x, y) {
                (Some(x), Some(y)) if q.ascending => x.total_cmp(y),
                (Some(x), Some(y)) => y.total_cmp(x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            by_metric
                .then(a.created.cmp(&b.created))
                .then(a.run_id.cmp(&b.run_id))
        });
        names.retain(|n| n != m);
        names.insert(0, m.clone());
    }
    if let Some(n) = q.limit {
        runs.truncate(n);
    }
    Leaderboard {
        metric,
        metrics: names,
        runs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, model: &str, acc: Option<f64>, created: u64) -> EvalRun {
        EvalRun {
            run_id: id.into(),
            model: model.into(),
            dataset: "d".into(),
            version: 1,
            dataset_digest: String::new(),
            split: None,
            metrics: acc
                .map(|a| ("accuracy".to_string(), a))
                .into_iter()
                .collect(),
            params: BTreeMap::new(),
            tags: BTreeMap::new(),
            created,
        }
    }

    #[test]
    fn ranking_ties_order_and_missing_metrics() {
        let runs = vec![
            run("a", "lr", Some(0.8), 5),
            run("b", "gbm", Some(0.9), 9),
            run("c", "mlp", Some(0.8), 3),
            run("d", "none", None, 1),
        ];
        let ids = |l: &Leaderboard| l.runs.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>();
        let l = rank(runs.clone(), &LeaderboardQuery::default());
        assert_eq!(l.metric.as_deref(), Some("accuracy"));
        // Highest first; the tie at 0.8 goes to the earlier run; no metric last.
        assert_eq!(ids(&l), ["b", "c", "a", "d"]);
        let asc = LeaderboardQuery {
            ascending: true,
            ..Default::default()
        };
        assert_eq!(ids(&rank(runs.clone(), &asc)), ["c", "a", "b", "d"]);
        let lim = LeaderboardQuery {
            limit: Some(2),
            model: Some("L".into()),
            ..Default::default()
        };
        assert_eq!(ids(&rank(runs, &lim)), ["c", "a"]);
    }
}
