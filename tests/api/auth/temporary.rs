//! A session opened with a temporary password (user creation, an admin's
//! reset) serves only the password change until the user picks their own.

use crate::support::{TestApp, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::Role;

const MUST_CHANGE: &str = "Debes cambiar la contraseña temporal antes de continuar.";

async fn temporary_login(app: &TestApp, email: &str, password: &str) -> String {
    let login = app
        .post_login(&json!({"email": email, "password": password}))
        .await;
    assert_eq!(login.status(), 200);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["debe_cambiar_password"], true);
    body["token"].as_str().unwrap().to_string()
}

/// A user made by `admin` through the API: its body, with `password_temporal`.
async fn create_user(app: &TestApp, admin: &str, email: &str, role: &str) -> Value {
    let response = app
        .call(
            "POST",
            "/api/usuarios",
            Some(admin),
            Some(&json!({"email": email, "rol": role})),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn a_temporary_password_serves_only_the_password_change(app: TestApp) {
    app.seed_user("admin@example.com", Role::Admin, false).await;
    let admin = app.login("admin@example.com").await;
    let created = create_user(&app, &admin, "new@example.com", "admin").await;
    let temporary = created["password_temporal"].as_str().unwrap();
    let token = temporary_login(&app, "new@example.com", temporary).await;

    // What the first-login flow needs.
    assert_eq!(
        app.get_auth("/api/auth/validacion", &token).await.status(),
        200
    );
    let profile = app.get_auth("/api/perfil", &token).await;
    assert_eq!(profile.status(), 200);
    // Everything else, whatever the role: 403 saying why.
    for (method, path, body) in [
        ("GET", "/api/apartamentos", None),
        (
            "POST",
            "/api/apartamentos",
            Some(json!({"nombre": "Ático"})),
        ),
        ("GET", "/api/usuarios", None),
        (
            "PUT",
            "/api/apartamentos/pms",
            Some(json!({"proveedor": "smoobu", "api_key": "k"})),
        ),
        ("GET", "/api/vault/plantillas", None),
    ] {
        let response = app.call(method, path, Some(&token), body.as_ref()).await;
        assert_eq!(response.status(), 403, "{method} {path}");
        assert_eq!(
            envelope(response).await,
            vec![MUST_CHANGE],
            "{method} {path}"
        );
    }

    // The change ends the temporary session; the new password is a full one.
    let changed = app
        .call(
            "PUT",
            "/api/perfil/password",
            Some(&token),
            Some(&json!({"password_actual": temporary, "password_nueva": "Una-clave-propia-2026"})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(app.get_auth("/api/perfil", &token).await.status(), 401);
    let login = app
        .post_login(&json!({"email": "new@example.com", "password": "Una-clave-propia-2026"}))
        .await;
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["debe_cambiar_password"], false);
    let own = body["token"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/apartamentos", own).await.status(), 200);
    assert_eq!(app.get_auth("/api/usuarios", own).await.status(), 200);
}

async fn an_admins_reset_makes_the_password_temporary_again(app: TestApp) {
    app.seed_user("admin@example.com", Role::Admin, false).await;
    let operator = app
        .seed_user("op@example.com", Role::Operations, false)
        .await;
    let admin = app.login("admin@example.com").await;
    // An admin resets users of its own company: one created there.
    let created = create_user(&app, &admin, "ops@example.com", "operativo").await;
    let id = created["usuario"]["id"].as_str().unwrap();
    let first = created["password_temporal"].as_str().unwrap();
    let token = temporary_login(&app, "ops@example.com", first).await;
    assert_eq!(
        app.call(
            "PUT",
            "/api/perfil/password",
            Some(&token),
            Some(&json!({"password_actual": first, "password_nueva": "Mi-clave-de-siempre-1"})),
        )
        .await
        .status(),
        200
    );
    let own = app
        .post_login(&json!({"email": "ops@example.com", "password": "Mi-clave-de-siempre-1"}))
        .await
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.get_auth("/api/apartamentos", &own).await.status(), 200);

    let reset: Value = app
        .call(
            "PATCH",
            &format!("/api/usuarios/{id}/contrasena"),
            Some(&admin),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let second = reset["password_temporal"].as_str().unwrap();
    // The reset ended the old session; the new password is restricted.
    assert_eq!(app.get_auth("/api/apartamentos", &own).await.status(), 401);
    let token = temporary_login(&app, "ops@example.com", second).await;
    let refused = app.get_auth("/api/apartamentos", &token).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(envelope(refused).await, vec![MUST_CHANGE]);
    // A user who was never handed a password is not restricted.
    assert!(!operator.temporary_password);
    let seeded = app.login("op@example.com").await;
    assert_eq!(
        app.get_auth("/api/apartamentos", &seeded).await.status(),
        200
    );
}

crate::on_both_databases!(
    a_temporary_password_serves_only_the_password_change,
    an_admins_reset_makes_the_password_temporary_again,
);
