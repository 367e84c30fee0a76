//! The vault's AI actions and the AI usage and settings pages
//! (original-api.md 11.5-11.9).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::validation::{FieldErrors, Input};
use crate::domain::vault::{
    AiAction, LANGUAGES, MSG_CONTENT_EMPTY, MSG_LANGUAGE, MSG_NOT_FOUND, MSG_TONE, TONES,
    TRANSLATE_PROMPT, improve_prompt_name, mask_key,
};
use crate::features::vault::assist::{self, Request};
use crate::features::vault::templates::TemplateId;
use crate::http::ApiJson;
use crate::http::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{JsonOrEmpty, PathId};
use crate::http::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct AiTextBody {
    /// The model's answer, trimmed; not saved.
    pub contenido: String,
    pub ok: bool,
}

/// Improve body: `contenido` (not empty), `idioma`, optional `tono`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImproveRequest {
    #[serde(rename = "contenido")]
    #[schema(min_length = 1)]
    pub content: String,
    #[serde(rename = "idioma")]
    #[schema(schema_with = language_schema)]
    pub language: String,
    #[serde(rename = "tono")]
    #[schema(schema_with = tone_schema, required = false)]
    pub tone: Option<String>,
}

/// Translate body: `contenido` (not empty) and `idioma_destino`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranslateRequest {
    #[serde(rename = "contenido")]
    #[schema(min_length = 1)]
    pub content: String,
    #[serde(rename = "idioma_destino")]
    #[schema(schema_with = language_schema)]
    pub target_language: String,
}

fn language_schema() -> utoipa::openapi::Object {
    crate::features::shared::one_of_schema(LANGUAGES, false)
}

fn tone_schema() -> utoipa::openapi::Object {
    crate::features::shared::one_of_schema(TONES, true)
}

fn content(input: &mut Input) -> Option<String> {
    let content = input.string("contenido", true);
    if content.as_ref().is_some_and(String::is_empty) {
        input.error("contenido", MSG_CONTENT_EMPTY);
    }
    content
}

fn language(input: &mut Input, name: &'static str) -> Option<String> {
    let language = input.string(name, true);
    if language.as_deref().is_some_and(|l| !LANGUAGES.contains(&l)) {
        input.error(name, MSG_LANGUAGE);
    }
    language
}

/// (content, language, tone) of an improve.
pub fn parse_improve(body: &Value) -> Result<ImproveRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let content = content(&mut input);
    let language = language(&mut input, "idioma");
    let tone = input.nullable_string("tono");
    if tone
        .as_ref()
        .and_then(Option::as_deref)
        .is_some_and(|t| !TONES.contains(&t))
    {
        input.error("tono", MSG_TONE);
    }
    input.unknown_fields();
    match (content, language, tone) {
        (Some(content), Some(language), Some(tone)) if !input.has_errors() => Ok(ImproveRequest {
            content,
            language,
            tone,
        }),
        _ => Err(input.errors),
    }
}

/// (content, target language) of a translation.
pub fn parse_translate(body: &Value) -> Result<TranslateRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let content = content(&mut input);
    let language = language(&mut input, "idioma_destino");
    input.unknown_fields();
    match (content, language) {
        (Some(content), Some(target_language)) if !input.has_errors() => Ok(TranslateRequest {
            content,
            target_language,
        }),
        _ => Err(input.errors),
    }
}

/// The template must be active and the company's, checked before the body.
async fn check_template(state: &AppState, user: &AuthUser, id: uuid::Uuid) -> Result<(), AppError> {
    match state.store.active_template(user.company_id(), id).await? {
        Some(_) => Ok(()),
        None => Err(AppError::not_found(MSG_NOT_FOUND)),
    }
}

/// Runs the action and answers the model's text (not saved).
async fn answer(
    state: &AppState,
    user: &AuthUser,
    request: Request<'_>,
) -> Result<ApiJson<AiTextBody>, AppError> {
    let text = assist::run(state, user.company_id(), request).await?;
    Ok(ApiJson::ok(AiTextBody {
        contenido: text,
        ok: true,
    }))
}

/// Improves the text sent (not the stored one) with the company's AI, keeping placeholders.
#[utoipa::path(post, path = "/api/vault/plantillas/{plantilla_id}/mejoras", operation_id = "vault_improve", tag = "vault", security(("bearer" = [])),
    params(("plantilla_id" = uuid::Uuid, Path)),
    request_body(content = ImproveRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The improved text", body = AiTextBody),
        (status = 404, description = "Plantilla no encontrada.", body = ErrorBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
        (status = 429, description = "Free quota spent or provider rate limit", body = ErrorBody),
        (status = 502, description = "Provider error, or placeholders lost twice", body = ErrorBody),
        (status = 504, description = "Provider timeout", body = ErrorBody),
    ))]
