//! `GET /metrics`: the figures move when requests are made, and only allowed
//! clients (or the separate METRICS_ADDR listener) get them.
//!
//! The registry is process-wide and other tests run at the same time, so each
//! check reads a figure before and after and asserts a lower bound on the move.

use std::time::Duration;

use serde_json::json;
use stay_sidekick::store::Role;

use crate::import::{catalogue, post_file};
use crate::support::{TestApp, TestDb, envelope, settings};

pub async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// The value of the sample named exactly `series` (name and labels), 0 if absent.
pub fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(series)?;
            rest.strip_prefix(' ')?.trim().parse().ok()
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn request_counts_and_latencies_move_by_route_template_and_status() {
    let app = TestApp::spawn().await;
    let health =
        r#"stay_sidekick_http_requests_total{method="GET",route="/api/health",status="200"}"#;
    let health_count =
        r#"stay_sidekick_http_request_duration_seconds_count{method="GET",route="/api/health"}"#;
    let user = r#"stay_sidekick_http_requests_total{method="DELETE",route="/api/usuarios/{usuario_id}",status="401"}"#;
    let unmatched =
        r#"stay_sidekick_http_requests_total{method="GET",route="unmatched",status="404"}"#;
    let before = scrape(&app).await;

    for _ in 0..3 {
        assert_eq!(app.get("/api/health").await.status(), 200);
    }
    let id = uuid::Uuid::new_v4();
    let response = app
        .call("DELETE", &format!("/api/usuarios/{id}"), None, None)
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(app.get("/api/no-such-route").await.status(), 404);

    let after = scrape(&app).await;
    assert!(value(&after, health) - value(&before, health) >= 3.0);
    assert!(value(&after, health_count) - value(&before, health_count) >= 3.0);
    assert!(value(&after, user) - value(&before, user) >= 1.0);
    assert!(value(&after, unmatched) - value(&before, unmatched) >= 1.0);
    // Templates, never raw paths: one series per route, not per row.
    assert!(!after.contains(&id.to_string()));
    assert!(!after.contains("no-such-route"));
}

#[tokio::test]
async fn rate_limit_refusals_are_counted_by_route() {
    let app = TestApp::spawn_configured(|s| s.rate_limit_default = "1/minute".into()).await;
    let series = r#"stay_sidekick_rate_limited_requests_total{method="GET",route="/api/perfil"}"#;
    let before = scrape(&app).await;
    assert_eq!(app.get("/api/perfil").await.status(), 401);
    assert_eq!(app.get("/api/perfil").await.status(), 429);
    let after = scrape(&app).await;
    assert!(value(&after, series) - value(&before, series) >= 1.0);
}

#[tokio::test]
async fn spreadsheet_rows_and_the_database_pool_are_reported() {
    let app = TestApp::spawn().await;
    app.seed_user("op@example.com", Role::Operations, false)
        .await;
    let token = app.login("op@example.com").await;
    let series = r#"stay_sidekick_spreadsheet_rows_parsed_total{sheet="apartments"}"#;
    let before = scrape(&app).await;
    let response = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion/preview",
        "catalogo.xlsx",
        catalogue(25),
    )
    .await;
    assert_eq!(response.status(), 200);
    let after = scrape(&app).await;
    assert!(value(&after, series) - value(&before, series) >= 25.0);
    assert!(value(&after, "stay_sidekick_db_pool_connections") >= 1.0);
    assert!(after.contains("stay_sidekick_bcrypt_queue_depth "));
}

#[tokio::test]
async fn outbound_calls_are_counted_by_provider_and_outcome() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let app = TestApp::spawn().await;
    let series =
        r#"stay_sidekick_outbound_calls_total{provider="metrics-test",outcome="status_5xx"}"#;
    let before = scrape(&app).await;
    let outbound = stay_sidekick::integrations::http::Outbound::new(true).unwrap();
    let url = url::Url::parse(&server.uri()).unwrap();
    let request = outbound.request(reqwest::Method::GET, url).unwrap();
    assert!(outbound.send_json("metrics-test", request).await.is_err());
    let after = scrape(&app).await;
    assert_eq!(value(&after, series) - value(&before, series), 1.0);
}

#[tokio::test]
async fn clients_outside_metrics_allow_are_refused() {
    // The test client is on loopback; allow only another network.
    let app = TestApp::spawn_configured(|s| s.ops.metrics_allow = "10.0.0.0/8".into()).await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 403);
    assert_eq!(envelope(response).await, vec!["Acceso denegado."]);

    // Behind a trusted proxy, the forwarded client counts, not the proxy.
    let app = TestApp::spawn_configured(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    let response = app
        .client
        .get(app.url("/metrics"))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.get("/metrics").await.status(), 200);
}

#[tokio::test]
async fn metrics_addr_moves_the_metrics_to_their_own_listener() {
    // A free port for METRICS_ADDR (bound, read, released).
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_addr = probe.local_addr().unwrap();
    drop(probe);
    let db = TestDb::sqlite();
    let mut config = settings(db.url());
    config.ops.metrics_addr = Some(metrics_addr);
    let state = stay_sidekick::build_state(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let main_addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(stay_sidekick::serve(
        listener,
        state,
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(1),
    ));
    let client = reqwest::Client::new();
    let mut answer = None;
    for _ in 0..50 {
        if let Ok(response) = client
            .get(format!("http://{metrics_addr}/metrics"))
            .send()
            .await
        {
            answer = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let answer = answer.expect("the metrics listener answers");
    assert_eq!(answer.status(), 200);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("stay_sidekick_http_requests_total")
    );

    let main = client
        .get(format!("http://{main_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404);
    assert_eq!(
        main.json::<serde_json::Value>().await.unwrap()["ok"],
        json!(false)
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    // The metrics listener stops with the server.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        client
            .get(format!("http://{metrics_addr}/metrics"))
            .send()
            .await
            .is_err()
    );
}
