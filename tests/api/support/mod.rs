//! Test harness: the real application on a real socket (port 0) over a real
//! database: a fresh SQLite file per test, or a fresh PostgreSQL schema per
//! test (dropped afterwards) when `TEST_DATABASE_URL` is set.
// Some fields are held only so they drop with the app (database, server).
#![allow(dead_code)]

pub mod smtp;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use chrono::Utc;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sqlx::Connection;
use stay_sidekick::AppState;
use stay_sidekick::config::{Secrets, Settings};
use stay_sidekick::http::ratelimit::RateLimiter;
use stay_sidekick::store::{self, NewCompany, NewUser, Role, Store, User};
use uuid::Uuid;

pub const PASSWORD: &str = "correct-horse-1";

/// Settings as the defaults of `--help`, with explicit secrets; nothing read
/// from the environment (CI sets REDIS_URL and friends).
pub fn settings(database_url: &str) -> Settings {
    Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: Some(database_url.to_string()),
        secret_key: Some("test-secret-key".into()),
        jwt_secret_key: Some("test-jwt-secret".into()),
        jwt_access_token_hours: 1,
        fernet_key: Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()),
        allowed_origins: String::new(),
        max_upload_bytes: 10_485_760,
        rate_limit_contact: "5/hour".into(),
        rate_limit_default: "600/minute".into(),
        ratelimit_enabled: true,
        redis_url: None,
        trusted_proxies: String::new(),
        flask_env: "production".into(),
        log_level: "warn".into(),
        log_format: "text".into(),
        admin_email: None,
        admin_password: None,
        allow_private_pms_endpoints: false,
        bcrypt_concurrency: 2,
        shutdown_grace_seconds: 5,
        heatmap_max_days: 400,
        gmail_user: None,
        gmail_app_password: None,
        ai: Default::default(),
        ops: Default::default(),
        forms: Default::default(),
        google: Default::default(),
        uploads: Default::default(),
        server: Default::default(),
    }
}

/// The Redis of `REDIS_URL`; `None` (test skipped) without it, except in CI.
pub fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must set REDIS_URL");
        eprintln!("REDIS_URL unset: shared-limit test skipped");
    }
    url
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database that exists for one test.
pub enum TestDb {
    Sqlite {
        dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        schema: String,
        url: String,
    },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        TestDb::Sqlite { dir, url }
    }

    /// A fresh schema in the `TEST_DATABASE_URL` database; `None` without it.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = postgres_url()?;
        let schema = format!("t_{}", Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&pool)
            .await
            .expect("create schema");
        pool.close().await;
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options[search_path]={schema}");
        Some(TestDb::Postgres {
            admin_url,
            schema,
            url,
        })
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// The same database for a second app, without owning it (dropping the
    /// alias leaves the database to its owner).
    pub fn alias(&self) -> TestDb {
        TestDb::Sqlite {
            dir: tempfile::tempdir().expect("temp dir"),
            url: self.url().to_string(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, schema, ..
        } = self
        {
            let (admin_url, schema) = (admin_url.clone(), schema.clone());
            // No async Drop: a short-lived runtime on its own thread, bounded
            // in time so a failed test's leftovers can never hang the suite.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let drop_schema = async {
                        let mut conn = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                        sqlx::query("SET lock_timeout = '5s'")
                            .execute(&mut conn)
                            .await
                            .ok()?;
                        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                        sqlx::query(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await
                            .ok()?;
                        conn.close().await.ok()
                    };
                    tokio::time::timeout(Duration::from_secs(15), drop_schema)
                        .await
                        .ok()
                        .flatten()
                })
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub db: TestDb,
}

impl TestApp {
    /// The application on a fresh SQLite database with test settings.
    pub async fn spawn() -> TestApp {
        let db = TestDb::sqlite();
        let settings = settings(db.url());
        Self::spawn_with(db, settings).await
    }

    /// Like `spawn`, with settings changed by `edit`.
    pub async fn spawn_configured(edit: impl FnOnce(&mut Settings)) -> TestApp {
        let db = TestDb::sqlite();
        let mut settings = settings(db.url());
        edit(&mut settings);
        Self::spawn_with(db, settings).await
    }

    /// The application on `db` (SQLite or PostgreSQL) with test settings.
    pub async fn spawn_on(db: TestDb) -> TestApp {
        let settings = settings(db.url());
        Self::spawn_with(db, settings).await
    }

    pub async fn spawn_with(db: TestDb, settings: Settings) -> TestApp {
        let state = stay_sidekick::build_state(settings).await.expect("state");
        Self::serve_router(db, state.clone(), stay_sidekick::app(state)).await
    }

