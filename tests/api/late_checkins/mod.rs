//! Late check-ins over real HTTP on SQLite and PostgreSQL: the day's PMS
//! arrivals (Smoobu and Beds24 mocks, failures as `pms_error`), the time
//! zones and the operational day, and the settings; the spreadsheet upload
//! in `upload.rs`, the templates in `templates.rs`.

mod templates;
mod upload;
mod zones;

use crate::support::{TestApp, TestDb};
use serde_json::{Value, json};
use stay_sidekick::store::Role;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(super) const STATUS: &str = "/api/notificaciones/checkin-tardio/status";

/// The application with PMS endpoints allowed on loopback (the mock servers).
pub(super) async fn app_on(db: TestDb) -> TestApp {
    let mut settings = crate::support::settings(db.url());
    settings.allow_private_pms_endpoints = true;
    TestApp::spawn_with(db, settings).await
}

/// An operator of a fresh company, and an admin of it: (operator, admin) tokens.
pub(super) async fn login(app: &TestApp, tag: &str) -> (String, String) {
    let op = app
        .seed_user(&format!("op@{tag}.example.com"), Role::Operations, false)
        .await;
    app.seed_in(
        op.company_id,
        &format!("admin@{tag}.example.com"),
        Role::Admin,
        false,
    )
    .await;
    (
        app.login(&op.email).await,
        app.login(&format!("admin@{tag}.example.com")).await,
    )
}

pub(super) async fn json_of(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub(super) async fn apartment(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app
        .call("POST", "/api/apartamentos", Some(token), Some(&body))
        .await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["apartamento"].clone()
}

pub(super) async fn save_pms(app: &TestApp, token: &str, provider: &str, endpoint: &str) {
    let saved = app
        .call(
            "PUT",
            "/api/apartamentos/pms",
            Some(token),
            Some(&json!({"proveedor": provider, "api_key": "KEY:SECRET", "endpoint": endpoint})),
        )
        .await;
    assert_eq!(saved.status(), 200);
}

/// A Smoobu answering the arrivals of `day` with `bookings` (one page).
async fn smoobu(day: &str, bookings: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/reservations"))
        .and(query_param("arrivalFrom", day))
        .and(query_param("arrivalTo", day))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"page_count": 1, "page_size": 100, "total_items": 1, "page": 1, "bookings": bookings}),
        ))
        .mount(&server)
        .await;
    server
}

pub(super) fn booking(first: &str, time: Option<&str>, apartment: Value) -> Value {
    json!({"id": 7, "arrival": "2026-06-03", "departure": "2026-06-05", "firstname": first, "lastname": "Ruiz",
           "email": "g@example.com", "phone": "(+34) 600 000 001", "check-in": time, "apartment": apartment})
}

async fn status_has_the_originals_shape_without_a_pms(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    apartment(&app, &token, json!({"nombre": "Zeta", "ciudad": "Cádiz"})).await;
    apartment(&app, &token, json!({"nombre": "Alfa"})).await;
    for query in [
        "",
        "?fecha=2026-06-03",
        "?fecha=mañana",
        "?fecha=2026-02-30",
    ] {
        let body = json_of(app.get_auth(&format!("{STATUS}{query}"), &token).await).await;
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "apartamentos",
                "gmail_configurado",
                "hora_corte",
                "ok",
                "pms_configurado",
                "pms_error",
                "reservas_pms"
            ]
        );
        assert_eq!(
            (
                &body["hora_corte"],
                &body["pms_configurado"],
                &body["pms_error"],
                &body["gmail_configurado"]
            ),
            (&json!("20:00"), &json!(false), &Value::Null, &json!(false))
        );
        assert_eq!(body["reservas_pms"], json!([]));
        let names: Vec<&str> = body["apartamentos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["nombre"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Alfa", "Zeta"]);
        let keys: Vec<&String> = body["apartamentos"][1]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, ["ciudad", "id", "nombre"]);
    }
    // Another company sees none of it.
    let (other, _) = login(&app, "b").await;
    let body = json_of(app.get_auth(STATUS, &other).await).await;
    assert_eq!(body["apartamentos"], json!([]));
}

