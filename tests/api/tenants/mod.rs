//! Companies, users and profile over real HTTP, on SQLite and PostgreSQL:
//! the role matrix of every route, tenant isolation, the user rules, password
//! changes and resets, settings and encrypted keys.

mod passwords;
mod profile;
mod users;

use crate::support::{PASSWORD, TestApp, envelope};
use serde_json::{Value, json};
use stay_sidekick::store::{NewTemplate, Role, User};
use uuid::Uuid;

/// Two companies: A with an operator, an admin and a superadmin whose role
/// is `operativo` (the most telling case of original-api.md 1.10); B with an
/// admin and an operator. Each gets a token.
pub(super) struct World {
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

pub(super) async fn world(app: &TestApp) -> World {
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

pub(super) fn unique_email() -> String {
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
        case(
            "GET",
            "/api/vault/plantillas",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "POST",
            "/api/vault/plantillas",
            Some(json!({"nombre": "N", "contenido": "Hola {NOMBRE}"})),
            [401, 201, 201, 201, 201],
        ),
        case(
            "PUT",
            "/api/vault/plantillas/{template}",
            Some(json!({"nombre": "N2", "contenido": "Hola"})),
            [401, 200, 200, 200, 200],
        ),
        case(
            "POST",
            "/api/vault/plantillas/{template}/vista-previa",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "DELETE",
            "/api/vault/plantillas/{template}",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "GET",
            "/api/notificaciones/checkin-tardio/status",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "GET",
            "/api/notificaciones/checkin-tardio/plantillas",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "POST",
            "/api/notificaciones/checkin-tardio/plantillas",
            Some(json!({"nombre": "N", "contenido": "Hola {NOMBRE}"})),
            [401, 201, 201, 201, 201],
        ),
        case(
            "PUT",
            "/api/notificaciones/checkin-tardio/plantillas/{late}",
            Some(json!({"nombre": "N2", "contenido": "Hola"})),
            [401, 200, 200, 200, 200],
        ),
        case(
            "DELETE",
            "/api/notificaciones/checkin-tardio/plantillas/{late}",
            None,
            [401, 200, 200, 200, 200],
        ),
        case("GET", "/api/ai/uso", None, [401, 200, 200, 200, 200]),
        case("GET", "/api/ai/config", None, [401, 403, 200, 403, 200]),
        case(
            "GET",
            "/api/heatmap?desde=2026-06-01&hasta=2026-06-07",
            None,
            [401, 400, 400, 400, 400],
        ),
        case(
            "GET",
            "/api/heatmap/umbrales",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "PUT",
            "/api/heatmap/umbrales",
            Some(json!({"nivel1": 1, "nivel2": 2, "nivel3": 3})),
            [401, 403, 200, 403, 200],
        ),
        case(
            "GET",
            "/api/heatmap/config-xlsx",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "PUT",
            "/api/heatmap/config-xlsx",
            Some(json!({"col_fecha_checkin": "C"})),
            [401, 403, 200, 403, 200],
        ),
        case("GET", "/api/solicitudes", None, [401, 403, 403, 200, 403]),
        case(
            "PATCH",
            "/api/solicitudes/00000000-0000-4000-8000-000000000000",
            Some(json!({"atendida": true})),
            [401, 403, 403, 404, 403],
        ),
        case(
            "GET",
            "/api/contactos/google/auth",
            None,
            [401, 403, 200, 403, 200],
        ),
        case(
            "GET",
            "/api/contactos/google/callback?code=c&state=s",
            None,
            [302, 302, 302, 302, 302],
        ),
        case(
            "GET",
            "/api/contactos/google/status",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "DELETE",
            "/api/contactos/google/conexion",
            None,
            [401, 403, 404, 403, 404],
        ),
        case(
            "GET",
            "/api/contactos/preferencias",
            None,
            [401, 200, 200, 200, 200],
        ),
        case(
            "PUT",
            "/api/contactos/preferencias",
            Some(json!({"plantilla": "{NOMBRE}"})),
            [401, 200, 200, 200, 200],
        ),
        case(
            "POST",
            "/api/contactos/sincronizacion",
            Some(json!({})),
            [401, 400, 400, 400, 400],
        ),
        case(
            "POST",
            "/api/contactos/exportacion/csv",
            Some(json!({})),
            [401, 400, 400, 400, 400],
        ),
        case(
            "POST",
            "/api/contactos/xlsx/sincronizacion",
            None,
            [401, 400, 400, 400, 400],
        ),
        case(
            "POST",
            "/api/contactos/xlsx/exportacion/csv",
            None,
            [401, 400, 400, 400, 400],
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
            let template = app
                .store()
                .create_template(
                    company,
                    NewTemplate {
                        name: "T".into(),
                        content: "Hola".into(),
                        language: "es".into(),
                        category: None,
                    },
                )
                .await
                .unwrap();
            let late = app
                .store()
                .create_late_template(company, "Tarde", "Hola {NOMBRE}")
                .await
                .unwrap();
            let path = case
                .path
                .replace("{victim}", &victim.id.to_string())
                .replace("{template}", &template.id.to_string())
                .replace("{late}", &late.id.to_string());
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
    assert_eq!(cells, 47 * 5);
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
    for bad in ["nope", "%09", "%7B0b1d%7D"] {
        let malformed = app
            .call(
                "GET",
                &format!("/api/usuarios?empresa_id={bad}"),
                Some(&w.t_sa),
                None,
            )
            .await;
        assert_eq!(malformed.status(), 422, "{bad}");
        assert_eq!(
            envelope(malformed).await,
            vec!["empresa_id: Not a valid UUID."]
        );
    }
    let padded = app
        .call(
            "GET",
            &format!("/api/usuarios?empresa_id=%20{b}%20"),
            Some(&w.t_sa),
            None,
        )
        .await;
    assert_eq!(padded.status(), 200, "spaces around the id are ignored");
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

on_both_databases!(
    role_matrix_covers_every_route,
    other_companies_ids_are_not_found_and_untouched,
    tenant_fields_in_bodies_are_refused,
    superadmins_act_on_a_named_company,
);
