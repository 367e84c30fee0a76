//! Integration settings (PMS, AI) and the apartment catalogue.

use super::*;

pub(super) async fn integration_settings_round_trip(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    assert!(store.pms_config(a.id).await.unwrap().is_none());
    let settings = |provider: &str, key: &str, endpoint: Option<Option<String>>| PmsSettings {
        provider: provider.into(),
        api_key_encrypted: key.into(),
        api_secret_encrypted: None,
        endpoint,
    };
    let first = store
        .save_pms_config(
            a.id,
            settings(
                "smoobu",
                "gAAAAA-one",
                Some(Some("https://pms.example.com".into())),
            ),
        )
        .await
        .unwrap();
    assert_eq!(first.endpoint.as_deref(), Some("https://pms.example.com"));
    // `None` keeps the endpoint; the rest is replaced.
    let kept = store
        .save_pms_config(
            a.id,
            PmsSettings {
                api_secret_encrypted: Some("gAAAAA-s".into()),
                ..settings("beds24", "gAAAAA-two", None)
            },
        )
        .await
        .unwrap();
    assert_eq!(kept.endpoint.as_deref(), Some("https://pms.example.com"));
    let pms = store.pms_config(a.id).await.unwrap().unwrap();
    assert_eq!(pms, kept);
    assert_eq!(
        (
            pms.provider.as_str(),
            pms.api_key_encrypted.as_deref(),
            pms.api_secret_encrypted.as_deref(),
            pms.active
        ),
        ("beds24", Some("gAAAAA-two"), Some("gAAAAA-s"), true)
    );
    assert!(pms.last_sync.is_none());
    let cleared = store
        .save_pms_config(a.id, settings("beds24", "gAAAAA-two", Some(None)))
        .await
        .unwrap();
    assert_eq!(
        (cleared.endpoint, cleared.api_secret_encrypted),
        (None, None)
    );
    assert!(store.pms_config(b.id).await.unwrap().is_none());
    assert!(!store.delete_pms_config(b.id).await.unwrap());
    assert!(store.delete_pms_config(a.id).await.unwrap());
    assert!(store.pms_config(a.id).await.unwrap().is_none());

    store
        .save_ai_config(
            a.id,
            "openai_compatible",
            Some("llama3"),
            Some("gAAAAA-k"),
            Some("https://llm.example.com/v1"),
        )
        .await
        .unwrap();
    let own = store.ai_config(a.id).await.unwrap().unwrap();
    assert_eq!(
        (own.model.as_deref(), own.endpoint.as_deref()),
        (Some("llama3"), Some("https://llm.example.com/v1"))
    );
    store
        .save_ai_config(a.id, "openai", None, None, None)
        .await
        .unwrap();
    let ai = store.ai_config(a.id).await.unwrap().unwrap();
    assert_eq!(
        (
            ai.provider.as_str(),
            ai.model,
            ai.api_key_encrypted,
            ai.active,
            ai.endpoint
        ),
        ("openai", None, None, true, None)
    );
    assert!(store.ai_config(b.id).await.unwrap().is_none());
    assert!(store.delete_ai_config(a.id).await.unwrap());
    assert!(!store.delete_ai_config(a.id).await.unwrap());
    assert!(!store.google_connected(a.id).await.unwrap());
}

pub(super) async fn apartments_are_scoped_partial_and_soft_deleted(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    let new = |name: &str| NewApartment {
        name: name.into(),
        external_id: Some("T1".into()),
        address: Some("C/ Sol".into()),
        city: None,
        time_zone: None,
    };
    let flat = store.create_apartment(a.id, new("Zeta")).await.unwrap();
    store.create_apartment(a.id, new("Alfa")).await.unwrap();
    store.create_apartment(b.id, new("Ajeno")).await.unwrap();
    assert_eq!(
        (flat.origin.as_deref(), flat.pms_id.as_deref(), flat.active),
        (Some("manual"), None, true)
    );
    let names: Vec<String> = store
        .apartments(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.name)
        .collect();
    assert_eq!(names, vec!["Alfa", "Zeta"]);
    assert!(store.apartment(b.id, flat.id).await.unwrap().is_none());
    assert!(
        store
            .update_apartment(
                b.id,
                flat.id,
                ApartmentChanges {
                    name: Some("X".into()),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.deactivate_apartment(b.id, flat.id).await.unwrap());
    let changed = store
        .update_apartment(
            a.id,
            flat.id,
            ApartmentChanges {
                city: Some(Some("Cádiz".into())),
                address: Some(None),
                time_zone: Some(Some("Atlantic/Canary".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            changed.name.as_str(),
            changed.city.as_deref(),
            changed.address.as_deref()
        ),
        ("Zeta", Some("Cádiz"), None)
    );
    assert_eq!(changed.time_zone.as_deref(), Some("Atlantic/Canary"));
    assert_eq!(flat.time_zone, None);
    assert!(store.deactivate_apartment(a.id, flat.id).await.unwrap());
    assert_eq!(store.apartments(a.id).await.unwrap().len(), 1);
    assert!(
        !store
            .apartment(a.id, flat.id)
            .await
            .unwrap()
            .unwrap()
            .active,
        "still readable"
    );
}
