//! Infrastructure behaviour over real HTTP: health, readiness, envelopes for
//! every kind of bad request, headers, CORS, panics, docs and OpenAPI.

use std::collections::BTreeSet;

use crate::support::{TestApp, TestDb, envelope};
use axum::routing::get;
use serde_json::Value;

#[tokio::test]
async fn health_is_ok_without_envelope() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), "{\"status\":\"ok\"}\n");
}

#[tokio::test]
async fn health_is_never_rate_limited() {
    let app = TestApp::spawn_configured(|s| s.rate_limit_default = "2/hour".into()).await;
    for _ in 0..20 {
        assert_eq!(app.get("/api/health").await.status(), 200);
    }
    // The same low default does limit other routes.
    let statuses: Vec<u16> = futures_statuses(&app, "/api/ready", 3).await;
    assert_eq!(statuses, vec![200, 200, 429]);
}

async fn futures_statuses(app: &TestApp, path: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(app.get(path).await.status().as_u16());
    }
    out
}

#[tokio::test]
async fn ready_answers_200_then_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/ready").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ok"], true);
    app.store().close().await;
    let response = app.get("/api/ready").await;
    assert_eq!(response.status(), 503);
    let errors = envelope(response).await;
    assert_eq!(
        errors,
        vec!["Servicio no disponible temporalmente. Inténtalo más tarde."]
    );
    // Liveness does not depend on the database.
    assert_eq!(app.get("/api/health").await.status(), 200);
}

#[tokio::test]
async fn unknown_routes_and_trailing_slashes_are_json_404() {
    let app = TestApp::spawn().await;
    for path in ["/nope", "/api/nope", "/api/health/", "/api/auth/login/x"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(envelope(response).await, vec!["Recurso no encontrado."]);
    }
}

#[tokio::test]
async fn wrong_method_is_json_405_with_allow() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .delete(app.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET"), "{allow}");
    assert_eq!(envelope(response).await, vec!["Método no permitido."]);
    let response = app
        .client
        .get(app.url("/api/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn body_over_max_upload_bytes_is_json_413() {
    let app = TestApp::spawn_configured(|s| s.max_upload_bytes = 1024).await;
    let (token, cookie) = app.csrf().await;
    // Declared length over the limit: refused before the body is read.
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .header("X-CSRF-Token", &token)
        .header("Cookie", &cookie)
        .body(vec![b' '; 2048])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(
        envelope(response).await,
        vec!["El cuerpo de la petición supera el tamaño máximo permitido."]
    );
    // A streamed body without a length is cut while it is read.
    let chunks = futures_stream(vec![vec![b'{'; 800], vec![b'"'; 800]]);
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .header("X-CSRF-Token", &token)
        .header("Cookie", &cookie)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

fn futures_stream(
    chunks: Vec<Vec<u8>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    tokio_stream::iter(chunks.into_iter().map(Ok))
}

#[tokio::test]
async fn every_response_has_nosniff_no_store_and_a_request_id() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/health",
        "/api/nope",
        "/api/csrf-token",
        "/api/auth/validacion",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert!(!headers["x-request-id"].is_empty(), "{path}");
    }
    // A well-formed incoming request id is kept; a hostile one is replaced.
    let kept = app
        .client
        .get(app.url("/api/health"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let replaced = app
        .client
        .get(app.url("/api/health"))
        .header("x-request-id", "a b\"c")
        .send()
        .await
        .unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "a b\"c");
}

#[tokio::test]
async fn cors_echoes_only_allowed_origins() {
    let app = TestApp::spawn_configured(|s| {
        s.allowed_origins = " https://app.example.com , ,http://localhost:4200".into()
    })
    .await;
    let allowed = app
        .client
        .get(app.url("/api/health"))
        .header("Origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    assert!(
        allowed
            .headers()
            .get_all("vary")
            .iter()
            .any(|v| v == "Origin")
    );
    for origin in ["https://app.example.com.evil.io", "null", "https://evil.io"] {
        let response = app
            .client
            .get(app.url("/api/health"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin}"
        );
        assert!(
            response
                .headers()
                .get("access-control-allow-credentials")
                .is_none(),
            "{origin}"
        );
        // The answer without CORS headers varies by Origin too.
        assert_eq!(response.headers()["vary"], "Origin", "{origin}");
    }
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
        .header("Origin", "http://localhost:4200")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "X-CSRF-Token, Content-Type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let headers = preflight.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:4200"
    );
    // A fixed list, not an echo of what was asked.
    assert_eq!(
        headers["access-control-allow-headers"],
        "authorization, content-type, x-csrf-token, x-request-id"
    );
    assert_eq!(headers["vary"], "Origin");
    let odd = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
        .header("Origin", "http://localhost:4200")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "X-Evil, Content-Type")
        .send()
        .await
        .unwrap();
    let allowed = odd.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(!allowed.contains("x-evil"), "{allowed}");
    assert_eq!(
        headers["access-control-allow-methods"],
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    );
    let evil = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
        .header("Origin", "https://evil.io")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn answers_carry_the_browser_facing_headers() {
    let app = TestApp::spawn().await;
    for path in ["/api/health", "/api/apartamentos", "/api/nope"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert!(headers.get("strict-transport-security").is_none(), "{path}");
        // No origins configured: nothing varies by Origin.
        assert!(headers.get("vary").is_none(), "{path}");
    }
    let https = TestApp::spawn_configured(|s| s.ops.behind_https = true).await;
    let response = https.get("/api/apartamentos").await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn a_panicking_handler_is_a_json_500_without_internals() {
    let db = TestDb::sqlite();
    let state = stay_sidekick::build_state(crate::support::settings(db.url()))
        .await
        .unwrap();
    let router = axum::Router::new().route(
        "/api/boom",
        get(|| async {
            let secret_path = "/srv/app/src/secret.rs";
            panic!("exploded at {secret_path}");
            #[allow(unreachable_code)]
            ""
        }),
    );
    let router = stay_sidekick::http::middleware::with_middleware(router, state.clone());
    let app = TestApp::serve_router(db, state, router).await;
    let response = app.get("/api/boom").await;
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let text = response.text().await.unwrap();
    assert_eq!(
        text,
        "{\"errors\":[\"Error interno del servidor.\"],\"ok\":false}\n"
    );
    // The server keeps serving.
    assert_eq!(app.get("/api/boom").await.status(), 500);
}

#[tokio::test]
async fn docs_page_and_its_assets_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app.get("/api/docs").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("/api/docs/openapi.json"));
    // Every asset the page loads is local (works offline).
    for asset in [
        "/api/docs/swagger-ui.css",
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui-standalone-preset.js",
    ] {
        assert!(html.contains(asset), "{asset}");
        let response = app.get(asset).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(response.bytes().await.unwrap().len() > 1000, "{asset}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no remote assets"
    );
    assert_eq!(app.get("/api/docs/nope.js").await.status(), 404);
}

/// The assets are stored gzipped: a browser gets them gzipped, a client that
/// does not take gzip gets the same bytes inflated.
#[tokio::test]
async fn docs_assets_are_gzipped_only_for_clients_that_take_gzip() {
    let app = TestApp::spawn().await;
    let asset = "/api/docs/swagger-ui-bundle.js";
    let plain = app.get(asset).await;
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.headers()["vary"], "accept-encoding");
    let plain = plain.bytes().await.unwrap();
    assert!(
        plain.len() > 100_000 && plain[0] != 0x1f,
        "inflated JavaScript"
    );

    let zipped = app
        .client
        .get(app.url(asset))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let zipped = zipped.bytes().await.unwrap();
    assert_eq!(&zipped[..2], &[0x1f, 0x8b], "gzip magic");
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&zipped[..]),
        &mut inflated,
    )
    .unwrap();
    assert_eq!(inflated, plain);
}

