//! `/api/perfil/xlsx-apartamentos` and `/api/perfil/notificaciones-tardio-config`:
//! the company's column settings, kept in `empresas.configuracion` (original-api.md 6.8-6.11).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::late_checkins::{DEFAULT_DAY_START, DEFAULT_ZONE};
use crate::domain::validation::{FieldErrors, Input, range_message};
use crate::features::shared::{OkBody, read_time_zone, time_zone_schema};
use crate::http::ApiJson;
use crate::http::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::JsonBody;
use crate::http::extract::company::MSG_COMPANY_NOT_FOUND;
use crate::http::state::AppState;

const MSG_PATTERN: &str = "String does not match expected pattern.";

/// Keys of `empresas.configuracion` written here.
const XLSX_KEY: &str = "xlsx_apartamentos";
const LATE_KEY: &str = "notificaciones_tardias";

#[derive(Serialize, ToSchema)]
pub struct ConfigBody {
    /// The stored object, or null.
    #[schema(value_type = Option<Object>)]
    pub config: Value,
    pub ok: bool,
}

async fn setting(state: &AppState, company_id: Uuid, key: &str) -> Result<Option<Value>, AppError> {
    Ok(state.store.company_setting(company_id, key).await?)
}

async fn save_setting(
    state: &AppState,
    company_id: Uuid,
    key: &'static str,
    value: Value,
) -> Result<ApiJson<OkBody>, AppError> {
    if !state
        .store
        .set_company_setting(company_id, key, value)
        .await?
    {
        return Err(AppError::not_found(MSG_COMPANY_NOT_FOUND));
    }
    Ok(ApiJson::ok(OkBody { ok: true }))
}

/// Column numbers (1-based, 0 = automatic) of the apartments spreadsheet, or null.
#[utoipa::path(get, path = "/api/perfil/xlsx-apartamentos", operation_id = "profile_xlsx_settings_get", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Column settings or null", body = ConfigBody)))]
pub async fn xlsx_settings(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<ConfigBody>, AppError> {
    let config = setting(&state, user.company_id(), XLSX_KEY)
        .await?
        .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        .unwrap_or(Value::Null);
    Ok(ApiJson::ok(ConfigBody { config, ok: true }))
}

/// `PUT /api/perfil/xlsx-apartamentos` body: column numbers 0 to 200.
/// As `parse_xlsx` returns it; stored as its JSON (`to_setting`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct XlsxRequest {
    #[serde(rename = "col_id_externo")]
    #[schema(minimum = 0, maximum = 200)]
    pub external_id_column: i64,
    #[serde(rename = "col_nombre")]
    #[schema(minimum = 0, maximum = 200)]
    pub name_column: i64,
    /// 0 (the default) when absent.
    #[serde(rename = "col_direccion")]
    #[schema(minimum = 0, maximum = 200, required = false, default = 0)]
    pub address_column: i64,
    /// 0 (the default) when absent.
    #[serde(rename = "col_ciudad")]
    #[schema(minimum = 0, maximum = 200, required = false, default = 0)]
    pub city_column: i64,
}

/// The settings document of a body: its wire JSON.
fn to_setting<T: Serialize>(body: &T) -> Value {
    serde_json::to_value(body).unwrap_or(Value::Null)
}

pub fn parse_xlsx(body: &Value) -> Result<XlsxRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let read = |input: &mut Input, name: &'static str, required: bool| {
        let value = match input.integer(name, required) {
            Some(v) => Some(v),
            None if !required && body.get(name).is_none() => Some(0),
            None => None,
        };
        if value.is_some_and(|v| !(0..=200).contains(&v)) {
            input.error(name, range_message(0, 200));
        }
        value
    };
    let id = read(&mut input, "col_id_externo", true);
    let name = read(&mut input, "col_nombre", true);
    let address = read(&mut input, "col_direccion", false);
    let city = read(&mut input, "col_ciudad", false);
    input.unknown_fields();
    match (id, name, address, city) {
        (Some(id), Some(name), Some(address), Some(city)) if !input.has_errors() => {
            Ok(XlsxRequest {
                external_id_column: id,
                name_column: name,
                address_column: address,
                city_column: city,
            })
        }
        _ => Err(input.errors),
    }
}

