//! The one place where SQLite and PostgreSQL differ. Area files write their
//! SQL once (`$n` placeholders work on both engines) with [`sql`], bind plain
//! Rust values, run it on a [`Db`] or a [`Tx`], and read [`Row`]s; this module
//! turns that into the engine's own sqlx calls. The differences it hides:
//!
//! - UUIDs: native `uuid` on PostgreSQL, hyphenated TEXT on SQLite;
//! - JSON: `jsonb` on PostgreSQL, TEXT on SQLite;
//! - pools, transactions and row types, which sqlx types per engine.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Decode, PgPool, Postgres, Row as _, Sqlite, SqlitePool, Type};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

/// A connection pool on either engine.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Opens (creating if missing) a SQLite file in WAL mode.
    pub async fn sqlite(url: &str) -> anyhow::Result<Db> {
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
        Ok(Db::Sqlite(pool))
    }

    pub async fn postgres(url: &str) -> anyhow::Result<Db> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(PgConnectOptions::from_str(url)?)
            .await?;
        Ok(Db::Postgres(pool))
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// An open transaction; dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Where a statement runs: on a pooled connection or inside a transaction.
pub enum On<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Db> for On<'a> {
    fn from(db: &'a Db) -> Self {
        On::Db(db)
    }
}

impl<'a> From<&'a mut Tx> for On<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        On::Tx(tx)
    }
}

/// A value bound to a placeholder. UUIDs and JSON are bound as each engine
/// stores them; the rest as sqlx binds them on both.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Id(Option<Uuid>),
    Text(Option<&'a str>),
    Bool(bool),
    Int(Option<i64>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Json(&'a Value),
}

macro_rules! arg_from {
    ($($t:ty => $variant:ident($conv:expr)),* $(,)?) => {
        $(impl<'a> From<$t> for Arg<'a> {
            fn from(value: $t) -> Self {
                #[allow(clippy::redundant_closure_call)]
                Arg::$variant(($conv)(value))
            }
        })*
    };
}

arg_from! {
    Uuid => Id(Some),
    Option<Uuid> => Id(|v| v),
    &'a str => Text(Some),
    &'a String => Text(|v: &'a String| Some(v.as_str())),
    Option<&'a str> => Text(|v| v),
    &'a Option<String> => Text(|v: &'a Option<String>| v.as_deref()),
    bool => Bool(|v| v),
    i64 => Int(Some),
    Option<i32> => Int(|v: Option<i32>| v.map(i64::from)),
    DateTime<Utc> => Time(Some),
    Option<DateTime<Utc>> => Time(|v| v),
    NaiveDate => Date(Some),
    &'a Value => Json(|v| v),
}

/// One SQL statement and its arguments, not yet tied to an engine.
#[must_use = "a statement does nothing until it runs"]
pub struct Sql<'a> {
    text: &'static str,
    args: Vec<Arg<'a>>,
}

/// Starts a statement. Placeholders are `$1`, `$2`, ... on both engines.
pub fn sql<'a>(text: &'static str) -> Sql<'a> {
    Sql {
        text,
        args: Vec::new(),
    }
}