/// Path templates of the original's catalogue (original-api.md section 2)
/// plus ours; a route here must be documented if the router serves it.
const CATALOGUE: &[(&str, &str)] = &[
    ("GET", "/api/health"),
    ("GET", "/api/ready"),
    ("GET", "/api/docs"),
    ("GET", "/api/docs/openapi.json"),
    ("GET", "/api/docs/{file}"),
    ("GET", "/api/docs/openapi.yaml"),
    ("GET", "/api/csrf-token"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/validacion"),
    ("POST", "/api/contact"),
    ("POST", "/api/contacto"),
    ("GET", "/api/empresas"),
    ("POST", "/api/empresas"),
    ("GET", "/api/usuarios"),
    ("POST", "/api/usuarios"),
    ("DELETE", "/api/usuarios/{usuario_id}"),
    ("PATCH", "/api/usuarios/{usuario_id}"),
    ("PATCH", "/api/usuarios/{usuario_id}/contrasena"),
    ("GET", "/api/perfil"),
    ("PUT", "/api/perfil/password"),
    ("GET", "/api/perfil/integraciones"),
    ("PUT", "/api/perfil/integraciones/pms"),
    ("DELETE", "/api/perfil/integraciones/pms"),
    ("PUT", "/api/perfil/integraciones/ia"),
    ("DELETE", "/api/perfil/integraciones/ia"),
    ("GET", "/api/perfil/xlsx-apartamentos"),
    ("PUT", "/api/perfil/xlsx-apartamentos"),
    ("GET", "/api/perfil/notificaciones-tardio-config"),
    ("PUT", "/api/perfil/notificaciones-tardio-config"),
    ("GET", "/api/apartamentos"),
    ("GET", "/api/apartamentos/{apartamento_id}"),
    ("POST", "/api/apartamentos"),
    ("PUT", "/api/apartamentos/{apartamento_id}"),
    ("DELETE", "/api/apartamentos/{apartamento_id}"),
    ("POST", "/api/apartamentos/sincronizacion/smoobu"),
    ("POST", "/api/apartamentos/importacion"),
    ("POST", "/api/apartamentos/importacion/preview"),
    ("GET", "/api/apartamentos/pms"),
    ("PUT", "/api/apartamentos/pms"),
    ("DELETE", "/api/apartamentos/pms"),
    ("GET", "/api/heatmap"),
    ("POST", "/api/heatmap/xlsx"),
    ("GET", "/api/heatmap/umbrales"),
    ("PUT", "/api/heatmap/umbrales"),
    ("GET", "/api/heatmap/config-xlsx"),
    ("PUT", "/api/heatmap/config-xlsx"),
    ("GET", "/api/notificaciones/checkin-tardio/status"),
    ("POST", "/api/notificaciones/checkin-tardio/checkins"),
    ("GET", "/api/notificaciones/checkin-tardio/plantillas"),
    ("POST", "/api/notificaciones/checkin-tardio/plantillas"),
    (
        "PUT",
        "/api/notificaciones/checkin-tardio/plantillas/{plantilla_id}",
    ),
    (
        "DELETE",
        "/api/notificaciones/checkin-tardio/plantillas/{plantilla_id}",
    ),
    ("GET", "/api/contactos/google/auth"),
    ("GET", "/api/contactos/google/callback"),
    ("GET", "/api/contactos/google/status"),
    ("DELETE", "/api/contactos/google/conexion"),
    ("GET", "/api/contactos/preferencias"),
    ("PUT", "/api/contactos/preferencias"),
    ("POST", "/api/contactos/sincronizacion"),
    ("POST", "/api/contactos/exportacion/csv"),
    ("POST", "/api/contactos/xlsx/sincronizacion"),
    ("POST", "/api/contactos/xlsx/exportacion/csv"),
    ("GET", "/api/vault/plantillas"),
    ("POST", "/api/vault/plantillas"),
    ("PUT", "/api/vault/plantillas/{plantilla_id}"),
    ("DELETE", "/api/vault/plantillas/{plantilla_id}"),
    ("POST", "/api/vault/plantillas/{plantilla_id}/mejoras"),
    ("POST", "/api/vault/plantillas/{plantilla_id}/traducciones"),
    ("GET", "/api/ai/uso"),
    ("GET", "/api/ai/config"),
    ("GET", "/api/admin/system-prompts/{nombre}"),
    ("PUT", "/api/admin/system-prompts/{nombre}"),
];

fn concrete(template: &str) -> String {
    if template == "/api/docs/{file}" {
        return "/api/docs/swagger-ui.css".to_string();
    }
    let mut out = String::new();
    let mut inside = false;
    for c in template.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("00000000-0000-4000-8000-000000000000");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

/// True when the router has a route for (method, path): anything but the
/// router's own 404/405 answers.
async fn router_serves(app: &TestApp, method: &str, path: &str) -> bool {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = app
        .client
        .request(method, app.url(&concrete(path)))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    // Routes with ids answer their own "... no encontrado." 404 for an unknown id.
    !(status == 405 || (status == 404 && text.contains("Recurso no encontrado.")))
}

#[tokio::test]
async fn openapi_document_and_router_list_the_same_routes() {
    let app = TestApp::spawn_configured(|s| s.ratelimit_enabled = false).await;
    let response = app.get("/api/docs/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    // Every documented operation is served by the router...
    for (method, path) in &documented {
        assert!(
            router_serves(&app, method, path).await,
            "documented but not routed: {method} {path}"
        );
    }
    // ...and every catalogue route the router serves is documented.
    for (method, path) in CATALOGUE {
        if router_serves(&app, method, path).await {
            assert!(
                documented.contains(&(method.to_string(), path.to_string())),
                "routed but not documented: {method} {path}"
            );
        }
    }
    // The document is the code's: it matches what the library builds.
    let built: Value =
        serde_json::from_str(&stay_sidekick::app::openapi().to_json().unwrap()).unwrap();
    assert_eq!(built, doc);
}

#[tokio::test]
async fn the_original_yaml_address_serves_the_same_document() {
    let app = TestApp::spawn().await;
    let json: Value = app
        .get("/api/docs/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let response = app.get("/api/docs/openapi.yaml").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/yaml");
    let yaml: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(yaml, json);
}

#[tokio::test]
async fn a_plain_options_request_lists_the_allowed_methods() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let allow = response.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("POST"), "{allow}");
    let unknown = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let trace = app
        .client
        .request(reqwest::Method::TRACE, app.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(trace.status(), 405);
}

#[tokio::test]
async fn head_requests_count_against_the_get_limit() {
    let app = TestApp::spawn().await;
    for _ in 0..30 {
        assert_eq!(
            app.client
                .head(app.url("/api/csrf-token"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(app.get("/api/csrf-token").await.status(), 429);
}
