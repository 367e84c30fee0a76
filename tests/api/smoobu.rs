//! The Smoobu client against a local server that speaks Smoobu's wire format
//! and checks every request's HMAC signature byte for byte, independently of
//! the client's own signing code.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use chrono::NaiveDate;
use hmac::Mac;
use serde_json::json;
use sha2::Digest;
use stay_sidekick::integrations::http::{Outbound, OutboundError};
use stay_sidekick::integrations::pms::{DateField, PmsClient, PmsError, ReservationQuery};
use stay_sidekick::integrations::smoobu::SmoobuClient;
use url::Url;
use wiremock::matchers::{header, header_exists, method, path, query_param};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

pub(crate) const KEY: &str = "test-key-123";
pub(crate) const SECRET: &str = "test-secret-456";

/// What Smoobu does with a request: rebuild the signed text and compare.
pub(crate) struct SignedLikeSmoobu {
    nonces: Arc<Mutex<HashSet<String>>>,
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Match for SignedLikeSmoobu {
    fn matches(&self, request: &Request) -> bool {
        let get = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (Some(key), Some(timestamp), Some(nonce), Some(signature)) = (
            get("x-api-key"),
            get("x-timestamp"),
            get("x-nonce"),
            get("x-signature"),
        ) else {
            return false;
        };
        let timestamp_ok =
            chrono::NaiveDateTime::parse_from_str(&timestamp, "%Y-%m-%dT%H:%M:%SZ").is_ok();
        let fresh_nonce = uuid::Uuid::parse_str(&nonce).is_ok()
            && self.nonces.lock().unwrap().insert(nonce.clone());
        let mut pairs: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (encode(&k), encode(&v)))
            .collect();
        pairs.sort();
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let body_hash: String = sha2::Sha256::digest(&request.body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}",
            request.method,
            request.url.path(),
            query,
            timestamp,
            nonce,
            body_hash,
            key
        );
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(text.as_bytes());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        key == KEY && timestamp_ok && fresh_nonce && signature == expected
    }
}

impl SignedLikeSmoobu {
    /// Another matcher over the same seen nonces.
    pub(crate) fn sharing(other: &SignedLikeSmoobu) -> SignedLikeSmoobu {
        SignedLikeSmoobu {
            nonces: other.nonces.clone(),
        }
    }
}

pub(crate) fn signed() -> SignedLikeSmoobu {
    SignedLikeSmoobu {
        nonces: Arc::new(Mutex::new(HashSet::new())),
    }
}

fn client(server: &MockServer, secret: Option<&str>) -> SmoobuClient {
    let http = Outbound::new(true).unwrap();
    SmoobuClient::new(
        http,
        Url::parse(&server.uri()).unwrap(),
        KEY.into(),
        secret.map(String::from),
    )
}

