//! `GET/PUT/DELETE /api/apartamentos/pms`: the company's PMS connection
//! settings, for any user as the original (original-api.md 7.9, 7.10, 7.12).
//! The admin twin is `profile::integrations`; both save through `pms_settings`.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::endpoint::check_endpoint;
use crate::domain::format::iso;
use crate::domain::validation::{FieldErrors, Input};
use crate::features::pms_settings::{self, PmsInput, read_common};
use crate::features::shared::OkBody;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::JsonBody;
use crate::http::state::AppState;
use crate::store::PmsConfig;

const MSG_NOTHING_TO_DELETE: &str = "No hay configuración PMS para eliminar.";

/// `PUT /api/apartamentos/pms`: `endpoint` is optional and replaces the stored one.
pub fn parse_settings(
    body: &Value,
    allow_private: bool,
) -> Result<PmsSettingsRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let (provider, key, secret) = read_common(&mut input, true);
    // Stored trimmed and as sent ("" too, as the original); only a non-empty one is checked.
    let endpoint = input
        .nullable_string("endpoint")
        .map(|e| e.map(|e| e.trim().to_string()));
    if let Some(Some(url)) = endpoint
        .as_ref()
        .filter(|e| e.as_deref().is_some_and(|u| !u.is_empty()))
    {
        if url.chars().count() > 500 {
            input.error("endpoint", "Longer than maximum length 500.");
        } else if let Err(message) = check_endpoint(url, allow_private) {
            input.error("endpoint", message);
        }
    }
    input.unknown_fields();
    match (provider, key, secret, endpoint) {
        (Some(provider), Some(api_key), Some(api_secret), Some(endpoint))
            if !input.has_errors() =>
        {
            Ok(PmsSettingsRequest {
                provider,
                api_key,
                api_secret,
                endpoint,
            })
        }
        _ => Err(input.errors),
    }
}

/// The settings on the wire; keys are never returned.
#[derive(Serialize, ToSchema)]
pub struct PmsConfigView {
    pub activo: bool,
    /// Whether a Smoobu signing secret is stored (our addition).
    pub api_secret_configurado: bool,
    pub endpoint: Option<String>,
    pub proveedor: String,
    pub ultimo_sync: Option<String>,
}

impl From<PmsConfig> for PmsConfigView {
    fn from(c: PmsConfig) -> Self {
        PmsConfigView {
            activo: c.active,
            api_secret_configurado: c.api_secret_encrypted.is_some_and(|s| !s.is_empty()),
            endpoint: c.endpoint,
            proveedor: c.provider,
            ultimo_sync: c.last_sync.map(iso),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PmsConfigBody {
    /// The settings, or null when none are saved.
    pub config: Option<PmsConfigView>,
    pub ok: bool,
}

/// `PUT /api/apartamentos/pms` body.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PmsSettingsRequest {
    #[serde(rename = "proveedor")]
    #[schema(schema_with = pms_settings::provider_schema)]
    pub provider: String,
    /// 1 to 500 characters once trimmed (the pattern says so; its class is
    /// Rust's `trim()` whitespace); for Smoobu `KEY:SECRET` also sets the secret.
    #[schema(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([\s\S]{0,498}[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub api_key: String,
    /// Smoobu's signing secret: at most 500 characters once trimmed; blank is none.
    #[schema(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([\s\S]{0,498}[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?)?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub api_secret: Option<String>,
    /// Base URL overriding the provider's: `https` and a public host, at most
    /// 500 characters once trimmed (or empty). Absent or null clears the stored one.
    #[schema(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(https://[\s\S]{0,492})?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub endpoint: Option<String>,
}

impl From<PmsSettingsRequest> for PmsInput {
    fn from(r: PmsSettingsRequest) -> Self {
        PmsInput {
            provider: r.provider,
            api_key: r.api_key,
            api_secret: r.api_secret,
            endpoint: Some(r.endpoint),
        }
    }
}

/// The company's PMS settings, or null.
#[utoipa::path(get, path = "/api/apartamentos/pms", operation_id = "apartments_pms_get", tag = "apartamentos", security(("bearer" = [])),
    responses((status = 200, description = "Settings or null", body = PmsConfigBody)))]
pub async fn get_config(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<PmsConfigBody>, AppError> {
    let config = state.store.pms_config(user.company_id()).await?;
    Ok(ApiJson::ok(PmsConfigBody {
        config: config.map(PmsConfigView::from),
        ok: true,
    }))
}

/// Saves the PMS settings (any user, as the original).
#[utoipa::path(put, path = "/api/apartamentos/pms", operation_id = "apartments_pms_put", tag = "apartamentos", security(("bearer" = [])),
    request_body(content = PmsSettingsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = PmsConfigBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 422, description = "Invalid body, a private endpoint, or no FERNET_KEY", body = ErrorBody),
    ))]
pub async fn put_config(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<PmsConfigBody>, AppError> {
    let input = parse_settings(&body, state.settings.allow_private_pms_endpoints)
        .map_err(|e| AppError::unprocessable(e.flatten()))?;
    let saved = pms_settings::save(&state, user.company_id(), input.into()).await?;
    Ok(ApiJson::ok(PmsConfigBody {
        config: Some(saved.into()),
        ok: true,
    }))
}

/// Removes the PMS settings; 404 when there are none.
#[utoipa::path(delete, path = "/api/apartamentos/pms", operation_id = "apartments_pms_delete", tag = "apartamentos", security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed", body = OkBody),
        (status = 404, description = "No hay configuración PMS para eliminar.", body = ErrorBody),
    ))]
pub async fn delete_config(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<OkBody>, AppError> {
    if !state.store.delete_pms_config(user.company_id()).await? {
        return Err(AppError::not_found(MSG_NOTHING_TO_DELETE));
    }
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_must_be_public_https() {
        let body =
            |endpoint: &str| json!({"proveedor": "smoobu", "api_key": " k ", "endpoint": endpoint});
        let ok = parse_settings(&body(" https://login.smoobu.com "), false).unwrap();
        assert_eq!(
            (ok.api_key.as_str(), ok.endpoint),
            ("k", Some("https://login.smoobu.com".into()))
        );
        let err = parse_settings(&body("http://169.254.169.254/"), false)
            .unwrap_err()
            .flatten();
        assert_eq!(
            err,
            vec![format!(
                "endpoint: {}",
                crate::domain::endpoint::MSG_ENDPOINT
            )]
        );
        assert!(parse_settings(&body("http://127.0.0.1:9999"), true).is_ok());
        let cleared =
            parse_settings(&json!({"proveedor": "beds24", "api_key": "k"}), false).unwrap();
        assert_eq!(
            PmsInput::from(cleared).endpoint,
            Some(None),
            "omitted endpoint is cleared, as the original"
        );
    }
}
