//! `WEB_ROOT`: the built web app and static site served beside the API with
//! the original nginx's routing, so one process can replace nginx + Flask.
//! `DIR/menu/` is the Angular build (SPA: unknown deep links get its
//! `index.html`), `/img/` comes from `DIR/img` or else `DIR/menu/img`, and
//! everything else from `DIR` (the 11ty site) with its 404 page. Files are
//! read by tower-http's `ServeDir`, which refuses `..` after decoding and
//! lists no directory. Nothing under `/api/` is ever served from disk.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

use crate::http::error::{AppError, MSG_METHOD, MSG_NOT_FOUND};

/// The policy of every HTML page: the original nginx's (Turnstile, Google
/// Fonts, the site's two inline scripts by hash: the theme pre-paint of
/// `base.njk` and the redirect of `404.njk`) plus `frame-ancestors 'none'`.
/// Angular inlines critical CSS, hence `'unsafe-inline'` for styles only.
static HTML_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'self'; \
     script-src 'self' https://challenges.cloudflare.com \
     'sha256-iJdhcTRHzt55cYqsVNNxxPjOwJgUvyB68HyF8WDxYvM=' \
     'sha256-Ig5A+5cewHBFUnM/P9kWkADehgoLk1wG8ReLwvNfLGQ='; \
     style-src 'self' 'unsafe-inline' https://fonts.googleapis.com https://challenges.cloudflare.com; \
     font-src 'self' https://fonts.gstatic.com; img-src 'self' data:; \
     connect-src 'self' https://challenges.cloudflare.com; \
     frame-src https://challenges.cloudflare.com; media-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
);
static HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
static NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");
static IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
static ONE_HOUR: HeaderValue = HeaderValue::from_static("public, max-age=3600");
static REFERRER: HeaderValue = HeaderValue::from_static("strict-origin-when-cross-origin");
static DENY: HeaderValue = HeaderValue::from_static("DENY");
static GET_HEAD: HeaderValue = HeaderValue::from_static("GET, HEAD");

/// Whether a request path belongs to the API (decoded, so `/api%2F...` too):
/// such a path is never answered from disk.
pub fn is_api(raw_path: &str) -> bool {
    is_api_decoded(&percent_decode_str(raw_path).decode_utf8_lossy())
}

fn is_api_decoded(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The directory and the file service over it, built once.
pub struct WebRoot {
    dir: PathBuf,
    files: ServeDir,
}

/// What kind of answer a file is, for its headers.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Html,
    Asset,
}

impl WebRoot {
    pub fn new(dir: &Path) -> Self {
        if !dir.join("menu/index.html").is_file() {
            tracing::warn!(dir = %dir.display(), "WEB_ROOT has no menu/index.html: /menu/ will be 404");
        }
        WebRoot {
            dir: dir.to_path_buf(),
            files: ServeDir::new(dir),
        }
    }

    /// The fallback of the router when `WEB_ROOT` is set.
    pub async fn serve(&self, request: Request) -> Response {
        let (parts, _body) = request.into_parts();
        let path = percent_decode_str(parts.uri.path())
            .decode_utf8_lossy()
            .into_owned();
        if is_api_decoded(&path) {
            return AppError::not_found(MSG_NOT_FOUND).into_response();
        }
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let mut response =
                AppError::one(StatusCode::METHOD_NOT_ALLOWED, MSG_METHOD).into_response();
            response
                .headers_mut()
                .insert(header::ALLOW, GET_HEAD.clone());
            return response;
        }
        let mut response = self.file(&parts, parts.uri.clone()).await;
        if response.status() == StatusCode::NOT_FOUND && path.starts_with("/img/") {
            // The SPA's header and footer ask for `/img/...` from its own build.
            if let Ok(uri) = format!("/menu{}", parts.uri.path()).parse::<Uri>() {
                response = self.file(&parts, uri).await;
            }
        }
        let last = path.rsplit('/').next().unwrap_or_default();
        if response.status() == StatusCode::NOT_FOUND
            && path.starts_with("/menu/")
            && !last.contains('.')
        {
            // A deep link of the SPA (`/menu/perfil`): its router takes it
            // from index.html. A missing asset (`main-X.js`) stays a 404.
            let index = ServeFile::new(self.dir.join("menu/index.html"));
            response = serve(index, sub_request(&parts, parts.uri.clone(), true)).await;
            if response.status() != StatusCode::NOT_FOUND {
                return stamp(response, Kind::Html);
            }
        }
        if response.status() == StatusCode::NOT_FOUND {
            return self.not_found_page(&parts).await;
        }
        let html = path.ends_with('/') || last.to_ascii_lowercase().ends_with(".html");
        let kind = if html { Kind::Html } else { Kind::Asset };
        let mut response = stamp(response, kind);
        if kind == Kind::Asset && response.status().is_success() && is_hashed(&path) {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, IMMUTABLE.clone());
        }
        response
    }

    async fn file(&self, parts: &Parts, uri: Uri) -> Response {
        serve(self.files.clone(), sub_request(parts, uri, true)).await
    }

    /// The site's 404 page (`404.html`, or `404/index.html` as 11ty writes
    /// it) with status 404; a plain 404 when there is neither.
    async fn not_found_page(&self, parts: &Parts) -> Response {
        for page in ["404.html", "404/index.html"] {
            // Without validators or ranges: the page must come whole, never 304/206.
            let request = sub_request(parts, parts.uri.clone(), false);
            let mut response = serve(ServeFile::new(self.dir.join(page)), request).await;
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::NOT_FOUND;
                return stamp(response, Kind::Html);
            }
        }
        (StatusCode::NOT_FOUND, "Not Found").into_response()
    }
}

