//! The public forms over real HTTP, on SQLite and PostgreSQL, with a wiremock
//! Turnstile and Discord and a local SMTP sink: stored then notified by the
//! outbox (retries, restarts, two instances), honeypot, captcha, CSRF,
//! validation, retention, and the superadmin's list.

mod admin;
mod delivery;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stay_sidekick::config::Settings;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::smtp::SmtpSink;
use crate::support::{TestApp, TestDb, settings};

pub(super) struct Env {
    pub app: TestApp,
    pub turnstile: MockServer,
    pub discord: MockServer,
    pub smtp: SmtpSink,
}

/// Settings pointing every channel at the test's mocks.
pub(super) fn forms_settings(
    db: &TestDb,
    turnstile: &MockServer,
    discord: &MockServer,
    smtp_port: u16,
) -> Settings {
    let mut s = settings(db.url());
    s.rate_limit_contact = "1000/hour".into();
    s.gmail_user = Some("bot@example.com".into());
    s.gmail_app_password = Some("app-password".into());
    let f = &mut s.forms;
    f.turnstile_secret_key = Some("the-secret".into());
    f.turnstile_verify_url = format!("{}/siteverify", turnstile.uri());
    f.turnstile_timeout_ms = 500;
    f.mail_recipient = Some("ops@example.com".into());
    f.smtp_host = "127.0.0.1".into();
    f.smtp_port = smtp_port;
    f.smtp_tls = "none".into();
    f.smtp_timeout_seconds = 2;
    f.discord_webhook_url = Some(format!("{}/access", discord.uri()));
    f.discord_webhook_contact_url = Some(format!("{}/contact", discord.uri()));
    f.outbox_poll_ms = 100;
    f.outbox_retry_base_ms = 100;
    s
}

/// Turnstile accepts the token `good` only.
pub(super) async fn turnstile() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/siteverify"))
        .and(body_string_contains("response=good"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/siteverify"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"success": false, "error-codes": ["invalid-input-response"]}),
            ),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

pub(super) async fn discord_ok(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

pub(super) async fn env(db: TestDb) -> Env {
    let turnstile = turnstile().await;
    let discord = MockServer::start().await;
    discord_ok(&discord).await;
    let smtp = SmtpSink::start_on("127.0.0.1:0").await;
    let settings = forms_settings(&db, &turnstile, &discord, smtp.addr.port());
    Env {
        app: TestApp::spawn_with(db, settings).await,
        turnstile,
        discord,
        smtp,
    }
}

pub(super) fn access_body() -> Value {
    json!({"company_name": "Acme Rentals", "company_email": "Ops@Acme.es", "country_code": "ES",
        "phone": "612 345 678", "is_member": false, "message": "", "turnstile_token": "good",
        "privacy_accepted": true, "website": ""})
}

pub(super) fn contact_body() -> Value {
    json!({"nombre": "Ana Gil", "email": "ana@cliente.es", "empresa": "", "mensaje":
        "Quiero saber más del producto.", "turnstile_token": "good", "website": ""})
}

/// POST with a fresh CSRF pair, as the static site sends it.
pub(super) async fn post_form(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    let (token, cookie) = app.csrf().await;
    app.client
        .post(app.url(path))
        .header("X-CSRF-Token", token)
        .header("Cookie", cookie)
        .header("Accept", "application/json")
        .json(body)
        .send()
        .await
        .expect("form request")
}

/// The JSON bodies the mock received on `path`.
pub(super) async fn received(server: &MockServer, on: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == on)
        .filter_map(|r| serde_json::from_slice(&r.body).ok())
        .collect()
}

/// Waits (up to 10 s) until `check` holds.
pub(super) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn valid_access_request_is_stored_mailed_and_posted(db: TestDb) {
    let env = env(db).await;
    let started = Instant::now();
    let response = post_form(&env.app, "/api/contact", &access_body()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "{\"message\":\"Solicitud recibida correctamente.\",\"ok\":true}\n"
    );
    let answered = started.elapsed();
    assert!(answered < Duration::from_secs(2), "{answered:?}");
    eprintln!("valid access request answered in {answered:?} (CSRF fetch included)");
    let verify = &env.turnstile.received_requests().await.unwrap()[0];
    let form = String::from_utf8_lossy(&verify.body).to_string();
    assert!(
        form.contains("secret=the-secret") && form.contains("remoteip=127.0.0.1"),
        "{form}"
    );

    eventually("discord and mail", || async {
        received(&env.discord, "/access").await.len() == 1 && env.smtp.count() == 1
    })
    .await;
    let embed = &received(&env.discord, "/access").await[0]["embeds"][0];
    assert_eq!(embed["title"], "Nueva solicitud de contacto");
    assert_eq!(embed["color"], 5793266);
    let fields: Vec<(String, String)> = embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().into(),
                f["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            ("Empresa".into(), "Acme Rentals".into()),
            ("Email".into(), "Ops@acme.es".into()),
            ("Teléfono".into(), "+34612345678".into()),
            ("Miembro".into(), "No".into()),
            ("Mensaje".into(), "(sin mensaje)".into()),
        ]
    );
    assert_eq!(
        embed["footer"]["text"],
        "Stay Sidekick — Formulario de contacto"
    );
    let mail = env.smtp.messages.lock().unwrap()[0].clone();
    assert!(
        mail.contains("Subject: [Stay Sidekick] Nueva solicitud de Acme Rentals"),
        "{mail}"
    );
    assert!(
        mail.contains("To: ops@example.com") && mail.contains("From: bot@example.com"),
        "{mail}"
    );
    use base64::Engine as _;
    let (_, encoded) = mail.split_once("\n\n").expect("headers, then the body");
    let body = base64::engine::general_purpose::STANDARD
        .decode(encoded.replace('\n', ""))
        .expect("base64 body");
    let rule = "\u{2500}".repeat(37);
    let expected = format!(
        "Se ha recibido una nueva solicitud desde el formulario de contacto.\n\n{rule}\n  \
         Empresa:   Acme Rentals\n  Email:     Ops@acme.es\n  Teléfono:  +34612345678\n  \
         Miembro:   No\n{rule}\n\nMensaje:\n(sin mensaje)\n"
    );
    assert_eq!(
        String::from_utf8(body).unwrap().replace("\r\n", "\n"),
        expected
    );
}

