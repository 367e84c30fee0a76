//! Rate limits per client: login's own, trusted proxies, the switch, Redis.

use crate::support::{PASSWORD, TestApp, TestDb, envelope};
use serde_json::json;

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
