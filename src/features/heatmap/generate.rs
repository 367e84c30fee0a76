//! `GET /api/heatmap` (from the company's PMS) and `POST /api/heatmap/xlsx`
//! (from one or two spreadsheets): the grid of `desde..hasta` in whole weeks.

use std::time::Duration;

use axum::extract::{RawQuery, State};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::domain::heatmap::{
    DateRange, Grid, SheetDatesError, column_dates, column_index, dropped_warning, parse_range,
};
use crate::domain::spreadsheet::Limits;
use crate::features::heatmap::{HeatmapBody, answer, heatmap_settings, range_error};
use crate::features::pms_settings::{PmsSetupError, connect};
use crate::features::shared::off_thread;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{FilePart, FormRules, MultipartForm};
use crate::http::state::AppState;
use crate::integrations::pms::{DateField, PmsClient, Reservation, ReservationQuery};
use crate::metrics::metrics;

const MSG_NO_PMS: &str = "No hay PMS conectado. Usa el endpoint XLSX.";
const MSG_UNDECRYPTABLE: &str = "No se pudo descifrar la API key del PMS.";
const MSG_PMS_FAILED: &str = "Error al obtener datos del PMS. Inténtalo de nuevo.";
const MSG_NO_CHECKINS: &str = "Se esperaba el campo 'checkins' con un archivo .xlsx.";
const MSG_NO_CHECKIN_COLUMN: &str = "Configura la columna de fecha de check-in en el perfil de empresa antes de usar esta herramienta.";
const MSG_NO_CHECKOUT_COLUMN: &str = "Configura la columna de fecha de check-out en el perfil de empresa antes de usar el fichero de salidas.";

/// Both PMS crawls together (every page of two date ranges) may take this long.
const PMS_TIME_LIMIT: Duration = Duration::from_secs(90);

/// `?desde=&hasta=`: ISO dates (`YYYY-MM-DD`; also `YYYYMMDD` and ISO week
/// dates such as `2026-W19-1`), at most `HEATMAP_MAX_DAYS` days apart.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// First day of the range.
    #[param(format = Date)]
    pub desde: String,
    /// Last day of the range (not before `desde`).
    #[param(format = Date)]
    pub hasta: String,
}

/// The first value of each name, as Flask's `request.args.get`.
fn query_value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn pms_setup_error(err: PmsSetupError) -> AppError {
    match err {
        PmsSetupError::NotConfigured => AppError::bad_request(MSG_NO_PMS),
        PmsSetupError::Undecryptable => AppError::bad_request(MSG_UNDECRYPTABLE),
        PmsSetupError::Endpoint(_) | PmsSetupError::Unsupported(_) => {
            AppError::bad_request(MSG_PMS_FAILED)
        }
    }
}

/// The heat map of the range from the PMS: arrivals counted as check-ins,
/// departures as check-outs, both crawls at once, counted page by page.
#[utoipa::path(get, path = "/api/heatmap", operation_id = "heatmap_from_pms", tag = "heatmap", security(("bearer" = [])),
    params(RangeParams),
    responses(
        (status = 200, description = "The grid", body = HeatmapBody),
        (status = 400, description = "No PMS connected, its key cannot be decrypted, or the PMS failed", body = ErrorBody),
        (status = 422, description = "`desde`/`hasta` missing, not dates, reversed, or too far apart", body = ErrorBody),
    ))]
pub async fn from_pms(
    State(state): State<AppState>,
    user: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<ApiJson<HeatmapBody>, AppError> {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let range = parse_range(
        query_value(&query, "desde"),
        query_value(&query, "hasta"),
        state.settings.heatmap_max_days,
    )
    .map_err(range_error)?;
    let company_id = user.company_id();
    let config = state.store.pms_config(company_id).await?;
    let connected = connect(&state, config).map_err(pms_setup_error)?;
    let grid = tokio::time::timeout(PMS_TIME_LIMIT, crawl(&*connected.client, range))
        .await
        .unwrap_or_else(|_| Err("timed out".to_string()))
        .map_err(|err| {
            tracing::warn!(%company_id, provider = connected.name, error = %err, "heat map: PMS failed");
            AppError::bad_request(MSG_PMS_FAILED)
        })?;
    let settings = heatmap_settings(&state, company_id).await?;
    let body = answer(
        &state,
        company_id,
        "heatmap_pms",
        &settings,
        range,
        grid,
        Vec::new(),
    )
    .await?;
    Ok(ApiJson::ok(body))
}

/// Arrivals and departures of `range`, the two queries concurrently.
async fn crawl(client: &dyn PmsClient, range: DateRange) -> Result<Grid, String> {
    let query = |field| ReservationQuery {
        field,
        from: range.from,
        to: range.to,
    };
    let day = |text: Option<&str>| text.and_then(|t| t.parse::<NaiveDate>().ok());
    let (mut arrivals, mut departures) = (Grid::new(range), Grid::new(range));
    let mut on_arrival = |r: Reservation| {
        if let Some(date) = day(r.arrival.as_deref()) {
            arrivals.check_in(date);
        }
    };
    let mut on_departure = |r: Reservation| {
        if let Some(date) = day(r.departure.as_deref()) {
            departures.check_out(date);
        }
    };
    let (a, d) = tokio::join!(
        client.each_reservation(query(DateField::Arrival), &mut on_arrival),
        client.each_reservation(query(DateField::Departure), &mut on_departure),
    );
    a.and(d).map_err(|e| e.to_string())?;
    arrivals.absorb(&departures);
    Ok(arrivals)
}

/// The parts `POST /api/heatmap/xlsx` reads.
pub enum HeatmapForm {}

impl FormRules for HeatmapForm {
    const FILES: &'static [&'static str] = &["checkins", "checkouts"];
    const FIELDS: &'static [&'static str] = &["desde", "hasta"];
}