async fn status_lists_the_days_smoobu_arrivals_matched_and_judged(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    apartment(
        &app,
        &token,
        json!({"nombre": "Ático", "id_externo": "{04}", "direccion": "C/ Sol 1"}),
    )
    .await;
    let server = smoobu(
        "2026-06-03",
        json!([
            booking("Ana", Some("22:15"), json!({"id": 4, "name": "Ático Sol"})),
            booking("Luis", Some("1:30"), json!({"id": 999, "name": "{4}"})),
            booking("Eva", Some("15:00"), json!({"id": 999, "name": "Casa X"})),
            booking("Noé", None, json!({"id": 999, "name": "Casa X"})),
        ]),
    )
    .await;
    save_pms(&app, &token, "smoobu", &server.uri()).await;
    let body = json_of(
        app.get_auth(&format!("{STATUS}?fecha=2026-06-03"), &token)
            .await,
    )
    .await;
    assert_eq!(
        (&body["pms_configurado"], &body["pms_error"]),
        (&json!(true), &Value::Null)
    );
    let items = body["reservas_pms"].as_array().unwrap();
    assert_eq!(
        items[0],
        json!({"apartamento": "Ático", "checkin": "2026-06-03", "checkout": "2026-06-05",
               "direccion": "C/ Sol 1", "email": "g@example.com", "hora_llegada": "22:15",
               "llegada": "2026-06-03T22:15:00+02:00", "nombre": "Ruiz, Ana", "tardio": true,
               "telefono": "+34 600 000 001", "zona_horaria": "Europe/Madrid"})
    );
    // Matched by name when the PMS id is unknown; 01:30 is late, the next morning.
    assert_eq!(
        (
            &items[1]["apartamento"],
            &items[1]["tardio"],
            &items[1]["llegada"]
        ),
        (
            &json!("Ático"),
            &json!(true),
            &json!("2026-06-04T01:30:00+02:00")
        )
    );
    assert_eq!(
        (
            &items[2]["apartamento"],
            &items[2]["direccion"],
            &items[2]["tardio"]
        ),
        (&json!("Casa X"), &Value::Null, &json!(false))
    );
    assert_eq!(
        (
            &items[3]["hora_llegada"],
            &items[3]["llegada"],
            &items[3]["tardio"]
        ),
        (&Value::Null, &Value::Null, &json!(false))
    );
}

async fn status_reads_beds24_arrivals(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/properties"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "pages": {"nextPageExists": false},
            "data": [{"id": 55, "name": "Casa Sol"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .and(query_param("arrivalFrom", "2026-06-03"))
        .and(query_param("arrivalTo", "2026-06-03"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "pages": {"nextPageExists": false},
            "data": [{"id": 9, "firstName": "Luis", "lastName": "Gil", "arrival": "2026-06-03",
                      "departure": "2026-06-06", "propertyId": 55, "arrivalTime": "20:00"}]
        })))
        .mount(&server)
        .await;
    save_pms(&app, &token, "beds24", &format!("{}/v2", server.uri())).await;
    let body = json_of(
        app.get_auth(&format!("{STATUS}?fecha=2026-06-03"), &token)
            .await,
    )
    .await;
    assert_eq!(body["pms_error"], Value::Null);
    let item = &body["reservas_pms"][0];
    assert_eq!(
        (&item["nombre"], &item["apartamento"], &item["tardio"]),
        (&json!("Gil, Luis"), &json!("Casa Sol"), &json!(true)),
        "20:00 is at the cut-off: late"
    );
}

async fn pms_failures_are_reported_in_pms_error(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    let expect_error = |body: Value| {
        assert_eq!(
            (
                &body["pms_configurado"],
                &body["pms_error"],
                &body["reservas_pms"]
            ),
            (
                &json!(true),
                &json!("No se pudieron cargar las reservas del PMS."),
                &json!([])
            ),
            "{body}"
        );
    };
    // Unreachable: a port nobody listens on any more.
    let gone = MockServer::start().await.uri();
    save_pms(&app, &token, "smoobu", &gone).await;
    expect_error(json_of(app.get_auth(STATUS, &token).await).await);
    // Smoobu refusing the key.
    let refusing = MockServer::start().await;
    Mock::given(path("/api/reservations"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"detail": "Unauthorized"})))
        .mount(&refusing)
        .await;
    save_pms(&app, &token, "smoobu", &refusing.uri()).await;
    expect_error(json_of(app.get_auth(STATUS, &token).await).await);
    // Beds24 refusing the token.
    let beds = MockServer::start().await;
    Mock::given(path("/v2/properties"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&beds)
        .await;
    Mock::given(path("/v2/authentication/token"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&beds)
        .await;
    save_pms(&app, &token, "beds24", &format!("{}/v2", beds.uri())).await;
    expect_error(json_of(app.get_auth(STATUS, &token).await).await);
    // A provider without a client yet.
    save_pms(&app, &token, "hostaway", "").await;
    expect_error(json_of(app.get_auth(STATUS, &token).await).await);
}

on_both_databases!(@with super::app_on;
    status_has_the_originals_shape_without_a_pms,
    status_lists_the_days_smoobu_arrivals_matched_and_judged,
    status_reads_beds24_arrivals,
    pms_failures_are_reported_in_pms_error,
);
