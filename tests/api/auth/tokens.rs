//! Tokens and roles: validacion, forged tokens, revocation, the role extractors.

use super::claims_of;
use crate::support::{TestApp, TestDb, envelope};
use axum::routing::get;
use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};
use stay_sidekick::http::auth::{AdminOrSuperadmin, AdminUser, AuthUser, Superadmin};
use stay_sidekick::store::{Role, UserChange};

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

/// Two instances on one database (PostgreSQL when `TEST_DATABASE_URL` is set,
/// else one SQLite file): a user deleted through one is refused at once there
/// and within 2 s on the other, whose cached row it cannot clear.
#[tokio::test]
async fn a_deleted_user_is_refused_on_another_instance_within_two_seconds() {
    let db = match TestDb::postgres().await {
        Some(db) => db,
        None => TestDb::sqlite(),
    };
    let first = TestApp::spawn_on(db).await;
    let state = stay_sidekick::build_state(crate::support::settings(first.db.url()))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = format!("http://{}", listener.local_addr().unwrap());
    let service =
        stay_sidekick::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });

    let user = first
        .seed_user("gone@example.com", Role::Admin, false)
        .await;
    let token = first.login("gone@example.com").await;
    let on_second = || {
        first
            .client
            .get(format!("{second}/api/auth/validacion"))
            .bearer_auth(&token)
            .send()
    };
    // Both instances now hold the row.
    assert_eq!(on_second().await.unwrap().status(), 200);
    assert_eq!(
        first
            .get_auth("/api/auth/validacion", &token)
            .await
            .status(),
        200
    );

    first
        .store()
        .delete_user(user.company_id, user.id)
        .await
        .unwrap();
    assert_eq!(
        first
            .get_auth("/api/auth/validacion", &token)
            .await
            .status(),
        401
    );
    let deleted_at = std::time::Instant::now();
    loop {
        let status = on_second().await.unwrap().status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            deleted_at.elapsed() < std::time::Duration::from_secs(2),
            "the other instance still accepts the token after 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.abort();
}
