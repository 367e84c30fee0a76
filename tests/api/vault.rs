//! The vault's templates over real HTTP, on SQLite and PostgreSQL.

use crate::support::{TestApp, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::Role;

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app
        .call("POST", "/api/vault/plantillas", Some(token), Some(&body))
        .await;
    assert_eq!(response.status(), 201, "{body}");
    response.json::<Value>().await.unwrap()
}

async fn names(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let body: Value = app
        .call(
            "GET",
            &format!("/api/vault/plantillas{query}"),
            Some(token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["ok"], true);
    body["plantillas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["nombre"].as_str().unwrap().to_string())
        .collect()
}

async fn templates_crud_with_the_original_shapes(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let body = create(
        &app,
        &token,
        json!({"nombre": "Bienvenida", "contenido": "Hola {NOMBRE}", "categoria": "BIENVENIDA"}),
    )
    .await;
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["ok", "plantilla"]
    );
    let template = &body["plantilla"];
    let keys: Vec<&String> = template.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["activa", "categoria", "contenido", "id", "idioma", "nombre"]
    );
    assert_eq!(
        (template["idioma"].as_str(), template["activa"].as_bool()),
        (Some("es"), Some(true))
    );
    let id = template["id"].as_str().unwrap().to_string();
    create(
        &app,
        &token,
        json!({"nombre": "Checkout", "contenido": "Adiós", "idioma": "en"}),
    )
    .await;

    assert_eq!(names(&app, &token, "").await, ["Checkout", "Bienvenida"]);
    assert_eq!(names(&app, &token, "?idioma=en").await, ["Checkout"]);
    assert_eq!(
        names(&app, &token, "?categoria=BIENVENIDA&idioma=").await,
        ["Bienvenida"]
    );

    // PUT without `categoria` clears it; a null `idioma` keeps the stored one.
    let path = format!("/api/vault/plantillas/{id}");
    let response = app
        .call(
            "PUT",
            &path,
            Some(&token),
            Some(&json!({"nombre": "B2", "contenido": "Hola", "idioma": null})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["plantilla"]["categoria"], Value::Null);
    assert_eq!(updated["plantilla"]["idioma"], "es");

    assert_eq!(
        app.call("DELETE", &path, Some(&token), None).await.status(),
        200
    );
    assert_eq!(
        app.call("DELETE", &path, Some(&token), None).await.status(),
        200,
        "repeatable"
    );
    assert_eq!(names(&app, &token, "").await, ["Checkout"]);
    let response = app
        .call(
            "PUT",
            &path,
            Some(&token),
            Some(&json!({"nombre": "B3", "contenido": "x"})),
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(envelope(response).await, ["Plantilla no encontrada."]);
}

async fn validation_comes_first_and_speaks_messages_only(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    // No body at all: the schema answers for the empty object.
    let response = app
        .call("POST", "/api/vault/plantillas", Some(&token), None)
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        [
            "Missing data for required field.",
            "Missing data for required field."
        ]
    );
    let response = app
        .call(
            "POST",
            "/api/vault/plantillas",
            Some(&token),
            Some(&json!({"nombre": "x", "contenido": "y", "idioma": "chino", "categoria": "checkin_tardio"})),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        [
            "Idioma no válido. Opciones: es, en, fr, de, it, pt.",
            "Categoría no válida. Opciones: BIENVENIDA, INSTRUCCIONES, RECORDATORIO, CHECKIN_TARDIO, CHECKOUT, INCIDENCIA, GENERAL."
        ]
    );
    // PUT validates before it looks the template up.
    let path = "/api/vault/plantillas/6f1c2e4a-0b1d-4c7e-9a55-0c2a1f3b4d5e";
    let response = app
        .call("PUT", path, Some(&token), Some(&json!({"nombre": ""})))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        [
            "El nombre debe tener entre 1 y 200 caracteres.",
            "Missing data for required field."
        ]
    );
    // A text/plain body is no body: the schema answers, not a 415.
    let response = app
        .client
        .post(app.url("/api/vault/plantillas"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(r#"{"nombre": "x", "contenido": "y"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
}

async fn malformed_ids_match_no_route(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    for path in [
        "/api/vault/plantillas/nope",
        "/api/vault/plantillas/123/vista-previa",
    ] {
        let response = app.call("DELETE", path, Some(&token), None).await;
        let status = response.status();
        assert!(status == 404 || status == 405, "{path}: {status}");
        envelope(response).await;
    }
    // Before authentication, as a route that does not match.
    let response = app
        .call("DELETE", "/api/vault/plantillas/nope", None, None)
        .await;
    assert_eq!(response.status(), 404);
}

async fn templates_are_private_to_their_company(app: TestApp) {
    app.seed_user("a@example.com", Role::Operations, false)
        .await;
    app.seed_user("b@example.com", Role::Operations, false)
        .await;
    let a = app.login("a@example.com").await;
    let b = app.login("b@example.com").await;
    let created = create(&app, &a, json!({"nombre": "Privada", "contenido": "x"})).await;
    let path = format!(
        "/api/vault/plantillas/{}",
        created["plantilla"]["id"].as_str().unwrap()
    );
    assert!(names(&app, &b, "").await.is_empty());
    let put = json!({"nombre": "Robada", "contenido": "x"});
    assert_eq!(
        app.call("PUT", &path, Some(&b), Some(&put)).await.status(),
        404
    );
    assert_eq!(
        app.call("DELETE", &path, Some(&b), None).await.status(),
        404
    );
    let preview = format!("{path}/vista-previa");
    assert_eq!(
        app.call("POST", &preview, Some(&b), None).await.status(),
        404
    );
    assert_eq!(names(&app, &a, "").await, ["Privada"]);
}

async fn placeholders_are_checked_and_previewed(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let body = create(
        &app,
        &token,
        json!({"nombre": "Llegada", "contenido": "Hola {NOMBRE}, a las {HORA_LLEGADA}. {CODIGO} {nombre"}),
    )
    .await;
    assert_eq!(
        body["warnings"],
        json!([
            "Marcador desconocido: {CODIGO}.",
            "Marcador mal formado: {nombre"
        ])
    );
    let path = format!(
        "/api/vault/plantillas/{}/vista-previa",
        body["plantilla"]["id"].as_str().unwrap()
    );
    let response = app
        .call(
            "POST",
            &path,
            Some(&token),
            Some(&json!({"valores": {"NOMBRE": "Ana"}})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let preview: Value = response.json().await.unwrap();
    assert_eq!(
        preview["contenido"],
        "Hola Ana, a las 22:30. {CODIGO} {nombre"
    );
    assert_eq!(
        preview["marcadores"],
        json!(["NOMBRE", "HORA_LLEGADA", "CODIGO"])
    );
    let response = app
        .call(
            "POST",
            &path,
            Some(&token),
            Some(&json!({"valores": ["Ana"]})),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        ["valores: Not a valid mapping type."]
    );
}

on_both_databases!(
    templates_crud_with_the_original_shapes,
    validation_comes_first_and_speaks_messages_only,
    malformed_ids_match_no_route,
    templates_are_private_to_their_company,
    placeholders_are_checked_and_previewed,
);
