//! `GET /metrics`: the process's figures in the Prometheus text format
//! (`crate::metrics`). On the main port only for clients in `METRICS_ALLOW`;
//! with `METRICS_ADDR` set, only there, for whoever reaches that address.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::http::client_ip::ClientIp;
use crate::http::error::{AppError, MSG_FORBIDDEN};
use crate::http::state::AppState;
use crate::metrics::{CONTENT_TYPE, metrics};

/// The main port's `/metrics`.
pub async fn scrape(State(state): State<AppState>, ip: ClientIp) -> Result<Response, AppError> {
    if !state.metrics_allow.iter().any(|net| net.contains(&ip.0)) {
        return Err(AppError::forbidden(MSG_FORBIDDEN));
    }
    Ok(render(&state))
}

/// `/metrics` on `METRICS_ADDR`: that address is the access control.
pub async fn scrape_open(State(state): State<AppState>) -> Response {
    render(&state)
}

fn render(state: &AppState) -> Response {
    let (connections, idle) = state.store.pool_state();
    metrics().set_db_pool(connections, idle);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics().render()).into_response()
}
