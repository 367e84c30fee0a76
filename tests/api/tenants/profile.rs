//! Profile, encrypted integration keys and the company's settings documents.

use super::world;
use crate::support::{TestApp, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::Role;

async fn profile_shows_the_user_from_the_database(app: TestApp) {
    let w = world(&app).await;
    let body: Value = app
        .call("GET", "/api/perfil", Some(&w.t_admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["data"]["email"], "admin@a.example.com");
    assert_eq!(body["data"]["rol"], "admin");
    assert_eq!(body["data"]["empresa_id"], w.a_admin.company_id.to_string());
    assert_eq!(body["data"].as_object().unwrap().len(), 4);
}

async fn integration_keys_are_stored_encrypted_and_never_returned(app: TestApp) {
    let w = world(&app).await;
    let a = w.a_admin.company_id;
    let status: Value = app
        .call("GET", "/api/perfil/integraciones", Some(&w.t_op), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        status,
        json!({"data": {"google": {"configurado": false}, "ia": {"configurado": false, "modelo": null, "proveedor": null},
               "pms": {"configurado": false, "proveedor": null}}, "ok": true})
    );
    let saved = app
        .call(
            "PUT",
            "/api/perfil/integraciones/pms",
            Some(&w.t_admin),
            Some(&json!({"proveedor": "beds24", "api_key": "sk-live-ñ-123"})),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let stored = app.store().pms_config(a).await.unwrap().unwrap();
    let encrypted = stored.api_key_encrypted.unwrap();
    assert!(encrypted.starts_with("gAAAAA") && !encrypted.contains("sk-live"));
    assert_eq!(
        app.state.cipher.decrypt(&encrypted).unwrap(),
        "sk-live-ñ-123"
    );
    app.call(
        "PUT",
        "/api/perfil/integraciones/ia",
        Some(&w.t_admin),
        Some(&json!({"proveedor": "openai", "modelo": "gpt-x", "api_key": "sk-ai"})),
    )
    .await;
    let text = app
        .call("GET", "/api/perfil/integraciones", Some(&w.t_op), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!text.contains("sk-") && !text.contains("gAAAAA"), "{text}");
    let status: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        status["data"]["pms"],
        json!({"configurado": true, "proveedor": "beds24"})
    );
    assert_eq!(
        status["data"]["ia"],
        json!({"configurado": true, "modelo": "gpt-x", "proveedor": "openai"})
    );
    // An empty key clears it; the rest is overwritten.
    app.call(
        "PUT",
        "/api/perfil/integraciones/ia",
        Some(&w.t_admin),
        Some(&json!({"proveedor": "gemini", "api_key": ""})),
    )
    .await;
    let ai = app.store().ai_config(a).await.unwrap().unwrap();
    assert_eq!(
        (ai.provider.as_str(), ai.model, ai.api_key_encrypted),
        ("gemini", None, None)
    );
    // B sees none of A's settings.
    let other: Value = app
        .call("GET", "/api/perfil/integraciones", Some(&w.t_b_admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["data"]["pms"]["configurado"], false);
    for path in [
        "/api/perfil/integraciones/pms",
        "/api/perfil/integraciones/ia",
    ] {
        assert_eq!(
            app.call("DELETE", path, Some(&w.t_admin), None)
                .await
                .status(),
            200
        );
        assert_eq!(
            app.call("DELETE", path, Some(&w.t_admin), None)
                .await
                .status(),
            200,
            "also when absent"
        );
    }
    assert!(app.store().pms_config(a).await.unwrap().is_none());
    let invalid = app
        .call(
            "PUT",
            "/api/perfil/integraciones/pms",
            Some(&w.t_admin),
            Some(&json!({"proveedor": "guesty", "api_key": "k", "endpoint": "x"})),
        )
        .await;
    assert_eq!(
        envelope(invalid).await,
        vec![
            "proveedor: Must be one of: smoobu, beds24, hostaway, cloudbeds.",
            "endpoint: Unknown field."
        ]
    );
}

async fn settings_documents_keep_each_others_keys(app: TestApp) {
    let w = world(&app).await;
    let empty: Value = app
        .call("GET", "/api/perfil/xlsx-apartamentos", Some(&w.t_op), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty, json!({"config": null, "ok": true}));
    let defaults: Value = app
        .call(
            "GET",
            "/api/perfil/notificaciones-tardio-config",
            Some(&w.t_op),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(defaults["config"]["hora_corte"], "20:00");
    // Two admins save different settings (the store contract's eight concurrent
    // writers are what proves no key is lost under a race; this checks the routes).
    let xlsx = json!({"col_id_externo": 1, "col_nombre": "2", "col_ciudad": 4});
    let late = json!({"hora_corte": "22:15", "col_nombre": "B", "col_telefono": "AC"});
    let (x, l) = tokio::join!(
        app.call(
            "PUT",
            "/api/perfil/xlsx-apartamentos",
            Some(&w.t_admin),
            Some(&xlsx)
        ),
        app.call(
            "PUT",
            "/api/perfil/notificaciones-tardio-config",
            Some(&w.t_admin),
            Some(&late)
        )
    );
    assert_eq!((x.status().as_u16(), l.status().as_u16()), (200, 200));
    let xlsx_now: Value = app
        .call("GET", "/api/perfil/xlsx-apartamentos", Some(&w.t_op), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        xlsx_now["config"],
        json!({"col_ciudad": 4, "col_direccion": 0, "col_id_externo": 1, "col_nombre": 2})
    );
    let late_now: Value = app
        .call(
            "GET",
            "/api/perfil/notificaciones-tardio-config",
            Some(&w.t_op),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        late_now["config"],
        json!({"col_apartamento": "", "col_checkin": "", "col_hora_llegada": "", "col_nombre": "B", "col_telefono": "AC", "hora_corte": "22:15",
               "inicio_dia_operativo": "06:00", "zona_horaria": "Europe/Madrid"}),
        "our two keys with their defaults"
    );
    // The user limit written by nobody here survives too.
    let settings = app
        .store()
        .company(w.a_admin.company_id)
        .await
        .unwrap()
        .unwrap()
        .settings;
    assert_eq!(settings["max_usuarios"], 50);
    let bad = app
        .call(
            "PUT",
            "/api/perfil/notificaciones-tardio-config",
            Some(&w.t_admin),
            Some(&json!({"hora_corte": "25:00"})),
        )
        .await;
    assert_eq!(
        envelope(bad).await,
        vec!["hora_corte: String does not match expected pattern."]
    );
    let bad = app
        .call(
            "PUT",
            "/api/perfil/xlsx-apartamentos",
            Some(&w.t_admin),
            Some(&json!({"col_id_externo": 1})),
        )
        .await;
    assert_eq!(
        envelope(bad).await,
        vec!["col_nombre: Missing data for required field."]
    );
}

on_both_databases!(
    profile_shows_the_user_from_the_database,
    integration_keys_are_stored_encrypted_and_never_returned,
    settings_documents_keep_each_others_keys,
);

/// A server running without `FERNET_KEY` (possible only when built by hand:
/// start-up requires it on PostgreSQL and generates it on SQLite) refuses to
/// store keys with a clear message, and keeps serving.
#[tokio::test]
async fn without_a_fernet_key_saving_keys_is_a_clear_422() {
    let db = crate::support::TestDb::sqlite();
    let settings = crate::support::settings(db.url());
    let store = crate::support::open_store(db.url()).await;
    let limiter = crate::support::limiter(&settings).await;
    let state =
        stay_sidekick::AppState::new(settings, crate::support::secrets(), store, limiter).unwrap();
    assert!(!state.cipher.is_configured());
    let app = TestApp::serve_router(db, state.clone(), stay_sidekick::app(state)).await;
    app.seed_user("admin@example.com", Role::Admin, false).await;
    let token = app.login("admin@example.com").await;
    let message = "El servidor no tiene configurada la clave de cifrado (FERNET_KEY). Contacta con el administrador.";
    let pms = app
        .call(
            "PUT",
            "/api/perfil/integraciones/pms",
            Some(&token),
            Some(&json!({"proveedor": "smoobu", "api_key": "k"})),
        )
        .await;
    assert_eq!(pms.status(), 422);
    assert_eq!(envelope(pms).await, vec![message]);
    let ai = app
        .call(
            "PUT",
            "/api/perfil/integraciones/ia",
            Some(&token),
            Some(&json!({"proveedor": "gemini", "api_key": "k"})),
        )
        .await;
    assert_eq!(envelope(ai).await, vec![message]);
    // Without a key to store, AI settings still save.
    let no_key = app
        .call(
            "PUT",
            "/api/perfil/integraciones/ia",
            Some(&token),
            Some(&json!({"proveedor": "gemini", "api_key": null})),
        )
        .await;
    assert_eq!(no_key.status(), 200);
}
