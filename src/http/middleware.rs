//! Cross-cutting middleware: the edge every request passes (request id,
//! CORS, early 413, rate limit, security headers, metrics, one log line),
//! JSON panics, JSON 404/405; and the stack they form around the routes
//! (`with_middleware`).

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;

use crate::http::cors::{self, AllowedOrigins};
use crate::http::error::{AppError, MSG_METHOD, MSG_NOT_FOUND};
use crate::http::ratelimit::RateGuard;
use crate::http::server::{self, BodyClock};
use crate::http::state::AppState;
use crate::http::web_root;
use crate::logging::RequestLine;
use crate::metrics::{Route, metrics};

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
static NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
static FRAME_ANCESTORS: HeaderValue = HeaderValue::from_static("frame-ancestors 'none'");
static DENY: HeaderValue = HeaderValue::from_static("DENY");
static NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");
/// Pages embed the Turnstile widget and hand off to Google's consent screen,
/// third parties that may read the page's origin: pages send the origin only.
static PAGE_REFERRER: HeaderValue = HeaderValue::from_static("strict-origin-when-cross-origin");
static HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

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

fn new_request_id() -> HeaderValue {
    use std::io::Write as _;
    let n = ID_COUNTER.fetch_add(1, Ordering::Relaxed);
    // On the stack: 8 prefix characters, a dash and at most 16 hex digits.
    let mut id = [0u8; 32];
    let mut cursor = std::io::Cursor::new(&mut id[..]);
    let _ = write!(cursor, "{}-{n:x}", *ID_PREFIX);
    let len = usize::try_from(cursor.position()).unwrap_or(0);
    HeaderValue::from_bytes(&id[..len]).unwrap_or(HeaderValue::from_static("-"))
}

/// What the edge needs, built once.
#[derive(Clone)]
pub struct Edge {
    origins: AllowedOrigins,
    rates: RateGuard,
    max_upload_bytes: u64,
    /// WEB_ROOT is set: unmatched paths outside `/api/` are files.
    serves_files: bool,
    /// BEHIND_HTTPS: answers carry `Strict-Transport-Security`.
    hsts: bool,
}

impl Edge {
    pub fn new(state: &AppState) -> Self {
        Edge {
            origins: AllowedOrigins::new(state.settings.allowed_origins()),
            rates: RateGuard {
                limiter: state.limiter.clone(),
                trusted_proxies: state.trusted_proxies.clone(),
            },
            max_upload_bytes: state.settings.max_upload_bytes as u64,
            serves_files: state.settings.ops.web_root.is_some(),
            hsts: state.settings.ops.behind_https,
        }
    }
}

/// A declared body larger than `MAX_UPLOAD_BYTES`, refused before it is read.
/// (Bodies without a length are cut by the body limit as they are read.)
fn declared_too_large(request: &Request, max: u64) -> bool {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > max)
}

/// Everything every request goes through, in one middleware because each
/// layer costs a boxed future and a service clone per request. In order:
/// request id (a well-formed incoming one is kept), CORS preflight, early
/// 413, rate limit, the route; then the headers every answer carries, the
/// metrics and one log line: method, route template, status, latency,
/// request id. Never the query string, headers or body (tokens and
/// passwords travel there).
pub async fn edge(State(edge): State<Edge>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = incoming_request_id(&request).unwrap_or_else(new_request_id);
    let method = request.method().clone();
    // Files are never rate limited (only matched routes are) and count as
    // one metrics route, not one per path.
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => Route::Matched(path.clone()),
        None if edge.serves_files && !web_root::is_api(request.uri().path()) => Route::Static,
        None => Route::Unmatched,
    };
    let origin = edge.origins.matching(request.headers());
    let body_clock = request.extensions().get::<BodyClock>().cloned();

    let mut response = if cors::is_preflight(&request) {
        cors::preflight(origin)
    } else {
        let mut response = if declared_too_large(&request, edge.max_upload_bytes) {
            AppError::too_large().into_response()
        } else {
            match edge.rates.check(request, &route).await {
                // A panic in a handler is caught here rather than by a layer
                // of its own (one boxed service fewer per request), so its
                // 500 still gets the headers, metrics and log line below.
                Ok(request) => match AssertUnwindSafe(next.run(request)).catch_unwind().await {
                    Ok(response) => response,
                    Err(panic) => panic_response(panic),
                },
                Err(refused) => refused,
            }
        };
        // A stalled body: whatever the handler made of the cut body, 408.
        if body_clock.is_some_and(|clock| clock.fired()) {
            response = server::request_timeout();
        }
        if let Some(origin) = origin {
            cors::allow(response.headers_mut(), origin);
        }
        response
    };

    let headers = response.headers_mut();
    if edge.origins.any() {
        // With origins configured, every answer's CORS headers depend on
        // the request's Origin: shared caches must key on it.
        cors::vary_on_origin(headers);
    }
    headers.insert(REQUEST_ID.clone(), id.clone());
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF.clone());
    headers.insert(header::X_FRAME_OPTIONS, DENY.clone());
    if edge.hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS.clone());
    }
    if matches!(route, Route::Static) {
        headers
            .entry(header::REFERRER_POLICY)
            .or_insert_with(|| PAGE_REFERRER.clone());
        // A file keeps the cache policy and page CSP `web_root` gave it.
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert_with(|| FRAME_ANCESTORS.clone());
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert_with(|| NO_STORE.clone());
    } else {
        headers.insert(header::REFERRER_POLICY, NO_REFERRER.clone());
        headers.insert(header::CONTENT_SECURITY_POLICY, FRAME_ANCESTORS.clone());
        if !route.as_str().starts_with("/api/docs/{") {
            // Responses may carry tokens or tenant data: no cache may keep them.
            headers.insert(header::CACHE_CONTROL, NO_STORE.clone());
        }
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    metrics().request(&method, &route, status, elapsed);
    crate::logging::log_request(&RequestLine {
        method: method.as_str(),
        route: route.as_str(),
        status,
        latency_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        request_id: id.to_str().unwrap_or("-"),
    });
    response
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

/// The 405 fallback and the middleware stack (outermost last) around
/// `router`, whose caller has set its fallback (`not_found`, or the files of
/// WEB_ROOT). Public so tests can put probe routes behind the very same stack.
pub fn with_middleware(router: Router<AppState>, state: AppState) -> Router {
    router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.settings.max_upload_bytes))
        .layer(from_fn_with_state(Edge::new(&state), edge))
        .with_state(state)
}
