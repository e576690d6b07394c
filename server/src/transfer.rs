//! Uploads (catalogue and edge CSV bodies become new versions, validated as
//! LOAD and IMPORT validate files, errors naming the body line) and streamed
//! downloads (datasets as JSONL, CSV or Parquet, optionally one part of a
//! split; graphs' edge lists), byte-identical to EXPORT of the same version.
//!
//! Both go through a private spool directory: an upload is streamed to a
//! file there before the engine reads it; a download is exported there,
//! opened, unlinked, and streamed from the open file, so memory stays
//! constant whatever the size.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use valence_engine::{DatasetFormat, ExportOptions, GraphFormat, ObjRef, Split};

use crate::confine::object_ref;
use crate::error::{ApiError, Params};
use crate::routes::{Shared, blocking};

/// A file in the spool directory, removed when dropped.
fn spool_file(ext: &str) -> Result<tempfile::TempPath, ApiError> {
    tempfile::Builder::new()
        .prefix("valence-serve-")
        .suffix(&format!(".{ext}"))
        .tempfile()
        .map(|f| f.into_temp_path())
        .map_err(|e| ApiError::internal(format!("cannot create a spool file: {e}")))
}

/// A private spool directory for an export being downloaded (mode 0700,
/// removed with everything in it when dropped): its file and any SPLIT parts
/// live there, so no path, error or not, leaves a copy behind, and no other
/// user can read one meanwhile.
fn spool_dir() -> Result<tempfile::TempDir, ApiError> {
    tempfile::Builder::new()
        .prefix("valence-serve-")
        .tempdir()
        .map_err(|e| ApiError::internal(format!("cannot create a spool directory: {e}")))
}

/// Streams a request body into a spool file.
async fn receive(body: Body) -> Result<tempfile::TempPath, ApiError> {
    let path = spool_file("csv")?;
    let mut f = tokio::fs::File::create(&path)
        .await
        .map_err(|e| ApiError::internal(format!("cannot write the upload: {e}")))?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the upload could not be read: {e}"),
            )
            .hint("the upload limit is set with `valence serve --upload-limit-mb N`")
        })?;
        f.write_all(&chunk)
            .await
            .map_err(|e| ApiError::internal(format!("cannot write the upload: {e}")))?;
    }
    f.flush()
        .await
        .map_err(|e| ApiError::internal(format!("cannot write the upload: {e}")))?;
    Ok(path)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    kind: &'static str,
    name: String,
    version: u32,
    summary: String,
}

fn created(w: valence_engine::Written) -> Response {
    (
        StatusCode::CREATED,
        axum::Json(Created {
            kind: w.kind.as_str(),
            name: w.name,
            version: w.version,
            summary: w.summary,
        }),
    )
        .into_response()
}

