//! `GET /api/heatmap` against mock servers speaking Smoobu's (signed) and
//! Beds24's wire formats: every page of both date ranges, and the original's
//! 400s for a missing, unreadable, unreachable or refusing PMS.

use serde_json::{Value, json};
use stay_sidekick::store::PmsSettings;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{company_users, put};
use crate::smoobu::{KEY, SECRET, signed};
use crate::support::{TestApp, envelope};

const RANGE: &str = "/api/heatmap?desde=2026-06-01&hasta=2026-06-30";
const MSG_FAILED: &str = "Error al obtener datos del PMS. Inténtalo de nuevo.";

async fn save_pms(app: &TestApp, token: &str, provider: &str, key: &str, endpoint: &str) {
    let endpoint = Some(endpoint).filter(|e| !e.is_empty());
    let saved = put(
        app,
        "/api/apartamentos/pms",
        token,
        json!({"proveedor": provider, "api_key": key, "endpoint": endpoint}),
    )
    .await;
    assert_eq!(saved.status(), 200, "PMS saved");
}

fn smoobu_booking(id: u32, arrival: &str, departure: &str) -> Value {
    json!({"id": id, "arrival": arrival, "departure": departure, "firstname": "Ana", "lastname": format!("Gil {id}"),
           "apartment": {"id": 7, "name": "Ático"}, "check-in": "16:00"})
}

/// `pages` of bookings for one date parameter set, each page checked signed.
async fn smoobu_pages(server: &MockServer, field: &str, pages: Vec<Vec<Value>>) {
    let count = pages.len();
    let guard = signed();
    for (i, bookings) in pages.into_iter().enumerate() {
        let page = (i + 1).to_string();
        Mock::given(method("GET"))
            .and(path("/api/reservations"))
            .and(query_param(format!("{field}From"), "2026-06-01"))
            .and(query_param(format!("{field}To"), "2026-06-30"))
            .and(query_param("pageSize", "100"))
            .and(query_param("page", page.as_str()))
            .and(crate::smoobu::SignedLikeSmoobu::sharing(&guard))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "page_count": count, "page_size": 100, "total_items": 0, "page": i + 1, "bookings": bookings
            })))
            .expect(1)
            .mount(server)
            .await;
    }
}

