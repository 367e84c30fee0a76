//! Companies, users and profile over real HTTP, on SQLite and PostgreSQL:
//! the role matrix of every route, tenant isolation, the user rules, password
//! changes and resets, settings and encrypted keys.

use crate::support::{PASSWORD, TestApp, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::{Role, User};
use uuid::Uuid;

/// Two companies: A with an operator, an admin and a superadmin whose role
/// is `operativo` (the most telling case of original-api.md 1.10); B with an
/// admin and an operator. Each gets a token.
struct World {
    a_op: User,
    a_admin: User,
    a_sa: User,
    b_admin: User,
    b_op: User,
    t_op: String,
    t_admin: String,
    t_sa: String,
    t_b_admin: String,
    t_b_op: String,
}

async fn world(app: &TestApp) -> World {
    let a_admin = app
        .seed_user("admin@a.example.com", Role::Admin, false)
        .await;
    let a = a_admin.company_id;
    let a_op = app
        .seed_in(a, "op@a.example.com", Role::Operations, false)
        .await;
    let a_sa = app
        .seed_in(a, "sa@a.example.com", Role::Operations, true)
        .await;
    let b_admin = app
        .seed_user("admin@b.example.com", Role::Admin, false)
        .await;
    let b_op = app
        .seed_in(
            b_admin.company_id,
            "op@b.example.com",
            Role::Operations,
            false,
        )
        .await;
    for company in [a, b_admin.company_id] {
        app.store()
            .set_company_setting(company, "max_usuarios", json!(50))
            .await
            .unwrap();
    }
    World {
        t_op: app.login(&a_op.email).await,
        t_admin: app.login(&a_admin.email).await,
        t_sa: app.login(&a_sa.email).await,
        t_b_admin: app.login(&b_admin.email).await,
        t_b_op: app.login(&b_op.email).await,
        a_op,
        a_admin,
        a_sa,
        b_admin,
        b_op,
    }
}

fn unique_email() -> String {
    format!("u{}@example.com", Uuid::new_v4().simple())
}

async fn role_matrix_covers_every_route(app: TestApp) {
    let w = world(&app).await;
    // Who calls: anonymous, A's operator, A's admin, A's superadmin (rol operativo), B's admin.
    let callers: [(&str, Option<&str>, Option<&User>); 5] = [
        ("anonymous", None, None),
        ("operativo", Some(&w.t_op), Some(&w.a_op)),
        ("admin", Some(&w.t_admin), Some(&w.a_admin)),
        ("superadmin", Some(&w.t_sa), Some(&w.a_sa)),
        (
            "other company's admin",
            Some(&w.t_b_admin),
            Some(&w.b_admin),
        ),
    ];
    struct Case {
        method: &'static str,
        path: &'static str,
        body: Option<Value>,
        expected: [u16; 5],
    }
    let case = |method, path, body, expected| Case {
        method,
        path,
        body,
        expected,
    };
    let cases = vec![
        case("GET", "/api/empresas", None, [401, 403, 403, 200, 403]),
        case(
            "POST",
            "/api/empresas",
            Some(json!({"nombre": "N", "email": "@"})),
            [401, 403, 403, 201, 403],
        ),
        case("GET", "/api/usuarios", None, [401, 403, 200, 200, 200]),
        case(
            "POST",
            "/api/usuarios",
            Some(json!({"email": "@", "rol": "operativo"})),
            [401, 403, 201, 201, 201],
        ),
        case(
            "DELETE",
            "/api/usuarios/{victim}",
            None,
            [401, 403, 200, 200, 200],
        ),
        case(
            "PATCH",
            "/api/usuarios/{victim}",
            Some(json!({"rol": "admin"})),
            [401, 403, 200, 200, 200],
        ),
        case(
            "PATCH",
            "/api/usuarios/{victim}/contrasena",
            None,
            [401, 403, 200, 200, 200],
        ),
        case("GET", "/api/perfil", None, [401, 200, 200, 200, 200]),
        case(
            "GET",
            "/api/perfil/integraciones",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "PUT",
            "/api/perfil/integraciones/pms",
            Some(json!({"proveedor": "smoobu", "api_key": "k-123"})),
            [401, 403, 200, 403, 200],
        ),
        case(
            "DELETE",
            "/api/perfil/integraciones/pms",
            None,
            [401, 403, 200, 403, 200],
        ),
        case(
            "PUT",
            "/api/perfil/integraciones/ia",
            Some(json!({"proveedor": "gemini", "modelo": null, "api_key": "k"})),
            [401, 403, 200, 403, 200],
        ),
        case(
            "DELETE",
            "/api/perfil/integraciones/ia",
            None,
            [401, 403, 200, 403, 200],
        ),
        case(
            "GET",
            "/api/perfil/xlsx-apartamentos",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "PUT",
            "/api/perfil/xlsx-apartamentos",
            Some(json!({"col_id_externo": 1, "col_nombre": 2})),
            [401, 403, 200, 403, 200],
        ),
        case(
            "GET",
            "/api/perfil/notificaciones-tardio-config",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "PUT",
            "/api/perfil/notificaciones-tardio-config",
            Some(json!({"hora_corte": "21:00"})),
            [401, 403, 200, 403, 200],
        ),
        // Last: it ends nothing for the caller (the changing session is kept).
        case(
            "PUT",
            "/api/perfil/password",
            Some(json!({"password_actual": PASSWORD, "password_nueva": "another-pass-1"})),
            [401, 200, 200, 200, 200],
        ),
    ];
    let mut cells = 0;
    for case in &cases {
        for ((who, token, user), expected) in callers.iter().zip(case.expected) {
            // Each id route gets a fresh victim in the caller's own company.
            let company = user.map(|u| u.company_id).unwrap_or(w.a_admin.company_id);
            let victim = app
                .seed_in(company, &unique_email(), Role::Operations, false)
                .await;
            let path = case.path.replace("{victim}", &victim.id.to_string());
            let body = case.body.clone().map(|mut b| {
                if b.get("email") == Some(&json!("@")) {
                    b["email"] = json!(unique_email());
                }
                b
            });
            let response = app.call(case.method, &path, *token, body.as_ref()).await;
            assert_eq!(
                response.status().as_u16(),
                expected,
                "{who} {} {}",
                case.method,
                case.path
            );
            match expected {
                401 => assert_eq!(envelope(response).await, vec!["Token de acceso requerido."]),
                403 => assert_eq!(envelope(response).await, vec!["Acceso denegado."]),
                _ => {}
            }
            cells += 1;
        }
    }
    assert_eq!(cells, 18 * 5);
}

async fn other_companies_ids_are_not_found_and_untouched(app: TestApp) {
    let w = world(&app).await;
    let a = w.a_admin.company_id;
    let before = app.store().users(a).await.unwrap();
    let random = Uuid::new_v4();
    let missing_body =
        |r: &str| format!("{{\"errors\":[\"Usuario no encontrado.\"],\"ok\":false}}\n{r}");
    for id in [w.a_op.id, w.a_admin.id, w.a_sa.id, random] {
        for (method, path, body) in [
            ("DELETE", format!("/api/usuarios/{id}"), None),
            (
                "PATCH",
                format!("/api/usuarios/{id}"),
                Some(json!({"rol": "admin"})),
            ),
            ("PATCH", format!("/api/usuarios/{id}/contrasena"), None),
            // A non-superadmin's ?empresa_id is ignored: still B's company.
            ("DELETE", format!("/api/usuarios/{id}?empresa_id={a}"), None),
        ] {
            let response = app
                .call(method, &path, Some(&w.t_b_admin), body.as_ref())
                .await;
            assert_eq!(response.status(), 404, "{method} {path}");
            assert_eq!(
                format!("{}", response.text().await.unwrap()),
                missing_body("").trim_end_matches('\n').to_string() + "\n"
            );
            // B's operator is refused by role before any lookup.
            let response = app
                .call(method, &path, Some(&w.t_b_op), body.as_ref())
                .await;
            assert_eq!(response.status(), 403);
        }
    }
    // The list and the limit are B's own.
    let response = app
        .call(
            "GET",
            &format!("/api/usuarios?empresa_id={a}"),
            Some(&w.t_b_admin),
            None,
        )
        .await;
    let listed: Value = response.json().await.unwrap();
    let emails: Vec<&str> = listed["usuarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["admin@b.example.com", "op@b.example.com"]);
    assert_eq!(
        app.store().users(a).await.unwrap(),
        before,
        "A's users unchanged"
    );
    let _ = w.b_op;
}

async fn tenant_fields_in_bodies_are_refused(app: TestApp) {
    let w = world(&app).await;
    let a = w.a_admin.company_id;
    let response = app
        .call("POST", "/api/usuarios", Some(&w.t_b_admin), Some(&json!({"email": "x@example.com", "rol": "admin", "empresa_id": a, "es_superadmin": true})))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        vec![
            "empresa_id: Unknown field.",
            "es_superadmin: Unknown field."
        ]
    );
    let response = app
        .call(
            "PATCH",
            &format!("/api/usuarios/{}", w.b_op.id),
            Some(&w.t_b_admin),
            Some(&json!({"rol": "admin", "es_superadmin": true})),
        )
        .await;
    assert_eq!(
        envelope(response).await,
        vec!["es_superadmin: Unknown field."]
    );
    assert!(
        !app.store()
            .user_by_id(w.b_op.id)
            .await
            .unwrap()
            .unwrap()
            .is_superadmin
    );
}

async fn superadmins_act_on_a_named_company(app: TestApp) {
    let w = world(&app).await;
    let b = w.b_admin.company_id;
    let listed: Value = app
        .call(
            "GET",
            &format!("/api/usuarios?empresa_id={b}"),
            Some(&w.t_sa),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["usuarios"].as_array().unwrap().len(), 2);
    assert_eq!(listed["max_usuarios"], 50);
    let created = app
        .call(
            "POST",
            &format!("/api/usuarios?empresa_id={b}"),
            Some(&w.t_sa),
            Some(&json!({"email": "new@b.example.com", "rol": "operativo"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let user = app
        .store()
        .user_by_email("new@b.example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.company_id, b);
    let malformed = app
        .call("GET", "/api/usuarios?empresa_id=nope", Some(&w.t_sa), None)
        .await;
    assert_eq!(malformed.status(), 422);
    assert_eq!(
        envelope(malformed).await,
        vec!["empresa_id: Not a valid UUID."]
    );
    let unknown = app
        .call(
            "GET",
            &format!("/api/usuarios?empresa_id={}", Uuid::new_v4()),
            Some(&w.t_sa),
            None,
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(envelope(unknown).await, vec!["Empresa no encontrada."]);
    let empty = app
        .call("GET", "/api/usuarios?empresa_id=", Some(&w.t_sa), None)
        .await;
    let own: Value = empty.json().await.unwrap();
    assert_eq!(
        own["usuarios"].as_array().unwrap().len(),
        3,
        "empty empresa_id means one's own company"
    );
}

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
        json!({"col_apartamento": "", "col_checkin": "", "col_hora_llegada": "", "col_nombre": "B", "col_telefono": "AC", "hora_corte": "22:15"})
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
    role_matrix_covers_every_route,
    other_companies_ids_are_not_found_and_untouched,
    tenant_fields_in_bodies_are_refused,
    superadmins_act_on_a_named_company,
    companies_are_created_and_listed,
    users_are_created_with_a_temporary_password,
    the_user_limit_is_enforced,
    a_company_keeps_at_least_one_admin,
    an_admin_reset_ends_every_session_of_the_user,
    changing_ones_password_keeps_this_session_and_ends_the_others,
    two_password_changes_at_once_cannot_both_win,
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
