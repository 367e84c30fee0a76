//! `JsonOrEmpty`: the original's "default-empty" bodies (vault, late check-in
//! templates, contacts, system prompts), read with `get_json(silent=True) or {}`:
//! no body, another content type, malformed or falsy JSON all become `{}`,
//! so the schema then answers its own 422.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use crate::http::error::AppError;
use crate::http::extract::json::{is_falsy, is_json_content_type};

#[derive(Debug)]
pub struct JsonOrEmpty(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonOrEmpty {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_content_type);
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::too_large());
            }
            Err(_) => Bytes::new(),
        };
        let value = is_json
            .then(|| serde_json::from_slice::<Value>(&bytes).ok())
            .flatten()
            .filter(|value| !is_falsy(value))
            .unwrap_or_else(|| Value::Object(Map::new()));
        Ok(JsonOrEmpty(value))
    }
}
