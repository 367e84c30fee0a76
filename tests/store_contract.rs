//! One contract for the `Store` trait, run against SQLite always and against
//! PostgreSQL when `TEST_DATABASE_URL` is set (required in CI).

mod support;

use chrono::{Duration, Utc};
use stay_sidekick::store::{
    DynStore, NewCompany, NewUser, Role, StoreError, SuperadminSpec, UserChange,
};
use support::{TestDb, open_store};
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

async fn ping_answers(store: DynStore) {
    store.ping().await.unwrap();
}

async fn closed_store_is_unavailable(store: DynStore) {
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

async fn companies_round_trip(store: DynStore) {
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

async fn duplicate_company_email_is_a_conflict(store: DynStore) {
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

async fn users_round_trip_by_email_and_id(store: DynStore) {
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

async fn user_emails_are_unique_across_companies(store: DynStore) {
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

async fn user_writes_are_scoped_to_the_company(store: DynStore) {
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

async fn superadmin_upsert_creates_then_promotes(store: DynStore) {
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

async fn a_failed_superadmin_upsert_leaves_nothing_behind(store: DynStore) {
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

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let db = TestDb::sqlite();
                    super::$case(open_store(db.url()).await).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
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
);
