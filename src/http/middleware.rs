//! Cross-cutting middleware: request id and one log line per request,
//! security headers, early 413, JSON panics, JSON 404/405; and the stack
//! they form around the routes (`with_middleware`).

use std::any::Any;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;

use crate::http::cors::{AllowedOrigins, cors};
use crate::http::error::{AppError, MSG_METHOD, MSG_NOT_FOUND};
use crate::http::ratelimit::{self, RateGuard};
use crate::http::state::AppState;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
static NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
static FRAME_ANCESTORS: HeaderValue = HeaderValue::from_static("frame-ancestors 'none'");

/// Request ids: a random per-process prefix and a counter (cheap, unique).
static ID_PREFIX: LazyLock<String> = LazyLock::new(|| {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..8].to_string()
});
static ID_COUNTER: AtomicU64 = AtomicU64::new(1);

fn incoming_request_id(request: &Request) -> Option<HeaderValue> {
    let value = request.headers().get(&REQUEST_ID)?;
    let text = value.to_str().ok()?;
    let well_formed = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    well_formed.then(|| value.clone())
}

/// Assigns a request id (or keeps a well-formed incoming one), runs the
/// request, adds the headers every response carries, and logs one line:
/// method, route template, status, latency, request id. Never the query
/// string, headers or body (tokens and passwords travel there).
pub async fn request_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = incoming_request_id(&request).unwrap_or_else(|| {
        let n = ID_COUNTER.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:x}", *ID_PREFIX))
            .unwrap_or(HeaderValue::from_static("-"))
    });
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let is_docs_asset = route
        .as_deref()
        .is_some_and(|r| r.starts_with("/api/docs/{"));

    let mut response = next.run(request).await;

    let headers = response.headers_mut();
    headers.insert(REQUEST_ID.clone(), id.clone());
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF.clone());
    headers.insert(header::CONTENT_SECURITY_POLICY, FRAME_ANCESTORS.clone());
    if !is_docs_asset {
        // Responses may carry tokens or tenant data: no cache may keep them.
        headers.insert(header::CACHE_CONTROL, NO_STORE.clone());
    }
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "http",
        method = %method,
        route = route.as_deref().unwrap_or("-"),
        status,
        latency_ms = format_args!("{latency_ms:.3}"),
        request_id = id.to_str().unwrap_or("-"),
        "request"
    );
    response
}

/// Refuses a declared body larger than `MAX_UPLOAD_BYTES` before reading it.
/// (Bodies without a length are cut by the body limit as they are read.)
pub async fn content_length_limit(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > state.settings.max_upload_bytes as u64) {
        return AppError::too_large().into_response();
    }
    next.run(request).await
}

/// A panic in a handler: logged, answered as the original's JSON 500.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic");
    tracing::error!(panic = detail, "handler panicked");
    AppError::internal().into_response()
}

pub async fn not_found() -> AppError {
    AppError::not_found(MSG_NOT_FOUND)
}

/// Wrong method: JSON 405 (axum adds `Allow`). A plain `OPTIONS` on a known
/// route is answered 200 with that same `Allow`, as Flask does.
pub async fn method_not_allowed(method: Method) -> Response {
    if method == Method::OPTIONS {
        return StatusCode::OK.into_response();
    }
    AppError::one(StatusCode::METHOD_NOT_ALLOWED, MSG_METHOD).into_response()
}

/// Fallbacks and the middleware stack (outermost last) around `router`.
/// Public so tests can put probe routes behind the very same stack.
pub fn with_middleware(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(
            RateGuard {
                limiter: state.limiter.clone(),
                trusted_proxies: state.trusted_proxies.clone(),
            },
            ratelimit::limit,
        ))
        .layer(from_fn_with_state(state.clone(), content_length_limit))
        .layer(DefaultBodyLimit::max(state.settings.max_upload_bytes))
        .layer(from_fn_with_state(
            AllowedOrigins::new(state.settings.allowed_origins()),
            cors,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn(request_log))
        .with_state(state)
}