#[tokio::test]
async fn apartments_are_listed_with_their_details_and_every_call_is_signed() {
    let server = MockServer::start().await;
    let guard = signed();
    Mock::given(method("GET"))
        .and(path("/api/apartments"))
        .and(SignedLikeSmoobu { nonces: guard.nonces.clone() })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"apartments": [
            {"id": 101, "name": "Ático Centro"}, {"id": 102, "name": "Bajo Triana"}, {"name": "sin id"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/apartments/101"))
        .and(SignedLikeSmoobu {
            nonces: guard.nonces.clone(),
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 101, "location": {"street": "C/ Feria 1", "city": "Sevilla"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/apartments/102"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let apartments = client(&server, Some(SECRET)).apartments().await.unwrap();
    assert_eq!(
        apartments.len(),
        1,
        "the one whose details failed is skipped"
    );
    assert_eq!(apartments[0].id, "101");
    assert_eq!(apartments[0].name, "Ático Centro");
    assert_eq!(
        (
            apartments[0].street.as_deref(),
            apartments[0].city.as_deref()
        ),
        (Some("C/ Feria 1"), Some("Sevilla"))
    );
}

#[tokio::test]
async fn reservations_are_read_page_by_page() {
    let server = MockServer::start().await;
    let guard = signed();
    let booking = |id: u32, first: &str| {
        json!({"id": id, "arrival": "2026-12-01", "departure": "2026-12-03", "firstname": first, "lastname": "Ruiz",
               "phone": format!("(+34) 600 000 00{id}"), "check-in": "22:15", "apartment": {"id": 101, "name": "Ático"}})
    };
    for (page, bookings) in [
        (
            "1",
            json!([booking(1, "Ana"), {"firstname": "", "lastname": null, "guest-name": ""}]),
        ),
        ("2", json!([booking(2, "Luis")])),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/reservations"))
            .and(query_param("departureFrom", "2026-12-01"))
            .and(query_param("departureTo", "2026-12-31"))
            .and(query_param("pageSize", "100"))
            .and(query_param("page", page))
            .and(SignedLikeSmoobu { nonces: guard.nonces.clone() })
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"page_count": 2, "page_size": 100, "total_items": 3, "page": page.parse::<u32>().unwrap(), "bookings": bookings}),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let query = ReservationQuery {
        field: DateField::Departure,
        from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    let reservations = client(&server, Some(SECRET))
        .reservations(query)
        .await
        .unwrap();
    let names: Vec<&str> = reservations.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["Ruiz, Ana", "Ruiz, Luis"],
        "the nameless booking is dropped"
    );
    assert_eq!(reservations[0].arrival_time.as_deref(), Some("22:15"));
    assert_eq!(reservations[0].phone.as_deref(), Some("+34 600 000 001"));
    assert_eq!(
        guard.nonces.lock().unwrap().len(),
        2,
        "a fresh nonce per request"
    );
}

#[tokio::test]
async fn without_a_secret_the_legacy_header_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/apartments"))
        .and(header("Api-Key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"apartments": []})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(header_exists("x-signature"))
        .respond_with(ResponseTemplate::new(418))
        .expect(0)
        .mount(&server)
        .await;
    assert!(client(&server, None).apartments().await.unwrap().is_empty());
}

#[tokio::test]
async fn provider_failures_map_to_errors_not_panics() {
    let server = MockServer::start().await;
    Mock::given(path("/api/apartments"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    assert_eq!(
        client(&server, Some(SECRET)).apartments().await,
        Err(PmsError::Unauthorized)
    );

    let server = MockServer::start().await;
    Mock::given(path("/api/apartments"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    assert_eq!(
        client(&server, Some(SECRET)).apartments().await,
        Err(PmsError::Outbound(OutboundError::Status(503)))
    );

    let server = MockServer::start().await;
    Mock::given(path("/api/apartments"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
        .mount(&server)
        .await;
    assert!(matches!(
        client(&server, Some(SECRET)).apartments().await,
        Err(PmsError::Outbound(OutboundError::Decode(_)))
    ));

    let server = MockServer::start().await;
    let huge = vec![b' '; 9 * 1024 * 1024];
    Mock::given(path("/api/apartments"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(huge))
        .mount(&server)
        .await;
    assert_eq!(
        client(&server, Some(SECRET)).apartments().await,
        Err(PmsError::Outbound(OutboundError::TooLarge))
    );
}

#[tokio::test]
async fn redirects_to_another_host_are_not_followed() {
    let canary = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&canary)
        .await;
    let server = MockServer::start().await;
    // Same IP, another port: another origin, never reached.
    let elsewhere = canary.uri().replace("127.0.0.1", "localhost") + "/steal";
    Mock::given(path("/api/apartments"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", elsewhere.as_str()))
        .mount(&server)
        .await;
    let result = client(&server, Some(SECRET)).apartments().await;
    assert_eq!(result, Err(PmsError::Outbound(OutboundError::Status(302))));
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let strict = Outbound::new(false).unwrap();
    // An IP literal is refused before connecting...
    let literal = SmoobuClient::new(
        strict.clone(),
        Url::parse(&server.uri()).unwrap(),
        KEY.into(),
        None,
    );
    assert!(matches!(
        literal.apartments().await,
        Err(PmsError::Outbound(OutboundError::Forbidden(_)))
    ));
    // ...and a name that resolves to loopback is refused by the resolver.
    let by_name = Url::parse(&server.uri().replace("127.0.0.1", "localhost")).unwrap();
    let named = SmoobuClient::new(strict, by_name, KEY.into(), None);
    match named.apartments().await {
        Err(PmsError::Outbound(OutboundError::Connection(text))) => {
            assert!(text.contains("no public address"), "{text}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_path_prefix_of_the_endpoint_is_kept_and_signed() {
    let server = MockServer::start().await;
    let guard = signed();
    Mock::given(method("GET"))
        .and(path("/gateway/smoobu/api/apartments"))
        .and(SignedLikeSmoobu {
            nonces: guard.nonces.clone(),
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"apartments": []})))
        .expect(1)
        .mount(&server)
        .await;
    let base = Url::parse(&format!("{}/gateway/smoobu", server.uri())).unwrap();
    let client = SmoobuClient::new(
        Outbound::new(true).unwrap(),
        base,
        KEY.into(),
        Some(SECRET.into()),
    );
    assert!(client.apartments().await.unwrap().is_empty());
}
