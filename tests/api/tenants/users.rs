//! Companies and users: creation, the user limit, the last admin.

use super::{unique_email, world};
use crate::support::{TestApp, envelope};
use serde_json::{Value, json};
use uuid::Uuid;

async fn companies_are_created_and_listed(app: TestApp) {
    let w = world(&app).await;
    let created = app
        .call(
            "POST",
            "/api/empresas",
            Some(&w.t_sa),
            Some(&json!({"nombre": "Zeta Rentals", "email": "Ops@Zeta.com"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["empresa"]["nombre"], "Zeta Rentals");
    assert_eq!(body["empresa"]["email"], "Ops@Zeta.com", "stored as sent");
    assert_eq!(body["empresa"].as_object().unwrap().len(), 3);
    let again = app
        .call(
            "POST",
            "/api/empresas",
            Some(&w.t_sa),
            Some(&json!({"nombre": "Other", "email": "Ops@Zeta.com"})),
        )
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        envelope(again).await,
        vec!["Ya existe una empresa con ese email."]
    );
    let invalid = app
        .call(
            "POST",
            "/api/empresas",
            Some(&w.t_sa),
            Some(&json!({"nombre": "", "email": "a@b", "ciudad": "x"})),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(
        envelope(invalid).await,
        vec![
            "Length must be between 1 and 200.",
            "Not a valid email address.",
            "Unknown field."
        ]
    );
    let listed: Value = app
        .call("GET", "/api/empresas", Some(&w.t_sa), None)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["empresas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["nombre"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Zeta Rentals"));
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");
    let text = app.call("POST", "/api/empresas", Some(&w.t_sa), None).await;
    assert_eq!(text.status(), 400);
}

async fn users_are_created_with_a_temporary_password(app: TestApp) {
    let w = world(&app).await;
    let response = app
        .call(
            "POST",
            "/api/usuarios",
            Some(&w.t_admin),
            Some(&json!({"email": "  New.User@Example.COM ", "rol": " Operativo "})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let temporary = body["password_temporal"].as_str().unwrap().to_string();
    assert_eq!(temporary.len(), 12);
    let user = &body["usuario"];
    assert_eq!(user["email"], "new.user@example.com");
    assert_eq!(user["rol"], "operativo");
    assert_eq!(user["activo"], true);
    assert!(user["created_at"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(
        user.as_object().unwrap().len(),
        5,
        "no hash, no company, no superadmin flag"
    );
    // The temporary password logs in and asks for a change.
    let login = app
        .post_login(&json!({"email": "new.user@example.com", "password": temporary}))
        .await;
    assert_eq!(login.status(), 200);
    assert_eq!(
        login.json::<Value>().await.unwrap()["debe_cambiar_password"],
        true
    );
    // Taken email, in any company.
    let taken = app
        .call(
            "POST",
            "/api/usuarios",
            Some(&w.t_b_admin),
            Some(&json!({"email": "new.user@example.com", "rol": "admin"})),
        )
        .await;
    assert_eq!(
        envelope(taken).await,
        vec!["El correo electrónico ya está en uso."]
    );
    let invalid = app
        .call(
            "POST",
            "/api/usuarios",
            Some(&w.t_admin),
            Some(&json!({"email": "nope", "rol": "admin"})),
        )
        .await;
    assert_eq!(
        envelope(invalid).await,
        vec!["El correo electrónico no es válido."]
    );
    let bad_role = app
        .call(
            "POST",
            "/api/usuarios",
            Some(&w.t_admin),
            Some(&json!({"email": "x@example.com", "rol": "jefe"})),
        )
        .await;
    assert_eq!(
        envelope(bad_role).await,
        vec!["rol: Rol inválido. Opciones: admin, operativo."]
    );
    let empty = app
        .call("POST", "/api/usuarios", Some(&w.t_admin), Some(&json!({})))
        .await;
    assert_eq!(empty.status(), 400);
}

async fn the_user_limit_is_enforced(app: TestApp) {
    let w = world(&app).await;
    let b = w.b_admin.company_id;
    app.store()
        .set_company_setting(b, "max_usuarios", json!(3))
        .await
        .unwrap();
    let first = app
        .call(
            "POST",
            "/api/usuarios",
            Some(&w.t_b_admin),
            Some(&json!({"email": unique_email(), "rol": "operativo"})),
        )
        .await;
    assert_eq!(first.status(), 201);
    let over = app
        .call(
            "POST",
            "/api/usuarios",
            Some(&w.t_b_admin),
            Some(&json!({"email": unique_email(), "rol": "operativo"})),
        )
        .await;
    assert_eq!(over.status(), 422);
    assert_eq!(
        envelope(over).await,
        vec!["Límite de usuarios alcanzado (3)."]
    );
    let listed: Value = app
        .call("GET", "/api/usuarios", Some(&w.t_b_admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["max_usuarios"], 3);
    assert_eq!(listed["usuarios"].as_array().unwrap().len(), 3);
}

async fn a_company_keeps_at_least_one_admin(app: TestApp) {
    let w = world(&app).await;
    let own = app
        .call(
            "DELETE",
            &format!("/api/usuarios/{}", w.b_admin.id),
            Some(&w.t_b_admin),
            None,
        )
        .await;
    assert_eq!(own.status(), 422);
    assert_eq!(
        envelope(own).await,
        vec!["No puedes eliminar tu propia cuenta."]
    );
    let demote = app
        .call(
            "PATCH",
            &format!("/api/usuarios/{}", w.b_admin.id),
            Some(&w.t_b_admin),
            Some(&json!({"rol": "operativo"})),
        )
        .await;
    assert_eq!(demote.status(), 422);
    assert_eq!(
        envelope(demote).await,
        vec!["No se puede quitar el rol al único administrador."]
    );
    // A superadmin of another company cannot delete B's only admin either.
    let delete = app
        .call(
            "DELETE",
            &format!(
                "/api/usuarios/{}?empresa_id={}",
                w.b_admin.id, w.b_admin.company_id
            ),
            Some(&w.t_sa),
            None,
        )
        .await;
    assert_eq!(delete.status(), 422);
    assert_eq!(
        envelope(delete).await,
        vec!["No se puede eliminar al único administrador."]
    );
    // With a second admin both become possible.
    let promote = app
        .call(
            "PATCH",
            &format!("/api/usuarios/{}", w.b_op.id),
            Some(&w.t_b_admin),
            Some(&json!({"rol": "ADMIN"})),
        )
        .await;
    assert_eq!(promote.status(), 200);
    let body: Value = promote.json().await.unwrap();
    assert_eq!(body["usuario"]["rol"], "admin");
    assert_eq!(body["usuario"]["id"], w.b_op.id.to_string());
    let demote = app
        .call(
            "PATCH",
            &format!("/api/usuarios/{}", w.b_admin.id),
            Some(&w.t_b_admin),
            Some(&json!({"rol": "operativo"})),
        )
        .await;
    assert_eq!(demote.status(), 200);
    // The demoted admin's token is refused admin routes at once.
    let after = app
        .call("GET", "/api/usuarios", Some(&w.t_b_admin), None)
        .await;
    assert_eq!(after.status(), 403);
    // An invalid body is 422 even for a missing user (validated first).
    let invalid = app
        .call(
            "PATCH",
            &format!("/api/usuarios/{}", Uuid::new_v4()),
            Some(&w.t_admin),
            Some(&json!({"rol": "x"})),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    let malformed = app
        .call("DELETE", "/api/usuarios/not-a-uuid", Some(&w.t_admin), None)
        .await;
    assert_eq!(malformed.status(), 404);
    assert_eq!(envelope(malformed).await, vec!["Usuario no encontrado."]);
}

on_both_databases!(
    companies_are_created_and_listed,
    users_are_created_with_a_temporary_password,
    the_user_limit_is_enforced,
    a_company_keeps_at_least_one_admin,
);
