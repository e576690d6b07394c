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

/// Name of the cookie a browser keeps the token in (set by opening any
/// page once with `?token=...`).
pub const COOKIE: &str = "valence_token";

/// Middleware: `Authorization: Bearer <token>`, or the `valence_token`
/// cookie, when tokens are configured. A GET with a valid `?token=` sets
/// the cookie (HttpOnly, SameSite=Strict) and redirects to the same URL
/// without the token, so a browser can open the leaderboard.
pub async fn require_token(State(tokens): State<Tokens>, req: Request, next: Next) -> Response {
    if tokens.0.is_empty() {
        return next.run(req).await;
    }
    if let Some(resp) = token_in_query(&tokens, &req) {
        return resp;
    }
    let bearer = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let cookie = cookie_token(&req);
    match bearer.or(cookie.as_deref()) {
        Some(t) if tokens.accepts(t.as_bytes()) => next.run(req).await,
        Some(_) => ApiError::unauthorized("the bearer token is not accepted").into_response(),
        None => ApiError::unauthorized("missing `Authorization: Bearer <token>` header")
            .hint("a browser opens a page once with ?token=... (the server then keeps it in a cookie)")
            .into_response(),
    }
}

fn cookie_token(req: &Request) -> Option<String> {
    req.headers()
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(String::from)
        })
}

fn token_in_query(tokens: &Tokens, req: &Request) -> Option<Response> {
    if req.method() != axum::http::Method::GET {
        return None;
    }
    let query = req.uri().query()?;
    let mut rest = Vec::new();
    let mut given = None;
    for part in query.split('&') {
        match part.strip_prefix("token=") {
            Some(t) => given = Some(t.to_string()),
            None => rest.push(part),
        }
    }
    let given = given?;
    if !tokens.accepts(given.as_bytes()) {
        return Some(ApiError::unauthorized("the token is not accepted").into_response());
    }
    let path = req.uri().path();
    let to = if rest.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", rest.join("&"))
    };
    let cookie = format!("{COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/");
    Some(
        (
            axum::http::StatusCode::SEE_OTHER,
            [
                (axum::http::header::LOCATION, to),
                (axum::http::header::SET_COOKIE, cookie),
            ],
        )
            .into_response(),
    )
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
