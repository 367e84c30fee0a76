//! Late check-ins over real HTTP on SQLite and PostgreSQL: the day's PMS
//! arrivals (Smoobu and Beds24 mocks, failures as `pms_error`), the time
//! zones and the operational day, and the settings; the spreadsheet upload
//! in `upload.rs`, the templates in `templates.rs`.

mod templates;
mod upload;

use crate::support::{TestApp, TestDb, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::Role;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const STATUS: &str = "/api/notificaciones/checkin-tardio/status";

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

async fn save_pms(app: &TestApp, token: &str, provider: &str, endpoint: &str) {
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

fn booking(first: &str, time: Option<&str>, apartment: Value) -> Value {
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

async fn arrivals_are_placed_in_the_propertys_zone_across_dst(app: TestApp) {
    let (token, admin) = login(&app, "a").await;
    // The company works in New York; one apartment is in Madrid.
    let saved = app
        .call(
            "PUT",
            "/api/perfil/notificaciones-tardio-config",
            Some(&admin),
            Some(&json!({"hora_corte": "20:00", "zona_horaria": "America/New_York"})),
        )
        .await;
    assert_eq!(saved.status(), 200);
    apartment(
        &app,
        &token,
        json!({"nombre": "Madrid Centro", "id_externo": "M1", "zona_horaria": "Europe/Madrid"}),
    )
    .await;
    let madrid = json!({"id": 1, "name": "M1"});
    let server = MockServer::start().await;
    for (day, bookings) in [
        (
            "2026-03-28",
            json!([
                booking("Ana", Some("22:00"), madrid.clone()),
                booking("Bea", Some("01:30"), madrid.clone()),
                booking("Cris", Some("02:30"), madrid.clone()),
                booking("Dani", Some("02:30"), json!({"id": 2, "name": "Otro"})),
            ]),
        ),
        (
            "2026-10-24",
            json!([
                booking("Eli", Some("02:30"), madrid.clone()),
                booking("Fran", Some("03:30"), madrid.clone()),
            ]),
        ),
    ] {
        let mut bookings = bookings;
        for b in bookings.as_array_mut().unwrap() {
            b["arrival"] = json!(day);
        }
        Mock::given(method("GET"))
            .and(path("/api/reservations"))
            .and(query_param("arrivalFrom", day))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"page_count": 1, "bookings": bookings})),
            )
            .mount(&server)
            .await;
    }
    save_pms(&app, &token, "smoobu", &server.uri()).await;
    let arrivals = |body: Value| -> Vec<(String, String, String)> {
        body["reservas_pms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["nombre"].as_str().unwrap().to_string(),
                    r["llegada"].as_str().unwrap().to_string(),
                    r["zona_horaria"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let spring = json_of(
        app.get_auth(&format!("{STATUS}?fecha=2026-03-28"), &token)
            .await,
    )
    .await;
    let madrid_zone = "Europe/Madrid".to_string();
    assert_eq!(
        arrivals(spring),
        vec![
            (
                "Ruiz, Ana".into(),
                "2026-03-28T22:00:00+01:00".into(),
                madrid_zone.clone()
            ),
            (
                "Ruiz, Bea".into(),
                "2026-03-29T01:30:00+01:00".into(),
                madrid_zone.clone()
            ),
            // 02:30 does not exist in Madrid that night: the first instant after the gap.
            (
                "Ruiz, Cris".into(),
                "2026-03-29T03:00:00+02:00".into(),
                madrid_zone.clone()
            ),
            // Unmatched: the company's zone (New York changed on 2026-03-08).
            (
                "Ruiz, Dani".into(),
                "2026-03-29T02:30:00-04:00".into(),
                "America/New_York".into()
            ),
        ]
    );
    let autumn = json_of(
        app.get_auth(&format!("{STATUS}?fecha=2026-10-24"), &token)
            .await,
    )
    .await;
    assert_eq!(
        arrivals(autumn),
        vec![
            // 02:30 happens twice: the earlier, still summer time.
            (
                "Ruiz, Eli".into(),
                "2026-10-25T02:30:00+02:00".into(),
                madrid_zone.clone()
            ),
            (
                "Ruiz, Fran".into(),
                "2026-10-25T03:30:00+01:00".into(),
                madrid_zone
            ),
        ]
    );
}

async fn settings_keep_our_keys_when_the_web_app_saves(app: TestApp) {
    let (token, admin) = login(&app, "a").await;
    let config = "/api/perfil/notificaciones-tardio-config";
    let get = || async { json_of(app.get_auth(config, &token).await).await["config"].clone() };
    assert_eq!(
        get().await,
        json!({"col_apartamento": "", "col_checkin": "", "col_hora_llegada": "", "col_nombre": "",
               "col_telefono": "", "hora_corte": "20:00", "inicio_dia_operativo": "06:00",
               "zona_horaria": "Europe/Madrid"})
    );
    let put = |body: Value| {
        let admin = admin.clone();
        let app = &app;
        async move { app.call("PUT", config, Some(&admin), Some(&body)).await }
    };
    let saved = put(json!({"hora_corte": "21:00", "inicio_dia_operativo": "05:00", "zona_horaria": "Atlantic/Canary"})).await;
    assert_eq!(saved.status(), 200);
    // The web app's PUT: its six keys only.
    let web = put(
        json!({"hora_corte": "22:00", "col_nombre": "S", "col_checkin": "C",
                         "col_hora_llegada": "AV", "col_telefono": "O", "col_apartamento": "BJ"}),
    )
    .await;
    assert_eq!(web.status(), 200);
    let config_now = get().await;
    assert_eq!(
        (
            &config_now["hora_corte"],
            &config_now["col_nombre"],
            &config_now["inicio_dia_operativo"],
            &config_now["zona_horaria"]
        ),
        (
            &json!("22:00"),
            &json!("S"),
            &json!("05:00"),
            &json!("Atlantic/Canary")
        )
    );
    let bad = put(json!({"hora_corte": "20:00", "inicio_dia_operativo": "6:00", "zona_horaria": "Mars/Olympus"})).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        envelope(bad).await,
        vec![
            "inicio_dia_operativo: String does not match expected pattern.",
            "zona_horaria: Zona horaria desconocida: usa un nombre IANA, p. ej. Europe/Madrid."
        ]
    );
    // null: back to the default zone.
    assert_eq!(
        put(json!({"hora_corte": "20:00", "zona_horaria": null}))
            .await
            .status(),
        200
    );
    assert_eq!(get().await["zona_horaria"], "Europe/Madrid");
}

async fn apartments_carry_an_optional_zone(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    let plain = apartment(&app, &token, json!({"nombre": "Sin zona"})).await;
    assert_eq!(plain["zona_horaria"], Value::Null);
    let lisbon = apartment(
        &app,
        &token,
        json!({"nombre": "Lisboa", "zona_horaria": "Europe/Lisbon"}),
    )
    .await;
    assert_eq!(lisbon["zona_horaria"], "Europe/Lisbon");
    let bad = app
        .call(
            "POST",
            "/api/apartamentos",
            Some(&token),
            Some(&json!({"nombre": "X", "zona_horaria": "europe/madrid"})),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        envelope(bad).await,
        vec!["zona_horaria: Zona horaria desconocida: usa un nombre IANA, p. ej. Europe/Madrid."]
    );
    let id = lisbon["id"].as_str().unwrap();
    let path = format!("/api/apartamentos/{id}");
    let moved = app
        .call(
            "PUT",
            &path,
            Some(&token),
            Some(&json!({"zona_horaria": "Atlantic/Azores"})),
        )
        .await;
    assert_eq!(
        json_of(moved).await["apartamento"]["zona_horaria"],
        "Atlantic/Azores"
    );
    let renamed = app
        .call(
            "PUT",
            &path,
            Some(&token),
            Some(&json!({"nombre": "Lisboa 2"})),
        )
        .await;
    assert_eq!(
        json_of(renamed).await["apartamento"]["zona_horaria"],
        "Atlantic/Azores",
        "kept when not sent"
    );
    let cleared = app
        .call(
            "PUT",
            &path,
            Some(&token),
            Some(&json!({"zona_horaria": null})),
        )
        .await;
    assert_eq!(
        json_of(cleared).await["apartamento"]["zona_horaria"],
        Value::Null
    );
}

on_both_databases!(@with super::app_on;
    status_has_the_originals_shape_without_a_pms,
    status_lists_the_days_smoobu_arrivals_matched_and_judged,
    status_reads_beds24_arrivals,
    pms_failures_are_reported_in_pms_error,
    arrivals_are_placed_in_the_propertys_zone_across_dst,
    settings_keep_our_keys_when_the_web_app_saves,
    apartments_carry_an_optional_zone,
);
