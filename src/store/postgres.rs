//! PostgreSQL adapter: the production engine, on the original's schema
//! (native UUID, JSONB, TIMESTAMPTZ).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::shared::store_adapter;
use super::{
    AddUser, AiConfig, Apartment, ApartmentChanges, ApartmentUpsert, ChangeRole, Company,
    NewApartment, NewCompany, NewUser, PasswordChange, PmsConfig, PmsSettings, RemoveUser, Role,
    Store, StoreError, StoreResult, SuperadminSpec, SyncLog, SyncLogFor, UpsertReport, User,
    UserChange, apartment_columns, company_columns, max_users, now, user_columns,
};

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_with(PgConnectOptions::from_str(url)?).await
    }

    pub async fn connect_with(options: PgConnectOptions) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(PgStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn id_arg(id: Uuid) -> Uuid {
    id
}

fn uuid_at(row: &PgRow, column: &str) -> Result<Uuid, sqlx::Error> {
    row.try_get(column)
}

fn json_at(row: &PgRow, column: &str) -> Result<serde_json::Value, sqlx::Error> {
    row.try_get(column)
}

fn json_arg(value: &serde_json::Value) -> sqlx::types::Json<&serde_json::Value> {
    sqlx::types::Json(value)
}

store_adapter!(PgStore, sqlx::Postgres, PgRow);
