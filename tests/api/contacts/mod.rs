//! `/api/contactos/...` over real HTTP on SQLite and PostgreSQL, against a
//! fake Google (wiremock speaking the token endpoint's and the People API's
//! wire formats, keeping the contacts it is sent) and a mock Smoobu.

/// Runs each `async fn case(ctx: Ctx)` on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL.
macro_rules! contacts_cases {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::contacts::Ctx::new($crate::support::TestDb::sqlite()).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = $crate::support::TestDb::postgres().await else {
                        assert!(std::env::var_os("CI").is_none(), "CI must set TEST_DATABASE_URL");
                        eprintln!("TEST_DATABASE_URL unset: PostgreSQL run skipped");
                        return;
                    };
                    super::$case($crate::contacts::Ctx::new(db).await).await;
                }
            )*
        }
    };
}

mod csv;
mod oauth;
mod sync;

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use stay_sidekick::config::Settings;
use stay_sidekick::store::Role;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{TestApp, TestDb, settings};

pub const SCOPE: &str = "https://www.googleapis.com/auth/contacts";

/// The app, its fake Google and its mock PMS; A (admin, operator) and B (admin).
pub struct Ctx {
    pub app: TestApp,
    pub google: MockServer,
    pub pms: MockServer,
    pub admin: String,
    pub op: String,
    pub company: uuid::Uuid,
    pub admin_id: uuid::Uuid,
    pub b_admin: String,
    pub b_company: uuid::Uuid,
}

pub fn google_settings(settings: &mut Settings, google: &str) {
    settings.allow_private_pms_endpoints = true;
    settings.google.client_id = "client-1.apps.googleusercontent.com".into();
    settings.google.client_secret = "client-secret".into();
    settings.google.redirect_uri = "https://api.example.com/api/contactos/google/callback".into();
    settings.google.frontend_base_url = "https://app.example.com/".into();
    settings.google.token_url = format!("{google}/token");
    settings.google.people_url = format!("{google}/v1");
    settings.google.revoke_url = format!("{google}/revoke");
}

impl Ctx {
    pub async fn new(db: TestDb) -> Ctx {
        let google = MockServer::start().await;
        let pms = MockServer::start().await;
        let mut config = settings(db.url());
        google_settings(&mut config, &google.uri());
        let app = TestApp::spawn_with(db, config).await;
        let admin = app
            .seed_user("admin@a.example.com", Role::Admin, false)
            .await;
        app.seed_in(
            admin.company_id,
            "op@a.example.com",
            Role::Operations,
            false,
        )
        .await;
        let b = app
            .seed_user("admin@b.example.com", Role::Admin, false)
            .await;
        Ctx {
            admin: app.login("admin@a.example.com").await,
            op: app.login("op@a.example.com").await,
            b_admin: app.login("admin@b.example.com").await,
            company: admin.company_id,
            admin_id: admin.id,
            b_company: b.company_id,
            app,
            google,
            pms,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        self.app
            .call(method, path, Some(token), body.as_ref())
            .await
    }

    pub async fn json(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let response = self.call(method, path, token, body).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }

    /// Google's token endpoint for a code exchange (`code-1`).
    pub async fn mock_code_exchange(&self) {
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .and(body_string_contains("grant_type=authorization_code"))
            .and(body_string_contains("code=code-1"))
            .and(body_string_contains("client_secret=client-secret"))
            .and(body_string_contains(
                "redirect_uri=https%3A%2F%2Fapi.example.com%2Fapi%2Fcontactos%2Fgoogle%2Fcallback",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "access-1", "expires_in": 3599, "refresh_token": "refresh-1",
                "scope": SCOPE, "token_type": "Bearer"
            })))
            .mount(&self.google)
            .await;
    }

    /// The state of a consent started by A's admin.
    pub async fn start(&self) -> String {
        let (status, body) = self
            .json("GET", "/api/contactos/google/auth", &self.admin, None)
            .await;
        assert_eq!(status, 200, "{body}");
        let url = url::Url::parse(body["url"].as_str().unwrap()).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }

    /// Google's redirect to the callback: where the browser is sent.
    pub async fn callback(&self, query: &str) -> String {
        let response = self
            .app
            .get(&format!("/api/contactos/google/callback?{query}"))
            .await;
        assert_eq!(response.status(), 302);
        response.headers()["location"].to_str().unwrap().to_string()
    }

    /// A connected through the whole OAuth dance.
    pub async fn connect(&self) {
        self.mock_code_exchange().await;
        let state = self.start().await;
        let location = self.callback(&format!("code=code-1&state={state}")).await;
        assert_eq!(
            location,
            "https://app.example.com/menu/perfil?google_conectado=true"
        );
    }

    /// Saves A's PMS: Smoobu at the mock.
    pub async fn save_pms(&self) {
        let response = self
            .call(
                "PUT",
                "/api/apartamentos/pms",
                &self.admin,
                Some(json!({"proveedor": "smoobu", "api_key": "KEY:SECRET", "endpoint": self.pms.uri()})),
            )
            .await;
        assert_eq!(response.status(), 200);
    }

    /// Smoobu's reservations (any range), 100 per page.
    pub async fn mock_bookings(&self, bookings: Vec<Value>) {
        let pages: Vec<Vec<Value>> = if bookings.is_empty() {
            vec![vec![]]
        } else {
            bookings.chunks(100).map(|c| c.to_vec()).collect()
        };
        let count = pages.len();
        for (i, page) in pages.into_iter().enumerate() {
            Mock::given(method("GET"))
                .and(path("/api/reservations"))
                .and(wiremock::matchers::query_param("page", (i + 1).to_string()))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "page_count": count, "page_size": 100, "total_items": 0, "page": i + 1, "bookings": page
                })))
                .mount(&self.pms)
                .await;
        }
    }
}

