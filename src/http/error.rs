//! The one error type of the HTTP layer. Every error leaves as the envelope
//! `{"ok": false, "errors": [...]}` with its status code.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::json::ApiJson;
use crate::security::password::HashError;
use crate::store::StoreError;

pub const MSG_INTERNAL: &str = "Error interno del servidor.";
pub const MSG_TOO_MANY: &str = "Demasiadas solicitudes. Inténtalo más tarde.";
pub const MSG_NOT_FOUND: &str = "Recurso no encontrado.";
pub const MSG_METHOD: &str = "Método no permitido.";
pub const MSG_TOO_LARGE: &str = "El cuerpo de la petición supera el tamaño máximo permitido.";
pub const MSG_MEDIA_TYPE: &str = "Tipo de contenido no soportado: se esperaba application/json.";
pub const MSG_JSON_EXPECTED: &str = "Se esperaba un cuerpo JSON.";
pub const MSG_UNAVAILABLE: &str = "Servicio no disponible temporalmente. Inténtalo más tarde.";
pub const MSG_TOKEN_REQUIRED: &str = "Token de acceso requerido.";
pub const MSG_TOKEN_INVALID: &str = "Token inválido o expirado.";
pub const MSG_FORBIDDEN: &str = "Acceso denegado.";
pub const MSG_TEMPORARY_PASSWORD: &str = "Debes cambiar la contraseña temporal antes de continuar.";
pub const MSG_REQUEST_TIMEOUT: &str = "La petición tardó demasiado en llegar.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub status: StatusCode,
    pub errors: Vec<String>,
    /// Seconds for `Retry-After` (429 only).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    errors: &'a [String],
    ok: bool,
}

/// The error envelope as documented in OpenAPI.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub errors: Vec<String>,
    #[schema(example = false)]
    pub ok: bool,
}

impl AppError {
    pub fn new(status: StatusCode, errors: Vec<String>) -> Self {
        AppError {
            status,
            errors,
            retry_after: None,
        }
    }

    pub fn one(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, vec![message.into()])
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::one(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::one(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::one(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::one(StatusCode::NOT_FOUND, message)
    }
    pub fn unprocessable(errors: Vec<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, errors)
    }
    pub fn too_large() -> Self {
        Self::one(StatusCode::PAYLOAD_TOO_LARGE, MSG_TOO_LARGE)
    }
    pub fn too_many_requests(retry_after: u64) -> Self {
        AppError {
            retry_after: Some(retry_after.max(1)),
            ..Self::one(StatusCode::TOO_MANY_REQUESTS, MSG_TOO_MANY)
        }
    }
    pub fn internal() -> Self {
        Self::one(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL)
    }
    pub fn unavailable() -> Self {
        Self::one(StatusCode::SERVICE_UNAVAILABLE, MSG_UNAVAILABLE)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = ApiJson(
            self.status,
            Envelope {
                errors: &self.errors,
                ok: false,
            },
        )
        .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "database unavailable");
                AppError::unavailable()
            }
            other => {
                tracing::error!(error = %other, "database error");
                AppError::internal()
            }
        }
    }
}

pub const MSG_BUSY: &str = "Servicio ocupado. Inténtalo de nuevo en unos segundos.";

impl From<HashError> for AppError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Busy => {
                tracing::warn!("password hashing queue full: request refused");
                AppError {
                    retry_after: Some(1),
                    ..AppError::one(StatusCode::SERVICE_UNAVAILABLE, MSG_BUSY)
                }
            }
            other => {
                tracing::error!(error = %other, "password hashing failed");
                AppError::internal()
            }
        }
    }
}
