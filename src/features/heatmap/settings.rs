//! `/api/heatmap/umbrales` and `/api/heatmap/config-xlsx`: the thresholds and
//! the spreadsheets' date columns. Each PUT merges only its own fields into
//! `configuracion.heatmap`, so neither undoes the other (original-api.md 8.3-8.6).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use unicode_general_category::{GeneralCategory, get_general_category};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::heatmap::Thresholds;
use crate::domain::validation::{FieldErrors, Input, MSG_NOT_INTEGER, MSG_NULL, range_message};
use crate::features::heatmap::{SETTINGS_KEY, heatmap_settings};
use crate::http::ApiJson;
use crate::http::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::JsonBody;
use crate::http::extract::company::MSG_COMPANY_NOT_FOUND;
use crate::http::state::AppState;

const MSG_ORDER: &str = "Los umbrales deben cumplir nivel1 < nivel2 < nivel3.";
const MSG_LETTER: &str = "Debe ser una letra de columna Excel (ej. A, B, C, AA...).";

/// `PUT /api/heatmap/umbrales` body; also the stored and answered object.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsRequest {
    /// A JSON integer (not `5.0`, not `"5"`); `nivel1 < nivel2 < nivel3`.
    #[serde(rename = "nivel1")]
    #[schema(minimum = 1, maximum = 9999)]
    pub level1: i64,
    #[serde(rename = "nivel2")]
    #[schema(minimum = 1, maximum = 9999)]
    pub level2: i64,
    #[serde(rename = "nivel3")]
    #[schema(minimum = 1, maximum = 9999)]
    pub level3: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ThresholdsBody {
    pub ok: bool,
    #[serde(rename = "umbrales")]
    pub thresholds: ThresholdsRequest,
}

/// marshmallow's strict `Integer` with `Range(1, 9999)`: JSON integers only.
fn strict_level(input: &mut Input, name: &'static str) -> Option<i64> {
    let message = match input.value(name, true)? {
        Value::Null => MSG_NULL.to_string(),
        Value::Number(n) if n.is_i64() || n.is_u64() => match n.as_i64() {
            Some(level) if (1..=9999).contains(&level) => return Some(level),
            _ => range_message(1, 9999),
        },
        _ => MSG_NOT_INTEGER.to_string(),
    };
    input.error(name, message);
    None
}

pub fn parse_thresholds(body: &Value) -> Result<ThresholdsRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let level1 = strict_level(&mut input, "nivel1");
    let level2 = strict_level(&mut input, "nivel2");
    let level3 = strict_level(&mut input, "nivel3");
    let levels = [level1, level2, level3];
    input.unknown_fields();
    if input.has_errors() {
        return Err(input.errors);
    }
    let [Some(level1), Some(level2), Some(level3)] = levels else {
        return Err(input.errors);
    };
    if !(level1 < level2 && level2 < level3) {
        input.error("_schema", MSG_ORDER);
        return Err(input.errors);
    }
    Ok(ThresholdsRequest {
        level1,
        level2,
        level3,
    })
}

async fn merge(state: &AppState, company_id: Uuid, patch: Value) -> Result<(), AppError> {
    let patch: Map<String, Value> = patch.as_object().cloned().unwrap_or_default();
    if state
        .store
        .merge_company_setting(company_id, SETTINGS_KEY, patch)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::not_found(MSG_COMPANY_NOT_FOUND))
    }
}

/// The company's thresholds (10/20/30 until saved).
#[utoipa::path(get, path = "/api/heatmap/umbrales", operation_id = "heatmap_thresholds_get", tag = "heatmap", security(("bearer" = [])),
    responses((status = 200, description = "Thresholds", body = ThresholdsBody)))]
