//! Password resets and changes, and the sessions they end.

use super::world;
use crate::support::{PASSWORD, TestApp, envelope};
use serde_json::{Value, json};

async fn an_admin_reset_ends_every_session_of_the_user(app: TestApp) {
    let w = world(&app).await;
    let second_session = app.login(&w.a_op.email).await;
    let response = app
        .call(
            "PATCH",
            &format!("/api/usuarios/{}/contrasena", w.a_op.id),
            Some(&w.t_admin),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    let temporary = response.json::<Value>().await.unwrap()["password_temporal"]
        .as_str()
        .unwrap()
        .to_string();
    for token in [&w.t_op, &second_session] {
        assert_eq!(
            app.call("GET", "/api/perfil", Some(token), None)
                .await
                .status(),
            401
        );
    }
    // The old password no longer works; the temporary one does, at once.
    let old = app
        .post_login(&json!({"email": w.a_op.email, "password": PASSWORD}))
        .await;
    assert_eq!(old.status(), 401);
    let login = app
        .post_login(&json!({"email": w.a_op.email, "password": temporary}))
        .await;
    assert_eq!(login.status(), 200);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["debe_cambiar_password"], true);
    let fresh = body["token"].as_str().unwrap();
    assert_eq!(
        app.call("GET", "/api/perfil", Some(fresh), None)
            .await
            .status(),
        200
    );
}

async fn changing_ones_password_keeps_this_session_and_ends_the_others(app: TestApp) {
    let w = world(&app).await;
    // Sessions opened in the same second are told apart (their `jti` differs).
    let older = w.t_op.clone();
    let current = app.login(&w.a_op.email).await;
    let newer = app.login(&w.a_op.email).await;
    assert!(older != current && current != newer);
    let wrong = app
        .call(
            "PUT",
            "/api/perfil/password",
            Some(&current),
            Some(&json!({"password_actual": "wrong-one", "password_nueva": "brand-new-pass"})),
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(
        envelope(wrong).await,
        vec!["La contraseña actual no es correcta."]
    );
    let invalid = app
        .call(
            "PUT",
            "/api/perfil/password",
            Some(&current),
            Some(&json!({"password_actual": PASSWORD, "password_nuevo": "brand-new-pass"})),
        )
        .await;
    assert_eq!(
        envelope(invalid).await,
        vec![
            "password_nueva: Missing data for required field.",
            "password_nuevo: Unknown field."
        ]
    );
    let long = app
        .call(
            "PUT",
            "/api/perfil/password",
            Some(&current),
            Some(&json!({"password_actual": PASSWORD, "password_nueva": "ñ".repeat(40)})),
        )
        .await;
    assert_eq!(
        envelope(long).await,
        vec!["password_nueva: La contraseña no puede superar 72 bytes."]
    );
    let ok = app
        .call(
            "PUT",
            "/api/perfil/password",
            Some(&current),
            Some(&json!({"password_actual": PASSWORD, "password_nueva": "brand-new-pass"})),
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap(), json!({"ok": true}));
    assert_eq!(
        app.call("GET", "/api/perfil", Some(&current), None)
            .await
            .status(),
        200,
        "the changing session stays"
    );
    assert_eq!(
        app.call("GET", "/api/perfil", Some(&older), None)
            .await
            .status(),
        401,
        "an older session ends"
    );
    assert_eq!(
        app.call("GET", "/api/perfil", Some(&newer), None)
            .await
            .status(),
        401,
        "a newer session ends too"
    );
    let profile: Value = app
        .call("GET", "/api/perfil", Some(&current), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(profile["data"]["password_changed_at"].as_str().is_some());
    // The web app logs in again at once with the new password.
    let relogin = app
        .post_login(&json!({"email": w.a_op.email, "password": "brand-new-pass"}))
        .await;
    assert_eq!(relogin.status(), 200);
    assert_eq!(
        relogin.json::<Value>().await.unwrap()["debe_cambiar_password"],
        false
    );
    assert_eq!(
        app.post_login(&json!({"email": w.a_op.email, "password": PASSWORD}))
            .await
            .status(),
        401
    );
}

async fn two_password_changes_at_once_cannot_both_win(app: TestApp) {
    let w = world(&app).await;
    let first = app.login(&w.a_op.email).await;
    let second = app.login(&w.a_op.email).await;
    let (one, two) = (
        json!({"password_actual": PASSWORD, "password_nueva": "first-new-pass"}),
        json!({"password_actual": PASSWORD, "password_nueva": "second-new-pass"}),
    );
    let (x, y) = tokio::join!(
        app.call("PUT", "/api/perfil/password", Some(&first), Some(&one)),
        app.call("PUT", "/api/perfil/password", Some(&second), Some(&two))
    );
    let mut statuses = [x.status().as_u16(), y.status().as_u16()];
    statuses.sort();
    // The loser is refused: its check was against a hash that is gone (422),
    // or its session ended with the winner's change (401).
    assert!(
        statuses == [200, 422] || statuses == [200, 401],
        "{statuses:?}"
    );
    let mut in_force = 0;
    for password in ["first-new-pass", "second-new-pass"] {
        if app
            .post_login(&json!({"email": w.a_op.email, "password": password}))
            .await
            .status()
            == 200
        {
            in_force += 1;
        }
    }
    assert_eq!(in_force, 1, "exactly one new password is in force");
}

on_both_databases!(
    an_admin_reset_ends_every_session_of_the_user,
    changing_ones_password_keeps_this_session_and_ends_the_others,
    two_password_changes_at_once_cannot_both_win,
);
