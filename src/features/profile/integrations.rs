//! `/api/perfil/integraciones...`: which integrations the company has, and
//! the admin's writes of its PMS and AI settings (original-api.md 6.3-6.7).

use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::endpoint::check_endpoint;
use crate::domain::validation::{FieldErrors, Input, one_of_message};
use crate::features::pms_settings::{self, PmsInput, read_common};
use crate::features::shared::{OkBody, encrypt};
use crate::http::ApiJson;
use crate::http::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::JsonBody;
use crate::http::state::AppState;

/// The original's four, and a company's own OpenAI-compatible server (ours).
pub const AI_PROVIDERS: &[&str] = &["default", "gemini", "openai", "claude", "openai_compatible"];
const SELF_HOSTED: &str = "openai_compatible";
const MSG_AI_ENDPOINT: &str =
    "La URL del servidor de IA debe empezar por https:// y apuntar a un servidor público.";
const MSG_ENDPOINT_REQUIRED: &str =
    "El proveedor openai_compatible necesita la URL base de su servidor.";

#[derive(Serialize, ToSchema)]
pub struct PmsStatus {
    pub configurado: bool,
    pub proveedor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GoogleStatus {
    pub configurado: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AiStatus {
    pub configurado: bool,
    pub modelo: Option<String>,
    pub proveedor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IntegrationsData {
    pub google: GoogleStatus,
    pub ia: AiStatus,
    pub pms: PmsStatus,
}

#[derive(Serialize, ToSchema)]
pub struct IntegrationsBody {
    pub data: IntegrationsData,
    pub ok: bool,
}

/// Which integrations the company has (keys are never returned).
#[utoipa::path(get, path = "/api/perfil/integraciones", operation_id = "profile_integrations", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Integration status", body = IntegrationsBody)))]
pub async fn integrations(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<IntegrationsBody>, AppError> {
    let company = user.company_id();
    let pms = state.store.pms_config(company).await?;
    let ai = state.store.ai_config(company).await?;
    let google = state.store.google_connected(company).await?;
    let has_key = |k: &Option<String>| k.as_deref().is_some_and(|k| !k.is_empty());
    Ok(ApiJson::ok(IntegrationsBody {
        data: IntegrationsData {
            google: GoogleStatus {
                configurado: google,
            },
            ia: AiStatus {
                configurado: ai.as_ref().is_some_and(|a| has_key(&a.api_key_encrypted)),
                modelo: ai.as_ref().and_then(|a| a.model.clone()),
                proveedor: ai.as_ref().map(|a| a.provider.clone()),
            },
            pms: PmsStatus {
                configurado: pms.as_ref().is_some_and(|p| has_key(&p.api_key_encrypted)),
                proveedor: pms.map(|p| p.provider),
            },
        },
        ok: true,
    }))
}

/// `PUT /api/perfil/integraciones/pms` body.
/// As `parse_pms` returns it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PmsRequest {
    #[serde(rename = "proveedor")]
    #[schema(schema_with = crate::features::pms_settings::provider_schema)]
    pub provider: String,
    /// 1 to 500 characters; stored encrypted.
    #[schema(min_length = 1, max_length = 500)]
    pub api_key: String,
    /// Smoobu's signing secret: at most 500 characters once trimmed; blank is none.
    #[schema(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([\s\S]{0,498}[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?)?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub api_secret: Option<String>,
}

impl From<PmsRequest> for PmsInput {
    /// This route keeps the stored endpoint.
    fn from(r: PmsRequest) -> Self {
        PmsInput {
            provider: r.provider,
            api_key: r.api_key,
            api_secret: r.api_secret,
            endpoint: None,
        }
    }
}

pub fn parse_pms(body: &Value) -> Result<PmsRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let (provider, key, secret) = read_common(&mut input, false);
    input.unknown_fields();
    match (provider, key, secret) {
        (Some(provider), Some(api_key), Some(api_secret)) if !input.has_errors() => {
            Ok(PmsRequest {
                provider,
                api_key,
                api_secret,
            })
        }
        _ => Err(input.errors),
    }
}

/// Saves the company's PMS provider and key (encrypted).
#[utoipa::path(put, path = "/api/perfil/integraciones/pms", operation_id = "profile_pms_save", tag = "perfil", security(("bearer" = [])),
    request_body(content = PmsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body, or no FERNET_KEY", body = ErrorBody),
    ))]
pub async fn save_pms(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let input = parse_pms(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    pms_settings::save(&state, user.company_id(), input.into()).await?;
    Ok(ApiJson::ok(OkBody { ok: true }))
}

/// Removes the company's PMS settings (200 even when there were none).
#[utoipa::path(delete, path = "/api/perfil/integraciones/pms", operation_id = "profile_pms_delete", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Removed", body = OkBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn delete_pms(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
) -> Result<ApiJson<OkBody>, AppError> {
    state.store.delete_pms_config(user.company_id()).await?;
    Ok(ApiJson::ok(OkBody { ok: true }))
}

fn ai_provider_schema() -> utoipa::openapi::Object {
    crate::features::shared::one_of_schema(AI_PROVIDERS, false)
}

/// `PUT /api/perfil/integraciones/ia` body, as `parse_ai` returns it (validated).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AiInput {
    #[serde(rename = "proveedor")]
    #[schema(schema_with = ai_provider_schema)]
    pub provider: String,
    #[serde(rename = "modelo")]
    #[schema(max_length = 100)]
    pub model: Option<String>,
    /// Own key (BYOK), stored encrypted; null or empty removes it.
    #[schema(max_length = 500)]
    pub api_key: Option<String>,
    /// Base URL of the company's own OpenAI-compatible server (required for
    /// `openai_compatible`, ignored otherwise): public `https` addresses, as PMS endpoints.
    #[schema(max_length = 500)]
    pub endpoint: Option<String>,
}

