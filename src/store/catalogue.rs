//! `apartamentos` and `logs_sincronizacion`: the apartment catalogue of one
//! company (manual CRUD, upserts from a PMS or a spreadsheet) and its sync log.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::companies::lock_company;
use super::engine::{Row, Tx, sql};
use super::{Store, StoreError, StoreResult, now};

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
    /// `zona_horaria`: the apartment's IANA zone; `None`: the company's.
    pub time_zone: Option<String>,
}

/// A manual apartment (`pms_origen = manual`, no `id_pms`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewApartment {
    pub name: String,
    pub external_id: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub time_zone: Option<String>,
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
    pub time_zone: Option<Option<String>>,
}

macro_rules! apartment_columns {
    () => {
        "id, empresa_id, id_externo, nombre, direccion, ciudad, id_pms, pms_origen, activo, \
         created_at, updated_at, zona_horaria"
    };
}

fn apartment_from_row(row: &Row) -> Result<Apartment, sqlx::Error> {
    Ok(Apartment {
        id: row.id("id")?,
        company_id: row.id("empresa_id")?,
        external_id: row.get("id_externo")?,
        name: row.get("nombre")?,
        address: row.get("direccion")?,
        city: row.get("ciudad")?,
        pms_id: row.get("id_pms")?,
        origin: row.get("pms_origen")?,
        active: row.get("activo")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        time_zone: row.get("zona_horaria")?,
    })
}

fn apartments_from(rows: Vec<Row>) -> StoreResult<Vec<Apartment>> {
    Ok(rows
        .iter()
        .map(apartment_from_row)
        .collect::<Result<_, _>>()?)
}

