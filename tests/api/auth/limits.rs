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

/// A TCP relay to Redis that can be cut, closing every connection through it
/// and every later one: Redis "down" for this test alone.
async fn cuttable_relay(redis_url: &str) -> (String, tokio::sync::watch::Sender<bool>) {
    use tokio::net::{TcpListener, TcpStream};
    let target = redis_url
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (cut, watch) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            if *watch.borrow() {
                continue; // dropped: closed at once
            }
            let mut watch = watch.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = TcpStream::connect(&target).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = watch.wait_for(|cut| *cut) => {}
                }
            });
        }
    });
    (format!("redis://{address}"), cut)
}

#[tokio::test]
async fn with_redis_down_limits_fall_back_to_this_instances_counters() {
    let Some(redis) = crate::support::redis_url() else {
        return;
    };
    let (relay, cut) = cuttable_relay(&redis).await;
    let app = TestApp::spawn_configured(|s| {
        s.redis_url = Some(relay.clone());
        s.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let client = format!("10.{}.{}.{}", rand_octet(), rand_octet(), rand_octet());
    let attempt = || {
        app.client
            .post(app.url("/api/auth/login"))
            .header("X-Forwarded-For", &client)
            .send()
    };
    for i in 0..4 {
        assert_eq!(attempt().await.unwrap().status(), 403, "through Redis, {i}");
    }
    cut.send(true).unwrap();
    // Counted locally from zero: the full limit of 10, then 429; never a 500,
    // and each answer bounded by the Redis timeout.
    for i in 0..10 {
        let started = std::time::Instant::now();
        let response = attempt().await.unwrap();
        assert_eq!(response.status(), 403, "counted locally, {i}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
    let limited = attempt().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}