async fn smoobu_every_page_of_both_ranges_is_counted(app: TestApp) {
    let (admin, op, company) = company_users(&app).await;
    let server = MockServer::start().await;
    smoobu_pages(
        &server,
        "arrival",
        vec![
            vec![
                smoobu_booking(1, "2026-06-03", "2026-06-05"),
                smoobu_booking(2, "2026-06-03", "2026-06-08"),
                json!({"id": 3, "arrival": "2026-06-03", "departure": "2026-06-04", "guest-name": ""}),
            ],
            vec![smoobu_booking(4, "03.06.2026", "2026-06-09")],
            vec![smoobu_booking(5, "2026-06-30", "2026-07-02"), json!({"id": 6, "firstname": "Sin", "arrival": null})],
        ],
    )
    .await;
    smoobu_pages(
        &server,
        "departure",
        vec![
            vec![smoobu_booking(7, "2026-05-28", "2026-06-01")],
            vec![
                smoobu_booking(1, "2026-06-03", "2026-06-05"),
                smoobu_booking(8, "2026-06-01", "2026-06-05"),
            ],
        ],
    )
    .await;
    save_pms(
        &app,
        &admin,
        "smoobu",
        &format!("{KEY}:{SECRET}"),
        &server.uri(),
    )
    .await;
    put(
        &app,
        "/api/heatmap/umbrales",
        &admin,
        json!({"nivel1": 1, "nivel2": 2, "nivel3": 3}),
    )
    .await;

    let response = app.get_auth(RANGE, &op).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.get("warnings"), None);
    let busy: Vec<(String, u64, u64, u64)> = body["dias"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["checkins"] != 0 || d["checkouts"] != 0)
        .map(|d| {
            (
                d["fecha"].as_str().unwrap().to_string(),
                d["checkins"].as_u64().unwrap(),
                d["checkouts"].as_u64().unwrap(),
                d["nivel"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        busy,
        vec![
            ("2026-06-01".into(), 0, 1, 0),
            ("2026-06-03".into(), 3, 0, 2),
            ("2026-06-05".into(), 0, 2, 1),
            ("2026-06-30".into(), 1, 0, 0),
        ],
        "the nameless booking is not counted, as the original"
    );
    let logs = app.store().sync_logs(company, 1).await.unwrap();
    assert_eq!(
        logs[0],
        (
            "heatmap_pms".to_string(),
            "exito".to_string(),
            Some(4),
            Some("Rango: 2026-06-01 — 2026-06-30".to_string())
        )
    );
}

async fn beds24_pages_are_followed_without_property_names(app: TestApp) {
    let (admin, op, _) = company_users(&app).await;
    let server = MockServer::start().await;
    let booking = |id: u32, arrival: &str, departure: &str| json!({"id": id, "firstName": "Luis", "lastName": "Paz", "arrival": arrival, "departure": departure, "propertyId": 55});
    for (field, pages) in [
        (
            "arrival",
            vec![
                vec![booking(1, "2026-06-10", "2026-06-12")],
                vec![
                    booking(2, "2026-06-10", "2026-06-11"),
                    booking(3, "2026-06-11", "2026-06-13"),
                ],
            ],
        ),
        (
            "departure",
            vec![
                vec![booking(1, "2026-06-10", "2026-06-12")],
                vec![],
                vec![booking(9, "2026-06-01", "2026-06-12")],
            ],
        ),
    ] {
        let count = pages.len();
        for (i, data) in pages.into_iter().enumerate() {
            let page = (i + 1).to_string();
            Mock::given(method("GET"))
                .and(path("/v2/bookings"))
                .and(query_param(format!("{field}From"), "2026-06-01"))
                .and(query_param(format!("{field}To"), "2026-06-30"))
                .and(query_param("page", page.as_str()))
                .and(wiremock::matchers::header("token", "long-life"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "success": true, "data": data, "pages": {"nextPageExists": i + 1 < count}
                })))
                .mount(&server)
                .await;
        }
    }
    Mock::given(method("GET"))
        .and(path("/v2/properties"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .expect(0)
        .mount(&server)
        .await;
    save_pms(
        &app,
        &admin,
        "beds24",
        "long-life",
        &format!("{}/v2", server.uri()),
    )
    .await;
    let body: Value = app.get_auth(RANGE, &op).await.json().await.unwrap();
    let day = |date: &str| {
        body["dias"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["fecha"] == date)
            .map(|d| {
                (
                    d["checkins"].as_u64().unwrap(),
                    d["checkouts"].as_u64().unwrap(),
                )
            })
            .unwrap()
    };
    assert_eq!(day("2026-06-10"), (2, 0));
    assert_eq!(day("2026-06-11"), (1, 0));
    // The departure crawl stopped at its empty second page.
    assert_eq!(day("2026-06-12"), (0, 1));
}

async fn refused(app: &TestApp, token: &str, url: &str, status: u16, message: &str) {
    let response = app.get_auth(url, token).await;
    assert_eq!(response.status(), status, "{message}");
    assert_eq!(envelope(response).await, vec![message.to_string()]);
}

async fn dates_then_pms_failures_are_the_originals_answers(app: TestApp) {
    let (admin, op, company) = company_users(&app).await;
    let dates = [
        ("/api/heatmap", "El parámetro 'desde' es obligatorio."),
        (
            "/api/heatmap?desde=&hasta=2026-06-01",
            "El parámetro 'desde' es obligatorio.",
        ),
        (
            "/api/heatmap?desde=2026-6-1",
            "'desde' no es una fecha válida (formato esperado: YYYY-MM-DD).",
        ),
        (
            "/api/heatmap?desde=2026-06-01",
            "El parámetro 'hasta' es obligatorio.",
        ),
        (
            "/api/heatmap?desde=2026-06-01&hasta=2026-02-30",
            "'hasta' no es una fecha válida (formato esperado: YYYY-MM-DD).",
        ),
        (
            "/api/heatmap?desde=2026-06-02&hasta=2026-06-01",
            "'desde' debe ser anterior o igual a 'hasta'.",
        ),
        (
            "/api/heatmap?desde=2026-01-01&hasta=2027-02-05",
            "El rango no puede superar 400 días.",
        ),
    ];
    for (url, message) in dates {
        refused(&app, &op, url, 422, message).await;
    }
    refused(
        &app,
        &op,
        RANGE,
        400,
        "No hay PMS conectado. Usa el endpoint XLSX.",
    )
    .await;

    // A key this server cannot decrypt (another FERNET_KEY wrote it).
    app.store()
        .save_pms_config(
            company,
            PmsSettings {
                provider: "smoobu".into(),
                api_key_encrypted: "gAAAAA-not-fernet".into(),
                api_secret_encrypted: None,
                endpoint: None,
            },
        )
        .await
        .unwrap();
    refused(
        &app,
        &op,
        RANGE,
        400,
        "No se pudo descifrar la API key del PMS.",
    )
    .await;

    // A provider without a client.
    save_pms(&app, &admin, "hostaway", "k", "").await;
    refused(&app, &op, RANGE, 400, MSG_FAILED).await;

    // Unreachable: a port nothing listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    save_pms(
        &app,
        &admin,
        "smoobu",
        "k:s",
        &format!("http://127.0.0.1:{closed}"),
    )
    .await;
    refused(&app, &op, RANGE, 400, MSG_FAILED).await;

    // A refused key (401), Smoobu and Beds24 (whose refresh is refused too).
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"detail": "Unauthorized"})))
        .mount(&server)
        .await;
    save_pms(&app, &admin, "smoobu", "k:s", &server.uri()).await;
    refused(&app, &op, RANGE, 400, MSG_FAILED).await;
    save_pms(&app, &admin, "beds24", "k", &server.uri()).await;
    refused(&app, &op, RANGE, 400, MSG_FAILED).await;
    // Malformed answers are failures too, never a 500.
    let garbage = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
        .mount(&garbage)
        .await;
    save_pms(&app, &admin, "smoobu", "k:s", &garbage.uri()).await;
    refused(&app, &op, RANGE, 400, MSG_FAILED).await;
    assert!(
        app.store().sync_logs(company, 5).await.unwrap().is_empty(),
        "failures log nothing, as the original"
    );
}

on_both_databases!(@with crate::heatmap::app_on;
    smoobu_every_page_of_both_ranges_is_counted,
    beds24_pages_are_followed_without_property_names,
    dates_then_pms_failures_are_the_originals_answers,
);
