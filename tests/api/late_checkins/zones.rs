//! Time zones and the operational day through HTTP: arrivals placed in the
//! property's zone across the 2026 daylight-saving changes, the settings'
//! new keys kept when the web app saves, and the apartments' own zone.

use super::{STATUS, apartment, app_on, booking, json_of, login, save_pms};
use crate::support::{TestApp, envelope};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    arrivals_are_placed_in_the_propertys_zone_across_dst,
    settings_keep_our_keys_when_the_web_app_saves,
    apartments_carry_an_optional_zone,
);
