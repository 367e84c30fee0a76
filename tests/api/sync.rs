//! `POST /api/apartamentos/sincronizacion/smoobu` against a local server that
//! speaks Smoobu's wire format, on SQLite and PostgreSQL.

use crate::support::{TestApp, TestDb, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::Role;
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The application with PMS endpoints allowed on loopback (the mock server).
async fn app_on(db: TestDb) -> TestApp {
    let mut settings = crate::support::settings(db.url());
    settings.allow_private_pms_endpoints = true;
    TestApp::spawn_with(db, settings).await
}

async fn smoobu_with(apartments: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/apartments"))
        .and(header_exists("x-signature"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"apartments": apartments})))
        .mount(&server)
        .await;
    for (id, street, city) in [(101, "C/ Feria 1", "Sevilla"), (102, "", "Cádiz")] {
        Mock::given(method("GET"))
            .and(path(format!("/api/apartments/{id}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"id": id, "location": {"street": street, "city": city}})),
            )
            .mount(&server)
            .await;
    }
    server
}

async fn synced_apartments_are_upserted_by_pms_id(app: TestApp) {
    let user = app
        .seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let sync = || {
        app.call(
            "POST",
            "/api/apartamentos/sincronizacion/smoobu",
            Some(&token),
            None,
        )
    };
    let none = sync().await;
    assert_eq!(none.status(), 400);
    assert_eq!(
        envelope(none).await,
        vec!["No hay configuración PMS. Guarda tu API key primero."]
    );

    let server =
        smoobu_with(json!([{"id": 101, "name": "Ático Centro"}, {"id": 102, "name": "Bajo Viña"}]))
            .await;
    let saved = app
        .call(
            "PUT",
            "/api/apartamentos/pms",
            Some(&token),
            Some(&json!({"proveedor": "smoobu", "api_key": "K:S", "endpoint": server.uri()})),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let first = sync().await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({"ok": true, "resultado": {"actualizados": 0, "nuevos": 2, "total": 2}})
    );
    let listed: Value = app
        .call("GET", "/api/apartamentos", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    let apartments = listed["apartamentos"].as_array().unwrap();
    assert_eq!(apartments.len(), 2, "the list shows the sync at once");
    let atico = apartments.iter().find(|a| a["id_pms"] == "101").unwrap();
    assert_eq!(
        (
            atico["nombre"].as_str(),
            atico["pms_origen"].as_str(),
            atico["ciudad"].as_str()
        ),
        (Some("Ático Centro"), Some("smoobu"), Some("Sevilla"))
    );
    assert_eq!(atico["id_externo"], "101");
    let bajo = apartments.iter().find(|a| a["id_pms"] == "102").unwrap();
    assert_eq!(
        bajo["direccion"],
        Value::Null,
        "an empty street is no address"
    );

    // Deleted here, synced again: reactivated and counted as updated, not duplicated.
    let id = atico["id"].as_str().unwrap();
    app.call(
        "DELETE",
        &format!("/api/apartamentos/{id}"),
        Some(&token),
        None,
    )
    .await;
    let again: Value = sync().await.json().await.unwrap();
    assert_eq!(
        again["resultado"],
        json!({"actualizados": 2, "nuevos": 0, "total": 2})
    );
    let listed: Value = app
        .call("GET", "/api/apartamentos", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["apartamentos"].as_array().unwrap().len(), 2);
    let logs = app.store().sync_logs(user.company_id, 10).await.unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(
        logs[0],
        (
            "pms".into(),
            "exito".into(),
            Some(2),
            Some("Smoobu: 0 nuevos, 2 actualizados".into())
        )
    );
}

async fn provider_failures_are_400_and_logged(app: TestApp) {
    let user = app
        .seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let server = MockServer::start().await;
    Mock::given(path("/api/apartments"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    app.call(
        "PUT",
        "/api/apartamentos/pms",
        Some(&token),
        Some(&json!({"proveedor": "smoobu", "api_key": "K:S", "endpoint": server.uri()})),
    )
    .await;
    let failed = app
        .call(
            "POST",
            "/api/apartamentos/sincronizacion/smoobu",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(failed.status(), 400);
    assert_eq!(
        envelope(failed).await,
        vec!["Error al conectar con Smoobu: HTTP 500"]
    );
    let logs = app.store().sync_logs(user.company_id, 10).await.unwrap();
    assert_eq!(
        logs,
        vec![(
            "pms".into(),
            "error".into(),
            None,
            Some("Error de conexión con Smoobu: HTTP 500".into())
        )]
    );
    assert!(
        app.store()
            .apartments(user.company_id)
            .await
            .unwrap()
            .is_empty(),
        "nothing written"
    );

    app.call(
        "PUT",
        "/api/apartamentos/pms",
        Some(&token),
        Some(&json!({"proveedor": "hostaway", "api_key": "k"})),
    )
    .await;
    let unsupported = app
        .call(
            "POST",
            "/api/apartamentos/sincronizacion/smoobu",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(unsupported.status(), 400);
    assert_eq!(
        envelope(unsupported).await,
        vec!["El proveedor 'hostaway' aún no está soportado."]
    );
}

async fn beds24_properties_are_synced_through_the_same_route(app: TestApp) {
    let user = app
        .seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/properties"))
        .and(wiremock::matchers::header("token", "long-life"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "pages": {"nextPageExists": false}, "data": [{"id": 55, "name": "Casa Sol", "city": "Málaga"}]
        })))
        .mount(&server)
        .await;
    let endpoint = format!("{}/v2", server.uri());
    app.call(
        "PUT",
        "/api/apartamentos/pms",
        Some(&token),
        Some(&json!({"proveedor": "beds24", "api_key": "long-life", "endpoint": endpoint})),
    )
    .await;
    let synced = app
        .call(
            "POST",
            "/api/apartamentos/sincronizacion/smoobu",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(synced.status(), 200);
    assert_eq!(
        synced.json::<Value>().await.unwrap()["resultado"],
        json!({"actualizados": 0, "nuevos": 1, "total": 1})
    );
    let apartments = app.store().apartments(user.company_id).await.unwrap();
    assert_eq!(
        (
            apartments[0].pms_id.as_deref(),
            apartments[0].origin.as_deref()
        ),
        (Some("55"), Some("beds24"))
    );
    let logs = app.store().sync_logs(user.company_id, 1).await.unwrap();
    assert_eq!(
        logs[0].3.as_deref(),
        Some("Beds24: 1 nuevos, 0 actualizados")
    );
}

on_both_databases!(@with super::app_on;
    synced_apartments_are_upserted_by_pms_id,
    provider_failures_are_400_and_logged,
    beds24_properties_are_synced_through_the_same_route
);

/// An endpoint stored before the rules (or by the original) is checked
/// again when used: the key is never sent to a private or plain-http host.
#[tokio::test]
async fn a_stored_private_endpoint_is_refused_when_used() {
    let app = TestApp::spawn_on(TestDb::sqlite()).await;
    let user = app
        .seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let settings = stay_sidekick::store::PmsSettings {
        provider: "smoobu".into(),
        api_key_encrypted: app.state.cipher.encrypt("k").unwrap(),
        api_secret_encrypted: None,
        endpoint: Some(Some("http://10.0.0.5:8080".into())),
    };
    app.store()
        .save_pms_config(user.company_id, settings)
        .await
        .unwrap();
    let refused = app
        .call(
            "POST",
            "/api/apartamentos/sincronizacion/smoobu",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        envelope(refused).await,
        vec!["La URL del PMS debe empezar por https:// y apuntar a un servidor público."]
    );
}
