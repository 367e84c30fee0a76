//! Syncs into the fake Google: a second sync of the same range creates
//! nothing, an expired access token is refreshed (and kept), a refresh token
//! Google revoked disconnects, 429s are waited out, batches stay at 200.

use std::time::Instant;

use chrono::{Duration, Utc};
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{Ctx, booking, fake_people, held};
use crate::support::envelope;

const SYNC: &str = "/api/contactos/sincronizacion";
const RANGE: &str = r#"{"desde": "2026-06-01", "hasta": "2026-06-30"}"#;

fn range() -> serde_json::Value {
    serde_json::from_str(RANGE).unwrap()
}

async fn a_second_sync_of_the_range_creates_nothing(ctx: Ctx) {
    ctx.connect().await;
    ctx.save_pms().await;
    ctx.mock_bookings(vec![
        booking(1, "Ana", "Gil", "+34 600 000 001", "2026-06-05", "Ático"),
        booking(2, "Ana", "Gil", "+34 600 000 001", "2026-06-03", "Bajo"),
        booking(3, "Luis", "Mar", "", "2026-06-04", "Ático"),
        booking(4, "Eva", "Sol", "611 222 333", "2026-06-07", "Ático"),
        booking(5, "Iván", "Paz", "0", "2026-06-08", "Bajo"),
    ])
    .await;
    let account = fake_people(&ctx.google, "access-1").await;
    // The fake already holds Eva, written differently by hand.
    account.lock().unwrap().people.push(json!({
        "resourceName": "people/c-eva", "names": [{"givenName": "260607 - ÁTICO  - sol, eva", "displayName": "x"}],
        "phoneNumbers": [{"value": "+34611222333"}]
    }));
    let (status, body) = ctx.json("POST", SYNC, &ctx.op, Some(range())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"ok": true, "resultado": {"actualizados": 0, "nuevos": 1, "total": 5}})
    );
    let people = held(&account);
    assert_eq!(people.len(), 2);
    assert_eq!(
        people[1],
        (
            "260603 - Ático, Bajo - Gil, Ana".to_string(),
            "+34 600 000 001".to_string()
        )
    );
    // Again: everything is already there.
    let (status, body) = ctx.json("POST", SYNC, &ctx.op, Some(range())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["resultado"],
        json!({"actualizados": 0, "nuevos": 0, "total": 5})
    );
    assert_eq!(held(&account).len(), 2);
    assert_eq!(account.lock().unwrap().batch_sizes, vec![1]);
    // Logged, and shown as the last sync.
    let logs = ctx.app.store().sync_logs(ctx.company, 10).await.unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(
        logs[1],
        (
            "google_contacts".into(),
            "exito".into(),
            Some(1),
            Some("Nuevos: 1, actualizados: 0".into())
        )
    );
    let (_, status) = ctx
        .json("GET", "/api/contactos/google/status", &ctx.op, None)
        .await;
    assert!(
        status["google"]["ultimo_sync"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
    // B is not connected: its sync is refused, A's contacts untouched.
    let response = ctx.call("POST", SYNC, &ctx.b_admin, Some(range())).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        envelope(response).await,
        vec!["No hay cuenta Google conectada. Conéctala primero desde el panel."]
    );
}

/// Makes A's stored access token one that expired an hour ago.
async fn expire_access_token(ctx: &Ctx) {
    let store = ctx.app.store();
    let mut connection = store.google_connection(ctx.company).await.unwrap().unwrap();
    connection.token_expiry = Some(Utc::now() - Duration::hours(1));
    store
        .save_google_connection(ctx.company, &connection)
        .await
        .unwrap();
}

