//! CSRF, login, token validation and the auth extractors over real HTTP.

mod limits;
mod temporary;
mod tokens;

use crate::support::{PASSWORD, TestApp, envelope};
use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};
use stay_sidekick::store::{Role, UserChange};

pub(super) fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    assert!(bytes.is_ascii(), "payload must stay ASCII for atob()");
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn csrf_token_sets_a_matching_strict_cookie() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/csrf-token").await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ok"], true);
    let token = body["csrf_token"].as_str().unwrap();
    assert!(
        cookie.starts_with(&format!("csrf_token={token};")),
        "{cookie}"
    );
    for attribute in [
        "Max-Age=3600",
        "Path=/",
        "SameSite=Strict",
        "Secure",
        "Expires=",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("HttpOnly"), "the web app reads it from JS");
    // A new token on every call.
    let (other, _) = app.csrf().await;
    assert_ne!(other, token);
}

#[tokio::test]
async fn csrf_cookie_is_not_secure_in_development() {
    let app = TestApp::spawn_configured(|s| s.flask_env = "development".into()).await;
    let response = app.get("/api/csrf-token").await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn login_without_a_valid_csrf_pair_is_403() {
    let app = TestApp::spawn().await;
    app.seed_user("ana@example.com", Role::Admin, false).await;
    let body = json!({"email": "ana@example.com", "password": PASSWORD});
    let post = |headers: Vec<(&'static str, String)>| {
        let mut request = app.client.post(app.url("/api/auth/login")).json(&body);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        request.send()
    };
    let missing = post(vec![]).await.unwrap();
    assert_eq!(missing.status(), 403);
    assert_eq!(envelope(missing).await, vec!["Token CSRF ausente."]);

    let (token, cookie) = app.csrf().await;
    let header_only = post(vec![("X-CSRF-Token", token.clone())]).await.unwrap();
    assert_eq!(envelope(header_only).await, vec!["Token CSRF ausente."]);

    let (other, _) = app.csrf().await;
    let mismatch = post(vec![("X-CSRF-Token", other), ("Cookie", cookie.clone())])
        .await
        .unwrap();
    assert_eq!(mismatch.status(), 403);
    assert_eq!(envelope(mismatch).await, vec!["Token CSRF inválido."]);

    // An equal pair the server never issued (accepted by the original).
    let forged = post(vec![
        ("X-CSRF-Token", "abc".into()),
        ("Cookie", "csrf_token=abc".into()),
    ])
    .await
    .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(envelope(forged).await, vec!["Token CSRF inválido."]);

    let good = post(vec![
        ("X-CSRF-Token", token),
        ("Cookie", format!("theme=dark; {cookie}")),
    ])
    .await
    .unwrap();
    assert_eq!(good.status(), 200);
}

#[tokio::test]
async fn login_issues_a_token_with_the_original_claims() {
    let app = TestApp::spawn().await;
    let user = app
        .seed_user("dev@staysidekick.es", Role::Admin, true)
        .await;
    let response = app.post_login(&json!({"email": " <b>DEV@StaySidekick.es</b>", "password": "<correct-horse-1>", "origen": "web"})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["debe_cambiar_password"], false);
    let token = body["token"].as_str().unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(header).unwrap(),
        r#"{"alg":"HS256","typ":"JWT"}"#
    );
    let claims = claims_of(token);
    assert_eq!(claims["sub"], "dev@staysidekick.es");
    assert_eq!(claims["user_id"], user.id.to_string());
    assert_eq!(claims["empresa_id"], user.company_id.to_string());
    assert_eq!(claims["rol"], "admin");
    assert_eq!(claims["es_superadmin"], true);
    assert_eq!(claims["debe_cambiar_password"], false);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 3600);
    assert!((Utc::now().timestamp() - iat).abs() < 5);
    let keys: Vec<&String> = claims.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.len(),
        9,
        "the original's 8 claims and our jti: {keys:?}"
    );
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
}

