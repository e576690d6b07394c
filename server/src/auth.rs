//! Bearer tokens: read from a file and the environment (never from the
//! command line, never logged), compared in constant time.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// Environment variable with comma-separated tokens.
pub const TOKENS_ENV: &str = "VALENCE_TOKENS";

/// Tokens from `file` (one per line; blank lines and `#` comments skipped)
/// and from [`TOKENS_ENV`].
pub fn read_tokens(file: Option<&Path>) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("--token-file {}: {e}", f.display()))?;
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from),
        );
    }
    if let Ok(v) = std::env::var(TOKENS_ENV) {
        out.extend(
            v.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from),
        );
    }
    Ok(out)
}

/// The accepted tokens (empty: no authentication, loopback only).
#[derive(Clone)]
pub struct Tokens(pub Arc<Vec<Vec<u8>>>);

impl Tokens {
    pub fn new(tokens: &[String]) -> Tokens {
        Tokens(Arc::new(
            tokens.iter().map(|t| t.as_bytes().to_vec()).collect(),
        ))
    }

    /// Whether `given` is one of the tokens. Every token is compared (in
    /// constant time), so the time taken tells nothing about which matched.
    fn accepts(&self, given: &[u8]) -> bool {
        let mut ok = subtle::Choice::from(0u8);
        for t in self.0.iter() {
            ok |= t.as_slice().ct_eq(given);
        }
        ok.into()
    }
}

/// Middleware: `Authorization: Bearer <token>` when tokens are configured.
pub async fn require_token(State(tokens): State<Tokens>, req: Request, next: Next) -> Response {
    if tokens.0.is_empty() {
        return next.run(req).await;
    }
    let given = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(t) if tokens.accepts(t.as_bytes()) => next.run(req).await,
        Some(_) => ApiError::unauthorized("the bearer token is not accepted").into_response(),
        None => {
            ApiError::unauthorized("missing `Authorization: Bearer <token>` header").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_from_file_and_env_and_constant_time_match() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tokens");
        std::fs::write(
            &f,
            "# team tokens\n\nalpha-0123456789abcdef\n  beta-0123456789abcdef  \n",
        )
        .unwrap();
        let t = read_tokens(Some(&f)).unwrap();
        assert!(t.contains(&"alpha-0123456789abcdef".to_string()));
        assert!(t.contains(&"beta-0123456789abcdef".to_string()));
        let tokens = Tokens::new(&t);
        assert!(tokens.accepts(b"beta-0123456789abcdef"));
        assert!(!tokens.accepts(b"beta-0123456789abcde"));
        assert!(!tokens.accepts(b""));
        let missing = read_tokens(Some(&dir.path().join("nope"))).unwrap_err();
        assert!(missing.to_string().contains("--token-file"), "{missing}");
    }
}
