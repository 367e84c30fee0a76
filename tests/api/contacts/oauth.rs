//! The connection: OAuth start and callback (good, tampered, expired and
//! foreign states), status, disconnect with revocation, preferences, and
//! what company B sees of A's.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::json;
use stay_sidekick::security::oauth_state::{OAuthStart, OAuthStateKey};
use wiremock::matchers::{body_string, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{Ctx, SCOPE};
use crate::support::envelope;

const PERFIL: &str = "https://app.example.com/menu/perfil?";

async fn start_and_callback_connect_the_company(ctx: Ctx) {
    let (status, body) = ctx
        .json("GET", "/api/contactos/google/status", &ctx.op, None)
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"google": {"conectado": false}, "ok": true}))
    );
    // The consent URL: Google's page, the original's parameters in order.
    let (_, body) = ctx
        .json("GET", "/api/contactos/google/auth", &ctx.admin, None)
        .await;
    let url = body["url"].as_str().unwrap();
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, "https://accounts.google.com/o/oauth2/v2/auth");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "access_type",
            "prompt",
            "state"
        ]
    );
    assert_eq!(pairs[0].1, "client-1.apps.googleusercontent.com");
    assert_eq!(pairs[3].1, SCOPE);
    assert_eq!(
        (pairs[4].1.as_str(), pairs[5].1.as_str()),
        ("offline", "consent")
    );
    // An operator may not start it.
    let response = ctx
        .call("GET", "/api/contactos/google/auth", &ctx.op, None)
        .await;
    assert_eq!(response.status(), 403);

    ctx.connect().await;
    let stored = ctx
        .app
        .store()
        .google_connection(ctx.company)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.active);
    assert_eq!(stored.scope, SCOPE);
    assert_ne!(
        stored.refresh_token_encrypted, "refresh-1",
        "encrypted at rest"
    );
    let cipher = &ctx.app.state.cipher;
    assert_eq!(
        cipher.decrypt(&stored.refresh_token_encrypted).unwrap(),
        "refresh-1"
    );
    assert_eq!(
        cipher
            .decrypt(stored.access_token_encrypted.as_deref().unwrap())
            .unwrap(),
        "access-1"
    );
    let expiry = stored.token_expiry.unwrap() - Utc::now();
    assert!((3500..=3600).contains(&expiry.num_seconds()), "{expiry}");
    let (_, body) = ctx
        .json("GET", "/api/contactos/google/status", &ctx.op, None)
        .await;
    assert_eq!(
        body,
        json!({"google": {"alcance": SCOPE, "conectado": true, "ultimo_sync": null}, "ok": true})
    );
    // Company B sees nothing of it.
    let (_, body) = ctx
        .json("GET", "/api/contactos/google/status", &ctx.b_admin, None)
        .await;
    assert_eq!(body["google"], json!({"conectado": false}));
    assert!(
        ctx.app
            .store()
            .google_connection(ctx.b_company)
            .await
            .unwrap()
            .is_none()
    );
}

async fn callback_refuses_what_it_cannot_trust(ctx: Ctx) {
    ctx.mock_code_exchange().await;
    let good = ctx.start().await;
    let key = OAuthStateKey::new("test-secret-key");
    let now = Utc::now().timestamp();
    // Tampered: the payload changed, the signature kept.
    let (payload, tag) = good.rsplit_once('.').unwrap();
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let forged_text = text.replacen(
        &ctx.company.simple().to_string(),
        &ctx.b_company.simple().to_string(),
        1,
    );
    assert_ne!(forged_text, text);
    let tampered = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged_text));
    // Expired: issued eleven minutes ago.
    let expired = key.issue(
        OAuthStart {
            company_id: ctx.company,
            user_id: ctx.admin_id,
        },
        now - 660,
    );
    // Signed, but naming company B with A's admin.
    let foreign = key.issue(
        OAuthStart {
            company_id: ctx.b_company,
            user_id: ctx.admin_id,
        },
        now,
    );
    // Signed with another secret.
    let stranger = OAuthStateKey::new("another-secret").issue(
        OAuthStart {
            company_id: ctx.company,
            user_id: ctx.admin_id,
        },
        now,
    );
    let cases = [
        (
            format!("error=access_denied&state={good}&code=code-1"),
            "google_error=acceso_denegado",
        ),
        ("code=code-1".to_string(), "google_error=estado_invalido"),
        (
            format!("code=code-1&state={tampered}"),
            "google_error=estado_invalido",
        ),
        (
            format!("code=code-1&state={expired}"),
            "google_error=estado_invalido",
        ),
        (
            format!("code=code-1&state={foreign}"),
            "google_error=estado_invalido",
        ),
        (
            format!("code=code-1&state={stranger}"),
            "google_error=estado_invalido",
        ),
        (
            "code=code-1&state=garbage".to_string(),
            "google_error=estado_invalido",
        ),
        (format!("state={good}"), "google_error=codigo_invalido"),
        (
            format!("code=wrong&state={good}"),
            "google_error=token_fallido",
        ),
    ];
    for (query, result) in cases {
        assert_eq!(
            ctx.callback(&query).await,
            format!("{PERFIL}{result}"),
            "{query}"
        );
    }
    for company in [ctx.company, ctx.b_company] {
        assert!(
            ctx.app
                .store()
                .google_connection(company)
                .await
                .unwrap()
                .is_none()
        );
    }
    // Google answering without a refresh token is a failure too.
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(wiremock::matchers::body_string_contains("code=no-refresh"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "a", "expires_in": 3599})),
        )
        .mount(&ctx.google)
        .await;
    assert_eq!(
        ctx.callback(&format!("code=no-refresh&state={good}")).await,
        format!("{PERFIL}google_error=token_fallido")
    );
    assert!(
        ctx.app
            .store()
            .google_connection(ctx.company)
            .await
            .unwrap()
            .is_none()
    );
    // The good state still works (it is not single-use, as the original).
    assert_eq!(
        ctx.callback(&format!("code=code-1&state={good}")).await,
        format!("{PERFIL}google_conectado=true")
    );
}

