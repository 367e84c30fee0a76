//! `GET /api/health` (liveness, never touches the database, never limited)
//! and `GET /api/ready` (the database answers).

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::ApiJson;
use crate::http::error::{AppError, ErrorBody};
use crate::http::json::json_bytes;
use crate::http::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct HealthBody {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ReadyBody {
    pub ok: bool,
    #[schema(example = "ok")]
    pub status: &'static str,
}

const HEALTH_BODY: &[u8] = b"{\"status\":\"ok\"}\n";

/// Liveness.
#[utoipa::path(get, path = "/api/health", operation_id = "health", tag = "infra",
    responses((status = 200, description = "The process answers", body = HealthBody)))]
pub async fn health() -> Response {
    json_bytes(HEALTH_BODY)
}

/// Readiness: 200 when the database answers within 2 s, else 503.
#[utoipa::path(get, path = "/api/ready", operation_id = "ready", tag = "infra",
    responses(
        (status = 200, description = "The database answers", body = ReadyBody),
        (status = 503, description = "The database does not answer", body = ErrorBody),
    ))]
pub async fn ready(State(state): State<AppState>) -> Result<ApiJson<ReadyBody>, AppError> {
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok(ApiJson::ok(ReadyBody {
            ok: true,
            status: "ok",
        })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(AppError::unavailable())
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err(AppError::unavailable())
        }
    }
}