async fn valid_contact_message_posts_its_embed_and_no_mail(db: TestDb) {
    let env = env(db).await;
    let mut body = contact_body();
    body["empresa"] = json!("Hotel Sol");
    let response = post_form(&env.app, "/api/contacto", &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "{\"message\":\"Mensaje enviado correctamente.\",\"ok\":true}\n"
    );
    eventually("discord", || async {
        received(&env.discord, "/contact").await.len() == 1
    })
    .await;
    let embed = &received(&env.discord, "/contact").await[0]["embeds"][0];
    assert_eq!(embed["title"], "Nuevo mensaje de contacto");
    assert_eq!(embed["color"], 5763719);
    let names: Vec<&str> = embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Nombre", "Email", "Empresa", "Mensaje"]);
    assert_eq!(embed["fields"][2]["value"], "Hotel Sol");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.smtp.count(), 0);
    assert!(received(&env.discord, "/access").await.is_empty());
}

async fn honeypot_gets_the_same_answer_and_triggers_nothing(db: TestDb) {
    let env = env(db).await;
    for (path, mut body, message) in [
        (
            "/api/contact",
            access_body(),
            "Solicitud recibida correctamente.",
        ),
        (
            "/api/contacto",
            contact_body(),
            "Mensaje enviado correctamente.",
        ),
    ] {
        body["website"] = json!("http://spam.example");
        let response = post_form(&env.app, path, &body).await;
        assert_eq!(response.status(), 200, "{path}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer, json!({"message": message, "ok": true}));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(env.turnstile.received_requests().await.unwrap().is_empty());
    assert!(env.discord.received_requests().await.unwrap().is_empty());
    assert_eq!(env.smtp.count(), 0);
    let (items, total) = env.app.store().submissions(1, 20).await.unwrap();
    assert_eq!((items.len(), total), (0, 0));
}

async fn failed_captcha_is_403_on_contact_and_422_on_contacto(db: TestDb) {
    let env = env(db).await;
    let mut body = access_body();
    body["turnstile_token"] = json!("bad");
    let response = post_form(&env.app, "/api/contact", &body).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        crate::support::envelope(response).await,
        vec!["La verificación del captcha ha fallado."]
    );
    let mut body = contact_body();
    body["turnstile_token"] = json!("bad");
    let response = post_form(&env.app, "/api/contacto", &body).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        crate::support::envelope(response).await,
        vec!["La verificación del captcha ha fallado."]
    );
    assert_eq!(env.app.store().submissions(1, 20).await.unwrap().1, 0);
}

on_forms_databases!(
    valid_access_request_is_stored_mailed_and_posted,
    valid_contact_message_posts_its_embed_and_no_mail,
    honeypot_gets_the_same_answer_and_triggers_nothing,
    failed_captcha_is_403_on_contact_and_422_on_contacto,
);
