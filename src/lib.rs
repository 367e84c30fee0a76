//! Stay Sidekick API: one service, wire-compatible with the original Flask API.
//!
//! Layers: [`app`] (every route and its OpenAPI document) over [`features`]
//! (one module per area) over [`http`] (state, extractors, errors,
//! middleware) over [`integrations`], [`security`], [`domain`] (pure logic)
//! and [`store`] (SQLite and PostgreSQL).
//! `main.rs` only parses the command line and calls [`run`].

pub mod app;
pub mod bootstrap;
pub mod config;
pub mod domain;
pub mod features;
pub mod http;
pub mod integrations;
pub mod jobs;
pub mod logging;
pub mod metrics;
pub mod security;
pub mod store;

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;

pub use app::app;
pub use http::state::AppState;

/// Builds the state from settings: opens and migrates the database, resolves
/// secrets, connects the rate limiter.
pub async fn build_state(settings: config::Settings) -> anyhow::Result<AppState> {
    settings.validate()?;
    let secrets = settings.resolve_secrets()?;
    let url = settings.database_url();
    let (store, report) = store::connect(&url).await?;
    log_migrations(&url, &report);
    let limiter = http::ratelimit::RateLimiter::from_settings(&settings).await?;
    if config::FormsSettings::given(&settings.forms.turnstile_secret_key).is_none() {
        tracing::warn!(
            "TURNSTILE_SECRET_KEY is unset: the public forms will be refused (captcha failed)"
        );
    }
    let state = AppState::new(settings, secrets, store, limiter)?;
    // The public forms' notifier: stops when the last clone of the state drops.
    state.outbox.start(state.store.clone(), &state.settings);
    Ok(state)
}

fn log_migrations(url: &str, report: &store::MigrationReport) {
    let target = if url.starts_with("sqlite:") {
        url.to_string()
    } else {
        "PostgreSQL".to_string()
    };
    if report.adopted_original {
        tracing::info!(database = %target, "adopted the original service's schema");
    }
    if report.applied.is_empty() {
        tracing::info!(database = %target, "schema up to date");
    } else {
        tracing::info!(database = %target, applied = ?report.applied, "migrations applied");
    }
}

/// Serves `state` on `listener` until `shutdown` resolves; in-flight
/// requests then get `grace` to finish. Slow clients are cut and connections
/// capped: see [`http::server`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let metrics_server = match state.settings.ops.metrics_addr {
        Some(addr) => {
            let listener = TcpListener::bind(addr).await?;
            tracing::info!(address = %addr, "metrics served on their own address");
            let metrics = app::metrics_app(state.clone());
            Some(tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, metrics).await {
                    tracing::error!(error = %err, "metrics listener failed");
                }
            }))
        }
        None => None,
    };
    let _stop_metrics = metrics_server.map(AbortOnDrop);
    let limits = state.settings.server.clone();
    http::server::serve(listener, app(state), limits, shutdown, grace).await
}

/// Stops a background server when `serve` returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
