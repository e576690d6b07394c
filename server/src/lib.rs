//! `valence serve`: the shared service over one Valence database.
//!
//! A thin HTTP layer (axum) over the embedded API: statements submitted as
//! durable asynchronous jobs (run one at a time, in submission order, by one
//! writer thread), read-only queries answered at once on read transactions,
//! catalogue and edge-list uploads, streamed dataset and graph downloads, and
//! an OpenAPI description. Security is part of the shape, not an option:
//! tokens are required beyond loopback, statements cannot reach files
//! outside `--data-dir`, and no request can choose where the LLM client
//! connects. See README.md, "The service".

#![forbid(unsafe_code)]

mod auth;
mod board;
mod board_page;
mod confine;
mod error;
mod jobs;
mod openapi;
mod routes;
mod transfer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use valence::Database;

pub use auth::{TOKENS_ENV, read_tokens};
pub use error::ApiError;

/// Default size limit of an upload body (catalogue or edge CSV).
pub const DEFAULT_UPLOAD_LIMIT: usize = 256 << 20;
/// Default size limit of any other request body.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// How the service is started (the flags of `valence serve`).
#[derive(Debug, Clone)]
pub struct Config {
    /// The database file (created when missing).
    pub db: PathBuf,
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The only directory statements may read or write files in; `None`:
    /// statements may name no file at all (use uploads and downloads).
    pub data_dir: Option<PathBuf>,
    /// Accepted bearer tokens. Empty: only a loopback address may be used.
    pub tokens: Vec<String>,
    /// Size limit of an upload body, in bytes.
    pub upload_limit: usize,
    /// Size limit of other request bodies, in bytes.
    pub body_limit: usize,
    /// Time limit for a request to produce its response head.
    pub request_timeout: Duration,
}

impl Config {
    /// The defaults of `valence serve DB`.
    pub fn new(db: impl Into<PathBuf>) -> Config {
        Config {
            db: db.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
            data_dir: None,
            tokens: Vec::new(),
            upload_limit: DEFAULT_UPLOAD_LIMIT,
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: Duration::from_secs(300),
        }
    }

    /// Refuses what must never start: a non-loopback address without a
    /// token, a data directory that does not exist.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.tokens.is_empty() && !self.listen.ip().is_loopback() {
            anyhow::bail!(
                "refusing to listen on {} without a token: anyone who can reach it could \
                 run statements; give tokens with --token-file FILE or {TOKENS_ENV}, or listen \
                 on 127.0.0.1",
                self.listen
            );
        }
        if self.tokens.iter().any(|t| t.len() < 16) {
            anyhow::bail!("a token is shorter than 16 characters: use long random tokens");
        }
        if let Some(d) = &self.data_dir
            && !d.is_dir()
        {
            anyhow::bail!("--data-dir {}: not a directory", d.display());
        }
        Ok(())
    }
}

/// A bound, not yet serving, service: its address is known (useful with
/// port 0).
pub struct Server {
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shared: Arc<routes::Shared>,
}

impl Server {
    /// Checks the configuration, opens the database (marking jobs a killed
    /// server left running as interrupted, queueing those still queued) and
    /// binds the address.
    pub async fn bind(cfg: Config) -> anyhow::Result<Server> {
        cfg.check()?;
        let db = Database::open(&cfg.db)
            .with_context(|| format!("cannot open database {}", cfg.db.display()))?;
        if db.is_read_only() {
            anyhow::bail!(
                "database {} is read-only: the service needs to write jobs",
                cfg.db.display()
            );
        }
        let shared = routes::Shared::start(db, &cfg)?;
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .with_context(|| format!("cannot listen on {}", cfg.listen))?;
        let app = routes::router(shared.clone(), &cfg);
        Ok(Server {
            listener,
            app,
            shared,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes; a running job is cancelled (its
    /// statement stores nothing) before this returns.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let shared = self.shared.clone();
        axum::serve(
            self.listener,
            self.app
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        shared.stop();
        Ok(())
    }
}

/// Structured request log on standard error: method, path, status,
/// latency and request id, never headers, query strings or bodies. The
/// level comes from `VALENCE_LOG` (e.g. `debug`; default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VALENCE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Runs the service until Ctrl-C or SIGTERM (what `valence serve` does).
pub fn run_blocking(cfg: Config) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let server = Server::bind(cfg).await?;
        let addr = server.local_addr()?;
        eprintln!("valence serve: listening on http://{addr} (Ctrl-C to stop)");
        server.run(shutdown_signal()).await
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
