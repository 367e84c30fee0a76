//! Users of one company: scoping, order, the user limit, the last admin, passwords.

use super::*;

pub(super) async fn user_writes_are_scoped_to_the_company(store: Store) {
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

pub(super) async fn users_are_listed_per_company_oldest_first(store: Store) {
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

pub(super) async fn adding_users_respects_the_limit_and_unique_emails(store: Store) {
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

pub(super) async fn the_last_admin_cannot_be_removed_or_demoted(store: Store) {
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

pub(super) async fn removing_a_user_deletes_the_row(store: Store) {
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

pub(super) async fn passwords_are_replaced_within_the_company(store: Store) {
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
        temporary: false,
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
