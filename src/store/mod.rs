//! Storage: one [`Store`] shaped by the service's use cases. Its methods are
//! grouped by area, one file each holding its SQL: `identity.rs` (who is
//! calling), `users.rs`, `companies.rs`, `catalogue.rs`, `integrations.rs`,
//! `vault.rs`, `late_templates.rs`, `ai.rs`, `forms.rs` (public form
//! submissions and their outbox). The SQL is written once for both engines; `engine.rs`
//! is the one place where SQLite and PostgreSQL differ. Every tenant-scoped
//! method takes the company id as an explicit argument, so a query that
//! forgets the tenant cannot be written by accident.

mod ai;
mod catalogue;
mod companies;
mod engine;
mod forms;
mod identity;
mod integrations;
mod late_templates;
mod migrate;
mod user_cache;
mod users;
mod vault;

use chrono::{DateTime, Utc};

pub use ai::{AiQuota, AiReservation, AiUsage};
pub use catalogue::{
    Apartment, ApartmentChanges, ApartmentUpsert, NewApartment, SyncLog, SyncLogFor, UpsertReport,
};
pub use companies::{Company, DEFAULT_MAX_USERS, NewCompany, max_users};
pub use forms::{ClaimedDelivery, Delivery, Submission};
pub use integrations::{AiConfig, GoogleConnection, PmsConfig, PmsSettings};
pub use late_templates::LateTemplate;
pub use migrate::{MigrationReport, migrate_postgres, migrate_sqlite};
pub use users::{
    AddUser, ChangeRole, NewUser, PasswordChange, RemoveUser, Role, SuperadminSpec, User,
    UserChange,
};
pub use vault::{NewTemplate, Template, TemplateFilter, TemplateUpdate};

use engine::{Db, sql};

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
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                return StoreError::Conflict("unique constraint");
            }
            _ => {}
        }
        crate::metrics::metrics().db_query_error();
        match &err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
            _ => StoreError::Other(err.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The service's storage, on SQLite or PostgreSQL. Cheap to clone (the pool
/// is shared); its methods live in the area files.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// The token check's user rows (`user_cache.rs`), shared by the clones.
    users: std::sync::Arc<user_cache::UserCache>,
}

impl Store {
    /// Cheapest round trip to the database (readiness).
    pub async fn ping(&self) -> StoreResult<()> {
        sql("SELECT 1").execute(&self.db).await?;
        Ok(())
    }

    /// Closes the pool (shutdown); later calls fail as unavailable.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Connections the pool holds and how many of them are idle (metrics).
    pub fn pool_state(&self) -> (u32, usize) {
        match &self.db {
            Db::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Db::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    pub fn engine(&self) -> Engine {
        match self.db {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }
}

/// A unique-constraint failure named after what clashed.
fn conflict_as(err: sqlx::Error, what: &'static str) -> StoreError {
    match StoreError::from(err) {
        StoreError::Conflict(_) => StoreError::Conflict(what),
        other => other,
    }
}

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
pub async fn connect(url: &str) -> anyhow::Result<(Store, MigrationReport)> {
    let db = match Engine::of(url) {
        Some(Engine::Sqlite) => Db::sqlite(url).await?,
        Some(Engine::Postgres) => Db::postgres(url).await?,
        None => anyhow::bail!(
            "DATABASE_URL must start with sqlite: or postgres: (got {:?})",
            url.split(':').next().unwrap_or_default()
        ),
    };
    let report = match &db {
        Db::Sqlite(pool) => migrate_sqlite(pool).await?,
        Db::Postgres(pool) => migrate_postgres(pool).await?,
    };
    Ok((
        Store {
            db,
            users: Default::default(),
        },
        report,
    ))
}

/// Fresh timestamps carry microseconds at most, as PostgreSQL stores them, so
/// a value read back equals the value written on both engines.
pub fn now() -> DateTime<Utc> {
    use chrono::{SubsecRound, Timelike};
    let now = Utc::now();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or_else(|| now.trunc_subsecs(0))
}

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
