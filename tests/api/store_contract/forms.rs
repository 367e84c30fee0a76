//! Public form submissions and their outbox: leased claims, retries, give-up,
//! handled flag, pages and the retention purge.

use super::*;
use serde_json::json;

pub(super) async fn submission_deliveries_are_claimed_once_then_retried_or_given_up(store: Store) {
    let id = store
        .create_submission(
            "acceso",
            &json!({"company_name": "Acme"}),
            &["email", "discord"],
        )
        .await
        .unwrap();
    let now = Utc::now();
    let lease = now + Duration::seconds(60);
    let claimed = store.claim_deliveries(now, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        claimed
            .iter()
            .all(|d| d.attempts == 1 && d.kind == "acceso")
    );
    assert_eq!(claimed[0].data, json!({"company_name": "Acme"}));
    // Leased: nobody else takes them, even when due.
    assert!(
        store
            .claim_deliveries(now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let email = claimed.iter().find(|d| d.channel == "email").unwrap();
    let discord = claimed.iter().find(|d| d.channel == "discord").unwrap();
    store.delivery_sent(email.id).await.unwrap();
    let retry_at = now + Duration::seconds(30);
    store
        .delivery_failed(discord.id, "HTTP 500", Some(retry_at))
        .await
        .unwrap();
    // Not due before its retry time; due after it, with the attempt counted.
    assert!(
        store
            .claim_deliveries(now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = retry_at + Duration::seconds(1);
    let again = store
        .claim_deliveries(later, later + Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 2));
    store
        .delivery_failed(again[0].id, "HTTP 500", None)
        .await
        .unwrap();
    let far = later + Duration::days(1);
    assert!(
        store
            .claim_deliveries(far, far, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let (items, total) = store.submissions(1, 10).await.unwrap();
    assert_eq!((items.len(), total), (1, 1));
    assert_eq!(items[0].id, id);
    let states: Vec<(&str, &str, i32, Option<&str>)> = items[0]
        .deliveries
        .iter()
        .map(|d| {
            (
                d.channel.as_str(),
                d.state.as_str(),
                d.attempts,
                d.last_error.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("discord", "fallido", 2, Some("HTTP 500")),
            ("email", "enviado", 1, None)
        ]
    );
    assert!(items[0].deliveries[1].sent_at.is_some());
}

pub(super) async fn submissions_are_paged_marked_and_purged(store: Store) {
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            store
                .create_submission("contacto", &json!({"n": i}), &[])
                .await
                .unwrap(),
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (page, total) = store.submissions(1, 2).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(
        page.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    let (page, _) = store.submissions(2, 2).await.unwrap();
    assert_eq!(page.iter().map(|s| s.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert!(store.submissions(3, 2).await.unwrap().0.is_empty());

    let marked = store
        .set_submission_handled(ids[0], true)
        .await
        .unwrap()
        .unwrap();
    assert!(marked.handled && marked.handled_at.is_some());
    let unmarked = store
        .set_submission_handled(ids[0], false)
        .await
        .unwrap()
        .unwrap();
    assert!(!unmarked.handled && unmarked.handled_at.is_none());
    assert!(
        store
            .set_submission_handled(Uuid::new_v4(), true)
            .await
            .unwrap()
            .is_none()
    );

    assert_eq!(
        store
            .purge_submissions(Utc::now() - Duration::days(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .purge_submissions(Utc::now() + Duration::seconds(1))
            .await
            .unwrap(),
        3
    );
    assert_eq!(store.submissions(1, 10).await.unwrap().1, 0);
}
