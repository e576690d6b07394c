//! The one error shape of the service:
//! `{"error": {"code", "message", "line"?, "col"?, "hint"?}}` with a fitting
//! HTTP status. `line`/`col` point into the submitted statements, or `line`
//! into an uploaded body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use valence::ErrorKind;

/// The body of an error (also stored in a failed job's record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code: the engine's (`valence::Error::code`, e.g.
    /// `syntax`, `not_found`, `unknown_modality`) or the service's own
    /// (`unauthorized`, `forbidden_path`, `idempotency_key_reused`, ...).
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub col: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// An error answer: status and body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code: code.into(),
                message: message.into(),
                line: None,
                col: None,
                hint: None,
            },
        }
    }

    pub fn at(mut self, line: usize, col: usize) -> ApiError {
        self.body.line = Some(line);
        self.body.col = Some(col);
        self
    }

    pub fn hint(mut self, h: impl Into<String>) -> ApiError {
        self.body.hint = Some(h.into());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A statement's error: its kind gives code and status, its position
    /// line and column in the submitted text.
    pub fn from_valence(e: &valence::Error) -> ApiError {
        let kind = e.kind();
        let message = match e {
            valence::Error::Query(q) => q.message.clone(),
            other => other.to_string(),
        };
        let mut a = ApiError::new(status_of(kind), e.code(), message);
        if let Some((l, c)) = e.position() {
            a = a.at(l, c);
        }
        if let Some(h) = e.hint() {
            a = a.hint(h);
        }
        a
    }

    /// An engine error from an upload: an input error names the body line.
    pub fn from_upload(e: &valence_engine::Error) -> ApiError {
        match e {
            valence_engine::Error::Input { loc, message, hint } => {
                let mut a = ApiError::new(StatusCode::BAD_REQUEST, "input", message.clone());
                if loc.line > 0 {
                    a.body.line = Some(loc.line as usize);
                }
                if let Some(h) = hint {
                    a = a.hint(h.clone());
                }
                a
            }
            other => {
                let kind = ErrorKind::from(other.kind());
                let mut a = ApiError::new(status_of(kind), other.code(), other.to_string());
                if let Some(h) = other.hint() {
                    a = a.hint(h);
                }
                a
            }
        }
    }
}

fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Syntax | ErrorKind::Statement | ErrorKind::Input | ErrorKind::Io => {
            StatusCode::BAD_REQUEST
        }
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Invalid | ErrorKind::Sample => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Llm | ErrorKind::Http => StatusCode::BAD_GATEWAY,
        ErrorKind::ReadOnly | ErrorKind::Cancelled => StatusCode::CONFLICT,
        ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::Locked | ErrorKind::AlreadyOpen => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: &'a ErrorBody,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(Envelope { error: &self.body })).into_response()
    }
}

impl From<valence::Error> for ApiError {
    fn from(e: valence::Error) -> ApiError {
        ApiError::from_valence(&e)
    }
}

/// Query parameters, strictly: an unknown or malformed parameter is a JSON
/// 400 that names it. (axum's `Query` answers plain text, and serde skips
/// unknown fields: `?fraction=true` would silently drop the columns asked
/// for.) The parameter structs are `#[serde(deny_unknown_fields)]`.
pub struct Params<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Params<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(|e| {
                ApiError::bad_request(format!("query parameters: {}", e.body_text()))
                    .hint("the parameters each endpoint takes are listed in GET /v1/openapi.json")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_errors_carry_line_and_column() {
        let db = valence::Database::in_memory().unwrap();
        let e = db
            .execute("SHOW GRAPHS;\n  DIAGNOZE g TYPES (brand [1,1]);")
            .unwrap_err();
        let a = ApiError::from_valence(&e);
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.body.code, "syntax");
        assert_eq!((a.body.line, a.body.col), (Some(2), Some(3)));
        assert!(a.body.message.contains("DIAGNOSE"), "{}", a.body.message);
        let e = db.execute("DESCRIBE GRAPH nope;").unwrap_err();
        let a = ApiError::from_valence(&e);
        assert_eq!(
            (a.status, a.body.code.as_str()),
            (StatusCode::NOT_FOUND, "not_found")
        );
    }
}
