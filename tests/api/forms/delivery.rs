//! The outbox: failing or slow channels never slow or fail a submission; they
//! are retried, also after a restart; two instances never send one row twice;
//! Turnstile down is a refusal (fail closed), quickly; old rows are purged.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{
    access_body, contact_body, discord_ok, eventually, forms_settings, post_form, received,
    turnstile,
};
use crate::support::smtp::SmtpSink;
use crate::support::{TestApp, TestDb, envelope, open_store};

/// A free local port nobody listens on (yet).
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn failing_channels_answer_fast_and_deliver_later(db: TestDb) {
    let turnstile = turnstile().await;
    let discord = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&discord)
        .await;
    discord_ok(&discord).await;
    let port = closed_port().await;
    let app =
        TestApp::spawn_with(db.alias(), forms_settings(&db, &turnstile, &discord, port)).await;
    let started = Instant::now();
    let response = post_form(&app, "/api/contact", &access_body()).await;
    assert_eq!(response.status(), 200);
    let answered = started.elapsed();
    assert!(answered < Duration::from_secs(1), "{answered:?}");
    eprintln!("answered in {answered:?} with SMTP down and Discord failing");
    // SMTP comes up later, on the port it was configured with.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let smtp = SmtpSink::start_on(&format!("127.0.0.1:{port}")).await;
    eventually("both delivered", || async {
        let (items, _) = app.store().submissions(1, 1).await.unwrap();
        items[0].deliveries.iter().all(|d| d.state == "enviado")
    })
    .await;
    eprintln!(
        "both channels delivered {:?} after the submission",
        started.elapsed()
    );
    assert_eq!(smtp.count(), 1);
    let (items, _) = app.store().submissions(1, 1).await.unwrap();
    let discord_row = items[0]
        .deliveries
        .iter()
        .find(|d| d.channel == "discord")
        .unwrap();
    assert_eq!(discord_row.attempts, 3, "two 500s, then delivered");
    let email_row = items[0]
        .deliveries
        .iter()
        .find(|d| d.channel == "email")
        .unwrap();
    assert!(email_row.attempts >= 2, "{email_row:?}");
    // Exactly one successful post.
    assert_eq!(received(&discord, "/access").await.len(), 3);
}

async fn a_restarted_instance_delivers_what_the_first_could_not(db: TestDb) {
    let turnstile = turnstile().await;
    let discord = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&discord)
        .await;
    let smtp = SmtpSink::start_on("127.0.0.1:0").await;
    let mut settings = forms_settings(&db, &turnstile, &discord, smtp.addr.port());
    // The first retry is not due before the first instance stops.
    settings.forms.outbox_retry_base_ms = 2000;
    let first = TestApp::spawn_with(db, settings.clone()).await;
    assert_eq!(
        post_form(&first, "/api/contacto", &contact_body())
            .await
            .status(),
        200
    );
    eventually("a failed attempt", || async {
        !received(&discord, "/contact").await.is_empty()
    })
    .await;
    let db = first.shutdown().await;
    discord.reset().await;
    discord_ok(&discord).await;
    let second = TestApp::spawn_with(db, settings).await;
    eventually("delivered by the new instance", || async {
        let (items, _) = second.store().submissions(1, 1).await.unwrap();
        items[0].deliveries[0].state == "enviado"
    })
    .await;
    assert_eq!(received(&discord, "/contact").await.len(), 1);
}