    /// Serves any router (e.g. probe routes behind the real middleware).
    pub async fn serve_router(db: TestDb, state: AppState, router: Router) -> TestApp {
        stay_sidekick::integrations::http::install_crypto_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, service)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await
        });
        TestApp {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            state,
            stop: Some(stop_tx),
            server: Some(server),
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// A company and a user in it, hashed at bcrypt cost 4 to keep tests fast
    /// (verification reads the cost from the hash, as for the original's `$2b$12$`).
    pub async fn seed_user(&self, email: &str, role: Role, superadmin: bool) -> User {
        seed_user(self.store(), email, role, superadmin).await
    }

    /// A user in an existing company (bcrypt cost 4, password `PASSWORD`).
    pub async fn seed_in(
        &self,
        company_id: Uuid,
        email: &str,
        role: Role,
        superadmin: bool,
    ) -> User {
        let hash = bcrypt::hash(PASSWORD, 4).expect("hash");
        self.store()
            .create_user(
                company_id,
                NewUser {
                    email: email.to_string(),
                    password_hash: hash,
                    role,
                    is_superadmin: superadmin,
                    password_changed_at: Some(Utc::now()),
                    temporary_password: false,
                },
            )
            .await
            .expect("user")
    }

    /// Any method, optional bearer token, optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// Fresh CSRF pair: (token, cookie header value).
    pub async fn csrf(&self) -> (String, String) {
        csrf_from(&self.client, &self.base, None).await
    }

    /// POST /api/auth/login with a valid CSRF pair.
    pub async fn post_login(&self, body: &Value) -> reqwest::Response {
        let (token, cookie) = self.csrf().await;
        self.client
            .post(self.url("/api/auth/login"))
            .header("X-CSRF-Token", token)
            .header("Cookie", cookie)
            .json(body)
            .send()
            .await
            .expect("login request")
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, email: &str) -> String {
        let response = self
            .post_login(&json!({"email": email, "password": PASSWORD}))
            .await;
        assert_eq!(response.status(), 200, "login of {email}");
        let body: Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
    }

    /// Stops the server and drops its state (the outbox stops with it),
    /// keeping the database for a "restarted" app.
    pub async fn shutdown(mut self) -> TestDb {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
        }
        let TestApp { db, .. } = self;
        db
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
        }
    }
}

pub async fn csrf_from(
    client: &reqwest::Client,
    base: &str,
    forwarded_for: Option<&str>,
) -> (String, String) {
    let mut request = client.get(format!("{base}/api/csrf-token"));
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    let response = request.send().await.expect("csrf");
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("csrf cookie")
        .to_string();
    let body: Value = response.json().await.expect("json");
    (
        body["csrf_token"].as_str().expect("token").to_string(),
        cookie,
    )
}

pub async fn seed_user(store: &Store, email: &str, role: Role, superadmin: bool) -> User {
    let hash = bcrypt::hash(PASSWORD, 4).expect("hash");
    let company = store
        .create_company(NewCompany {
            name: format!("Empresa {email}"),
            email: format!("empresa-{}@example.com", Uuid::new_v4().simple()),
            city: None,
            password_hash: hash.clone(),
        })
        .await
        .expect("company");
    store
        .create_user(
            company.id,
            NewUser {
                email: email.to_string(),
                password_hash: hash,
                role,
                is_superadmin: superadmin,
                password_changed_at: Some(Utc::now()),
                temporary_password: false,
            },
        )
        .await
        .expect("user")
}

pub fn json_headers(headers: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, HeaderValue::from_str(v).expect("header"));
    }
    map
}

/// Body of an error envelope, checked for shape.
pub async fn envelope(response: reqwest::Response) -> Vec<String> {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type:?}"
    );
    let body: Value = response.json().await.expect("json body");
    assert_eq!(body["ok"], json!(false), "{body}");
    body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e.as_str().expect("string").to_string())
        .collect()
}

/// A limiter for hand-built states.
pub async fn limiter(settings: &Settings) -> RateLimiter {
    RateLimiter::from_settings(settings).await.expect("limiter")
}

pub async fn open_store(url: &str) -> Store {
    store::connect(url).await.expect("store").0
}

pub fn secrets() -> Secrets {
    Secrets {
        secret_key: "test-secret-key".into(),
        jwt_secret_key: "test-jwt-secret".into(),
        fernet_key: None,
    }
}

/// Runs each listed `async fn name(app: TestApp)` on SQLite and, when
/// `TEST_DATABASE_URL` is set (always in CI), on PostgreSQL. With `@with f;`
/// the app is built by `async fn f(TestDb) -> TestApp` instead.
#[macro_export]
macro_rules! on_both_databases {
    (@with $make:path; $($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($make($crate::support::TestDb::sqlite()).await).await;
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
                    super::$case($make(db).await).await;
                }
            )*
        }
    };
    ($($case:ident),* $(,)?) => {
        $crate::on_both_databases!(@with $crate::support::TestApp::spawn_on; $($case),*);
    };
}

/// Runs each listed `async fn name(db: TestDb)` on a fresh SQLite database
/// and, when `TEST_DATABASE_URL` is set, on a fresh PostgreSQL schema (for
/// tests that build their own apps, e.g. with mock servers or two instances).
#[macro_export]
macro_rules! on_forms_databases {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::support::TestDb::sqlite()).await;
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
                    super::$case(db).await;
                }
            )*
        }
    };
}
