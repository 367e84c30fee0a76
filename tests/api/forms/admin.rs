//! `GET /api/solicitudes` and `PATCH /api/solicitudes/{id}` (superadmin),
//! CSRF and the validation messages of both forms.

use serde_json::{Value, json};
use stay_sidekick::store::Role;

use super::{access_body, contact_body, env, post_form};
use crate::support::{TestDb, envelope};

async fn list_is_paginated_and_only_for_superadmins(db: TestDb) {
    let env = env(db).await;
    let app = &env.app;
    for _ in 0..3 {
        assert_eq!(
            post_form(app, "/api/contacto", &contact_body())
                .await
                .status(),
            200
        );
    }
    let sa = app
        .seed_user("sa@example.com", Role::Operations, true)
        .await;
    let admin = app.seed_user("admin@example.com", Role::Admin, false).await;
    let t_sa = app.login(&sa.email).await;
    let t_admin = app.login(&admin.email).await;

    let page1: Value = app
        .get_auth("/api/solicitudes?pagina=1&por_pagina=2", &t_sa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page1["total"], 3);
    assert_eq!(page1["pagina"], 1);
    assert_eq!(page1["por_pagina"], 2);
    assert_eq!(page1["solicitudes"].as_array().unwrap().len(), 2);
    let first = &page1["solicitudes"][0];
    assert_eq!(first["tipo"], "contacto");
    assert_eq!(first["datos"]["email"], "ana@cliente.es");
    assert_eq!(first["atendida"], false);
    assert_eq!(first["envios"][0]["canal"], "discord");
    let page2: Value = app
        .get_auth("/api/solicitudes?pagina=2&por_pagina=2", &t_sa)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page2["solicitudes"].as_array().unwrap().len(), 1);
    assert_ne!(page2["solicitudes"][0]["id"], first["id"]);

    let bad = app
        .get_auth("/api/solicitudes?por_pagina=0&pagina=x", &t_sa)
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        envelope(bad).await,
        vec![
            "pagina: Not a valid integer.",
            "por_pagina: Must be greater than or equal to 1 and less than or equal to 100."
        ]
    );
    assert_eq!(
        app.get_auth("/api/solicitudes", &t_admin).await.status(),
        403
    );
    assert_eq!(app.get("/api/solicitudes").await.status(), 401);

    // Mark one handled, then back.
    let id = first["id"].as_str().unwrap();
    let path = format!("/api/solicitudes/{id}");
    let done = app
        .call(
            "PATCH",
            &path,
            Some(&t_sa),
            Some(&json!({"atendida": true})),
        )
        .await;
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["solicitud"]["atendida"], true);
    assert!(done["solicitud"]["atendida_en"].is_string());
    let undone: Value = app
        .call(
            "PATCH",
            &path,
            Some(&t_sa),
            Some(&json!({"atendida": false})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(undone["solicitud"]["atendida_en"], Value::Null);
    let bad = app
        .call(
            "PATCH",
            &path,
            Some(&t_sa),
            Some(&json!({"atendida": "si", "x": 1})),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        envelope(bad).await,
        vec!["atendida: Not a valid boolean.", "x: Unknown field."]
    );
    let missing = app
        .call(
            "PATCH",
            "/api/solicitudes/00000000-0000-4000-8000-000000000000",
            Some(&t_sa),
            Some(&json!({"atendida": true})),
        )
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(envelope(missing).await, vec!["Solicitud no encontrada."]);
    let forbidden = app
        .call(
            "PATCH",
            &path,
            Some(&t_admin),
            Some(&json!({"atendida": true})),
        )
        .await;
    assert_eq!(forbidden.status(), 403);
}

async fn csrf_is_required_on_both_forms(db: TestDb) {
    let env = env(db).await;
    let app = &env.app;
    for path in ["/api/contact", "/api/contacto"] {
        let none = app
            .client
            .post(app.url(path))
            .json(&contact_body())
            .send()
            .await
            .unwrap();
        assert_eq!(none.status(), 403);
        assert_eq!(envelope(none).await, vec!["Token CSRF ausente."]);
        let (token, _) = app.csrf().await;
        let (_, other_cookie) = app.csrf().await;
        let mismatched = app
            .client
            .post(app.url(path))
            .header("X-CSRF-Token", token)
            .header("Cookie", other_cookie)
            .json(&contact_body())
            .send()
            .await
            .unwrap();
        assert_eq!(mismatched.status(), 403);
        assert_eq!(envelope(mismatched).await, vec!["Token CSRF inválido."]);
    }
    assert!(env.turnstile.received_requests().await.unwrap().is_empty());
}

async fn validation_messages_are_the_originals(db: TestDb) {
    let env = env(db).await;
    let app = &env.app;
    let response = post_form(app, "/api/contact", &json!({"x": 1})).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        vec![
            "company_name: El nombre de la empresa es obligatorio.",
            "company_email: El correo de la empresa es obligatorio.",
            "country_code: El código de país es obligatorio.",
            "phone: El teléfono es obligatorio.",
            "is_member: Indica si ya eres miembro.",
            "turnstile_token: El token de verificación es obligatorio.",
            "privacy_accepted: Debes aceptar la política de privacidad.",
        ]
    );
    let mut body = access_body();
    body["phone"] = json!("123456");
    let response = post_form(app, "/api/contact", &body).await;
    assert_eq!(
        envelope(response).await,
        vec!["phone: El número de teléfono no es válido para el país seleccionado."]
    );
    let mut body = contact_body();
    body["mensaje"] = json!("corto");
    body["email"] = json!("no-es-correo");
    let response = post_form(app, "/api/contacto", &body).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        vec![
            "Length must be between 10 and 2000.",
            "El correo electrónico no es válido."
        ]
    );
    // Strict JSON, as login: a cross-site text/plain post is 415.
    let (token, cookie) = app.csrf().await;
    let plain = app
        .client
        .post(app.url("/api/contact"))
        .header("X-CSRF-Token", token)
        .header("Cookie", cookie)
        .header("Content-Type", "text/plain")
        .body(access_body().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 415);
    let response = post_form(app, "/api/contacto", &json!({})).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        envelope(response).await,
        vec!["Se esperaba un cuerpo JSON."]
    );
    assert!(env.turnstile.received_requests().await.unwrap().is_empty());
}

/// `RATE_LIMIT_CONTACT` on `/api/contact`, 10/hour on `/api/contacto`, per
/// client IP and counted before CSRF (rejected requests count too).
async fn both_forms_are_rate_limited_per_ip(db: TestDb) {
    let env = super::env(db).await;
    let app = &env.app;
    let post = |path: &'static str| async move {
        app.client
            .post(app.url(path))
            .json(&contact_body())
            .send()
            .await
            .unwrap()
    };
    // The test settings allow 1000/hour on /api/contact; /api/contacto keeps 10/hour.
    for _ in 0..10 {
        assert_eq!(post("/api/contacto").await.status(), 403);
    }
    let limited = post("/api/contacto").await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        envelope(limited).await,
        vec!["Demasiadas solicitudes. Inténtalo más tarde."]
    );
    assert_eq!(post("/api/contact").await.status(), 403, "its own counter");
}

on_forms_databases!(
    both_forms_are_rate_limited_per_ip,
    list_is_paginated_and_only_for_superadmins,
    csrf_is_required_on_both_forms,
    validation_messages_are_the_originals,
);
