//! The heat map over real HTTP on SQLite and PostgreSQL: its settings here,
//! the spreadsheet mode in `xlsx`, the PMS mode against mock servers in `pms`.

mod pms;
mod sheets;
mod xlsx;

use crate::support::{TestApp, TestDb, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::Role;

/// The application with PMS endpoints allowed on loopback (the mock servers).
pub async fn app_on(db: TestDb) -> TestApp {
    let mut settings = crate::support::settings(db.url());
    settings.allow_private_pms_endpoints = true;
    TestApp::spawn_with(db, settings).await
}

/// An admin and an operations user of one company: (admin token, op token, company).
pub async fn company_users(app: &TestApp) -> (String, String, uuid::Uuid) {
    let admin = app.seed_user("admin@example.com", Role::Admin, false).await;
    app.seed_in(admin.company_id, "op@example.com", Role::Operations, false)
        .await;
    (
        app.login("admin@example.com").await,
        app.login("op@example.com").await,
        admin.company_id,
    )
}

pub async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.call("PUT", path, Some(token), Some(&body)).await
}

pub async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get_auth(path, token).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

async fn errors_of(response: reqwest::Response, status: u16) -> Vec<String> {
    assert_eq!(response.status(), status);
    envelope(response).await
}

async fn thresholds_are_validated_and_saved_by_admins(app: TestApp) {
    let (admin, op, _) = company_users(&app).await;
    let path = "/api/heatmap/umbrales";
    assert_eq!(
        get_json(&app, path, &op).await,
        json!({"ok": true, "umbrales": {"nivel1": 10, "nivel2": 20, "nivel3": 30}})
    );
    let valid = json!({"nivel1": 2, "nivel2": 4, "nivel3": 8});
    assert_eq!(
        errors_of(put(&app, path, &op, valid.clone()).await, 403).await,
        vec!["Acceso denegado."]
    );
    assert_eq!(
        errors_of(put(&app, path, &admin, json!({})).await, 400).await,
        vec!["Se esperaba un cuerpo JSON."]
    );
    let cases = [
        (
            json!({"nivel1": "5", "nivel2": 2.0, "nivel3": true, "x": 1}),
            vec![
                "nivel1: Not a valid integer.",
                "nivel2: Not a valid integer.",
                "nivel3: Not a valid integer.",
                "x: Unknown field.",
            ],
        ),
        (
            json!({"nivel1": 0, "nivel2": 10000, "nivel3": null}),
            vec![
                "nivel1: Must be greater than or equal to 1 and less than or equal to 9999.",
                "nivel2: Must be greater than or equal to 1 and less than or equal to 9999.",
                "nivel3: Field may not be null.",
            ],
        ),
        (
            json!({"nivel2": 3}),
            vec![
                "nivel1: Missing data for required field.",
                "nivel3: Missing data for required field.",
            ],
        ),
        (
            json!({"nivel1": 5, "nivel2": 5, "nivel3": 9}),
            vec!["_schema: Los umbrales deben cumplir nivel1 < nivel2 < nivel3."],
        ),
        (
            json!({"nivel1": 9, "nivel2": 5, "nivel3": 1, "y": 0}),
            vec!["y: Unknown field."],
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            errors_of(put(&app, path, &admin, body.clone()).await, 422).await,
            expected,
            "{body}"
        );
    }
    let saved = put(&app, path, &admin, valid.clone()).await;
    assert_eq!(saved.status(), 200);
    assert_eq!(
        saved.json::<Value>().await.unwrap(),
        json!({"ok": true, "umbrales": valid})
    );
    assert_eq!(get_json(&app, path, &op).await["umbrales"], valid);
}

