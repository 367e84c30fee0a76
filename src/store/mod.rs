//! Storage: one [`Store`] trait shaped by the service's use cases, with a
//! SQLite and a PostgreSQL adapter. Every tenant-scoped method takes the
//! company id as an explicit argument, so a query that forgets the tenant
//! cannot be written by accident.

mod migrate;
pub mod postgres;
mod shared;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use migrate::{MigrationReport, migrate_postgres, migrate_sqlite};

/// Role of a user inside their company (`usuarios.rol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Operations,
}

impl Role {
    /// The value stored in `usuarios.rol` and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operations => "operativo",
        }
    }

    /// Reads a stored role. Anything but `admin` grants no admin rights.
    pub fn from_db(value: &str) -> Role {
        if value == "admin" {
            Role::Admin
        } else {
            Role::Operations
        }
    }
}

/// A row of `usuarios`.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub company_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub active: bool,
    pub is_superadmin: bool,
    pub password_changed_at: Option<DateTime<Utc>>,
    /// Tokens issued before this instant are refused (our addition)...
    pub tokens_valid_from: Option<DateTime<Utc>>,
    /// ...except the one whose SHA-256 (hex) this is: the session that
    /// changed its own password.
    pub kept_token: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A row of `empresas`.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub city: Option<String>,
    pub active: bool,
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewCompany {
    pub name: String,
    pub email: String,
    pub city: Option<String>,
    /// bcrypt hash; companies never log in, the column is NOT NULL.
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub is_superadmin: bool,
    pub password_changed_at: Option<DateTime<Utc>>,
}

/// A password replacement and the sessions it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordChange {
    pub hash: String,
    pub changed_at: DateTime<Utc>,
    pub tokens_valid_from: DateTime<Utc>,
    pub kept_token: Option<String>,
    /// When set, the change applies only if the stored hash is still this one.
    pub replaces_hash: Option<String>,
}

/// One change to a user row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UserChange {
    Role(Role),
    Active(bool),
    Superadmin(bool),
    /// Refuses every token of the user issued before this instant.
    TokensValidFrom(DateTime<Utc>),
}

/// A row of `apartamentos`.
#[derive(Debug, Clone, PartialEq)]
pub struct Apartment {
    pub id: Uuid,
    pub company_id: Uuid,
    /// `id_externo`: the typology code (may repeat).
    pub external_id: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    /// `id_pms`: the apartment's id in the PMS (the upsert key).
    pub pms_id: Option<String>,
    /// `pms_origen`: `manual`, `xlsx`, `smoobu`, `beds24`.
    pub origin: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A manual apartment (`pms_origen = manual`, no `id_pms`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewApartment {
    pub name: String,
    pub external_id: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
}

/// An apartment from a PMS or a spreadsheet, upserted by `id_pms` (7.11).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApartmentUpsert {
    pub pms_id: String,
    pub external_id: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
}

/// Counts of an upsert batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpsertReport {
    pub created: u32,
    pub updated: u32,
}

/// A row of `logs_sincronizacion`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncLog {
    /// `pms`, `xlsx`, `google_contacts`, `heatmap_pms`.
    pub origin: &'static str,
    /// `exito`, `error`, `parcial`.
    pub status: &'static str,
    pub records: Option<i32>,
    pub detail: Option<String>,
}

/// Builds the log row of an upsert from its counts.
pub type SyncLogFor = Box<dyn FnOnce(UpsertReport) -> SyncLog + Send>;

/// A partial update: `None` keeps a column, `Some(None)` writes NULL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApartmentChanges {
    pub name: Option<String>,
    pub address: Option<Option<String>>,
    pub city: Option<Option<String>>,
}

/// A row of `configuracion_pms` (the key stays encrypted).
#[derive(Debug, Clone, PartialEq)]
pub struct PmsConfig {
    pub provider: String,
    pub api_key_encrypted: Option<String>,
    /// Smoobu's signing secret (our addition).
    pub api_secret_encrypted: Option<String>,
    pub endpoint: Option<String>,
    pub active: bool,
    pub last_sync: Option<DateTime<Utc>>,
}

/// What a PMS settings save writes.
#[derive(Debug, Clone, PartialEq)]
pub struct PmsSettings {
    pub provider: String,
    pub api_key_encrypted: String,
    pub api_secret_encrypted: Option<String>,
    /// `None` keeps the stored endpoint (NULL on insert); `Some` replaces it.
    pub endpoint: Option<Option<String>>,
}

/// A row of `configuracion_ia` (the key stays encrypted).
#[derive(Debug, Clone, PartialEq)]
pub struct AiConfig {
    pub provider: String,
    pub model: Option<String>,
    pub api_key_encrypted: Option<String>,
    pub active: bool,
}