pub fn booking(
    id: usize,
    first: &str,
    last: &str,
    phone: &str,
    arrival: &str,
    apartment: &str,
) -> Value {
    json!({"id": id, "arrival": arrival, "departure": "2026-07-30", "firstname": first, "lastname": last,
           "phone": phone, "apartment": {"id": 7, "name": apartment}})
}

/// The fake account: the people it holds, and what it was sent.
#[derive(Default)]
pub struct Account {
    pub people: Vec<Value>,
    pub batch_sizes: Vec<usize>,
}

pub type Shared = Arc<Mutex<Account>>;

/// `GET people/me/connections`, two people per page (so paging is followed).
struct Connections(Shared);

impl Respond for Connections {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let start: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "pageToken")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let people = &self.0.lock().unwrap().people;
        let page: Vec<Value> = people.iter().skip(start).take(2).cloned().collect();
        let mut body =
            json!({"connections": page, "totalPeople": people.len(), "totalItems": people.len()});
        if start + 2 < people.len() {
            body["nextPageToken"] = json!((start + 2).to_string());
        }
        if page.is_empty() {
            body.as_object_mut().unwrap().remove("connections");
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// `POST people:batchCreateContacts`: keeps each person, answers Google's shape.
struct BatchCreate(Shared);

impl Respond for BatchCreate {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let contacts = body["contacts"].as_array().unwrap();
        assert!(contacts.len() <= 200, "Google refuses more than 200");
        assert_eq!(body["readMask"], json!("names,phoneNumbers"));
        let mut account = self.0.lock().unwrap();
        account.batch_sizes.push(contacts.len());
        let mut created = Vec::new();
        for contact in contacts {
            let n = account.people.len();
            let mut person = contact["contactPerson"].clone();
            person["resourceName"] = json!(format!("people/c{n}"));
            person["etag"] = json!(format!("%EgU{n}"));
            account.people.push(person.clone());
            created.push(json!({"httpStatusCode": 200, "person": person}));
        }
        ResponseTemplate::new(200).set_body_json(json!({"createdPeople": created}))
    }
}

/// Mounts the fake People API for bearer `token`; returns its account.
pub async fn fake_people(google: &MockServer, token: &str) -> Shared {
    let account = Shared::default();
    let bearer = format!("Bearer {token}");
    Mock::given(method("GET"))
        .and(path("/v1/people/me/connections"))
        .and(header("authorization", bearer.as_str()))
        .and(wiremock::matchers::query_param(
            "personFields",
            "names,phoneNumbers",
        ))
        .respond_with(Connections(account.clone()))
        .mount(google)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/people:batchCreateContacts"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(BatchCreate(account.clone()))
        .mount(google)
        .await;
    account
}

/// Names and phones the fake account holds.
pub fn held(account: &Shared) -> Vec<(String, String)> {
    account
        .lock()
        .unwrap()
        .people
        .iter()
        .map(|p| {
            (
                p["names"][0]["givenName"].as_str().unwrap().to_string(),
                p["phoneNumbers"][0]["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
