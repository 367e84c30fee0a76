//! `POST /api/apartamentos/importacion` and `/importacion/preview`: the
//! apartments spreadsheet (multipart field `file`), previewed without
//! writing, or imported in one transaction (original-api.md 7.7, 7.8).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::apartments_xlsx::{ColumnOverride, Parsed, SheetApartment, read};
use crate::domain::spreadsheet::Limits;
use crate::features::apartments::{CatalogueSource, SyncCounts, log_failure, upsert_catalogue};
use crate::features::shared::off_thread;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{UploadRules, XlsxUpload};
use crate::http::state::AppState;
use crate::metrics::metrics;
use crate::store::ApartmentUpsert;

/// The apartments spreadsheet: field `file`.
pub enum ApartmentsSheet {}

/// The upload of both import routes (its type is also their documented body).
pub type ApartmentsUpload = XlsxUpload<ApartmentsSheet>;

impl UploadRules for ApartmentsSheet {
    const FIELD: &'static str = "file";
    const MSG_MISSING: &'static str = "Se esperaba un archivo 'file'.";
    const MSG_NOT_XLSX: &'static str = "El archivo debe ser .xlsx.";
    const MSG_EMPTY: Option<&'static str> = Some("El archivo está vacío.");
}

/// Parses with the company's column settings.
async fn parse_upload(
    state: &AppState,
    company_id: Uuid,
    bytes: Bytes,
) -> Result<Parsed, AppError> {
    let stored = state
        .store
        .company_setting(company_id, "xlsx_apartamentos")
        .await?;
    let columns = ColumnOverride::from_settings(stored.as_ref());
    off_thread(state, company_id, move || {
        let (parsed, data_rows) = read(&bytes, &Limits::default(), columns);
        metrics().rows_parsed("apartments", data_rows);
        parsed
    })
    .await
}

#[derive(Serialize, ToSchema, Clone)]
pub struct PreviewRow {
    pub ciudad: Option<String>,
    pub direccion: Option<String>,
    pub id_externo: String,
    pub id_pms: String,
    pub nombre: String,
    /// The name in the catalogue, for rows that already exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nombre_actual: Option<String>,
}

#[derive(Serialize, ToSchema, Default)]
pub struct Preview {
    pub actualizados: Vec<PreviewRow>,
    pub errores: Vec<String>,
    pub nuevos: Vec<PreviewRow>,
    pub sin_cambios: Vec<PreviewRow>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewBody {
    pub ok: bool,
    pub preview: Preview,
}

fn changes_something(
    row: &SheetApartment,
    current_name: &str,
    current_city: Option<&str>,
    current_address: Option<&str>,
) -> bool {
    let differs = |new: Option<&String>, old: Option<&str>| {
        new.is_some_and(|n| !n.is_empty() && Some(n.as_str()) != old)
    };
    row.name != current_name
        || differs(row.city.as_ref(), current_city)
        || differs(row.address.as_ref(), current_address)
}

/// What an import would do, without writing anything (always 200).
#[utoipa::path(post, path = "/api/apartamentos/importacion/preview", operation_id = "apartments_import_preview", tag = "apartamentos", security(("bearer" = [])),
    request_body(content = inline(ApartmentsUpload), content_type = "multipart/form-data", description = "Field `file`: the .xlsx"),
    responses(
        (status = 200, description = "New, changed and unchanged rows, and errors", body = PreviewBody),
        (status = 400, description = "No file, not .xlsx, or empty", body = ErrorBody),
        (status = 413, description = "Over MAX_UPLOAD_BYTES", body = ErrorBody),
    ))]
pub async fn preview(
    State(state): State<AppState>,
    user: AuthUser,
    XlsxUpload(bytes, _): ApartmentsUpload,
) -> Result<ApiJson<PreviewBody>, AppError> {
    let parsed = parse_upload(&state, user.company_id(), bytes).await?;
    let existing: HashMap<String, _> = state
        .store
        .apartments_with_pms_id(user.company_id())
        .await?
        .into_iter()
        .filter_map(|a| a.pms_id.clone().map(|id| (id, a)))
        .collect();
    let mut preview = Preview {
        errores: parsed.errors,
        ..Preview::default()
    };
    for row in parsed.apartments {
        let mut entry = PreviewRow {
            ciudad: row.city.clone(),
            direccion: row.address.clone(),
            id_externo: row.external_id.clone(),
            id_pms: row.pms_id.clone(),
            nombre: row.name.clone(),
            nombre_actual: None,
        };
        match existing.get(&row.pms_id) {
            None => preview.nuevos.push(entry),
            Some(current) => {
                entry.nombre_actual = Some(current.name.clone());
                if changes_something(
                    &row,
                    &current.name,
                    current.city.as_deref(),
                    current.address.as_deref(),
                ) {
                    preview.actualizados.push(entry);
                } else {
                    preview.sin_cambios.push(entry);
                }
            }
        }
    }
    Ok(ApiJson::ok(PreviewBody { ok: true, preview }))
}

#[derive(Serialize, ToSchema)]
pub struct ImportBody {
    pub ok: bool,
    pub resultado: SyncCounts,
    /// Rows left out, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Imports the sheet: upsert by `id_pms` in one transaction (all rows or none).
#[utoipa::path(post, path = "/api/apartamentos/importacion", operation_id = "apartments_import", tag = "apartamentos", security(("bearer" = [])),
    request_body(content = inline(ApartmentsUpload), content_type = "multipart/form-data", description = "Field `file`: the .xlsx"),
    responses(
        (status = 200, description = "Imported; row errors in `warnings`", body = ImportBody),
        (status = 400, description = "No file, not .xlsx, or empty", body = ErrorBody),
        (status = 413, description = "Over MAX_UPLOAD_BYTES", body = ErrorBody),
        (status = 422, description = "Nothing importable: every error", body = ErrorBody),
    ))]
pub async fn import(
    State(state): State<AppState>,
    user: AuthUser,
    XlsxUpload(bytes, _): ApartmentsUpload,
) -> Result<ApiJson<ImportBody>, AppError> {
    let company = user.company_id();
    let parsed = parse_upload(&state, company, bytes).await?;
    if parsed.apartments.is_empty() && !parsed.errors.is_empty() {
        log_failure(&state, company, "xlsx", parsed.errors.join("; ")).await?;
        return Err(AppError::unprocessable(parsed.errors));
    }
    let rows: Vec<ApartmentUpsert> = parsed
        .apartments
        .into_iter()
        .map(|a| ApartmentUpsert {
            pms_id: a.pms_id,
            external_id: Some(a.external_id),
            name: a.name,
            address: a.address,
            city: a.city,
        })
        .collect();
    let source = CatalogueSource {
        log_origin: "xlsx",
        label: "XLSX",
        apartment_origin: "xlsx".to_string(),
        row_errors: parsed.errors.len(),
    };
    let counts = upsert_catalogue(&state, company, &rows, source).await?;
    tracing::info!(%company, created = counts.nuevos, updated = counts.actualizados, errors = parsed.errors.len(), "apartments imported");
    Ok(ApiJson::ok(ImportBody {
        ok: true,
        resultado: counts,
        warnings: parsed.errors,
    }))
}