async fn two_instances_never_send_a_row_twice(db: TestDb) {
    let turnstile = turnstile().await;
    let discord = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_millis(30)))
        .mount(&discord)
        .await;
    let smtp = SmtpSink::start_on("127.0.0.1:0").await;
    let settings = forms_settings(&db, &turnstile, &discord, smtp.addr.port());
    let one = TestApp::spawn_with(db.alias(), settings.clone()).await;
    let two = TestApp::spawn_with(db.alias(), settings).await;
    for i in 0..8 {
        let app = if i % 2 == 0 { &one } else { &two };
        assert_eq!(
            post_form(app, "/api/contacto", &contact_body())
                .await
                .status(),
            200
        );
    }
    eventually("all delivered", || async {
        let (items, total) = one.store().submissions(1, 50).await.unwrap();
        total == 8 && items.iter().all(|s| s.deliveries[0].state == "enviado")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(received(&discord, "/contact").await.len(), 8);
    // The claim itself, raced by two stores on many rows: disjoint (the
    // apps' notifiers stopped first, so only the two stores claim).
    one.shutdown().await;
    two.shutdown().await;
    let a = open_store(db.url()).await;
    let b = open_store(db.url()).await;
    for _ in 0..40 {
        a.create_submission("contacto", &json!({}), &["discord"])
            .await
            .unwrap();
    }
    let (ca, cb) = tokio::join!(claim_all(&a), claim_all(&b));
    let mut ids: Vec<_> = ca.iter().chain(cb.iter()).copied().collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((n, ids.len()), (40, 40));
}

async fn claim_all(store: &stay_sidekick::store::Store) -> Vec<uuid::Uuid> {
    let mut ids = Vec::new();
    loop {
        let now = Utc::now();
        let batch = store
            .claim_deliveries(now, now + chrono::Duration::minutes(5), 3)
            .await
            .unwrap();
        if batch.is_empty() {
            return ids;
        }
        ids.extend(batch.iter().map(|d| d.id));
    }
}

async fn turnstile_down_or_slow_is_refused_quickly(db: TestDb) {
    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": true}))
                .set_delay(Duration::from_secs(10)),
        )
        .mount(&slow)
        .await;
    let discord = MockServer::start().await;
    let smtp = SmtpSink::start_on("127.0.0.1:0").await;
    let mut settings = forms_settings(&db, &slow, &discord, smtp.addr.port());
    let app = TestApp::spawn_with(db.alias(), settings.clone()).await;
    let started = Instant::now();
    let response = post_form(&app, "/api/contact", &access_body()).await;
    assert_eq!(response.status(), 403);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        envelope(response).await,
        vec!["La verificación del captcha ha fallado."]
    );

    let broken = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"success": true})))
        .mount(&broken)
        .await;
    settings.forms.turnstile_verify_url = format!("{}/siteverify", broken.uri());
    let app2 = TestApp::spawn_with(db.alias(), settings.clone()).await;
    assert_eq!(
        post_form(&app2, "/api/contacto", &contact_body())
            .await
            .status(),
        422
    );
    settings.forms.turnstile_verify_url =
        format!("http://127.0.0.1:{}/siteverify", closed_port().await);
    let app3 = TestApp::spawn_with(db.alias(), settings).await;
    assert_eq!(
        post_form(&app3, "/api/contact", &access_body())
            .await
            .status(),
        403
    );
    assert_eq!(app.store().submissions(1, 20).await.unwrap().1, 0);
    assert!(discord.received_requests().await.unwrap().is_empty());
}

async fn submissions_past_retention_are_purged(db: TestDb) {
    let env = super::env(db).await;
    assert_eq!(
        post_form(&env.app, "/api/contacto", &contact_body())
            .await
            .status(),
        200
    );
    assert_eq!(
        post_form(&env.app, "/api/contacto", &contact_body())
            .await
            .status(),
        200
    );
    let (items, _) = env.app.store().submissions(1, 10).await.unwrap();
    let old = items[0].id;
    // Backdate one row past the 180 days.
    let url = env.app.db.url().to_string();
    if env.app.db.is_postgres() {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query(
            "UPDATE solicitudes SET created_at = now() - interval '181 days' WHERE id = $1",
        )
        .bind(old)
        .execute(&pool)
        .await
        .unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(
            "UPDATE solicitudes SET created_at = '2020-01-01T00:00:00+00:00' WHERE id = $1",
        )
        .bind(old.hyphenated().to_string())
        .execute(&pool)
        .await
        .unwrap();
    }
    eventually("purged", || async {
        env.app.store().submissions(1, 10).await.unwrap().1 == 1
    })
    .await;
    let (items, _) = env.app.store().submissions(1, 10).await.unwrap();
    assert_ne!(items[0].id, old);
}

on_forms_databases!(
    failing_channels_answer_fast_and_deliver_later,
    a_restarted_instance_delivers_what_the_first_could_not,
    two_instances_never_send_a_row_twice,
    turnstile_down_or_slow_is_refused_quickly,
    submissions_past_retention_are_purged,
);

/// `RATE_LIMIT_CONTACT` sets `/api/contact`'s limit.
#[tokio::test]
async fn rate_limit_contact_sets_the_access_request_limit() {
    let db = TestDb::sqlite();
    let turnstile = turnstile().await;
    let discord = MockServer::start().await;
    let mut settings = forms_settings(&db, &turnstile, &discord, closed_port().await);
    settings.rate_limit_contact = "2/hour".into();
    let app = TestApp::spawn_with(db, settings).await;
    for expected in [403, 403, 429] {
        let response = app
            .client
            .post(app.url("/api/contact"))
            .json(&access_body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
    }
}
