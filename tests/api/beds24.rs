//! The Beds24 API v2 client against a local server speaking its wire format.

use chrono::NaiveDate;
use serde_json::json;
use stay_sidekick::integrations::beds24::Beds24Client;
use stay_sidekick::integrations::http::Outbound;
use stay_sidekick::integrations::pms::{DateField, PmsClient, PmsError, ReservationQuery};
use url::Url;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, credential: &str) -> Beds24Client {
    Beds24Client::new(
        Outbound::new(true).unwrap(),
        Url::parse(&format!("{}/v2", server.uri())).unwrap(),
        credential.into(),
    )
}

async fn properties(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/v2/properties"))
        .and(header("token", token))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "pages": {"nextPageExists": true},
            "data": [{"id": 55, "name": "Casa Sol", "address": "C/ Sol 3", "city": "Málaga"}]
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/properties"))
        .and(header("token", token))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "pages": {"nextPageExists": false},
            "data": [{"id": 56, "name": "Casa Luna", "address": "", "city": null}, {"name": "no id"}]
        })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_long_life_token_lists_every_page_of_properties() {
    let server = MockServer::start().await;
    properties(&server, "long-life").await;
    let apartments = client(&server, "long-life").apartments().await.unwrap();
    let ids: Vec<&str> = apartments.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec!["55", "56"]);
    assert_eq!(
        (
            apartments[0].street.as_deref(),
            apartments[0].city.as_deref()
        ),
        (Some("C/ Sol 3"), Some("Málaga"))
    );
    assert_eq!(
        (
            apartments[1].street.as_deref(),
            apartments[1].city.as_deref()
        ),
        (None, None)
    );
}

#[tokio::test]
async fn a_refresh_token_is_exchanged_once_for_a_short_lived_token() {
    let server = MockServer::start().await;
    Mock::given(header("token", "refresh-abc"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/authentication/token"))
        .and(header("refreshToken", "refresh-abc"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token": "short-1", "expiresIn": 86400})),
        )
        .expect(1)
        .mount(&server)
        .await;
    properties(&server, "short-1").await;
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .and(header("token", "short-1"))
        .and(query_param("arrivalFrom", "2026-12-01"))
        .and(query_param("arrivalTo", "2026-12-07"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "pages": {"nextPageExists": false},
            "data": [
                {"id": 1, "firstName": "Luis", "lastName": "Gil", "phone": "(+34) 611 222 333", "arrival": "2026-12-05",
                 "departure": "2026-12-08", "propertyId": 56, "arrivalTime": "23:10"},
                {"id": 2, "firstName": "", "lastName": null}
            ]
        })))
        .mount(&server)
        .await;
    let beds24 = client(&server, "refresh-abc");
    let query = ReservationQuery {
        field: DateField::Arrival,
        from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
    };
    let reservations = beds24.reservations(query).await.unwrap();
    assert_eq!(reservations.len(), 1, "the guest without a name is dropped");
    let r = &reservations[0];
    assert_eq!(
        (
            r.name.as_str(),
            r.apartment_name.as_deref(),
            r.arrival_time.as_deref()
        ),
        ("Gil, Luis", Some("Casa Luna"), Some("23:10"))
    );
    // The short-lived token is kept: a second call does not refresh again (expect(1)).
    assert_eq!(beds24.apartments().await.unwrap().len(), 2);
}

#[tokio::test]
async fn refused_credentials_and_failures_are_errors() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/properties"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/v2/authentication/token"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    assert_eq!(
        client(&server, "bad").apartments().await,
        Err(PmsError::Unauthorized)
    );

    let server = MockServer::start().await;
    Mock::given(path("/v2/properties"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": false, "error": "scope missing"})),
        )
        .mount(&server)
        .await;
    assert!(matches!(
        client(&server, "t").apartments().await,
        Err(PmsError::Format(_))
    ));
}

#[tokio::test]
async fn bookings_by_departure_are_read_across_pages() {
    let server = MockServer::start().await;
    properties(&server, "t").await;
    for (page, more, first) in [("1", true, "Ana"), ("2", false, "Eva")] {
        Mock::given(method("GET"))
            .and(path("/v2/bookings"))
            .and(query_param("departureFrom", "2026-12-01"))
            .and(query_param("departureTo", "2026-12-31"))
            .and(query_param("page", page))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "success": true, "pages": {"nextPageExists": more},
                "data": [{"firstName": first, "lastName": "Paz", "departure": "2026-12-10", "arrival": "2026-12-07", "propertyId": 55}]
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let query = ReservationQuery {
        field: DateField::Departure,
        from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    let reservations = client(&server, "t").reservations(query).await.unwrap();
    let names: Vec<&str> = reservations.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["Paz, Ana", "Paz, Eva"]);
    assert_eq!(reservations[0].apartment_name.as_deref(), Some("Casa Sol"));
    assert_eq!(reservations[1].departure.as_deref(), Some("2026-12-10"));
}