async fn an_expired_access_token_is_refreshed_and_kept(ctx: Ctx) {
    ctx.connect().await;
    ctx.save_pms().await;
    ctx.mock_bookings(vec![booking(
        1,
        "Ana",
        "Gil",
        "+34 600 000 001",
        "2026-06-05",
        "Ático",
    )])
    .await;
    expire_access_token(&ctx).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=refresh-1"))
        .and(body_string_contains("client_id=client-1.apps.googleusercontent.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "access-2", "expires_in": 3599, "scope": super::SCOPE, "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&ctx.google)
        .await;
    // Only the new token is accepted by the fake People API.
    let account = fake_people(&ctx.google, "access-2").await;
    let (status, body) = ctx.json("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(
        (status, body["resultado"]["nuevos"].clone()),
        (200, json!(1)),
        "{body}"
    );
    assert_eq!(held(&account).len(), 1);
    let stored = ctx
        .app
        .store()
        .google_connection(ctx.company)
        .await
        .unwrap()
        .unwrap();
    let cipher = &ctx.app.state.cipher;
    assert_eq!(
        cipher
            .decrypt(stored.access_token_encrypted.as_deref().unwrap())
            .unwrap(),
        "access-2"
    );
    assert_eq!(
        cipher.decrypt(&stored.refresh_token_encrypted).unwrap(),
        "refresh-1",
        "never rotated"
    );
    assert!(stored.token_expiry.unwrap() > Utc::now() + Duration::minutes(55));
    // The fresh token is reused: no second refresh (expect(1) above).
    let (status, _) = ctx.json("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(status, 200);
}

async fn a_revoked_refresh_token_disconnects(ctx: Ctx) {
    ctx.connect().await;
    ctx.save_pms().await;
    ctx.mock_bookings(vec![booking(
        1,
        "Ana",
        "Gil",
        "+34 600 000 001",
        "2026-06-05",
        "Ático",
    )])
    .await;
    expire_access_token(&ctx).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant", "error_description": "Token has been expired or revoked."
        })))
        .mount(&ctx.google)
        .await;
    let account = fake_people(&ctx.google, "access-1").await;
    let response = ctx.call("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        envelope(response).await,
        vec![
            "Google ha revocado el acceso a los contactos. Vuelve a conectar la cuenta desde el perfil."
        ]
    );
    assert!(held(&account).is_empty());
    let stored = ctx
        .app
        .store()
        .google_connection(ctx.company)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.active);
    let (_, body) = ctx
        .json("GET", "/api/contactos/google/status", &ctx.op, None)
        .await;
    assert_eq!(body["google"], json!({"conectado": false}));
    let response = ctx.call("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(
        envelope(response).await,
        vec!["No hay cuenta Google conectada. Conéctala primero desde el panel."]
    );
}

/// Connected (stored token `access-1`, not expired), one booking in the
/// PMS, and People refusing `access-1` with Google's 401.
async fn connected_with_one_booking_and_people_refusing(ctx: &Ctx) {
    ctx.connect().await;
    ctx.save_pms().await;
    ctx.mock_bookings(vec![booking(
        1,
        "Ana",
        "Gil",
        "+34 600 000 001",
        "2026-06-05",
        "Ático",
    )])
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/people/me/connections"))
        .and(wiremock::matchers::header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}
        })))
        .mount(&ctx.google)
        .await;
}

/// The user revoked the app in the Google account while the stored access
/// token had not expired yet: People answers 401, the refresh is refused,
/// and the connection is marked inactive at once (not an hour later).
async fn a_token_refused_before_its_expiry_is_refreshed_once_and_revocation_disconnects(ctx: Ctx) {
    connected_with_one_booking_and_people_refusing(&ctx).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant", "error_description": "Token has been expired or revoked."
        })))
        .expect(1)
        .mount(&ctx.google)
        .await;
    let response = ctx.call("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        envelope(response).await,
        vec![
            "Google ha revocado el acceso a los contactos. Vuelve a conectar la cuenta desde el perfil."
        ]
    );
    let (_, body) = ctx
        .json("GET", "/api/contactos/google/status", &ctx.op, None)
        .await;
    assert_eq!(body["google"], json!({"conectado": false}));
}

/// A stored token Google no longer takes, with the grant still valid: one
/// refresh, and the sync goes on with the new token.
async fn a_stale_token_refused_before_its_expiry_is_refreshed_and_the_sync_goes_on(ctx: Ctx) {
    connected_with_one_booking_and_people_refusing(&ctx).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "access-2", "expires_in": 3599, "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/contacts"
        })))
        .expect(1)
        .mount(&ctx.google)
        .await;
    let account = fake_people(&ctx.google, "access-2").await;
    let (status, body) = ctx.json("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resultado"]["nuevos"], 1);
    assert_eq!(held(&account).len(), 1);
}

