//! The engine (ping, a closed pool) and companies with their settings document.

use super::*;

pub(super) async fn ping_answers(store: Store) {
    store.ping().await.unwrap();
}

pub(super) async fn closed_store_is_unavailable(store: Store) {
    store.close().await;
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.user_by_id(Uuid::new_v4()).await,
        Err(StoreError::Unavailable(_))
    ));
}

pub(super) async fn companies_round_trip(store: Store) {
    let created = store
        .create_company(company("demo@staysidekick.es"))
        .await
        .unwrap();
    assert_eq!(created.name, "Empresa demo@staysidekick.es");
    assert_eq!(created.city.as_deref(), Some("Sevilla"));
    assert!(created.active);
    assert_eq!(created.settings, serde_json::json!({}));
    let read = store.company(created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert!(store.company(Uuid::new_v4()).await.unwrap().is_none());
}

pub(super) async fn duplicate_company_email_is_a_conflict(store: Store) {
    store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let err = store
        .create_company(company("a@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("empresas.email")),
        "{err:?}"
    );
}

pub(super) async fn company_settings_keep_other_keys_under_concurrent_writers(store: Store) {
    let c = store
        .create_company(company("s@example.com"))
        .await
        .unwrap();
    assert!(
        store
            .set_company_setting(c.id, "heatmap", serde_json::json!({"umbrales": 1}))
            .await
            .unwrap()
    );
    // Many writers of different keys at once: none is lost.
    let keys = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];
    let writers: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let store = store.clone();
            let key: &'static str = key;
            tokio::spawn(async move {
                store
                    .set_company_setting(c.id, key, serde_json::json!(i))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for writer in writers {
        assert!(writer.await.unwrap());
    }
    let settings = store.company(c.id).await.unwrap().unwrap().settings;
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            settings[key],
            serde_json::json!(i),
            "{key} lost: {settings}"
        );
    }
    assert_eq!(settings["heatmap"], serde_json::json!({"umbrales": 1}));
    // Replacing a key replaces only it.
    store
        .set_company_setting(c.id, "heatmap", serde_json::json!(null))
        .await
        .unwrap();
    let settings = store.company(c.id).await.unwrap().unwrap().settings;
    assert_eq!(settings["heatmap"], serde_json::json!(null));
    assert_eq!(settings["k3"], serde_json::json!(3));
    assert!(
        !store
            .set_company_setting(Uuid::new_v4(), "x", serde_json::json!(1))
            .await
            .unwrap()
    );
}

pub(super) async fn company_setting_merges_keep_the_other_fields(store: Store) {
    let c = store
        .create_company(company("m@example.com"))
        .await
        .unwrap();
    let patch = |v: serde_json::Value| v.as_object().cloned().unwrap();
    // Onto nothing, then onto a scalar: the patch becomes the object.
    assert!(
        store
            .merge_company_setting(
                c.id,
                "heatmap",
                patch(serde_json::json!({"umbrales": {"nivel1": 1}}))
            )
            .await
            .unwrap()
    );
    // Two writers of different fields at once: neither is lost.
    let (a, b) = tokio::join!(
        store.merge_company_setting(
            c.id,
            "heatmap",
            patch(serde_json::json!({"col_fecha_checkin": "C"}))
        ),
        store.merge_company_setting(
            c.id,
            "heatmap",
            patch(serde_json::json!({"col_fecha_checkout": null}))
        ),
    );
    assert!(a.unwrap() && b.unwrap());
    let settings = store.company(c.id).await.unwrap().unwrap().settings;
    assert_eq!(
        settings["heatmap"],
        serde_json::json!({"umbrales": {"nivel1": 1}, "col_fecha_checkin": "C", "col_fecha_checkout": null})
    );
    // A field written again is replaced whole.
    store
        .merge_company_setting(
            c.id,
            "heatmap",
            patch(serde_json::json!({"umbrales": {"nivel2": 2}})),
        )
        .await
        .unwrap();
    let settings = store.company(c.id).await.unwrap().unwrap().settings;
    assert_eq!(
        settings["heatmap"]["umbrales"],
        serde_json::json!({"nivel2": 2})
    );
    assert_eq!(settings["heatmap"]["col_fecha_checkin"], "C");
    store
        .set_company_setting(c.id, "x", serde_json::json!(5))
        .await
        .unwrap();
    store
        .merge_company_setting(c.id, "x", patch(serde_json::json!({"a": 1})))
        .await
        .unwrap();
    let settings = store.company(c.id).await.unwrap().unwrap().settings;
    assert_eq!(
        settings["x"],
        serde_json::json!({"a": 1}),
        "a scalar is replaced by the object"
    );
    // One key read back: the value, or nothing for a missing key, a null or an unknown company.
    assert_eq!(
        store.company_setting(c.id, "x").await.unwrap(),
        Some(serde_json::json!({"a": 1}))
    );
    assert_eq!(store.company_setting(c.id, "absent").await.unwrap(), None);
    store
        .set_company_setting(c.id, "x", serde_json::Value::Null)
        .await
        .unwrap();
    assert_eq!(store.company_setting(c.id, "x").await.unwrap(), None);
    assert_eq!(
        store.company_setting(Uuid::new_v4(), "x").await.unwrap(),
        None
    );
    assert!(
        !store
            .merge_company_setting(Uuid::new_v4(), "x", patch(serde_json::json!({})))
            .await
            .unwrap()
    );
}

pub(super) async fn active_companies_are_listed_by_name(store: Store) {
    let b = store
        .create_company(NewCompany {
            name: "Beta".into(),
            ..company("b@example.com")
        })
        .await
        .unwrap();
    let a = store
        .create_company(NewCompany {
            name: "Alfa".into(),
            ..company("a@example.com")
        })
        .await
        .unwrap();
    let names: Vec<String> = store
        .active_companies()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, vec!["Alfa", "Beta"]);
    let _ = (a, b);
}
