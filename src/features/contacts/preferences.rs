//! `GET/PUT /api/contactos/preferencias` (original-api.md 10.5-10.6): the
//! contact name template, its date format and apartment separator, and the
//! reservations spreadsheet's columns. A PUT merges the keys it sends into
//! `configuracion.contactos`, so the sync page's template and the profile
//! page's columns never undo each other; a sent `xlsx_reservas` replaces the
//! four columns (missing ones are 0), as the original.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{SETTINGS_KEY, load_preferences};
use crate::domain::contacts::preferences::{DATE_FORMATS, Preferences};
use crate::domain::validation::{FieldErrors, Input, MSG_INVALID_INPUT, MSG_NULL, one_of_message};
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::JsonBody;
use crate::http::extract::company::MSG_COMPANY_NOT_FOUND;
use crate::http::state::AppState;

fn date_format_schema() -> utoipa::openapi::Object {
    crate::features::shared::one_of_schema(DATE_FORMATS, false)
}

/// `xlsx_reservas`: 1-based column numbers (0 or less: found by header).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SheetColumnsRequest {
    /// 0 when absent.
    #[schema(required = false, default = 0)]
    pub col_checkin: i64,
    #[schema(required = false, default = 0)]
    pub col_nombre: i64,
    #[schema(required = false, default = 0)]
    pub col_telefono: i64,
    #[schema(required = false, default = 0)]
    pub col_tipologia: i64,
}

/// `PUT /api/contactos/preferencias` body: every key optional; those sent
/// replace the stored ones. An empty object is no body (400), as the original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct ContactsPreferencesRequest {
    #[serde(
        rename = "formato_fecha_salida",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(schema_with = date_format_schema, required = false)]
    pub date_format: Option<String>,
    /// `{FECHA}`, `{APT}` and `{NOMBRE}` are replaced.
    #[serde(rename = "plantilla", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, required = false)]
    pub template: Option<String>,
    #[serde(rename = "separador_apt", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, required = false)]
    pub separator: Option<String>,
    #[serde(rename = "xlsx_reservas", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, required = false)]
    pub columns: Option<SheetColumnsRequest>,
}

fn read_columns(input: &mut Input) -> Option<SheetColumnsRequest> {
    let value = input.value("xlsx_reservas", false)?;
    let inner = match value {
        Value::Null => {
            input.error("xlsx_reservas", MSG_NULL);
            return None;
        }
        Value::Object(_) => value,
        _ => {
            input.error("xlsx_reservas", MSG_INVALID_INPUT);
            return None;
        }
    };
    let Ok(mut nested) = Input::new(inner) else {
        return None;
    };
    let mut read = |name: &'static str| nested.integer(name, false).unwrap_or(0);
    let columns = SheetColumnsRequest {
        col_checkin: read("col_checkin"),
        col_nombre: read("col_nombre"),
        col_tipologia: read("col_tipologia"),
        col_telefono: read("col_telefono"),
    };
    nested.unknown_fields();
    let errors = nested.errors.messages();
    for message in &errors {
        input.error("xlsx_reservas", message.clone());
    }
    errors.is_empty().then_some(columns)
}

pub fn parse_preferences(body: &Value) -> Result<ContactsPreferencesRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let template = input.string("plantilla", false);
    let separator = input.string("separador_apt", false);
    let date_format = input.string("formato_fecha_salida", false);
    if date_format
        .as_deref()
        .is_some_and(|f| !DATE_FORMATS.contains(&f))
    {
        input.error("formato_fecha_salida", one_of_message(DATE_FORMATS));
    }
    let columns = read_columns(&mut input);
    input.unknown_fields();
    if input.has_errors() {
        return Err(input.errors);
    }
    Ok(ContactsPreferencesRequest {
        date_format,
        template,
        separator,
        columns,
    })
}

/// The four columns as the web app reads them (integers).
#[derive(Serialize, ToSchema)]
pub struct SheetColumnsView {
    pub col_checkin: i64,
    pub col_nombre: i64,
    pub col_telefono: i64,
    pub col_tipologia: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ContactsPreferencesView {
    pub formato_fecha_salida: String,
    pub plantilla: String,
    pub separador_apt: String,
    pub xlsx_reservas: SheetColumnsView,
}

#[derive(Serialize, ToSchema)]
pub struct ContactsPreferencesBody {
    pub ok: bool,
    pub preferencias: ContactsPreferencesView,
}

fn body_of(prefs: Preferences) -> ContactsPreferencesBody {
    ContactsPreferencesBody {
        ok: true,
        preferencias: ContactsPreferencesView {
            formato_fecha_salida: prefs.date_format,
            plantilla: prefs.template,
            separador_apt: prefs.apartment_separator,
            xlsx_reservas: SheetColumnsView {
                col_checkin: prefs.columns.check_in,
                col_nombre: prefs.columns.name,
                col_telefono: prefs.columns.phone,
                col_tipologia: prefs.columns.typology,
            },
        },
    }
}

/// The company's preferences, stored values over the defaults.
#[utoipa::path(get, path = "/api/contactos/preferencias", operation_id = "contacts_preferences_get", tag = "contactos", security(("bearer" = [])),
    responses((status = 200, description = "Preferences", body = ContactsPreferencesBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<ContactsPreferencesBody>, AppError> {
    Ok(ApiJson::ok(body_of(
        load_preferences(&state, user.company_id()).await?,
    )))
}

/// Merges the keys sent into the stored preferences (any role).
#[utoipa::path(put, path = "/api/contactos/preferencias", operation_id = "contacts_preferences_save", tag = "contactos", security(("bearer" = [])),
    request_body(content = ContactsPreferencesRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The merged preferences", body = ContactsPreferencesBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn save(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<ContactsPreferencesBody>, AppError> {
    let request = parse_preferences(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    let patch: Map<String, Value> = match serde_json::to_value(&request) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let company_id = user.company_id();
    if !state
        .store
        .merge_company_setting(company_id, SETTINGS_KEY, patch)
        .await?
    {
        return Err(AppError::not_found(MSG_COMPANY_NOT_FOUND));
    }
    Ok(ApiJson::ok(body_of(
        load_preferences(&state, company_id).await?,
    )))
}