#[tokio::test]
async fn login_flags_a_password_that_must_change() {
    let app = TestApp::spawn().await;
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let company = app
        .seed_user("owner@example.com", Role::Admin, false)
        .await
        .company_id;
    for (email, changed) in [
        ("never@example.com", None),
        (
            "stale@example.com",
            Some(Utc::now() - chrono::Duration::days(31)),
        ),
        (
            "y2k@example.com",
            Some(
                chrono::DateTime::parse_from_rfc3339("2000-06-01T00:00:00Z")
                    .unwrap()
                    .to_utc(),
            ),
        ),
    ] {
        app.store()
            .create_user(
                company,
                stay_sidekick::store::NewUser {
                    email: email.into(),
                    password_hash: hash.clone(),
                    role: Role::Operations,
                    is_superadmin: false,
                    password_changed_at: changed,
                    temporary_password: false,
                },
            )
            .await
            .unwrap();
        let response = app
            .post_login(&json!({"email": email, "password": PASSWORD}))
            .await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["debe_cambiar_password"], true, "{email}");
        assert_eq!(
            claims_of(body["token"].as_str().unwrap())["debe_cambiar_password"],
            true
        );
    }
}

#[tokio::test]
async fn unknown_user_inactive_user_and_wrong_password_look_the_same() {
    let app = TestApp::spawn().await;
    let user = app.seed_user("ana@example.com", Role::Admin, false).await;
    let inactive = app.seed_user("ida@example.com", Role::Admin, false).await;
    app.store()
        .update_user(inactive.company_id, inactive.id, UserChange::Active(false))
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for (email, password) in [
        ("ana@example.com", "wrong-password"),
        ("nobody@example.com", PASSWORD),
        ("ida@example.com", PASSWORD),
    ] {
        let before = app.state.hasher.verifications();
        let response = app
            .post_login(&json!({"email": email, "password": password}))
            .await;
        assert_eq!(response.status(), 401, "{email}");
        // The same bcrypt work for every refusal: no timing oracle.
        assert_eq!(app.state.hasher.verifications(), before + 1, "{email}");
        bodies.push(response.text().await.unwrap());
    }
    assert!(
        bodies
            .iter()
            .all(|b| b == "{\"errors\":[\"Credenciales incorrectas.\"],\"ok\":false}\n"),
        "{bodies:?}"
    );
    let _ = user;
}

#[tokio::test]
async fn login_bodies_that_are_not_usable_json() {
    let app = TestApp::spawn_configured(|s| s.ratelimit_enabled = false).await;
    let (token, cookie) = app.csrf().await;
    let send = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("X-CSRF-Token", token.clone())
            .header("Cookie", cookie.clone())
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    for body in [
        "",
        "{}",
        "[]",
        "null",
        "0",
        "\"\"",
        "false",
        "{\"email\": ",
        "{\"a\":1}}",
    ] {
        let response = send("application/json", body).await.unwrap();
        assert_eq!(response.status(), 400, "{body:?}");
        assert_eq!(
            envelope(response).await,
            vec!["Se esperaba un cuerpo JSON."]
        );
    }
    let response = send("text/plain", "{\"email\":\"a@b.es\"}").await.unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(
        envelope(response).await,
        vec!["Tipo de contenido no soportado: se esperaba application/json."]
    );
    let response = send("application/x-www-form-urlencoded", "email=a&password=b")
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    for body in ["[1]", "\"abc\"", "true", "7"] {
        let response = send("application/json", body).await.unwrap();
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(
            envelope(response).await,
            vec!["_schema: Invalid input type."]
        );
    }
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-CSRF-Token", token.clone())
        .header("Cookie", cookie.clone())
        .header("Content-Type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        400,
        "nesting beyond serde's limit is a 4xx"
    );
}

#[tokio::test]
async fn login_validation_errors_are_422_in_the_original_order() {
    let app = TestApp::spawn_configured(|s| s.ratelimit_enabled = false).await;
    let cases = [
        (
            json!({"password": PASSWORD}),
            vec!["email: El correo electrónico es obligatorio."],
        ),
        (
            json!({"email": "x@example.com", "password": "short"}),
            vec!["password: Length must be between 8 and 128."],
        ),
        (
            json!({"email": "not-an-email", "password": "short"}),
            vec![
                "password: Length must be between 8 and 128.",
                "email: El correo electrónico no es válido.",
            ],
        ),
        (
            json!({"email": "a@localhost", "password": PASSWORD}),
            vec!["email: El correo electrónico no es válido."],
        ),
        (
            json!({"email": "x@example.com", "password": "ñ".repeat(37)}),
            vec!["password: La contraseña no puede superar 72 bytes."],
        ),
        (
            json!({"email": "x@example.com", "password": "          "}),
            vec!["password: La contraseña no puede estar vacía o ser solo espacios."],
        ),
    ];
    for (body, expected) in cases {
        let response = app.post_login(&body).await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(envelope(response).await, expected, "{body}");
    }
}