async fn columns_are_validated_and_stored_as_sent(app: TestApp) {
    let (admin, op, _) = company_users(&app).await;
    let path = "/api/heatmap/config-xlsx";
    assert_eq!(
        get_json(&app, path, &op).await,
        json!({"config": {"col_fecha_checkin": null, "col_fecha_checkout": null}, "ok": true})
    );
    assert_eq!(
        errors_of(
            put(&app, path, &op, json!({"col_fecha_checkin": "C"})).await,
            403
        )
        .await,
        vec!["Acceso denegado."]
    );
    let letter = "Debe ser una letra de columna Excel (ej. A, B, C, AA...).";
    let cases = [
        (
            json!({"col_fecha_checkin": ""}),
            vec!["col_fecha_checkin: Length must be between 1 and 3.".to_string()],
        ),
        (
            json!({"col_fecha_checkin": "A1B2"}),
            vec![
                "col_fecha_checkin: Length must be between 1 and 3.".to_string(),
                format!("col_fecha_checkin: {letter}"),
            ],
        ),
        (
            json!({"col_fecha_checkin": "  ", "col_fecha_checkout": "ABCD"}),
            vec![
                format!("col_fecha_checkin: {letter}"),
                "col_fecha_checkout: Longer than maximum length 3.".to_string(),
            ],
        ),
        (
            json!({"col_fecha_checkin": 3, "col_fecha_checkout": "1", "z": null}),
            vec![
                "col_fecha_checkin: Not a valid string.".to_string(),
                format!("col_fecha_checkout: {letter}"),
                "z: Unknown field.".to_string(),
            ],
        ),
        (
            json!({"col_fecha_checkout": "D"}),
            vec!["col_fecha_checkin: Missing data for required field.".to_string()],
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            errors_of(put(&app, path, &admin, body.clone()).await, 422).await,
            expected,
            "{body}"
        );
    }
    let saved = put(
        &app,
        path,
        &admin,
        json!({"col_fecha_checkin": " c ", "col_fecha_checkout": "Ñ"}),
    )
    .await;
    assert_eq!(saved.status(), 200);
    let expected =
        json!({"config": {"col_fecha_checkin": " c ", "col_fecha_checkout": "Ñ"}, "ok": true});
    assert_eq!(saved.json::<Value>().await.unwrap(), expected);
    assert_eq!(get_json(&app, path, &op).await, expected);
    // An omitted check-out column is written as null.
    put(&app, path, &admin, json!({"col_fecha_checkin": "C"})).await;
    assert_eq!(
        get_json(&app, path, &op).await["config"],
        json!({"col_fecha_checkin": "C", "col_fecha_checkout": null})
    );
}

async fn settings_merge_and_stay_in_their_company(app: TestApp) {
    let (admin, _, company) = company_users(&app).await;
    let other = app.seed_user("b@example.com", Role::Admin, false).await;
    let other_token = app.login("b@example.com").await;
    let thresholds = json!({"nivel1": 1, "nivel2": 2, "nivel3": 3});
    put(&app, "/api/heatmap/umbrales", &admin, thresholds.clone()).await;
    put(
        &app,
        "/api/heatmap/config-xlsx",
        &admin,
        json!({"col_fecha_checkin": "C", "col_fecha_checkout": "D"}),
    )
    .await;
    // A later thresholds save keeps the columns, and the reverse.
    let thresholds = json!({"nivel1": 3, "nivel2": 6, "nivel3": 9});
    put(&app, "/api/heatmap/umbrales", &admin, thresholds.clone()).await;
    let stored = app
        .store()
        .company(company)
        .await
        .unwrap()
        .unwrap()
        .settings;
    assert_eq!(
        stored["heatmap"],
        json!({"col_fecha_checkin": "C", "col_fecha_checkout": "D", "umbrales": thresholds})
    );
    // Company B sees its own defaults.
    assert_ne!(other.company_id, company);
    assert_eq!(
        get_json(&app, "/api/heatmap/umbrales", &other_token).await["umbrales"],
        json!({"nivel1": 10, "nivel2": 20, "nivel3": 30})
    );
    assert_eq!(
        get_json(&app, "/api/heatmap/config-xlsx", &other_token).await["config"],
        json!({"col_fecha_checkin": null, "col_fecha_checkout": null})
    );
    // Other keys of configuracion are untouched.
    app.call(
        "PUT",
        "/api/perfil/xlsx-apartamentos",
        Some(&admin),
        Some(&json!({"col_id_externo": 1, "col_nombre": 2})),
    )
    .await;
    put(
        &app,
        "/api/heatmap/config-xlsx",
        &admin,
        json!({"col_fecha_checkin": "E"}),
    )
    .await;
    let stored = app
        .store()
        .company(company)
        .await
        .unwrap()
        .unwrap()
        .settings;
    assert_eq!(stored["xlsx_apartamentos"]["col_nombre"], 2);
    assert_eq!(stored["heatmap"]["umbrales"], thresholds);
}

async fn every_route_needs_a_token(app: TestApp) {
    for (method, path) in [
        ("GET", "/api/heatmap?desde=2026-06-01&hasta=2026-06-30"),
        ("POST", "/api/heatmap/xlsx"),
        ("GET", "/api/heatmap/umbrales"),
        ("PUT", "/api/heatmap/umbrales"),
        ("GET", "/api/heatmap/config-xlsx"),
        ("PUT", "/api/heatmap/config-xlsx"),
    ] {
        let response = app.call(method, path, None, None).await;
        assert_eq!(response.status(), 401, "{method} {path}");
    }
}

on_both_databases!(
    thresholds_are_validated_and_saved_by_admins,
    columns_are_validated_and_stored_as_sent,
    settings_merge_and_stay_in_their_company,
    every_route_needs_a_token,
);