/// `POST /api/heatmap/xlsx` body (multipart/form-data).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeatmapUpload {
    /// The check-ins spreadsheet (.xlsx): one date per row in the company's
    /// `col_fecha_checkin` column, row 1 the header.
    #[schema(value_type = String, format = Binary)]
    pub checkins: Vec<u8>,
    /// Optional check-outs spreadsheet (.xlsx), read in `col_fecha_checkout`;
    /// a part with an empty file name is ignored.
    #[schema(value_type = Option<String>, format = Binary)]
    pub checkouts: Option<Vec<u8>>,
    /// First day (ISO date).
    #[schema(format = Date)]
    pub desde: String,
    /// Last day (ISO date, not before `desde`).
    #[schema(format = Date)]
    pub hasta: String,
}

/// A file's extension and emptiness, with its field's messages.
fn checked(file: &FilePart, field: &str) -> Result<(), AppError> {
    if !file.is_xlsx() {
        return Err(AppError::bad_request(format!(
            "El archivo '{field}' debe ser .xlsx."
        )));
    }
    if file.bytes.is_empty() {
        return Err(AppError::bad_request(format!(
            "El archivo '{field}' está vacío."
        )));
    }
    Ok(())
}

/// A configured column letter: a string, not empty.
fn column_setting<'a>(settings: &'a Value, key: &str) -> Option<&'a str> {
    settings
        .get(key)
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
}

/// Counts one file's column into `grid`; its warning, if rows were dropped.
fn read_file(
    bytes: &[u8],
    letters: &str,
    mut count: impl FnMut(NaiveDate),
) -> Result<Option<String>, String> {
    let column = column_index(letters).ok_or_else(|| {
        format!("'{letters}' no es una letra de columna válida (ej. A, B, C...).")
    })?;
    let dates = column_dates(bytes, &Limits::default(), column).map_err(|err| match err {
        SheetDatesError::Sheet(inner) => inner.to_string(),
        other => other.to_string(),
    })?;
    metrics().rows_parsed("heatmap", dates.dates.len() + dates.dropped);
    dates.dates.into_iter().for_each(&mut count);
    Ok(dropped_warning(dates.dropped))
}

/// The heat map of the range from spreadsheets: the check-ins file (and
/// the check-outs one, if sent) read in the company's date columns.
#[utoipa::path(post, path = "/api/heatmap/xlsx", operation_id = "heatmap_from_xlsx", tag = "heatmap", security(("bearer" = [])),
    request_body(content = HeatmapUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The grid, with a warning per file that had rows dropped", body = HeatmapBody),
        (status = 400, description = "No `checkins` file, a file not .xlsx, or empty", body = ErrorBody),
        (status = 422, description = "Bad dates or range, date columns not configured, or a spreadsheet that cannot be read", body = ErrorBody),
    ))]
pub async fn from_xlsx(
    State(state): State<AppState>,
    user: AuthUser,
    form: MultipartForm<HeatmapForm>,
) -> Result<ApiJson<HeatmapBody>, AppError> {
    let check_ins = form
        .file("checkins")
        .ok_or_else(|| AppError::bad_request(MSG_NO_CHECKINS))?;
    let range = parse_range(
        form.field("desde"),
        form.field("hasta"),
        state.settings.heatmap_max_days,
    )
    .map_err(range_error)?;
    checked(check_ins, "checkins")?;
    let check_outs = form.file("checkouts").filter(|f| !f.file_name.is_empty());
    if let Some(file) = check_outs {
        checked(file, "checkouts")?;
    }
    let company_id = user.company_id();
    let settings = heatmap_settings(&state, company_id).await?;
    let in_column = column_setting(&settings, "col_fecha_checkin")
        .ok_or_else(|| AppError::unprocessable(vec![MSG_NO_CHECKIN_COLUMN.into()]))?
        .to_string();
    let out_column = match check_outs {
        Some(file) => Some((
            file.bytes.clone(),
            column_setting(&settings, "col_fecha_checkout")
                .ok_or_else(|| AppError::unprocessable(vec![MSG_NO_CHECKOUT_COLUMN.into()]))?
                .to_string(),
        )),
        None => None,
    };
    let in_bytes = check_ins.bytes.clone();
    let (grid, warnings) = off_thread(&state, company_id, move || {
        let mut grid = Grid::new(range);
        let mut warnings = Vec::new();
        warnings.extend(read_file(&in_bytes, &in_column, |d| grid.check_in(d))?);
        if let Some((bytes, letters)) = out_column {
            warnings.extend(read_file(&bytes, &letters, |d| grid.check_out(d))?);
        }
        Ok::<_, String>((grid, warnings))
    })
    .await?
    .map_err(|message| AppError::unprocessable(vec![message]))?;
    let body = answer(&state, company_id, "xlsx", &settings, range, grid, warnings).await?;
    Ok(ApiJson::ok(body))
}
