//! `/api/notificaciones/checkin-tardio/plantillas`: the original's messages
//! and shapes, isolation from the vault's templates and between companies.

use super::{app_on, login};
use crate::support::{TestApp, envelope};
use serde_json::{Value, json};
use uuid::Uuid;

const LIST: &str = "/api/notificaciones/checkin-tardio/plantillas";

fn one(id: &str) -> String {
    format!("{LIST}/{id}")
}

async fn templates_crud_with_the_originals_messages(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    let call = |method: &'static str, path: String, body: Option<Value>| {
        let app = &app;
        let token = token.clone();
        async move { app.call(method, &path, Some(&token), body.as_ref()).await }
    };
    let empty = call("GET", LIST.into(), None).await;
    assert_eq!(
        empty.json::<Value>().await.unwrap(),
        json!({"ok": true, "plantillas": []})
    );

    let created = call(
        "POST",
        LIST.into(),
        Some(json!({"nombre": "  Aviso ", "contenido": " Hola {NOMBRE} ", "otra": 1})),
    )
    .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["plantilla"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        created,
        json!({"ok": true, "plantilla": {"contenido": "Hola {NOMBRE}", "id": id, "nombre": "Aviso"}})
    );
    call(
        "POST",
        LIST.into(),
        Some(json!({"nombre": "Segunda", "contenido": "B"})),
    )
    .await;
    let listed: Value = call("GET", LIST.into(), None).await.json().await.unwrap();
    let names: Vec<&str> = listed["plantillas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["nombre"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Aviso", "Segunda"], "oldest first");

    // No body at all is `{}`: the original's 400s, name first.
    let no_body = app
        .client
        .post(app.url(LIST))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(no_body.status(), 400);
    assert_eq!(envelope(no_body).await, vec!["El nombre es obligatorio."]);
    let blank = call(
        "POST",
        LIST.into(),
        Some(json!({"nombre": "x", "contenido": "   "})),
    )
    .await;
    assert_eq!(blank.status(), 400);
    assert_eq!(envelope(blank).await, vec!["El contenido es obligatorio."]);
    // Where the original failed with a 500: 422.
    let typed = call(
        "POST",
        LIST.into(),
        Some(json!({"nombre": 5, "contenido": "x"})),
    )
    .await;
    assert_eq!(typed.status(), 422);
    assert_eq!(envelope(typed).await, vec!["nombre: Not a valid string."]);
    let long = call(
        "POST",
        LIST.into(),
        Some(json!({"nombre": "n".repeat(201), "contenido": "x"})),
    )
    .await;
    assert_eq!(long.status(), 422);
    assert_eq!(
        envelope(long).await,
        vec!["nombre: Longer than maximum length 200."]
    );
    let array = call("POST", LIST.into(), Some(json!([1]))).await;
    assert_eq!(array.status(), 422);

    let updated = call(
        "PUT",
        one(&id),
        Some(json!({"nombre": "Aviso 2", "contenido": "Adiós"})),
    )
    .await;
    assert_eq!(updated.status(), 200);
    assert_eq!(
        updated.json::<Value>().await.unwrap(),
        json!({"ok": true, "plantilla": {"contenido": "Adiós", "id": id, "nombre": "Aviso 2"}})
    );
    // The body is checked before the lookup.
    let invalid_missing = call("PUT", one(&Uuid::new_v4().to_string()), Some(json!({}))).await;
    assert_eq!(invalid_missing.status(), 400);
    let missing = call(
        "PUT",
        one(&Uuid::new_v4().to_string()),
        Some(json!({"nombre": "a", "contenido": "b"})),
    )
    .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(envelope(missing).await, vec!["Plantilla no encontrada."]);
    let malformed = app.call("DELETE", &one("nope"), None, None).await;
    assert_eq!(
        malformed.status(),
        404,
        "a malformed id is no route, before authentication"
    );
    assert_eq!(envelope(malformed).await, vec!["Recurso no encontrado."]);

    assert_eq!(call("DELETE", one(&id), None).await.status(), 200);
    let again = call("DELETE", one(&id), None).await;
    assert_eq!(again.status(), 404, "a hard delete");
    assert_eq!(envelope(again).await, vec!["Plantilla no encontrada."]);
    let updated_gone = call(
        "PUT",
        one(&id),
        Some(json!({"nombre": "a", "contenido": "b"})),
    )
    .await;
    assert_eq!(updated_gone.status(), 404);
}

async fn late_and_vault_templates_never_see_each_other(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    let late: Value = app
        .call(
            "POST",
            LIST,
            Some(&token),
            Some(&json!({"nombre": "Tarde", "contenido": "Hola"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let late_id = late["plantilla"]["id"].as_str().unwrap().to_string();
    let vault: Value = app
        .call(
            "POST",
            "/api/vault/plantillas",
            Some(&token),
            Some(&json!({"nombre": "Bienvenida", "contenido": "Hola", "categoria": "CHECKIN_TARDIO"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let vault_id = vault["plantilla"]["id"].as_str().unwrap().to_string();

    let vault_list: Value = app
        .get_auth("/api/vault/plantillas", &token)
        .await
        .json()
        .await
        .unwrap();
    let vault_names: Vec<&str> = vault_list["plantillas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["nombre"].as_str().unwrap())
        .collect();
    assert_eq!(vault_names, ["Bienvenida"]);
    let late_list: Value = app.get_auth(LIST, &token).await.json().await.unwrap();
    assert_eq!(late_list["plantillas"].as_array().unwrap().len(), 1);
    assert_eq!(late_list["plantillas"][0]["nombre"], "Tarde");

    let body = json!({"nombre": "X", "contenido": "Y"});
    for (method, path) in [
        ("PUT", format!("/api/vault/plantillas/{late_id}")),
        ("DELETE", format!("/api/vault/plantillas/{late_id}")),
        (
            "POST",
            format!("/api/vault/plantillas/{late_id}/vista-previa"),
        ),
        ("PUT", one(&vault_id)),
        ("DELETE", one(&vault_id)),
    ] {
        let response = app.call(method, &path, Some(&token), Some(&body)).await;
        assert_eq!(response.status(), 404, "{method} {path}");
        assert_eq!(envelope(response).await, vec!["Plantilla no encontrada."]);
    }
    let still: Value = app.get_auth(LIST, &token).await.json().await.unwrap();
    assert_eq!(still["plantillas"][0]["nombre"], "Tarde", "untouched");

    // Another company sees nothing and can change nothing.
    let (other, _) = login(&app, "b").await;
    let theirs: Value = app.get_auth(LIST, &other).await.json().await.unwrap();
    assert_eq!(theirs["plantillas"], json!([]));
    for method in ["PUT", "DELETE"] {
        let response = app
            .call(method, &one(&late_id), Some(&other), Some(&body))
            .await;
        assert_eq!(response.status(), 404);
    }
    let mine: Value = app.get_auth(LIST, &token).await.json().await.unwrap();
    assert_eq!(mine["plantillas"][0]["nombre"], "Tarde");
}

on_both_databases!(@with super::app_on;
    templates_crud_with_the_originals_messages,
    late_and_vault_templates_never_see_each_other,
);