/// Result of adding a user under the company's user limit.
#[derive(Debug, Clone, PartialEq)]
pub enum AddUser {
    Added(User),
    /// The company already has this many users or more.
    LimitReached(i64),
    EmailTaken,
}

/// Result of removing a user while keeping the company's last admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveUser {
    Removed,
    NotFound,
    /// The acting user tried to remove themselves.
    OwnAccount,
    LastAdmin,
}

/// Result of changing a role while keeping the company's last admin.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeRole {
    Changed(User),
    NotFound,
    LastAdmin,
}

/// Users a company may have when its settings say nothing (`max_usuarios`).
pub const DEFAULT_MAX_USERS: i64 = 4;

/// The user limit of a company's settings document.
pub fn max_users(settings: &serde_json::Value) -> i64 {
    let value = settings.get("max_usuarios");
    let whole_float = value
        .and_then(serde_json::Value::as_f64)
        .filter(|f| f.fract() == 0.0 && f.abs() < 1e15);
    value
        .and_then(serde_json::Value::as_i64)
        .or(whole_float.map(|f| f as i64))
        .unwrap_or(DEFAULT_MAX_USERS)
}

/// What `create-superadmin` and the first start need, done in one transaction.
#[derive(Debug, Clone)]
pub struct SuperadminSpec {
    pub email: String,
    pub password_hash: String,
    pub company_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the text names what clashed.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The database could not be reached or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict("unique constraint")
            }
            _ => StoreError::Other(err.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheapest round trip to the database (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Closes the pool (shutdown); later calls fail as unavailable.
    async fn close(&self);

    // --- identity (not tenant-scoped: these resolve who is calling) ---

    /// Login: users are looked up by their normalised email across companies.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Per-request token check: the user a token names.
    async fn user_by_id(&self, user_id: Uuid) -> StoreResult<Option<User>>;
    async fn superadmin_exists(&self) -> StoreResult<bool>;
    /// Creates (or promotes and re-keys) a superadmin, creating its company
    /// by name if needed. One transaction.
    async fn upsert_superadmin(&self, spec: SuperadminSpec) -> StoreResult<User>;

    // --- companies ---

    async fn create_company(&self, new: NewCompany) -> StoreResult<Company>;
    async fn company(&self, company_id: Uuid) -> StoreResult<Option<Company>>;
    /// Active companies, by name.
    async fn active_companies(&self) -> StoreResult<Vec<Company>>;
    /// Replaces one top-level key of `empresas.configuracion`, leaving the
    /// others as they are even when several writers save at once. False when
    /// the company does not exist.
    async fn set_company_setting(
        &self,
        company_id: Uuid,
        key: &'static str,
        value: serde_json::Value,
    ) -> StoreResult<bool>;

    // --- users of one company ---

    async fn create_user(&self, company_id: Uuid, new: NewUser) -> StoreResult<User>;
    /// Users of the company, oldest first.
    async fn users(&self, company_id: Uuid) -> StoreResult<Vec<User>>;
    async fn user(&self, company_id: Uuid, user_id: Uuid) -> StoreResult<Option<User>>;
    /// Adds a user unless the company is at its `max_usuarios` or the email
    /// is taken (in any company). Atomic against concurrent additions.
    async fn add_user_within_limit(&self, company_id: Uuid, new: NewUser) -> StoreResult<AddUser>;
    /// Deletes a user unless it is `acting_user_id` or the company's last admin.
    async fn remove_user(
        &self,
        company_id: Uuid,
        user_id: Uuid,
        acting_user_id: Uuid,
    ) -> StoreResult<RemoveUser>;
    /// Sets a role unless that would leave the company without an admin.
    async fn change_role(
        &self,
        company_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> StoreResult<ChangeRole>;
    /// Changes one thing of a user of that company; false when the user is not in it.
    async fn update_user(
        &self,
        company_id: Uuid,
        user_id: Uuid,
        change: UserChange,
    ) -> StoreResult<bool>;
    async fn delete_user(&self, company_id: Uuid, user_id: Uuid) -> StoreResult<bool>;
    /// New password hash and change date; tokens issued before
    /// `tokens_valid_from` stop working, except `kept_token` (a SHA-256 hex).
    async fn set_password(
        &self,
        company_id: Uuid,
        user_id: Uuid,
        change: PasswordChange,
    ) -> StoreResult<bool>;

    // --- apartments of one company ---

    /// Active apartments, by name.
    async fn apartments(&self, company_id: Uuid) -> StoreResult<Vec<Apartment>>;
    /// One apartment, soft-deleted ones included.
    async fn apartment(
        &self,
        company_id: Uuid,
        apartment_id: Uuid,
    ) -> StoreResult<Option<Apartment>>;
    async fn create_apartment(&self, company_id: Uuid, new: NewApartment)
    -> StoreResult<Apartment>;
    /// `None` when the apartment is not in the company. Does not reactivate.
    async fn update_apartment(
        &self,
        company_id: Uuid,
        apartment_id: Uuid,
        changes: ApartmentChanges,
    ) -> StoreResult<Option<Apartment>>;
    /// Soft delete; false when the apartment is not in the company.
    async fn deactivate_apartment(&self, company_id: Uuid, apartment_id: Uuid)
    -> StoreResult<bool>;

    /// Apartments that have an `id_pms`, soft-deleted ones included (import preview).
    async fn apartments_with_pms_id(&self, company_id: Uuid) -> StoreResult<Vec<Apartment>>;
    /// Upserts by (company, `id_pms`) in one transaction (all or nothing):
    /// existing rows get `id_externo`, `nombre`, non-empty `direccion`/`ciudad`,
    /// and are reactivated (origin unchanged); new rows get `origin`. The log
    /// row is written in the same transaction.
    async fn upsert_apartments(
        &self,
        company_id: Uuid,
        rows: &[ApartmentUpsert],
        origin: &str,
        log: SyncLogFor,
    ) -> StoreResult<UpsertReport>;
    /// Appends to `logs_sincronizacion`.
    async fn log_sync(&self, company_id: Uuid, log: SyncLog) -> StoreResult<()>;
    /// The company's sync log, newest first: (origin, status, records, detail).
    async fn sync_logs(
        &self,
        company_id: Uuid,
        limit: i64,
    ) -> StoreResult<Vec<(String, String, Option<i32>, Option<String>)>>;

    // --- integrations of one company ---

    async fn pms_config(&self, company_id: Uuid) -> StoreResult<Option<PmsConfig>>;
    /// Creates or updates the company's PMS settings; returns them.
    async fn save_pms_config(
        &self,
        company_id: Uuid,
        settings: PmsSettings,
    ) -> StoreResult<PmsConfig>;
    async fn delete_pms_config(&self, company_id: Uuid) -> StoreResult<bool>;
    async fn ai_config(&self, company_id: Uuid) -> StoreResult<Option<AiConfig>>;
    /// Creates or replaces provider, model and key (each overwritten, `None` included).
    async fn save_ai_config(
        &self,
        company_id: Uuid,
        provider: &str,
        model: Option<&str>,
        api_key_encrypted: Option<&str>,
    ) -> StoreResult<()>;
    async fn delete_ai_config(&self, company_id: Uuid) -> StoreResult<bool>;
    /// An active Google Contacts connection exists.
    async fn google_connected(&self, company_id: Uuid) -> StoreResult<bool>;
}

pub type DynStore = Arc<dyn Store>;

/// Which engine a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

/// Opens the database named by `url`, applies pending migrations and returns the store.
pub async fn connect(url: &str) -> anyhow::Result<(DynStore, MigrationReport)> {
    match Engine::of(url) {
        Some(Engine::Sqlite) => {
            let store = sqlite::SqliteStore::connect(url).await?;
            let report = migrate_sqlite(store.pool()).await?;
            Ok((Arc::new(store), report))
        }
        Some(Engine::Postgres) => {
            let store = postgres::PgStore::connect(url).await?;
            let report = migrate_postgres(store.pool()).await?;
            Ok((Arc::new(store), report))
        }
        None => anyhow::bail!(
            "DATABASE_URL must start with sqlite: or postgres: (got {:?})",
            url.split(':').next().unwrap_or_default()
        ),
    }
}

/// Fresh timestamps carry microseconds at most, as PostgreSQL stores them, so
/// a value read back equals the value written on both engines.
pub fn now() -> DateTime<Utc> {
    use chrono::{SubsecRound, Timelike};
    let now = Utc::now();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or_else(|| now.trunc_subsecs(0))
}

/// Column lists shared by both adapters (macros so queries stay `&'static str`).
macro_rules! user_columns {
    () => {
        "id, empresa_id, email, password_hash, rol, activo, es_superadmin, \
         password_changed_at, tokens_validos_desde, token_conservado, created_at, updated_at"
    };
}
macro_rules! apartment_columns {
    () => {
        "id, empresa_id, id_externo, nombre, direccion, ciudad, id_pms, pms_origen, activo, created_at, updated_at"
    };
}
macro_rules! company_columns {
    () => {
        "id, nombre, email, ciudad, activa, configuracion, created_at, updated_at"
    };
}
pub(crate) use {apartment_columns, company_columns, user_columns};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn max_users_reads_whole_numbers_and_defaults_to_four() {
        assert_eq!(max_users(&json!({"max_usuarios": 10})), 10);
        assert_eq!(max_users(&json!({"max_usuarios": 10.0})), 10);
        assert_eq!(max_users(&json!({"max_usuarios": 10.5})), DEFAULT_MAX_USERS);
        assert_eq!(max_users(&json!({})), DEFAULT_MAX_USERS);
    }
}
