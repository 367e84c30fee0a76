//! `/api/apartamentos...`: the apartment catalogue, its spreadsheet import,
//! the company's PMS settings and the PMS sync. Import and sync write the
//! catalogue the same way: `upsert_catalogue`.

pub mod catalogue;
pub mod import;
pub mod pms_config;
pub mod sync;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::store::{ApartmentUpsert, SyncLog, SyncLogFor, UpsertReport};

#[derive(Serialize, ToSchema)]
pub struct SyncCounts {
    pub actualizados: u32,
    pub nuevos: u32,
    pub total: u32,
}

/// Where a catalogue write comes from, as its `logs_sincronizacion` row says.
pub struct CatalogueSource {
    /// `origen` of the log row: `pms` or `xlsx`.
    pub log_origin: &'static str,
    /// The detail's prefix: `Smoobu`, `Beds24`, `XLSX`.
    pub label: &'static str,
    /// `pms_origen` of rows created by this write.
    pub apartment_origin: String,
    /// Rows of the source left out; when any, the log says `parcial` and counts them.
    pub row_errors: usize,
}

/// Upserts `rows` by `id_pms` in one transaction with its log row, drops the
/// company's cached list, and answers the counts.
pub async fn upsert_catalogue(
    state: &AppState,
    company: Uuid,
    rows: &[ApartmentUpsert],
    source: CatalogueSource,
) -> Result<SyncCounts, AppError> {
    let CatalogueSource {
        log_origin,
        label,
        apartment_origin,
        row_errors,
    } = source;
    let log: SyncLogFor = Box::new(move |r: UpsertReport| {
        let mut detail = format!("{label}: {} nuevos, {} actualizados", r.created, r.updated);
        if row_errors > 0 {
            detail.push_str(&format!(" ({row_errors} errores)"));
        }
        SyncLog {
            origin: log_origin,
            status: if row_errors > 0 { "parcial" } else { "exito" },
            records: Some((r.created + r.updated) as i32),
            detail: Some(detail),
        }
    });
    let report = state
        .store
        .upsert_apartments(company, rows, &apartment_origin, log)
        .await?;
    state.catalogue.invalidate(company);
    Ok(SyncCounts {
        actualizados: report.updated,
        nuevos: report.created,
        total: report.created + report.updated,
    })
}

/// Logs a sync or import that wrote nothing.
pub async fn log_failure(
    state: &AppState,
    company: Uuid,
    log_origin: &'static str,
    detail: String,
) -> Result<(), AppError> {
    let log = SyncLog {
        origin: log_origin,
        status: "error",
        records: None,
        detail: Some(detail),
    };
    state.store.log_sync(company, log).await?;
    Ok(())
}
