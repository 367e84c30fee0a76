//! `POST /api/apartamentos/importacion` and `/importacion/preview`: the
//! apartments spreadsheet (multipart field `file`), previewed without
//! writing, or imported in one transaction (original-api.md 7.7, 7.8).

use std::collections::HashMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::apartments_xlsx::{ColumnOverride, Parsed, SheetApartment, parse};
use crate::domain::spreadsheet::{Limits, read_rows};
use crate::features::apartments::pms_config::SyncCounts;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::store::{ApartmentUpsert, SyncLog, SyncLogFor, UpsertReport};

const MSG_NO_FILE: &str = "Se esperaba un archivo 'file'.";
const MSG_NOT_XLSX: &str = "El archivo debe ser .xlsx.";
const MSG_EMPTY: &str = "El archivo está vacío.";

/// The bytes of the multipart field `file`, checked as the original does.
pub async fn upload(
    multipart: Result<Multipart, MultipartRejection>,
    field_name: &str,
) -> Result<Vec<u8>, AppError> {
    let mut multipart = multipart.map_err(|_| AppError::bad_request(MSG_NO_FILE))?;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(AppError::bad_request(MSG_NO_FILE)),
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::too_large());
            }
            Err(_) => return Err(AppError::bad_request(MSG_NO_FILE)),
        };
        // A part without a file name is a form value, not a file.
        if field.name() != Some(field_name) || field.file_name().is_none() {
            continue;
        }
        let is_xlsx = field
            .file_name()
            .is_some_and(|n| n.to_lowercase().ends_with(".xlsx"));
        if !is_xlsx {
            return Err(AppError::bad_request(MSG_NOT_XLSX));
        }
        let bytes = field.bytes().await.map_err(|err| {
            if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::too_large()
            } else {
                AppError::bad_request(MSG_NO_FILE)
            }
        })?;
        if bytes.is_empty() {
            return Err(AppError::bad_request(MSG_EMPTY));
        }
        return Ok(bytes.to_vec());
    }
}

/// Parses on a blocking thread, at most two at once.
async fn parse_upload(
    state: &AppState,
    company_id: Uuid,
    bytes: Vec<u8>,
) -> Result<Parsed, AppError> {
    let company = state.store.company(company_id).await?;
    let columns = ColumnOverride::from_settings(
        company
            .as_ref()
            .and_then(|c| c.settings.get("xlsx_apartamentos")),
    );
    let _permit = state
        .parse_permits
        .acquire()
        .await
        .map_err(|_| AppError::internal())?;
    let parsed = tokio::task::spawn_blocking(move || match read_rows(&bytes, &Limits::default()) {
        Ok(rows) => parse(&rows, columns),
        Err(err) => Parsed {
            apartments: Vec::new(),
            errors: vec![err.to_string()],
            fatal: true,
        },
    })
    .await
    .map_err(|_| AppError::internal())?;
    Ok(parsed)
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
#[utoipa::path(post, path = "/api/apartamentos/importacion/preview", tag = "apartamentos", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "Field `file`: the .xlsx"),
    responses(
        (status = 200, description = "New, changed and unchanged rows, and errors", body = PreviewBody),
        (status = 400, description = "No file, not .xlsx, or empty", body = ErrorBody),
        (status = 413, description = "Over MAX_UPLOAD_BYTES", body = ErrorBody),
    ))]
pub async fn preview(
    State(state): State<AppState>,
    user: AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<ApiJson<PreviewBody>, AppError> {
    let bytes = upload(multipart, "file").await?;
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
#[utoipa::path(post, path = "/api/apartamentos/importacion", tag = "apartamentos", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "Field `file`: the .xlsx"),
    responses(
        (status = 200, description = "Imported; row errors in `warnings`", body = ImportBody),
        (status = 400, description = "No file, not .xlsx, or empty", body = ErrorBody),
        (status = 413, description = "Over MAX_UPLOAD_BYTES", body = ErrorBody),
        (status = 422, description = "Nothing importable: every error", body = ErrorBody),
    ))]
pub async fn import(
    State(state): State<AppState>,
    user: AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<ApiJson<ImportBody>, AppError> {
    let company = user.company_id();
    let bytes = upload(multipart, "file").await?;
    let parsed = parse_upload(&state, company, bytes).await?;
    if parsed.apartments.is_empty() && !parsed.errors.is_empty() {
        let detail = parsed.errors.join("; ");
        state
            .store
            .log_sync(
                company,
                SyncLog {
                    origin: "xlsx",
                    status: "error",
                    records: None,
                    detail: Some(detail),
                },
            )
            .await?;
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
    let error_count = parsed.errors.len();
    let log: SyncLogFor = Box::new(move |r: UpsertReport| {
        let mut detail = format!("XLSX: {} nuevos, {} actualizados", r.created, r.updated);
        if error_count > 0 {
            detail.push_str(&format!(" ({error_count} errores)"));
        }
        SyncLog {
            origin: "xlsx",
            status: if error_count > 0 { "parcial" } else { "exito" },
            records: Some((r.created + r.updated) as i32),
            detail: Some(detail),
        }
    });
    let report = state
        .store
        .upsert_apartments(company, &rows, "xlsx", log)
        .await?;
    state.catalogue.invalidate(company);
    tracing::info!(%company, created = report.created, updated = report.updated, errors = error_count, "apartments imported");
    Ok(ApiJson::ok(ImportBody {
        ok: true,
        resultado: SyncCounts {
            actualizados: report.updated,
            nuevos: report.created,
            total: report.created + report.updated,
        },
        warnings: parsed.errors,
    }))
}
