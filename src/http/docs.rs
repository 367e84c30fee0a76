//! `GET /api/docs` (Swagger UI, assets embedded in the binary: works offline)
//! and `GET /api/docs/openapi.json` (OpenAPI 3.1 generated from the code).

use std::sync::{Arc, LazyLock};

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
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
pub async fn asset(Path(file): Path<String>) -> Result<Response, AppError> {
    let found = utoipa_swagger_ui::serve(&file, SWAGGER_CONFIG.clone())
        .ok()
        .flatten();
    let Some(found) = found.filter(|_| file != "index.html") else {
        return Err(AppError::not_found(
            "Archivo de documentación no encontrado.",
        ));
    };
    let mut response = found.bytes.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&found.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if found.gzpipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}
