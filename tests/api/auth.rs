//! CSRF, login, token validation and the auth extractors over real HTTP.

use crate::support::{PASSWORD, TestApp, TestDb, envelope};
use axum::routing::get;
use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};
use stay_sidekick::http::auth::{AdminOrSuperadmin, AdminUser, AuthUser, Superadmin};
use stay_sidekick::store::{Role, UserChange};

fn claims_of(token: &str) -> Value {
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

#[tokio::test]
async fn login_is_limited_to_10_per_hour_per_client_with_retry_after() {
    let app = TestApp::spawn().await;
    // Every attempt counts, even those refused by CSRF.
    for i in 0..10 {
        let response = app
            .client
            .post(app.url("/api/auth/login"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "attempt {i}");
    }
    let response = app
        .post_login(&json!({"email": "a@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(
        envelope(response).await,
        vec!["Demasiadas solicitudes. Inténtalo más tarde."]
    );
    // Another route keeps its own counter.
    assert_eq!(app.get("/api/csrf-token").await.status(), 200);
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    // Untrusted peer: rotating X-Forwarded-For does not buy new buckets.
    let app = TestApp::spawn().await;
    for i in 0..10 {
        let response = app
            .client
            .post(app.url("/api/auth/login"))
            .header("X-Forwarded-For", format!("198.51.100.{i}"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    }
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-For", "198.51.100.99")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);

    // Trusted proxy: each forwarded client has its own bucket.
    let app = TestApp::spawn_configured(|s| s.trusted_proxies = "127.0.0.1/32".into()).await;
    for _ in 0..10 {
        let response = app
            .client
            .post(app.url("/api/auth/login"))
            .header("X-Forwarded-For", "203.0.113.1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    }
    let blocked = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-For", "203.0.113.1")
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 429);
    let other = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-For", "203.0.113.2")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
}

#[tokio::test]
async fn rate_limits_can_be_disabled() {
    let app = TestApp::spawn_configured(|s| s.ratelimit_enabled = false).await;
    for _ in 0..15 {
        assert_eq!(
            app.client
                .post(app.url("/api/auth/login"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
    }
}

#[tokio::test]
async fn two_instances_share_one_limit_through_redis() {
    let db = TestDb::sqlite();
    let Some(redis) = crate::support::redis_url() else {
        return;
    };
    let mut settings = crate::support::settings(db.url());
    settings.redis_url = Some(redis.clone());
    settings.trusted_proxies = "127.0.0.1".into();
    let first = TestApp::spawn_with(db, settings.clone()).await;
    let db2 = TestDb::sqlite();
    settings.database_url = Some(db2.url().to_string());
    let second = TestApp::spawn_with(db2, settings).await;
    // A client address of this test alone, so runs never share a counter.
    let client = format!("10.{}.{}.{}", rand_octet(), rand_octet(), rand_octet());
    for i in 0..10 {
        let app = if i % 2 == 0 { &first } else { &second };
        let response = app
            .client
            .post(app.url("/api/auth/login"))
            .header("X-Forwarded-For", &client)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "attempt {i}");
    }
    for app in [&first, &second] {
        let response = app
            .client
            .post(app.url("/api/auth/login"))
            .header("X-Forwarded-For", &client)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
        assert!(response.headers().contains_key("retry-after"));
    }
}

fn rand_octet() -> u8 {
    (uuid::Uuid::new_v4().as_u128() % 250) as u8 + 1
}

#[tokio::test]
async fn validacion_is_200_empty_for_a_valid_token_and_401_otherwise() {
    let app = TestApp::spawn().await;
    app.seed_user("ana@example.com", Role::Operations, false)
        .await;
    let token = app.login("ana@example.com").await;
    let ok = app.get_auth("/api/auth/validacion", &token).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "");
    let missing = app.get("/api/auth/validacion").await;
    assert_eq!(missing.status(), 401);
    assert_eq!(envelope(missing).await, vec!["Token de acceso requerido."]);
    for bad in ["", "abc", &token[..token.len() - 2], &format!("{token}x")] {
        let response = app.get_auth("/api/auth/validacion", bad).await;
        assert_eq!(response.status(), 401, "{bad:?}");
    }
    let lower = app
        .client
        .get(app.url("/api/auth/validacion"))
        .header("Authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), 401, "the Bearer prefix is case-sensitive");
    let query = app
        .get(&format!("/api/auth/validacion?token={token}"))
        .await;
    assert_eq!(
        query.status(),
        401,
        "tokens are not taken from the query string"
    );
}

/// Forged tokens: signed with the right secret but wrong in one way each,
/// or not signed right at all. Every one is refused.
#[tokio::test]
async fn forged_and_malformed_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.seed_user("ana@example.com", Role::Admin, false).await;
    let good = app.login("ana@example.com").await;
    let now = Utc::now().timestamp();
    let base = json!({
        "sub": "ana@example.com", "iat": now - 10, "exp": now + 600, "user_id": user.id,
        "empresa_id": user.company_id, "rol": "admin", "es_superadmin": false, "debe_cambiar_password": false
    });
    let sign = |header: Value, claims: &Value, secret: &[u8]| {
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
        };
        let message = format!("{}.{}", b64(&header), b64(claims));
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(message.as_bytes());
        format!(
            "{message}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    };
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let secret = b"test-jwt-secret";
    let with = |key: &str, value: Value| {
        let mut claims = base.clone();
        claims[key] = value;
        claims
    };
    let without = |key: &str| {
        let mut claims = base.clone();
        claims.as_object_mut().unwrap().remove(key);
        claims
    };
    let control = sign(hs256.clone(), &base, secret);
    assert_eq!(
        app.get_auth("/api/auth/validacion", &control)
            .await
            .status(),
        200,
        "the forging helper works"
    );
    let other_company = app
        .seed_user("bob@example.com", Role::Admin, false)
        .await
        .company_id;
    let forged = vec![
        ("other secret", sign(hs256.clone(), &base, b"other")),
        (
            "alg none",
            format!("{}.", control.rsplit_once('.').unwrap().0),
        ),
        (
            "HS384 header",
            sign(json!({"alg": "HS384", "typ": "JWT"}), &base, secret),
        ),
        (
            "HS512 header",
            sign(json!({"alg": "HS512", "typ": "JWT"}), &base, secret),
        ),
        (
            "RS256 header",
            sign(json!({"alg": "RS256", "typ": "JWT"}), &base, secret),
        ),
        (
            "none header",
            sign(json!({"alg": "none", "typ": "JWT"}), &base, secret),
        ),
        (
            "expired",
            sign(hs256.clone(), &with("exp", json!(now - 1)), secret),
        ),
        (
            "exp as string",
            sign(
                hs256.clone(),
                &with("exp", json!((now + 600).to_string())),
                secret,
            ),
        ),
        ("no exp", sign(hs256.clone(), &without("exp"), secret)),
        ("no iat", sign(hs256.clone(), &without("iat"), secret)),
        (
            "future iat",
            sign(hs256.clone(), &with("iat", json!(now + 120)), secret),
        ),
        (
            "future nbf",
            sign(hs256.clone(), &with("nbf", json!(now + 120)), secret),
        ),
        (
            "with aud",
            sign(hs256.clone(), &with("aud", json!("x")), secret),
        ),
        (
            "no user_id",
            sign(hs256.clone(), &without("user_id"), secret),
        ),
        (
            "bad user_id",
            sign(hs256.clone(), &with("user_id", json!("nope")), secret),
        ),
        (
            "unknown user",
            sign(
                hs256.clone(),
                &with("user_id", json!(uuid::Uuid::new_v4())),
                secret,
            ),
        ),
        (
            "company swapped",
            sign(
                hs256.clone(),
                &with("empresa_id", json!(other_company)),
                secret,
            ),
        ),
        ("tampered payload", {
            let parts: Vec<&str> = good.split('.').collect();
            let claims = with("empresa_id", json!(other_company));
            let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&claims).unwrap());
            format!("{}.{payload}.{}", parts[0], parts[2])
        }),
        ("no signature", good.rsplit_once('.').unwrap().0.to_string()),
        (
            "kid injected",
            sign(
                json!({"alg": "HS256", "typ": "JWT", "kid": "../../dev/null", "jku": "http://evil"}),
                &base,
                b"",
            ),
        ),
        ("garbage", "a.b.c".to_string()),
        ("non-ascii", "ñ.ñ.ñ".to_string()),
    ];
    for (what, token) in forged {
        let response = app.get_auth("/api/auth/validacion", &token).await;
        assert_eq!(response.status(), 401, "{what}");
    }
}

#[tokio::test]
async fn tokens_of_deleted_deactivated_or_reset_users_stop_working() {
    let app = TestApp::spawn().await;
    let deleted = app.seed_user("del@example.com", Role::Admin, false).await;
    let deactivated = app.seed_user("off@example.com", Role::Admin, false).await;
    let changed = app.seed_user("pw@example.com", Role::Admin, false).await;
    let (t_deleted, t_off) = (
        app.login("del@example.com").await,
        app.login("off@example.com").await,
    );
    let old = app.login("pw@example.com").await;
    for token in [&t_deleted, &t_off, &old] {
        assert_eq!(
            app.get_auth("/api/auth/validacion", token).await.status(),
            200
        );
    }
    app.store()
        .delete_user(deleted.company_id, deleted.id)
        .await
        .unwrap();
    app.store()
        .update_user(
            deactivated.company_id,
            deactivated.id,
            UserChange::Active(false),
        )
        .await
        .unwrap();
    assert_eq!(
        app.get_auth("/api/auth/validacion", &t_deleted)
            .await
            .status(),
        401
    );
    let response = app.get_auth("/api/auth/validacion", &t_off).await;
    assert_eq!(response.status(), 401);
    assert_eq!(envelope(response).await, vec!["Token inválido o expirado."]);

    // A self-service change keeps the token that made it (same iat) and
    // refuses earlier ones.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let current = app.login("pw@example.com").await;
    let current_iat = claims_of(&current)["iat"].as_i64().unwrap();
    let from = chrono::DateTime::from_timestamp(current_iat, 0).unwrap();
    app.store()
        .update_user(
            changed.company_id,
            changed.id,
            UserChange::TokensValidFrom(from),
        )
        .await
        .unwrap();
    assert_eq!(
        app.get_auth("/api/auth/validacion", &old).await.status(),
        401
    );
    assert_eq!(
        app.get_auth("/api/auth/validacion", &current)
            .await
            .status(),
        200
    );
}

/// Probe routes behind the real middleware, one per extractor.
async fn probe_app() -> TestApp {
    let db = TestDb::sqlite();
    let state = stay_sidekick::build_state(crate::support::settings(db.url()))
        .await
        .unwrap();
    let router = axum::Router::new()
        .route("/probe/user", get(|_: AuthUser| async { "ok" }))
        .route("/probe/admin", get(|_: AdminUser| async { "ok" }))
        .route(
            "/probe/admin-or-superadmin",
            get(|_: AdminOrSuperadmin| async { "ok" }),
        )
        .route("/probe/superadmin", get(|_: Superadmin| async { "ok" }))
        .merge(stay_sidekick::app::routes().split_for_parts().0);
    let router = stay_sidekick::http::middleware::with_middleware(router, state.clone());
    TestApp::serve_router(db, state, router).await
}

#[tokio::test]
async fn role_extractors_follow_the_original_matrix() {
    let app = probe_app().await;
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    app.seed_user("admin@example.com", Role::Admin, false).await;
    app.seed_user("sa-op@example.com", Role::Operations, true)
        .await;
    app.seed_user("sa@example.com", Role::Admin, true).await;
    let tokens = [
        ("op", app.login("op@example.com").await),
        ("admin", app.login("admin@example.com").await),
        ("sa-op", app.login("sa-op@example.com").await),
        ("sa", app.login("sa@example.com").await),
    ];
    // (route, expected status for op, admin, superadmin with rol operativo, superadmin admin)
    let matrix = [
        ("/probe/user", [200, 200, 200, 200]),
        ("/probe/admin", [403, 200, 403, 200]),
        ("/probe/admin-or-superadmin", [403, 200, 200, 200]),
        ("/probe/superadmin", [403, 403, 200, 200]),
    ];
    for (route, expected) in matrix {
        assert_eq!(app.get(route).await.status(), 401, "anonymous {route}");
        for ((who, token), status) in tokens.iter().zip(expected) {
            let response = app.get_auth(route, token).await;
            assert_eq!(response.status(), status, "{who} on {route}");
            if status == 403 {
                assert_eq!(envelope(response).await, vec!["Acceso denegado."]);
            }
        }
    }
}

#[tokio::test]
async fn a_role_taken_away_is_refused_on_the_next_request() {
    let app = probe_app().await;
    let admin = app.seed_user("admin@example.com", Role::Admin, true).await;
    let token = app.login("admin@example.com").await;
    assert_eq!(app.get_auth("/probe/admin", &token).await.status(), 200);
    assert_eq!(
        app.get_auth("/probe/superadmin", &token).await.status(),
        200
    );
    app.store()
        .update_user(
            admin.company_id,
            admin.id,
            UserChange::Role(Role::Operations),
        )
        .await
        .unwrap();
    app.store()
        .update_user(admin.company_id, admin.id, UserChange::Superadmin(false))
        .await
        .unwrap();
    assert_eq!(app.get_auth("/probe/admin", &token).await.status(), 403);
    assert_eq!(
        app.get_auth("/probe/superadmin", &token).await.status(),
        403
    );
    assert_eq!(app.get_auth("/probe/user", &token).await.status(), 200);
}
