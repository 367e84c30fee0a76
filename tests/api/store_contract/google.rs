//! The Google Contacts connection row and the last sync it reports.

use super::*;
use stay_sidekick::store::{GoogleConnection, SyncLog};

pub(super) async fn google_connections_round_trip_per_company(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    assert!(store.google_connection(a.id).await.unwrap().is_none());
    assert!(!store.google_connected(a.id).await.unwrap());
    let expiry = Utc::now() + Duration::hours(1);
    let first = GoogleConnection {
        access_token_encrypted: Some("gAAAAA-access".into()),
        refresh_token_encrypted: "gAAAAA-refresh".into(),
        token_expiry: Some(expiry),
        scope: "https://www.googleapis.com/auth/contacts".into(),
        active: true,
    };
    store.save_google_connection(a.id, &first).await.unwrap();
    let read = store.google_connection(a.id).await.unwrap().unwrap();
    assert_eq!(read.refresh_token_encrypted, "gAAAAA-refresh");
    assert_eq!(
        read.access_token_encrypted.as_deref(),
        Some("gAAAAA-access")
    );
    assert_eq!(
        read.token_expiry.map(|t| t.timestamp()),
        Some(expiry.timestamp())
    );
    assert!(read.active && store.google_connected(a.id).await.unwrap());
    assert!(
        store.google_connection(b.id).await.unwrap().is_none(),
        "B sees nothing"
    );
    // A new consent replaces the row (one per company).
    store
        .save_google_connection(
            a.id,
            &GoogleConnection {
                refresh_token_encrypted: "gAAAAA-r2".into(),
                ..first.clone()
            },
        )
        .await
        .unwrap();
    let later = Utc::now() + Duration::hours(2);
    store
        .update_google_access_token(a.id, "gAAAAA-a2", later)
        .await
        .unwrap();
    let read = store.google_connection(a.id).await.unwrap().unwrap();
    assert_eq!(
        (
            read.refresh_token_encrypted.as_str(),
            read.access_token_encrypted.as_deref()
        ),
        ("gAAAAA-r2", Some("gAAAAA-a2"))
    );
    assert_eq!(
        read.token_expiry.map(|t| t.timestamp()),
        Some(later.timestamp())
    );
    // Deactivated: the row stays, no longer connected; B untouched throughout.
    store.save_google_connection(b.id, &first).await.unwrap();
    store.deactivate_google_connection(a.id).await.unwrap();
    assert!(!store.google_connection(a.id).await.unwrap().unwrap().active);
    assert!(!store.google_connected(a.id).await.unwrap());
    assert!(store.google_connected(b.id).await.unwrap());
    assert!(store.delete_google_connection(a.id).await.unwrap());
    assert!(!store.delete_google_connection(a.id).await.unwrap());
    assert!(store.google_connection(b.id).await.unwrap().is_some());
}

pub(super) async fn last_google_sync_is_the_newest_contacts_log(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    assert_eq!(store.last_google_sync(a.id).await.unwrap(), None);
    let log = |origin: &'static str, status: &'static str| SyncLog {
        origin,
        status,
        records: Some(1),
        detail: None,
    };
    store.log_sync(a.id, log("pms", "exito")).await.unwrap();
    assert_eq!(
        store.last_google_sync(a.id).await.unwrap(),
        None,
        "other origins do not count"
    );
    let before = Utc::now() - Duration::seconds(1);
    store
        .log_sync(a.id, log("google_contacts", "error"))
        .await
        .unwrap();
    let last = store.last_google_sync(a.id).await.unwrap().unwrap();
    assert!(last >= before && last <= Utc::now() + Duration::seconds(1));
    assert_eq!(store.last_google_sync(b.id).await.unwrap(), None);
}
