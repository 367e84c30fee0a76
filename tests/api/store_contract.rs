//! One contract for the `Store`, run against SQLite always and against
//! PostgreSQL when `TEST_DATABASE_URL` is set (required in CI).

use crate::support::{TestDb, open_store};
use chrono::{Duration, NaiveDate, Utc};
use stay_sidekick::store::{
    AddUser, AiQuota, AiReservation, AiUsage, ApartmentChanges, ChangeRole, NewApartment,
    NewCompany, NewTemplate, NewUser, PasswordChange, PmsSettings, RemoveUser, Role, Store,
    StoreError, SuperadminSpec, Template, TemplateFilter, TemplateUpdate, UserChange,
};
use uuid::Uuid;

fn company(email: &str) -> NewCompany {
    NewCompany {
        name: format!("Empresa {email}"),
        email: email.into(),
        city: Some("Sevilla".into()),
        password_hash: "x".into(),
    }
}

fn user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        password_hash: "$2b$04$a.YoKVBvnIvIlX5qFl3Gju9muPfDkQlzcEmALUKQr6ZwAxhZ4Fj9C".into(),
        role,
        is_superadmin: false,
        password_changed_at: Some(Utc::now() - Duration::days(60)),
    }
}

async fn ping_answers(store: Store) {
    store.ping().await.unwrap();
}

async fn closed_store_is_unavailable(store: Store) {
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

async fn companies_round_trip(store: Store) {
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

async fn duplicate_company_email_is_a_conflict(store: Store) {
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

async fn users_round_trip_by_email_and_id(store: Store) {
    let c = store
        .create_company(company("c@example.com"))
        .await
        .unwrap();
    let mut new = user("ana@example.com", Role::Admin);
    new.is_superadmin = true;
    let created = store.create_user(c.id, new.clone()).await.unwrap();
    assert_eq!(created.company_id, c.id);
    assert_eq!(created.role, Role::Admin);
    assert!(created.active && created.is_superadmin);
    assert_eq!(created.password_hash, new.password_hash);
    assert_eq!(created.tokens_valid_from, None);
    let changed = created.password_changed_at.unwrap();
    assert!(
        (changed - new.password_changed_at.unwrap())
            .num_milliseconds()
            .abs()
            < 1
    );
    assert_eq!(
        store
            .user_by_email("ana@example.com")
            .await
            .unwrap()
            .as_ref(),
        Some(&created)
    );
    assert_eq!(
        store.user_by_id(created.id).await.unwrap().as_ref(),
        Some(&created)
    );
    assert!(
        store
            .user_by_email("ANA@example.com")
            .await
            .unwrap()
            .is_none(),
        "emails are stored normalised; lookup is exact"
    );
    assert!(store.user_by_id(Uuid::new_v4()).await.unwrap().is_none());
}

async fn user_emails_are_unique_across_companies(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    store
        .create_user(a.id, user("same@example.com", Role::Admin))
        .await
        .unwrap();
    let err = store
        .create_user(b.id, user("same@example.com", Role::Operations))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("usuarios.email")),
        "{err:?}"
    );
}

async fn user_writes_are_scoped_to_the_company(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    let victim = store
        .create_user(a.id, user("v@example.com", Role::Admin))
        .await
        .unwrap();
    // Company B cannot touch A's user through any write.
    assert!(
        !store
            .update_user(b.id, victim.id, UserChange::Role(Role::Operations))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_user(b.id, victim.id, UserChange::Active(false))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_user(b.id, victim.id, UserChange::Superadmin(true))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_user(b.id, victim.id, UserChange::TokensValidFrom(Utc::now()))
            .await
            .unwrap()
    );
    assert!(!store.delete_user(b.id, victim.id).await.unwrap());
    let unchanged = store.user_by_id(victim.id).await.unwrap().unwrap();
    assert_eq!(unchanged, victim);
    // Its own company can.
    assert!(
        store
            .update_user(a.id, victim.id, UserChange::Role(Role::Operations))
            .await
            .unwrap()
    );
    assert!(
        store
            .update_user(a.id, victim.id, UserChange::Active(false))
            .await
            .unwrap()
    );
    assert!(
        store
            .update_user(a.id, victim.id, UserChange::Superadmin(true))
            .await
            .unwrap()
    );
    let from = Utc::now();
    assert!(
        store
            .update_user(a.id, victim.id, UserChange::TokensValidFrom(from))
            .await
            .unwrap()
    );
    let changed = store.user_by_id(victim.id).await.unwrap().unwrap();
    assert_eq!(changed.role, Role::Operations);
    assert!(!changed.active && changed.is_superadmin);
    assert_eq!(
        changed.tokens_valid_from.unwrap().timestamp(),
        from.timestamp()
    );
    assert!(changed.updated_at >= victim.updated_at);
    assert!(store.delete_user(a.id, victim.id).await.unwrap());
    assert!(store.user_by_id(victim.id).await.unwrap().is_none());
}

async fn superadmin_upsert_creates_then_promotes(store: Store) {
    assert!(!store.superadmin_exists().await.unwrap());
    let spec = SuperadminSpec {
        email: "root@example.com".into(),
        password_hash: "h1".into(),
        company_name: "Central".into(),
    };
    let first = store.upsert_superadmin(spec.clone()).await.unwrap();
    assert!(first.is_superadmin && first.active && first.role == Role::Admin);
    assert!(store.superadmin_exists().await.unwrap());
    let central = store.company(first.company_id).await.unwrap().unwrap();
    assert_eq!(central.name, "Central");
    // Again: the same user, password replaced, no second company or user.
    let again = store
        .upsert_superadmin(SuperadminSpec {
            password_hash: "h2".into(),
            ..spec
        })
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.password_hash, "h2");
    assert!(again.tokens_valid_from.is_some(), "earlier sessions end");
    // An existing company of that name is reused for a new superadmin.
    let other = store
        .upsert_superadmin(SuperadminSpec {
            email: "two@example.com".into(),
            password_hash: "h".into(),
            company_name: "Central".into(),
        })
        .await
        .unwrap();
    assert_eq!(other.company_id, central.id);
    // An existing operator is promoted in place.
    let shop = store
        .create_company(company("shop@example.com"))
        .await
        .unwrap();
    let op = store
        .create_user(shop.id, user("op@example.com", Role::Operations))
        .await
        .unwrap();
    let promoted = store
        .upsert_superadmin(SuperadminSpec {
            email: "op@example.com".into(),
            password_hash: "h".into(),
            company_name: "Central".into(),
        })
        .await
        .unwrap();
    assert_eq!((promoted.id, promoted.company_id), (op.id, shop.id));
    assert!(promoted.is_superadmin && promoted.role == Role::Admin);
}

