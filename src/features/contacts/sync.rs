//! The guests of a date range (from the company's PMS) or of a reservations
//! spreadsheet, grouped into contacts and named by the company's template,
//! sent to Google Contacts or returned as a CSV in Google's import format
//! (original-api.md 10.7-10.10).

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ContactsSyncBody, google_session, load_preferences, upload};
use crate::domain::contacts::sheet::{self, SheetGuest};
use crate::domain::contacts::{ComposedContact, GuestRow, csv, group, parse_date, parse_phone};
use crate::domain::validation::{FieldErrors, Input, MSG_NOT_STRING};
use crate::features::pms_settings::{PmsSetupError, connect};
use crate::features::shared::off_thread;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{JsonOrEmpty, UploadRules, XlsxUpload};
use crate::http::state::AppState;
use crate::integrations::pms::{DateField, Reservation, ReservationQuery};

const MSG_BAD_DATES: &str = "Parámetros de fecha inválidos.";
const MSG_NO_PMS_SYNC: &str = "No hay configuración de PMS. Configura tu API key primero.";
const MSG_NO_PMS_CSV: &str = "No hay configuración de PMS.";
const MSG_UNDECRYPTABLE: &str = "No se pudo descifrar la API key del PMS.";
const MSG_NOT_A_DATE: &str = "Not a valid date.";
/// Every page of a range may take this long.
const PMS_TIME_LIMIT: Duration = Duration::from_secs(90);
const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
const CSV_DISPOSITION: &str = "attachment; filename=contactos_google.csv";

/// The reservations spreadsheet: field `file` (an empty file is refused by
/// the reader, as in the original).
pub enum ContactsSheet {}

pub type ContactsUpload = XlsxUpload<ContactsSheet>;

impl UploadRules for ContactsSheet {
    const FIELD: &'static str = "file";
    const MSG_MISSING: &'static str = "Se esperaba un campo 'file' con el archivo.";
    const MSG_NOT_XLSX: &'static str = "El archivo debe tener extensión .xlsx.";
    const MSG_EMPTY: Option<&'static str> = None;
}

/// Body of the PMS routes: the arrival range (default: today and the next
/// 365 days). Any invalid value or unknown key is 400 `Parámetros de fecha inválidos.`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsRangeRequest {
    /// First arrival day (`YYYY-M-D`, a real day); null or empty: today.
    #[schema(pattern = r"^(\d{4}-\d{1,2}-\d{1,2})?$", required = false)]
    pub desde: Option<String>,
    /// Last arrival day (`YYYY-M-D`); null or empty: a year after today.
    #[schema(pattern = r"^(\d{4}-\d{1,2}-\d{1,2})?$", required = false)]
    pub hasta: Option<String>,
}

/// marshmallow's `Date`: `YYYY-M-D` with a real day.
fn wire_date(text: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts[..] else { return None };
    let digits = |s: &str, widths: std::ops::RangeInclusive<usize>| {
        widths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The two optional dates (`None` for absent, null or empty).
pub fn parse_range(body: &Value) -> Result<(Option<NaiveDate>, Option<NaiveDate>), FieldErrors> {
    let mut input = Input::new(body)?;
    let read = |input: &mut Input, name: &'static str| match input.value(name, false) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            let date = wire_date(s);
            if date.is_none() {
                input.error(name, MSG_NOT_A_DATE);
            }
            date
        }
        Some(_) => {
            input.error(name, MSG_NOT_STRING);
            None
        }
    };
    let from = read(&mut input, "desde");
    let to = read(&mut input, "hasta");
    input.unknown_fields();
    if input.has_errors() {
        return Err(input.errors);
    }
    Ok((from, to))
}

fn range_query(body: &Value) -> Result<ReservationQuery, AppError> {
    let (from, to) = parse_range(body).map_err(|_| AppError::bad_request(MSG_BAD_DATES))?;
    let today = Utc::now().date_naive();
    let from = from.unwrap_or(today);
    let to = to.unwrap_or_else(|| today.checked_add_days(Days::new(365)).unwrap_or(today));
    Ok(ReservationQuery {
        field: DateField::Arrival,
        from,
        to,
    })
}