/// Saves the apartments spreadsheet's column numbers.
#[utoipa::path(put, path = "/api/perfil/xlsx-apartamentos", operation_id = "profile_xlsx_settings_save", tag = "perfil", security(("bearer" = [])),
    request_body(content = XlsxRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn save_xlsx_settings(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let value = to_setting(&parse_xlsx(&body).map_err(|e| AppError::unprocessable(e.flatten()))?);
    save_setting(&state, user.company_id(), XLSX_KEY, value).await
}

const LATE_COLUMNS: [&str; 5] = [
    "col_nombre",
    "col_checkin",
    "col_hora_llegada",
    "col_telefono",
    "col_apartamento",
];

fn late_defaults() -> Value {
    json!({"col_apartamento": "", "col_checkin": "", "col_hora_llegada": "", "col_nombre": "", "col_telefono": "", "hora_corte": "20:00",
           "inicio_dia_operativo": DEFAULT_DAY_START, "zona_horaria": DEFAULT_ZONE.name()})
}

/// The stored settings over the defaults (a null value counts as unset).
fn late_with_defaults(stored: Option<Value>) -> Value {
    let mut config = late_defaults();
    if let (Some(out), Some(Value::Object(stored))) = (config.as_object_mut(), stored) {
        out.extend(stored.into_iter().filter(|(_, v)| !v.is_null()));
    }
    config
}

/// Late check-in settings: cut-off time, column letters, operational day
/// start and time zone (each default filled in when unset).
#[utoipa::path(get, path = "/api/perfil/notificaciones-tardio-config", operation_id = "profile_late_settings_get", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Settings", body = ConfigBody)))]
pub async fn late_settings(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<ConfigBody>, AppError> {
    let config = late_with_defaults(setting(&state, user.company_id(), LATE_KEY).await?);
    Ok(ApiJson::ok(ConfigBody { config, ok: true }))
}

/// `HH:MM`, 00:00 to 23:59.
fn is_cut_off_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
        && (b[0] < b'2' || (b[0] == b'2' && b[1] <= b'3'))
        && b[3] <= b'5'
}

/// Up to two Excel column letters.
fn is_column_letters(text: &str) -> bool {
    text.len() <= 2 && text.chars().all(|c| c.is_ascii_alphabetic())
}

/// `PUT /api/perfil/notificaciones-tardio-config` body.
/// As `parse_late` returns it; its JSON (`to_setting`) is merged into the
/// stored settings, so keys not sent are kept. The columns are Excel letters
/// (up to two; empty when absent); `inicio_dia_operativo` and `zona_horaria`
/// (ours) are written only when sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LateRequest {
    /// `HH:MM`.
    #[serde(rename = "hora_corte")]
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub cut_off: String,
    #[serde(rename = "col_nombre")]
    #[schema(pattern = "^[A-Za-z]{0,2}$", required = false)]
    pub name_column: String,
    #[serde(rename = "col_checkin")]
    #[schema(pattern = "^[A-Za-z]{0,2}$", required = false)]
    pub check_in_column: String,
    #[serde(rename = "col_hora_llegada")]
    #[schema(pattern = "^[A-Za-z]{0,2}$", required = false)]
    pub arrival_time_column: String,
    #[serde(rename = "col_telefono")]
    #[schema(pattern = "^[A-Za-z]{0,2}$", required = false)]
    pub phone_column: String,
    #[serde(rename = "col_apartamento")]
    #[schema(pattern = "^[A-Za-z]{0,2}$", required = false)]
    pub apartment_column: String,
    /// `HH:MM` where the operational day starts (default 06:00): earlier
    /// arrivals are late arrivals of the day before.
    #[serde(
        rename = "inicio_dia_operativo",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(
        pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        required = false,
        nullable = false
    )]
    pub day_start: Option<String>,
    /// The company's IANA zone (default Europe/Madrid), for apartments
    /// without their own; null: back to the default.
    #[serde(rename = "zona_horaria", skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = time_zone_schema, required = false)]
    pub time_zone: Option<Option<String>>,
}