impl<'a> Sql<'a> {
    pub fn bind(mut self, value: impl Into<Arg<'a>>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs the statement; the number of rows it changed.
    pub async fn execute(self, on: impl Into<On<'_>>) -> Result<u64, sqlx::Error> {
        Ok(match on.into() {
            On::Db(Db::Sqlite(pool)) => self.sqlite().execute(pool).await?.rows_affected(),
            On::Db(Db::Postgres(pool)) => self.postgres().execute(pool).await?.rows_affected(),
            On::Tx(Tx::Sqlite(tx)) => self.sqlite().execute(&mut **tx).await?.rows_affected(),
            On::Tx(Tx::Postgres(tx)) => self.postgres().execute(&mut **tx).await?.rows_affected(),
        })
    }

    /// Runs the statement and reads every row it returns.
    pub async fn fetch_all(self, on: impl Into<On<'_>>) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match on.into() {
            On::Db(Db::Sqlite(pool)) => rows(self.sqlite().fetch_all(pool).await?, Row::Sqlite),
            On::Db(Db::Postgres(pool)) => {
                rows(self.postgres().fetch_all(pool).await?, Row::Postgres)
            }
            On::Tx(Tx::Sqlite(tx)) => rows(self.sqlite().fetch_all(&mut **tx).await?, Row::Sqlite),
            On::Tx(Tx::Postgres(tx)) => {
                rows(self.postgres().fetch_all(&mut **tx).await?, Row::Postgres)
            }
        })
    }

    /// The first row, if any (the statements that use this return at most one).
    pub async fn fetch_optional(self, on: impl Into<On<'_>>) -> Result<Option<Row>, sqlx::Error> {
        Ok(match on.into() {
            On::Db(Db::Sqlite(pool)) => self.sqlite().fetch_optional(pool).await?.map(Row::Sqlite),
            On::Db(Db::Postgres(pool)) => self
                .postgres()
                .fetch_optional(pool)
                .await?
                .map(Row::Postgres),
            On::Tx(Tx::Sqlite(tx)) => self
                .sqlite()
                .fetch_optional(&mut **tx)
                .await?
                .map(Row::Sqlite),
            On::Tx(Tx::Postgres(tx)) => self
                .postgres()
                .fetch_optional(&mut **tx)
                .await?
                .map(Row::Postgres),
        })
    }

    /// The one row the statement must return.
    pub async fn fetch_one(self, on: impl Into<On<'_>>) -> Result<Row, sqlx::Error> {
        self.fetch_optional(on)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    fn sqlite(self) -> sqlx::query::Query<'static, Sqlite, sqlx::sqlite::SqliteArguments> {
        let mut query = sqlx::query(self.text);
        for arg in self.args {
            query = match arg {
                Arg::Id(v) => query.bind(v.map(|id| id.hyphenated())),
                Arg::Text(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
                Arg::Int(v) => query.bind(v),
                Arg::Time(v) => query.bind(v),
                Arg::Date(v) => query.bind(v),
                Arg::Json(v) => query.bind(v.to_string()),
            };
        }
        query
    }

    fn postgres(self) -> sqlx::query::Query<'static, Postgres, sqlx::postgres::PgArguments> {
        let mut query = sqlx::query(self.text);
        for arg in self.args {
            query = match arg {
                Arg::Id(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
                Arg::Int(v) => query.bind(v),
                Arg::Time(v) => query.bind(v),
                Arg::Date(v) => query.bind(v),
                Arg::Json(v) => query.bind(sqlx::types::Json(v)),
            };
        }
        query
    }
}

fn rows<R>(raw: Vec<R>, wrap: fn(R) -> Row) -> Vec<Row> {
    raw.into_iter().map(wrap).collect()
}

/// A value type both engines decode the same way (text, numbers, booleans,
/// timestamps, and `Option`s of them).
pub trait Plain:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Plain for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A result row of either engine.
pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    pub fn get<T: Plain>(&self, column: &str) -> Result<T, sqlx::Error> {
        match self {
            Row::Sqlite(row) => row.try_get(column),
            Row::Postgres(row) => row.try_get(column),
        }
    }

    pub fn id(&self, column: &str) -> Result<Uuid, sqlx::Error> {
        match self {
            Row::Sqlite(row) => Ok(row.try_get::<Hyphenated, _>(column)?.into_uuid()),
            Row::Postgres(row) => row.try_get(column),
        }
    }

    pub fn json(&self, column: &str) -> Result<Value, sqlx::Error> {
        match self {
            Row::Sqlite(row) => {
                let text: &str = row.try_get(column)?;
                serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
            }
            Row::Postgres(row) => row.try_get(column),
        }
    }
}
