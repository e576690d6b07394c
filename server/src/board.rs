//! The leaderboard: `POST /v1/evaluations`, `GET /v1/leaderboard` (JSON)
//! and the page `GET /leaderboard` (server-rendered HTML with maud, usable
//! without JavaScript: every control is a link or a GET form; the chart is
//! inline SVG, so the page works offline).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use valence_engine::{EvalRun, Kind, Leaderboard, LeaderboardQuery, ObjRef};

use crate::error::{ApiError, Params};
use crate::routes::{Shared, blocking};

/// Query parameters of both the JSON leaderboard and the page.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// Dataset name.
    pub(crate) dataset: Option<String>,
    /// Dataset version (default: every version).
    pub(crate) version: Option<u32>,
    /// Metric to rank by (default `accuracy`, else the first by name).
    pub(crate) metric: Option<String>,
    /// `desc` (default) or `asc`.
    pub(crate) order: Option<String>,
    /// `key=value`: only runs with that tag.
    pub(crate) tag: Option<String>,
    /// Text the model name must contain.
    pub(crate) model: Option<String>,
    pub(crate) limit: Option<usize>,
}

impl BoardParams {
    fn query(&self) -> Result<LeaderboardQuery, ApiError> {
        let ascending = match self.order.as_deref() {
            None | Some("" | "desc") => false,
            Some("asc") => true,
            Some(o) => {
                return Err(ApiError::bad_request(format!(
                    "order '{o}' is not asc or desc"
                )));
            }
        };
        let tag = match self.tag.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(
                t.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("tag '{t}' is not key=value"))
                            .hint("e.g. tag=team=growth")
                    })?,
            ),
        };
        Ok(LeaderboardQuery {
            dataset: self
                .dataset
                .clone()
                .filter(|d| !d.is_empty())
                .map(|d| (d, self.version)),
            metric: self.metric.clone().filter(|m| !m.is_empty()),
            ascending,
            tag,
            model: self.model.clone().filter(|m| !m.is_empty()),
            limit: self.limit,
        })
    }

    /// This page's URL with some parameters replaced.
    pub(crate) fn with(&self, f: impl FnOnce(&mut BoardParams)) -> String {
        let mut p = self.clone();
        f(&mut p);
        let mut parts = Vec::new();
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", encode(&v)));
            }
        };
        add("dataset", p.dataset.clone());
        add("version", p.version.map(|v| v.to_string()));
        add("metric", p.metric.clone());
        add("order", p.order.clone());
        add("tag", p.tag.clone());
        add("model", p.model.clone());
        add("limit", p.limit.map(|n| n.to_string()));
        if parts.is_empty() {
            "/leaderboard".into()
        } else {
            format!("/leaderboard?{}", parts.join("&"))
        }
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Imported {
    runs: Vec<String>,
}