async fn serve<S>(service: S, request: Request) -> Response
where
    S: tower::Service<Request, Error = std::convert::Infallible>,
    S::Response: IntoResponse,
{
    match service.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// A bodiless copy of the request for one file lookup; `conditional: false`
/// drops the headers that could turn the answer into a 304 or a 206.
fn sub_request(parts: &Parts, uri: Uri, conditional: bool) -> Request {
    let mut request = Request::new(Body::empty());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = parts.headers.clone();
    if !conditional {
        let dropped: [HeaderName; 4] = [
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::IF_UNMODIFIED_SINCE,
            header::RANGE,
        ];
        for name in dropped {
            request.headers_mut().remove(name);
        }
    }
    request
}

/// The headers of a file answer. HTML is revalidated on every visit (a new
/// build must reach users at once) and gets the page policy; other files
/// are kept an hour. Redirects and errors keep the edge's `no-store`.
fn stamp(mut response: Response, kind: Kind) -> Response {
    let ok = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    match kind {
        Kind::Html => {
            if headers.contains_key(header::CONTENT_TYPE) {
                headers.insert(header::CONTENT_TYPE, HTML.clone());
            }
            headers.insert(header::CACHE_CONTROL, NO_CACHE.clone());
            headers.insert(header::CONTENT_SECURITY_POLICY, HTML_CSP.clone());
            headers.insert(header::REFERRER_POLICY, REFERRER.clone());
            headers.insert(header::X_FRAME_OPTIONS, DENY.clone());
        }
        Kind::Asset if ok => {
            headers.insert(header::CACHE_CONTROL, ONE_HOUR.clone());
        }
        Kind::Asset => {}
    }
    response
}

/// A file of the Angular build whose name changes with its content: under
/// `/menu/media/`, or named `<name>-<8 upper-case letters or digits>.<ext>`
/// (`main-7XK2Q3ZB.js`, `chunk-AB12CD34.js`, `styles-XXXXXXXX.css`).
fn is_hashed(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/menu/") else {
        return false;
    };
    if rest.starts_with("media/") {
        return true;
    }
    let name = rest.rsplit('/').next().unwrap_or_default();
    let stem = name.rsplit_once('.').map_or("", |(stem, _)| stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        hash.len() == 8
            && hash
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_the_angular_builds() {
        assert!(is_hashed("/menu/main-7XK2Q3ZB.js"));
        assert!(is_hashed("/menu/chunk-AB12CD34.js"));
        assert!(is_hashed("/menu/styles-XXXXXXXX.css"));
        assert!(is_hashed("/menu/media/archivo.woff2"));
        assert!(!is_hashed("/menu/main.js"));
        assert!(!is_hashed("/menu/favicon.ico"));
        assert!(!is_hashed("/menu/main-7xk2q3zb.js"));
        assert!(!is_hashed("/menu/main-7XK2Q3Z.js"));
        assert!(!is_hashed("/assets/logo-ABCDEFGH.png"));
    }

    #[test]
    fn api_paths_are_recognised_decoded() {
        assert!(is_api("/api"));
        assert!(is_api("/api/nope"));
        assert!(is_api("/api%2Fnope"));
        assert!(is_api("/%61pi/nope"));
        assert!(!is_api("/apidocs"));
        assert!(!is_api("/menu/api"));
    }
}
