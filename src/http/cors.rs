//! CORS as the original's flask-cors setup (original-api.md 1.14): only
//! origins listed in `ALLOWED_ORIGINS` get headers, echoed with credentials;
//! any other origin gets none at all (the request is still served).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

static ALLOW_METHODS: HeaderValue =
    HeaderValue::from_static("DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
static TRUE: HeaderValue = HeaderValue::from_static("true");
static VARY_ORIGIN: HeaderValue = HeaderValue::from_static("Origin");
/// The request headers a cross-origin caller may send: what the web app and
/// the static site send, and our request id. Anything else fails the preflight.
static ALLOW_HEADERS: HeaderValue =
    HeaderValue::from_static("authorization, content-type, x-csrf-token, x-request-id");

#[derive(Clone, Default)]
pub struct AllowedOrigins(Arc<Vec<String>>);

impl AllowedOrigins {
    pub fn new(origins: Vec<String>) -> Self {
        AllowedOrigins(Arc::new(origins))
    }

    /// Some origin is configured (answers then vary by `Origin`).
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// The request's `Origin` when it is allowed.
    pub fn matching(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.0
            .iter()
            .any(|allowed| allowed == text)
            .then(|| origin.clone())
    }
}

/// A CORS preflight: `OPTIONS` with `Access-Control-Request-Method`.
pub fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight, for every route, without running auth or
/// limits: 200, with the CORS headers only for an allowed origin.
pub fn preflight(origin: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::OK.into_response();
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE.clone());
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS.clone());
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS.clone());
    }
    response
}

/// The headers of an ordinary answer to an allowed origin.
pub fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE.clone());
}

/// `Vary: Origin`, once, beside any other `Vary` the answer has.
pub fn vary_on_origin(headers: &mut HeaderMap) {
    let present = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("origin"));
    if !present {
        headers.append(header::VARY, VARY_ORIGIN.clone());
    }
}