/// The reservations of the range, or the route's 400 (`no_pms`: its message
/// for a company without a PMS). A failure of the PMS itself is `Err(Ok(text))`
/// so that the sync can log it.
async fn reservations(
    state: &AppState,
    company_id: Uuid,
    query: ReservationQuery,
    no_pms: &'static str,
) -> Result<Vec<Reservation>, Result<String, AppError>> {
    let config = state
        .store
        .pms_config(company_id)
        .await
        .map_err(|e| Err(e.into()))?;
    let connected = connect(state, config).map_err(|err| match err {
        PmsSetupError::NotConfigured => Err(AppError::bad_request(no_pms)),
        PmsSetupError::Undecryptable => Err(AppError::bad_request(MSG_UNDECRYPTABLE)),
        PmsSetupError::Endpoint(message) => Err(AppError::bad_request(message)),
        PmsSetupError::Unsupported(provider) => {
            Ok(format!("El proveedor '{provider}' aún no está soportado."))
        }
    })?;
    tokio::time::timeout(PMS_TIME_LIMIT, connected.client.reservations(query))
        .await
        .unwrap_or_else(|_| Err(crate::integrations::pms::PmsError::Format("timed out".into())))
        .map_err(|err| {
            tracing::warn!(%company_id, provider = connected.name, error = %err, "contacts: PMS failed");
            Ok(err.to_string())
        })
}

fn pms_failed(text: &str) -> AppError {
    AppError::bad_request(format!("Error al obtener reservas del PMS: {text}"))
}

/// Reservations with a usable phone as guest rows.
fn guest_rows(reservations: &[Reservation]) -> Vec<GuestRow> {
    reservations
        .iter()
        .filter_map(|r| {
            Some(GuestRow {
                name: r.name.clone(),
                phone: parse_phone(r.phone.as_deref()?)?,
                check_in: r.arrival.as_deref().and_then(parse_date),
                apartments: r.apartment_name.iter().cloned().collect(),
            })
        })
        .collect()
}

/// Grouped and named by the company's template.
async fn compose(
    state: &AppState,
    company_id: Uuid,
    rows: Vec<GuestRow>,
) -> Result<Vec<ComposedContact>, AppError> {
    let template = load_preferences(state, company_id).await?.name_template();
    Ok(template.compose_all(&group(rows)))
}

fn csv_response(contacts: &[ComposedContact]) -> Response {
    (
        [
            (header::CONTENT_TYPE, CSV_CONTENT_TYPE),
            (header::CONTENT_DISPOSITION, CSV_DISPOSITION),
        ],
        csv::write(contacts),
    )
        .into_response()
}

/// The guests arriving in the range, from the PMS, into Google Contacts.
#[utoipa::path(post, path = "/api/contactos/sincronizacion", operation_id = "contacts_sync_pms", tag = "contactos", security(("bearer" = [])),
    request_body(content = ContactsRangeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Created contacts (`total`: reservations read)", body = ContactsSyncBody),
        (status = 400, description = "No Google connection or PMS, undecryptable keys, bad dates, or the PMS or Google failed", body = ErrorBody),
    ))]
pub async fn sync_from_pms(
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<ContactsSyncBody>, AppError> {
    let company_id = user.company_id();
    let query = range_query(&body)?;
    let mut session = google_session(&state, company_id).await?;
    let found = match reservations(&state, company_id, query, MSG_NO_PMS_SYNC).await {
        Ok(found) => found,
        Err(Err(err)) => return Err(err),
        Err(Ok(text)) => {
            super::log(&state, company_id, "error", 0, format!("Error PMS: {text}")).await?;
            return Err(pms_failed(&text));
        }
    };
    let contacts = compose(&state, company_id, guest_rows(&found)).await?;
    let result = upload(&state, &mut session, contacts, found.len(), "").await?;
    Ok(ApiJson::ok(ContactsSyncBody {
        ok: true,
        resultado: result,
    }))
}

/// The guests arriving in the range, from the PMS, as a CSV.
#[utoipa::path(post, path = "/api/contactos/exportacion/csv", operation_id = "contacts_export_pms", tag = "contactos", security(("bearer" = [])),
    request_body(content = ContactsRangeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Google Contacts CSV (UTF-8 with BOM, CRLF)", content_type = "text/csv", body = String),
        (status = 400, description = "No PMS, undecryptable key, bad dates, or the PMS failed", body = ErrorBody),
    ))]
