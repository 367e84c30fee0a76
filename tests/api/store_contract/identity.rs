//! Who is calling: users by email and id, unique emails, the superadmin upsert.

use super::*;

pub(super) async fn users_round_trip_by_email_and_id(store: Store) {
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

pub(super) async fn user_emails_are_unique_across_companies(store: Store) {
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

pub(super) async fn superadmin_upsert_creates_then_promotes(store: Store) {
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

pub(super) async fn a_failed_superadmin_upsert_leaves_nothing_behind(store: Store) {
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
