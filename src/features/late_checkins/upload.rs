//! `POST /api/notificaciones/checkin-tardio/checkins`: the late arrivals of
//! a reservations spreadsheet (original-api.md 9.2). Only the upload itself
//! can be refused (400); whatever the content, the answer is 200, with the
//! parser's messages in `warnings`. Nothing is stored.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Arrival, Context, ReservationView};
use crate::domain::reservations_xlsx::{
    Parsed, SheetParser, SheetReservation, needed_columns, overrides,
};
use crate::domain::spreadsheet::{Limits, for_each_row_after_header};
use crate::features::shared::off_thread;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{UploadRules, XlsxUpload};
use crate::http::state::AppState;
use crate::metrics::metrics;

/// The reservations spreadsheet: field `file`.
pub enum ReservationsSheet {}

pub type ReservationsUpload = XlsxUpload<ReservationsSheet>;

impl UploadRules for ReservationsSheet {
    const FIELD: &'static str = "file";
    const MSG_MISSING: &'static str = "Se esperaba un campo 'file' con el archivo.";
    const MSG_NOT_XLSX: &'static str = "El archivo debe tener extensión .xlsx.";
    const MSG_EMPTY: Option<&'static str> = Some("El archivo está vacío.");
}

#[derive(Serialize, ToSchema)]
pub struct CheckinsBody {
    /// The late arrivals (`tardio` is always true here).
    pub checkins: Vec<ReservationView>,
    pub ok: bool,
    /// Row messages, or why the file could not be read; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Reads the sheet with the company's column letters, row by row: only the
/// columns the header and the letters map are materialised, and only the
/// late rows are kept.
pub fn read_reservations(
    bytes: &[u8],
    settings: &serde_json::Value,
    keep_row: impl Fn(&SheetReservation) -> bool,
) -> Parsed {
    let overrides = overrides(settings);
    let mut columns: Option<Option<Vec<usize>>> = None;
    let mut parser = SheetParser::new(&overrides);
    let mut rows = 0;
    let read = for_each_row_after_header(
        bytes,
        &Limits::default(),
        |column, header| {
            let wanted = columns.get_or_insert_with(|| needed_columns(header, &overrides));
            wanted
                .as_ref()
                .is_none_or(|c| c.contains(&(column as usize)))
        },
        |index, cells| {
            rows += 1;
            parser.row(index, &cells);
            parser.retain(&keep_row);
        },
    );
    metrics().rows_parsed("late_checkins", rows);
    match read {
        Ok(_) => parser.finish(),
        Err(err) => Parsed::fatal(err.to_string()),
    }
}

/// The rows whose arrival time is late by the operational-day rule (any
/// check-in date), matched to the catalogue.
#[utoipa::path(post, path = "/api/notificaciones/checkin-tardio/checkins", operation_id = "late_checkins_upload", tag = "checkin-tardio", security(("bearer" = [])),
    request_body(content = inline(ReservationsUpload), content_type = "multipart/form-data", description = "Field `file`: the .xlsx"),
    responses(
        (status = 200, description = "Late arrivals; the parser's messages in `warnings`", body = CheckinsBody),
        (status = 400, description = "No file, not .xlsx, or empty", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    XlsxUpload(bytes, _): ReservationsUpload,
) -> Result<ApiJson<CheckinsBody>, AppError> {
    let context = Context::load(&state, user.company_id()).await?;
    let rule = context.settings.clone();
    let parsed = off_thread(&state, user.company_id(), move || {
        read_reservations(&bytes, &rule.letters, |r: &SheetReservation| {
            rule.is_late_at(r.arrival_time.as_deref())
        })
    })
    .await?;
    let checkins = parsed
        .reservations
        .into_iter()
        .map(|r| {
            context.view(Arrival {
                name: r.name,
                email: r.email,
                phone: r.phone,
                check_in: r.check_in,
                check_out: r.check_out,
                apartment_id: None,
                apartment_name: r.apartment,
                arrival_time: r.arrival_time,
            })
        })
        .collect();
    Ok(ApiJson::ok(CheckinsBody {
        checkins,
        ok: true,
        warnings: parsed.warnings,
    }))
}
