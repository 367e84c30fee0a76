//! Text that other users will read is stored without control characters
//! (issue 13): one-line fields lose C0/C1 controls, line breaks and bidi
//! overrides; a template's body keeps its newlines only.

use crate::support::TestApp;
use serde_json::{Value, json};
use stay_sidekick::store::Role;

const HOSTILE_NAME: &str = "\u{7}\u{1b}[31mÁtico\r\n\u{202E}3\u{85}B";

async fn apartments_keep_one_line_without_controls(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let created = app
        .call(
            "POST",
            "/api/apartamentos",
            Some(&token),
            Some(&json!({"nombre": HOSTILE_NAME, "direccion": "C/ Feria\t\t1\u{0}", "ciudad": "\u{2066}Sevilla\u{2069}"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let apartment = &created["apartamento"];
    assert_eq!(apartment["nombre"], "[31mÁtico 3 B");
    assert_eq!(apartment["direccion"], "C/ Feria 1");
    assert_eq!(apartment["ciudad"], "Sevilla");
    let id = apartment["id"].as_str().unwrap();
    let updated: Value = app
        .call(
            "PUT",
            &format!("/api/apartamentos/{id}"),
            Some(&token),
            Some(&json!({"nombre": "Bajo\nTriana\u{9B}"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["apartamento"]["nombre"], "Bajo Triana");
    // What is listed is what was stored.
    let listed: Value = app
        .call("GET", "/api/apartamentos", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["apartamentos"][0]["nombre"], "Bajo Triana");
}

async fn templates_keep_their_lines_but_no_controls(app: TestApp) {
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let body = json!({"nombre": HOSTILE_NAME, "contenido": "Hola {NOMBRE},\r\n\u{1b}[2Jbienvenido\u{202E}.\rAdiós"});
    for (path, kind) in [
        ("/api/vault/plantillas", "vault"),
        (
            "/api/notificaciones/checkin-tardio/plantillas",
            "late check-ins",
        ),
    ] {
        let created = app.call("POST", path, Some(&token), Some(&body)).await;
        assert_eq!(created.status(), 201, "{kind}");
        let created: Value = created.json().await.unwrap();
        let template = &created["plantilla"];
        assert_eq!(template["nombre"], "[31mÁtico 3 B", "{kind}");
        assert_eq!(
            template["contenido"], "Hola {NOMBRE},\n[2Jbienvenido.\nAdiós",
            "{kind}"
        );
    }
}

crate::on_both_databases!(
    apartments_keep_one_line_without_controls,
    templates_keep_their_lines_but_no_controls,
);