/// `POST /v1/evaluations`: one JSON object, or JSONL (one run per line).
#[utoipa::path(post, path = "/v1/evaluations", request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 201, body = Imported), (status = 400, body = crate::error::ErrorBody)))]
pub async fn post_evaluations(
    State(shared): State<Arc<Shared>>,
    raw: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let text = String::from_utf8(raw.to_vec())
        .map_err(|_| ApiError::bad_request("the body is not UTF-8 text"))?;
    // One pretty-printed object is one run, too.
    let text = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v.is_object() => v.to_string(),
        _ => text,
    };
    let s = shared.clone();
    let runs = blocking(move || {
        s.db.engine()
            .add_evaluations(&text, std::path::Path::new("body"))
            .map_err(|e| ApiError::from_upload(&e))
    })
    .await?;
    let ids = runs.into_iter().map(|r| r.run_id).collect();
    Ok((StatusCode::CREATED, axum::Json(Imported { runs: ids })).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RankedRun {
    rank: usize,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    run: EvalRunJson,
}

/// A run as JSON (the engine's record).
#[derive(Serialize)]
#[serde(transparent)]
pub struct EvalRunJson(EvalRun);

#[derive(Serialize, utoipa::ToSchema)]
pub struct BoardJson {
    metric: Option<String>,
    metrics: Vec<String>,
    runs: Vec<RankedRun>,
}

/// `GET /v1/leaderboard?dataset=&version=&metric=&order=&tag=&model=&limit=`.
#[utoipa::path(get, path = "/v1/leaderboard", params(BoardParams), responses((status = 200, body = BoardJson)))]
pub async fn get_leaderboard(
    State(shared): State<Arc<Shared>>,
    Params(p): Params<BoardParams>,
) -> Result<axum::Json<BoardJson>, ApiError> {
    let q = p.query()?;
    let s = shared.clone();
    let b = blocking(move || s.db.engine().leaderboard(&q).map_err(engine_err)).await?;
    Ok(axum::Json(BoardJson {
        metric: b.metric,
        metrics: b.metrics,
        runs: b
            .runs
            .into_iter()
            .enumerate()
            .map(|(i, r)| RankedRun {
                rank: i + 1,
                run: EvalRunJson(r),
            })
            .collect(),
    }))
}

fn engine_err(e: valence_engine::Error) -> ApiError {
    ApiError::from_valence(&valence::Error::from(e))
}

/// Rows the page shows by default (`?limit=N` for more).
pub(crate) const PAGE_ROWS: usize = 200;

/// `GET /`: the page.
pub async fn root() -> Redirect {
    Redirect::to("/leaderboard")
}

/// What the page shows, read in one blocking call.
pub(crate) struct PageData {
    pub(crate) datasets: Vec<(String, Vec<u32>)>,
    pub(crate) board: Leaderboard,
    /// Runs matching before the page's row limit.
    pub(crate) total: usize,
    /// Best value of the metric per version of the selected dataset.
    pub(crate) trend: Vec<(u32, f64)>,
    pub(crate) card: Option<valence_engine::DatasetDescription>,
    pub(crate) store: String,
}

/// `GET /leaderboard`.
pub async fn page(State(shared): State<Arc<Shared>>, Query(p): Query<BoardParams>) -> Response {
    let q = match p.query() {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let s = shared.clone();
    let data = blocking(move || read_page(&s, &q).map_err(engine_err)).await;
    match data {
        Ok(d) => Html(crate::board_page::render(&p, &d).into_string()).into_response(),
        Err(e) => e.into_response(),
    }
}

fn read_page(s: &Shared, q: &LeaderboardQuery) -> valence_engine::Result<PageData> {
    let e = s.db.engine();
    let mut datasets = Vec::new();
    for o in e.list(Kind::Dataset)? {
        let versions = e.store().versions(Kind::Dataset, &o.name)?;
        datasets.push((o.name.clone(), versions.iter().map(|(v, _)| *v).collect()));
    }
    // The page shows the first PAGE_ROWS runs unless `limit` asks for more.
    let mut board = e.leaderboard(&LeaderboardQuery {
        limit: None,
        ..q.clone()
    })?;
    let total = board.runs.len();
    board.runs.truncate(q.limit.unwrap_or(PAGE_ROWS));
    let (mut trend, mut card) = (Vec::new(), None);
    if let Some((name, version)) = &q.dataset {
        let all = e.leaderboard(&LeaderboardQuery {
            dataset: Some((name.clone(), None)),
            limit: None,
            ..q.clone()
        })?;
        let mut best: BTreeMap<u32, f64> = BTreeMap::new();
        if let Some(m) = &board.metric {
            for r in &all.runs {
                if let Some(v) = r.metrics.get(m) {
                    let b = best.entry(r.version).or_insert(*v);
                    *b = if q.ascending { b.min(*v) } else { b.max(*v) };
                }
            }
        }
        trend = best.into_iter().collect();
        let r = match version {
            Some(v) => ObjRef::at(name.as_str(), *v),
            None => ObjRef::latest(name.as_str()),
        };
        card = e.describe_dataset(&r).ok();
    }
    let store =
        s.db.engine()
            .store()
            .path()
            .and_then(|p| p.file_name())
            .map_or("(memory)".into(), |n| n.to_string_lossy().into_owned());
    Ok(PageData {
        datasets,
        board,
        total,
        trend,
        card,
        store,
    })
}
