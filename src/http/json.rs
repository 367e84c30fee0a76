//! `ApiJson`, the response type every handler returns: JSON as the original
//! writes it (compact, ASCII-only, ending in a newline).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::json::write_ascii_json;

/// A JSON response with a status code.
pub struct ApiJson<T>(pub StatusCode, pub T);

impl<T: Serialize> ApiJson<T> {
    pub fn ok(value: T) -> Self {
        ApiJson(StatusCode::OK, value)
    }
}

pub static JSON_CONTENT_TYPE: HeaderValue = HeaderValue::from_static("application/json");

/// A 200 whose body is JSON already serialised (static or cached bodies).
pub fn json_bytes(body: impl Into<axum::body::Bytes>) -> Response {
    let mut response = body.into().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, JSON_CONTENT_TYPE.clone());
    response
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(128);
        write_ascii_json(&mut body, &self.1);
        body.push(b'\n');
        let mut response = (self.0, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, JSON_CONTENT_TYPE.clone());
        response
    }
}