pub async fn thresholds(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<ThresholdsBody>, AppError> {
    let settings = heatmap_settings(&state, user.company_id()).await?;
    let stored = Thresholds::from_setting(settings.get("umbrales"));
    Ok(ApiJson::ok(ThresholdsBody {
        ok: true,
        thresholds: ThresholdsRequest {
            level1: stored.level1,
            level2: stored.level2,
            level3: stored.level3,
        },
    }))
}

/// Saves the thresholds (admins).
#[utoipa::path(put, path = "/api/heatmap/umbrales", operation_id = "heatmap_thresholds_save", tag = "heatmap", security(("bearer" = [])),
    request_body(content = ThresholdsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = ThresholdsBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn save_thresholds(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<ThresholdsBody>, AppError> {
    let thresholds = parse_thresholds(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    merge(&state, user.company_id(), json!({"umbrales": thresholds})).await?;
    Ok(ApiJson::ok(ThresholdsBody {
        ok: true,
        thresholds,
    }))
}

/// Python's `str.isalpha()`: not empty, every character a letter.
fn is_alpha(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| {
            matches!(
                get_general_category(c),
                GeneralCategory::UppercaseLetter
                    | GeneralCategory::LowercaseLetter
                    | GeneralCategory::TitlecaseLetter
                    | GeneralCategory::ModifierLetter
                    | GeneralCategory::OtherLetter
            )
        })
}

/// `PUT /api/heatmap/config-xlsx` body; also the stored and answered object.
/// Letters are stored as sent (not trimmed or upper-cased), as the original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnsRequest {
    /// The check-ins' date column: letters, optionally padded with spaces.
    #[serde(rename = "col_fecha_checkin")]
    #[schema(min_length = 1, max_length = 3, pattern = r"^\s*[^\W\d_]+\s*$")]
    pub check_in_column: String,
    /// The check-outs' date column; null (the default) or empty when unused.
    #[serde(rename = "col_fecha_checkout")]
    #[schema(max_length = 3, pattern = r"^(\s*[^\W\d_]+\s*)?$", required = false)]
    pub check_out_column: Option<String>,
}

/// The date columns as stored (null when unset).
#[derive(Serialize, ToSchema)]
pub struct ColumnsConfig {
    #[serde(rename = "col_fecha_checkin")]
    pub check_in_column: Option<String>,
    #[serde(rename = "col_fecha_checkout")]
    pub check_out_column: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ColumnsBody {
    pub config: ColumnsConfig,
    pub ok: bool,
}

pub fn parse_columns(body: &Value) -> Result<ColumnsRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let letter_rule = |input: &mut Input, name: &str, value: &str| {
        if !value.is_empty() && !is_alpha(&value.trim().to_uppercase()) {
            input.error(name, MSG_LETTER);
        }
    };
    let check_in = input.string("col_fecha_checkin", true);
    if let Some(value) = &check_in {
        if !(1..=3).contains(&value.chars().count()) {
            input.error(
                "col_fecha_checkin",
                crate::domain::validation::length_between(1, 3),
            );
        }
        letter_rule(&mut input, "col_fecha_checkin", value);
    }
    let check_out = input.nullable_string("col_fecha_checkout");
    if let Some(Some(value)) = &check_out {
        if value.chars().count() > 3 {
            input.error("col_fecha_checkout", "Longer than maximum length 3.");
        }
        letter_rule(&mut input, "col_fecha_checkout", value);
    }
    input.unknown_fields();
    match (check_in, check_out) {
        (Some(check_in), Some(check_out)) if !input.has_errors() => Ok(ColumnsRequest {
            check_in_column: check_in,
            check_out_column: check_out,
        }),
        _ => Err(input.errors),
    }
}

/// The spreadsheets' date columns (null until saved).
#[utoipa::path(get, path = "/api/heatmap/config-xlsx", operation_id = "heatmap_columns_get", tag = "heatmap", security(("bearer" = [])),
    responses((status = 200, description = "Column letters or null", body = ColumnsBody)))]
pub async fn columns(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<ColumnsBody>, AppError> {
    let settings = heatmap_settings(&state, user.company_id()).await?;
    let letters = |key: &str| {
        settings
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(ApiJson::ok(ColumnsBody {
        config: ColumnsConfig {
            check_in_column: letters("col_fecha_checkin"),
            check_out_column: letters("col_fecha_checkout"),
        },
        ok: true,
    }))
}

/// Saves both date columns (admins); an omitted check-out column is null.
#[utoipa::path(put, path = "/api/heatmap/config-xlsx", operation_id = "heatmap_columns_save", tag = "heatmap", security(("bearer" = [])),
    request_body(content = ColumnsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = ColumnsBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn save_columns(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<ColumnsBody>, AppError> {
    let config = parse_columns(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    merge(&state, user.company_id(), json!(config)).await?;
    Ok(ApiJson::ok(ColumnsBody {
        config: ColumnsConfig {
            check_in_column: Some(config.check_in_column),
            check_out_column: config.check_out_column,
        },
        ok: true,
    }))
}