async fn insert_log(tx: &mut Tx, company_id: Uuid, log: SyncLog) -> StoreResult<()> {
    sql("INSERT INTO logs_sincronizacion \
         (id, empresa_id, origen, estado, num_registros, detalle, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
    .bind(Uuid::new_v4())
    .bind(company_id)
    .bind(log.origin)
    .bind(log.status)
    .bind(log.records)
    .bind(&log.detail)
    .bind(now())
    .execute(tx)
    .await?;
    Ok(())
}

/// Upserts one row by (company, `id_pms`); true when it created a row.
async fn upsert_one(
    tx: &mut Tx,
    company_id: Uuid,
    row: &ApartmentUpsert,
    origin: &str,
) -> StoreResult<bool> {
    let at = now();
    let updated = sql("UPDATE apartamentos SET id_externo = $1, nombre = $2, \
         direccion = CASE WHEN $3 IS NULL OR $3 = '' THEN direccion ELSE $3 END, \
         ciudad = CASE WHEN $4 IS NULL OR $4 = '' THEN ciudad ELSE $4 END, \
         activo = $5, updated_at = $6 WHERE empresa_id = $7 AND id_pms = $8")
    .bind(&row.external_id)
    .bind(&row.name)
    .bind(&row.address)
    .bind(&row.city)
    .bind(true)
    .bind(at)
    .bind(company_id)
    .bind(&row.pms_id)
    .execute(&mut *tx)
    .await?;
    if updated > 0 {
        return Ok(false);
    }
    sql(
        "INSERT INTO apartamentos (id, empresa_id, id_externo, nombre, direccion, ciudad, \
         id_pms, pms_origen, activo, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(Uuid::new_v4())
    .bind(company_id)
    .bind(&row.external_id)
    .bind(&row.name)
    .bind(&row.address)
    .bind(&row.city)
    .bind(&row.pms_id)
    .bind(origin)
    .bind(true)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(true)
}

impl Store {
    /// Active apartments, by name.
    pub async fn apartments(&self, company_id: Uuid) -> StoreResult<Vec<Apartment>> {
        let rows = sql(concat!(
            "SELECT ",
            apartment_columns!(),
            " FROM apartamentos WHERE empresa_id = $1 AND activo = $2 ORDER BY nombre, id"
        ))
        .bind(company_id)
        .bind(true)
        .fetch_all(&self.db)
        .await?;
        apartments_from(rows)
    }

    /// One apartment, soft-deleted ones included.
    pub async fn apartment(
        &self,
        company_id: Uuid,
        apartment_id: Uuid,
    ) -> StoreResult<Option<Apartment>> {
        let row = sql(concat!(
            "SELECT ",
            apartment_columns!(),
            " FROM apartamentos WHERE id = $1 AND empresa_id = $2"
        ))
        .bind(apartment_id)
        .bind(company_id)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(apartment_from_row).transpose()?)
    }

    pub async fn create_apartment(
        &self,
        company_id: Uuid,
        new: NewApartment,
    ) -> StoreResult<Apartment> {
        let row = sql(concat!(
            "INSERT INTO apartamentos (id, empresa_id, id_externo, nombre, direccion, ciudad, \
             id_pms, pms_origen, activo, created_at, updated_at, zona_horaria) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL, 'manual', $7, $8, $8, $9) RETURNING ",
            apartment_columns!()
        ))
        .bind(Uuid::new_v4())
        .bind(company_id)
        .bind(&new.external_id)
        .bind(&new.name)
        .bind(&new.address)
        .bind(&new.city)
        .bind(true)
        .bind(now())
        .bind(&new.time_zone)
        .fetch_one(&self.db)
        .await?;
        Ok(apartment_from_row(&row)?)
    }

    /// `None` when the apartment is not in the company. Does not reactivate.
    pub async fn update_apartment(
        &self,
        company_id: Uuid,
        apartment_id: Uuid,
        changes: ApartmentChanges,
    ) -> StoreResult<Option<Apartment>> {
        let row = sql(concat!(
            "UPDATE apartamentos SET \
             nombre = CASE WHEN $1 THEN $2 ELSE nombre END, \
             direccion = CASE WHEN $3 THEN $4 ELSE direccion END, \
             ciudad = CASE WHEN $5 THEN $6 ELSE ciudad END, \
             zona_horaria = CASE WHEN $10 THEN $11 ELSE zona_horaria END, \
             updated_at = $7 WHERE id = $8 AND empresa_id = $9 RETURNING ",
            apartment_columns!()
        ))
        .bind(changes.name.is_some())
        .bind(&changes.name)
        .bind(changes.address.is_some())
        .bind(changes.address.as_ref().and_then(Option::as_deref))
        .bind(changes.city.is_some())
        .bind(changes.city.as_ref().and_then(Option::as_deref))
        .bind(now())
        .bind(apartment_id)
        .bind(company_id)
        .bind(changes.time_zone.is_some())
        .bind(changes.time_zone.as_ref().and_then(Option::as_deref))
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(apartment_from_row).transpose()?)
    }

    /// Soft delete; false when the apartment is not in the company.
    pub async fn deactivate_apartment(
        &self,
        company_id: Uuid,
        apartment_id: Uuid,
    ) -> StoreResult<bool> {
        let changed = sql(
            "UPDATE apartamentos SET activo = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4",
        )
        .bind(false)
        .bind(now())
        .bind(apartment_id)
        .bind(company_id)
        .execute(&self.db)
        .await?;
        Ok(changed == 1)
    }

    /// Apartments that have an `id_pms`, soft-deleted ones included (import preview).
    pub async fn apartments_with_pms_id(&self, company_id: Uuid) -> StoreResult<Vec<Apartment>> {
        let rows = sql(concat!(
            "SELECT ",
            apartment_columns!(),
            " FROM apartamentos WHERE empresa_id = $1 AND id_pms IS NOT NULL"
        ))
        .bind(company_id)
        .fetch_all(&self.db)
        .await?;
        apartments_from(rows)
    }

    /// Upserts by (company, `id_pms`) in one transaction (all or nothing):
    /// existing rows get `id_externo`, `nombre`, non-empty `direccion`/`ciudad`,
    /// and are reactivated (origin unchanged); new rows get `origin`. The log
    /// row is written in the same transaction.
    pub async fn upsert_apartments(
        &self,
        company_id: Uuid,
        rows: &[ApartmentUpsert],
        origin: &str,
        log: SyncLogFor,
    ) -> StoreResult<UpsertReport> {
        let mut tx = self.db.begin().await?;
        // One import or sync of a company at a time.
        if !lock_company(&mut tx, company_id).await? {
            return Err(StoreError::Other(format!(
                "company {company_id} does not exist"
            )));
        }
        let mut report = UpsertReport::default();
        for row in rows {
            if upsert_one(&mut tx, company_id, row, origin).await? {
                report.created += 1;
            } else {
                report.updated += 1;
            }
        }
        insert_log(&mut tx, company_id, log(report)).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Appends to `logs_sincronizacion`.
    pub async fn log_sync(&self, company_id: Uuid, log: SyncLog) -> StoreResult<()> {
        let mut tx = self.db.begin().await?;
        insert_log(&mut tx, company_id, log).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The company's sync log, newest first: (origin, status, records, detail).
    pub async fn sync_logs(
        &self,
        company_id: Uuid,
        limit: i64,
    ) -> StoreResult<Vec<(String, String, Option<i32>, Option<String>)>> {
        let rows = sql(
            "SELECT origen, estado, num_registros, detalle FROM logs_sincronizacion \
             WHERE empresa_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(company_id)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push((
                row.get("origen")?,
                row.get("estado")?,
                row.get("num_registros")?,
                row.get("detalle")?,
            ));
        }
        Ok(out)
    }
}