pub fn parse_ai(body: &Value, allow_private: bool) -> Result<AiInput, FieldErrors> {
    let mut input = Input::new(body)?;
    let provider = input.string("proveedor", true);
    if provider
        .as_deref()
        .is_some_and(|p| !AI_PROVIDERS.contains(&p))
    {
        input.error("proveedor", one_of_message(AI_PROVIDERS));
    }
    let model = input.nullable_string("modelo");
    if model
        .as_ref()
        .and_then(|m| m.as_ref())
        .is_some_and(|m| m.chars().count() > 100)
    {
        input.error("modelo", "Longer than maximum length 100.");
    }
    let key = input.nullable_string("api_key");
    if key
        .as_ref()
        .and_then(|k| k.as_ref())
        .is_some_and(|k| k.chars().count() > 500)
    {
        input.error("api_key", "Longer than maximum length 500.");
    }
    let endpoint = input.nullable_string("endpoint");
    if endpoint
        .as_ref()
        .and_then(|e| e.as_ref())
        .is_some_and(|e| e.chars().count() > 500)
    {
        input.error("endpoint", "Longer than maximum length 500.");
    }
    input.unknown_fields();
    let (Some(provider), Some(model), Some(api_key), Some(endpoint)) =
        (provider, model, key, endpoint)
    else {
        return Err(input.errors);
    };
    // The server a self-hosted model answers on; other providers keep none.
    let endpoint = match (provider.as_str(), endpoint.filter(|e| !e.trim().is_empty())) {
        (SELF_HOSTED, None) => {
            input.error("endpoint", MSG_ENDPOINT_REQUIRED);
            None
        }
        (SELF_HOSTED, Some(url)) => match check_endpoint(url.trim(), allow_private) {
            Ok(url) => Some(url.to_string()),
            Err(_) => {
                input.error("endpoint", MSG_AI_ENDPOINT);
                None
            }
        },
        _ => None,
    };
    if input.has_errors() {
        return Err(input.errors);
    }
    Ok(AiInput {
        provider,
        model,
        api_key,
        endpoint,
    })
}

/// Saves the company's AI provider, model and own key (each replaced).
#[utoipa::path(put, path = "/api/perfil/integraciones/ia", operation_id = "profile_ai_save", tag = "perfil", security(("bearer" = [])),
    request_body(content = AiInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body, or a key without FERNET_KEY", body = ErrorBody),
    ))]
pub async fn save_ai(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let allow_private = state.settings.allow_private_pms_endpoints;
    let AiInput {
        provider,
        model,
        api_key,
        endpoint,
    } = parse_ai(&body, allow_private).map_err(|e| AppError::unprocessable(e.flatten()))?;
    let encrypted = match api_key.filter(|k| !k.is_empty()) {
        Some(key) => Some(encrypt(&state, &key)?),
        None => None,
    };
    state
        .store
        .save_ai_config(
            user.company_id(),
            &provider,
            model.as_deref(),
            encrypted.as_deref(),
            endpoint.as_deref(),
        )
        .await?;
    tracing::info!(company_id = %user.company_id(), %provider, "AI settings saved");
    Ok(ApiJson::ok(OkBody { ok: true }))
}

/// Removes the company's AI settings (200 even when there were none).
#[utoipa::path(delete, path = "/api/perfil/integraciones/ia", operation_id = "profile_ai_delete", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Removed", body = OkBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn delete_ai(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
) -> Result<ApiJson<OkBody>, AppError> {
    state.store.delete_ai_config(user.company_id()).await?;
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn provider_lists_and_lengths() {
        assert_eq!(
            parse_pms(&json!({"proveedor": "guesty", "api_key": ""}))
                .unwrap_err()
                .flatten(),
            vec![
                "proveedor: Must be one of: smoobu, beds24, hostaway, cloudbeds.",
                "api_key: Length must be between 1 and 500."
            ]
        );
        assert_eq!(
            parse_ai(
                &json!({"proveedor": "openai", "endpoint": "https://x.example"}),
                false
            )
            .unwrap(),
            AiInput {
                provider: "openai".into(),
                model: None,
                api_key: None,
                endpoint: None
            },
            "only a self-hosted provider keeps an endpoint"
        );
        assert_eq!(
            parse_ai(&json!({"proveedor": "x", "modelo": 3}), false)
                .unwrap_err()
                .flatten(),
            vec![
                "proveedor: Must be one of: default, gemini, openai, claude, openai_compatible.",
                "modelo: Not a valid string."
            ]
        );
    }

    #[test]
    fn a_self_hosted_model_needs_a_public_https_endpoint() {
        let saved = parse_ai(
            &json!({"proveedor": "openai_compatible", "modelo": "llama3", "endpoint": "https://llm.example.com/v1"}),
            false,
        )
        .unwrap();
        assert_eq!(
            saved.endpoint.as_deref(),
            Some("https://llm.example.com/v1")
        );
        for endpoint in [
            json!(null),
            json!(""),
            json!("http://llm.example.com"),
            json!("https://10.0.0.5/v1"),
            json!("https://localhost/v1"),
        ] {
            let body = json!({"proveedor": "openai_compatible", "endpoint": endpoint});
            let errors = parse_ai(&body, false).unwrap_err().flatten();
            assert_eq!(errors.len(), 1, "{endpoint}: {errors:?}");
            assert!(errors[0].starts_with("endpoint: "), "{errors:?}");
        }
        let private =
            json!({"proveedor": "openai_compatible", "endpoint": "http://127.0.0.1:8080/v1"});
        assert!(
            parse_ai(&private, true).is_ok(),
            "allowed where private endpoints are"
        );
    }
}
