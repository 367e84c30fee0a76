//! `GET /api/docs` (Swagger UI, assets embedded in the binary: works offline)
//! and `GET /api/docs/openapi.json` (OpenAPI 3.1 generated from the code).

use std::sync::{Arc, LazyLock};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use crate::http::error::AppError;
use crate::http::json::json_bytes;
use crate::http::state::AppState;

const INDEX: &str = r##"<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<title>Stay Sidekick API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/api/docs/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout"
});
</script>
</body>
</html>
"##;

/// API reference page.
#[utoipa::path(get, path = "/api/docs", operation_id = "docs_page", tag = "infra",
    responses((status = 200, description = "Swagger UI page", content_type = "text/html")))]
pub async fn page() -> Html<&'static str> {
    Html(INDEX)
}

/// The OpenAPI document of this service.
#[utoipa::path(get, path = "/api/docs/openapi.json", operation_id = "docs_openapi_json", tag = "infra",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    json_bytes(state.openapi_json())
}

/// The same document at the original's address. JSON is valid YAML 1.2, so
/// YAML readers of the old path keep working.
#[utoipa::path(get, path = "/api/docs/openapi.yaml", operation_id = "docs_openapi_yaml", tag = "infra",
    responses((status = 200, description = "OpenAPI 3.1 document (JSON, which is YAML)", content_type = "application/yaml")))]
pub async fn openapi_yaml(State(state): State<AppState>) -> Response {
    let mut response = state.openapi_json().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/yaml"),
    );
    response
}

static SWAGGER_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> =
    LazyLock::new(|| Arc::new(utoipa_swagger_ui::Config::from("/api/docs/openapi.json")));

/// Static files of the Swagger UI page.
#[utoipa::path(get, path = "/api/docs/{file}", operation_id = "docs_asset", tag = "infra",
    params(("file" = String, Path, description = "Asset name", example = "swagger-ui.css")),
    responses(
        (status = 200, description = "The asset"),
        (status = 404, description = "No such asset", body = crate::http::error::ErrorBody),
    ))]
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let found = utoipa_swagger_ui::serve(&file, SWAGGER_CONFIG.clone())
        .ok()
        .flatten();
    let Some(found) = found.filter(|_| file != "index.html") else {
        return Err(AppError::not_found(
            "Archivo de documentación no encontrado.",
        ));
    };
    // The assets are embedded gzipped: sent as they are to clients that take
    // gzip (every browser), inflated for the others.
    let send_gzipped = found.gzpipped && accepts_gzip(&headers);
    let bytes = if found.gzpipped && !send_gzipped {
        gunzip(&found.bytes)?
    } else {
        found.bytes.into_owned()
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&found.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if send_gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if found.gzpipped {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}

/// Whether `Accept-Encoding` takes gzip: listed without `q=0`, or not
/// listed and `*` is (a `gzip;q=0` wins over `*`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    let codings = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for coding in codings {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let taken = !parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        if name.eq_ignore_ascii_case("gzip") {
            gzip = Some(taken);
        } else if name == "*" {
            any = Some(taken);
        }
    }
    gzip.or(any).unwrap_or(false)
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, AppError> {
    use std::io::Read as _;
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| {
            tracing::error!(error = %e, "embedded docs asset does not inflate");
            AppError::internal()
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        headers
    }

    #[test]
    fn gzip_is_taken_when_listed_without_q_zero() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0, br")));
        assert!(!accepts_gzip(&with("gzip;q=0, *")));
        assert!(accepts_gzip(&with("br, *;q=0.1")));
        assert!(!accepts_gzip(&with("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
