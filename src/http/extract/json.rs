//! JSON bodies, by the original's rules (original-api.md 1.6): the lenient
//! rule of almost every route, and the strict one that refuses another
//! content type with 415.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::Value;

use crate::http::error::{AppError, MSG_JSON_EXPECTED, MSG_MEDIA_TYPE};

/// A JSON body that is present and "truthy" (not `{}`, `[]`, `null`, `0`,
/// `""`, `false`), else 400 `Se esperaba un cuerpo JSON.` as the original.
/// As the original's lenient `get_json`, a body sent with another content
/// type counts as no body (400); too large, 413.
#[derive(Debug)]
pub struct JsonBody(pub Value);

/// As `JsonBody`, but another content type is 415: `POST /api/empresas` (the
/// original's strict `request.json`) and the CSRF routes, where the security
/// battery wants a cross-site `text/plain` or form post refused as 415.
#[derive(Debug)]
pub struct StrictJsonBody(pub Value);

pub fn is_json_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The body read whole (413 first), then: blank 400, another content type
/// `wrong_type`, malformed or falsy 400.
async fn read_json<S: Send + Sync>(
    req: Request,
    state: &S,
    wrong_type: fn() -> AppError,
) -> Result<Value, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("invalid").to_string());
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::too_large()
        } else {
            AppError::bad_request(MSG_JSON_EXPECTED)
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request(MSG_JSON_EXPECTED));
    }
    if !content_type.as_deref().is_some_and(is_json_content_type) {
        return Err(wrong_type());
    }
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|_| AppError::bad_request(MSG_JSON_EXPECTED))?;
    if is_falsy(&value) {
        return Err(AppError::bad_request(MSG_JSON_EXPECTED));
    }
    Ok(value)
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_json(req, state, || AppError::bad_request(MSG_JSON_EXPECTED))
            .await
            .map(JsonBody)
    }
}

impl<S: Send + Sync> FromRequest<S> for StrictJsonBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_json(req, state, || {
            AppError::one(StatusCode::UNSUPPORTED_MEDIA_TYPE, MSG_MEDIA_TYPE)
        })
        .await
        .map(StrictJsonBody)
    }
}

/// Python truthiness of a JSON value.
pub fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_truthiness() {
        for falsy in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(is_falsy(&falsy), "{falsy}");
        }
        for truthy in [
            json!(true),
            json!(1),
            json!("a"),
            json!([0]),
            json!({"a": 1}),
        ] {
            assert!(!is_falsy(&truthy), "{truthy}");
        }
    }

    #[test]
    fn json_content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("application/json; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
    }
}