async fn rate_limits_are_waited_out_and_batches_hold_200(ctx: Ctx) {
    ctx.connect().await;
    ctx.save_pms().await;
    let bookings = (0..250)
        .map(|i| {
            booking(
                i,
                "Huésped",
                &format!("N{i}"),
                &format!("+34 600 {:03} {:03}", i / 1000, i % 1000),
                "2026-06-05",
                "Ático",
            )
        })
        .collect();
    ctx.mock_bookings(bookings).await;
    let account = fake_people(&ctx.google, "access-1").await;
    // Google says "slow down" once, for a second.
    Mock::given(method("POST"))
        .and(path("/v1/people:batchCreateContacts"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&ctx.google)
        .await;
    let started = Instant::now();
    let (status, body) = ctx.json("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited as Retry-After said"
    );
    assert_eq!(
        body["resultado"],
        json!({"actualizados": 0, "nuevos": 250, "total": 250})
    );
    assert_eq!(account.lock().unwrap().batch_sizes, vec![200, 50]);
}

async fn a_spreadsheet_syncs_with_its_own_total(ctx: Ctx) {
    ctx.connect().await;
    let account = fake_people(&ctx.google, "access-1").await;
    let bytes = super::csv::guests_sheet();
    let response = super::csv::upload(
        &ctx,
        "/api/contactos/xlsx/sincronizacion",
        &ctx.op,
        bytes.clone(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["resultado"],
        json!({"actualizados": 0, "nuevos": 2, "total": 2})
    );
    let response =
        super::csv::upload(&ctx, "/api/contactos/xlsx/sincronizacion", &ctx.op, bytes).await;
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["resultado"]["nuevos"], json!(0));
    assert_eq!(held(&account).len(), 2);
    let logs = ctx.app.store().sync_logs(ctx.company, 1).await.unwrap();
    assert_eq!(
        logs[0].3.as_deref(),
        Some("XLSX — Nuevos: 0, actualizados: 0")
    );
}

async fn refusals_become_warnings_and_failures_are_logged(ctx: Ctx) {
    ctx.connect().await;
    ctx.save_pms().await;
    // The PMS fails: 400 with its reason, and an `error` row.
    Mock::given(method("GET"))
        .and(path("/api/reservations"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&ctx.pms)
        .await;
    let response = ctx.call("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        envelope(response).await,
        vec!["Error al obtener reservas del PMS: HTTP 500"]
    );
    let logs = ctx.app.store().sync_logs(ctx.company, 1).await.unwrap();
    assert_eq!(
        logs[0],
        (
            "google_contacts".into(),
            "error".into(),
            Some(0),
            Some("Error PMS: HTTP 500".into())
        )
    );
    // Google keeps answering 429: after the bounded retries, one warning per contact.
    ctx.mock_bookings(vec![
        booking(1, "Ana", "Gil", "+34 600 000 001", "2026-06-05", "Ático"),
        booking(2, "Eva", "Sol", "+34 600 000 002", "2026-06-05", "Ático"),
    ])
    .await;
    let account = fake_people(&ctx.google, "access-1").await;
    Mock::given(method("POST"))
        .and(path("/v1/people:batchCreateContacts"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}})),
        )
        .expect(4)
        .with_priority(1)
        .mount(&ctx.google)
        .await;
    let (status, body) = ctx.json("POST", SYNC, &ctx.admin, Some(range())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["resultado"],
        json!({"actualizados": 0, "nuevos": 0, "total": 2, "advertencias": [
            "260605 - Ático - Gil, Ana: HTTP 429: Quota exceeded",
            "260605 - Ático - Sol, Eva: HTTP 429: Quota exceeded",
        ]})
    );
    assert!(held(&account).is_empty());
    let logs = ctx.app.store().sync_logs(ctx.company, 1).await.unwrap();
    assert_eq!(
        logs[0],
        (
            "google_contacts".into(),
            "parcial".into(),
            Some(0),
            Some("Nuevos: 0, actualizados: 0, errores: 2".into())
        )
    );
}

contacts_cases!(
    a_second_sync_of_the_range_creates_nothing,
    an_expired_access_token_is_refreshed_and_kept,
    a_revoked_refresh_token_disconnects,
    a_token_refused_before_its_expiry_is_refreshed_once_and_revocation_disconnects,
    a_stale_token_refused_before_its_expiry_is_refreshed_and_the_sync_goes_on,
    rate_limits_are_waited_out_and_batches_hold_200,
    a_spreadsheet_syncs_with_its_own_total,
    refusals_become_warnings_and_failures_are_logged,
);