pub async fn export_from_pms(
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<Response, AppError> {
    let company_id = user.company_id();
    let query = range_query(&body)?;
    let found = match reservations(&state, company_id, query, MSG_NO_PMS_CSV).await {
        Ok(found) => found,
        Err(Err(err)) => return Err(err),
        Err(Ok(text)) => return Err(pms_failed(&text)),
    };
    let contacts = compose(&state, company_id, guest_rows(&found)).await?;
    Ok(csv_response(&contacts))
}

/// Guest rows of the spreadsheet, typology ids named from the catalogue.
async fn sheet_rows(
    state: &AppState,
    company_id: Uuid,
    bytes: axum::body::Bytes,
) -> Result<Vec<GuestRow>, AppError> {
    let columns = load_preferences(state, company_id).await?.columns;
    let guests: Vec<SheetGuest> =
        off_thread(state, company_id, move || sheet::read(&bytes, columns))
            .await?
            .map_err(AppError::bad_request)?;
    let wants_catalogue = guests.iter().any(|g| !g.typology_ids.is_empty());
    let mut names: HashMap<String, String> = HashMap::new();
    if wants_catalogue {
        for apartment in state.store.apartments_with_pms_id(company_id).await? {
            if let Some(id) = apartment.pms_id {
                names.entry(id).or_insert(apartment.name);
            }
        }
    }
    Ok(guests
        .into_iter()
        .map(|g| GuestRow {
            apartments: g
                .typology_ids
                .iter()
                .filter_map(|id| names.get(id).cloned())
                .collect(),
            name: g.name,
            phone: g.phone,
            check_in: g.check_in,
        })
        .collect())
}

/// The guests of a reservations spreadsheet into Google Contacts.
#[utoipa::path(post, path = "/api/contactos/xlsx/sincronizacion", operation_id = "contacts_sync_xlsx", tag = "contactos", security(("bearer" = [])),
    request_body(content = inline(ContactsUpload), content_type = "multipart/form-data", description = "Field `file`: the .xlsx"),
    responses(
        (status = 200, description = "Created contacts (`total`: grouped contacts)", body = ContactsSyncBody),
        (status = 400, description = "No file, not .xlsx, unreadable sheet, no name column, no Google connection, or Google failed", body = ErrorBody),
    ))]
pub async fn sync_from_sheet(
    State(state): State<AppState>,
    user: AuthUser,
    XlsxUpload(bytes, _): ContactsUpload,
) -> Result<ApiJson<ContactsSyncBody>, AppError> {
    let company_id = user.company_id();
    let mut session = google_session(&state, company_id).await?;
    let rows = sheet_rows(&state, company_id, bytes).await?;
    let contacts = compose(&state, company_id, rows).await?;
    let total = contacts.len();
    let result = upload(&state, &mut session, contacts, total, "XLSX — ").await?;
    Ok(ApiJson::ok(ContactsSyncBody {
        ok: true,
        resultado: result,
    }))
}

/// The guests of a reservations spreadsheet as a CSV.
#[utoipa::path(post, path = "/api/contactos/xlsx/exportacion/csv", operation_id = "contacts_export_xlsx", tag = "contactos", security(("bearer" = [])),
    request_body(content = inline(ContactsUpload), content_type = "multipart/form-data", description = "Field `file`: the .xlsx"),
    responses(
        (status = 200, description = "Google Contacts CSV (UTF-8 with BOM, CRLF)", content_type = "text/csv", body = String),
        (status = 400, description = "No file, not .xlsx, unreadable sheet or no name column", body = ErrorBody),
    ))]
pub async fn export_from_sheet(
    State(state): State<AppState>,
    user: AuthUser,
    XlsxUpload(bytes, _): ContactsUpload,
) -> Result<Response, AppError> {
    let company_id = user.company_id();
    let rows = sheet_rows(&state, company_id, bytes).await?;
    let contacts = compose(&state, company_id, rows).await?;
    Ok(csv_response(&contacts))
}
