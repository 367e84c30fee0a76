//! Vault templates, the AI quota under concurrency, and the system prompts.

use super::*;

pub(super) async fn templates_are_scoped_filtered_and_soft_deleted(store: Store) {
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

pub(super) fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub(super) async fn ai_quota_holds_under_concurrent_reservations(store: Store) {
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

pub(super) async fn ai_weekly_quota_counts_seven_days(store: Store) {
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

pub(super) async fn system_prompts_round_trip(store: Store) {
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

pub(super) async fn late_templates_are_apart_from_the_vault_and_hard_deleted(store: Store) {
    let a = store
        .create_company(company("a@example.com"))
        .await
        .unwrap();
    let b = store
        .create_company(company("b@example.com"))
        .await
        .unwrap();
    let first = store
        .create_late_template(a.id, "Uno", "Hola")
        .await
        .unwrap();
    store
        .create_late_template(a.id, "Dos", "Adiós")
        .await
        .unwrap();
    store
        .create_late_template(b.id, "Ajena", "x")
        .await
        .unwrap();
    let names: Vec<String> = store
        .late_templates(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Uno", "Dos"]);
    // The vault's queries never see them.
    assert!(
        store
            .templates(a.id, TemplateFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .active_template(a.id, first.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.deactivate_template(a.id, first.id).await.unwrap());
    assert!(
        store
            .update_late_template(b.id, first.id, "X", "Y")
            .await
            .unwrap()
            .is_none()
    );
    let changed = store
        .update_late_template(a.id, first.id, "Uno bis", "Hola de nuevo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.content.as_str()),
        ("Uno bis", "Hola de nuevo")
    );
    assert!(!store.delete_late_template(b.id, first.id).await.unwrap());
    assert!(store.delete_late_template(a.id, first.id).await.unwrap());
    assert!(
        !store.delete_late_template(a.id, first.id).await.unwrap(),
        "gone for good"
    );
    // ...and the late queries never see the vault's.
    let vault = store
        .create_template(
            a.id,
            NewTemplate {
                name: "Vault".into(),
                content: "c".into(),
                language: "es".into(),
                category: Some("CHECKIN_TARDIO".into()),
            },
        )
        .await
        .unwrap();
    assert!(!store.delete_late_template(a.id, vault.id).await.unwrap());
    assert_eq!(store.late_templates(a.id).await.unwrap().len(), 1);
}
