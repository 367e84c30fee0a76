//! SQLite adapter: the embedded default. UUIDs are hyphenated TEXT, JSON is
//! TEXT, timestamps are RFC 3339 TEXT.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

use super::shared::store_adapter;
use super::{
    AddUser, AiConfig, Apartment, ApartmentChanges, ApartmentUpsert, ChangeRole, Company,
    NewApartment, NewCompany, NewUser, PasswordChange, PmsConfig, PmsSettings, RemoveUser, Role,
    Store, StoreError, StoreResult, SuperadminSpec, SyncLog, SyncLogFor, UpsertReport, User,
    UserChange, apartment_columns, company_columns, max_users, now, user_columns,
};

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file in WAL mode.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn id_arg(id: Uuid) -> Hyphenated {
    id.hyphenated()
}

fn uuid_at(row: &SqliteRow, column: &str) -> Result<Uuid, sqlx::Error> {
    Ok(row.try_get::<Hyphenated, _>(column)?.into_uuid())
}

fn json_at(row: &SqliteRow, column: &str) -> Result<serde_json::Value, sqlx::Error> {
    let text: &str = row.try_get(column)?;
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn json_arg(value: &serde_json::Value) -> String {
    value.to_string()
}

store_adapter!(SqliteStore, sqlx::Sqlite, SqliteRow);
