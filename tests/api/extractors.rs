//! The shared handler openings, each held to its behaviour: the JSON body
//! rules per route, `TargetCompany`, `PathId` and `XlsxUpload` (with their
//! order relative to the body checks).

use axum::routing::post;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use stay_sidekick::http::extract::{UploadRules, XlsxUpload};
use stay_sidekick::store::Role;
use uuid::Uuid;

use crate::support::{TestApp, TestDb, envelope};

const JSON_EXPECTED: &str = "Se esperaba un cuerpo JSON.";

/// Every route that reads a JSON body under the lenient rule.
fn lenient_routes() -> Vec<(&'static str, String)> {
    let id = Uuid::new_v4();
    vec![
        ("POST", "/api/apartamentos".into()),
        ("PUT", format!("/api/apartamentos/{id}")),
        ("PUT", "/api/apartamentos/pms".into()),
        ("POST", "/api/usuarios".into()),
        ("PATCH", format!("/api/usuarios/{id}")),
        ("PUT", "/api/perfil/password".into()),
        ("PUT", "/api/perfil/integraciones/pms".into()),
        ("PUT", "/api/perfil/integraciones/ia".into()),
        ("PUT", "/api/perfil/xlsx-apartamentos".into()),
        ("PUT", "/api/perfil/notificaciones-tardio-config".into()),
        ("PUT", "/api/heatmap/umbrales".into()),
        ("PUT", "/api/heatmap/config-xlsx".into()),
        ("PATCH", format!("/api/solicitudes/{id}")),
        ("PUT", "/api/contactos/preferencias".into()),
    ]
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(r#"{"nombre": "Ático", "rol": "admin"}"#)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn json_sent_as_another_type_is_no_body_except_on_strict_routes() {
    let app = TestApp::spawn().await;
    app.seed_user("sa@example.com", Role::Admin, true).await;
    let token = app.login("sa@example.com").await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "text/plain; charset=utf-8",
    ] {
        for (method, path) in lenient_routes() {
            let response = send(&app, method, &path, &token, content_type).await;
            assert_eq!(response.status(), 400, "{method} {path} {content_type}");
            assert_eq!(envelope(response).await, vec![JSON_EXPECTED]);
        }
        // The original's strict `request.json`: 415 (in the envelope here).
        let response = send(&app, "POST", "/api/empresas", &token, content_type).await;
        assert_eq!(response.status(), 415, "{content_type}");
        assert_eq!(
            envelope(response).await,
            vec!["Tipo de contenido no soportado: se esperaba application/json."]
        );
    }
    // The same body as JSON reaches validation.
    let response = send(
        &app,
        "POST",
        "/api/apartamentos",
        &token,
        "application/json",
    )
    .await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn target_company_checks_come_after_the_body_and_before_the_user_id() {
    let app = TestApp::spawn().await;
    app.seed_user("sa@example.com", Role::Admin, true).await;
    app.seed_user("admin@example.com", Role::Admin, false).await;
    let sa = app.login("sa@example.com").await;
    let admin = app.login("admin@example.com").await;
    let malformed = vec!["empresa_id: Not a valid UUID."];

    // No body: 400 before the malformed `empresa_id`.
    let response = app
        .call("POST", "/api/usuarios?empresa_id=nope", Some(&sa), None)
        .await;
    assert_eq!(response.status(), 400);
    let body = json!({"email": "new@example.com", "rol": "operativo"});
    let response = app
        .call(
            "POST",
            "/api/usuarios?empresa_id=nope",
            Some(&sa),
            Some(&body),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(envelope(response).await, malformed);
    let unknown = format!("/api/usuarios?empresa_id={}", Uuid::new_v4());
    let response = app.call("POST", &unknown, Some(&sa), Some(&body)).await;
    assert_eq!(response.status(), 404);
    assert_eq!(envelope(response).await, vec!["Empresa no encontrada."]);

    // PATCH: company, then the body, then the (malformed) user id.
    let role = json!({"rol": "admin"});
    let response = app
        .call(
            "PATCH",
            "/api/usuarios/xyz?empresa_id=nope",
            Some(&sa),
            Some(&role),
        )
        .await;
    assert_eq!(envelope(response).await, malformed);
    let response = app
        .call(
            "PATCH",
            "/api/usuarios/xyz",
            Some(&sa),
            Some(&json!({"rol": "jefe"})),
        )
        .await;
    assert_eq!(response.status(), 422);
    let response = app
        .call("PATCH", "/api/usuarios/xyz", Some(&sa), Some(&role))
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(envelope(response).await, vec!["Usuario no encontrado."]);
    // DELETE: company before the user id.
    let response = app
        .call(
            "DELETE",
            "/api/usuarios/xyz?empresa_id=nope",
            Some(&sa),
            None,
        )
        .await;
    assert_eq!(envelope(response).await, malformed);

    // Not a superadmin: the parameter is ignored.
    let response = app
        .call("GET", "/api/usuarios?empresa_id=nope", Some(&admin), None)
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn malformed_path_ids_are_the_resource_404_after_a_missing_body() {
    let app = TestApp::spawn().await;
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    for method in ["GET", "DELETE"] {
        let response = app
            .call(method, "/api/apartamentos/not-a-uuid", Some(&token), None)
            .await;
        assert_eq!(response.status(), 404, "{method}");
        assert_eq!(envelope(response).await, vec!["Apartamento no encontrado."]);
    }
    let response = app
        .call("PUT", "/api/apartamentos/not-a-uuid", Some(&token), None)
        .await;
    assert_eq!(response.status(), 400);
    let response = app
        .call(
            "PUT",
            "/api/apartamentos/not-a-uuid",
            Some(&token),
            Some(&json!({"nombre": ""})),
        )
        .await;
    assert_eq!(
        response.status(),
        404,
        "a missing apartment is 404 even with an invalid body"
    );
}

/// Rules of another route, to show the field and messages are the route's.
enum ProbeSheet {}

impl UploadRules for ProbeSheet {
    const FIELD: &'static str = "checkins";
    const MSG_MISSING: &'static str = "falta checkins";
    const MSG_NOT_XLSX: &'static str = "checkins no es xlsx";
    const MSG_EMPTY: Option<&'static str> = None;
}

#[tokio::test]
async fn xlsx_upload_takes_its_field_and_messages_from_the_route() {
    let db = TestDb::sqlite();
    let mut settings = crate::support::settings(db.url());
    settings.max_upload_bytes = 64 * 1024;
    let state = stay_sidekick::build_state(settings).await.unwrap();
    let router =
        axum::Router::new()
            .route(
                "/probe/upload",
                post(|XlsxUpload(bytes, _): XlsxUpload<ProbeSheet>| async move {
                    bytes.len().to_string()
                }),
            )
            .with_state(state.clone());
    let router = stay_sidekick::http::middleware::with_middleware(router, state.clone());
    let app = TestApp::serve_router(db, state, router).await;
    let upload = |form: Form| {
        app.client
            .post(app.url("/probe/upload"))
            .multipart(form)
            .send()
    };
    let file = |name: &str, bytes: Vec<u8>| Part::bytes(bytes).file_name(name.to_string());

    let response = upload(Form::new().part("file", file("a.xlsx", vec![1])))
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(envelope(response).await, vec!["falta checkins"]);
    // A part without a file name is a form value, not the file.
    let response = upload(Form::new().text("checkins", "x")).await.unwrap();
    assert_eq!(envelope(response).await, vec!["falta checkins"]);
    let response = upload(Form::new().part("checkins", file("a.csv", vec![1])))
        .await
        .unwrap();
    assert_eq!(envelope(response).await, vec!["checkins no es xlsx"]);
    // No empty-file rule on this route: the handler gets the empty file.
    let response = upload(Form::new().part("checkins", file("A.XLSX", Vec::new())))
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), response.text().await.unwrap()),
        (200, "0".into())
    );
    let response = app
        .client
        .post(app.url("/probe/upload"))
        .json(&json!({"checkins": "a.xlsx"}))
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(response).await, vec!["falta checkins"]);
    let big = Form::new().part("checkins", file("a.xlsx", vec![0; 128 * 1024]));
    let response = upload(big).await.unwrap();
    assert_eq!(response.status(), 413);
}