async fn disconnect_revokes_the_token_at_google(ctx: Ctx) {
    ctx.connect().await;
    Mock::given(method("POST"))
        .and(path("/revoke"))
        .and(body_string("token=refresh-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&ctx.google)
        .await;
    let response = ctx
        .call("DELETE", "/api/contactos/google/conexion", &ctx.op, None)
        .await;
    assert_eq!(response.status(), 403);
    // B's admin cannot disconnect A.
    let response = ctx
        .call(
            "DELETE",
            "/api/contactos/google/conexion",
            &ctx.b_admin,
            None,
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        envelope(response).await,
        vec!["No hay cuenta Google conectada."]
    );
    assert!(
        ctx.app
            .store()
            .google_connection(ctx.company)
            .await
            .unwrap()
            .is_some()
    );
    let (status, body) = ctx
        .json("DELETE", "/api/contactos/google/conexion", &ctx.admin, None)
        .await;
    assert_eq!((status, body), (200, json!({"ok": true})));
    let (_, body) = ctx
        .json("GET", "/api/contactos/google/status", &ctx.admin, None)
        .await;
    assert_eq!(body["google"], json!({"conectado": false}));
    let response = ctx
        .call("DELETE", "/api/contactos/google/conexion", &ctx.admin, None)
        .await;
    assert_eq!(response.status(), 404);
}

async fn preference_updates_are_merged_per_company(ctx: Ctx) {
    let defaults = json!({"formato_fecha_salida": "YYMMDD", "plantilla": "{FECHA} - {APT} - {NOMBRE}",
        "separador_apt": ", ", "xlsx_reservas": {"col_checkin": 0, "col_nombre": 0, "col_telefono": 0, "col_tipologia": 0}});
    let path = "/api/contactos/preferencias";
    let (status, body) = ctx.json("GET", path, &ctx.op, None).await;
    assert_eq!(
        (status, body),
        (200, json!({"ok": true, "preferencias": defaults.clone()}))
    );
    // The sync page's save (any role), then the profile page's.
    let (status, body) = ctx
        .json(
            "PUT",
            path,
            &ctx.op,
            Some(json!({"plantilla": "{NOMBRE} {FECHA}", "formato_fecha_salida": "DD/MM/YYYY"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = ctx
        .json(
            "PUT",
            path,
            &ctx.admin,
            Some(json!({"xlsx_reservas": {"col_nombre": "3", "col_telefono": 5}})),
        )
        .await;
    let expected = json!({"formato_fecha_salida": "DD/MM/YYYY", "plantilla": "{NOMBRE} {FECHA}", "separador_apt": ", ",
        "xlsx_reservas": {"col_checkin": 0, "col_nombre": 3, "col_telefono": 5, "col_tipologia": 0}});
    assert_eq!(body, json!({"ok": true, "preferencias": expected.clone()}));
    let (_, body) = ctx.json("GET", path, &ctx.admin, None).await;
    assert_eq!(body["preferencias"], expected);
    // A sent xlsx_reservas replaces all four columns.
    let (_, body) = ctx
        .json(
            "PUT",
            path,
            &ctx.admin,
            Some(json!({"xlsx_reservas": {"col_checkin": 2}})),
        )
        .await;
    assert_eq!(
        body["preferencias"]["xlsx_reservas"],
        json!({"col_checkin": 2, "col_nombre": 0, "col_telefono": 0, "col_tipologia": 0})
    );
    assert_eq!(body["preferencias"]["plantilla"], json!("{NOMBRE} {FECHA}"));
    // Validation: 422 with the original's messages, nothing stored.
    for (bad, message) in [
        (
            json!({"plantilla": null}),
            "plantilla: Field may not be null.",
        ),
        (
            json!({"formato_fecha_salida": "YYYY"}),
            "formato_fecha_salida: Must be one of: YYMMDD, YYYYMMDD, DD/MM/YYYY, DD/MM/YY, MM/DD/YYYY, DD-MM-YYYY.",
        ),
        (
            json!({"xlsx_reservas": 3}),
            "xlsx_reservas: Invalid input type.",
        ),
        (
            json!({"xlsx_reservas": {"col_nombre": "x"}}),
            "xlsx_reservas: Not a valid integer.",
        ),
        (
            json!({"xlsx_reservas": {"otra": 1}}),
            "xlsx_reservas: Unknown field.",
        ),
        (json!({"otro": 1}), "otro: Unknown field."),
    ] {
        let response = ctx.call("PUT", path, &ctx.admin, Some(bad.clone())).await;
        assert_eq!(response.status(), 422, "{bad}");
        assert_eq!(envelope(response).await, vec![message.to_string()], "{bad}");
    }
    let response = ctx.call("PUT", path, &ctx.admin, Some(json!({}))).await;
    assert_eq!(response.status(), 400, "falsy body");
    // B still has the defaults.
    let (_, body) = ctx.json("GET", path, &ctx.b_admin, None).await;
    assert_eq!(body["preferencias"], defaults);
}

contacts_cases!(
    start_and_callback_connect_the_company,
    callback_refuses_what_it_cannot_trust,
    disconnect_revokes_the_token_at_google,
    preference_updates_are_merged_per_company,
);
