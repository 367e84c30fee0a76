//! The apartment catalogue over real HTTP, on SQLite and PostgreSQL.

use crate::support::{TestApp, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::Role;
use uuid::Uuid;

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app
        .call("POST", "/api/apartamentos", Some(token), Some(&body))
        .await;
    assert_eq!(response.status(), 201, "{body}");
    response.json::<Value>().await.unwrap()["apartamento"].clone()
}

async fn catalogue_crud_with_the_original_shapes(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let created = create(
        &app,
        &token,
        json!({"nombre": " <i>Ático</i> Centro ", "ciudad": "Sevilla", "id_externo": "T2"}),
    )
    .await;
    let keys: Vec<&String> = created.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "activo",
            "ciudad",
            "created_at",
            "direccion",
            "empresa_id",
            "id",
            "id_externo",
            "id_pms",
            "nombre",
            "pms_origen",
            "updated_at",
            "zona_horaria"
        ]
    );
    assert_eq!(created["nombre"], "Ático Centro");
    assert_eq!(created["pms_origen"], "manual");
    assert_eq!(created["id_pms"], Value::Null);
    assert_eq!(created["direccion"], Value::Null);
    let id = created["id"].as_str().unwrap().to_string();
    create(&app, &token, json!({"nombre": "Bajo Triana"})).await;

    let listed: Value = app
        .call("GET", "/api/apartamentos", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["apartamentos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["nombre"].as_str().unwrap())
        .collect();
    // Both active ones, in the order of the database's collation of `nombre`.
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"Bajo Triana") && names.contains(&"Ático Centro"));
    assert_eq!(listed["ok"], true);

    let updated = app
        .call(
            "PUT",
            &format!("/api/apartamentos/{id}"),
            Some(&token),
            Some(&json!({"ciudad": null, "direccion": "C/ Feria 1"})),
        )
        .await;
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["apartamento"]["ciudad"], Value::Null);
    assert_eq!(updated["apartamento"]["direccion"], "C/ Feria 1");
    assert_eq!(
        updated["apartamento"]["nombre"], "Ático Centro",
        "absent keys are kept"
    );
    assert_eq!(updated["apartamento"]["id_externo"], "T2");

    // Soft delete: gone from the list, still readable, repeatable.
    for _ in 0..2 {
        let deleted = app
            .call(
                "DELETE",
                &format!("/api/apartamentos/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(deleted.status(), 200);
        assert_eq!(deleted.json::<Value>().await.unwrap(), json!({"ok": true}));
    }
    let listed: Value = app
        .call("GET", "/api/apartamentos", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["apartamentos"].as_array().unwrap().len(), 1);
    let one: Value = app
        .call(
            "GET",
            &format!("/api/apartamentos/{id}"),
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["apartamento"]["activo"], false);
    // Updating does not reactivate.
    let touched: Value = app
        .call(
            "PUT",
            &format!("/api/apartamentos/{id}"),
            Some(&token),
            Some(&json!({"nombre": "Otro"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(touched["apartamento"]["activo"], false);
}

async fn bad_input_gets_the_original_answers(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let invalid = app
        .call(
            "POST",
            "/api/apartamentos",
            Some(&token),
            Some(&json!({"nombre": "<b></b>", "empresa_id": Uuid::new_v4()})),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(
        envelope(invalid).await,
        vec![
            "nombre: Length must be between 1 and 200.",
            "empresa_id: Unknown field."
        ]
    );
    let empty = app
        .call("POST", "/api/apartamentos", Some(&token), Some(&json!({})))
        .await;
    assert_eq!(empty.status(), 400);
    // A missing apartment is 404 whatever the body; a path that is not a UUID too.
    for path in [
        format!("/api/apartamentos/{}", Uuid::new_v4()),
        "/api/apartamentos/x".to_string(),
    ] {
        let response = app
            .call("PUT", &path, Some(&token), Some(&json!({"id_externo": 5})))
            .await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(envelope(response).await, vec!["Apartamento no encontrado."]);
        assert_eq!(
            app.call("GET", &path, Some(&token), None).await.status(),
            404
        );
        assert_eq!(
            app.call("DELETE", &path, Some(&token), None).await.status(),
            404
        );
    }
    let apartment = create(&app, &token, json!({"nombre": "A"})).await;
    let id = apartment["id"].as_str().unwrap();
    let invalid = app
        .call(
            "PUT",
            &format!("/api/apartamentos/{id}"),
            Some(&token),
            Some(&json!({"nombre": null, "id_externo": "X"})),
        )
        .await;
    assert_eq!(
        envelope(invalid).await,
        vec![
            "nombre: Field may not be null.",
            "id_externo: Unknown field."
        ]
    );
    assert_eq!(
        app.call("GET", "/api/apartamentos", None, None)
            .await
            .status(),
        401
    );
}

async fn other_companies_apartments_are_not_found_and_untouched(app: TestApp) {
    app.seed_user("a@example.com", Role::Operations, false)
        .await;
    app.seed_user("b@example.com", Role::Admin, false).await;
    let (a, b) = (
        app.login("a@example.com").await,
        app.login("b@example.com").await,
    );
    let mut ids = Vec::new();
    for name in ["Uno", "Dos", "Tres"] {
        ids.push(
            create(&app, &a, json!({"nombre": name, "ciudad": "Cádiz"})).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // One of them soft-deleted: still A's, still invisible to B.
    app.call(
        "DELETE",
        &format!("/api/apartamentos/{}", ids[2]),
        Some(&a),
        None,
    )
    .await;
    let before: Value = app
        .call(
            "GET",
            &format!("/api/apartamentos/{}", ids[0]),
            Some(&a),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let missing = app
        .call(
            "GET",
            &format!("/api/apartamentos/{}", Uuid::new_v4()),
            Some(&b),
            None,
        )
        .await
        .text()
        .await
        .unwrap();
    for id in &ids {
        for (method, body) in [
            ("GET", None),
            ("PUT", Some(json!({"nombre": "Robado"}))),
            ("DELETE", None),
        ] {
            let response = app
                .call(
                    method,
                    &format!("/api/apartamentos/{id}"),
                    Some(&b),
                    body.as_ref(),
                )
                .await;
            assert_eq!(response.status(), 404, "{method}");
            assert_eq!(
                response.text().await.unwrap(),
                missing,
                "same body as a missing id"
            );
        }
    }
    let listed: Value = app
        .call("GET", "/api/apartamentos", Some(&b), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["apartamentos"], json!([]));
    let after: Value = app
        .call(
            "GET",
            &format!("/api/apartamentos/{}", ids[0]),
            Some(&a),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);
}

async fn pms_settings_are_shared_with_the_profile_route(app: TestApp) {
    let admin = app.seed_user("admin@example.com", Role::Admin, false).await;
    app.seed_in(admin.company_id, "op@example.com", Role::Operations, false)
        .await;
    let (op, admin_token) = (
        app.login("op@example.com").await,
        app.login("admin@example.com").await,
    );
    let empty: Value = app
        .call("GET", "/api/apartamentos/pms", Some(&op), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty, json!({"config": null, "ok": true}));
    // Any user may save here (as the original); Smoobu's KEY:SECRET is split.
    let saved = app
        .call("PUT", "/api/apartamentos/pms", Some(&op), Some(&json!({"proveedor": "smoobu", "api_key": " KEY-1:SECRET-1 ", "endpoint": "https://login.smoobu.com"})))
        .await;
    assert_eq!(saved.status(), 200);
    let text = saved.text().await.unwrap();
    assert!(
        !text.contains("KEY-1") && !text.contains("SECRET-1") && !text.contains("gAAAAA"),
        "{text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["config"],
        json!({"activo": true, "api_secret_configurado": true, "endpoint": "https://login.smoobu.com", "proveedor": "smoobu", "ultimo_sync": null})
    );
    let stored = app
        .store()
        .pms_config(admin.company_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.state
            .cipher
            .decrypt(stored.api_key_encrypted.as_deref().unwrap())
            .unwrap(),
        "KEY-1"
    );
    assert_eq!(
        app.state
            .cipher
            .decrypt(stored.api_secret_encrypted.as_deref().unwrap())
            .unwrap(),
        "SECRET-1"
    );
    // The admin twin saves the key and keeps the endpoint.
    let twin = app
        .call(
            "PUT",
            "/api/perfil/integraciones/pms",
            Some(&admin_token),
            Some(&json!({"proveedor": "beds24", "api_key": "tok"})),
        )
        .await;
    assert_eq!(twin.status(), 200);
    let now: Value = app
        .call("GET", "/api/apartamentos/pms", Some(&op), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["config"]["proveedor"], "beds24");
    assert_eq!(now["config"]["endpoint"], "https://login.smoobu.com");
    assert_eq!(now["config"]["api_secret_configurado"], false);
    // No tenant may point the server at a private or loopback address.
    for endpoint in [
        "http://login.smoobu.com",
        "https://127.0.0.1:8080",
        "https://169.254.169.254",
        "https://[::1]/",
        "https://localhost",
    ] {
        let refused = app
            .call(
                "PUT",
                "/api/apartamentos/pms",
                Some(&op),
                Some(&json!({"proveedor": "smoobu", "api_key": "k", "endpoint": endpoint})),
            )
            .await;
        assert_eq!(refused.status(), 422, "{endpoint}");
        assert_eq!(
            envelope(refused).await,
            vec![
                "endpoint: La URL del PMS debe empezar por https:// y apuntar a un servidor público."
            ]
        );
    }
    let blank: Value = app
        .call(
            "PUT",
            "/api/apartamentos/pms",
            Some(&op),
            Some(&json!({"proveedor": "smoobu", "api_key": "k", "endpoint": " "})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        blank["config"]["endpoint"], "",
        "an empty endpoint is kept as sent (the provider's default is used)"
    );
    assert_eq!(
        app.call("DELETE", "/api/apartamentos/pms", Some(&op), None)
            .await
            .status(),
        200
    );
    let again = app
        .call("DELETE", "/api/apartamentos/pms", Some(&op), None)
        .await;
    assert_eq!(again.status(), 404);
    assert_eq!(
        envelope(again).await,
        vec!["No hay configuración PMS para eliminar."]
    );
    // Another company sees nothing of it.
    app.seed_user("b@example.com", Role::Admin, false).await;
    let b = app.login("b@example.com").await;
    app.call(
        "PUT",
        "/api/apartamentos/pms",
        Some(&op),
        Some(&json!({"proveedor": "smoobu", "api_key": "k"})),
    )
    .await;
    let other: Value = app
        .call("GET", "/api/apartamentos/pms", Some(&b), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["config"], Value::Null);
    assert_eq!(
        app.call("DELETE", "/api/apartamentos/pms", Some(&b), None)
            .await
            .status(),
        404
    );
}

async fn the_list_shows_every_write_at_once(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let names = |body: Value| -> Vec<String> {
        body["apartamentos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["nombre"].as_str().unwrap().to_string())
            .collect()
    };
    let list = || async {
        app.call("GET", "/api/apartamentos", Some(&token), None)
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    assert!(names(list().await).is_empty());
    let id = create(&app, &token, json!({"nombre": "Uno"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(names(list().await), vec!["Uno"], "after a create");
    app.call(
        "PUT",
        &format!("/api/apartamentos/{id}"),
        Some(&token),
        Some(&json!({"nombre": "Dos"})),
    )
    .await;
    assert_eq!(names(list().await), vec!["Dos"], "after an update");
    app.call(
        "DELETE",
        &format!("/api/apartamentos/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert!(names(list().await).is_empty(), "after a delete");
}

on_both_databases!(
    catalogue_crud_with_the_original_shapes,
    bad_input_gets_the_original_answers,
    other_companies_apartments_are_not_found_and_untouched,
    pms_settings_are_shared_with_the_profile_route,
    the_list_shows_every_write_at_once,
);
