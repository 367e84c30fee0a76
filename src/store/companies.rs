//! `empresas`: the tenants, their settings document (`configuracion`) and the
//! company row lock that serialises checks on one company's users and settings.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::engine::{On, Row, Tx, sql};
use super::{Store, StoreResult, conflict_as, now};

/// A row of `empresas`.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub city: Option<String>,
    pub active: bool,
    pub settings: Value,
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

/// Users a company may have when its settings say nothing (`max_usuarios`).
pub const DEFAULT_MAX_USERS: i64 = 4;

/// The user limit of a company's settings document.
pub fn max_users(settings: &Value) -> i64 {
    let value = settings.get("max_usuarios");
    let whole_float = value
        .and_then(Value::as_f64)
        .filter(|f| f.fract() == 0.0 && f.abs() < 1e15);
    value
        .and_then(Value::as_i64)
        .or(whole_float.map(|f| f as i64))
        .unwrap_or(DEFAULT_MAX_USERS)
}

macro_rules! company_columns {
    () => {
        "id, nombre, email, ciudad, activa, configuracion, created_at, updated_at"
    };
}
pub(super) use company_columns;

pub(super) fn company_from_row(row: &Row) -> Result<Company, sqlx::Error> {
    Ok(Company {
        id: row.id("id")?,
        name: row.get("nombre")?,
        email: row.get("email")?,
        city: row.get("ciudad")?,
        active: row.get("activa")?,
        settings: row.json("configuracion")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

pub(super) async fn insert_company(
    on: impl Into<On<'_>>,
    new: &NewCompany,
) -> StoreResult<Company> {
    let row = sql(concat!(
        "INSERT INTO empresas (id, nombre, email, password_hash, ciudad, herramientas_activas, \
         configuracion, activa, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, '{}', '{}', $6, $7, $7) RETURNING ",
        company_columns!()
    ))
    .bind(Uuid::new_v4())
    .bind(&new.name)
    .bind(&new.email)
    .bind(&new.password_hash)
    .bind(&new.city)
    .bind(true)
    .bind(now())
    .fetch_one(on)
    .await
    .map_err(|e| conflict_as(e, "empresas.email"))?;
    Ok(company_from_row(&row)?)
}

/// Takes the company row's write lock for the rest of the transaction (a row
/// lock on PostgreSQL, the database write lock on SQLite), so the checks and
/// writes on one company's users and settings never interleave. False when
/// the company does not exist.
pub(super) async fn lock_company(tx: &mut Tx, company_id: Uuid) -> StoreResult<bool> {
    let locked = sql("UPDATE empresas SET updated_at = updated_at WHERE id = $1")
        .bind(company_id)
        .execute(tx)
        .await?;
    Ok(locked == 1)
}

pub(super) async fn company_settings(tx: &mut Tx, company_id: Uuid) -> StoreResult<Value> {
    let row = sql("SELECT configuracion FROM empresas WHERE id = $1")
        .bind(company_id)
        .fetch_one(tx)
        .await?;
    Ok(row.json("configuracion")?)
}

impl Store {
    pub async fn create_company(&self, new: NewCompany) -> StoreResult<Company> {
        insert_company(&self.db, &new).await
    }

    pub async fn company(&self, company_id: Uuid) -> StoreResult<Option<Company>> {
        let row = sql(concat!(
            "SELECT ",
            company_columns!(),
            " FROM empresas WHERE id = $1"
        ))
        .bind(company_id)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(company_from_row).transpose()?)
    }

    /// Active companies, by name.
    pub async fn active_companies(&self) -> StoreResult<Vec<Company>> {
        let rows = sql(concat!(
            "SELECT ",
            company_columns!(),
            " FROM empresas WHERE activa = $1 ORDER BY nombre"
        ))
        .bind(true)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(company_from_row)
            .collect::<Result<_, _>>()?)
    }

    /// One top-level key of the company's `empresas.configuracion`; `None`
    /// when the company, the key or its value is missing (JSON null).
    pub async fn company_setting(&self, company_id: Uuid, key: &str) -> StoreResult<Option<Value>> {
        Ok(self
            .company(company_id)
            .await?
            .and_then(|mut c| c.settings.get_mut(key).map(Value::take))
            .filter(|v| !v.is_null()))
    }

    /// Replaces one top-level key of `empresas.configuracion`, leaving the
    /// others as they are even when several writers save at once. False when
    /// the company does not exist.
    pub async fn set_company_setting(
        &self,
        company_id: Uuid,
        key: &'static str,
        value: Value,
    ) -> StoreResult<bool> {
        self.edit_company_setting(company_id, key, |slot| *slot = value)
            .await
    }

    /// Writes the fields of `patch` into the object under `key`, keeping the
    /// object's other fields (a setting that several routes write part of).
    /// False when the company does not exist.
    pub async fn merge_company_setting(
        &self,
        company_id: Uuid,
        key: &'static str,
        patch: serde_json::Map<String, Value>,
    ) -> StoreResult<bool> {
        self.edit_company_setting(company_id, key, |slot| {
            if !slot.is_object() {
                *slot = serde_json::json!({});
            }
            if let Some(object) = slot.as_object_mut() {
                object.extend(patch);
            }
        })
        .await
    }

    /// Changes `configuracion[key]` under the company's row lock, so that
    /// writers of different keys (or fields) never undo each other.
    async fn edit_company_setting(
        &self,
        company_id: Uuid,
        key: &'static str,
        edit: impl FnOnce(&mut Value),
    ) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        if !lock_company(&mut tx, company_id).await? {
            return Ok(false);
        }
        let mut settings = company_settings(&mut tx, company_id).await?;
        if !settings.is_object() {
            settings = serde_json::json!({});
        }
        edit(&mut settings[key]);
        sql("UPDATE empresas SET configuracion = $1, updated_at = $2 WHERE id = $3")
            .bind(&settings)
            .bind(now())
            .bind(company_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