pub async fn improve(
    PathId(id, _): TemplateId,
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<AiTextBody>, AppError> {
    check_template(&state, &user, id).await?;
    let ImproveRequest {
        content,
        language,
        tone,
    } = parse_improve(&body).map_err(|e| AppError::unprocessable(e.messages()))?;
    let request = Request {
        action: AiAction::Improve,
        prompt_name: improve_prompt_name(tone.as_deref()),
        language: &language,
        content: &content,
    };
    answer(&state, &user, request).await
}

/// Translates the text sent with the company's AI, keeping placeholders.
#[utoipa::path(post, path = "/api/vault/plantillas/{plantilla_id}/traducciones", operation_id = "vault_translate", tag = "vault", security(("bearer" = [])),
    params(("plantilla_id" = uuid::Uuid, Path)),
    request_body(content = TranslateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The translated text", body = AiTextBody),
        (status = 404, description = "Plantilla no encontrada.", body = ErrorBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
        (status = 429, description = "Free quota spent or provider rate limit", body = ErrorBody),
        (status = 502, description = "Provider error, or placeholders lost twice", body = ErrorBody),
        (status = 504, description = "Provider timeout", body = ErrorBody),
    ))]
pub async fn translate(
    PathId(id, _): TemplateId,
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<AiTextBody>, AppError> {
    check_template(&state, &user, id).await?;
    let TranslateRequest {
        content,
        target_language: language,
    } = parse_translate(&body).map_err(|e| AppError::unprocessable(e.messages()))?;
    let request = Request {
        action: AiAction::Translate,
        prompt_name: TRANSLATE_PROMPT,
        language: &language,
        content: &content,
    };
    answer(&state, &user, request).await
}

#[derive(Serialize, ToSchema)]
pub struct UsageBody {
    pub limite_diario: i64,
    pub limite_semanal: i64,
    pub ok: bool,
    pub uso_hoy: i64,
    pub uso_semana: i64,
}

/// AI uses of the company today and over seven days, with the free limits.
#[utoipa::path(get, path = "/api/ai/uso", operation_id = "ai_usage", tag = "vault", security(("bearer" = [])),
    responses(
        (status = 200, description = "Usage", body = UsageBody),
    ))]
pub async fn usage(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<UsageBody>, AppError> {
    let usage = state
        .store
        .ai_usage(user.company_id(), assist::today())
        .await?;
    Ok(ApiJson::ok(UsageBody {
        limite_diario: state.settings.ai.free_limit_daily,
        limite_semanal: state.settings.ai.free_limit_weekly,
        ok: true,
        uso_hoy: usage.today,
        uso_semana: usage.week,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AiConfigView {
    pub api_key_masked: Option<String>,
    pub configurado: bool,
    pub modelo: Option<String>,
    pub proveedor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AiConfigBody {
    pub data: AiConfigView,
    pub ok: bool,
}

/// The company's AI settings with the key masked (admins).
#[utoipa::path(get, path = "/api/ai/config", operation_id = "ai_config", tag = "vault", security(("bearer" = [])),
    responses(
        (status = 200, description = "Settings", body = AiConfigBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn config(
    State(state): State<AppState>,
    admin: AdminUser,
) -> Result<ApiJson<AiConfigBody>, AppError> {
    let config = state.store.ai_config(admin.0.company_id()).await?;
    let data = match config {
        None => AiConfigView {
            api_key_masked: None,
            configurado: false,
            modelo: None,
            proveedor: None,
        },
        Some(config) => AiConfigView {
            // An undecryptable key shows as `****`, as the original.
            api_key_masked: config
                .api_key_encrypted
                .map(|k| mask_key(&state.cipher.decrypt(&k).unwrap_or_default())),
            configurado: true,
            modelo: config.model,
            proveedor: Some(config.provider),
        },
    };
    Ok(ApiJson::ok(AiConfigBody { data, ok: true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn improve_checks_content_language_and_tone_in_order() {
        assert_eq!(
            parse_improve(&json!({"contenido": "", "idioma": "xx", "tono": "serio", "x": 1}))
                .unwrap_err()
                .messages(),
            vec![MSG_CONTENT_EMPTY, MSG_LANGUAGE, MSG_TONE, "Unknown field."]
        );
        assert_eq!(
            parse_improve(&json!({"contenido": "Hola", "idioma": "es", "tono": null})).unwrap(),
            ImproveRequest {
                content: "Hola".to_string(),
                language: "es".to_string(),
                tone: None
            }
        );
    }

    #[test]
    fn translate_needs_a_known_target_language() {
        assert_eq!(
            parse_translate(&json!({"contenido": "Hola", "idioma_destino": "chino"}))
                .unwrap_err()
                .messages(),
            vec![MSG_LANGUAGE]
        );
        assert_eq!(
            parse_translate(&json!({})).unwrap_err().messages(),
            vec![
                "Missing data for required field.",
                "Missing data for required field."
            ]
        );
    }
}