pub fn parse_late(body: &Value) -> Result<LateRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let cut_off = input.string("hora_corte", true);
    if cut_off.as_deref().is_some_and(|t| !is_cut_off_time(t)) {
        input.error("hora_corte", MSG_PATTERN);
    }
    let mut config = serde_json::Map::new();
    let mut complete = true;
    for name in LATE_COLUMNS {
        let value = if body.get(name).is_some() {
            input.string(name, false)
        } else {
            Some(String::new())
        };
        match value {
            Some(v) if is_column_letters(&v) => {
                config.insert(name.to_string(), Value::String(v));
            }
            Some(_) => input.error(name, MSG_PATTERN),
            None => complete = false,
        }
    }
    let day_start = input.string("inicio_dia_operativo", false);
    if day_start.as_deref().is_some_and(|t| !is_cut_off_time(t)) {
        input.error("inicio_dia_operativo", MSG_PATTERN);
    }
    let time_zone = match body.get("zona_horaria") {
        Some(_) => read_time_zone(&mut input, "zona_horaria").map(Some),
        None => Some(None),
    };
    input.unknown_fields();
    match (cut_off, time_zone) {
        (Some(cut_off), Some(time_zone)) if complete && !input.has_errors() => {
            let mut column = |name: &str| match config.remove(name) {
                Some(Value::String(letters)) => letters,
                _ => String::new(),
            };
            Ok(LateRequest {
                cut_off,
                name_column: column("col_nombre"),
                check_in_column: column("col_checkin"),
                arrival_time_column: column("col_hora_llegada"),
                phone_column: column("col_telefono"),
                apartment_column: column("col_apartamento"),
                day_start,
                time_zone,
            })
        }
        _ => Err(input.errors),
    }
}

/// Saves the late check-in settings.
#[utoipa::path(put, path = "/api/perfil/notificaciones-tardio-config", operation_id = "profile_late_settings_save", tag = "perfil", security(("bearer" = [])),
    request_body(content = LateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn save_late_settings(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let value = to_setting(&parse_late(&body).map_err(|e| AppError::unprocessable(e.flatten()))?);
    let Value::Object(patch) = value else {
        return Err(AppError::internal());
    };
    // The web app sends only the original's six keys: ours are kept.
    if !state
        .store
        .merge_company_setting(user.company_id(), LATE_KEY, patch)
        .await?
    {
        return Err(AppError::not_found(MSG_COMPANY_NOT_FOUND));
    }
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xlsx_columns_default_to_zero_and_are_ranged() {
        assert_eq!(
            to_setting(&parse_xlsx(&json!({"col_id_externo": "2", "col_nombre": 3.0})).unwrap()),
            json!({"col_ciudad": 0, "col_direccion": 0, "col_id_externo": 2, "col_nombre": 3})
        );
        assert_eq!(
            parse_xlsx(&json!({"col_id_externo": 201, "col_nombre": true, "col_ciudad": -1}))
                .unwrap_err()
                .flatten(),
            vec![
                "col_id_externo: Must be greater than or equal to 0 and less than or equal to 200.",
                "col_nombre: Not a valid integer.",
                "col_ciudad: Must be greater than or equal to 0 and less than or equal to 200.",
            ]
        );
    }

    #[test]
    fn late_settings_patterns() {
        assert_eq!(
            to_setting(&parse_late(&json!({"hora_corte": "21:30", "col_nombre": "ab"})).unwrap()),
            json!({"col_apartamento": "", "col_checkin": "", "col_hora_llegada": "", "col_nombre": "ab", "col_telefono": "", "hora_corte": "21:30"})
        );
        for bad in ["24:00", "9:00", "12:60", "ab:cd", ""] {
            assert!(parse_late(&json!({"hora_corte": bad})).is_err(), "{bad}");
        }
        assert_eq!(
            parse_late(&json!({"hora_corte": "20:00", "col_nombre": "ABC"}))
                .unwrap_err()
                .flatten(),
            vec!["col_nombre: String does not match expected pattern."]
        );
    }
}