async fn a_failed_superadmin_upsert_leaves_nothing_behind(store: Store) {
    // The company email clashes, so the transaction fails after nothing: no
    // user, no company named "Nueva".
    store
        .create_company(company("clash@example.com"))
        .await
        .unwrap();
    let spec = SuperadminSpec {
        email: "clash@example.com".into(),
        password_hash: "h".into(),
        company_name: "Nueva".into(),
    };
    assert!(store.upsert_superadmin(spec).await.is_err());
    assert!(
        store
            .user_by_email("clash@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.superadmin_exists().await.unwrap());
}

async fn company_settings_keep_other_keys_under_concurrent_writers(store: Store) {
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

async fn active_companies_are_listed_by_name(store: Store) {
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

async fn users_are_listed_per_company_oldest_first(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    let first = store
        .create_user(a.id, user("1@example.com", Role::Admin))
        .await
        .unwrap();
    let second = store
        .create_user(a.id, user("2@example.com", Role::Operations))
        .await
        .unwrap();
    let other = store
        .create_user(b.id, user("3@example.com", Role::Admin))
        .await
        .unwrap();
    let ids: Vec<Uuid> = store
        .users(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids, vec![first.id, second.id]);
    assert_eq!(
        store.user(a.id, second.id).await.unwrap().map(|u| u.id),
        Some(second.id)
    );
    assert!(
        store.user(a.id, other.id).await.unwrap().is_none(),
        "another company's user is not found"
    );
}

async fn adding_users_respects_the_limit_and_unique_emails(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    store
        .set_company_setting(a.id, "max_usuarios", serde_json::json!(3))
        .await
        .unwrap();
    for i in 0..3 {
        assert!(matches!(
            store
                .add_user_within_limit(a.id, user(&format!("u{i}@example.com"), Role::Operations))
                .await
                .unwrap(),
            AddUser::Added(_)
        ));
    }
    assert_eq!(
        store
            .add_user_within_limit(a.id, user("u9@example.com", Role::Operations))
            .await
            .unwrap(),
        AddUser::LimitReached(3)
    );
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    assert_eq!(
        store
            .add_user_within_limit(b.id, user("u0@example.com", Role::Admin))
            .await
            .unwrap(),
        AddUser::EmailTaken
    );
    // Default limit 4, enforced under concurrency: 10 at once, 4 added.
    let c = store
        .create_company(company("c@example.com"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .add_user_within_limit(
                        c.id,
                        user(&format!("c{i}@example.com"), Role::Operations),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut added = 0;
    for task in tasks {
        match task.await.unwrap() {
            AddUser::Added(_) => added += 1,
            AddUser::LimitReached(4) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(added, 4);
    assert_eq!(store.users(c.id).await.unwrap().len(), 4);
}

async fn the_last_admin_cannot_be_removed_or_demoted(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let admin = store
        .create_user(a.id, user("admin@example.com", Role::Admin))
        .await
        .unwrap();
    let op = store
        .create_user(a.id, user("op@example.com", Role::Operations))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    assert_eq!(
        store.remove_user(b.id, admin.id, op.id).await.unwrap(),
        RemoveUser::NotFound
    );
    assert_eq!(
        store
            .change_role(b.id, admin.id, Role::Operations)
            .await
            .unwrap(),
        ChangeRole::NotFound
    );
    assert_eq!(
        store.remove_user(a.id, admin.id, admin.id).await.unwrap(),
        RemoveUser::OwnAccount
    );
    assert_eq!(
        store.remove_user(a.id, admin.id, op.id).await.unwrap(),
        RemoveUser::LastAdmin
    );
    assert_eq!(
        store
            .change_role(a.id, admin.id, Role::Operations)
            .await
            .unwrap(),
        ChangeRole::LastAdmin
    );
    assert!(matches!(
        store
            .change_role(a.id, admin.id, Role::Admin)
            .await
            .unwrap(),
        ChangeRole::Changed(_)
    ));
    let ChangeRole::Changed(promoted) = store.change_role(a.id, op.id, Role::Admin).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(promoted.role, Role::Admin);
    // Two admins demoting each other at once: one of them stays admin.
    let (x, y) = tokio::join!(
        store.change_role(a.id, admin.id, Role::Operations),
        store.change_role(a.id, op.id, Role::Operations)
    );
    let outcomes = [x.unwrap(), y.unwrap()];
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, ChangeRole::LastAdmin))
            .count(),
        1,
        "{outcomes:?}"
    );
    let admins = store
        .users(a.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.role == Role::Admin)
        .count();
    assert_eq!(admins, 1);
    assert_eq!(
        store
            .remove_user(a.id, Uuid::new_v4(), admin.id)
            .await
            .unwrap(),
        RemoveUser::NotFound
    );
}

async fn removing_a_user_deletes_the_row(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let admin = store
        .create_user(a.id, user("admin@example.com", Role::Admin))
        .await
        .unwrap();
    let op = store
        .create_user(a.id, user("op@example.com", Role::Operations))
        .await
        .unwrap();
    assert_eq!(
        store.remove_user(a.id, op.id, admin.id).await.unwrap(),
        RemoveUser::Removed
    );
    assert!(store.user_by_id(op.id).await.unwrap().is_none());
}

async fn passwords_are_replaced_within_the_company(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    let u = store
        .create_user(a.id, user("u@example.com", Role::Admin))
        .await
        .unwrap();
    let at = Utc::now();
    let change = |hash: &str| PasswordChange {
        hash: hash.into(),
        changed_at: at,
        tokens_valid_from: at,
        kept_token: Some("ab".repeat(32)),
        replaces_hash: None,
    };
    assert!(
        !store
            .set_password(b.id, u.id, change("other"))
            .await
            .unwrap()
    );
    assert!(
        store
            .set_password(a.id, u.id, change("new-hash"))
            .await
            .unwrap()
    );
    let changed = store.user_by_id(u.id).await.unwrap().unwrap();
    assert_eq!(changed.password_hash, "new-hash");
    assert_eq!(changed.kept_token, Some("ab".repeat(32)));
    // A change conditioned on an outdated hash writes nothing.
    let stale = PasswordChange {
        replaces_hash: Some("not-the-hash".into()),
        ..change("third")
    };
    assert!(!store.set_password(a.id, u.id, stale).await.unwrap());
    let current = PasswordChange {
        replaces_hash: Some("new-hash".into()),
        ..change("third")
    };
    assert!(store.set_password(a.id, u.id, current).await.unwrap());
    assert_eq!(
        store.user_by_id(u.id).await.unwrap().unwrap().password_hash,
        "third"
    );
    assert_eq!(
        changed.password_changed_at.unwrap().timestamp(),
        at.timestamp()
    );
    assert_eq!(
        changed.tokens_valid_from.unwrap().timestamp(),
        at.timestamp()
    );
}

async fn integration_settings_round_trip(store: Store) {
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

async fn apartments_are_scoped_partial_and_soft_deleted(store: Store) {
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

async fn templates_are_scoped_filtered_and_soft_deleted(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    let new = |name: &str, language: &str, category: Option<&str>| NewTemplate {
        name: name.into(),
        content: format!("Hola {{NOMBRE}}, {name}"),
        language: language.into(),
        category: category.map(Into::into),
    };
    let welcome = store
        .create_template(a.id, new("Bienvenida", "es", Some("BIENVENIDA")))
        .await
        .unwrap();
    store
        .create_template(a.id, new("Checkout", "en", Some("CHECKOUT")))
        .await
        .unwrap();
    store
        .create_template(b.id, new("Ajena", "es", Some("BIENVENIDA")))
        .await
        .unwrap();
    assert!(welcome.active);
    let names = |list: Vec<Template>| list.into_iter().map(|t| t.name).collect::<Vec<_>>();
    let all = store
        .templates(a.id, TemplateFilter::default())
        .await
        .unwrap();
    assert_eq!(
        names(all),
        vec!["Checkout", "Bienvenida"],
        "newest change first"
    );
    let filter = TemplateFilter {
        category: Some("BIENVENIDA"),
        language: None,
    };
    assert_eq!(
        names(store.templates(a.id, filter).await.unwrap()),
        vec!["Bienvenida"]
    );
    let filter = TemplateFilter {
        category: None,
        language: Some("en"),
    };
    assert_eq!(
        names(store.templates(a.id, filter).await.unwrap()),
        vec!["Checkout"]
    );
    let filter = TemplateFilter {
        category: Some("bienvenida"),
        language: None,
    };
    assert!(
        store.templates(a.id, filter).await.unwrap().is_empty(),
        "exact match"
    );

    let update = TemplateUpdate {
        name: "Bienvenida 2".into(),
        content: "Hola".into(),
        language: None,
        category: None,
    };
    assert!(
        store
            .update_template(b.id, welcome.id, update.clone())
            .await
            .unwrap()
            .is_none()
    );
    let changed = store
        .update_template(a.id, welcome.id, update.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            changed.name.as_str(),
            changed.language.as_str(),
            changed.category.clone()
        ),
        ("Bienvenida 2", "es", None),
        "language kept when not given, category always written"
    );
    assert_eq!(
        store.active_template(a.id, welcome.id).await.unwrap(),
        Some(changed)
    );
    assert!(
        store
            .active_template(b.id, welcome.id)
            .await
            .unwrap()
            .is_none()
    );

    assert!(!store.deactivate_template(b.id, welcome.id).await.unwrap());
    assert!(store.deactivate_template(a.id, welcome.id).await.unwrap());
    assert!(
        store.deactivate_template(a.id, welcome.id).await.unwrap(),
        "repeatable"
    );
    assert!(
        store
            .active_template(a.id, welcome.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .update_template(a.id, welcome.id, update)
            .await
            .unwrap()
            .is_none()
    );
    let left = store
        .templates(a.id, TemplateFilter::default())
        .await
        .unwrap();
    assert_eq!(names(left), vec!["Checkout"]);
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

async fn ai_quota_holds_under_concurrent_reservations(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    let today = day("2026-03-07");
    let quota = Some(AiQuota {
        daily: 5,
        weekly: 100,
    });
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.reserve_ai_use(a.id, "mejorar", today, quota).await })
        })
        .collect();
    let mut reserved = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            AiReservation::Reserved(id) => reserved.push(id),
            AiReservation::DailyLimit => refused += 1,
            AiReservation::WeeklyLimit => panic!("weekly limit not reached"),
        }
    }
    assert_eq!((reserved.len(), refused), (5, 15));
    assert_eq!(
        store.ai_usage(a.id, today).await.unwrap(),
        AiUsage { today: 5, week: 5 }
    );
    assert_eq!(
        store.ai_usage(b.id, today).await.unwrap(),
        AiUsage::default()
    );

    store
        .confirm_ai_use(a.id, reserved[0], Some(42))
        .await
        .unwrap();
    store.release_ai_use(b.id, reserved[1]).await.unwrap();
    assert_eq!(
        store.ai_usage(a.id, today).await.unwrap().today,
        5,
        "another company's release"
    );
    store.release_ai_use(a.id, reserved[1]).await.unwrap();
    assert_eq!(store.ai_usage(a.id, today).await.unwrap().today, 4);
    assert!(matches!(
        store
            .reserve_ai_use(a.id, "traducir", today, quota)
            .await
            .unwrap(),
        AiReservation::Reserved(_)
    ));
    // Without a quota (the company's own key) uses are still counted.
    assert!(matches!(
        store
            .reserve_ai_use(a.id, "traducir", today, None)
            .await
            .unwrap(),
        AiReservation::Reserved(_)
    ));
    assert_eq!(store.ai_usage(a.id, today).await.unwrap().today, 6);
}

async fn ai_weekly_quota_counts_seven_days(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let quota = Some(AiQuota {
        daily: 100,
        weekly: 3,
    });
    for _ in 0..2 {
        store
            .reserve_ai_use(a.id, "mejorar", day("2026-03-01"), quota)
            .await
            .unwrap();
    }
    let sunday = day("2026-03-07");
    assert!(matches!(
        store
            .reserve_ai_use(a.id, "mejorar", sunday, quota)
            .await
            .unwrap(),
        AiReservation::Reserved(_)
    ));
    assert_eq!(
        store
            .reserve_ai_use(a.id, "mejorar", sunday, quota)
            .await
            .unwrap(),
        AiReservation::WeeklyLimit
    );
    assert_eq!(
        store.ai_usage(a.id, sunday).await.unwrap(),
        AiUsage { today: 1, week: 3 }
    );
    let monday = day("2026-03-08");
    assert_eq!(
        store.ai_usage(a.id, monday).await.unwrap(),
        AiUsage { today: 0, week: 1 }
    );
    assert!(matches!(
        store
            .reserve_ai_use(a.id, "mejorar", monday, quota)
            .await
            .unwrap(),
        AiReservation::Reserved(_)
    ));
}

async fn system_prompts_round_trip(store: Store) {
    assert_eq!(store.system_prompt("vault_traducir").await.unwrap(), None);
    store
        .set_system_prompt("vault_traducir", "Traduce.")
        .await
        .unwrap();
    store
        .set_system_prompt("vault_traducir", "Traduce bien.")
        .await
        .unwrap();
    assert_eq!(
        store
            .system_prompt("vault_traducir")
            .await
            .unwrap()
            .as_deref(),
        Some("Traduce bien.")
    );
    assert_eq!(store.system_prompt("vault_mejorar").await.unwrap(), None);
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = TestDb::sqlite();
                    super::$case(open_store(db.url()).await).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = TestDb::postgres().await else {
                        assert!(std::env::var_os("CI").is_none(), "CI must set TEST_DATABASE_URL");
                        eprintln!("TEST_DATABASE_URL unset: PostgreSQL contract skipped");
                        return;
                    };
                    super::$case(open_store(db.url()).await).await;
                }
            )*
        }
    };
}

contract!(
    ping_answers,
    closed_store_is_unavailable,
    companies_round_trip,
    duplicate_company_email_is_a_conflict,
    users_round_trip_by_email_and_id,
    user_emails_are_unique_across_companies,
    user_writes_are_scoped_to_the_company,
    superadmin_upsert_creates_then_promotes,
    a_failed_superadmin_upsert_leaves_nothing_behind,
    company_settings_keep_other_keys_under_concurrent_writers,
    active_companies_are_listed_by_name,
    users_are_listed_per_company_oldest_first,
    adding_users_respects_the_limit_and_unique_emails,
    the_last_admin_cannot_be_removed_or_demoted,
    removing_a_user_deletes_the_row,
    passwords_are_replaced_within_the_company,
    integration_settings_round_trip,
    apartments_are_scoped_partial_and_soft_deleted,
    templates_are_scoped_filtered_and_soft_deleted,
    ai_quota_holds_under_concurrent_reservations,
    ai_weekly_quota_counts_seven_days,
    system_prompts_round_trip,
);