/// `PUT /v1/catalogues/{name}`: the body is a catalogue CSV.
#[utoipa::path(put, path = "/v1/catalogues/{name}", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Created), (status = 400, body = crate::error::ErrorBody)))]
pub async fn upload_catalogue(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let file = receive(body).await?;
    let s = shared.clone();
    let w = blocking(move || {
        let stmt = format!("LOAD CATALOGUE {name} FROM 'upload'");
        s.db.engine()
            .load_catalogue(&name, &file, &stmt)
            .map_err(|e| ApiError::from_upload(&e))
    })
    .await?;
    Ok(created(w))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GraphUpload {
    /// The catalogue the edges' values must belong to (`name` or `name@N`).
    catalogue: Option<String>,
}

/// `PUT /v1/graphs/{name}?catalogue=c`: the body is an edge CSV.
#[utoipa::path(put, path = "/v1/graphs/{name}", params(GraphUpload),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Created), (status = 400, body = crate::error::ErrorBody)))]
pub async fn upload_graph(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Params(q): Params<GraphUpload>,
    body: Body,
) -> Result<Response, ApiError> {
    let cat = q.catalogue.as_deref().map(object_ref).transpose()?;
    let file = receive(body).await?;
    let s = shared.clone();
    let w = blocking(move || {
        let stmt = match &q.catalogue {
            Some(c) => format!("IMPORT GRAPH {name} FROM 'upload' CATALOGUE {c}"),
            None => format!("IMPORT GRAPH {name} FROM 'upload'"),
        };
        s.db.engine()
            .import_graph(&name, &file, cat.as_ref(), &stmt)
            .map(|(w, _)| w)
            .map_err(|e| ApiError::from_upload(&e))
    })
    .await?;
    Ok(created(w))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DatasetDownload {
    /// `jsonl` (default), `csv` or `parquet`.
    format: Option<String>,
    /// One part of a split, e.g. `train`; needs `parts`.
    split: Option<String>,
    /// The split's parts, e.g. `train:0.8,test:0.2`.
    parts: Option<String>,
    /// The split's seed (default 0).
    seed: Option<u64>,
    /// Add `pos_frac` and `neg_frac` columns.
    #[serde(default)]
    fractions: bool,
    /// Add `sampled_label` and `relabelled` columns.
    #[serde(default)]
    clean_label: bool,
}

fn split_of(q: &DatasetDownload) -> Result<Option<Split>, ApiError> {
    let (Some(_), Some(parts)) = (&q.split, &q.parts) else {
        return match (&q.split, &q.parts) {
            (None, None) => Ok(None),
            _ => Err(ApiError::bad_request("split and parts go together")
                .hint("e.g. ?split=train&parts=train:0.8,test:0.2&seed=7")),
        };
    };
    let mut out = Vec::new();
    for p in parts.split(',') {
        let (name, frac) = p
            .split_once(':')
            .and_then(|(n, f)| Some((n.trim().to_string(), f.trim().parse::<f64>().ok()?)))
            .ok_or_else(|| {
                ApiError::bad_request(format!("split part '{p}' is not name:fraction"))
                    .hint("e.g. parts=train:0.8,test:0.2")
            })?;
        out.push((name, frac));
    }
    Ok(Some(Split {
        parts: out,
        seed: q.seed.unwrap_or(0),
    }))
}

/// `GET /v1/datasets/{name}[@v]?format=jsonl|csv|parquet[&split=..&parts=..]`.
#[utoipa::path(get, path = "/v1/datasets/{dataset}", params(DatasetDownload),
    responses((status = 200, description = "the dataset file, streamed"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn download_dataset(
    State(shared): State<Arc<Shared>>,
    Path(dataset): Path<String>,
    Params(q): Params<DatasetDownload>,
) -> Result<Response, ApiError> {
    let r = object_ref(&dataset)?;
    let format = DatasetFormat::parse(q.format.as_deref().unwrap_or("jsonl"))
        .map_err(|e| ApiError::from_upload(&e))?;
    let split = split_of(&q)?;
    let want = q.split.clone();
    let spool = spool_dir()?;
    let target = spool.path().join(format!("export.{}", format.name()));
    let options = ExportOptions {
        format: Some(format),
        split,
        fractions: q.fractions,
        clean_label: q.clean_label,
    };
    let s = shared.clone();
    let (path, name, spool) = blocking(move || {
        let rep =
            s.db.engine()
                .export_dataset(&r, &target, &options)
                .map_err(|e| ApiError::from_valence(&e.into()))?;
        let file = match &want {
            None => rep.files.first(),
            Some(w) => rep.files.iter().find(|f| f.part.as_deref() == Some(w)),
        }
        .ok_or_else(|| ApiError::bad_request("the split has no such part"))?;
        let name = match &file.part {
            Some(p) => format!("{}@{}.{p}.{}", r.name, rep.version, rep.format.name()),
            None => format!("{}@{}.{}", r.name, rep.version, rep.format.name()),
        };
        Ok((file.path.clone(), name, spool))
    })
    .await?;
    stream_file(path, &name, content_type_dataset(format), spool).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EdgesDownload {
    /// `csv` (default), `graphml`, `dot` or `parquet`.
    format: Option<String>,
}

/// `GET /v1/graphs/{name}[@v]/edges?format=csv|graphml|dot|parquet`.
#[utoipa::path(get, path = "/v1/graphs/{graph}/edges", params(EdgesDownload),
    responses((status = 200, description = "the edge list, streamed"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn download_edges(
    State(shared): State<Arc<Shared>>,
    Path(graph): Path<String>,
    Params(q): Params<EdgesDownload>,
) -> Result<Response, ApiError> {
    let r: ObjRef = object_ref(&graph)?;
    let format = GraphFormat::parse(q.format.as_deref().unwrap_or("csv"))
        .map_err(|e| ApiError::from_upload(&e))?;
    let spool = spool_dir()?;
    let target = spool.path().join(format!("edges.{}", format.name()));
    let s = shared.clone();
    let (path, name, spool) = blocking(move || {
        let rep =
            s.db.engine()
                .export_graph(&r, &target, Some(format))
                .map_err(|e| ApiError::from_valence(&e.into()))?;
        let name = format!("{}@{}.{}", r.name, rep.version, format.name());
        Ok((target, name, spool))
    })
    .await?;
    let ct = match format {
        GraphFormat::Csv => "text/csv; charset=utf-8",
        GraphFormat::GraphMl => "application/xml",
        GraphFormat::Dot => "text/vnd.graphviz",
        GraphFormat::Parquet => "application/vnd.apache.parquet",
    };
    stream_file(path, &name, ct, spool).await
}

fn content_type_dataset(f: DatasetFormat) -> &'static str {
    match f {
        DatasetFormat::Jsonl => "application/x-ndjson",
        DatasetFormat::Csv => "text/csv; charset=utf-8",
        DatasetFormat::Parquet => "application/vnd.apache.parquet",
    }
}

/// Opens `path`, removes the spool files, streams the open file.
async fn stream_file(
    path: PathBuf,
    name: &str,
    content_type: &'static str,
    spool: tempfile::TempDir,
) -> Result<Response, ApiError> {
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read the export: {e}")))?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    // The open file streams on; its name and the spool go now.
    drop(spool);
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 << 10));
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    if let Ok(v) = header::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(n) = len {
        h.insert(header::CONTENT_LENGTH, n.into());
    }
    Ok(resp)
}
